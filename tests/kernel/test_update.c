// SPDX-License-Identifier: MIT
/*
 * The host kernel's module update (kernel.md 3-6): the lockstep state
 * machine under both drivers at several CPU counts, profiles, image checks,
 * and faults at every stage with the spec's outcome.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "emu/host.h"
#include "tdxup/image.h"
#include "emu/module_build.h"
#include "tdxup/seamldr_abi.h"

static struct tdx_host *host_new(unsigned int cpus, unsigned int pkgs, const char *boot,
				 enum kernel_profile prof, enum lockstep_driver drv)
{
	struct tdx_host_config cfg;
	struct tdx_host *h;
	int err = 0;

	tdx_host_config_init(&cfg);
	cfg.nr_cpus = cpus;
	cfg.nr_packages = pkgs;
	cfg.boot_module = boot;
	cfg.profile = prof;
	cfg.driver = drv;
	h = tdx_host_create(&cfg, &err);
	assert_int_equal(err, 0);
	assert_non_null(h);
	return h;
}

static void image_of(const char *version, unsigned int format, uint8_t **img, size_t *len)
{
	struct module_image_opts opts = { .format = format };

	assert_int_equal(module_image_build(module_build_find(version), &opts, img, len), 0);
}

/* Build a catalogue image and hand it to the kernel, as one upload would. */
static int install(struct tdx_host *h, const char *version, unsigned int format)
{
	uint8_t *img;
	size_t len;
	int ret;

	image_of(version, format, &img, &len);
	ret = tdx_host_install_module(h, img, len);
	free(img);
	return ret;
}

static void assert_version(struct tdx_host *h, uint16_t maj, uint16_t min, uint16_t upd)
{
	uint16_t a, b, c;

	assert_int_equal(tdx_host_module_version(h, &a, &b, &c), 0);
	assert_int_equal(a, maj);
	assert_int_equal(b, min);
	assert_int_equal(c, upd);
}

static void assert_lost(struct tdx_host *h)
{
	uint16_t a, b, c;

	assert_int_equal(tdx_host_module_version(h, &a, &b, &c), -ENXIO);
	assert_false(tdx_host_module_initialized(h));
}

static uint32_t remaining_updates(struct tdx_host *h)
{
	struct seam_platform_state st;

	seam_platform_get_state(tdx_host_platform(h), &st);
	return st.num_remaining_updates;
}

/* One update at a CPU count under a driver: version and counters move. */
static void update_at(unsigned int cpus, enum lockstep_driver drv)
{
	unsigned int pkgs = cpus >= 2 ? 2 : 1;
	struct tdx_host *h = host_new(cpus, pkgs, "1.5.24", KERNEL_PROFILE_V8, drv);
	struct tdx_host_stats st;
	uint32_t left = remaining_updates(h);
	struct seam_platform_state ps;

	assert_int_equal(install(h, "1.5.25", 0x100), 0);
	assert_version(h, 1, 5, 25);
	assert_int_equal(remaining_updates(h), left - 1);
	seam_platform_get_state(tdx_host_platform(h), &ps);
	assert_int_equal(ps.sys_state, 3 /* SYS_READY */);
	tdx_host_get_stats(h, &st);
	assert_int_equal(st.updates_attempted, 1);
	assert_int_equal(st.updates_applied, 1);
	tdx_host_destroy(h);
}

static void test_lockstep_serial_1_2_8_64_256(void **state)
{
	static const unsigned int counts[] = { 1, 2, 8, 64, 256 };

	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		update_at(counts[i], LOCKSTEP_SERIAL);
}

static void test_lockstep_threads_1_2_8_64_256(void **state)
{
	static const unsigned int counts[] = { 1, 2, 8, 64, 256 };

	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		update_at(counts[i], LOCKSTEP_THREADS);
}

