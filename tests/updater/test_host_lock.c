// SPDX-License-Identifier: MIT
/*
 * The host-wide update lock: keyed to the target, exclusive across
 * processes, released by death, and never fooled by a planted link.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "tdxup/host_lock.h"

static char dir[64];

static int setup(void **state)
{
	strcpy(dir, "/tmp/tdxup-lock-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static void mkdirs(const char *path)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
	assert_int_equal(system(cmd), 0);
}

/* "fwdev-MAJ:MIN-INO.lock" of a directory on a tmpfs or disk. */
static void want_key(const char *kind, const char *path, char *out, size_t size)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	snprintf(out, size, "/L/%s-%u:%u-%llu.lock", kind, major(st.st_dev), minor(st.st_dev),
		 (unsigned long long)st.st_ino);
}

static void test_path_key(void **state)
{
	char p[256], q[256], sys[128], fw[160], want[256], dev[256], link[128];

	/* Keyed to the fw_upload device directory, named back in dev. */
	snprintf(sys, sizeof(sys), "%s/a-b/sys", dir);
	snprintf(fw, sizeof(fw), "%s/class/firmware/tdx_module", sys);
	mkdirs(fw);
	want_key("fwdev", fw, want, sizeof(want));
	assert_int_equal(host_lock_path(sys, "/L", p, sizeof(p), dev, sizeof(dev)), 0);
	assert_string_equal(p, want);
	assert_string_equal(dev, fw);
	/* Another spelling, a link to it: the same device, the same lock. */
	snprintf(sys, sizeof(sys), "%s/a-b/sys/../sys/", dir);
	assert_int_equal(host_lock_path(sys, "/L", q, sizeof(q), NULL, 0), 0);
	assert_string_equal(q, want);
	snprintf(link, sizeof(link), "%s/link", dir);
	snprintf(sys, sizeof(sys), "%s/a-b/sys", dir);
	assert_int_equal(symlink(sys, link), 0);
	assert_int_equal(host_lock_path(link, "/L", q, sizeof(q), NULL, 0), 0);
	assert_string_equal(q, want);
	/* "a-b/sys" and "a/b/sys" were one key as path strings: two devices, two locks. */
	snprintf(sys, sizeof(sys), "%s/a/b/sys", dir);
	snprintf(fw, sizeof(fw), "%s/class/firmware/tdx_module", sys);
	mkdirs(fw);
	assert_int_equal(host_lock_path(sys, "/L", q, sizeof(q), NULL, 0), 0);
	assert_string_not_equal(q, p);
	want_key("fwdev", fw, want, sizeof(want));
	assert_string_equal(q, want);
	/* The legacy device name counts; no device at all: the root's identity. */
	snprintf(sys, sizeof(sys), "%s/old/sys", dir);
	snprintf(fw, sizeof(fw), "%s/class/firmware/seamldr_upload", sys);
	mkdirs(fw);
	want_key("fwdev", fw, want, sizeof(want));
	assert_int_equal(host_lock_path(sys, "/L", q, sizeof(q), NULL, 0), 0);
	assert_string_equal(q, want);
	snprintf(sys, sizeof(sys), "%s/none/sys", dir);
	mkdirs(sys);
	want_key("sysfs", sys, want, sizeof(want));
	assert_int_equal(host_lock_path(sys, "/L", q, sizeof(q), dev, sizeof(dev)), 0);
	assert_string_equal(q, want);
	assert_string_equal(dev, sys);
	assert_int_equal(host_lock_path("/nonexistent-tdxup", "/L", q, sizeof(q),
					NULL, 0), -ENOENT);
	/* The default directory. */
	assert_int_equal(host_lock_path(sys, NULL, q, sizeof(q), NULL, 0), 0);
	assert_memory_equal(q, "/run/tdxup/lock/sysfs-", 22);
}

/* A child takes the lock and waits on a pipe; returns its pid. */
static pid_t child_holds(const char *path, int *release)
{
	int ready[2], go[2];
	pid_t pid;
	char c;

	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		int fd;

		close(ready[0]);
		close(go[1]);
		c = host_lock_take(path, "tdxup update test", &fd, NULL, 0) ? 'n' : 'y';
		if (write(ready[1], &c, 1) != 1)
			_exit(2);
		if (read(go[0], &c, 1) < 0)
			_exit(3);
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	assert_int_equal(c, 'y');
	close(ready[0]);
	*release = go[1];
	return pid;
}

