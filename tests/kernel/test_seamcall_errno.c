// SPDX-License-Identifier: MIT
/*
 * SEAMCALL status -> errno in the generic path (kernel.md 7): the software
 * values VMfailInvalid, #GP and #UD keep their own errnos, and every other
 * non-zero status is -EIO, warnings (bit 63 clear) as much as errors.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "kernel/kernel.h"
#include "emu/host.h"
#include "tdxup/tdx_abi.h"

static void test_specific_mappings(void **state)
{
	assert_int_equal(seamcall_status_errno(0x0000000000000000ULL), 0);
	assert_int_equal(seamcall_status_errno(0x8000FF00FFFF0000ULL), -ENODEV);
	assert_int_equal(seamcall_status_errno(0x8000FF000000000DULL), -EOPNOTSUPP);
	assert_int_equal(seamcall_status_errno(0x8000FF0000000006ULL), -EACCES);
}

static void test_errors_are_eio(void **state)
{
	assert_int_equal(seamcall_status_errno(0xC000010000000001ULL), -EIO);
	assert_int_equal(seamcall_status_errno(0x8000020200000000ULL), -EIO);
	assert_int_equal(seamcall_status_errno(0x8000051200020000ULL), -EIO);
	/* P-SEAMLDR statuses (seamldr.md 1.1) */
	assert_int_equal(seamcall_status_errno(0x8000000000000000ULL), -EIO);
	assert_int_equal(seamcall_status_errno(0x8000000000030001ULL), -EIO);
}

/* Warnings: non-zero with bit 63 clear. The module calls them success; Linux does not. */
static void test_warnings_are_eio(void **state)
{
	assert_int_equal(seamcall_status_errno(0x0000081500000000ULL), -EIO);	/* KEY_CONFIGURED */
	assert_int_equal(seamcall_status_errno(0x00000A0300000000ULL), -EIO);	/* TDMR_ALREADY_INIT */
	assert_int_equal(seamcall_status_errno(0x00000C0B00000000ULL), -EIO);	/* FIRST_FIELD_ID */
	assert_int_equal(seamcall_status_errno(0x0000000000000001ULL), -EIO);
}

/* End to end: SYS.TDMR.INIT again after boot gets TDMR_ALREADY_INITIALIZED, and -EIO. */
static void test_warning_through_prerr(void **state)
{
	struct tdx_host_config cfg;
	struct seam_args a = { 0 };
	struct tdx_host *h;
	int err = 0;

	tdx_host_config_init(&cfg);
	cfg.nr_cpus = 2;
	cfg.nr_packages = 1;
	cfg.driver = LOCKSTEP_SERIAL;
	h = tdx_host_create(&cfg, &err);
	assert_non_null(h);
	assert_int_equal(cpu_hold(h, 1), 0);
	assert_int_equal(sc_retry(h, 1, tdx_leaf(TDH_SYS_TDMR_INIT, 0), &a),
			 TDX_TDMR_ALREADY_INITIALIZED);
	a = (struct seam_args){ 0 };
	assert_int_equal(seamcall_prerr(h, 1, tdx_leaf(TDH_SYS_TDMR_INIT, 0), &a), -EIO);
	cpu_release(h, 1);
	tdx_host_destroy(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_specific_mappings),
		cmocka_unit_test(test_errors_are_eio),
		cmocka_unit_test(test_warnings_are_eio),
		cmocka_unit_test(test_warning_through_prerr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
