// SPDX-License-Identifier: MIT
/*
 * The update run's record (src/updater/last_update.c), the atomic writer
 * under it, the NFD feature text and the version number of the metrics
 * (src/updater/metrics.c).
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tdxup/image.h"
#include "tdxup/fsafe.h"
#include "tdxup/last_update.h"
#include "tdxup/metrics.h"

static void test_path(void **state)
{
	char p[PATH_MAX];

	assert_int_equal(last_update_path("/sys", p, sizeof(p)), 0);
	assert_string_equal(p, "/run/tdxup/last-update.json");
	assert_int_equal(last_update_path("/mnt/host/sys/", p, sizeof(p)), 0);
	assert_string_equal(p, "/mnt/host/run/tdxup/last-update.json");
	assert_int_equal(last_update_path("sys", p, sizeof(p)), 0);
	assert_string_equal(p, "run/tdxup/last-update.json");
	/* Not a sysroot's sysfs: nowhere to keep it. */
	assert_int_equal(last_update_path("/tmp/fake-sysfs", p, sizeof(p)), -ENOENT);
	assert_int_equal(last_update_path("/tmp/notsys", p, sizeof(p)), -ENOENT);
	assert_int_equal(last_update_path("", p, sizeof(p)), -ENOENT);
	assert_int_equal(last_update_path("/sys", p, 10), -ENAMETOOLONG);
}

static void result(struct update_result *r, enum update_outcome o, unsigned int busy)
{
	memset(r, 0, sizeof(*r));
	r->outcome = o;
	strcpy(r->from, "1.5.24");
	strcpy(r->to, "1.5.25");
	r->busy_rejections = busy;
}

/*
 * The second run's record: its busy count, the totals of both runs, and the
 * operator's --kernel-busy declaration the run's decision rested on.
 */
#define RECORD_2000 \
	"{\n  \"result\": \"updated\",\n  \"timestamp\": 2000,\n" \
	"  \"from\": \"1.5.24\",\n  \"to\": \"1.5.25\",\n" \
	"  \"busy_rejections\": 2,\n  \"busy_rejections_total\": 7,\n" \
	"  \"runs_total\": 2,\n  \"kernel_busy\": \"yes\"\n}\n"

