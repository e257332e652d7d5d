// SPDX-License-Identifier: MIT
/*
 * The update client against an emulated host through the in-process
 * sysfs backend: every outcome the kernel can produce. What needs time
 * (device-busy retries) is in test_update_retry.c, on a fake clock.
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

#include "helpers/kvm_harness.h"
#include "emu/host.h"
#include "emu/sysfs_client_tree.h"
#include "tdxup/sigstruct.h"
#include "tdxup/update.h"
#include "updater/catalog_fixture.h"

/* ---- emulated host ---- */

static struct tdx_host *new_host(const char *boot, enum kernel_profile p, enum sysfs_layout l,
				 uint32_t remaining)
{
	struct tdx_host_config cfg;
	struct tdx_host *h;
	int err = 0;

	tdx_host_config_init(&cfg);
	cfg.nr_cpus = 4;
	cfg.boot_module = boot;
	cfg.profile = p;
	cfg.layout = l;
	cfg.driver = LOCKSTEP_SERIAL;
	cfg.num_remaining_updates = remaining;
	h = tdx_host_create(&cfg, &err);
	assert_int_equal(err, 0);
	assert_non_null(h);
	return h;
}

struct img {
	uint8_t *buf;
	size_t len;
};

static struct img image(const char *version, unsigned int format)
{
	struct img i;

	fixture_image(module_build_find(version), format, false, &i.buf, &i.len);
	return i;
}

static void opts_for(struct update_opts *o, const struct img *i)
{
	update_opts_init(o);
	o->image = i->buf;
	o->image_len = i->len;
	o->cpu_fms_set = true;
	o->cpu_fms = 0x806f8;
	o->seed = 1;
	/* The emulated target declares its test key, as `serve` does in its mount. */
	o->trusted_keys = (const uint8_t (*)[48])tdxup_test_key_hash();
	o->nr_trusted_keys = 1;
}

static void assert_host_version(struct tdx_host *h, const char *want)
{
	uint16_t a, b, c;
	char s[32];

	assert_int_equal(tdx_host_module_version(h, &a, &b, &c), 0);
	snprintf(s, sizeof(s), "%u.%u.%02u", a, b, c);
	assert_string_equal(s, want);
}

static uint32_t host_remaining(struct tdx_host *h)
{
	struct seam_platform_state st;

	seam_platform_get_state(tdx_host_platform(h), &st);
	return st.num_remaining_updates;
}

static unsigned int host_attempts(struct tdx_host *h)
{
	struct tdx_host_stats st;

	tdx_host_get_stats(h, &st);
	return st.updates_attempted;
}

struct run {
	struct tdx_host *h;
	struct sysfs_client c;
	struct update_opts o;
	struct update_result r;
	struct img i;
};

/* A host booted on boot, a client on its tree, the target image and default options. */
static void run_setup(struct run *t, const char *boot, enum kernel_profile p,
		      enum sysfs_layout l, uint32_t remaining, const char *target,
		      unsigned int format)
{
	t->h = new_host(boot, p, l, remaining);
	sysfs_client_init_tree(&t->c, tdx_host_sysfs(t->h), NULL);
	t->i = image(target, format);
	opts_for(&t->o, &t->i);
}

static enum update_outcome run_on(struct run *t, const char *boot, enum kernel_profile p,
				  enum sysfs_layout l, uint32_t remaining, const char *target,
				  unsigned int format)
{
	run_setup(t, boot, p, l, remaining, target, format);
	return update_run(&t->c, &t->o, &t->r);
}

static void run_done(struct run *t)
{
	tdx_host_destroy(t->h);
	free(t->i.buf);
}

