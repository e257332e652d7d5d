// SPDX-License-Identifier: MIT
/*
 * The tdx_host faux device and its fw_upload device (kernel.md 8, 10)
 * through the userspace file API only: the attributes' exact contents and
 * modes, what the SEAMRET erratum and the legacy layout show, full uploads
 * over loading/data, the error strings per profile, the TD-build window,
 * the files while an update is in flight, and a lost module.
 *
 * States in the middle of an update are reached deterministically: the test
 * holds a CPU (a preempt-disabled section), so stop_machine cannot take
 * every CPU and the upload worker stays inside its write op until the test
 * lets go. Polling loops are bounds, never timing asserts.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers/kvm_harness.h"
#include "kernel/kernel.h"
#include "emu/host.h"
#include "emu/module_build.h"
#include "emu/sysfs.h"

#define DEV		"devices/faux/tdx_host/"
#define FW		"class/firmware/tdx_module/"
#define FW_DEV		DEV "firmware/tdx_module/"
#define FW_LEGACY	"class/firmware/seamldr_upload/"
#define POLL_STEPS	10000	/* 1 ms each: a bound, never a timing assert */
#define HELD_CPU	1	/* not the lead CPU, so the hold is a pure bystander */

static const enum lockstep_driver drivers[] = { LOCKSTEP_THREADS, LOCKSTEP_SERIAL };

#define NR_DRIVERS	(sizeof(drivers) / sizeof(drivers[0]))
/* Both drivers: the files must not depend on how stop_machine runs. */
#define for_each_driver(d) \
	for (size_t _i = 0; _i < NR_DRIVERS && ((d) = drivers[_i], true); _i++)

struct host_opts {
	const char *boot;
	enum kernel_profile profile;
	enum lockstep_driver driver;
	enum sysfs_layout layout;
	bool erratum;
};

static struct tdx_host *host_new(const struct host_opts *o)
{
	struct tdx_host_config cfg;
	struct tdx_host *h;
	int err = 0;

	tdx_host_config_init(&cfg);
	cfg.nr_cpus = 4;
	cfg.nr_packages = 2;
	cfg.boot_module = o->boot ? o->boot : "1.5.24";
	cfg.profile = o->profile;
	cfg.driver = o->driver;
	cfg.layout = o->layout;
	cfg.seamret_erratum = o->erratum;
	h = tdx_host_create(&cfg, &err);
	assert_int_equal(err, 0);
	assert_non_null(h);
	return h;
}

static void image_of(const char *version, unsigned int format, uint8_t **img, size_t *len)
{
	struct module_image_opts opts = { .format = format };

	assert_int_equal(module_image_build(module_build_find(version), &opts, img, len), 0);
	/* page-sized data writes below assume an image of several pages */
	assert_true(*len > 2 * SYSFS_PAGE_SIZE);
}

static void msleep(unsigned int ms)
{
	kthread_default_ops()->sleep_us(NULL, ms * 1000ull);
}

/* ---- the files ---- */

static ssize_t get_as(struct tdx_host *h, const char *path, const struct sysfs_cred *cred,
		      char *buf, size_t size)
{
	return sysfs_read_file(tdx_host_sysfs(h), path, cred, buf, size);
}

static ssize_t get(struct tdx_host *h, const char *path, char *buf, size_t size)
{
	return get_as(h, path, &sysfs_cred_root, buf, size);
}

static ssize_t put(struct tdx_host *h, const char *path, const char *s)
{
	return sysfs_write_file(tdx_host_sysfs(h), path, &sysfs_cred_root, s, strlen(s));
}

static void assert_file_as(struct tdx_host *h, const char *path, const struct sysfs_cred *cred,
			   const char *expected)
{
	char buf[256];

	assert_int_equal(get_as(h, path, cred, buf, sizeof(buf)), (ssize_t)strlen(expected));
	assert_string_equal(buf, expected);
}

static void assert_file(struct tdx_host *h, const char *path, const char *expected)
{
	assert_file_as(h, path, &sysfs_cred_root, expected);
}

static void assert_read_err(struct tdx_host *h, const char *path, const struct sysfs_cred *cred,
			    int err)
{
	char buf[256];

	assert_int_equal(get_as(h, path, cred, buf, sizeof(buf)), err);
}

static void assert_absent(struct tdx_host *h, const char *path)
{
	struct sysfs_stat st;

	assert_int_equal(sysfs_stat(tdx_host_sysfs(h), path, false, &st), -ENOENT);
	assert_read_err(h, path, &sysfs_cred_root, -ENOENT);
}

