// SPDX-License-Identifier: MIT
/*
 * The build lease's file handling: the directory, regular files only,
 * bounded lock waits, the one reclaim rule, entry parsing. The protocol is
 * docs/lease.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "lease/lease_internal.h"
#include "tdxup/fsafe.h"

void lease_seterr(struct lease_err *e, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

bool lease_id_valid(const char *id)
{
	size_t n = 0;

	if (!id || !id[0] || id[0] == '.')
		return false;
	for (; id[n]; n++) {
		char c = id[n];

		if (n >= LEASE_ID_MAX)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

int lease_dir_of(const char *sysroot, char *buf, size_t len)
{
	size_t n = strlen(sysroot);
	int ret;

	while (n > 1 && sysroot[n - 1] == '/')
		n--;
	if (n == 1 && sysroot[0] == '/')
		n = 0;
	ret = snprintf(buf, len, "%.*s/%s", (int)n, sysroot, LEASE_DIR_REL);
	return ret < 0 || (size_t)ret >= len ? -ENAMETOOLONG : 0;
}

static _Atomic(const struct lease_clock *) lease_clock;

void lease_set_clock(const struct lease_clock *clock)
{
	atomic_store(&lease_clock, clock);
}

uint64_t lease_now_us(void)
{
	const struct lease_clock *c = atomic_load(&lease_clock);
	struct timespec ts;

	if (c)
		return c->now_us(c->ctx);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t lease_deadline(uint64_t timeout_us)
{
	uint64_t now = lease_now_us();

	return timeout_us > UINT64_MAX - now ? UINT64_MAX : now + timeout_us;
}

void lease_point(enum lease_point pt)
{
	const struct lease_clock *c = atomic_load(&lease_clock);

	if (c && c->point)
		c->point(c->ctx, pt);
}

void lease_pause(void)
{
	const struct lease_clock *c = atomic_load(&lease_clock);
	struct timespec ts = { 0, LEASE_POLL_US * 1000 };

	if (c) {
		c->sleep_us(c->ctx, LEASE_POLL_US);
		return;
	}
	nanosleep(&ts, NULL);
}

/*
 * Who may take a lease without being root: the members of LEASE_GROUP
 * (docs/lease.md, "Who may take a lease"). Only root can give a file a
 * group it is not in, so everyone else keeps its own; without the group
 * the lease is root's alone.
 */
gid_t lease_group(void)
{
	struct group gr, *res = NULL;
	char buf[2048];

	if (geteuid() != 0)
		return (gid_t)-1;
	if (getgrnam_r(LEASE_GROUP, &gr, buf, sizeof(buf), &res) || !res)
		return 0;
	return res->gr_gid;
}

static int fsafe_fail(struct lease_err *e, const struct fsafe_err *fe, int ret)
{
	lease_seterr(e, "%s", fe->msg);
	return ret;
}

/*
 * Create DIR (exact MODE and group) if it is missing, then check it as
 * fsafe does: a symlink, another user's directory, or one that others can
 * write is refused by name, before anything in it is touched.
 */
int lease_open_dir_mode(const char *dir, bool create, unsigned int mode, gid_t gid,
			unsigned int flags, struct lease_err *e)
{
	struct fsafe_err fe = { "" };
	struct stat st;
	int fd, ret;

	if (create && lstat(dir, &st) && errno == ENOENT) {
		ret = fsafe_ensure_dir(dir, mode, gid, &fe);
		if (ret == -EACCES && geteuid() != 0) {
			lease_seterr(e, "%s: does not exist and uid %u cannot create it: it is "
				     "created by tdxup run as root or by systemd-tmpfiles at boot",
				     dir, (unsigned int)geteuid());
			return ret;
		}
		if (ret)
			return fsafe_fail(e, &fe, ret);
	}
	ret = fsafe_check_dir(dir, flags, &fe);
	if (ret == -ENOENT) {
		lease_seterr(e, "%s: %s", dir, strerror(ENOENT));
		return ret;
	}
	if (ret)
		return fsafe_fail(e, &fe, ret);
	fd = open(dir, O_RDONLY | O_DIRECTORY | LEASE_OFLAGS);
	if (fd < 0) {
		ret = -errno;
		lease_seterr(e, "%s: %s", dir, strerror(errno));
		return ret;
	}
	return fd;
}

