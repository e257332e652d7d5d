/* SPDX-License-Identifier: MIT */
/*
 * How the updater reaches sysfs. Everything in src/updater that talks to a
 * host goes through this small ops struct, so the same code runs against a
 * real /sys (or a FUSE mount of the emulator) with the POSIX backend, and
 * against an emulated host's in-process tree with the emulator's backend
 * (emu/include/emu/sysfs_client_tree.h), which this library never sees.
 *
 * Paths are relative to the sysfs root: "devices/faux/tdx_host/version",
 * "class/firmware/tdx_module/status". Links are followed.
 *
 * The clock hooks live here too: an update polls and backs off, and a
 * deterministic simulator must be able to run that on virtual time.
 */
#ifndef TDXUP_SYSFS_CLIENT_H
#define TDXUP_SYSFS_CLIENT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>


enum sysfs_client_type { SYSFS_CLIENT_DIR, SYSFS_CLIENT_FILE, SYSFS_CLIENT_LINK,
			 SYSFS_CLIENT_OTHER };

struct sysfs_client_stat {
	enum sysfs_client_type type;
	unsigned int mode;		/* permission bits */
	uint64_t size;
};

struct sysfs_client {
	/*
	 * Read a whole file into buf (NUL-terminated, at most size - 1 bytes):
	 * length or -errno. Text attributes are one page at most.
	 */
	ssize_t (*read)(struct sysfs_client *c, const char *path, char *buf, size_t size);
	/* One write() of count bytes at off: bytes written (maybe short) or -errno. */
	ssize_t (*write)(struct sysfs_client *c, const char *path, const void *buf,
			 size_t count, uint64_t off);
	/*
	 * Optional (NULL: write() chunk by chunk): count bytes from offset 0 on
	 * one open, at most chunk per write(), following short writes: 0 or
	 * -errno. The real fw_upload core takes at most a page per write(), so
	 * one open per chunk would be one open per page.
	 */
	int (*write_stream)(struct sysfs_client *c, const char *path, const void *buf,
			    size_t count, size_t chunk);
	/* stat (follow true) or lstat: 0 or -errno. */
	int (*stat)(struct sysfs_client *c, const char *path, bool follow,
		    struct sysfs_client_stat *st);
	/* Link target, NUL-terminated: length or -errno. */
	ssize_t (*readlink)(struct sysfs_client *c, const char *path, char *buf, size_t size);

	/* Clock: monotonic microseconds and a sleep, defaulting to real time. */
	uint64_t (*now_us)(void *clock_ctx);
	void (*sleep_us)(void *clock_ctx, uint64_t us);
	void *clock_ctx;

	/*
	 * POSIX backend: every call (open, the operation, close) is done in a
	 * short-lived child and given up after io_timeout_us (0: no limit),
	 * returning -ETIME with the file in timed_out: a FUSE server that
	 * stops answering (SIGSTOP, a wedged handler) would otherwise hang
	 * the caller for ever, in a wait even SIGKILL cannot always end.
	 */
	uint64_t io_timeout_us;
	char timed_out[PATH_MAX];

	/* Backend state. */
	char root[PATH_MAX];		/* POSIX: the directory standing for /sys */
	void *priv;			/* other backends' own */
	const void *priv2;
};

/* A generous bound: only P-SEAMLDR's attributes take long on a real host. */
#define SYSFS_CLIENT_DEFAULT_IO_TIMEOUT_US	(30ULL * 1000000)

/* POSIX files under root (NULL: "/sys"), I/O bounded by the default. 0 or -ENAMETOOLONG. */
int sysfs_client_init_posix(struct sysfs_client *c, const char *root);
/* CLOCK_MONOTONIC and nanosleep (what init_posix sets). */
void sysfs_client_set_default_clock(struct sysfs_client *c);

/* ---- helpers over the ops ---- */

/* Read and strip trailing whitespace ("1.5.25\n" -> "1.5.25"). */
ssize_t sysfs_client_read_str(struct sysfs_client *c, const char *path, char *buf, size_t size);
/* Write a short text value in one write() at offset 0; 0 or -errno. */
int sysfs_client_write_str(struct sysfs_client *c, const char *path, const char *s);
/* 0 if path exists (links followed), else -errno. */
int sysfs_client_exists(struct sysfs_client *c, const char *path);
bool sysfs_client_is_dir(struct sysfs_client *c, const char *path);

static inline uint64_t sysfs_client_now_us(struct sysfs_client *c)
{
	return c->now_us(c->clock_ctx);
}

static inline void sysfs_client_sleep_us(struct sysfs_client *c, uint64_t us)
{
	c->sleep_us(c->clock_ctx, us);
}

#endif /* TDXUP_SYSFS_CLIENT_H */