/* v8 final layout: v0x200 first by the heuristic, rejected, then v0x100. */
static void test_idle_host_success(void **state)
{
	struct run t;

	assert_int_equal(run_on(&t, "1.5.24", KERNEL_PROFILE_V8, SYSFS_LAYOUT_FINAL, 16, "1.5.25",
				0x100), UPDATE_UPDATED);
	assert_int_equal(update_exit_code(t.r.outcome), 0);
	assert_string_equal(t.r.reason, "updated the TDX module from 1.5.24 to 1.5.25");
	assert_string_equal(t.r.from, "1.5.24");
	assert_string_equal(t.r.to, "1.5.25");
	assert_host_version(t.h, "1.5.25");
	assert_int_equal(host_remaining(t.h), 15);
	assert_int_equal(t.r.remaining_before, 16);
	assert_int_equal(t.r.remaining_after, 15);
	assert_int_equal(t.r.nr_warnings, 0);
	assert_int_equal(t.r.nr_attempts, 2);
	assert_string_equal(t.r.attempts[0].error, "transferring:firmware-invalid");
	assert_int_equal(t.r.attempts[0].format, 0x200);
	assert_string_equal(t.r.attempts[1].error, "");
	assert_int_equal(t.r.attempts[1].format, 0x100);
	assert_int_equal(t.r.format, 0x100);
	assert_false(t.r.converted);
	run_done(&t);

	/* Forced format: one attempt. */
	run_setup(&t, "1.5.24", KERNEL_PROFILE_V8, SYSFS_LAYOUT_FINAL, 16, "1.5.25", 0x200);
	t.o.image_format = 0x100;
	assert_int_equal(update_run(&t.c, &t.o, &t.r), UPDATE_UPDATED);
	assert_int_equal(t.r.nr_attempts, 1);
	assert_true(t.r.converted);
	assert_host_version(t.h, "1.5.25");
	run_done(&t);
}

static void test_no_updates_left(void **state)
{
	struct run t;
	char buf[64];

	assert_int_equal(run_on(&t, "1.5.24", KERNEL_PROFILE_V8, SYSFS_LAYOUT_FINAL, 0, "1.5.25",
				0x100), UPDATE_REFUSED);
	assert_int_equal(update_exit_code(t.r.outcome), 3);
	assert_string_equal(t.r.reason, "no updates left: num_remaining_updates is 0 "
			    "(P-SEAMLDR's limit until the next reboot)");
	assert_int_equal(t.r.nr_attempts, 0);
	assert_int_equal(host_attempts(t.h), 0);
	assert_host_version(t.h, "1.5.24");
	assert_true(sysfs_client_read_str(&t.c, "class/firmware/tdx_module/remaining_size", buf,
					  sizeof(buf)) >= 0);
	assert_string_equal(buf, "0");
	run_done(&t);
}

static void test_corrupt_image(void **state)
{
	struct run t;

	t.h = new_host("1.5.24", KERNEL_PROFILE_V8, SYSFS_LAYOUT_FINAL, 16);
	sysfs_client_init_tree(&t.c, tdx_host_sysfs(t.h), NULL);
	t.i = image("1.5.25", 0x100);
	t.i.buf[t.i.len - 100] ^= 1;
	tdx_image_fix_checksum(t.i.buf, t.i.len);
	opts_for(&t.o, &t.i);
	assert_int_equal(update_run(&t.c, &t.o, &t.r), UPDATE_REFUSED);
	assert_int_equal(update_exit_code(t.r.outcome), 3);
	assert_string_equal(t.r.reason, "image: bad image: seamhash mismatch: SHA-384 of the 21 "
			    "module pages differs from the sigstruct");
	assert_int_equal(host_attempts(t.h), 0);
	run_done(&t);
}