int lease_open_dir(const char *dir, bool create, struct lease_err *e)
{
	return lease_open_dir_mode(dir, create, LEASE_DIR_MODE, lease_group(), 0, e);
}

int lease_open_builds(int dfd, const char *dir, bool create, struct lease_err *e)
{
	char path[PATH_MAX];
	int fd, ret;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, LEASE_BUILDS) >= sizeof(path)) {
		lease_seterr(e, "%s: path too long", dir);
		return -ENAMETOOLONG;
	}
	/* Sticky: a member may add its own entry, never rename another's. */
	ret = lease_open_dir_mode(path, create, LEASE_BUILDS_MODE, lease_group(),
				  FSAFE_GROUP_STICKY, e);
	if (ret < 0)
		return ret;
	close(ret);
	fd = openat(dfd, LEASE_BUILDS, O_RDONLY | O_DIRECTORY | LEASE_OFLAGS);
	if (fd >= 0)
		return fd;
	fd = -errno;
	lease_seterr(e, "%s: %s", path, strerror(-fd));
	return fd;
}

int lease_open_own(int dfd, const char *dir, const char *name, unsigned int mode,
		   struct lease_err *e)
{
	struct fsafe_err fe = { "" };
	int fd;

	fd = fsafe_open_lock(dfd, dir, name, mode, mode & 070 ? lease_group() : (gid_t)-1, &fe);
	if (fd == -EACCES && geteuid() != 0) {
		lease_seterr(e, "%s/%s: missing, and uid %u may not create it: it is created "
			     "by tdxup run as root or by systemd-tmpfiles at boot", dir, name,
			     (unsigned int)geteuid());
		return fd;
	}
	return fd < 0 ? fsafe_fail(e, &fe, fd) : fd;
}

int lease_open_root(int dfd, const char *dir, const char *name, struct lease_err *e)
{
	struct fsafe_err fe = { "" };
	int fd = fsafe_open_trusted(dfd, dir, name, &fe);

	if (fd == -ENOENT)
		return fd;
	return fd < 0 ? fsafe_fail(e, &fe, fd) : fd;
}

int lease_open_reg(int dfd, const char *dir, const char *name, int flags,
		   struct lease_err *e)
{
	struct stat st;
	int fd, err;

	/* O_NONBLOCK: a FIFO planted here must not hang the open. */
	fd = openat(dfd, name, flags | O_NONBLOCK | LEASE_OFLAGS, 0644);
	if (fd < 0) {
		err = -errno;
		if (err == -ELOOP)
			lease_seterr(e, "%s/%s: is a symlink, refused", dir, name);
		else
			lease_seterr(e, "%s/%s: %s", dir, name, strerror(errno));
		return err;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		lease_seterr(e, "%s/%s: not a regular file, refused", dir, name);
		return -EINVAL;
	}
	return fd;
}

static int lock_until(int fd, int op, uint64_t deadline, bool gate)
{
	for (;;) {
		if (gate)
			lease_point(op == LOCK_SH ? LEASE_PT_GATE_SH : LEASE_PT_GATE_EX);
		if (!flock(fd, op | LOCK_NB))
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -errno;
		if (lease_now_us() >= deadline)
			return -ETIMEDOUT;
		lease_pause();
	}
}

int lease_lock_until(int fd, int op, uint64_t deadline)
{
	return lock_until(fd, op, deadline, false);
}

int lease_lock_gate(int fd, int op, uint64_t deadline)
{
	return lock_until(fd, op, deadline, true);
}

int lease_write_all(int fd, const char *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = pwrite(fd, buf + off, len - off, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		off += (size_t)n;
	}
	return 0;
}

