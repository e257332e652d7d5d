// SPDX-License-Identifier: MIT
/*
 * The update client's handling of time, against a scripted fw_upload
 * device behind the sysfs_client ops and a fake clock (no real sleeping,
 * no timing asserts): device-busy retried with seeded, jittered back-off
 * until the window closes; an upload already running; short data writes;
 * the poll limit; the checks after success.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tdxup/host_lock.h"
#include "tdxup/sigstruct.h"
#include "tdxup/update.h"
#include "updater/catalog_fixture.h"

#define DEV		"devices/faux/tdx_host"
#define FW		"class/firmware/tdx_module"

struct fake {
	struct sysfs_client c;		/* first: the ops get &c */
	uint64_t now;			/* the fake clock, us */
	char version[16];
	unsigned int remaining;
	const char *target;
	int busy_left;			/* uploads that answer device-busy */
	int foreign_reads;		/* status reads showing someone else's upload */
	int transfer_reads;		/* per upload: reads of "transferring" before idle */
	int left;
	bool never_idle;
	bool no_decrement;
	bool loading;
	bool stale_loading;		/* loading reads 1 before we write anything */
	unsigned int remaining_reads;
	size_t received, max_write;
	bool bad_offset;
	char error[64];
	unsigned int uploads, writes;
	unsigned int all_writes;	/* every write, to any file */
	char lines[16][256];
	size_t nr_lines;
	unsigned int opens;		/* loading=1 writes */
	bool open_after_busy;		/* someone opens an upload after a device-busy */
	size_t mix_at;			/* 1 + offset another writer overwrites in data */
	unsigned int handover_after;	/* data writes before an intruder's loading=0 */
	int loading0_err;		/* what our loading=0 write answers */
	bool loading0_took;		/* ... though the kernel took it */
	int abort_err;			/* what loading=-1 answers */
	uint8_t data[256 * 1024];	/* the kernel's buffer, read back by the updater */
};

static struct fake *F(struct sysfs_client *c)
{
	return (struct fake *)c;
}

static const char *status_of(struct fake *f, bool consume)
{
	if (f->foreign_reads > 0) {
		f->foreign_reads -= consume;
		return "transferring";
	}
	if (f->left > 0) {
		f->left -= consume;
		return "transferring";
	}
	return f->never_idle ? "transferring" : "idle";
}

static ssize_t put(char *buf, size_t size, const char *s)
{
	return snprintf(buf, size, "%s\n", s);
}

static ssize_t fake_read(struct sysfs_client *c, const char *path, char *buf, size_t size)
{
	struct fake *f = F(c);
	char n[16];

	if (!strcmp(path, DEV "/version"))
		return put(buf, size, f->version);
	if (!strcmp(path, DEV "/seamldr_version"))
		return put(buf, size, "1.5.01");
	if (!strcmp(path, DEV "/num_remaining_updates")) {
		f->remaining_reads++;
		snprintf(n, sizeof(n), "%u", f->remaining);
		return put(buf, size, n);
	}
	if (!strcmp(path, FW "/status"))
		return put(buf, size, status_of(f, true));
	if (!strcmp(path, FW "/loading"))
		return put(buf, size, f->loading || f->stale_loading ? "1" : "0");
	if (!strcmp(path, FW "/error")) {
		if (strcmp(status_of(f, false), "idle"))
			return -EBUSY;
		return put(buf, size, f->error);
	}
	if (!strcmp(path, FW "/data")) {
		size_t n = f->received < size - 1 ? f->received : size - 1;

		if (!f->loading)
			return -ENODEV;
		memcpy(buf, f->data, n);
		if (f->mix_at && f->mix_at - 1 < n)
			buf[f->mix_at - 1] ^= 0x5a;
		return (ssize_t)n;
	}
	return -ENOENT;
}

static void finish_upload(struct fake *f)
{
	f->uploads++;
	f->left = f->transfer_reads;
	if (f->busy_left > 0) {
		f->busy_left--;
		snprintf(f->error, sizeof(f->error), "transferring:device-busy");
		f->stale_loading = f->open_after_busy;
		return;
	}
	f->error[0] = '\0';
	snprintf(f->version, sizeof(f->version), "%s", f->target);
	if (!f->no_decrement)
		f->remaining--;
}

