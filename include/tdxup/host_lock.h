/* SPDX-License-Identifier: MIT */
/*
 * One update per host at a time (safety rule 2, README.md). Two updaters
 * writing the same fw_upload device interleave their bytes in the kernel's
 * buffer; P-SEAMLDR then refuses the image after the old module is shut
 * down, and every TD is lost. So every update holds an flock(2) on a file
 * keyed to the target's sysfs directory: /run/lock/tdxup/<key>.lock, where
 * key is the directory's real path with '/' written as '-' ("sys" for
 * /sys). Two emulated hosts mounted at different places do not block each
 * other; /sys and a sysroot of / name the same lock. The lock dies with its
 * process, so a killed updater leaves no wedge.
 */
#ifndef TDXUP_HOST_LOCK_H
#define TDXUP_HOST_LOCK_H

#include <stddef.h>

#define HOST_LOCK_DIR		"/run/lock/tdxup"
#define HOST_LOCK_HOLDER_LEN	256

/*
 * The lock file for a sysfs root. dir NULL: HOST_LOCK_DIR (TDXUP_LOCK_DIR in
 * the environment overrides it, for tests run without root). 0 or -errno.
 */
int host_lock_path(const char *sysfs_root, const char *dir, char *out, size_t size);

/*
 * Take the lock without waiting: 0 with *fd set; -EBUSY with who holds it
 * ("pid 1234 (tdxup update ...) since 2026-12-04T18:00:00Z") in holder; or
 * -errno (-ELOOP for a symlink, -EINVAL for a file that is not regular).
 */
int host_lock_take(const char *path, const char *what, int *fd, char *holder, size_t len);
void host_lock_drop(int fd);

/*
 * Whether someone holds the lock, without taking it, not even shared (a
 * check run must never make a real updater's try fail): the flock(2)
 * locks the kernel lists in /proc/locks, matched by device and inode.
 * 0 free (or no lock file); -EBUSY held, with the holder's line as
 * host_lock_take gives it; -errno when it cannot be told.
 */
int host_lock_probe(const char *path, char *holder, size_t len);

#endif /* TDXUP_HOST_LOCK_H */