static void test_record_totals(void **state)
{
	char dir[] = "/tmp/tdxup-lu-XXXXXX", path[PATH_MAX], err[128];
	struct update_result r;
	struct last_update lu;
	uint8_t *buf;
	size_t len;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/run/tdxup/last-update.json", dir);
	assert_int_equal(last_update_read(path, &lu, err, sizeof(err)), -ENOENT);
	result(&r, UPDATE_BUSY, 5);
	assert_int_equal(last_update_record(path, &r, 1000, NULL, 0), 0);
	result(&r, UPDATE_UPDATED, 2);
	r.kernel_busy = "yes";
	assert_int_equal(last_update_record(path, &r, 2000, NULL, 0), 0);
	assert_int_equal(read_file(path, &buf, &len), 0);
	assert_int_equal(len, strlen(RECORD_2000));
	assert_memory_equal(buf, RECORD_2000, len);
	free(buf);
	assert_int_equal(last_update_read(path, &lu, err, sizeof(err)), 0);
	assert_string_equal(lu.result, "updated");
	assert_int_equal(lu.timestamp, 2000);
	assert_int_equal(lu.busy_rejections, 2);
	assert_int_equal(lu.busy_rejections_total, 7);
	assert_int_equal(lu.runs_total, 2);
	/* A damaged record restarts the totals rather than blocking the record. */
	assert_int_equal(write_file(path, (const uint8_t *)"{\"result\": 1}", 13), 0);
	assert_int_equal(last_update_read(path, &lu, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "not a tdxup last-update record");
	result(&r, UPDATE_LOST, 0);
	assert_int_equal(last_update_record(path, &r, 3000, NULL, 0), 0);
	assert_int_equal(last_update_read(path, &lu, err, sizeof(err)), 0);
	assert_string_equal(lu.result, "lost");
	assert_int_equal(lu.busy_rejections_total, 0);
	assert_int_equal(lu.runs_total, 1);
	unlink(path);
	snprintf(path, sizeof(path), "%s/run/tdxup", dir);
	assert_int_equal(rmdir(path), 0);
	snprintf(path, sizeof(path), "%s/run", dir);
	assert_int_equal(rmdir(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

/*
 * The record is never written through a symlink or into a FIFO: refused,
 * named, the symlink's target untouched; its directory is made exactly
 * 0755 whatever the umask.
 */
static void test_record_refuses(void **state)
{
	char dir[] = "/tmp/tdxup-lu-XXXXXX", path[PATH_MAX], victim[PATH_MAX], run[PATH_MAX];
	char err[PATH_MAX + 128], want[PATH_MAX + 128];
	struct update_result r;
	struct stat st;
	uint8_t *buf;
	size_t len;
	mode_t mask;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/run/tdxup/last-update.json", dir);
	snprintf(run, sizeof(run), "%s/run/tdxup", dir);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	assert_int_equal(write_file(victim, (const uint8_t *)"precious\n", 9), 0);
	mask = umask(077);
	result(&r, UPDATE_UPDATED, 0);
	assert_int_equal(last_update_record(path, &r, 1000, err, sizeof(err)), 0);
	umask(mask);
	assert_int_equal(stat(run, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);

	unlink(path);
	assert_int_equal(symlink(victim, path), 0);
	assert_int_equal(last_update_record(path, &r, 2000, err, sizeof(err)), -ELOOP);
	snprintf(want, sizeof(want), "%s: is a symlink, refused (not followed, not replaced)",
		 path);
	assert_string_equal(err, want);
	assert_int_equal(read_file(victim, &buf, &len), 0);
	assert_int_equal(len, 9);
	assert_memory_equal(buf, "precious\n", 9);
	free(buf);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));

	unlink(path);
	assert_int_equal(mkfifo(path, 0644), 0);
	assert_int_equal(last_update_record(path, &r, 2000, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s: not a regular file, refused", path);
	assert_string_equal(err, want);
	unlink(path);
	unlink(victim);
	assert_int_equal(rmdir(run), 0);
	snprintf(run, sizeof(run), "%s/run", dir);
	assert_int_equal(rmdir(run), 0);
	assert_int_equal(rmdir(dir), 0);
}

/* fsafe_write_output: a new file renamed over the old, with the mode asked. */
static void test_atomic_write(void **state)
{
	char dir[] = "/tmp/tdxup-aw-XXXXXX", path[PATH_MAX];
	struct stat a, b;
	uint8_t *buf;
	size_t len;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/x.prom", dir);
	assert_int_equal(fsafe_write_output(path, "one\n", 4, 0644, NULL), 0);
	assert_int_equal(stat(path, &a), 0);
	assert_int_equal(fsafe_write_output(path, "two!\n", 5, 0600, NULL), 0);
	assert_int_equal(stat(path, &b), 0);
	assert_int_not_equal(a.st_ino, b.st_ino);
	assert_int_equal(b.st_mode & 0777, 0600);
	assert_int_equal(read_file(path, &buf, &len), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(buf, "two!\n", 5);
	free(buf);
	unlink(path);
	snprintf(path, sizeof(path), "%s/missing/x.prom", dir);
	assert_int_equal(fsafe_write_output(path, "x", 1, 0644, NULL), -ENOENT);
	assert_int_equal(fsafe_write_output("", "x", 1, 0644, NULL), -EINVAL);
	assert_int_equal(rmdir(dir), 0);	/* no temporary file left behind */
}

static void test_nfd(void **state)
{
	struct tdx_sysfs_state st = { .module = { 1, 5, 6 } };
	/* 2026-01-01T00:15:00Z */
	char *t = metrics_nfd_features(&st, 1767226500);

	/* The directive first (it covers the lines after it); full is the
	 * kernel's text, the parts are numbers; the project's namespace. */
	assert_string_equal(t, "# +expiry-time=2026-01-01T00:15:00Z\n"
			    "tdxup.io/tdx-module-version.full=1.5.06\n"
			    "tdxup.io/tdx-module-version.major=1\n"
			    "tdxup.io/tdx-module-version.minor=5\n"
			    "tdxup.io/tdx-module-version.revision=6\n");
	free(t);
	st.version_err = -ENXIO;
	t = metrics_nfd_features(&st, 1767226500);
	assert_string_equal(t, "");
	free(t);
	t = metrics_nfd_features(NULL, 1767226500);
	assert_string_equal(t, "");
	free(t);
}

/* One number a version, ordered as the versions are, exact in a float64. */
static void test_version_number(void **state)
{
	const struct tdx_version a = { 1, 5, 25 }, b = { 1, 6, 0 }, c = { 1, 5, 65535 },
				 max = { 65535, 65535, 65535 };

	assert_int_equal(metrics_version_number(&a), 10000500025ULL);
	assert_int_equal(metrics_version_number(&b), 10000600000ULL);
	assert_true(metrics_version_number(&c) < metrics_version_number(&b));
	assert_int_equal(metrics_version_number(&max), 655356553565535ULL);
	assert_true(metrics_version_number(&max) < (1ULL << 53));
	assert_true((unsigned long long)(double)metrics_version_number(&max) ==
		    metrics_version_number(&max));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path),
		cmocka_unit_test(test_record_totals),
		cmocka_unit_test(test_record_refuses),
		cmocka_unit_test(test_atomic_write),
		cmocka_unit_test(test_nfd),
		cmocka_unit_test(test_version_number),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
