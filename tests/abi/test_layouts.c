// SPDX-License-Identifier: MIT
/*
 * The ABI layouts of include/tdxup against the spec's numbers: every
 * expected value below is copied from the table cited beside it, never
 * computed from the header, so a wrong definition fails here before any
 * firmware or kernel code reads a wrong byte. Layouts the spec leaves open
 * are pinned to the values marked (inferred) in tdxup/td_abi.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tdxup/page.h"
#include "tdxup/seamldr_abi.h"
#include "tdxup/td_abi.h"
#include "tdxup/tdx_abi.h"
/*
 * After ours, glibc's own PAGE_SIZE: the build (-Werror) proves the two
 * definitions are token-identical, so no file can see a clash.
 */
#include <sys/user.h>

/* A page is 4 KiB everywhere: SEAMLDR_PARAMS, TDX-BLOB pages, PAs. */
static void test_page(void **state)
{
	assert_int_equal(PAGE_SHIFT, 12);
	assert_int_equal(PAGE_SIZE, 4096);
	assert_int_equal(PAGE_MASK, 0xFFFFFFFFFFFFF000ULL);
	assert_int_equal(sizeof(PAGE_SIZE), 8);	/* usable with 64-bit PAs */
}

/* tdx-module.md 1.3 (MNG.INIT: RDX = TD_PARAMS HPA, 1024 B, 1024-aligned). */
static void test_td_params(void **state)
{
	assert_int_equal(TD_PARAMS_SIZE, 1024);
	assert_int_equal(TD_PARAMS_ALIGN, 1024);
	/* (inferred) */
	assert_int_equal(TD_PARAMS_ATTRIBUTES, 0);
	assert_int_equal(TD_PARAMS_XFAM, 8);
	assert_int_equal(TD_PARAMS_MAX_VCPUS, 16);
	assert_int_equal(TD_PARAMS_CONFIG_FLAGS, 32);
	assert_int_equal(TD_PARAMS_TSC_FREQUENCY, 40);
	assert_int_equal(TD_PARAMS_MRCONFIGID, 80);
	assert_int_equal(TD_PARAMS_MROWNER, 128);
	assert_int_equal(TD_PARAMS_MROWNERCONFIG, 176);
	assert_int_equal(TD_PARAMS_MR_SIZE, 48);
	/* Reserved ranges the module checks, clear of every field. */
	assert_int_equal(TD_PARAMS_RESERVED0, 20);
	assert_int_equal(TD_PARAMS_RESERVED0_LEN, 4);
	assert_int_equal(TD_PARAMS_RESERVED1, 42);
	assert_int_equal(TD_PARAMS_RESERVED1_LEN, 38);
	assert_int_equal(TD_PARAMS_RESERVED2, 224);
	assert_int_equal(TD_PARAMS_RESERVED2_LEN, 32);
	assert_true(TD_PARAMS_RESERVED0 >= TD_PARAMS_MAX_VCPUS + 2);
	assert_true(TD_PARAMS_RESERVED0 + TD_PARAMS_RESERVED0_LEN <= TD_PARAMS_CONFIG_FLAGS);
	assert_true(TD_PARAMS_RESERVED1 >= TD_PARAMS_TSC_FREQUENCY + 2);
	assert_true(TD_PARAMS_RESERVED1 + TD_PARAMS_RESERVED1_LEN <= TD_PARAMS_MRCONFIGID);
	assert_true(TD_PARAMS_RESERVED2 >= TD_PARAMS_MROWNERCONFIG + TD_PARAMS_MR_SIZE);
	assert_true(TD_PARAMS_RESERVED2 + TD_PARAMS_RESERVED2_LEN <= TD_PARAMS_SIZE);
	assert_int_equal(TD_CONFIG_FLAGS_GPAW52, 1);
	assert_int_equal(TD_CONFIG_FLAGS_NO_RBP_MOD, 4);
	assert_int_equal(TDH_MNG_INIT_EVENT_FILTERING, 1);
}

