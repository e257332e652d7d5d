// SPDX-License-Identifier: MIT
/*
 * tools/testing/selftests/firmware/fw_upload.sh, step for step, against the
 * test driver of emu/kernel/test_firmware.c (kernel.md 11): register fw1,
 * fw2 and fw3; three cancellations; eighteen injected errors; an oversized
 * image; three data round trips; unregister. Only files are touched, the
 * way the script's echo and cat touch them. The tests run in order and
 * share one tree, as the script's steps share one kernel.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/test_firmware.h"
#include "emu/kthread.h"
#include "emu/sysfs.h"
#include "lab/sched.h"

#define DIR		TEST_FIRMWARE_DIR
/*
 * The script's budget: status is read at most 50 times, 1 ms apart. The one
 * wait that cannot meet it is idle after a cancel: the driver looks at its
 * cancel flag once per 100 ms sleep (kernel.md 11), so idle may follow the
 * cancel by up to 100 ms by design. The script gets away with 50 polls
 * there only because each of its polls forks cat and sleep (several ms
 * each); here a poll is a function call, so that wait gets the 50 polls
 * plus the 100 ms period in 1 ms polls.
 */
#define POLL_STEPS		50
#define CANCEL_POLL_STEPS	(POLL_STEPS + 100)

/*
 * The driver's worker runs under the lab's scheduler, on its virtual clock:
 * the 1 ms between polls and the driver's 100 ms cancel period are virtual,
 * so a poll count depends on the driver's logic only, never on how loaded
 * the machine is (the FUSE run, tests/sysfs/test_fw_selftest.sh, measures
 * real time instead). The seed is fixed: same run, same counts.
 */
#define SCHED_SEED		0x7e57f1u

static struct lab_sched *sched;
static struct sysfs_tree *tree;
static struct test_firmware *tf;

static const char *const progress_states[] = { "preparing", "transferring", "programming" };
static const char *const errors[] = {
	"hw-error", "timeout", "device-busy", "invalid-file-size", "read-write-error",
	"flash-wearout",
};

/* echo -n "$s" > path  (with_newline: echo "$s") */
static ssize_t echo(const char *path, const char *s, bool with_newline)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "%s%s", s, with_newline ? "\n" : "");
	return sysfs_write_file(tree, path, &sysfs_cred_root, buf, strlen(buf));
}

static void echo_ok(const char *path, const char *s, bool with_newline)
{
	ssize_t len = (ssize_t)strlen(s) + with_newline;

	assert_int_equal(echo(path, s, with_newline), len);
}

static ssize_t cat(const char *path, char *buf, size_t size)
{
	return sysfs_read_file(tree, path, &sysfs_cred_root, buf, size);
}

static void fw_path(char *buf, size_t size, const char *name, const char *file)
{
	snprintf(buf, size, DIR "/%s/%s", name, file);
}

/* upload_fw: echo 1 > loading; cat file > data; echo 0 > loading */
static void upload_fw(const char *name, const uint8_t *img, size_t len)
{
	char path[128];

	fw_path(path, sizeof(path), name, "loading");
	echo_ok(path, "1", true);
	fw_path(path, sizeof(path), name, "data");
	assert_int_equal(sysfs_write_file(tree, path, &sysfs_cred_root, img, len), (ssize_t)len);
	fw_path(path, sizeof(path), name, "loading");
	echo_ok(path, "0", true);
}

static void inject_error(const char *name, const char *status, const char *error)
{
	char path[128], payload[96];

	fw_path(path, sizeof(path), name, "loading");
	echo_ok(path, "1", true);
	fw_path(path, sizeof(path), name, "data");
	snprintf(payload, sizeof(payload), "inject:%s:%s", status, error);
	echo_ok(path, payload, false);
	fw_path(path, sizeof(path), name, "loading");
	echo_ok(path, "0", true);
}

/* status=$(cat status): compared without the trailing newline */
static bool await_status_in(const char *name, const char *expected, int steps)
{
	const struct kthread_ops *kt = lab_sched_ops(sched);
	char path[128], status[64] = "", want[64];
	int i;

	fw_path(path, sizeof(path), name, "status");
	snprintf(want, sizeof(want), "%s\n", expected);
	for (i = 0; i < steps; i++) {
		if (cat(path, status, sizeof(status)) > 0 && !strcmp(status, want))
			return true;
		kt->sleep_us(kt->ctx, 1000);
	}
	print_error("Invalid status after %d polls: Expected %s, Actual %s", steps, expected,
		    status);
	return false;
}