/* 1.5.16 knows nothing of AVOID_COMPAT_SENSITIVE: v8's SHUTDOWN fails first. */
static void test_no_update_compat_v8(void **state)
{
	struct run t;

	assert_int_equal(run_on(&t, "1.5.16", KERNEL_PROFILE_V8, SYSFS_LAYOUT_FINAL, 16, "1.5.24",
				0x100), UPDATE_FAILED);
	assert_int_equal(update_exit_code(t.r.outcome), 5);
	assert_string_equal(t.r.reason, "update failed (transferring:firmware-invalid): nothing "
			    "changed, TDs are safe; still running 1.5.16");
	assert_host_version(t.h, "1.5.16");
	assert_int_equal(host_remaining(t.h), 16);
	assert_int_equal(t.r.nr_attempts, 2);
	run_done(&t);
}

static void test_lost(void **state)
{
	struct run t;

	run_setup(&t, "1.5.24", KERNEL_PROFILE_V8, SYSFS_LAYOUT_FINAL, 16, "1.5.25", 0x100);
	t.o.image_format = 0x100;
	tdx_host_inject(t.h, HOST_FAULT_SYS_UPDATE, 0);
	assert_int_equal(update_run(&t.c, &t.o, &t.r), UPDATE_LOST);
	assert_int_equal(update_exit_code(t.r.outcome), 6);
	assert_string_equal(t.r.reason, "update failed (transferring:firmware-invalid) after the "
			    "old module was shut down: module lost, TDs are gone, reboot required");
	assert_false(tdx_host_module_initialized(t.h));

	/* A second run sees the loss before writing anything. */
	assert_int_equal(update_run(&t.c, &t.o, &t.r), UPDATE_LOST);
	assert_string_equal(t.r.reason, "module lost: devices/faux/tdx_host/version gives ENXIO; "
			    "TDs are gone, reboot required");
	assert_int_equal(host_attempts(t.h), 1);
	assert_int_equal(update_exit_status(&t.o, t.r.outcome), 6);

	/* A check or dry run says the same, but 5 and 6 are an upload's: refused (3). */
	t.o.check = true;
	assert_int_equal(update_run(&t.c, &t.o, &t.r), UPDATE_LOST);
	assert_int_equal(update_exit_status(&t.o, t.r.outcome), 3);
	assert_string_equal(t.r.reason, "module lost: devices/faux/tdx_host/version gives ENXIO; "
			    "TDs are gone, reboot required");
	t.o.check = false;
	t.o.dry_run = true;
	assert_int_equal(update_run(&t.c, &t.o, &t.r), UPDATE_LOST);
	assert_int_equal(update_exit_status(&t.o, t.r.outcome), 3);
	assert_int_equal(update_exit_status(&t.o, UPDATE_FAILED), 3);
	assert_int_equal(update_exit_status(&t.o, UPDATE_REFUSED), 3);
	assert_int_equal(update_exit_status(&t.o, UPDATE_DRY_RUN), 0);
	assert_int_equal(update_exit_status(&t.o, UPDATE_ERROR), 1);
	assert_int_equal(host_attempts(t.h), 1);
	run_done(&t);
}

static void test_mainline_converts(void **state)
{
	struct run t;

	assert_int_equal(run_on(&t, "1.5.24", KERNEL_PROFILE_MAINLINE, SYSFS_LAYOUT_FINAL, 16,
				"1.5.25", 0x100), UPDATE_UPDATED);
	assert_int_equal(t.r.nr_attempts, 1);
	assert_int_equal(t.r.format, 0x200);
	assert_true(t.r.converted);
	assert_host_version(t.h, "1.5.25");
	assert_int_equal(host_remaining(t.h), 15);
	run_done(&t);

	/* Forcing v0x100 on mainline fails cleanly: nothing changed. */
	run_setup(&t, "1.5.24", KERNEL_PROFILE_MAINLINE, SYSFS_LAYOUT_FINAL, 16, "1.5.25", 0x100);
	t.o.image_format = 0x100;
	assert_int_equal(update_run(&t.c, &t.o, &t.r), UPDATE_FAILED);
	assert_host_version(t.h, "1.5.24");
	run_done(&t);
}

