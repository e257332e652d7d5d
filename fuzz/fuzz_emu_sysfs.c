// SPDX-License-Identifier: MIT
/*
 * The emulated host's attribute writes (and reads): what a root process on
 * `tdxup serve`'s mount can do to tdx_host and its fw_upload device,
 * including the `data` file at any offset, `loading` (start, hand over,
 * abort) and `cancel`. The input is a sequence of operations
 *
 *   byte 0      bits 3:0 the file (index into files[] modulo its size),
 *               bits 5:4 the operation: 0 write as root, 1 read as root,
 *               2 write as a user, 3 read as a user
 *   byte 1..4   little-endian offset
 *   byte 5..6   little-endian length, clamped to the bytes left
 *   then        that many bytes (written, or ignored for a read)
 *
 * One host per process, booted once: the upload worker runs synchronously
 * on a virtual clock (kthread_ops below), so an input's effect is complete
 * when its last write returns and a run is deterministic. After each input
 * the upload state is reset (loading 1 then -1), and the host is booted
 * again when an input changed it for good (a new or lost module, an update
 * used up).
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/host.h"
#include "emu/kthread.h"
#include "emu/physmem.h"
#include "emu/seam.h"
#include "emu/sysfs.h"

#define DEV	"devices/faux/tdx_host/"
#define FW	"class/firmware/tdx_module/"
#define BOOT	"1.5.24"

static const char *const files[] = {
	FW "loading", FW "data", FW "cancel", FW "status", FW "error", FW "remaining_size",
	DEV "version", DEV "seamldr_version", DEV "num_remaining_updates",
	DEV "firmware/tdx_module/loading", DEV "firmware/tdx_module/data",
	"devices/faux/tdx_host", "class/firmware/tdx_module", "class/firmware/none",
};

#define NR_FILES	(sizeof(files) / sizeof(files[0]))
#define OP_HDR		7

/* ---- a synchronous, virtual-time kthread_ops ---- */

static uint64_t virt_us;

static int sync_start(void *ctx, void (*fn)(void *arg), void *arg, const char *name,
		      void **handle)
{
	fn(arg);
	*handle = &virt_us;	/* any non-NULL token: join has nothing to wait for */
	return 0;
}

static void sync_join(void *ctx, void *handle)
{
}

static void virt_sleep(void *ctx, uint64_t us)
{
	virt_us += us;
}

static void virt_relax(void *ctx)
{
	virt_us++;
}

static uint64_t virt_now(void *ctx)
{
	return virt_us;
}

static const struct kthread_ops sync_ops = {
	.start = sync_start, .join = sync_join, .sleep_us = virt_sleep,
	.relax = virt_relax, .now_us = virt_now,
};

/* ---- the host ---- */

static struct tdx_host *host;
static char boot_remaining[32];

static ssize_t get(const char *path, char *buf, size_t size)
{
	return sysfs_read_file(tdx_host_sysfs(host), path, &sysfs_cred_root, buf, size);
}

static ssize_t put(const char *path, const char *s)
{
	return sysfs_write_file(tdx_host_sysfs(host), path, &sysfs_cred_root, s, strlen(s));
}

/*
 * Physical memory hands out frames round-robin and keeps each frame once
 * touched, so for a while every input would leave a few more heap blocks
 * than it found, and libFuzzer would then run a full leak scan after each
 * one. Touch every frame once at boot: after that an input's allocations
 * balance, and leaks are still checked at exit.
 */
static void physmem_touch_all(struct physmem *pm)
{
	uint64_t nr = physmem_nr_frames(pm), *pas = calloc(nr, sizeof(*pas));
	size_t n = 0;

	if (!pas)
		abort();
	while (n < nr && !physmem_alloc(pm, &pas[n]))
		n++;
	while (n--)
		physmem_free(pm, pas[n]);
	free(pas);
}

static void host_boot(void)
{
	struct tdx_host_config cfg;
	int err = 0;

	tdx_host_config_init(&cfg);
	cfg.nr_cpus = 2;
	cfg.nr_packages = 1;
	cfg.boot_module = BOOT;
	cfg.driver = LOCKSTEP_SERIAL;
	cfg.kt = &sync_ops;
	host = tdx_host_create(&cfg, &err);
	if (!host || get(DEV "num_remaining_updates", boot_remaining,
			 sizeof(boot_remaining)) <= 0) {
		fprintf(stderr, "fuzz_emu_sysfs: cannot boot the host (%d)\n", err);
		abort();
	}
	physmem_touch_all(seam_physmem(tdx_host_platform(host)));
}

/* Changed for good by the input: another or no module, an update used up. */
static bool host_changed(void)
{
	char rem[32];
	uint16_t ma, mi, up;
	char ver[24];

	if (tdx_host_module_version(host, &ma, &mi, &up))
		return true;
	snprintf(ver, sizeof(ver), "%u.%u.%02u", ma, mi, up);
	if (strcmp(ver, BOOT))
		return true;
	return get(DEV "num_remaining_updates", rem, sizeof(rem)) <= 0 ||
	       strcmp(rem, boot_remaining);
}

static void host_reset(void)
{
	/* loading=1 drops any buffered data, -1 leaves the loader idle. */
	put(FW "loading", "1");
	put(FW "loading", "-1");
	if (host_changed()) {
		tdx_host_destroy(host);
		host_boot();
	}
}

/* ---- the operations ---- */

static void do_op(unsigned int op, uint64_t off, const uint8_t *buf, size_t len)
{
	const struct sysfs_cred *cred = op & 0x20 ? &sysfs_cred_user : &sysfs_cred_root;
	bool rd = op & 0x10;
	const char *path = files[(op & 0x0f) % NR_FILES];
	char out[SYSFS_PAGE_SIZE];
	struct sysfs_file *f;
	ssize_t n;

	if (sysfs_open(tdx_host_sysfs(host), path, rd ? O_RDONLY : O_WRONLY, cred, &f))
		return;
	if (rd)
		n = sysfs_read(f, out, len < sizeof(out) ? len : sizeof(out), off);
	else
		n = sysfs_write(f, (const char *)buf, len, off);
	/* Never more than asked, never more than a page. */
	if (n > (ssize_t)len || n > (ssize_t)SYSFS_PAGE_SIZE)
		abort();
	sysfs_close(f);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	host_boot();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t pos = 0;

	if (!host)
		host_boot();
	while (size - pos >= OP_HDR) {
		const uint8_t *h = data + pos;
		uint64_t off = (uint64_t)h[1] | (uint64_t)h[2] << 8 | (uint64_t)h[3] << 16 |
			       (uint64_t)h[4] << 24;
		size_t len = (size_t)h[5] | (size_t)h[6] << 8;

		bool rd = h[0] & 0x10;

		pos += OP_HDR;
		/* A read takes no bytes from the input: its length is how much to read. */
		if (!rd && len > size - pos)
			len = size - pos;
		do_op(h[0], off, data + pos, len);
		if (!rd)
			pos += len;
	}
	host_reset();
	return 0;
}