static bool await_status(const char *name, const char *expected)
{
	return await_status_in(name, expected, POLL_STEPS);
}

static void expect_error(const char *name, const char *expected)
{
	char path[128], error[128], want[128];

	fw_path(path, sizeof(path), name, "error");
	snprintf(want, sizeof(want), "%s\n", expected);
	assert_int_equal(cat(path, error, sizeof(error)), (ssize_t)strlen(want));
	assert_string_equal(error, want);
}

/* dd if=/dev/urandom, made repeatable */
static void random_firmware(uint8_t *p, size_t n, uint64_t seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		p[i] = (uint8_t)seed;
	}
}

static int group_setup(void **state)
{
	sched = lab_sched_create(SCHED_SEED);
	tree = sysfs_tree_create();
	if (!sched || !tree)
		return -1;
	tf = test_firmware_create(tree, lab_sched_ops(sched));
	return tf ? 0 : -1;
}

static int group_teardown(void **state)
{
	test_firmware_destroy(tf);
	sysfs_tree_destroy(tree);
	lab_sched_destroy(sched);
	return 0;
}

static void test_register(void **state)
{
	char buf[128];
	struct sysfs_stat st;

	echo_ok(DIR "/upload_register", "fw1", false);
	echo_ok(DIR "/upload_register", "fw2", false);
	echo_ok(DIR "/upload_register", "fw3", false);
	assert_int_equal(echo(DIR "/upload_register", "fw1", false), -EEXIST);

	assert_int_equal(sysfs_readlink(tree, "class/firmware/fw1", buf, sizeof(buf)),
			 (int)strlen("../../" DIR "/fw1"));
	assert_string_equal(buf, "../../" DIR "/fw1");
	assert_int_equal(sysfs_stat(tree, "class/firmware/fw2/data", true, &st), 0);
	assert_int_equal(sysfs_stat(tree, "class/misc/test_firmware/fw3/loading", true, &st), 0);
	assert_int_equal(cat(DIR "/fw1/status", buf, sizeof(buf)), 5);
	assert_string_equal(buf, "idle\n");
	/* upload_read wants a selection first */
	assert_int_equal(cat(DIR "/upload_read", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(echo(DIR "/config_upload_name", "nope", false), -EINVAL);
}

/*
 * The driver looks at the cancel flag once per 100 ms sleep: idle follows
 * the cancel after some virtual time in (0, 100 ms], never at once (the
 * worker is asleep when the cancel lands) and never a period late.
 */
static void test_upload_cancel(void **state)
{
	const char *status = *state;
	char expected[64];
	uint64_t t0, waited_ns;

	inject_error("fw1", status, "user-abort");
	assert_true(await_status("fw1", status));
	t0 = lab_sched_now_ns(sched);
	echo_ok(DIR "/fw1/cancel", "1", true);
	assert_true(await_status_in("fw1", "idle", CANCEL_POLL_STEPS));
	waited_ns = lab_sched_now_ns(sched) - t0;
	assert_in_range(waited_ns, 1, 100 * 1000 * 1000);
	snprintf(expected, sizeof(expected), "%s:user-abort", status);
	expect_error("fw1", expected);
}

struct inject_case {
	const char *status;
	const char *error;
};

static void test_error_handling(void **state)
{
	const struct inject_case *c = *state;
	char expected[64];

	inject_error("fw1", c->status, c->error);
	assert_true(await_status("fw1", "idle"));
	snprintf(expected, sizeof(expected), "%s:%s", c->status, c->error);
	expect_error("fw1", expected);
}

static void test_fw_too_big(void **state)
{
	static uint8_t fw_too_big[512 * 5];

	random_firmware(fw_too_big, sizeof(fw_too_big), 0x5eed);
	upload_fw("fw1", fw_too_big, sizeof(fw_too_big));
	assert_true(await_status("fw1", "idle"));
	expect_error("fw1", "preparing:invalid-file-size");
}

static void verify_fw(const char *name, const uint8_t *img, size_t len)
{
	static char back[SYSFS_PAGE_SIZE + 1];

	echo_ok(DIR "/config_upload_name", name, false);
	assert_int_equal(cat(DIR "/upload_read", back, sizeof(back)), (ssize_t)len);
	assert_memory_equal(back, img, len);
}

static void test_data_round_trips(void **state)
{
	static uint8_t fw_file1[512 * 4], fw_file2[512 * 3], fw_file3[512 * 2];
	char buf[64];

	random_firmware(fw_file1, sizeof(fw_file1), 1);
	random_firmware(fw_file2, sizeof(fw_file2), 2);
	random_firmware(fw_file3, sizeof(fw_file3), 3);
	upload_fw("fw1", fw_file1, sizeof(fw_file1));
	upload_fw("fw2", fw_file2, sizeof(fw_file2));
	upload_fw("fw3", fw_file3, sizeof(fw_file3));
	/*
	 * The script compares straight away and relies on the uploads being
	 * quick; wait for each to finish so that the comparison is not a race.
	 */
	assert_true(await_status("fw1", "idle"));
	assert_true(await_status("fw2", "idle"));
	assert_true(await_status("fw3", "idle"));
	assert_int_equal(cat(DIR "/fw1/error", buf, sizeof(buf)), 0);
	assert_int_equal(cat(DIR "/fw3/remaining_size", buf, sizeof(buf)), 2);
	assert_string_equal(buf, "0\n");

	verify_fw("fw1", fw_file1, sizeof(fw_file1));
	verify_fw("fw2", fw_file2, sizeof(fw_file2));
	verify_fw("fw3", fw_file3, sizeof(fw_file3));
	assert_int_equal(cat(DIR "/config_upload_name", buf, sizeof(buf)), 4);
	assert_string_equal(buf, "fw3\n");
}

static void test_unregister(void **state)
{
	struct sysfs_stat st;
	char buf[64];

	echo_ok(DIR "/upload_unregister", "fw1", false);
	echo_ok(DIR "/upload_unregister", "fw2", false);
	echo_ok(DIR "/upload_unregister", "fw3", false);
	assert_int_equal(echo(DIR "/upload_unregister", "fw1", false), -EINVAL);
	assert_int_equal(sysfs_stat(tree, DIR "/fw1", true, &st), -ENOENT);
	assert_int_equal(sysfs_stat(tree, "class/firmware/fw2", false, &st), -ENOENT);
	assert_int_equal(sysfs_stat(tree, "class/firmware/fw3", false, &st), -ENOENT);
	/* the selection went with fw3 */
	assert_int_equal(cat(DIR "/config_upload_name", buf, sizeof(buf)), 7);
	assert_string_equal(buf, "(null)\n");
	assert_int_equal(cat(DIR "/upload_read", buf, sizeof(buf)), -EINVAL);
}

/* Unregistering in the middle of a wait for cancel ends the wait. */
static void test_unregister_while_busy(void **state)
{
	struct sysfs_stat st;

	echo_ok(DIR "/upload_register", "busy", false);
	inject_error("busy", "transferring", "user-abort");
	assert_true(await_status("busy", "transferring"));
	echo_ok(DIR "/upload_unregister", "busy", false);
	assert_int_equal(sysfs_stat(tree, DIR "/busy", true, &st), -ENOENT);
	/* a device left registered goes with the module */
	echo_ok(DIR "/upload_register", "left", false);
	inject_error("left", "programming", "user-abort");
	assert_true(await_status("left", "programming"));
}

#define NR_TESTS	(1 + 3 + 3 * 6 + 1 + 1 + 1 + 1)

int main(void)
{
	static struct inject_case cases[3 * 6];
	struct CMUnitTest tests[NR_TESTS];
	static char names[3 * 6][64];
	size_t n = 0, i, j;

	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_register);
	for (i = 0; i < 3; i++) {
		tests[n] = (struct CMUnitTest)cmocka_unit_test(test_upload_cancel);
		tests[n].initial_state = (void *)progress_states[i];
		n++;
	}
	for (i = 0; i < 3; i++) {
		for (j = 0; j < 6; j++) {
			struct inject_case *c = &cases[i * 6 + j];

			c->status = progress_states[i];
			c->error = errors[j];
			snprintf(names[i * 6 + j], sizeof(names[0]), "test_error_%s_%s", c->status,
				 c->error);
			tests[n] = (struct CMUnitTest)cmocka_unit_test(test_error_handling);
			tests[n].name = names[i * 6 + j];
			tests[n].initial_state = c;
			n++;
		}
	}
	tests[1].name = "test_upload_cancel_preparing";
	tests[2].name = "test_upload_cancel_transferring";
	tests[3].name = "test_upload_cancel_programming";
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_fw_too_big);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_data_round_trips);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_unregister);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_unregister_while_busy);

	return _cmocka_run_group_tests("fw_upload_selftest", tests, n, group_setup,
				       group_teardown);
}
