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
#include <sys/stat.h>
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

static void test_path_key(void **state)
{
	char p[256], sub[128], want[256];

	assert_int_equal(host_lock_path("/", "/L", p, sizeof(p)), 0);
	assert_string_equal(p, "/L/root.lock");
	assert_int_equal(host_lock_path("/tmp", "/L", p, sizeof(p)), 0);
	assert_string_equal(p, "/L/tmp.lock");
	/* Two spellings of one directory share the lock. */
	snprintf(sub, sizeof(sub), "%s/sys", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	snprintf(want, sizeof(want), "/L/%s-sys.lock", dir + 1);
	want[3 + 3] = '-';			/* "/tmp/..." -> "tmp-..." */
	assert_int_equal(host_lock_path(sub, "/L", p, sizeof(p)), 0);
	assert_string_equal(p, want);
	snprintf(sub, sizeof(sub), "%s/sys/../sys/", dir);
	assert_int_equal(host_lock_path(sub, "/L", p, sizeof(p)), 0);
	assert_string_equal(p, want);
	assert_int_equal(host_lock_path("/nonexistent-tdxup", "/L", p, sizeof(p)), -ENOENT);
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

static void test_planted_files(void **state)
{
	char path[128], target[128];
	struct stat st;
	int fd;

	snprintf(target, sizeof(target), "%s/victim", dir);
	fd = open(target, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "keep", 4), 4);
	close(fd);
	snprintf(path, sizeof(path), "%s/link.lock", dir);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(host_lock_take(path, "x", &fd, NULL, 0), -ELOOP);
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_size, 4);
	snprintf(path, sizeof(path), "%s/fifo.lock", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(host_lock_take(path, "x", &fd, NULL, 0), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_key),
		cmocka_unit_test(test_exclusive_and_released_by_death),
		cmocka_unit_test(test_planted_files),
	};

	return cmocka_run_group_tests_name("updater/host_lock", tests, setup, teardown);
}