static void test_legacy_layout(void **state)
{
	struct run t;

	assert_int_equal(run_on(&t, "1.5.24", KERNEL_PROFILE_V8, SYSFS_LAYOUT_LEGACY, 16, "1.5.25",
				0x200), UPDATE_UPDATED);
	/* The legacy layout is v5-v7: v0x100 straight away. */
	assert_int_equal(t.r.nr_attempts, 1);
	assert_int_equal(t.r.format, 0x100);
	assert_true(t.r.converted);
	assert_host_version(t.h, "1.5.25");
	run_done(&t);
}

static void test_already_current(void **state)
{
	struct run t;

	assert_int_equal(run_on(&t, "1.5.25", KERNEL_PROFILE_V8, SYSFS_LAYOUT_FINAL, 16, "1.5.25",
				0x100), UPDATE_CURRENT);
	assert_int_equal(update_exit_code(t.r.outcome), 0);
	assert_string_equal(t.r.reason, "already running 1.5.25");
	assert_int_equal(host_attempts(t.h), 0);
	/* --reinstall: the same version again is a real, TD-preserving update. */
	t.o.reinstall = true;
	t.o.image_format = 0x100;	/* what this v8 kernel takes: one upload */
	assert_int_equal(update_run(&t.c, &t.o, &t.r), UPDATE_UPDATED);
	assert_int_equal(host_attempts(t.h), 1);
	assert_int_equal(t.r.remaining_before, 16);
	assert_int_equal(t.r.remaining_after, 15);
	run_done(&t);
}

static void test_refusals(void **state)
{
	struct run t;

	/* A downgrade. */
	assert_int_equal(run_on(&t, "1.5.25", KERNEL_PROFILE_V8, SYSFS_LAYOUT_FINAL, 16, "1.5.24",
				0x100), UPDATE_REFUSED);
	assert_string_equal(t.r.reason, "1.5.24: not TD-preserving: older than the running "
			    "1.5.25 (a downgrade)");
	/* ... forced, but blind (no catalogue image of the running module). */
	t.o.force_downgrade = true;
	assert_int_equal(update_run(&t.c, &t.o, &t.r), UPDATE_REFUSED);
	assert_string_equal(t.r.reason, "1.5.24: a downgrade needs the catalogue image of the "
			    "running module to check the SEAM SVN (P-SEAMLDR refuses a lower SVN "
			    "after shutdown, losing the module)");
	/* The wrong CPU. */
	t.o.force_downgrade = false;
	free(t.i.buf);
	t.i = image("2.0.08", 0x100);
	t.o.image = t.i.buf;
	t.o.image_len = t.i.len;
	assert_int_equal(update_run(&t.c, &t.o, &t.r), UPDATE_REFUSED);
	assert_string_equal(t.r.reason, "2.0.08: CPU 0x806f8 not supported (module CPU list: "
			    "0xa06d0, 0xa06e0)");
	/* A --version that contradicts the image. */
	t.o.version = "2.0.09";
	assert_int_equal(update_run(&t.c, &t.o, &t.r), UPDATE_REFUSED);
	assert_string_equal(t.r.reason, "the image is module 2.0.08, not 2.0.09 (--version)");
	/* Dry run: every check, nothing written. */
	t.o.version = NULL;
	free(t.i.buf);
	t.i = image("1.5.30", 0x100);
	t.o.image = t.i.buf;
	t.o.image_len = t.i.len;
	t.o.dry_run = true;
	assert_int_equal(update_run(&t.c, &t.o, &t.r), UPDATE_DRY_RUN);
	assert_string_equal(t.r.reason, "every pre-check passed: would install 1.5.30 over 1.5.25 "
			    "as a v0x200 image (kernel release unknown; tdx_host/seamldr_version: "
			    "0x200, 0x100 if refused)");
	assert_int_equal(host_attempts(t.h), 0);
	run_done(&t);
}

