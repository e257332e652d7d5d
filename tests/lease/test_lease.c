// SPDX-License-Identifier: MIT
/*
 * The build lease across processes (docs/lease.md): builders and updaters
 * are forked children, crashes are SIGKILL at seeded random points, and
 * every wait is bounded polling for a condition, never a sleep that a
 * slow machine could lose.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tdxup/lease.h"

#define SEC		1000000ULL
#define WAIT_MS		20000	/* bound on any wait for another process */

/* Every child, so that a failed assertion leaves none running. */
static pid_t children[64];
static int nr_children;

static pid_t spawn(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid > 0 && nr_children < 64)
		children[nr_children++] = pid;
	return pid;
}

/* waitpid, and the pid is no longer ours to kill. */
static void reap(pid_t pid)
{
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	for (int i = 0; i < nr_children; i++)
		if (children[i] == pid)
			children[i] = children[--nr_children];
}

struct fixture {
	char root[64];
	char dir[128];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->root, "/tmp/tdxup-lease-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	snprintf(f->dir, sizeof(f->dir), "%s/run/tdxup/lease", f->root);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	for (int i = 0; i < nr_children; i++)
		if (!kill(children[i], SIGKILL))
			waitpid(children[i], NULL, 0);
	nr_children = 0;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Read one byte from fd within WAIT_MS; the byte, or -1 on EOF. */
static int read_byte(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	unsigned char c;

	assert_int_equal(poll(&p, 1, WAIT_MS), 1);
	return read(fd, &c, 1) == 1 ? c : -1;
}

static void write_byte(int fd, int c)
{
	unsigned char b = (unsigned char)c;

	if (write(fd, &b, 1) != 1)
		_exit(99);
}

static void kill_wait(pid_t pid)
{
	kill(pid, SIGKILL);
	reap(pid);
}

static int nr_files(const char *dir)
{
	struct dirent *d;
	DIR *dp = opendir(dir);
	int n = 0;

	if (!dp)
		return -1;
	while ((d = readdir(dp)))
		n += strcmp(d->d_name, ".") && strcmp(d->d_name, "..");
	closedir(dp);
	return n;
}

static const char *builds_of(const struct fixture *f)
{
	static char path[160];

	snprintf(path, sizeof(path), "%s/builds", f->dir);
	return path;
}

#define MAX_SEEN 8
struct seen {
	int nr;
	struct lease_entry ent[MAX_SEEN];
};

static void collect(const struct lease_entry *ent, void *ctx)
{
	struct seen *s = ctx;

	if (s->nr < MAX_SEEN)
		s->ent[s->nr] = *ent;
	s->nr++;
}

static int by_id(const void *a, const void *b)
{
	return strcmp(((const struct lease_entry *)a)->id, ((const struct lease_entry *)b)->id);
}

static int nr_live(const struct fixture *f, long *holder)
{
	struct lease_err e;
	int nr = lease_list(f->dir, NULL, NULL, holder, &e);

	assert_true(nr >= 0);
	return nr;
}

/*
 * A builder child: begins each id (timeout 10s), says 'r' on *rfd, then
 * reads one byte per id and ends the ids in order, saying 'e' after each.
 * The byte 'w' makes it first wait until an updater holds.
 */
static pid_t spawn_builder(const struct fixture *f, const char *const *ids, int nr, int *rfd,
			   int *wfd)
{
	int up[2], down[2];
	pid_t pid;

	assert_int_equal(pipe(up), 0);
	assert_int_equal(pipe(down), 0);
	pid = spawn();
	if (!pid) {
		struct lease_build b[4];
		struct lease_err e;

		close(up[0]);
		close(down[1]);
		for (int i = 0; i < nr; i++)
			if (lease_build_begin(&b[i], f->dir, ids[i], "vm", 10 * SEC, false, &e))
				_exit(2);
		write_byte(up[1], 'r');
		for (int i = 0; i < nr; i++) {
			unsigned char c;

			long holder = 0;

			if (read(down[0], &c, 1) != 1)
				_exit(0);	/* parent gone: exit ends all */
			for (int n = 0; c == 'w' && !holder && n < WAIT_MS * 10; n++) {
				lease_list(f->dir, NULL, NULL, &holder, &e);
				usleep(100);
			}
			lease_build_end(&b[i]);
			write_byte(up[1], 'e');
		}
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	*rfd = up[0];
	*wfd = down[1];
	return pid;
}

static void test_begin_end(void **state)
{
	struct fixture *f = *state;
	struct lease_build b, dup;
	struct lease_err e;
	struct seen s = { 0 };
	struct stat st;
	char path[192];
	long holder;

	assert_int_equal(lease_build_begin(&b, f->dir, "vm-1", "first\nline", 0, false, &e), 0);
	assert_int_equal(lease_list(f->dir, collect, &s, &holder, &e), 1);
	assert_int_equal(holder, 0);
	assert_string_equal(s.ent[0].id, "vm-1");
	assert_true(s.ent[0].valid);
	assert_int_equal(s.ent[0].pid, getpid());
	assert_false(s.ent[0].cli);
	assert_string_equal(s.ent[0].desc, "first?line");

	/* Modes (docs/lease.md, "Files"): the directory 0750, builds/ 1770, entries 0640. */
	assert_int_equal(stat(f->dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0750);
	assert_int_equal(stat(builds_of(f), &st), 0);
	assert_int_equal(st.st_mode & 07777, 01770);
	snprintf(path, sizeof(path), "%s/vm-1", builds_of(f));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	snprintf(path, sizeof(path), "%s/gate", f->dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);

	/* The same id while live: refused, named; the first is untouched. */
	assert_int_equal(lease_build_begin(&dup, f->dir, "vm-1", NULL, 0, false, &e), -EEXIST);
	assert_non_null(strstr(e.msg, "builds/vm-1: a build with this id is in flight"));
	assert_int_equal(nr_live(f, NULL), 1);

	assert_int_equal(lease_build_end(&b), 0);
	assert_int_equal(nr_live(f, NULL), 0);
	assert_int_equal(nr_files(builds_of(f)), 0);
	assert_int_equal(lease_build_end(&b), 0);	/* twice is harmless */

	assert_int_equal(lease_build_begin(&b, f->dir, ".hidden", NULL, 0, false, &e), -EINVAL);
	assert_int_equal(lease_build_begin(&b, f->dir, "a/b", NULL, 0, false, &e), -EINVAL);
	assert_int_equal(lease_build_begin(&b, f->dir, "", NULL, 0, false, &e), -EINVAL);
	assert_true(lease_id_valid("A.z_0-9"));
	assert_false(lease_id_valid("x y"));
	assert_true(lease_id_valid("0123456789012345678901234567890123456789012345678901234567890123"));
	assert_false(lease_id_valid("01234567890123456789012345678901234567890123456789012345678901234"));
}

static void test_hold_times_out_with_list(void **state)
{
	static const char *const ids[] = { "vm-b", "vm-a" };
	struct fixture *f = *state;
	struct lease_hold h;
	struct lease_build b;
	struct lease_err e;
	struct seen s = { 0 };
	int rfd, wfd;
	pid_t pid;

	pid = spawn_builder(f, ids, 2, &rfd, &wfd);
	assert_int_equal(read_byte(rfd), 'r');

	assert_int_equal(lease_hold(&h, f->dir, 30000, collect, &s, &e), -ETIMEDOUT);
	assert_non_null(strstr(e.msg, ": 2 builds still in flight"));
	assert_int_equal(s.nr, 2);
	qsort(s.ent, 2, sizeof(s.ent[0]), by_id);
	assert_string_equal(s.ent[0].id, "vm-a");
	assert_string_equal(s.ent[1].id, "vm-b");
	assert_int_equal(s.ent[0].pid, pid);
	assert_int_equal(s.ent[1].pid, pid);
	assert_string_equal(s.ent[0].desc, "vm");

	/* The timed-out hold released everything: builds start again at once. */
	assert_int_equal(lease_build_begin(&b, f->dir, "after", NULL, 0, false, &e), 0);
	assert_int_equal(lease_build_end(&b), 0);

	/*
	 * A hold in place waits for the builds in flight: the builder ends
	 * the last one only once it sees the hold, so the hold cannot return
	 * before that end ('e' is then already written).
	 */
	write_byte(wfd, 'x');
	assert_int_equal(read_byte(rfd), 'e');
	assert_int_equal(lease_hold(&h, f->dir, 0, NULL, NULL, &e), -ETIMEDOUT);
	write_byte(wfd, 'w');
	assert_int_equal(lease_hold(&h, f->dir, 10 * SEC, NULL, NULL, &e), 0);
	{
		struct pollfd pf = { .fd = rfd, .events = POLLIN };

		assert_int_equal(poll(&pf, 1, 0), 1);
	}
	assert_int_equal(read_byte(rfd), 'e');
	assert_int_equal(nr_live(f, NULL), 0);
	lease_release(&h);
	reap(pid);
	close(rfd);
	close(wfd);
}

/*
 * Builders killed with SIGKILL anywhere: before registering, while in
 * flight, inside end (the kill lands at a random moment). Once they are
 * dead, a hold succeeds without waiting and every trace is reclaimed.
 */
static void test_killed_builders_never_wedge(void **state)
{
	struct fixture *f = *state;
	struct lease_hold h;
	struct lease_err e;
	unsigned short seed[3] = { 0x7d, 0x31, 0x5eed };

	for (int it = 0; it < 150; it++) {
		long phase = nrand48(seed) % 4, delay = nrand48(seed) % 1500;
		int p[2];
		pid_t pid;

		assert_int_equal(pipe(p), 0);
		pid = spawn();
		if (!pid) {
			struct lease_build b;
			char id[32];

			close(p[0]);
			snprintf(id, sizeof(id), "k-%d", it % 5);
			write_byte(p[1], 's');
			if (phase == 0)
				raise(SIGKILL);
			if (lease_build_begin(&b, f->dir, id, "doomed", 5 * SEC, false, &e))
				_exit(3);
			if (phase == 1)
				raise(SIGKILL);
			if (phase == 2)
				lease_build_end(&b);
			for (;;)
				pause();
		}
		close(p[1]);
		assert_int_equal(read_byte(p[0]), 's');
		close(p[0]);
		usleep((useconds_t)delay);	/* where the kill lands, not an assertion */
		kill_wait(pid);
		assert_int_equal(lease_hold(&h, f->dir, 0, NULL, NULL, &e), 0);
		assert_int_equal(nr_files(builds_of(f)), 0);
		lease_release(&h);
	}
}

/* An updater killed while holding: waiting builders go on at once. */
static void test_killed_updater_releases(void **state)
{
	struct fixture *f = *state;
	struct lease_build b;
	struct lease_err e;
	int p[2], q[2];
	pid_t upd, bld;
	long holder;

	assert_int_equal(pipe(p), 0);
	upd = spawn();
	if (!upd) {
		struct lease_hold h;

		if (lease_hold(&h, f->dir, SEC, NULL, NULL, &e))
			_exit(2);
		write_byte(p[1], 'h');
		for (;;)
			pause();
	}
	assert_int_equal(read_byte(p[0]), 'h');
	assert_int_equal(lease_build_begin(&b, f->dir, "w", NULL, 1000, false, &e), -ETIMEDOUT);
	assert_non_null(strstr(e.msg, "builds are held by an updater (pid"));
	assert_int_equal(nr_live(f, &holder), 0);
	assert_int_equal(holder, upd);

	assert_int_equal(pipe(q), 0);
	bld = spawn();
	if (!bld) {
		int ret = lease_build_begin(&b, f->dir, "waiter", NULL, 30 * SEC, false, &e);

		write_byte(q[1], ret ? 'F' : 'B');
		for (;;)
			pause();
	}
	/* Held: whatever the timing, the waiter is not registered. */
	assert_int_equal(nr_live(f, NULL), 0);
	kill_wait(upd);
	assert_int_equal(read_byte(q[0]), 'B');
	assert_int_equal(nr_live(f, &holder), 1);
	assert_int_equal(holder, 0);
	kill_wait(bld);
	/* The stale hold file does not stop anyone. */
	assert_int_equal(lease_build_begin(&b, f->dir, "w", NULL, 0, false, &e), 0);
	assert_int_equal(lease_build_end(&b), 0);
	for (int i = 0; i < 2; i++) {
		close(p[i]);
		close(q[i]);
	}
}

/* Builders start without pause; the updater still gets its hold. */
static void test_no_starvation(void **state)
{
	struct fixture *f = *state;
	struct lease_hold h;
	struct lease_err e;
	pid_t pids[3];
	int ready[2];

	assert_int_equal(pipe(ready), 0);
	for (int c = 0; c < 3; c++) {
		pids[c] = spawn();
		if (pids[c])
			continue;
		for (unsigned int n = 0; ; n++) {
			struct lease_build b;
			char id[32];

			snprintf(id, sizeof(id), "s%d-%u", c, n % 4);
			if (lease_build_begin(&b, f->dir, id, NULL, 60 * SEC, false, &e))
				_exit(2);
			if (n == 20)
				write_byte(ready[1], 'r');
			usleep(500);
			lease_build_end(&b);
		}
	}
	for (int c = 0; c < 3; c++)
		assert_int_equal(read_byte(ready[0]), 'r');
	assert_int_equal(lease_hold(&h, f->dir, 10 * SEC, NULL, NULL, &e), 0);
	/* While held no build is in flight, however often they try. */
	for (int i = 0; i < 200; i++) {
		assert_int_equal(nr_live(f, NULL), 0);
		usleep(100);
	}
	lease_release(&h);
	for (int c = 0; c < 3; c++)
		kill_wait(pids[c]);
	assert_int_equal(lease_hold(&h, f->dir, 0, NULL, NULL, &e), 0);
	assert_int_equal(nr_files(builds_of(f)), 0);
	lease_release(&h);
	close(ready[0]);
	close(ready[1]);
}

static void put(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

/* Garbage nobody locks is not a build and goes; a locked one counts. */
static void test_garbage_entries(void **state)
{
	struct fixture *f = *state;
	struct lease_hold h;
	struct lease_build b;
	struct lease_err e;
	struct seen s = { 0 };
	char path[256];
	int p[2], fd;
	pid_t pid;

	assert_int_equal(lease_build_begin(&b, f->dir, "x", NULL, 0, false, &e), 0);
	assert_int_equal(lease_build_end(&b), 0);
	put(builds_of(f), "junk", "\x01\x02 not an entry");
	put(builds_of(f), "partial", "tdxup-lease-build 1\nid=partial\npi");
	put(builds_of(f), "empty", "");
	put(builds_of(f), ".tmp-x-1-0", "tdxup-lease-build 1\n");
	put(builds_of(f), "not an id", "whatever");
	assert_int_equal(nr_live(f, NULL), 0);

	/* A garbage file some live process keeps locked is counted, as unreadable. */
	snprintf(path, sizeof(path), "%s/locked", builds_of(f));
	assert_int_equal(pipe(p), 0);
	pid = spawn();
	if (!pid) {
		fd = open(path, O_RDWR | O_CREAT, 0644);
		if (fd < 0 || write(fd, "garbage", 7) != 7 || flock(fd, LOCK_EX))
			_exit(2);
		write_byte(p[1], 'l');
		for (;;)
			pause();
	}
	assert_int_equal(read_byte(p[0]), 'l');
	assert_int_equal(lease_hold(&h, f->dir, 1000, collect, &s, &e), -ETIMEDOUT);
	assert_int_equal(s.nr, 1);
	assert_string_equal(s.ent[0].id, "locked");
	assert_false(s.ent[0].valid);
	assert_int_equal(s.ent[0].pid, 0);
	kill_wait(pid);

	assert_int_equal(lease_hold(&h, f->dir, 0, NULL, NULL, &e), 0);
	lease_release(&h);
	/* Every unlocked name is reclaimed, an id or not: none is in flight. */
	assert_int_equal(nr_files(builds_of(f)), 0);
	snprintf(path, sizeof(path), "%s/not an id", builds_of(f));
	assert_int_equal(access(path, F_OK), -1);
	close(p[0]);
	close(p[1]);
}

static void test_symlinks_refused(void **state)
{
	struct fixture *f = *state;
	struct lease_hold h;
	struct lease_build b;
	struct lease_err e;
	char path[256], target[256];

	assert_int_equal(lease_build_begin(&b, f->dir, "x", NULL, 0, false, &e), 0);
	assert_int_equal(lease_build_end(&b), 0);
	snprintf(target, sizeof(target), "%s/elsewhere", f->root);
	put(f->root, "elsewhere", "");

	snprintf(path, sizeof(path), "%s/hold", f->dir);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(lease_hold(&h, f->dir, 0, NULL, NULL, &e), -ELOOP);
	assert_non_null(strstr(e.msg, "/hold: is a symlink, refused"));
	assert_int_equal(lease_build_begin(&b, f->dir, "y", NULL, 0, false, &e), -ELOOP);
	assert_non_null(strstr(e.msg, "/hold: is a symlink, refused"));
	assert_int_equal(unlink(path), 0);

	snprintf(path, sizeof(path), "%s/gate", f->dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkfifo(path, 0644), 0);
	assert_int_equal(lease_build_begin(&b, f->dir, "y", NULL, 0, false, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "/gate: not a regular file, refused"));
	assert_int_equal(unlink(path), 0);

	snprintf(path, sizeof(path), "%s/builds/vm", f->dir);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(lease_build_begin(&b, f->dir, "vm", NULL, 0, false, &e), -ELOOP);
	assert_non_null(strstr(e.msg, "builds/vm: is a symlink, refused"));
	/* Not a build either: a hold ignores it, and the target is untouched. */
	assert_int_equal(lease_hold(&h, f->dir, 0, NULL, NULL, &e), 0);
	lease_release(&h);
	assert_int_equal(access(target, F_OK), 0);

	snprintf(path, sizeof(path), "%s/linkdir", f->root);
	assert_int_equal(symlink(f->dir, path), 0);
	assert_int_equal(lease_hold(&h, path, 0, NULL, NULL, &e), -ELOOP);
	assert_non_null(strstr(e.msg, "linkdir: is a symlink, refused"));
}

static void count_name(const char *name, void *ctx)
{
	char *names = ctx;

	strcat(names, name);
	strcat(names, ";");
}

/* lease_participating() refuses with err exactly "DECLDIR/name: why" (or "DECLDIR: why"). */
static void decl_refused(struct fixture *f, int ret, const char *name, const char *why)
{
	char want[512];
	struct lease_err e;

	if (name)
		snprintf(want, sizeof(want), "%s/etc/tdxup/lease.d/%s: %s", f->root, name, why);
	else
		snprintf(want, sizeof(want), "%s/etc/tdxup/lease.d: %s", f->root, why);
	assert_int_equal(lease_participating(f->root, NULL, NULL, &e), ret);
	assert_string_equal(e.msg, want);
}

static void decl_file(struct fixture *f, const char *name, char *path, size_t size)
{
	int fd;

	snprintf(path, size, "%s/etc/tdxup/lease.d/%s", f->root, name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	assert_int_equal(fchmod(fd, 0644), 0);
	close(fd);
}

/*
 * With libvirt declared: only what only root could have written counts
 * (fsafe's rules); a README or a package manager's leftover never does.
 */
static void decl_refusals(struct fixture *f)
{
	char path[256], dir[192], tdxup[160];
	struct lease_err e;

	snprintf(dir, sizeof(dir), "%s/etc/tdxup/lease.d", f->root);
	snprintf(tdxup, sizeof(tdxup), "%s/etc/tdxup", f->root);
	decl_file(f, "README", path, sizeof(path));
	decl_file(f, "qemu.dpkg-old", path, sizeof(path));
	decl_file(f, "qemu.dpkg-dist", path, sizeof(path));
	decl_file(f, "qemu.rpmsave", path, sizeof(path));
	assert_int_equal(lease_participating(f->root, NULL, NULL, &e), 1);

	snprintf(path, sizeof(path), "%s/sneaky", dir);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	decl_refused(f, -ELOOP, "sneaky", "is a symlink, refused");
	unlink(path);
	assert_int_equal(mkfifo(path, 0644), 0);
	decl_refused(f, -EINVAL, "sneaky", "not a regular file, refused");
	unlink(path);
	if (geteuid() != 0)
		return;
	decl_file(f, "sneaky", path, sizeof(path));
	assert_int_equal(chown(path, 65534, 65534), 0);
	decl_refused(f, -EPERM, "sneaky", "owned by uid 65534, not by root, refused");
	assert_int_equal(chown(path, 0, 0), 0);
	assert_int_equal(chmod(path, 0666), 0);
	decl_refused(f, -EPERM, "sneaky", "mode 0666 grants more than 0755, refused");
	unlink(path);

	assert_int_equal(chmod(dir, 0775), 0);
	decl_refused(f, -EPERM, NULL, "writable by its group (mode 0775), refused");
	assert_int_equal(chmod(dir, 0777), 0);
	decl_refused(f, -EPERM, NULL, "writable by others (mode 0777), refused");
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(chown(dir, 65534, 65534), 0);
	decl_refused(f, -EPERM, NULL, "owned by uid 65534, not by root, refused");
	assert_int_equal(chown(dir, 0, 0), 0);
	assert_int_equal(chmod(tdxup, 0777), 0);
	snprintf(path, sizeof(path), "%s: writable by others (mode 0777): someone else could "
		 "replace what is below it", tdxup);
	assert_int_equal(lease_participating(f->root, NULL, NULL, &e), -EPERM);
	assert_string_equal(e.msg, path);
	assert_int_equal(chmod(tdxup, 0755), 0);
	assert_int_equal(lease_participating(f->root, NULL, NULL, &e), 1);
}

static void test_participation(void **state)
{
	struct fixture *f = *state;
	struct lease_err e;
	char names[128] = "", path[256];

	assert_int_equal(lease_participating(f->root, NULL, NULL, &e), 0);
	assert_int_equal(lease_participate(f->root, "libvirt", &e), 0);
	assert_int_equal(lease_participate(f->root, "libvirt", &e), 0);
	assert_int_equal(lease_participating(f->root, count_name, names, &e), 1);
	assert_string_equal(names, "libvirt;");
	assert_int_equal(lease_participate(f->root, "bad/name", &e), -EINVAL);
	decl_refusals(f);
	assert_int_equal(lease_withdraw(f->root, "libvirt", &e), 0);
	assert_int_equal(lease_withdraw(f->root, "libvirt", &e), 0);
	assert_int_equal(lease_participating(f->root, NULL, NULL, &e), 0);

	assert_int_equal(lease_dir_of("/", path, sizeof(path)), 0);
	assert_string_equal(path, "/run/tdxup/lease");
	assert_int_equal(lease_dir_of("/srv/root//", path, sizeof(path)), 0);
	assert_string_equal(path, "/srv/root/run/tdxup/lease");
	assert_int_equal(lease_dir_of("/srv/root", path, 10), -ENAMETOOLONG);
}

/* An API build is its own process's: lease_end_id refuses to signal it. */
static void test_end_id_refuses_api_builds(void **state)
{
	static const char *const ids[] = { "api-vm" };
	struct fixture *f = *state;
	struct lease_err e;
	int rfd, wfd;
	pid_t pid;

	pid = spawn_builder(f, ids, 1, &rfd, &wfd);
	assert_int_equal(read_byte(rfd), 'r');
	assert_int_equal(lease_end_id(f->dir, "api-vm", SEC, &e), -EPERM);
	assert_non_null(strstr(e.msg, "not a `lease begin` holder"));
	assert_int_equal(nr_live(f, NULL), 1);
	assert_int_equal(lease_end_id(f->dir, "nothing", SEC, &e), 0);
	kill_wait(pid);
	/* Its holder dead, the entry is reclaimed by end. */
	assert_int_equal(lease_end_id(f->dir, "api-vm", SEC, &e), 0);
	assert_int_equal(nr_files(builds_of(f)), 0);
	close(rfd);
	close(wfd);
}

/*
 * A member of the lease group writes its own entry with holder=cli and
 * another process's pid: lease_end_id must not signal that pid, since the
 * process keeping the lock is not it.
 */
static void test_end_id_signals_only_the_lock_holder(void **state)
{
	struct fixture *f = *state;
	char path[256], buf[256];
	struct lease_build b;
	struct lease_err e;
	pid_t decoy;
	int fd, n;

	decoy = spawn();
	if (!decoy) {
		pause();
		_exit(0);
	}
	assert_int_equal(lease_build_begin(&b, f->dir, "forged", NULL, 0, true, &e), 0);
	n = snprintf(buf, sizeof(buf), "tdxup-lease-build 1\nid=forged\npid=%ld\nsince=1\nholder=cli\ndesc=\n",
		     (long)decoy);
	snprintf(path, sizeof(path), "%s/forged", builds_of(f));
	fd = open(path, O_WRONLY | O_TRUNC | O_NOFOLLOW);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, n), n);
	close(fd);

	assert_int_equal(lease_end_id(f->dir, "forged", SEC, &e), -EPERM);
	snprintf(buf, sizeof(buf), "%s/builds/forged: kept by a process other than its recorded "
		 "holder (pid %ld): nobody signalled", f->dir, (long)decoy);
	assert_string_equal(e.msg, buf);
	assert_int_equal(waitpid(decoy, NULL, WNOHANG), 0);	/* not signalled */
	assert_int_equal(nr_live(f, NULL), 1);
	assert_int_equal(lease_build_end(&b), 0);
	kill_wait(decoy);
}

static mode_t mode_at(const char *dir, const char *name)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

/* Whatever the umask, every path gets the mode of docs/lease.md's table. */
static void test_modes_whatever_umask(void **state)
{
	struct fixture *f = *state;
	mode_t old = umask(077);
	struct lease_build b;
	struct lease_hold h;
	struct lease_err e;

	assert_int_equal(lease_build_begin(&b, f->dir, "vm", NULL, 0, false, &e), 0);
	assert_int_equal(mode_at(f->dir, "."), 0750);
	assert_int_equal(mode_at(f->dir, ".."), 0755);
	assert_int_equal(mode_at(f->dir, "builds"), 01770);
	assert_int_equal(mode_at(f->dir, "gate"), 0640);
	assert_int_equal(mode_at(builds_of(f), "vm"), 0640);
	assert_int_equal(lease_build_end(&b), 0);
	assert_int_equal(lease_hold(&h, f->dir, 0, NULL, NULL, &e), 0);
	assert_int_equal(mode_at(f->dir, "hold"), 0640);
	assert_int_equal(mode_at(f->dir, "updater"), 0600);
	lease_release(&h);
	umask(old);
}

/* A live build renamed to a dot-name (or any name) is still in flight. */
static void test_renamed_entry_still_counted(void **state)
{
	struct fixture *f = *state;
	struct lease_build b;
	struct lease_hold h;
	struct lease_err e;
	struct seen s = { 0 };
	char from[256], to[256];

	assert_int_equal(lease_build_begin(&b, f->dir, "vm", NULL, 0, false, &e), 0);
	snprintf(from, sizeof(from), "%s/vm", builds_of(f));
	snprintf(to, sizeof(to), "%s/.hidden", builds_of(f));
	assert_int_equal(rename(from, to), 0);
	assert_int_equal(lease_hold(&h, f->dir, 1000, collect, &s, &e), -ETIMEDOUT);
	assert_int_equal(s.nr, 1);
	assert_string_equal(s.ent[0].id, ".hidden");
	assert_non_null(strstr(e.msg, "1 build still in flight"));
	/* Its owner ends it; the name it no longer has is left to the reclaim rule. */
	assert_int_equal(lease_build_end(&b), 0);
	assert_int_equal(lease_hold(&h, f->dir, 0, NULL, NULL, &e), 0);
	lease_release(&h);
	assert_int_equal(nr_files(builds_of(f)), 0);
}

/* What another user owns, or anyone can write, is refused by name before any write. */
static void test_foreign_or_open_paths_refused(void **state)
{
	struct fixture *f = *state;
	struct lease_build b;
	struct lease_hold h;
	struct lease_err e;
	char path[256];

	if (geteuid() != 0)
		skip();
	assert_int_equal(lease_build_begin(&b, f->dir, "vm", NULL, 0, false, &e), 0);
	assert_int_equal(lease_build_end(&b), 0);

	assert_int_equal(chown(f->dir, 65534, 65534), 0);
	assert_int_equal(lease_hold(&h, f->dir, 0, NULL, NULL, &e), -EPERM);
	assert_non_null(strstr(e.msg, "/lease: owned by uid 65534, not by root, refused"));
	assert_int_equal(lease_build_begin(&b, f->dir, "vm", NULL, 0, false, &e), -EPERM);
	assert_int_equal(chown(f->dir, 0, 0), 0);

	assert_int_equal(chmod(builds_of(f), 01777), 0);
	assert_int_equal(lease_hold(&h, f->dir, 0, NULL, NULL, &e), -EPERM);
	assert_non_null(strstr(e.msg, "/builds: writable by others (mode 1777), refused"));
	assert_int_equal(chmod(builds_of(f), 0770), 0);
	assert_int_equal(lease_build_begin(&b, f->dir, "vm", NULL, 0, false, &e), -EPERM);
	assert_non_null(strstr(e.msg, "/builds: writable by its group (mode 0770), refused"));
	assert_int_equal(chmod(builds_of(f), 01770), 0);

	snprintf(path, sizeof(path), "%s/gate", f->dir);
	assert_int_equal(chown(path, 65534, 65534), 0);
	assert_int_equal(lease_hold(&h, f->dir, 0, NULL, NULL, &e), -EPERM);
	assert_non_null(strstr(e.msg, "/gate: owned by uid 65534, not by root, refused"));
	assert_int_equal(lease_build_begin(&b, f->dir, "vm", NULL, 0, false, &e), -EPERM);
	assert_int_equal(chown(path, 0, 0), 0);
	/* Readable by others: anyone could have flocked it. */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(lease_hold(&h, f->dir, 0, NULL, NULL, &e), -EPERM);
	assert_non_null(strstr(e.msg, "/gate: mode 0644 grants more than 0640, refused"));
	assert_int_equal(nr_files(builds_of(f)), 0);
}

/* An upload probe that says busy `busy` times, and records what it saw. */
struct probe_log {
	const struct fixture *f;
	int busy, err;			/* err: answer -err instead of busy */
	int calls;
	int live[16];			/* builds in flight at each call */
};

static int test_probe(void *ctx, char *why, size_t len)
{
	struct probe_log *p = ctx;

	if (p->calls < 16)
		p->live[p->calls] = nr_live(p->f, NULL);
	p->calls++;
	if (p->err)
		return -p->err;
	if (p->busy-- <= 0)
		return 0;
	snprintf(why, len, "status reads transferring");
	return 1;
}

/*
 * Registered first, then the probe: busy removes the entry, waits, and
 * registers anew once free; always busy times out with nothing left.
 */
static void test_probe_after_registering(void **state)
{
	struct fixture *f = *state;
	struct probe_log log = { .f = f, .busy = 3 };
	struct lease_upload_probe probe = { test_probe, &log };
	struct lease_build b;
	struct lease_err e = { "" };

	assert_int_equal(lease_build_begin_probe(&b, f->dir, "vm", NULL, 10 * SEC, false, &probe,
						 &e), 0);
	/* busy (registered), busy, busy, free (waiting, entry gone), free (registered) */
	assert_int_equal(log.calls, 5);
	assert_int_equal(log.live[0], 1);
	assert_int_equal(log.live[1], 0);
	assert_int_equal(log.live[2], 0);
	assert_int_equal(log.live[3], 0);
	assert_int_equal(log.live[4], 1);
	assert_int_equal(nr_live(f, NULL), 1);
	assert_int_equal(lease_build_end(&b), 0);

	log = (struct probe_log){ .f = f, .busy = 1000000 };
	assert_int_equal(lease_build_begin_probe(&b, f->dir, "vm", NULL, 20000, false, &probe, &e),
			 -ETIMEDOUT);
	assert_non_null(strstr(e.msg, "a module update is in progress (status reads "
			       "transferring): builds wait until the kernel is done"));
	assert_int_equal(log.live[0], 1);
	assert_int_equal(nr_live(f, NULL), 0);
	assert_int_equal(nr_files(builds_of(f)), 0);

	/* Cannot tell: busy, safety first. */
	log = (struct probe_log){ .f = f, .err = EIO };
	assert_int_equal(lease_build_begin_probe(&b, f->dir, "vm", NULL, 0, false, &probe, &e),
			 -ETIMEDOUT);
	assert_non_null(strstr(e.msg, "cannot tell whether an update is running: Input/output "
			       "error"));
	assert_int_equal(nr_live(f, NULL), 0);
	/* No probe: as before. */
	assert_int_equal(lease_build_begin_probe(&b, f->dir, "vm", NULL, 0, false, NULL, &e), 0);
	assert_int_equal(lease_build_end(&b), 0);
}

static void put_attr(const char *root, const char *rel, const char *text)
{
	char path[256], cmd[512];
	FILE *fp;

	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s/%s')\"", root, rel);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if (!text) {
		assert_int_equal(unlink(path), 0);
		return;
	}
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

/* lease_upload_busy_sysfs over a tree of plain files standing for /sys. */
static void test_upload_probe_sysfs(void **state)
{
	struct fixture *f = *state;
	char sys[128], why[256] = "";

	snprintf(sys, sizeof(sys), "%s/sys", f->root);
	/* No fw_upload device: no update is possible, free. */
	assert_int_equal(lease_upload_busy_sysfs(sys, why, sizeof(why)), 0);
	put_attr(sys, "class/firmware/tdx_module/loading", "0\n");
	put_attr(sys, "class/firmware/tdx_module/status", "idle\n");
	assert_int_equal(lease_upload_busy_sysfs(sys, why, sizeof(why)), 0);
	put_attr(sys, "class/firmware/tdx_module/loading", "1\n");
	assert_int_equal(lease_upload_busy_sysfs(sys, why, sizeof(why)), 1);
	assert_non_null(strstr(why, "tdx_module/loading reads 1: an upload is open"));
	put_attr(sys, "class/firmware/tdx_module/loading", "0\n");
	put_attr(sys, "class/firmware/tdx_module/status", "transferring\n");
	assert_int_equal(lease_upload_busy_sysfs(sys, why, sizeof(why)), 1);
	assert_non_null(strstr(why, "tdx_module/status reads transferring: the kernel is "
			       "updating the module"));
	/* A device whose status cannot be read: cannot tell. */
	put_attr(sys, "class/firmware/tdx_module/status", NULL);
	assert_int_equal(lease_upload_busy_sysfs(sys, why, sizeof(why)), -ENOENT);
	put_attr(sys, "class/firmware/tdx_module/status", "idle\n");
	/* The legacy name counts too. */
	put_attr(sys, "class/firmware/seamldr_upload/loading", "0\n");
	put_attr(sys, "class/firmware/seamldr_upload/status", "programming\n");
	assert_int_equal(lease_upload_busy_sysfs(sys, why, sizeof(why)), 1);
	assert_non_null(strstr(why, "seamldr_upload/status reads programming"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_probe_after_registering, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upload_probe_sysfs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_begin_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold_times_out_with_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_killed_builders_never_wedge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_killed_updater_releases, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_starvation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlinks_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_participation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_end_id_refuses_api_builds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_end_id_signals_only_the_lock_holder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_modes_whatever_umask, setup, teardown),
		cmocka_unit_test_setup_teardown(test_renamed_entry_still_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_or_open_paths_refused, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