bool lease_same_file(int dfd, const char *name, int fd)
{
	struct stat a, b;

	if (fstatat(dfd, name, &a, AT_SYMLINK_NOFOLLOW) || fstat(fd, &b))
		return false;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/*
 * Only the holder of an inode's lock may unlink a name of it, after checking
 * that the name still names it: a name can then change only through its
 * lock holder (creations use link(), which never replaces), so the check
 * stays true until the unlink and no live entry is ever removed.
 */
int lease_reclaim(int bdfd, const char *name)
{
	int fd, ret = 0;

	fd = openat(bdfd, name, O_RDONLY | O_NONBLOCK | LEASE_OFLAGS);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		ret = errno == EWOULDBLOCK ? 0 : -errno;
		goto out;
	}
	if (lease_same_file(bdfd, name, fd)) {
		ret = unlinkat(bdfd, name, 0) ? -errno : 1;
		if (ret == -ENOENT)
			ret = 0;
	}
out:
	close(fd);
	return ret;
}

static bool parse_long(const char *s, long long min, long long *v)
{
	char *end;

	errno = 0;
	*v = strtoll(s, &end, 10);
	return !errno && end != s && !*end && *v >= min;
}

/* Content: the magic line, then key=value lines; id must be the file's name. */
bool lease_entry_parse(const char *name, const char *buf, struct lease_entry *ent)
{
	char copy[1024], *line, *save = NULL;
	bool have_id = false, have_pid = false, have_since = false;
	long long v;

	memset(ent, 0, sizeof(*ent));
	snprintf(ent->id, sizeof(ent->id), "%s", name);
	if (strlen(buf) >= sizeof(copy))
		return false;
	strcpy(copy, buf);
	line = strtok_r(copy, "\n", &save);
	if (!line || strcmp(line, LEASE_ENTRY_MAGIC))
		return false;
	while ((line = strtok_r(NULL, "\n", &save))) {
		if (!strncmp(line, "id=", 3)) {
			have_id = !strcmp(line + 3, name);
		} else if (!strncmp(line, "pid=", 4)) {
			have_pid = parse_long(line + 4, 1, &v) && v <= INT32_MAX;
			ent->pid = (long)v;
		} else if (!strncmp(line, "since=", 6)) {
			have_since = parse_long(line + 6, 0, &v);
			ent->since = v;
		} else if (!strcmp(line, "holder=cli")) {
			ent->cli = true;
		} else if (!strncmp(line, "desc=", 5)) {
			snprintf(ent->desc, sizeof(ent->desc), "%s", line + 5);
		}
	}
	ent->valid = have_id && have_pid && have_since;
	if (!ent->valid) {
		ent->pid = 0;
		ent->cli = false;
	}
	return ent->valid;
}

void lease_entry_read(int fd, const char *name, struct lease_entry *ent)
{
	char buf[1024];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	if (n <= 0 || (size_t)n == sizeof(buf) - 1 || memchr(buf, '\0', (size_t)n))
		buf[0] = '\0';
	lease_entry_parse(name, buf, ent);
}

static long hold_pid(int fd)
{
	char buf[128], *p;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	long long v;

	buf[n > 0 ? n : 0] = '\0';
	p = strstr(buf, "\npid=");
	if (!p || strncmp(buf, LEASE_HOLD_MAGIC "\n", sizeof(LEASE_HOLD_MAGIC)))
		return 0;
	p += 5;
	p[strcspn(p, "\n")] = '\0';
	return parse_long(p, 1, &v) ? (long)v : 0;
}

/*
 * A hold is live while its file is locked. The updater locks it before the
 * name exists (rename of a locked temporary), so this probe never competes
 * with the updater for the lock; a stale hold (updater killed) probes free.
 */
int lease_hold_held(int dfd, const char *dir, long *pid, struct lease_err *e)
{
	int fd = lease_open_root(dfd, dir, LEASE_HOLD, e);
	int ret;

	if (pid)
		*pid = 0;
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	if (!flock(fd, LOCK_SH | LOCK_NB)) {
		ret = 0;
	} else if (errno == EWOULDBLOCK) {
		ret = 1;
		if (pid)
			*pid = hold_pid(fd);
	} else {
		ret = -errno;
		lease_seterr(e, "%s/%s: flock: %s", dir, LEASE_HOLD, strerror(errno));
	}
	close(fd);
	return ret;
}