/* --catalog: the newest valid module, read and verified from the directory. */
static void test_from_catalog(void **state)
{
	char *dir = fixture_dir(), want[4096];
	struct run t;

	fixture_json(dir, "{\"tdx_module_releases\": ["
		     "{\"version\": \"1.5.24\", \"min_module_version_for_td_preserving\": \"1.5.01\","
		     " \"min_seamldr_versions\": [\"1.5.00\"], \"tdx_feature0\": \"0x1\"},"
		     "{\"version\": \"1.5.25\", \"min_module_version_for_td_preserving\": \"1.5.01\","
		     " \"min_seamldr_versions\": [\"1.5.00\"], \"tdx_feature0\": \"0x1\"},"
		     "{\"version\": \"2.0.08\", \"min_module_version_for_td_preserving\": \"2.0.04\","
		     " \"min_seamldr_versions\": [\"2.0.00\"], \"tdx_feature0\": \"0x1\"}]}");
	fixture_blob_of(dir, "1.5.24");
	fixture_blob_of(dir, "1.5.25");
	fixture_blob_of(dir, "2.0.08");
	t.h = new_host("1.5.24", KERNEL_PROFILE_MAINLINE, SYSFS_LAYOUT_FINAL, 16);
	sysfs_client_init_tree(&t.c, tdx_host_sysfs(t.h), NULL);
	update_opts_init(&t.o);
	t.o.catalog_dir = dir;
	t.o.cpu_fms_set = true;
	t.o.cpu_fms = 0x806f8;
	t.o.trusted_keys = (const uint8_t (*)[48])tdxup_test_key_hash();
	t.o.nr_trusted_keys = 1;
	/* An unknown version is refused by name. */
	t.o.version = "1.5.26";
	assert_int_equal(update_run(&t.c, &t.o, &t.r), UPDATE_REFUSED);
	snprintf(want, sizeof(want), "version 1.5.26 is not in the catalogue %s", dir);
	assert_string_equal(t.r.reason, want);
	t.o.version = NULL;
	assert_int_equal(update_run(&t.c, &t.o, &t.r), UPDATE_UPDATED);
	assert_string_equal(t.r.to, "1.5.25");
	assert_host_version(t.h, "1.5.25");
	/* Again: nothing newer, so current. */
	assert_int_equal(update_run(&t.c, &t.o, &t.r), UPDATE_CURRENT);
	assert_string_equal(t.r.reason, "already running 1.5.25");
	tdx_host_destroy(t.h);
	fixture_rm(dir);
}

/*
 * --ensure: a version as a state. Reached once; after that every run is
 * current before the catalogue is read, so a catalogue gone (or one that
 * dropped the version) does not turn a satisfied host into a failure.
 */