/* TDMR_INFO (inferred: the spec names it only, tdx-module.md 1.3 SYS.CONFIG). */
static void test_tdmr_info(void **state)
{
	assert_int_equal(TDMR_INFO_BASE, 0);
	assert_int_equal(TDMR_INFO_SIZE, 8);
	assert_int_equal(TDMR_INFO_LEN, 16);
	assert_int_equal(TDMR_INFO_ALIGN, 512);
	assert_int_equal(TDMR_GRANULE, 0x40000000ULL);
}

/* TDH.MNG.RD field IDs (inferred codes) follow tdx-module.md 7's encoding. */
static void test_td_field_ids(void **state)
{
	assert_int_equal(TD_MD_FIELD_MRTD0, 0x1310000300000000ULL);
	assert_int_equal(TD_MD_FIELD_RTMR0, 0x1310000300000010ULL);
	assert_int_equal(TD_MD_FIELD_TSC_OFFSET, 0x1110000300000020ULL);
	assert_int_equal(TD_MD_FIELD_TSC_MULTIPLIER, 0x1110000300000021ULL);
	assert_int_equal(TD_MD_FIELD_MRTD_CONTEXT_VERSION, 0x9310000100000030ULL);
	assert_int_equal(md_field_bits(TD_MD_FIELD_MRTD0), 64);
	assert_int_equal(md_field_bits(TD_MD_FIELD_OP_STATE), 32);
	assert_int_equal(md_field_bits(TD_MD_FIELD_MRTD_CONTEXT_VERSION), 16);	/* u16, spec 4 */
}

/* tdx-module.md 7: global metadata field IDs and their element sizes. */
static void test_global_field_ids(void **state)
{
	assert_int_equal(MD_FIELD_MODULE_HV, 0x8900000100000000ULL);
	assert_int_equal(MD_FIELD_NUM_HANDOFF_PAGES, 0x8900000100000003ULL);
	assert_int_equal(MD_FIELD_TDX_FEATURES0, 0x0A00000300000008ULL);
	assert_int_equal(md_field_bits(MD_FIELD_VENDOR_ID), 32);
	assert_int_equal(md_field_bits(MD_FIELD_MODULE_HV), 16);
	assert_int_equal(md_field_bits(MD_FIELD_NO_DOWNGRADE), 8);
	assert_int_equal(md_field_bits(MD_FIELD_TDX_FEATURES0), 64);
}

/* seamldr.md 2: SEAMLDR_INFO. */
static void test_seamldr_info(void **state)
{
	assert_int_equal(SEAMLDR_INFO_SIZE, 256);
	assert_int_equal(SEAMLDR_INFO_ALIGN, 256);
	assert_int_equal(SEAMLDR_INFO_BUILD_NUM, 16);
	assert_int_equal(SEAMLDR_INFO_MINOR_VERSION, 18);
	assert_int_equal(SEAMLDR_INFO_MAJOR_VERSION, 20);
	assert_int_equal(SEAMLDR_INFO_UPDATE_VERSION, 22);
	assert_int_equal(SEAMLDR_INFO_NUM_REMAINING_UPDATES, 28);
	assert_int_equal(SEAMLDR_INFO_SEAMEXTEND, 32);
	assert_int_equal(SEAMEXTEND_SIZE, 136);
	assert_int_equal(SEAMLDR_INFO_SEAMEXTEND + SEAMEXTEND_MRSEAM, 56);
	assert_int_equal(SEAMLDR_INFO_SEAMEXTEND + SEAMEXTEND_SEAM_READY, 160);
	assert_int_equal(SEAMLDR_INFO_SEAMEXTEND + SEAMEXTEND_P_SEAM_READY, 162);
	assert_int_equal(SEAMLDR_INFO_FEATURES0, 168);
}