static void test_repeated_updates_consume_seamdb(void **state)
{
	struct tdx_host *h = host_new(8, 2, "1.5.24", KERNEL_PROFILE_V8, LOCKSTEP_THREADS);
	uint32_t left = remaining_updates(h);

	/* Re-installing the same version is allowed; each install costs an entry. */
	for (int i = 0; i < 5; i++)
		assert_int_equal(install(h, "1.5.25", 0x100), 0);
	assert_int_equal(remaining_updates(h), left - 5);
	assert_version(h, 1, 5, 25);
	tdx_host_destroy(h);
}

/* ---- image format per profile: -EINVAL, nothing touched --------------- */

static void image_rejected(enum kernel_profile prof, unsigned int format)
{
	struct tdx_host *h = host_new(4, 1, "1.5.24", prof, LOCKSTEP_SERIAL);
	uint32_t left = remaining_updates(h);

	assert_int_equal(install(h, "1.5.25", format), -EINVAL);
	assert_version(h, 1, 5, 24);
	assert_int_equal(remaining_updates(h), left);
	tdx_host_destroy(h);
}

static void test_v8_rejects_v0x200(void **state)
{
	image_rejected(KERNEL_PROFILE_V8, 0x200);
}

static void test_mainline_rejects_v0x100(void **state)
{
	image_rejected(KERNEL_PROFILE_MAINLINE, 0x100);
	image_rejected(KERNEL_PROFILE_DETECT, 0x100);
}

static void test_mainline_and_detect_accept_v0x200(void **state)
{
	for (int p = KERNEL_PROFILE_MAINLINE; p <= KERNEL_PROFILE_DETECT; p++) {
		struct tdx_host *h = host_new(4, 2, "1.5.24", p, LOCKSTEP_SERIAL);

		assert_int_equal(install(h, "1.5.25", 0x200), 0);
		assert_version(h, 1, 5, 25);
		tdx_host_destroy(h);
	}
}

/* The kernel's v0x100 header checks, each -EINVAL before anything changes. */
static void test_v8_blob_header_checks(void **state)
{
	struct tdx_host *h = host_new(2, 1, "1.5.24", KERNEL_PROFILE_V8, LOCKSTEP_SERIAL);
	uint8_t *img, *bad;
	size_t len;

	image_of("1.5.25", 0x100, &img, &len);
	bad = malloc(len);
	assert_non_null(bad);
	/* size must be strictly greater than 4096 */
	assert_int_equal(tdx_host_install_module(h, img, 4096), -EINVAL);
	memcpy(bad, img, len);
	bad[8] = 'X';				/* signature */
	assert_int_equal(tdx_host_install_module(h, bad, len), -EINVAL);
	memcpy(bad, img, len);
	put_le32(bad + 4, 4096);		/* offset_of_module not > 4096 */
	assert_int_equal(tdx_host_install_module(h, bad, len), -EINVAL);
	memcpy(bad, img, len);
	put_le32(bad + 4, 0x2100);		/* unaligned */
	assert_int_equal(tdx_host_install_module(h, bad, len), -EINVAL);
	memcpy(bad, img, len);
	put_le16(bad, 0x200);			/* version */
	assert_int_equal(tdx_host_install_module(h, bad, len), -EINVAL);
	memcpy(bad, img, len);
	bad[20] = 1;				/* reserved0 */
	assert_int_equal(tdx_host_install_module(h, bad, len), -EINVAL);
	memcpy(bad, img, len);
	bad[4095] = 1;				/* reserved1 */
	assert_int_equal(tdx_host_install_module(h, bad, len), -EINVAL);
	assert_version(h, 1, 5, 24);
	/* Not checked by v8: checksum and length. */
	memcpy(bad, img, len);
	bad[2] ^= 0xFF;
	put_le32(bad + 16, 1);
	assert_int_equal(tdx_host_install_module(h, bad, len), 0);
	assert_version(h, 1, 5, 25);
	free(bad);
	free(img);
	tdx_host_destroy(h);
}

/* ---- failures before and after shutdown ------------------------------ */