static void test_ensure(void **state)
{
	char *dir = fixture_dir();
	struct run t;

	fixture_json(dir, "{\"tdx_module_releases\": ["
		     "{\"version\": \"1.5.24\", \"min_module_version_for_td_preserving\": \"1.5.01\","
		     " \"min_seamldr_versions\": [\"1.5.00\"], \"tdx_feature0\": \"0x1\"},"
		     "{\"version\": \"1.5.25\", \"min_module_version_for_td_preserving\": \"1.5.01\","
		     " \"min_seamldr_versions\": [\"1.5.00\"], \"tdx_feature0\": \"0x1\"},"
		     "{\"version\": \"1.5.30\", \"min_module_version_for_td_preserving\": \"1.5.01\","
		     " \"min_seamldr_versions\": [\"1.5.00\"], \"tdx_feature0\": \"0x1\"}]}");
	fixture_blob_of(dir, "1.5.24");
	fixture_blob_of(dir, "1.5.25");
	fixture_blob_of(dir, "1.5.30");
	t.h = new_host("1.5.24", KERNEL_PROFILE_V8, SYSFS_LAYOUT_FINAL, 16);
	sysfs_client_init_tree(&t.c, tdx_host_sysfs(t.h), NULL);
	update_opts_init(&t.o);
	t.o.catalog_dir = dir;
	t.o.cpu_fms_set = true;
	t.o.cpu_fms = 0x806f8;
	t.o.image_format = 0x100;
	t.o.trusted_keys = (const uint8_t (*)[48])tdxup_test_key_hash();
	t.o.nr_trusted_keys = 1;
	t.o.ensure = true;
	t.o.version = "1.5.25";
	/* Not the newest: that version's blob, with the advice as a warning. */
	assert_int_equal(update_run(&t.c, &t.o, &t.r), UPDATE_UPDATED);
	assert_string_equal(t.r.to, "1.5.25");
	assert_int_equal(t.r.nr_warnings, 1);
	assert_host_version(t.h, "1.5.25");
	assert_int_equal(host_attempts(t.h), 1);
	/* Again: current, nothing sent, nothing else read (no catalogue warning). */
	assert_int_equal(update_run(&t.c, &t.o, &t.r), UPDATE_CURRENT);
	assert_string_equal(t.r.reason, "already running 1.5.25");
	assert_string_equal(t.r.from, "1.5.25");
	assert_string_equal(t.r.to, "1.5.25");
	assert_int_equal(t.r.nr_warnings, 0);
	/* --reinstall does not turn a state into an action. */
	t.o.reinstall = true;
	t.o.catalog_dir = "/nonexistent/tdxup-catalogue";
	assert_int_equal(update_run(&t.c, &t.o, &t.r), UPDATE_CURRENT);
	assert_int_equal(host_attempts(t.h), 1);
	/* Without --ensure the same options read the catalogue, and fail on it. */
	t.o.ensure = false;
	assert_int_equal(update_run(&t.c, &t.o, &t.r), UPDATE_REFUSED);
	assert_int_equal(strncmp(t.r.reason, "catalogue: ", 11), 0);
	/* A version below the running one is a downgrade, refused as always. */
	t.o.ensure = true;
	t.o.reinstall = false;
	t.o.catalog_dir = dir;
	t.o.version = "1.5.24";
	assert_int_equal(update_run(&t.c, &t.o, &t.r), UPDATE_REFUSED);
	assert_string_equal(t.r.reason, "1.5.24: not TD-preserving: older than the running "
			    "1.5.25 (a downgrade)");
	/* latest: the catalogue's choice, then current. */
	t.o.version = NULL;
	assert_int_equal(update_run(&t.c, &t.o, &t.r), UPDATE_UPDATED);
	assert_host_version(t.h, "1.5.30");
	assert_int_equal(update_run(&t.c, &t.o, &t.r), UPDATE_CURRENT);
	assert_int_equal(host_attempts(t.h), 2);
	tdx_host_destroy(t.h);
	fixture_rm(dir);
}

/*
 * device-busy from a real TD build (v8): the update is refused while the
 * build window is open; the builder finishes during the client's back-off
 * (the clock hook stands for time passing) and the retry goes through.
 */
struct builder_clock {
	uint64_t now;
	struct td *td;
	bool finalized;
};

static uint64_t bc_now(void *ctx)
{
	return ((struct builder_clock *)ctx)->now;
}

static void bc_sleep(void *ctx, uint64_t us)
{
	struct builder_clock *bc = ctx;

	/*
	 * Polls are 100 ms and take no virtual time: how many there are
	 * depends on the real worker thread. Back-off sleeps are longer.
	 */
	if (us < 500000) {
		usleep(1000);	/* the fw_upload worker is a real thread */
		return;
	}
	bc->now += us;
	if (!bc->finalized) {
		kh_td_vcpu(bc->td);
		assert_int_equal(kh_td_region(bc->td, 0, 2, true, NULL), 0);
		kh_td_finalize(bc->td);
		bc->finalized = true;
	}
}