/* seamldr.md 3: SEAMLDR_PARAMS, both forms, exactly one page. */
static void test_seamldr_params(void **state)
{
	assert_int_equal(SEAMLDR_PARAMS_SIZE, 4096);
	assert_int_equal(SEAMLDR_PARAMS_SCENARIO, 4);
	assert_int_equal(SEAMLDR_PARAMS_SIGSTRUCT_PA, 8);
	assert_int_equal(SEAMLDR_PARAMS_V8_RESERVED, 40);
	assert_int_equal(SEAMLDR_PARAMS_V8_RESERVED_LEN, 80);
	assert_int_equal(SEAMLDR_PARAMS_MAINLINE_RESERVED, 16);
	assert_int_equal(SEAMLDR_PARAMS_MAINLINE_RESERVED_LEN, 104);
	assert_int_equal(SEAMLDR_PARAMS_NUM_MODULE_PAGES, 120);
	assert_int_equal(SEAMLDR_PARAMS_MOD_PAGES_PA_LIST, 128);
	assert_int_equal(SEAMLDR_MAX_NR_MODULE_PAGES, 496);
	assert_int_equal(SEAMLDR_MAX_NR_SIG_PAGES, 4);
	/* the spec's size check: 4 + 4 + 32 + 80 + 8 + 3968 = 4096 */
	assert_int_equal(SEAMLDR_PARAMS_MOD_PAGES_PA_LIST + 8 * SEAMLDR_MAX_NR_MODULE_PAGES,
			 4096);
}

/* seamldr.md 5 and 6: the sigstruct fields P-SEAMLDR checks, the blob headers. */
static void test_sigstruct_and_blob(void **state)
{
	assert_int_equal(SIGSTRUCT_SIZE, 2048);
	assert_int_equal(SIGSTRUCT_MODULUS, 128);
	assert_int_equal(SIGSTRUCT_SIGNATURE, 516);
	assert_int_equal(SIGSTRUCT_SEAMHASH, 900);
	assert_int_equal(SIGSTRUCT_SEAMSVN, 948);
	assert_int_equal(SIGSTRUCT_MODULE_HV, 984);
	assert_int_equal(SIGSTRUCT_MIN_UPDATE_HV, 986);
	assert_int_equal(SIGSTRUCT_NO_DOWNGRADE, 988);
	assert_int_equal(SIGSTRUCT_NUM_HANDOFF_PAGES, 990);
	assert_int_equal(SIGSTRUCT_CPUID_TABLE, 1028);
	assert_int_equal(TDX_BLOB_HEADER_SIZE, 4096);
	assert_int_equal(TDX_BLOB_V1_OFFSET_OF_MODULE, 4);
	assert_int_equal(TDX_BLOB_V1_LENGTH, 16);
	assert_int_equal(TDX_BLOB_V1_RESERVED1, 24);
	assert_int_equal(TDX_BLOB_V1_RESERVED1_LEN, 4072);
	assert_int_equal(TDX_IMAGE_V2_SIGSTRUCT_NR_PAGES, 12);
	assert_int_equal(TDX_IMAGE_V2_MODULE_NR_PAGES, 16);
	assert_int_equal(TDX_IMAGE_V2_RESERVED, 20);
	assert_int_equal(TDX_IMAGE_V2_RESERVED_LEN, 4076);
}

/* tdx-module.md 6.1: TDH.SYS.SHUTDOWN RCX and the compat-sensitive detail. */
static void test_shutdown_abi(void **state)
{
	assert_int_equal(TDX_SYS_SHUTDOWN_HV_MASK, 0xFFFF);
	assert_int_equal(TDX_SYS_SHUTDOWN_AVOID_COMPAT_SENSITIVE, 0x10000);
	assert_int_equal(TDX_UPDATE_COMPAT_SENSITIVE, 0x8000051200000000ULL);
	assert_int_equal(TDX_COMPAT_SENSITIVE_CAUSE_TD_BUILD, 0);
	assert_int_equal(TDX_COMPAT_SENSITIVE_CAUSE_MIGRATION, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_page),
		cmocka_unit_test(test_td_params),
		cmocka_unit_test(test_tdmr_info),
		cmocka_unit_test(test_td_field_ids),
		cmocka_unit_test(test_global_field_ids),
		cmocka_unit_test(test_seamldr_info),
		cmocka_unit_test(test_seamldr_params),
		cmocka_unit_test(test_sigstruct_and_blob),
		cmocka_unit_test(test_shutdown_abi),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
