// SPDX-License-Identifier: MIT
/*
 * The updater's way to sysfs: POSIX files under a root directory (a real
 * /sys, or a FUSE mount of the emulator). The emulator supplies a second
 * backend over its in-process tree (emu/sysfs/client_tree.c) through the
 * same ops; nothing here knows of it. Each call opens, does one operation
 * and closes, as a shell script would: sysfs text attributes are read and
 * written whole per open, so no state is worth keeping across calls. The
 * one exception is the upload's data, written on one open (write_stream).
 */
#include <ctype.h>
#include <errno.h>
#include <linux/magic.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tdxup/sysfs_client.h"


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

/* Writes go to sysfs or a FUSE mount of the emulator, never a plain file. */
static int open_for_write(const char *full)
{
	int fd = open_attr(full, O_WRONLY);

	if (fd == -EINVAL)
		return -EXDEV;
	if (fd >= 0 && !on_sysfs(fd)) {
		close(fd);
		return -EXDEV;
	}
	return fd;
}

static ssize_t direct_write(const char *full, const void *buf, size_t count, uint64_t off)
{
	ssize_t n;
	int fd, ret;

	fd = open_for_write(full);
	if (fd < 0)
		return fd;
	do
		n = pwrite(fd, buf, count, (off_t)off);
	while (n < 0 && errno == EINTR);
	ret = n < 0 ? -errno : 0;
	/* sysfs may report a store's error at close only on some paths. */
	if (close(fd) && !ret && errno != EINTR)
		ret = -errno;
	return ret ? ret : n;
}