static void test_busy_real_builder(void **state)
{
	struct tdx_host *h = kh_host_new(KERNEL_PROFILE_V8, LOCKSTEP_SERIAL, NULL);
	struct builder_clock bc = { .now = 1000000 };
	struct tdx_host_stats st;
	struct update_opts o;
	struct update_result r;
	struct sysfs_client c;
	struct img i = image("1.5.30", 0x100);
	struct td td;

	kh_td_new(&td, h, 1, 3);
	assert_int_equal(kh_init_vm(&td, NULL), 0);	/* the build window opens */
	bc.td = &td;
	sysfs_client_init_tree(&c, tdx_host_sysfs(h), NULL);
	c.now_us = bc_now;
	c.sleep_us = bc_sleep;
	c.clock_ctx = &bc;
	opts_for(&o, &i);
	o.image_format = 0x100;
	assert_int_equal(update_run(&c, &o, &r), UPDATE_UPDATED);
	assert_true(bc.finalized);
	assert_int_equal(r.nr_attempts, 2);
	assert_string_equal(r.attempts[0].error, "transferring:device-busy");
	assert_int_equal(r.attempts[0].at_ms, 0);
	assert_string_equal(r.attempts[1].error, "");
	assert_in_range(r.attempts[1].at_ms, 500, 1000);
	assert_host_version(h, "1.5.30");
	tdx_host_get_stats(h, &st);
	assert_int_equal(st.busy_rejections, 1);
	assert_true(kh_td_mrtd_matches(&td));
	kh_td_free(&td);
	free(i.buf);
	tdx_host_destroy(h);
}

/* A guard that asks to stop at its nth call of one kind, and counts them all. */
struct guard_log {
	enum update_guard stop_at;
	int stop_nth;			/* 0: never */
	int calls[3];
	int order_ok;			/* every POLL and SETTLED came after an OPEN */
	char loading[8];		/* loading when it stopped */
	struct sysfs_client *c;
};

static const char *guard_cb(void *ctx, enum update_guard g)
{
	struct guard_log *l = ctx;

	if (g != UPDATE_GUARD_OPEN && !l->calls[UPDATE_GUARD_OPEN])
		l->order_ok = 0;
	if (++l->calls[g] != l->stop_nth || g != l->stop_at)
		return NULL;
	sysfs_client_read_str(l->c, "class/firmware/tdx_module/loading", l->loading,
			      sizeof(l->loading));
	return "SIGTERM";
}

static void guard_run(struct run *t, struct guard_log *l, enum update_guard at, int nth)
{
	run_setup(t, "1.5.24", KERNEL_PROFILE_MAINLINE, SYSFS_LAYOUT_FINAL, 16, "1.5.30", 0x200);
	*l = (struct guard_log){ .stop_at = at, .stop_nth = nth, .order_ok = 1, .c = &t->c };
	t->o.image_format = 0x200;
	t->o.chunk = 4096;
	t->o.guard = guard_cb;
	t->o.guard_ctx = l;
	update_run(&t->c, &t->o, &t->r);
}

static void assert_loading(struct run *t, const char *want)
{
	char buf[8];

	assert_true(sysfs_client_read_str(&t->c, "class/firmware/tdx_module/loading", buf,
					  sizeof(buf)) > 0);
	assert_string_equal(buf, want);
}