static void test_old_module_rejects_flag_nothing_changed(void **state)
{
	struct tdx_host *h = host_new(4, 2, "1.5.16", KERNEL_PROFILE_V8, LOCKSTEP_THREADS);
	uint32_t left = remaining_updates(h);

	assert_int_equal(install(h, "1.5.25", 0x100), -EIO);
	assert_version(h, 1, 5, 16);
	assert_int_equal(remaining_updates(h), left);
	tdx_host_destroy(h);
}

static void test_old_module_updates_under_mainline(void **state)
{
	struct tdx_host *h = host_new(4, 2, "1.5.16", KERNEL_PROFILE_MAINLINE, LOCKSTEP_THREADS);

	assert_int_equal(install(h, "1.5.25", 0x200), 0);
	assert_version(h, 1, 5, 25);
	tdx_host_destroy(h);
}

/* Any failure after a successful shutdown loses the module (kernel.md 4.3). */
static void fault_loses_module(enum host_fault f, unsigned int arg, enum lockstep_driver drv,
			       int expect)
{
	struct tdx_host *h = host_new(8, 2, "1.5.24", KERNEL_PROFILE_V8, drv);

	tdx_host_inject(h, f, arg);
	assert_int_equal(install(h, "1.5.25", 0x100), expect);
	assert_lost(h);
	tdx_host_destroy(h);
}

static void test_install_faults_lose_module(void **state)
{
	/*
	 * INSTALL's work runs on the last LP to call it: CPU 7 in the serial
	 * driver's order (under threads the order is whoever takes the lock).
	 * Recoverable or not for P-SEAMLDR, the kernel has shut the old module
	 * down already, so both lose it.
	 */
	fault_loses_module(HOST_FAULT_INSTALL_RECOVERABLE, 7, LOCKSTEP_SERIAL, -EIO);
	fault_loses_module(HOST_FAULT_INSTALL_UNRECOVERABLE, 7, LOCKSTEP_SERIAL, -EIO);
}

static void test_lp_init_fault_on_each_cpu_loses_module(void **state)
{
	for (unsigned int cpu = 0; cpu < 8; cpu++) {
		fault_loses_module(HOST_FAULT_LP_INIT, cpu, LOCKSTEP_SERIAL, -EIO);
		fault_loses_module(HOST_FAULT_LP_INIT, cpu, LOCKSTEP_THREADS, -EIO);
	}
}

static void test_sys_update_fault_loses_module(void **state)
{
	fault_loses_module(HOST_FAULT_SYS_UPDATE, 0, LOCKSTEP_SERIAL, -EIO);
	fault_loses_module(HOST_FAULT_SYS_UPDATE, 0, LOCKSTEP_THREADS, -EIO);
}

/* A lost module can be replaced by a later successful update (inferred). */
static void test_lost_module_then_retry(void **state)
{
	struct tdx_host *h = host_new(4, 1, "1.5.24", KERNEL_PROFILE_V8, LOCKSTEP_SERIAL);
	uint8_t *img;
	size_t len;

	image_of("1.5.25", 0x100, &img, &len);
	tdx_host_inject(h, HOST_FAULT_SYS_UPDATE, 0);
	assert_int_equal(tdx_host_install_module(h, img, len), -EIO);
	assert_lost(h);
	/* The new module is installed but never updated: SHUTDOWN is not ready. */
	assert_int_equal(tdx_host_install_module(h, img, len), -EIO);
	assert_lost(h);
	free(img);
	tdx_host_destroy(h);
}

static void test_offline_cpu_loses_module(void **state)
{
	struct tdx_host *h = host_new(8, 2, "1.5.24", KERNEL_PROFILE_V8, LOCKSTEP_THREADS);

	assert_int_equal(tdx_host_cpu_offline(h, 5), 0);
	assert_false(tdx_host_cpu_is_online(h, 5));
	/* P-SEAMLDR counts every LP: no call is last, the module stays blocked. */
	assert_int_equal(install(h, "1.5.25", 0x100), -ENODEV);
	assert_lost(h);
	tdx_host_destroy(h);
}