static ssize_t fake_write(struct sysfs_client *c, const char *path, const void *buf,
			  size_t count, uint64_t off)
{
	struct fake *f = F(c);
	size_t n;

	f->all_writes++;
	if (!strcmp(path, FW "/loading")) {
		/* Any write to loading starts or ends the open upload (the kernel's state). */
		f->stale_loading = false;
		if (f->abort_err && count == 2 && !memcmp(buf, "-1", 2))
			return f->abort_err;	/* the open upload stays open */
		if (f->loading0_err && count == 1 && !memcmp(buf, "0", 1)) {
			if (f->loading0_took) {
				f->loading = false;
				finish_upload(f);
			}
			return f->loading0_err;
		}
		if (count == 1 && !memcmp(buf, "1", 1)) {
			f->opens++;
			f->loading = true;
			f->received = 0;
		} else if (count == 1 && !memcmp(buf, "0", 1) && f->loading) {
			f->loading = false;
			finish_upload(f);
		} else {
			f->loading = false;
		}
		return (ssize_t)count;
	}
	if (strcmp(path, FW "/data"))
		return -EACCES;
	if (!f->loading)
		return -ENODEV;
	if (off != f->received)
		f->bad_offset = true;
	n = count < f->max_write ? count : f->max_write;
	if (off + n <= sizeof(f->data))
		memcpy(f->data + off, buf, n);
	f->received += n;
	f->writes++;
	if (f->handover_after && f->writes == f->handover_after) {
		/* An intruder's loading=0 hands our partial buffer over: it fails verifying. */
		f->loading = false;
		f->uploads++;
		f->left = f->transfer_reads;
		snprintf(f->error, sizeof(f->error), "verifying:firmware-invalid");
	}
	return (ssize_t)n;
}

static int fake_stat(struct sysfs_client *c, const char *path, bool follow,
		     struct sysfs_client_stat *st)
{
	static const char *const files[] = {
		DEV "/version", DEV "/seamldr_version", DEV "/num_remaining_updates",
	};

	memset(st, 0, sizeof(*st));
	if (!strcmp(path, DEV) || !strcmp(path, FW)) {
		st->type = SYSFS_CLIENT_DIR;
		return 0;
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (!strcmp(path, files[i])) {
			st->type = SYSFS_CLIENT_FILE;
			return 0;
		}
	}
	return -ENOENT;
}

static uint64_t fake_now(void *ctx)
{
	return ((struct fake *)ctx)->now;
}

static void fake_sleep(void *ctx, uint64_t us)
{
	((struct fake *)ctx)->now += us;
}

static void collect(void *ctx, const char *line)
{
	struct fake *f = ctx;

	if (f->nr_lines < 16)
		snprintf(f->lines[f->nr_lines++], sizeof(f->lines[0]), "%s", line);
}

static struct fake *fake_new(void)
{
	struct fake *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->c.read = fake_read;
	f->c.write = fake_write;
	f->c.stat = fake_stat;
	f->c.now_us = fake_now;
	f->c.sleep_us = fake_sleep;
	f->c.clock_ctx = f;
	f->now = 5000000;		/* not 0: at_ms must be relative */
	snprintf(f->version, sizeof(f->version), "1.5.24");
	f->target = "1.5.25";
	f->remaining = 5;
	f->max_write = 4096;
	return f;
}

struct img {
	uint8_t *buf;
	size_t len;
};

static void opts(struct update_opts *o, struct img *i, struct fake *f, uint64_t seed)
{
	fixture_image(module_build_find("1.5.25"), 0x100, false, &i->buf, &i->len);
	update_opts_init(o);
	o->image = i->buf;
	o->image_len = i->len;
	o->cpu_fms_set = true;
	o->cpu_fms = 0x806f8;
	o->image_format = 0x100;
	o->seed = seed;
	/* The emulated target declares its test key, as `serve` does in its mount. */
	o->trusted_keys = (const uint8_t (*)[48])tdxup_test_key_hash();
	o->nr_trusted_keys = 1;
	o->progress = collect;
	o->progress_ctx = f;
}

#define BUSY_LINE	"attempt 1: transferring:device-busy; retrying in "

