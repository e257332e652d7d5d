/* SPDX-License-Identifier: MIT */
/*
 * The host the updater looks at, as files under a root directory, like
 * util-linux's `lscpu --sysroot DIR`: DIR/sys is its sysfs, DIR/proc/cpuinfo
 * its CPU, DIR/proc/sys/kernel/osrelease its kernel. DIR is "/" on a real
 * host, or a `tdxup serve --mount DIR` of the emulator. `--sysfs ROOT`
 * (ROOT stands for /sys alone) keeps the real /proc.
 *
 * Everything is read as a regular file with a bounded read: a FIFO or a
 * device where a proc file should be must neither hang nor flood us.
 */
#ifndef TDXUP_SYSROOT_H
#define TDXUP_SYSROOT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct tdx_sysroot {
	char sysfs[PATH_MAX];		/* the directory standing for /sys */
	char proc[PATH_MAX];		/* the directory standing for /proc */
	char dir[PATH_MAX];		/* DIR as given ("/" by default), or "" with --sysfs */
};

/*
 * From --sysroot DIR or --sysfs ROOT (at most one; both NULL: "/").
 * 0, -EINVAL when both are given, -ENAMETOOLONG.
 */
int tdx_sysroot_init(struct tdx_sysroot *t, const char *sysroot, const char *sysfs);

/*
 * Read at most size - 1 bytes of a regular file into buf, NUL-terminated:
 * length or -errno (-EINVAL: not a regular file). The rest is not read.
 */
ssize_t tdx_read_small_file(const char *path, char *buf, size_t size);

/*
 * CPUID.1.EAX of the first processor in /proc/cpuinfo text: its "cpu
 * family", "model" and "stepping" lines, encoded as the CPU reports them
 * (stepping 3:0, model 7:4, family 11:8 up to 0xF, extended model 19:16,
 * extended family 27:20). Family 6, model 143, stepping 8 -> 0x806f8.
 * 0, -ENODATA (a line is missing) or -EINVAL (a value out of range).
 */
int cpuinfo_parse_fms(const char *text, uint32_t *fms);
/* The same from PROC/cpuinfo; -errno of the read, else as above. */
int tdx_sysroot_cpu_fms(const struct tdx_sysroot *t, uint32_t *fms);

/* PROC/sys/kernel/osrelease, whitespace stripped: length or -errno. */
ssize_t tdx_sysroot_kernel_release(const struct tdx_sysroot *t, char *buf, size_t size);

/*
 * The image version a kernel release takes (inferred from kernel.md 1-2,
 * which say the series was posted on v7.1 and merged for 7.2): 7.2 and
 * later TDX_IMAGE_VERSION_2 only; earlier releases, the postings up to v8,
 * TDX_BLOB_VERSION_1. 0, or -EINVAL when release does not start "N.N".
 */
int kernel_release_image_format(const char *release, unsigned int *format);

/*
 * 1 if the release is 7.2 or later (runtime update as merged: the 0x200
 * image), 0 if earlier (the postings' 0x100), -EINVAL when it does not
 * start "N.N". A guess good only for the image format, which the kernel
 * checks before anything changes; never for safety (a distribution kernel
 * numbered before 7.2 may carry the merged series).
 */
int kernel_release_merged(const char *release);

/*
 * Why there is no tdx_host device, as precisely as the files tell: the
 * sysfs directory is missing, empty (nothing mounted there), or has no
 * devices/faux/tdx_host (no TDX, or no tdx_host driver).
 */
void tdx_sysroot_no_device_reason(const struct tdx_sysroot *t, char *buf, size_t size);

#endif /* TDXUP_SYSROOT_H */