static void test_cpu_hotplug_rules(void **state)
{
	struct tdx_host *h = host_new(4, 1, "1.5.24", KERNEL_PROFILE_V8, LOCKSTEP_SERIAL);

	assert_int_equal(tdx_host_cpu_offline(h, 0), -EBUSY);
	assert_int_equal(tdx_host_cpu_offline(h, 9), -EINVAL);
	assert_int_equal(tdx_host_cpu_offline(h, 2), 0);
	assert_int_equal(tdx_host_cpu_offline(h, 2), -EALREADY);
	assert_int_equal(tdx_host_cpu_online(h, 2), 0);
	/* Back online with LP.INIT from the hotplug callback: updates work. */
	assert_int_equal(install(h, "1.5.25", 0x100), 0);
	assert_version(h, 1, 5, 25);
	tdx_host_destroy(h);
}

static void test_zero_remaining_updates_loses_module(void **state)
{
	struct tdx_host_config cfg;
	struct tdx_host *h;
	int err;

	tdx_host_config_init(&cfg);
	cfg.nr_cpus = 4;
	cfg.boot_module = "1.5.24";
	cfg.num_remaining_updates = 0;
	cfg.driver = LOCKSTEP_SERIAL;
	h = tdx_host_create(&cfg, &err);
	assert_non_null(h);
	assert_int_equal(remaining_updates(h), 0);
	/* The kernel never checks the count: P-SEAMLDR's EBADCALL after shutdown. */
	assert_int_equal(install(h, "1.5.25", 0x100), -EIO);
	assert_lost(h);
	tdx_host_destroy(h);
}

static void test_rnd_no_entropy_is_retried(void **state)
{
	struct tdx_host *h = host_new(4, 1, "1.5.24", KERNEL_PROFILE_V8, LOCKSTEP_SERIAL);

	/* SYS.INIT of the new module meets 5 failures; sc_retry absorbs them. */
	tdx_host_inject(h, HOST_FAULT_RND_NO_ENTROPY, 5);
	assert_int_equal(install(h, "1.5.25", 0x100), 0);
	assert_version(h, 1, 5, 25);
	tdx_host_destroy(h);
}

static void test_downgrade_refused_by_seamldr(void **state)
{
	struct tdx_host *h = host_new(4, 1, "1.5.25", KERNEL_PROFILE_V8, LOCKSTEP_SERIAL);

	/* SVN anti-downgrade is P-SEAMLDR's, after the shutdown: module lost. */
	assert_int_equal(install(h, "1.5.24", 0x100), -EIO);
	assert_lost(h);
	tdx_host_destroy(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lockstep_serial_1_2_8_64_256),
		cmocka_unit_test(test_lockstep_threads_1_2_8_64_256),
		cmocka_unit_test(test_repeated_updates_consume_seamdb),
		cmocka_unit_test(test_v8_rejects_v0x200),
		cmocka_unit_test(test_mainline_rejects_v0x100),
		cmocka_unit_test(test_mainline_and_detect_accept_v0x200),
		cmocka_unit_test(test_v8_blob_header_checks),
		cmocka_unit_test(test_old_module_rejects_flag_nothing_changed),
		cmocka_unit_test(test_old_module_updates_under_mainline),
		cmocka_unit_test(test_install_faults_lose_module),
		cmocka_unit_test(test_lp_init_fault_on_each_cpu_loses_module),
		cmocka_unit_test(test_sys_update_fault_loses_module),
		cmocka_unit_test(test_lost_module_then_retry),
		cmocka_unit_test(test_offline_cpu_loses_module),
		cmocka_unit_test(test_cpu_hotplug_rules),
		cmocka_unit_test(test_zero_remaining_updates_loses_module),
		cmocka_unit_test(test_rnd_no_entropy_is_retried),
		cmocka_unit_test(test_downgrade_refused_by_seamldr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