static void busy_then_ok(uint64_t seed, uint64_t at_ms[4])
{
	struct fake *f = fake_new();
	struct update_opts o;
	struct update_result r;
	struct img i;

	f->busy_left = 3;
	f->transfer_reads = 2;
	opts(&o, &i, f, seed);
	assert_int_equal(update_run(&f->c, &o, &r), UPDATE_UPDATED);
	assert_int_equal(r.nr_attempts, 4);
	assert_int_equal(f->uploads, 4);
	for (size_t k = 0; k < 3; k++)
		assert_string_equal(r.attempts[k].error, "transferring:device-busy");
	assert_string_equal(r.attempts[3].error, "");
	/* Each gap: 2 polls of 100 ms, then half the delay fixed, half jitter. */
	assert_int_equal(r.attempts[0].at_ms, 0);
	for (size_t k = 1; k < 4; k++) {
		uint64_t gap = r.attempts[k].at_ms - r.attempts[k - 1].at_ms - 200;
		uint64_t d = 1000ULL << (k - 1);

		assert_in_range(gap, d / 2, d);
		at_ms[k] = r.attempts[k].at_ms;
	}
	at_ms[0] = 0;
	/* Each attempt is reported: "attempt 1: <error>; retrying in 0.9 s (59.8 s left)". */
	assert_int_equal(strncmp(f->lines[3], BUSY_LINE, strlen(BUSY_LINE)), 0);
	assert_string_equal(r.reason, "updated the TDX module from 1.5.24 to 1.5.25");
	assert_int_equal(r.remaining_after, 4);
	free(i.buf);
	free(f);
}

static void test_busy_then_ok(void **state)
{
	uint64_t a[4], b[4], c[4];

	busy_then_ok(7, a);
	busy_then_ok(7, b);
	busy_then_ok(8, c);
	/* Same seed, same schedule; another seed, another one. */
	assert_memory_equal(a, b, sizeof(a));
	assert_memory_not_equal(a, c, sizeof(a));
	/* The schedule for seed 7, pinned so that a change is noticed. */
	assert_int_equal(a[1], 1137);
	assert_int_equal(a[2], 3229);
	assert_int_equal(a[3], 6319);
}

static void test_busy_until_deadline(void **state)
{
	struct fake *f = fake_new();
	struct update_opts o;
	struct update_result r;
	struct img i;

	f->busy_left = 1000;
	opts(&o, &i, f, 1);
	o.retry_for_us = 10 * 1000000ULL;
	assert_int_equal(update_run(&f->c, &o, &r), UPDATE_BUSY);
	assert_int_equal(update_exit_code(r.outcome), 4);
	/* The last try is at the deadline exactly: the last sleep is clipped. */
	assert_int_equal(r.attempts[r.nr_attempts - 1].at_ms, 10000);
	assert_int_equal(r.nr_attempts, f->uploads);
	assert_int_equal(r.nr_attempts, 5);
	assert_string_equal(r.reason, "still busy (transferring:device-busy) after 5 attempts in "
			    "10000 ms: a TD build or migration kept the module update-sensitive; "
			    "nothing changed, retry later");
	assert_string_equal(f->version, "1.5.24");

	/* No window: one attempt. */
	f->busy_left = 1000;
	f->uploads = 0;
	o.retry_for_us = 0;
	assert_int_equal(update_run(&f->c, &o, &r), UPDATE_BUSY);
	assert_int_equal(r.nr_attempts, 1);
	assert_int_equal(f->uploads, 1);
	free(i.buf);
	free(f);
}

/* Someone else's upload: refused before a byte is written, never waited into. */
static void test_foreign_upload(void **state)
{
	struct fake *f = fake_new();
	struct update_opts o;
	struct update_result r;
	struct img i;

	f->foreign_reads = 2;		/* the first read is the pre-check's */
	opts(&o, &i, f, 1);
	assert_int_equal(update_run(&f->c, &o, &r), UPDATE_REFUSED);
	assert_int_equal(r.nr_attempts, 0);
	assert_int_equal(f->uploads, 0);
	assert_int_equal(f->writes, 0);
	assert_false(f->loading);
	assert_string_equal(r.reason, "the fw_upload device is busy (status transferring): an "
			    "upload that is not this run's is in progress; nothing was written, "
			    "retry once it is idle");
	free(i.buf);
	free(f);
}

/*
 * A retry after device-busy finds someone else's upload open (loading
 * reads 1, status idle): refused, and loading=1 never written into it.
 */
static void test_retry_into_open_upload(void **state)
{
	struct fake *f = fake_new();
	struct update_opts o;
	struct update_result r;
	struct img i;

	f->busy_left = 1;
	f->open_after_busy = true;
	opts(&o, &i, f, 1);
	o.retry_for_us = 60000000;
	assert_int_equal(update_run(&f->c, &o, &r), UPDATE_REFUSED);
	assert_int_equal(update_exit_code(r.outcome), 3);
	assert_string_equal(r.reason, "another writer took the fw_upload device "
			    "(upload-in-progress:loading=1) between our attempts; stopped, nothing "
			    "of ours reached the module");
	assert_int_equal(f->opens, 1);
	assert_int_equal(f->uploads, 1);
	assert_true(f->stale_loading);
	assert_string_equal(f->version, "1.5.24");
	free(i.buf);
	free(f);
}