static void assert_mode(struct tdx_host *h, const char *path, unsigned int mode)
{
	struct sysfs_stat st;

	assert_int_equal(sysfs_stat(tdx_host_sysfs(h), path, true, &st), 0);
	assert_int_equal(st.type, SYSFS_FILE);
	assert_int_equal(st.mode, mode);
}

/* fw/<file> for an upload directory fw ending in '/'. */
static const char *fw_path(const char *fw, const char *file)
{
	static char path[192];

	snprintf(path, sizeof(path), "%s%s", fw, file);
	return path;
}

static void assert_fw_file(struct tdx_host *h, const char *fw, const char *file,
			   const char *expected)
{
	assert_file(h, fw_path(fw, file), expected);
}

static void assert_remaining_size(struct tdx_host *h, const char *fw, size_t size)
{
	char want[32];

	snprintf(want, sizeof(want), "%zu\n", size);
	assert_fw_file(h, fw, "remaining_size", want);
}

/* A successful upload leaves an empty error file: the core prints nothing. */
static void assert_no_error(struct tdx_host *h, const char *fw)
{
	char buf[64];

	assert_int_equal(get(h, fw_path(fw, "error"), buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
}

static bool await_status(struct tdx_host *h, const char *fw, const char *expected)
{
	char buf[64];

	for (int i = 0; i < POLL_STEPS; i++) {
		if (get(h, fw_path(fw, "status"), buf, sizeof(buf)) > 0 && !strcmp(buf, expected))
			return true;
		msleep(1);
	}
	return false;
}

/*
 * What a userspace updater does: loading=1, the image into data one page
 * per write() at increasing offsets, loading=0. The last write returns as
 * soon as the worker is started; the update runs behind it.
 */
static void upload_start(struct tdx_host *h, const char *fw, const uint8_t *img, size_t len)
{
	struct sysfs_file *f;

	assert_int_equal(put(h, fw_path(fw, "loading"), "1"), 1);
	assert_fw_file(h, fw, "loading", "1\n");
	assert_int_equal(sysfs_open(tdx_host_sysfs(h), fw_path(fw, "data"), O_WRONLY,
				    &sysfs_cred_root, &f), 0);
	for (size_t off = 0; off < len; off += SYSFS_PAGE_SIZE) {
		size_t n = len - off < SYSFS_PAGE_SIZE ? len - off : SYSFS_PAGE_SIZE;

		assert_int_equal(sysfs_write(f, (const char *)img + off, n, off), (ssize_t)n);
	}
	sysfs_close(f);
	assert_int_equal(put(h, fw_path(fw, "loading"), "0"), 1);
}

static void upload(struct tdx_host *h, const char *fw, const uint8_t *img, size_t len)
{
	upload_start(h, fw, img, len);
	assert_true(await_status(h, fw, "idle\n"));
	assert_fw_file(h, fw, "loading", "0\n");
}

static void upload_version(struct tdx_host *h, const char *fw, const char *version,
			   unsigned int format, size_t *len_out)
{
	uint8_t *img;
	size_t len;

	image_of(version, format, &img, &len);
	upload(h, fw, img, len);
	free(img);
	if (len_out)
		*len_out = len;
}

/* ---- the attributes ---- */

static void test_version_format(void **state)
{
	static const struct {
		const char *boot, *shown;
	} cases[] = {
		{ "1.5.24", "1.5.24\n" },
		{ "1.5.06", "1.5.06\n" },	/* %02u: the update number is zero-padded */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tdx_host *h = host_new(&(struct host_opts){ .boot = cases[i].boot });

		assert_mode(h, DEV "version", 0444);
		assert_file_as(h, DEV "version", &sysfs_cred_user, cases[i].shown);
		assert_file_as(h, DEV "version", &sysfs_cred_root, cases[i].shown);
		tdx_host_destroy(h);
	}
}

/* Each read is a live SEAMLDR.INFO: admin-only. */
static void test_seamldr_attrs_root_only(void **state)
{
	struct tdx_host *h = host_new(&(struct host_opts){ 0 });

	assert_mode(h, DEV "seamldr_version", 0400);
	assert_mode(h, DEV "num_remaining_updates", 0400);
	assert_file(h, DEV "seamldr_version", "1.5.01\n");
	assert_file(h, DEV "num_remaining_updates", "16\n");
	assert_read_err(h, DEV "seamldr_version", &sysfs_cred_user, -EACCES);
	assert_read_err(h, DEV "num_remaining_updates", &sysfs_cred_user, -EACCES);
	tdx_host_destroy(h);
}

/*
 * seamldr_call maps through seamcall_prerr (kernel.md 7, seamldr.md 1.1):
 * a P-SEAMLDR status is -EIO, but a SEAMCALL that faults with #UD (here:
 * the LP is running a guest) is -EACCES, not -EIO.
 */
static void test_seamldr_call_errno(void **state)
{
	struct tdx_host *h = host_new(&(struct host_opts){ 0 });
	struct seam_platform *p = tdx_host_platform(h);
	struct seamldr_info info;
	struct seam_args a = { .rcx = 1 };	/* not 256-byte aligned */

	assert_int_equal(seamldr_call(h, 0, SEAMLDR_INFO, &a), -EIO);
	seam_lp_set_guest_running(p, 0, true);
	a = (struct seam_args){ 0 };
	assert_int_equal(seamldr_call(h, 0, SEAMLDR_INFO, &a), -EACCES);
	seam_lp_set_guest_running(p, 0, false);
	assert_int_equal(seamldr_get_info(h, &info), 0);
	assert_int_equal(info.major_version, 1);
	tdx_host_destroy(h);
}

/* ---- uploads over the files ---- */

static void test_upload_updates_attrs(void **state)
{
	enum lockstep_driver drv;

	for_each_driver(drv) {
		struct tdx_host *h = host_new(&(struct host_opts){ .driver = drv });
		struct tdx_host_stats st;

		assert_fw_file(h, FW, "status", "idle\n");
		assert_no_error(h, FW);
		upload_version(h, FW, "1.5.25", 0x100, NULL);
		assert_no_error(h, FW);
		assert_fw_file(h, FW, "remaining_size", "0\n");
		assert_file_as(h, DEV "version", &sysfs_cred_user, "1.5.25\n");
		assert_file(h, DEV "num_remaining_updates", "15\n");
		assert_file(h, DEV "seamldr_version", "1.5.01\n");
		tdx_host_get_stats(h, &st);
		assert_int_equal(st.updates_attempted, 1);
		assert_int_equal(st.updates_applied, 1);

		/* The same device takes the next one, here through the device path. */
		upload_version(h, FW_DEV, "1.5.30", 0x100, NULL);
		assert_no_error(h, FW_DEV);
		assert_file(h, DEV "version", "1.5.30\n");
		assert_file(h, DEV "num_remaining_updates", "14\n");
		tdx_host_destroy(h);
	}
}

/* X86_BUG_SEAMRET_INVD_VMCS: no update interface at all, version stays. */
static void test_erratum_hides_update_interface(void **state)
{
	static const enum sysfs_layout layouts[] = { SYSFS_LAYOUT_FINAL, SYSFS_LAYOUT_LEGACY };

	for (size_t i = 0; i < 2; i++) {
		struct tdx_host *h = host_new(&(struct host_opts){
			.erratum = true, .layout = layouts[i] });

		assert_file_as(h, DEV "version", &sysfs_cred_user, "1.5.24\n");
		assert_absent(h, DEV "seamldr_version");
		assert_absent(h, DEV "num_remaining_updates");
		assert_absent(h, DEV "firmware/tdx_module");
		assert_absent(h, "class/firmware/tdx_module");
		assert_absent(h, DEV "seamldr");
		assert_absent(h, "class/firmware/seamldr_upload");
		tdx_host_destroy(h);
	}
}

/* v5-v7 paths next to the final ones; both upload devices work. */
static void test_legacy_layout(void **state)
{
	struct tdx_host *h = host_new(&(struct host_opts){ .layout = SYSFS_LAYOUT_LEGACY });

	assert_mode(h, DEV "seamldr/version", 0400);
	assert_mode(h, DEV "seamldr/num_remaining_updates", 0400);
	assert_file(h, DEV "seamldr/version", "1.5.01\n");
	assert_file(h, DEV "seamldr/num_remaining_updates", "16\n");
	assert_read_err(h, DEV "seamldr/version", &sysfs_cred_user, -EACCES);
	assert_file(h, DEV "seamldr_version", "1.5.01\n");
	assert_fw_file(h, FW_LEGACY, "status", "idle\n");
	assert_fw_file(h, FW, "status", "idle\n");

	upload_version(h, FW_LEGACY, "1.5.25", 0x100, NULL);
	assert_no_error(h, FW_LEGACY);
	assert_file(h, DEV "version", "1.5.25\n");
	assert_file(h, DEV "seamldr/num_remaining_updates", "15\n");
	assert_file(h, DEV "num_remaining_updates", "15\n");

	upload_version(h, FW, "1.5.30", 0x100, NULL);
	assert_no_error(h, FW);
	assert_file(h, DEV "version", "1.5.30\n");
	assert_file(h, DEV "seamldr/num_remaining_updates", "14\n");
	/* each device keeps its own record */
	assert_fw_file(h, FW_LEGACY, "status", "idle\n");
	assert_no_error(h, FW_LEGACY);
	tdx_host_destroy(h);
}

/* ---- errors ---- */

/* Nothing changed, and remaining_size still tells the whole image. */
static void assert_rejected(struct tdx_host *h, const char *fw, const char *error,
			    const char *version, size_t len)
{
	assert_fw_file(h, fw, "error", error);
	assert_fw_file(h, fw, "status", "idle\n");
	assert_remaining_size(h, fw, len);
	assert_file(h, DEV "version", version);
	assert_file(h, DEV "num_remaining_updates", "16\n");
}

static void test_v8_wrong_format_is_firmware_invalid(void **state)
{
	enum lockstep_driver drv;

	for_each_driver(drv) {
		struct tdx_host *h = host_new(&(struct host_opts){ .driver = drv });
		size_t len;

		upload_version(h, FW, "1.5.25", 0x200, &len);
		assert_rejected(h, FW, "transferring:firmware-invalid\n", "1.5.24\n", len);
		tdx_host_destroy(h);
	}
}

/* Mainline maps every failure to firmware-invalid. */
static void test_mainline_failures_are_firmware_invalid(void **state)
{
	struct tdx_host *h = host_new(&(struct host_opts){ .profile = KERNEL_PROFILE_MAINLINE });
	size_t len;

	/* -EINVAL: the v8 blob format */
	upload_version(h, FW, "1.5.25", 0x100, &len);
	assert_rejected(h, FW, "transferring:firmware-invalid\n", "1.5.24\n", len);

	/* -EIO: TDH.SYS.LP.INIT fails on one CPU after SHUTDOWN; the module is lost */
	tdx_host_inject(h, HOST_FAULT_LP_INIT, 2);
	upload_version(h, FW, "1.5.25", 0x200, &len);
	assert_fw_file(h, FW, "error", "transferring:firmware-invalid\n");
	assert_remaining_size(h, FW, len);
	assert_read_err(h, DEV "version", &sysfs_cred_user, -ENXIO);
	tdx_host_destroy(h);
}

/* An upload inside the TD-build window: INIT_VM done, pages being added. */
static void build_in_flight(struct td *td, struct tdx_host *h)
{
	kh_td_new(td, h, 2, 7);
	assert_int_equal(kh_init_vm(td, NULL), 0);
	kh_td_vcpu(td);
	assert_int_equal(kh_td_region(td, 0, 2, true, NULL), 0);
}

static void test_build_window_v8_device_busy(void **state)
{
	enum lockstep_driver drv;

	for_each_driver(drv) {
		struct tdx_host *h = kh_host_new(KERNEL_PROFILE_V8, drv, NULL);
		struct tdx_host_stats st;
		struct td td;
		size_t len;

		build_in_flight(&td, h);
		upload_version(h, FW, "1.5.30", 0x100, &len);
		assert_rejected(h, FW, "transferring:device-busy\n", "1.5.25\n", len);
		tdx_host_get_stats(h, &st);
		assert_int_equal(st.busy_rejections, 1);
		assert_int_equal(st.updates_applied, 0);

		/* The build goes on untouched. */
		assert_int_equal(kh_td_region(&td, 2, 2, true, NULL), 0);
		kh_td_finalize(&td);
		assert_true(kh_td_mrtd_matches(&td));
		kh_td_free(&td);
		tdx_host_destroy(h);
	}
}

/* Mainline has no check: the same upload succeeds (and the erratum hits). */
static void test_build_window_mainline_updates(void **state)
{
	enum lockstep_driver drv;

	for_each_driver(drv) {
		struct tdx_host *h = kh_host_new(KERNEL_PROFILE_MAINLINE, drv, NULL);
		struct td td;

		build_in_flight(&td, h);
		upload_version(h, FW, "1.5.30", 0x200, NULL);
		assert_no_error(h, FW);
		assert_file(h, DEV "version", "1.5.30\n");
		assert_file(h, DEV "num_remaining_updates", "15\n");
		assert_int_equal(kh_td_region(&td, 2, 2, true, NULL), 0);
		kh_td_finalize(&td);
		kh_td_free(&td);
		tdx_host_destroy(h);
	}
}

/* ---- while an update is in flight ---- */

static void test_files_during_update(void **state)
{
	enum lockstep_driver drv;

	for_each_driver(drv) {
		struct tdx_host *h = host_new(&(struct host_opts){ .driver = drv });
		struct tdx_host_stats st;
		char buf[64];
		uint8_t *img;
		size_t len;

		image_of("1.5.25", 0x100, &img, &len);
		/* A SEAMCALL section on one CPU keeps stop_machine from starting. */
		assert_int_equal(cpu_hold(h, HELD_CPU), 0);
		upload_start(h, FW, img, len);
		/* tdx_fw_write runs the whole update, so it stays in transferring */
		assert_true(await_status(h, FW, "transferring\n"));

		assert_int_equal(get(h, FW "error", buf, sizeof(buf)), -EBUSY);
		/* handed off: a new load is ignored and reported as success */
		assert_int_equal(put(h, FW "loading", "1"), 1);
		assert_fw_file(h, FW, "loading", "0\n");
		assert_int_equal(sysfs_write_file(tdx_host_sysfs(h), FW "data", &sysfs_cred_root,
						  img, SYSFS_PAGE_SIZE), -ENODEV);
		assert_int_equal(get(h, FW "data", buf, sizeof(buf)), -ENODEV);
		/* TDX's cancel op is empty: accepted, and the update goes on */
		assert_int_equal(put(h, FW "cancel", "1"), 1);
		assert_fw_file(h, FW, "status", "transferring\n");
		assert_remaining_size(h, FW, len);
		tdx_host_get_stats(h, &st);
		assert_int_equal(st.updates_attempted, 0);

		cpu_release(h, HELD_CPU);
		assert_true(await_status(h, FW, "idle\n"));
		assert_no_error(h, FW);
		assert_fw_file(h, FW, "remaining_size", "0\n");
		assert_fw_file(h, FW, "loading", "0\n");
		assert_file(h, DEV "version", "1.5.25\n");
		assert_file(h, DEV "num_remaining_updates", "15\n");
		tdx_host_get_stats(h, &st);
		assert_int_equal(st.updates_attempted, 1);
		assert_int_equal(st.updates_applied, 1);
		/* idle again: cancel now has nothing to cancel */
		assert_int_equal(put(h, FW "cancel", "1"), -ENODEV);
		free(img);
		tdx_host_destroy(h);
	}
}

/* TDH.SYS.UPDATE fails after SHUTDOWN: the module is gone, P-SEAMLDR is not. */
static void test_module_lost(void **state)
{
	enum lockstep_driver drv;

	for_each_driver(drv) {
		struct tdx_host *h = host_new(&(struct host_opts){ .driver = drv });
		size_t len;

		tdx_host_inject(h, HOST_FAULT_SYS_UPDATE, 0);
		upload_version(h, FW, "1.5.25", 0x100, &len);
		assert_fw_file(h, FW, "error", "transferring:firmware-invalid\n");
		assert_remaining_size(h, FW, len);
		assert_read_err(h, DEV "version", &sysfs_cred_user, -ENXIO);
		assert_read_err(h, DEV "version", &sysfs_cred_root, -ENXIO);
		assert_file(h, DEV "seamldr_version", "1.5.01\n");
		/* P-SEAMLDR installed the image before UPDATE failed */
		assert_file(h, DEV "num_remaining_updates", "15\n");
		assert_false(tdx_host_module_initialized(h));

		/* The device stays registered; a retry fails cleanly too. */
		upload_version(h, FW, "1.5.25", 0x100, &len);
		assert_fw_file(h, FW, "error", "transferring:firmware-invalid\n");
		assert_read_err(h, DEV "version", &sysfs_cred_root, -ENXIO);
		assert_file(h, DEV "seamldr_version", "1.5.01\n");
		tdx_host_destroy(h);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version_format),
		cmocka_unit_test(test_seamldr_attrs_root_only),
		cmocka_unit_test(test_seamldr_call_errno),
		cmocka_unit_test(test_upload_updates_attrs),
		cmocka_unit_test(test_erratum_hides_update_interface),
		cmocka_unit_test(test_legacy_layout),
		cmocka_unit_test(test_v8_wrong_format_is_firmware_invalid),
		cmocka_unit_test(test_mainline_failures_are_firmware_invalid),
		cmocka_unit_test(test_build_window_v8_device_busy),
		cmocka_unit_test(test_build_window_mainline_updates),
		cmocka_unit_test(test_files_during_update),
		cmocka_unit_test(test_module_lost),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