/* The whole image on one open of data, chunk bytes (at most) per write(). */
static ssize_t direct_write_stream(const char *full, const void *buf, size_t count, size_t chunk)
{
	size_t off = 0;
	ssize_t n;
	int fd, ret = 0;

	fd = open_for_write(full);
	if (fd < 0)
		return fd;
	while (!ret && off < count) {
		n = pwrite(fd, (const char *)buf + off, count - off < chunk ? count - off : chunk,
			   (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			ret = -errno;
		else if (!n)
			ret = -EIO;
		else
			off += (size_t)n;
	}
	if (close(fd) && !ret && errno != EINTR)
		ret = -errno;
	return ret;
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
 * A read of a FUSE file waits for the server's answer, and once the
 * server has taken the request not even a signal ends that wait (only
 * SIGKILL, and only while the request is still queued). So the call runs
 * in a child that holds nothing else open and reports over a pipe; the
 * parent waits up to io_timeout_us, then kills it and moves on. A child
 * stuck in the kernel's wait goes when the server answers or dies; it
 * keeps no lock (the parent's descriptors stay the parent's) and no
 * stdout or stderr, so nothing waits for it. Not a thread: a process
 * cannot end while one of its threads sits in that wait, so the updater
 * could not exit; a child is not waited for. The price is a fork per
 * call, small beside a FUSE round trip (--chunk sizes writes).
 */
enum io_kind { IO_READ, IO_WRITE, IO_STREAM, IO_STAT, IO_READLINK };

struct io_call {
	enum io_kind kind;
	const char *full;
	char *buf;			/* read, readlink: the answer */
	size_t size;
	const void *wbuf;		/* write */
	size_t count;
	uint64_t off;
	size_t chunk;			/* stream */
	bool follow;			/* stat */
	struct sysfs_client_stat *st;
};

struct io_head {
	ssize_t ret;
	struct sysfs_client_stat st;
};

static ssize_t io_direct(struct io_call *io)
{
	switch (io->kind) {
	case IO_READ:
		return direct_read(io->full, io->buf, io->size);
	case IO_WRITE:
		return direct_write(io->full, io->wbuf, io->count, io->off);
	case IO_STREAM:
		return direct_write_stream(io->full, io->wbuf, io->count, io->chunk);
	case IO_STAT:
		return direct_stat(io->full, io->follow, io->st);
	case IO_READLINK:
		return direct_readlink(io->full, io->buf, io->size);
	}
	return -EINVAL;
}

static bool io_returns_bytes(const struct io_call *io, ssize_t ret)
{
	return (io->kind == IO_READ || io->kind == IO_READLINK) && ret > 0;
}

static int write_all(int fd, const void *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p = (const char *)p + n;
		len -= (size_t)n;
	}
	return 0;
}

/* The child: only async-signal-safe calls, and _exit. */
static _Noreturn void io_child(struct io_call *io, int wfd, pid_t parent)
{
	struct sysfs_client_stat st = { 0 };
	struct io_head h = { 0 };

	/*
	 * The call is the updater's: if it dies (SIGKILL), so does the call,
	 * before it writes another byte of an upload nobody will finish.
	 */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(1);

	if (wfd != 3 && dup2(wfd, 3) < 0)
		_exit(1);
	/* The updater's locks must not live on in a call stuck in a FUSE wait. */
	if (close_range(4, ~0U, 0))
		for (int fd = 4; fd < 65536; fd++)
			close(fd);		/* before Linux 5.9 */
	close(0);
	close(1);
	close(2);
	if (io->kind == IO_STAT)
		io->st = &st;
	h.ret = io_direct(io);
	h.st = st;
	if (write_all(3, &h, sizeof(h)) ||
	    (io_returns_bytes(io, h.ret) && write_all(3, io->buf, (size_t)h.ret)))
		_exit(1);
	_exit(0);
}

/* len bytes from fd by the deadline: 0, -ETIME, or -EIO (the child died). */
static int read_by(int fd, void *p, size_t len, uint64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint64_t now;
	ssize_t n;
	int r;

	while (len) {
		now = real_now_us(NULL);
		if (now >= deadline)
			return -ETIME;
		r = poll(&pfd, 1, (int)((deadline - now + 999) / 1000));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (!r)
			continue;
		n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO;
		p = (char *)p + n;
		len -= (size_t)n;
	}
	return 0;
}

static ssize_t bounded(struct sysfs_client *c, struct io_call *io)
{
	pid_t parent;
	struct io_head h;
	int p[2], ret;
	uint64_t deadline;
	pid_t pid;

	if (!c->io_timeout_us)
		return io_direct(io);
	if (pipe2(p, O_CLOEXEC))
		return -errno;
	parent = getpid();
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		close(p[0]);
		close(p[1]);
		return ret;
	}
	if (!pid)
		io_child(io, p[1], parent);
	close(p[1]);
	deadline = real_now_us(NULL) + c->io_timeout_us;
	ret = read_by(p[0], &h, sizeof(h), deadline);
	if (!ret && io_returns_bytes(io, h.ret))
		ret = h.ret < (ssize_t)io->size ? read_by(p[0], io->buf, (size_t)h.ret, deadline)
						: -EIO;
	close(p[0]);
	if (ret) {
		kill(pid, SIGKILL);
		/* Not waited for: it may sit in the FUSE wait until the server answers. */
		waitpid(pid, NULL, WNOHANG);
		if (ret == -ETIME)
			snprintf(c->timed_out, sizeof(c->timed_out), "%s", io->full);
		return ret;
	}
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	/* An empty read is terminated too, as io_direct terminates it. */
	if ((io->kind == IO_READ || io->kind == IO_READLINK) && h.ret >= 0)
		io->buf[h.ret] = '\0';
	if (io->kind == IO_STAT && !h.ret)
		*io->st = h.st;
	return h.ret;
}

/* PATH under the client's root, then the call, bounded. */
static ssize_t posix_call(struct sysfs_client *c, const char *path, struct io_call *io)
{
	char full[PATH_MAX];
	int ret;

	if ((io->kind == IO_READ || io->kind == IO_READLINK) && !io->size)
		return -EINVAL;
	ret = posix_path(c, path, full, sizeof(full));
	if (ret)
		return ret;
	io->full = full;
	return bounded(c, io);
}

static ssize_t posix_read(struct sysfs_client *c, const char *path, char *buf, size_t size)
{
	struct io_call io = { .kind = IO_READ, .buf = buf, .size = size };

	return posix_call(c, path, &io);
}

static ssize_t posix_write(struct sysfs_client *c, const char *path, const void *buf,
			   size_t count, uint64_t off)
{
	struct io_call io = { .kind = IO_WRITE, .wbuf = buf, .count = count, .off = off };

	return posix_call(c, path, &io);
}

/* One bound for the whole stream: a page per write() is round trips, not calls. */
static int posix_write_stream(struct sysfs_client *c, const char *path, const void *buf,
			      size_t count, size_t chunk)
{
	struct io_call io = { .kind = IO_STREAM, .wbuf = buf, .count = count, .chunk = chunk };

	return (int)posix_call(c, path, &io);
}

static int posix_stat(struct sysfs_client *c, const char *path, bool follow,
		      struct sysfs_client_stat *st)
{
	struct io_call io = { .kind = IO_STAT, .follow = follow, .st = st };

	return (int)posix_call(c, path, &io);
}

static ssize_t posix_readlink(struct sysfs_client *c, const char *path, char *buf, size_t size)
{
	struct io_call io = { .kind = IO_READLINK, .buf = buf, .size = size };

	return posix_call(c, path, &io);
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
	c->write_stream = posix_write_stream;
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