/*
 * Someone's loading=0 hands our upload over halfway: an upload runs that we
 * did not start. The updater waits until the device is idle (builds held)
 * and judges by the version; it never calls that "nothing reached the module"
 * while the upload still runs.
 */
static void test_handed_over_by_another(void **state)
{
	struct fake *f = fake_new();
	struct update_opts o;
	struct update_result r;
	struct img i;

	f->handover_after = 2;
	f->transfer_reads = 3;
	opts(&o, &i, f, 1);
	assert_int_equal(update_run(&f->c, &o, &r), UPDATE_REFUSED);
	assert_string_equal(r.reason, "another writer handed the upload over (loading=0) while "
			    "ours was open; builds were held until the device was idle again and "
			    "the module still runs 1.5.24: nothing changed, not retrying");
	assert_int_equal(f->left, 0);		/* polled until idle */
	assert_int_equal(f->uploads, 1);
	assert_int_equal(f->opens, 1);
	assert_int_equal(r.nr_attempts, 1);
	free(i.buf);
	free(f);
}

/*
 * The write of loading=0 fails: it may have reached the kernel all the same.
 * Never "loading=0 was never written": wait for idle, judge by the version.
 */
static void test_loading0_write_fails(void **state)
{
	struct fake *f = fake_new();
	struct update_opts o;
	struct update_result r;
	struct img i;

	f->loading0_err = -EIO;
	f->loading0_took = true;
	f->transfer_reads = 2;
	opts(&o, &i, f, 1);
	assert_int_equal(update_run(&f->c, &o, &r), UPDATE_UPDATED);
	assert_string_equal(r.reason, "updated the TDX module from 1.5.24 to 1.5.25");
	assert_int_equal(f->left, 0);
	free(i.buf);
	free(f);

	f = fake_new();
	f->loading0_err = -EIO;
	opts(&o, &i, f, 1);
	assert_int_equal(update_run(&f->c, &o, &r), UPDATE_REFUSED);
	assert_string_equal(r.reason, "the write of loading=0 failed: Input/output error; builds "
			    "were held until the device was idle again and the module still runs "
			    "1.5.24: nothing changed, not retrying");
	assert_int_equal(f->uploads, 0);
	free(i.buf);
	free(f);
}

/* A cancel that fails is said to have failed: never "cancelled". */
static void test_cancel_fails(void **state)
{
	struct fake *f = fake_new();
	struct update_opts o;
	struct update_result r;
	struct img i;
	char want[320];

	f->mix_at = 1;
	f->abort_err = -EIO;
	opts(&o, &i, f, 1);
	assert_int_equal(update_run(&f->c, &o, &r), UPDATE_REFUSED);
	snprintf(want, sizeof(want), "the kernel's data buffer did not hold our image before "
		 "loading=0 (%zu bytes, differs at 0; sent %zu): another writer wrote into this "
		 "upload; the upload is NOT cancelled (loading=-1 failed: see the warning "
		 "above), nothing reached the module", i.len, i.len);
	assert_string_equal(r.reason, want);
	assert_true(f->loading);
	assert_int_equal(f->uploads, 0);
	free(i.buf);
	free(f);
}

/* The kernel's buffer read back before loading=0: a mixed one is cancelled. */
static void test_readback(void **state)
{
	struct fake *f = fake_new();
	struct update_opts o;
	struct update_result r;
	struct img i;
	char want[256];

	f->mix_at = 1 + 4096;
	opts(&o, &i, f, 1);
	assert_int_equal(update_run(&f->c, &o, &r), UPDATE_REFUSED);
	snprintf(want, sizeof(want), "the kernel's data buffer did not hold our image before "
		 "loading=0 (%zu bytes, differs at 4096; sent %zu): another writer wrote into "
		 "this upload; the upload was cancelled (loading=-1), nothing reached the "
		 "module", i.len, i.len);
	assert_string_equal(r.reason, want);
	assert_int_equal(f->uploads, 0);
	assert_false(f->loading);
	assert_string_equal(f->version, "1.5.24");
	/* Unmixed, it goes through: the read-back is the image, byte for byte. */
	f->mix_at = 0;
	assert_int_equal(update_run(&f->c, &o, &r), UPDATE_UPDATED);
	assert_int_equal(memcmp(f->data, i.buf, i.len), 0);
	free(i.buf);
	free(f);
}