/* The caller's guard: stop before loading=1, cancel before loading=0, never after it. */
static void test_guard(void **state)
{
	struct guard_log l;
	struct run t;

	guard_run(&t, &l, UPDATE_GUARD_OPEN, 1);
	assert_int_equal(t.r.outcome, UPDATE_REFUSED);
	assert_string_equal(t.r.reason, "stopped (SIGTERM) before the upload: nothing was written");
	assert_string_equal(l.loading, "0");
	assert_int_equal(l.calls[UPDATE_GUARD_POLL], 0);
	assert_int_equal(t.r.nr_attempts, 0);
	assert_int_equal(host_attempts(t.h), 0);
	assert_host_version(t.h, "1.5.24");
	run_done(&t);

	/* The second data write: the open upload is cancelled, nothing is left open. */
	guard_run(&t, &l, UPDATE_GUARD_POLL, 2);
	assert_int_equal(t.r.outcome, UPDATE_REFUSED);
	assert_string_equal(t.r.reason, "stopped (SIGTERM) before loading=0: the upload was "
			    "cancelled (loading=-1), nothing reached the module");
	assert_string_equal(l.loading, "1");
	assert_loading(&t, "0");
	assert_int_equal(host_attempts(t.h), 0);
	assert_host_version(t.h, "1.5.24");
	run_done(&t);

	/* Never asked to stop: one OPEN, a POLL per 4 KiB chunk and one before loading=0. */
	guard_run(&t, &l, UPDATE_GUARD_OPEN, 0);
	assert_int_equal(t.r.outcome, UPDATE_UPDATED);
	assert_int_equal(l.calls[UPDATE_GUARD_OPEN], 1);
	assert_int_equal(l.calls[UPDATE_GUARD_POLL], (int)(t.i.len / 4096) + 1);
	assert_int_equal(l.calls[UPDATE_GUARD_SETTLED], 0);
	assert_true(l.order_ok);
	assert_host_version(t.h, "1.5.30");
	run_done(&t);

	/* The last POLL is the last moment: loading=0 follows it. */
	guard_run(&t, &l, UPDATE_GUARD_POLL, (int)(t.i.len / 4096) + 1);
	assert_int_equal(t.r.outcome, UPDATE_REFUSED);
	assert_loading(&t, "0");
	assert_int_equal(host_attempts(t.h), 0);
	run_done(&t);
}

/* device-busy is an outcome: a stop asked for then ends the run, no retry. */
static void test_guard_settled_busy(void **state)
{
	struct tdx_host *h = kh_host_new(KERNEL_PROFILE_V8, LOCKSTEP_SERIAL, NULL);
	struct builder_clock bc = { .now = 1000000 };
	struct guard_log l = { .stop_at = UPDATE_GUARD_SETTLED, .stop_nth = 1, .order_ok = 1 };
	struct update_opts o;
	struct update_result r;
	struct sysfs_client c;
	struct img i = image("1.5.30", 0x100);
	struct td td;

	kh_td_new(&td, h, 1, 3);
	assert_int_equal(kh_init_vm(&td, NULL), 0);
	sysfs_client_init_tree(&c, tdx_host_sysfs(h), NULL);
	c.now_us = bc_now;
	c.sleep_us = bc_sleep;
	c.clock_ctx = &bc;
	l.c = &c;
	opts_for(&o, &i);
	o.image_format = 0x100;
	o.guard = guard_cb;
	o.guard_ctx = &l;
	assert_int_equal(update_run(&c, &o, &r), UPDATE_BUSY);
	assert_string_equal(r.reason, "transferring:device-busy after attempt 1; stopped "
			    "(SIGTERM) before trying again: nothing changed");
	assert_int_equal(r.nr_attempts, 1);
	assert_true(l.order_ok);
	assert_host_version(h, "1.5.25");
	assert_false(bc.finalized);
	kh_td_free(&td);
	free(i.buf);
	tdx_host_destroy(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idle_host_success),
		cmocka_unit_test(test_no_updates_left),
		cmocka_unit_test(test_corrupt_image),
		cmocka_unit_test(test_no_update_compat_v8),
		cmocka_unit_test(test_lost),
		cmocka_unit_test(test_mainline_converts),
		cmocka_unit_test(test_legacy_layout),
		cmocka_unit_test(test_already_current),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_from_catalog),
		cmocka_unit_test(test_ensure),
		cmocka_unit_test(test_busy_real_builder),
		cmocka_unit_test(test_guard),
		cmocka_unit_test(test_guard_settled_busy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