static void test_exclusive_and_released_by_death(void **state)
{
	char path[128], holder[HOST_LOCK_HOLDER_LEN], want[64];
	int fd, release, status;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/locks/sys.lock", dir);
	pid = child_holds(path, &release);
	assert_int_equal(host_lock_take(path, "second", &fd, holder, sizeof(holder)), -EBUSY);
	snprintf(want, sizeof(want), "pid %ld (tdxup update test) since ", (long)pid);
	assert_memory_equal(holder, want, strlen(want));
	/* kill -9: the kernel drops the flock with the process. */
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	close(release);
	assert_int_equal(host_lock_take(path, "second", &fd, holder, sizeof(holder)), 0);
	host_lock_drop(fd);
	/* And a clean exit releases it just the same. */
	pid = child_holds(path, &release);
	close(release);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(host_lock_take(path, "third", &fd, NULL, 0), 0);
	host_lock_drop(fd);
}

/*
 * A holder killed before it dropped the lock leaves its line; the next
 * holder has the lock but has not yet written its own. A refused updater
 * must not name the dead one as the holder. And a lock dropped leaves an
 * empty file.
 */
static void test_stale_record_not_named(void **state)
{
	char path[128], holder[HOST_LOCK_HOLDER_LEN], stale[64], c;
	int fd, lfd, status, p[2], up[2];
	struct stat st;
	pid_t dead, pid;

	snprintf(path, sizeof(path), "%s/locks/sys.lock", dir);
	assert_int_equal(host_lock_take(path, "first", &fd, NULL, 0), 0);
	host_lock_drop(fd);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 0);

	dead = fork();
	if (!dead)
		_exit(0);
	assert_int_equal(waitpid(dead, &status, 0), dead);
	lfd = open(path, O_WRONLY);
	assert_true(lfd >= 0);
	snprintf(stale, sizeof(stale), "pid %ld (tdxup) since 2026-01-01T00:00:00Z\n", (long)dead);
	assert_int_equal(write(lfd, stale, strlen(stale)), (ssize_t)strlen(stale));
	close(lfd);
	/* A holder that has the lock and writes nothing (yet). */
	assert_int_equal(pipe(up), 0);
	assert_int_equal(pipe(p), 0);
	pid = fork();
	if (!pid) {
		char c = 'l';
		int f = open(path, O_RDONLY);

		close(p[1]);
		if (f < 0 || flock(f, LOCK_EX) || write(up[1], &c, 1) != 1)
			_exit(1);
		if (read(p[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(p[0]);
	close(up[1]);
	assert_int_equal(read(up[0], &c, 1), 1);
	close(up[0]);
	assert_int_equal(host_lock_take(path, "second", &fd, holder, sizeof(holder)), -EBUSY);
	assert_string_equal(holder, "another process (no details recorded yet)");
	close(p[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(status, 0);
}

/* take and probe both refuse, naming what, and change nothing. */
static void refused(const char *path, int err, const char *why)
{
	char msg[HOST_LOCK_HOLDER_LEN];
	int fd = -1;

	msg[0] = '\0';
	assert_int_equal(host_lock_take(path, "x", &fd, msg, sizeof(msg)), err);
	assert_int_equal(fd, -1);
	assert_string_equal(msg, why);
	msg[0] = '\0';
	assert_int_equal(host_lock_probe(path, msg, sizeof(msg)), err);
	assert_string_equal(msg, why);
}

static void test_planted_files(void **state)
{
	char path[256], target[128], locks[128], why[384];
	struct stat st;
	int fd;

	snprintf(locks, sizeof(locks), "%s/planted", dir);
	assert_int_equal(mkdir(locks, 0700), 0);
	snprintf(target, sizeof(target), "%s/victim", dir);
	fd = open(target, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "keep", 4), 4);
	close(fd);
	snprintf(path, sizeof(path), "%s/link.lock", locks);
	assert_int_equal(symlink(target, path), 0);
	{
		char msg[HOST_LOCK_HOLDER_LEN] = "";

		assert_int_equal(host_lock_take(path, "x", &fd, msg, sizeof(msg)), -ELOOP);
		snprintf(why, sizeof(why), "%s/link.lock: is a symlink, refused", locks);
		assert_string_equal(msg, why);
		assert_int_equal(host_lock_probe(path, msg, sizeof(msg)), -ELOOP);
		snprintf(why, sizeof(why), "%s: is a symlink, refused", path);
		assert_string_equal(msg, why);
	}
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_size, 4);
	snprintf(path, sizeof(path), "%s/fifo.lock", locks);
	assert_int_equal(mkfifo(path, 0600), 0);
	snprintf(why, sizeof(why), "%s: not a regular file, refused", path);
	refused(path, -EINVAL, why);
	/* Readable by others: anyone could flock(2) it. */
	snprintf(path, sizeof(path), "%s/open.lock", locks);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(fchmod(fd, 0644), 0);
	close(fd);
	{
		char msg[HOST_LOCK_HOLDER_LEN] = "";

		assert_int_equal(host_lock_take(path, "x", &fd, msg, sizeof(msg)), -EPERM);
		snprintf(why, sizeof(why), "%s: mode 0644 grants more than 0600, refused", path);
		assert_string_equal(msg, why);
		assert_int_equal(host_lock_probe(path, msg, sizeof(msg)), -EPERM);
		snprintf(why, sizeof(why), "%s: grants more than mode 0600, refused", path);
		assert_string_equal(msg, why);
	}
	/* Another user's file. */
	snprintf(path, sizeof(path), "%s/theirs.lock", locks);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(fchown(fd, 65534, 65534), 0);
	close(fd);
	{
		char msg[HOST_LOCK_HOLDER_LEN] = "";

		assert_int_equal(host_lock_take(path, "x", &fd, msg, sizeof(msg)), -EPERM);
		snprintf(why, sizeof(why), "%s: owned by uid 65534, not by root, refused", path);
		assert_string_equal(msg, why);
		assert_int_equal(host_lock_probe(path, msg, sizeof(msg)), -EPERM);
		snprintf(why, sizeof(why), "%s: not owned by root, refused", path);
		assert_string_equal(msg, why);
	}
}

/* The directory: made 0700 whatever the umask; others' or open ones refused. */
static void test_lock_dir(void **state)
{
	char locks[128], path[256], why[384], msg[HOST_LOCK_HOLDER_LEN];
	struct stat st;
	mode_t old;
	int fd;

	snprintf(locks, sizeof(locks), "%s/d/lock", dir);
	snprintf(path, sizeof(path), "%s/fwdev-0:1-2.lock", locks);
	assert_int_equal(host_lock_probe(path, msg, sizeof(msg)), 0);
	assert_int_equal(access(locks, F_OK), -1);	/* probing makes nothing */
	old = umask(0);
	assert_int_equal(host_lock_take(path, "x", &fd, msg, sizeof(msg)), 0);
	umask(old);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	host_lock_drop(fd);
	assert_int_equal(stat(locks, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(host_lock_probe(path, msg, sizeof(msg)), 0);
	/* World-writable, then another user's: refused, named. */
	assert_int_equal(chmod(locks, 0777), 0);
	snprintf(why, sizeof(why), "%s: mode 0777 grants more than 0700, refused", locks);
	msg[0] = '\0';
	assert_int_equal(host_lock_take(path, "x", &fd, msg, sizeof(msg)), -EPERM);
	assert_string_equal(msg, why);
	snprintf(why, sizeof(why), "%s: writable by others (mode 0777), refused", locks);
	assert_int_equal(host_lock_probe(path, msg, sizeof(msg)), -EPERM);
	assert_string_equal(msg, why);
	assert_int_equal(chmod(locks, 0700), 0);
	assert_int_equal(chown(locks, 65534, 65534), 0);
	snprintf(why, sizeof(why), "%s: owned by uid 65534, not by root, refused", locks);
	assert_int_equal(host_lock_take(path, "x", &fd, msg, sizeof(msg)), -EPERM);
	assert_string_equal(msg, why);
	assert_int_equal(host_lock_probe(path, msg, sizeof(msg)), -EPERM);
	assert_string_equal(msg, why);
	/* A symlink for the directory. */
	assert_int_equal(chown(locks, 0, 0), 0);
	snprintf(path, sizeof(path), "%s/d/link", dir);
	assert_int_equal(symlink(locks, path), 0);
	snprintf(why, sizeof(why), "%s: is a symlink, refused", path);
	strcat(path, "/fwdev-0:1-2.lock");
	assert_int_equal(host_lock_take(path, "x", &fd, msg, sizeof(msg)), -ELOOP);
	assert_string_equal(msg, why);
	assert_int_equal(host_lock_probe(path, msg, sizeof(msg)), -ELOOP);
	assert_string_equal(msg, why);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_key),
		cmocka_unit_test(test_exclusive_and_released_by_death),
		cmocka_unit_test(test_planted_files),
		cmocka_unit_test(test_stale_record_not_named),
		cmocka_unit_test(test_lock_dir),
	};

	return cmocka_run_group_tests_name("updater/host_lock", tests, setup, teardown);
}