/* A half-done upload (a killed updater): reported, or cancelled when asked. */
static void test_stale_loading(void **state)
{
	struct fake *f = fake_new();
	struct update_opts o;
	struct update_result r;
	struct img i;

	f->stale_loading = true;
	opts(&o, &i, f, 1);
	assert_int_equal(update_run(&f->c, &o, &r), UPDATE_REFUSED);
	assert_int_equal(f->writes, 0);
	assert_true(f->stale_loading);
	assert_non_null(strstr(r.reason, "an upload is open (loading reads 1)"));
	assert_non_null(strstr(r.reason, "--cancel-stale"));

	o.cancel_stale = true;
	assert_int_equal(update_run(&f->c, &o, &r), UPDATE_UPDATED);
	assert_int_equal(r.nr_warnings, 1);
	assert_string_equal(r.warnings[0], "cancelled a half-done upload (loading was 1)");
	assert_int_equal(f->uploads, 1);
	free(i.buf);
	free(f);
}

/*
 * --check: what a real run meets before its first byte, with its answer,
 * and nothing written (not even the cancel a real run would make); the
 * host lock is probed, never taken, so a real updater is never refused
 * because of a check.
 */
static void test_check(void **state)
{
	char dir[] = "/tmp/tdxup-check-XXXXXX", path[64], holder[HOST_LOCK_HOLDER_LEN];
	struct fake *f = fake_new();
	struct update_opts o;
	struct update_result r;
	struct img i;
	int fd, fd2;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/host.lock", dir);
	opts(&o, &i, f, 1);
	o.check = true;
	o.lock_path = path;
	o.lock_what = "tdxup update";
	assert_int_equal(update_run(&f->c, &o, &r), UPDATE_DRY_RUN);
	assert_int_equal(update_exit_code(r.outcome), 0);
	assert_string_equal(r.reason, "every pre-check passed: would install 1.5.25 over 1.5.24 "
			    "as a v0x100 image (--image-format 0x100)");
	assert_int_equal(access(path, F_OK), -1);	/* no lock file made */
	/* Another update holds the lock: refused, and it keeps the lock. */
	assert_int_equal(host_lock_take(path, "other", &fd, NULL, 0), 0);
	assert_int_equal(update_run(&f->c, &o, &r), UPDATE_REFUSED);
	assert_int_equal(update_exit_code(r.outcome), 3);
	snprintf(holder, sizeof(holder), "another update of this host is running: pid %ld "
		 "(other) since ", (long)getpid());
	assert_int_equal(strncmp(r.reason, holder, strlen(holder)), 0);
	assert_non_null(strstr(r.reason, "; a real run would be refused, nothing was written"));
	assert_int_equal(host_lock_take(path, "x", &fd2, NULL, 0), -EBUSY);
	/* The real run gives the same answer. */
	o.check = false;
	assert_int_equal(update_run(&f->c, &o, &r), UPDATE_REFUSED);
	assert_int_equal(update_exit_code(r.outcome), 3);
	host_lock_drop(fd);
	/* Someone's upload running: refused, as the real run. */
	o.check = true;
	f->foreign_reads = 2;
	assert_int_equal(update_run(&f->c, &o, &r), UPDATE_REFUSED);
	assert_int_equal(strncmp(r.reason, "the fw_upload device is busy (status transferring)",
				 50), 0);
	/* A half-done upload: refused; with --cancel-stale, a warning, left as it is. */
	f->foreign_reads = 0;
	f->stale_loading = true;
	assert_int_equal(update_run(&f->c, &o, &r), UPDATE_REFUSED);
	assert_non_null(strstr(r.reason, "an upload is open (loading reads 1)"));
	o.cancel_stale = true;
	assert_int_equal(update_run(&f->c, &o, &r), UPDATE_DRY_RUN);
	assert_int_equal(r.nr_warnings, 1);
	assert_string_equal(r.warnings[0], "an upload is open (loading reads 1): a real run "
			    "cancels it (--cancel-stale)");
	assert_true(f->stale_loading);
	assert_int_equal(f->all_writes, 0);
	assert_int_equal(f->uploads, 0);
	assert_string_equal(f->version, "1.5.24");
	/* And the real run does what the check said. */
	o.check = false;
	assert_int_equal(update_run(&f->c, &o, &r), UPDATE_UPDATED);
	assert_int_equal(f->uploads, 1);
	free(i.buf);
	free(f);
	unlink(path);
	rmdir(dir);
}

