// SPDX-License-Identifier: MIT
/*
 * The updater's way to sysfs: POSIX files under a root directory (a real
 * /sys, or a FUSE mount of the emulator). The emulator supplies a second
 * backend over its in-process tree (emu/sysfs/client_tree.c) through the
 * same ops; nothing here knows of it. Each call opens, does one operation
 * and closes, as a shell script would: sysfs text attributes are read and
 * written whole per open, so no state is worth keeping across calls.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "tdxup/sysfs_client.h"

/* statfs(2) f_type values (linux/magic.h). */
#define SYSFS_MAGIC		0x62656572UL
#define FUSE_SUPER_MAGIC	0x65735546UL

/* ---- default clock: CLOCK_MONOTONIC and nanosleep ---- */

static uint64_t real_now_us(void *ctx)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void real_sleep_us(void *ctx, uint64_t us)
{
	struct timespec ts = {
		.tv_sec = (time_t)(us / 1000000u),
		.tv_nsec = (long)(us % 1000000u) * 1000,
	};

	/* Restart after signals so a sleep is never cut short silently. */
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

void sysfs_client_set_default_clock(struct sysfs_client *c)
{
	c->now_us = real_now_us;
	c->sleep_us = real_sleep_us;
	c->clock_ctx = NULL;
}


/* ---- POSIX backend ---- */

static int posix_path(const struct sysfs_client *c, const char *path, char *out, size_t size)
{
	int n;

	while (*path == '/')
		path++;
	n = snprintf(out, size, "%s/%s", c->root, path);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/*
 * Open an attribute as sysfs files are: the last component must not be a
 * link (O_NOFOLLOW: a link planted where a mount should be must not make
 * root write another file), never a controlling terminal, and a regular
 * file (a FIFO where an attribute should be must not hang, a device must
 * not be read). Opened without blocking, then set blocking as usual.
 */
static int open_attr(const char *path, int mode)
{
	int fd = open(path, mode | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY), fl;
	struct stat st;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		fl = -errno;
		close(fd);
		return fl;
	}
	return fd;
}

static bool on_sysfs(int fd)
{
	struct statfs fs;

	return !fstatfs(fd, &fs) && ((unsigned long)fs.f_type == SYSFS_MAGIC ||
				     (unsigned long)fs.f_type == FUSE_SUPER_MAGIC);
}

static ssize_t direct_read(const char *full, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;
	int fd, ret;

	fd = open_attr(full, O_RDONLY);
	if (fd < 0)
		return fd;
	while (len < size - 1) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			close(fd);
			return ret;
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return (ssize_t)len;
}

static ssize_t direct_write(const char *full, const void *buf, size_t count, uint64_t off)
{
	ssize_t n;
	int fd, ret;

	fd = open_attr(full, O_WRONLY);
	if (fd == -EINVAL)
		return -EXDEV;
	if (fd < 0)
		return fd;
	/* Writes go to sysfs or a FUSE mount of the emulator, never a plain file. */
	if (!on_sysfs(fd)) {
		close(fd);
		return -EXDEV;
	}
	do
		n = pwrite(fd, buf, count, (off_t)off);
	while (n < 0 && errno == EINTR);
	ret = n < 0 ? -errno : 0;
	/* sysfs may report a store's error at close only on some paths. */
	if (close(fd) && !ret && errno != EINTR)
		ret = -errno;
	return ret ? ret : n;
}

static int direct_stat(const char *full, bool follow, struct sysfs_client_stat *st)
{
	struct stat sb;

	if ((follow ? stat(full, &sb) : lstat(full, &sb)) < 0)
		return -errno;
	if (S_ISDIR(sb.st_mode))
		st->type = SYSFS_CLIENT_DIR;
	else if (S_ISREG(sb.st_mode))
		st->type = SYSFS_CLIENT_FILE;
	else if (S_ISLNK(sb.st_mode))
		st->type = SYSFS_CLIENT_LINK;
	else
		st->type = SYSFS_CLIENT_OTHER;
	st->mode = sb.st_mode & 07777;
	st->size = (uint64_t)sb.st_size;
	return 0;
}

static ssize_t direct_readlink(const char *full, char *buf, size_t size)
{
	ssize_t n;

	n = readlink(full, buf, size - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}

/*
 * ---- bounded calls ----
 *
 * A read of a FUSE file waits for the server's answer, and no signal but
 * SIGKILL ends that wait (and that only while the request is still
 * queued). So each call runs on a thread of its own with its own copy of
 * the path and the bytes; the caller waits up to io_timeout_us, then
 * leaves it and moves on. An abandoned thread frees its request when the
 * server finally answers, or dies with the process (exit kills it while
 * its request is queued, as when the server is stopped).
 */
enum io_kind { IO_READ, IO_WRITE, IO_STAT, IO_READLINK };

struct io_call {
	enum io_kind kind;
	char full[PATH_MAX];
	char *buf;			/* read, readlink: the answer; write: the bytes */
	size_t size;			/* read, readlink: room; write: count */
	uint64_t off;
	bool follow;			/* stat */
	struct sysfs_client_stat st;
	ssize_t ret;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
	int refs;			/* the caller, and the thread while it runs */
};

static ssize_t io_direct(struct io_call *io)
{
	switch (io->kind) {
	case IO_READ:
		return direct_read(io->full, io->buf, io->size);
	case IO_WRITE:
		return direct_write(io->full, io->buf, io->size, io->off);
	case IO_STAT:
		return direct_stat(io->full, io->follow, &io->st);
	case IO_READLINK:
		return direct_readlink(io->full, io->buf, io->size);
	}
	return -EINVAL;
}

static void io_put(struct io_call *io)
{
	bool last;

	pthread_mutex_lock(&io->lock);
	last = !--io->refs;
	pthread_mutex_unlock(&io->lock);
	if (!last)
		return;
	pthread_cond_destroy(&io->cond);
	pthread_mutex_destroy(&io->lock);
	free(io->buf);
	free(io);
}

static void *io_thread(void *arg)
{
	struct io_call *io = arg;
	ssize_t ret = io_direct(io);

	pthread_mutex_lock(&io->lock);
	io->ret = ret;
	io->done = true;
	pthread_cond_signal(&io->cond);
	pthread_mutex_unlock(&io->lock);
	io_put(io);
	return NULL;
}

static struct io_call *io_new(enum io_kind kind, const char *full, size_t size)
{
	struct io_call *io = calloc(1, sizeof(*io));
	pthread_condattr_t ca;

	if (!io)
		return NULL;
	io->buf = size ? malloc(size) : NULL;
	if (size && !io->buf) {
		free(io);
		return NULL;
	}
	io->kind = kind;
	io->size = size;
	snprintf(io->full, sizeof(io->full), "%s", full);
	pthread_mutex_init(&io->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&io->cond, &ca);
	pthread_condattr_destroy(&ca);
	io->refs = 1;
	return io;
}

/* Run io on its thread; its result, or -ETIME with the file in c->timed_out. */
static ssize_t io_run(struct sysfs_client *c, struct io_call *io)
{
	pthread_attr_t attr;
	struct timespec until;
	pthread_t t;
	ssize_t ret;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += (time_t)(c->io_timeout_us / 1000000u);
	until.tv_nsec += (long)(c->io_timeout_us % 1000000u) * 1000;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	io->refs = 2;
	err = pthread_create(&t, &attr, io_thread, io);
	pthread_attr_destroy(&attr);
	if (err) {
		io->refs = 1;
		return -err;
	}
	pthread_mutex_lock(&io->lock);
	err = 0;
	while (!io->done && err != ETIMEDOUT)
		err = pthread_cond_timedwait(&io->cond, &io->lock, &until);
	ret = io->done ? io->ret : -ETIME;
	pthread_mutex_unlock(&io->lock);
	if (ret == -ETIME)
		snprintf(c->timed_out, sizeof(c->timed_out), "%s", io->full);
	return ret;
}

/* One call, bounded unless io_timeout_us is 0; out: where an answer goes. */
static ssize_t bounded(struct sysfs_client *c, struct io_call *io, char *out)
{
	ssize_t ret;

	ret = c->io_timeout_us ? io_run(c, io) : io_direct(io);
	if (ret >= 0 && out && (io->kind == IO_READ || io->kind == IO_READLINK))
		memcpy(out, io->buf, (size_t)ret + 1);
	return ret;
}

static ssize_t call(struct sysfs_client *c, enum io_kind kind, const char *path, char *out,
		    size_t size, const void *wbuf, uint64_t off, bool follow,
		    struct sysfs_client_stat *st)
{
	char full[PATH_MAX];
	struct io_call *io;
	ssize_t ret;

	ret = posix_path(c, path, full, sizeof(full));
	if (ret)
		return ret;
	io = io_new(kind, full, size);
	if (!io)
		return -ENOMEM;
	if (wbuf && size)
		memcpy(io->buf, wbuf, size);
	io->off = off;
	io->follow = follow;
	ret = bounded(c, io, out);
	if (!ret && st)
		*st = io->st;
	io_put(io);
	return ret;
}

static ssize_t posix_read(struct sysfs_client *c, const char *path, char *buf, size_t size)
{
	if (!size)
		return -EINVAL;
	return call(c, IO_READ, path, buf, size, NULL, 0, false, NULL);
}

static ssize_t posix_write(struct sysfs_client *c, const char *path, const void *buf,
			   size_t count, uint64_t off)
{
	return call(c, IO_WRITE, path, NULL, count, buf, off, false, NULL);
}

static int posix_stat(struct sysfs_client *c, const char *path, bool follow,
		      struct sysfs_client_stat *st)
{
	return (int)call(c, IO_STAT, path, NULL, 0, NULL, 0, follow, st);
}

static ssize_t posix_readlink(struct sysfs_client *c, const char *path, char *buf, size_t size)
{
	if (!size)
		return -EINVAL;
	return call(c, IO_READLINK, path, buf, size, NULL, 0, false, NULL);
}

int sysfs_client_init_posix(struct sysfs_client *c, const char *root)
{
	size_t len;

	memset(c, 0, sizeof(*c));
	if (!root)
		root = "/sys";
	len = strlen(root);
	if (len >= sizeof(c->root))
		return -ENAMETOOLONG;
	memcpy(c->root, root, len + 1);
	/* "ROOT/" and "ROOT" name the same directory. */
	while (len > 1 && c->root[len - 1] == '/')
		c->root[--len] = '\0';
	c->read = posix_read;
	c->write = posix_write;
	c->stat = posix_stat;
	c->readlink = posix_readlink;
	c->io_timeout_us = SYSFS_CLIENT_DEFAULT_IO_TIMEOUT_US;
	sysfs_client_set_default_clock(c);
	return 0;
}

/* ---- helpers ---- */

ssize_t sysfs_client_read_str(struct sysfs_client *c, const char *path, char *buf, size_t size)
{
	ssize_t n = c->read(c, path, buf, size);

	if (n < 0)
		return n;
	while (n > 0 && isspace((unsigned char)buf[n - 1]))
		buf[--n] = '\0';
	/* Attributes are one line of text: garbage must not reach a terminal or JSON. */
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] < 0x20 || buf[i] > 0x7e)
			buf[i] = '?';
	return n;
}

int sysfs_client_write_str(struct sysfs_client *c, const char *path, const char *s)
{
	size_t len = strlen(s);
	ssize_t n = c->write(c, path, s, len, 0);

	if (n < 0)
		return (int)n;
	/* A text store takes the whole value or fails; short means trouble. */
	return (size_t)n == len ? 0 : -EIO;
}

int sysfs_client_exists(struct sysfs_client *c, const char *path)
{
	struct sysfs_client_stat st;

	return c->stat(c, path, true, &st);
}

bool sysfs_client_is_dir(struct sysfs_client *c, const char *path)
{
	struct sysfs_client_stat st;

	return !c->stat(c, path, true, &st) && st.type == SYSFS_CLIENT_DIR;
}