static void test_poll_limit(void **state)
{
	struct fake *f = fake_new();
	struct update_opts o;
	struct update_result r;
	struct img i;

	/* Idle before the upload, never again after loading=0. */
	f->transfer_reads = 1 << 30;
	opts(&o, &i, f, 1);
	assert_int_equal(update_run(&f->c, &o, &r), UPDATE_ERROR);
	assert_int_equal(update_exit_code(r.outcome), 1);
	assert_string_equal(r.reason, "status did not return to idle within 600 s: the update may "
			    "still be running; check `tdxup status`");
	assert_int_equal(f->now - 5000000, 600 * 1000000ULL);
	free(i.buf);
	free(f);
}

/* num_remaining_updates is a slow P-SEAMLDR call: read once per run, retries included. */
static void test_remaining_read_once(void **state)
{
	struct fake *f = fake_new();
	struct update_opts o;
	struct update_result r;
	struct img i;

	f->busy_left = 3;
	opts(&o, &i, f, 1);
	o.retry_for_us = 60000000;
	assert_int_equal(update_run(&f->c, &o, &r), UPDATE_UPDATED);
	assert_int_equal(r.nr_attempts, 4);
	assert_int_equal(f->remaining_reads, 1);
	assert_int_equal(r.remaining_before, 5);
	assert_int_equal(r.remaining_after, 4);
	free(i.buf);
	free(f);
}

/* --keep-updates: refused when the budget would fall below it, from the one read. */
static void test_keep_updates(void **state)
{
	struct fake *f = fake_new();
	struct update_opts o;
	struct update_result r;
	struct img i;

	opts(&o, &i, f, 1);
	o.keep_updates = 5;
	assert_int_equal(update_run(&f->c, &o, &r), UPDATE_REFUSED);
	assert_string_equal(r.reason, "num_remaining_updates is 5: this update would leave 4, "
			    "below --keep-updates 5");
	assert_int_equal(f->writes, 0);
	assert_int_equal(f->remaining_reads, 1);
	o.keep_updates = 4;
	assert_int_equal(update_run(&f->c, &o, &r), UPDATE_UPDATED);
	free(i.buf);
	free(f);
}

static void test_success_but_wrong_version(void **state)
{
	struct fake *f = fake_new();
	struct update_opts o;
	struct update_result r;
	struct img i;

	/* The upload says done but another version runs: not an update. */
	f->target = "1.5.26";
	opts(&o, &i, f, 1);
	assert_int_equal(update_run(&f->c, &o, &r), UPDATE_ERROR);
	assert_int_equal(update_exit_code(r.outcome), 1);
	assert_string_equal(r.reason, "the upload reported success but the module version is now "
			    "1.5.26, not the target 1.5.25; check `tdxup status`");
	free(i.buf);
	free(f);
}

static void test_durations(void **state)
{
	uint64_t us;

	assert_int_equal(parse_duration_us("30s", &us), 0);
	assert_int_equal(us, 30000000);
	assert_int_equal(parse_duration_us("2m", &us), 0);
	assert_int_equal(us, 120000000);
	assert_int_equal(parse_duration_us("1h", &us), 0);
	assert_int_equal(us, 3600000000ULL);
	assert_int_equal(parse_duration_us("250ms", &us), 0);
	assert_int_equal(us, 250000);
	assert_int_equal(parse_duration_us("45", &us), 0);
	assert_int_equal(us, 45000000);
	assert_int_equal(parse_duration_us("", &us), -EINVAL);
	assert_int_equal(parse_duration_us("-1s", &us), -EINVAL);
	assert_int_equal(parse_duration_us("5d", &us), -EINVAL);
	assert_int_equal(parse_duration_us("1.5s", &us), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_busy_then_ok),
		cmocka_unit_test(test_busy_until_deadline),
		cmocka_unit_test(test_foreign_upload),
		cmocka_unit_test(test_stale_loading),
		cmocka_unit_test(test_retry_into_open_upload),
		cmocka_unit_test(test_readback),
		cmocka_unit_test(test_handed_over_by_another),
		cmocka_unit_test(test_cancel_fails),
		cmocka_unit_test(test_loading0_write_fails),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_keep_updates),
		cmocka_unit_test(test_poll_limit),
		cmocka_unit_test(test_remaining_read_once),
		cmocka_unit_test(test_success_but_wrong_version),
		cmocka_unit_test(test_durations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
