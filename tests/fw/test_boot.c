// SPDX-License-Identifier: MIT
/*
 * Platform routing, RAX decoding, the module-wide sys_state machine with its
 * dispatcher gating, the SYS.* boot leaves and global metadata
 * (tdx-module.md 1.1, 1.3, 2, 3.1, 7, 8). Everything goes through seamcall()
 * and physical addresses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "helpers/fw_harness.h"
#include "emu/physmem.h"
#include "tdxup/seamldr_abi.h"
#include "tdxup/sigstruct.h"

#define NR_LPS	8
#define NR_PKGS	2

/* Leaves gated by sys_state != SYS_READY (spec 3.1 rule 2), implemented or not. */
static const uint16_t td_leaves[] = {
	TDH_VP_ENTER, TDH_MNG_ADDCX, TDH_MEM_PAGE_ADD, TDH_MEM_SEPT_ADD, TDH_VP_ADDCX,
	TDH_MNG_KEY_CONFIG, TDH_MNG_CREATE, TDH_VP_CREATE, TDH_MNG_RD, TDH_MR_EXTEND,
	TDH_MR_FINALIZE, TDH_VP_FLUSH, TDH_MNG_VPFLUSHDONE, TDH_MNG_KEY_FREEID,
	TDH_MNG_INIT, TDH_VP_INIT, TDH_PHYMEM_PAGE_RECLAIM, TDH_SYS_TDMR_INIT,
	TDH_SYS_SHUTDOWN,
};
#define NR_TD_LEAVES (sizeof(td_leaves) / sizeof(td_leaves[0]))

static int sys_state(struct seam_platform *p)
{
	struct seam_platform_state st;

	seam_platform_get_state(p, &st);
	return st.sys_state;
}

/* LOAD a build without running any SYS.* leaf: SYSINIT_PENDING. */
static struct seam_platform *loaded(const char *version)
{
	struct seam_platform *p = h_platform(NR_LPS, NR_PKGS);
	const uint8_t *img;
	size_t len;

	img = h_image(version, 0x100, false, &len);
	assert_int_equal(h_install_all(p, h_params(p, img, len, SEAMLDR_SCENARIO_LOAD), NULL),
			 SEAMLDR_SUCCESS);
	assert_int_equal(sys_state(p), SYSINIT_PENDING);
	return p;
}

static void init_all_lps(struct seam_platform *p)
{
	for (unsigned int lp = 0; lp < NR_LPS; lp++)
		assert_int_equal(h_call(p, lp, TDH_SYS_LP_INIT, 0, NULL), TDX_SUCCESS);
}

/* A TDMR_INFO pointer array with one 1 GiB TDMR at base; returns the array PA. */
static uint64_t tdmr_array(struct seam_platform *p, uint64_t base, uint64_t size)
{
	uint64_t info = h_page(p), array = h_page(p);

	put_le64(h_map(p, info), base);
	put_le64(h_map(p, info) + 8, size);
	put_le64(h_map(p, array), info);
	return array;
}

static uint64_t sys_config(struct seam_platform *p, uint64_t array, uint64_t count, uint64_t r8)
{
	struct seam_args a = { .rcx = array, .rdx = count, .r8 = r8 };

	return h_call(p, 0, TDH_SYS_CONFIG, 0, &a);
}

/* SYSINIT_DONE with every LP initialised. */
static struct seam_platform *sysinit_done(const char *version)
{
	struct seam_platform *p = loaded(version);

	assert_int_equal(h_call(p, 0, TDH_SYS_INIT, 0, NULL), TDX_SUCCESS);
	init_all_lps(p);
	return p;
}

static struct seam_platform *booted(const char *version)
{
	struct seam_platform *p = h_platform(NR_LPS, NR_PKGS);

	assert_int_equal(h_boot(p, version), TDX_SUCCESS);
	assert_int_equal(sys_state(p), SYS_READY);
	return p;
}

/* ---- platform and routing ------------------------------------------- */

static void test_platform_config_validation(void **state)
{
	struct seam_platform_config cfg;
	struct seam_platform *p;

	seam_platform_config_init(&cfg);
	assert_int_equal(cfg.nr_lps, 8);
	assert_int_equal(cfg.nr_packages, 2);
	assert_int_equal(cfg.cpu_fms, 0x806f8);
	assert_int_equal(cfg.num_remaining_updates, 16);
	cfg.nr_lps = 0;
	assert_null(seam_platform_create(&cfg));
	cfg.nr_lps = SEAM_MAX_LPS + 1;
	assert_null(seam_platform_create(&cfg));
	seam_platform_config_init(&cfg);
	cfg.nr_packages = 0;
	assert_null(seam_platform_create(&cfg));
	cfg.nr_packages = SEAM_MAX_PACKAGES + 1;
	cfg.nr_lps = 16;
	assert_null(seam_platform_create(&cfg));
	seam_platform_config_init(&cfg);
	cfg.nr_lps = 2;
	cfg.nr_packages = 3;
	assert_null(seam_platform_create(&cfg));
	seam_platform_config_init(&cfg);
	cfg.nr_trusted_keys = SEAM_MAX_TRUSTED_KEYS + 1;
	assert_null(seam_platform_create(&cfg));

	p = h_platform(3, 2);
	assert_int_equal(seam_nr_lps(p), 3);
	assert_int_equal(seam_nr_packages(p), 2);
	assert_int_equal(seam_lp_package(p, 0), 0);
	assert_int_equal(seam_lp_package(p, 1), 0);
	assert_int_equal(seam_lp_package(p, 2), 1);
	seam_platform_destroy(p);
	p = h_platform(NR_LPS, NR_PKGS);
	for (unsigned int lp = 0; lp < NR_LPS; lp++)
		assert_int_equal(seam_lp_package(p, lp), lp / 4);
	seam_platform_destroy(p);
}

static void test_vmfailinvalid_before_any_module(void **state)
{
	struct seam_platform *p = h_platform(NR_LPS, NR_PKGS);
	struct seam_platform_state st;
	struct seam_args a = { 0 };

	for (unsigned int lp = 0; lp < NR_LPS; lp++) {
		assert_int_equal(h_call(p, lp, TDH_SYS_INIT, 0, NULL), TDX_SEAMCALL_VMFAILINVALID);
		assert_int_equal(h_call(p, lp, TDH_SYS_RD, 0, &a), TDX_SEAMCALL_VMFAILINVALID);
		assert_int_equal(h_call(p, lp, TDH_SYS_LP_SHUTDOWN, 0, NULL),
				 TDX_SEAMCALL_VMFAILINVALID);
		assert_int_equal(h_call(p, lp, TDH_VP_ENTER, 0, NULL), TDX_SEAMCALL_VMFAILINVALID);
		/* Not even decoded: reserved bits and unknown leaves alike. */
		assert_int_equal(seamcall(p, lp, BIT_ULL(40) | TDH_SYS_RD, &a),
				 TDX_SEAMCALL_VMFAILINVALID);
		assert_int_equal(h_call(p, lp, 999, 0, NULL), TDX_SEAMCALL_VMFAILINVALID);
	}
	seam_platform_get_state(p, &st);
	assert_false(st.seam_ready);
	assert_false(st.module_loaded);
	assert_int_equal(st.sys_state, -1);
	assert_int_equal(st.seamdb_entries, 0);
	seam_platform_destroy(p);
}

static void test_bad_lp_index_is_ud(void **state)
{
	struct seam_platform *p = booted("1.5.25");
	struct seam_args a = { .rcx = h_page(p) };

	assert_int_equal(h_call(p, NR_LPS, TDH_SYS_LP_SHUTDOWN, 0, NULL), TDX_SEAMCALL_UD);
	assert_int_equal(h_call(p, 1000, TDH_SYS_RD, 0, NULL), TDX_SEAMCALL_UD);
	assert_int_equal(seamcall(p, NR_LPS, SEAMLDR_INFO, &a), TDX_SEAMCALL_UD);
	assert_int_equal(seamcall(p, ~0u, SEAMLDR_INFO, &a), TDX_SEAMCALL_UD);
	/* Nothing changed: the last LP still works. */
	assert_int_equal(h_call(p, NR_LPS - 1, TDH_SYS_LP_SHUTDOWN, 0, NULL), TDX_SUCCESS);
	assert_int_equal(sys_state(p), SYS_READY);
	seam_platform_destroy(p);
}

/* An LP in SEAM non-root (running a guest) cannot execute SEAMCALL: #UD. */
static void test_seamcall_from_guest_lp_is_ud(void **state)
{
	struct seam_platform *p = booted("1.5.25");
	uint64_t v;

	seam_lp_set_guest_running(p, 3, true);
	assert_int_equal(h_read_md(p, 3, MD_FIELD_VENDOR_ID, &v), TDX_SEAMCALL_UD);
	assert_int_equal(h_read_md(p, 2, MD_FIELD_VENDOR_ID, &v), TDX_SUCCESS);
	seam_lp_set_guest_running(p, 3, false);
	assert_int_equal(h_read_md(p, 3, MD_FIELD_VENDOR_ID, &v), TDX_SUCCESS);
	assert_int_equal(v, 0x8086);
	seam_platform_destroy(p);
}

/* ---- RAX decoding (spec 1.1) ----------------------------------------- */

static void test_rax_reserved_bits(void **state)
{
	struct seam_platform *p = booted("1.5.25");
	static const unsigned int bits[] = { 24, 27, 31, 32, 47, 62 };

	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		struct seam_args a = { .rdx = MD_FIELD_VENDOR_ID };

		assert_int_equal(seamcall(p, 0, BIT_ULL(bits[i]) | TDH_SYS_RD, &a),
				 0xC000010000000000ULL);
		assert_int_equal(seamcall(p, 0, BIT_ULL(bits[i]) | TDH_SYS_LP_SHUTDOWN, &a),
				 TDX_OPERAND_INVALID);
		assert_int_equal(a.r8, 0);	/* nothing was read */
	}
	seam_platform_destroy(p);
}

static void test_rax_unknown_leaf(void **state)
{
	struct seam_platform *p = booted("1.5.25");
	static const uint16_t unknown[] = { 46, 47, 50, 51, 54, 57, 60, 69, 97, 0x100, 0xFFFF };

	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		assert_int_equal(h_call(p, 0, unknown[i], 0, NULL), 0xC000010000000000ULL);
	seam_platform_destroy(p);
}

/* Decoding precedes sys_state gating: an unknown leaf is not SYS_NOT_READY. */
static void test_rax_decoded_before_not_ready(void **state)
{
	struct seam_platform *p = loaded("1.5.25");

	assert_int_equal(h_call(p, 0, 46, 0, NULL), TDX_OPERAND_INVALID);
	assert_int_equal(h_call(p, 0, TDH_MNG_CREATE, 1, NULL), TDX_OPERAND_INVALID);
	assert_int_equal(h_call(p, 0, TDH_VP_INIT, 2, NULL), TDX_OPERAND_INVALID);
	assert_int_equal(h_call(p, 0, TDH_MNG_CREATE, 0, NULL), TDX_SYS_NOT_READY);
	seam_platform_destroy(p);
}

static void test_rax_version_on_unversioned_leaf(void **state)
{
	struct seam_platform *p = booted("1.5.25");
	static const uint16_t unversioned[] = {
		TDH_VP_ENTER, TDH_MNG_ADDCX, TDH_MEM_PAGE_ADD, TDH_MNG_CREATE, TDH_MR_EXTEND,
		TDH_MR_FINALIZE, TDH_MNG_INIT, TDH_PHYMEM_PAGE_RECLAIM, TDH_SYS_KEY_CONFIG,
		TDH_SYS_RD, TDH_SYS_LP_INIT, TDH_SYS_TDMR_INIT, TDH_SYS_LP_SHUTDOWN,
		TDH_SYS_CONFIG, TDH_SYS_SHUTDOWN,
	};

	for (size_t i = 0; i < sizeof(unversioned) / sizeof(unversioned[0]); i++) {
		assert_int_equal(h_call(p, 0, unversioned[i], 1, NULL), 0xC000010000000000ULL);
		assert_int_equal(h_call(p, 0, unversioned[i], 0xFF, NULL), TDX_OPERAND_INVALID);
	}
	assert_int_equal(sys_state(p), SYS_READY);
	seam_platform_destroy(p);
}

/* SYS.INIT and SYS.UPDATE take 0 and 1 only; other versions are refused. */
static void test_rax_unsupported_version_of_versioned_leaf(void **state)
{
	struct seam_platform *p = loaded("1.5.25");
	struct seam_args a = { 0 };

	assert_int_equal(h_call(p, 0, TDH_SYS_INIT, 2, &a), 0xC000010000000000ULL);
	assert_int_equal(h_call(p, 0, TDH_SYS_UPDATE, 2, &a), TDX_OPERAND_INVALID);
	assert_int_equal(h_call(p, 0, TDH_VP_INIT, 2, &a), TDX_OPERAND_INVALID);
	/* Versions the emulator does not implement (inferred). */
	assert_int_equal(h_call(p, 0, TDH_MNG_RD, 1, &a), TDX_OPERAND_INVALID);
	assert_int_equal(h_call(p, 0, TDH_MEM_SEPT_ADD, 1, &a), TDX_OPERAND_INVALID);
	assert_int_equal(sys_state(p), SYSINIT_PENDING);
	/* SYS.INIT v1 (R8 = fatal-diagnostics config) is accepted. */
	a.r8 = 1;
	assert_int_equal(h_call(p, 0, TDH_SYS_INIT, 1, &a), TDX_SUCCESS);
	assert_int_equal(sys_state(p), SYSINIT_DONE);
	seam_platform_destroy(p);
}

/* ---- sys_state machine and gating (spec 3.1) ------------------------- */

static void assert_td_leaves_not_ready(struct seam_platform *p)
{
	for (size_t i = 0; i < NR_TD_LEAVES; i++) {
		struct seam_args a = { .rcx = h_page(p), .rdx = 1 };

		assert_int_equal(h_call(p, 1, td_leaves[i], 0, &a), 0xC000050500000000ULL);
	}
}

static void test_not_ready_gating_in_every_state(void **state)
{
	struct seam_platform *p = loaded("1.5.25");

	assert_td_leaves_not_ready(p);
	assert_int_equal(h_call(p, 0, TDH_SYS_INIT, 0, NULL), TDX_SUCCESS);
	assert_int_equal(sys_state(p), SYSINIT_DONE);
	assert_td_leaves_not_ready(p);
	init_all_lps(p);
	assert_int_equal(sys_config(p, tdmr_array(p, 0, 1ULL << 30), 1, 1), TDX_SUCCESS);
	assert_int_equal(sys_state(p), SYSCONFIG_DONE);
	assert_td_leaves_not_ready(p);
	assert_int_equal(h_call(p, 0, TDH_SYS_KEY_CONFIG, 0, NULL), TDX_SUCCESS);
	assert_int_equal(sys_state(p), SYSCONFIG_DONE);
	assert_td_leaves_not_ready(p);
	assert_int_equal(h_call(p, 4, TDH_SYS_KEY_CONFIG, 0, NULL), TDX_SUCCESS);
	assert_int_equal(sys_state(p), SYS_READY);
	seam_platform_destroy(p);
}

/* Leaves that do not need SYS_READY are dispatched before it. */
static void test_sys_leaves_allowed_before_ready(void **state)
{
	struct seam_platform *p = loaded("1.5.25");
	struct seam_args a = { .rdx = MD_FIELD_VENDOR_ID };

	assert_int_equal(h_call(p, 0, TDH_SYS_RD, 0, &a), TDX_SYS_LP_INIT_NOT_DONE);
	assert_int_equal(h_call(p, 0, TDH_SYS_LP_INIT, 0, NULL), TDX_SYS_LP_INIT_NOT_PENDING);
	assert_int_equal(h_call(p, 0, TDH_SYS_CONFIG, 0, NULL), TDX_SYS_CONFIG_NOT_PENDING);
	assert_int_equal(h_call(p, 0, TDH_SYS_KEY_CONFIG, 0, NULL),
			 TDX_SYS_KEY_CONFIG_NOT_PENDING);
	assert_int_equal(h_call(p, 0, TDH_SYS_LP_SHUTDOWN, 0, NULL), TDX_SUCCESS);
	assert_int_equal(h_call(p, 0, TDH_SYS_UPDATE, 0, NULL), TDX_SYS_STATE_INCORRECT);
	assert_int_equal(sys_state(p), SYSINIT_PENDING);
	seam_platform_destroy(p);
}

static void test_boot_state_sequence(void **state)
{
	struct seam_platform *p = loaded("1.5.25");
	struct seam_args a = { 0 };

	assert_int_equal(h_call(p, 0, TDH_SYS_INIT, 0, NULL), TDX_SUCCESS);
	assert_int_equal(sys_state(p), SYSINIT_DONE);
	init_all_lps(p);
	assert_int_equal(sys_state(p), SYSINIT_DONE);
	assert_int_equal(sys_config(p, tdmr_array(p, 0, 1ULL << 30), 1, 1), TDX_SUCCESS);
	assert_int_equal(sys_state(p), SYSCONFIG_DONE);
	assert_int_equal(h_call(p, 5, TDH_SYS_KEY_CONFIG, 0, NULL), TDX_SUCCESS);
	assert_int_equal(sys_state(p), SYSCONFIG_DONE);
	assert_int_equal(h_call(p, 2, TDH_SYS_KEY_CONFIG, 0, NULL), TDX_SUCCESS);
	assert_int_equal(sys_state(p), SYS_READY);
	a.rcx = 0;
	assert_int_equal(h_call(p, 0, TDH_SYS_TDMR_INIT, 0, &a), TDX_SUCCESS);
	assert_int_equal(a.rdx, 1ULL << 30);
	assert_int_equal(sys_state(p), SYS_READY);
	seam_platform_destroy(p);
}

static void test_sys_init_twice(void **state)
{
	struct seam_platform *p = loaded("1.5.25");

	assert_int_equal(h_call(p, 0, TDH_SYS_INIT, 0, NULL), TDX_SUCCESS);
	assert_int_equal(h_call(p, 0, TDH_SYS_INIT, 0, NULL), 0xC000050000000000ULL);
	assert_int_equal(h_call(p, 3, TDH_SYS_INIT, 0, NULL), TDX_SYS_INIT_NOT_PENDING);
	assert_int_equal(sys_state(p), SYSINIT_DONE);
	seam_platform_destroy(p);

	p = booted("1.5.25");
	assert_int_equal(h_call(p, 0, TDH_SYS_INIT, 0, NULL), TDX_SYS_INIT_NOT_PENDING);
	assert_int_equal(sys_state(p), SYS_READY);
	seam_platform_destroy(p);
}

/* RCX must be 0 (spec 1.3); the emulator names RCX (inferred). */
static void test_sys_init_rcx_nonzero(void **state)
{
	struct seam_platform *p = loaded("1.5.25");
	struct seam_args a = { .rcx = 1 };

	assert_int_equal(h_call(p, 0, TDH_SYS_INIT, 0, &a), 0xC000010000000001ULL);
	assert_int_equal(sys_state(p), SYSINIT_PENDING);
	assert_int_equal(h_call(p, 0, TDH_SYS_INIT, 0, NULL), TDX_SUCCESS);
	seam_platform_destroy(p);
}

/* SYS.INIT checks the sigstruct values P-SEAMLDR copied (spec 6.4). */
static uint64_t sys_init_with_sigstruct(const char *version, int hv, int min_hv, int nd,
					int handoff_pages)
{
	struct seam_platform *p = h_platform(NR_LPS, NR_PKGS);
	struct sigstruct s;
	const uint8_t *img;
	uint64_t params, ret;
	uint8_t *raw;
	size_t len;

	img = h_image(version, 0x100, false, &len);
	params = h_params(p, img, len, SEAMLDR_SCENARIO_LOAD);
	raw = h_params_sigstruct(p, params);
	sigstruct_parse(raw, &s);
	if (hv >= 0)
		s.module_hv = (uint16_t)hv;
	if (min_hv >= 0)
		s.min_update_hv = (uint16_t)min_hv;
	if (nd >= 0)
		s.no_downgrade = (uint8_t)nd;
	if (handoff_pages >= 0)
		s.num_handoff_pages = (uint16_t)handoff_pages;
	sigstruct_serialize(&s, raw);
	h_params_resign(p, params);
	assert_int_equal(h_install_all(p, params, NULL), SEAMLDR_SUCCESS);
	ret = h_call(p, 0, TDH_SYS_INIT, 0, NULL);
	assert_int_equal(sys_state(p), ret ? SYSINIT_PENDING : SYSINIT_DONE);
	seam_platform_destroy(p);
	return ret;
}

static void test_sys_init_incompatible_sigstruct(void **state)
{
	/* 1.5.25 is built with HV 1, MIN_UPDATE_HV 0, NO_DOWNGRADE 1, 13 pages. */
	assert_int_equal(sys_init_with_sigstruct("1.5.25", -1, -1, -1, -1), TDX_SUCCESS);
	assert_int_equal(sys_init_with_sigstruct("1.5.25", 2, -1, -1, -1), 0xC000050A00000000ULL);
	assert_int_equal(sys_init_with_sigstruct("1.5.25", 0, -1, -1, -1),
			 TDX_SYS_INCOMPATIBLE_SIGSTRUCT);
	assert_int_equal(sys_init_with_sigstruct("1.5.25", -1, -1, 0, -1),
			 TDX_SYS_INCOMPATIBLE_SIGSTRUCT);
	assert_int_equal(sys_init_with_sigstruct("1.5.25", -1, -1, -1, 12),
			 TDX_SYS_INCOMPATIBLE_SIGSTRUCT);
	/* min_update_hv above the built-in value and more handoff pages are fine. */
	assert_int_equal(sys_init_with_sigstruct("1.5.25", -1, 1, -1, -1), TDX_SUCCESS);
	assert_int_equal(sys_init_with_sigstruct("1.5.25", -1, -1, -1, 14), TDX_SUCCESS);
	/* A build without NO_DOWNGRADE accepts a sigstruct that sets it. */
	assert_int_equal(sys_init_with_sigstruct("1.5.16", -1, -1, 1, -1), TDX_SUCCESS);
}

static void test_lp_init_before_sys_init(void **state)
{
	struct seam_platform *p = loaded("1.5.25");

	for (unsigned int lp = 0; lp < NR_LPS; lp++)
		assert_int_equal(h_call(p, lp, TDH_SYS_LP_INIT, 0, NULL), 0xC000050B00000000ULL);
	assert_int_equal(h_call(p, 0, TDH_SYS_INIT, 0, NULL), TDX_SUCCESS);
	/* The refused calls counted nothing: every LP still initialises once. */
	init_all_lps(p);
	seam_platform_destroy(p);
}

static void test_lp_init_repeat(void **state)
{
	struct seam_platform *p = loaded("1.5.25");

	assert_int_equal(h_call(p, 0, TDH_SYS_INIT, 0, NULL), TDX_SUCCESS);
	assert_int_equal(h_call(p, 6, TDH_SYS_LP_INIT, 0, NULL), TDX_SUCCESS);
	assert_int_equal(h_call(p, 6, TDH_SYS_LP_INIT, 0, NULL), 0xC000050300000000ULL);
	seam_platform_destroy(p);

	/* Past SYSINIT_DONE the state check comes first (spec 1.3): not pending. */
	p = booted("1.5.25");
	for (unsigned int lp = 0; lp < NR_LPS; lp++)
		assert_int_equal(h_call(p, lp, TDH_SYS_LP_INIT, 0, NULL), 0xC000050B00000000ULL);
	seam_platform_destroy(p);
}

/* A repeated LP.INIT on one LP does not stand in for another LP. */
static void test_config_before_all_lps_initialised(void **state)
{
	struct seam_platform *p = loaded("1.5.25");
	uint64_t array = tdmr_array(p, 0, 1ULL << 30);

	assert_int_equal(sys_config(p, array, 1, 1), 0xC000050C00000000ULL);
	assert_int_equal(h_call(p, 0, TDH_SYS_INIT, 0, NULL), TDX_SUCCESS);
	for (unsigned int lp = 0; lp < NR_LPS - 1; lp++)
		assert_int_equal(h_call(p, lp, TDH_SYS_LP_INIT, 0, NULL), TDX_SUCCESS);
	assert_int_equal(h_call(p, 0, TDH_SYS_LP_INIT, 0, NULL), TDX_SYS_LP_INIT_DONE);
	assert_int_equal(sys_config(p, array, 1, 1), TDX_SYS_CONFIG_NOT_PENDING);
	assert_int_equal(sys_state(p), SYSINIT_DONE);
	assert_int_equal(h_call(p, NR_LPS - 1, TDH_SYS_LP_INIT, 0, NULL), TDX_SUCCESS);
	assert_int_equal(sys_config(p, array, 1, 1), TDX_SUCCESS);
	assert_int_equal(sys_state(p), SYSCONFIG_DONE);
	/* Twice: no longer pending. */
	assert_int_equal(sys_config(p, array, 1, 1), TDX_SYS_CONFIG_NOT_PENDING);
	/* LP.INIT needs SYSINIT_DONE, checked before the per-LP repeat. */
	assert_int_equal(h_call(p, 0, TDH_SYS_LP_INIT, 0, NULL), TDX_SYS_LP_INIT_NOT_PENDING);
	seam_platform_destroy(p);
}

/* SYS.CONFIG operand checks (TDMR_INFO layout inferred: base, size). */
static void test_config_bad_operands(void **state)
{
	struct seam_platform *p = sysinit_done("1.5.25");
	uint64_t good = tdmr_array(p, 0, 1ULL << 30);
	uint64_t info_unaligned = h_page(p), arr_unaligned = h_page(p);
	uint64_t two = h_page(p), i1 = h_page(p), i2 = h_page(p);

	assert_int_equal(sys_config(p, good, 1, 1 | BIT_ULL(17)), 0xC000010000000008ULL);
	assert_int_equal(sys_config(p, good, 1, 1 | BIT_ULL(63)), TDX_OPERAND_INVALID | 8);
	assert_int_equal(sys_config(p, good, 1, 0), TDX_OPERAND_INVALID | 8);	/* HKID 0 */
	assert_int_equal(sys_config(p, good, 1, 64), TDX_OPERAND_INVALID | 8);
	assert_int_equal(sys_config(p, good, 0, 1), 0xC000010000000002ULL);
	assert_int_equal(sys_config(p, good, 65, 1), TDX_OPERAND_INVALID | 2);
	assert_int_equal(sys_config(p, good + 4, 1, 1), 0xC000010000000001ULL);
	assert_int_equal(sys_config(p, 1ULL << 40, 1, 1), 0xC000010100000001ULL);
	/* TDMR_INFO not 512-byte aligned */
	put_le64(h_map(p, info_unaligned) + 8, 0);
	put_le64(h_map(p, info_unaligned) + 16, 1ULL << 30);
	put_le64(h_map(p, arr_unaligned), info_unaligned + 8);
	assert_int_equal(sys_config(p, arr_unaligned, 1, 1), TDX_OPERAND_INVALID | 1);
	/* base not 1 GiB aligned, size 0, size not a 1 GiB multiple */
	assert_int_equal(sys_config(p, tdmr_array(p, 1ULL << 20, 1ULL << 30), 1, 1),
			 TDX_OPERAND_INVALID | 1);
	assert_int_equal(sys_config(p, tdmr_array(p, 0, 0), 1, 1), TDX_OPERAND_INVALID | 1);
	assert_int_equal(sys_config(p, tdmr_array(p, 0, 1ULL << 29), 1, 1),
			 TDX_OPERAND_INVALID | 1);
	/* overlapping TDMRs */
	put_le64(h_map(p, i1), 0);
	put_le64(h_map(p, i1) + 8, 2ULL << 30);
	put_le64(h_map(p, i2), 1ULL << 30);
	put_le64(h_map(p, i2) + 8, 1ULL << 30);
	put_le64(h_map(p, two), i1);
	put_le64(h_map(p, two) + 8, i2);
	assert_int_equal(sys_config(p, two, 2, 1), TDX_OPERAND_INVALID | 1);
	/* Each failure changed nothing. */
	assert_int_equal(sys_state(p), SYSINIT_DONE);
	put_le64(h_map(p, i2), 2ULL << 30);
	assert_int_equal(sys_config(p, two, 2, 1 | BIT_ULL(16)), TDX_SUCCESS);
	assert_int_equal(sys_state(p), SYSCONFIG_DONE);
	seam_platform_destroy(p);
}

static void test_key_config_before_config(void **state)
{
	struct seam_platform *p = sysinit_done("1.5.25");

	assert_int_equal(h_call(p, 0, TDH_SYS_KEY_CONFIG, 0, NULL), 0xC000050700000000ULL);
	assert_int_equal(sys_state(p), SYSINIT_DONE);
	seam_platform_destroy(p);
}

static void test_key_config_repeat_warning(void **state)
{
	struct seam_platform *p = sysinit_done("1.5.25");

	assert_int_equal(sys_config(p, tdmr_array(p, 0, 1ULL << 30), 1, 1), TDX_SUCCESS);
	assert_int_equal(h_call(p, 0, TDH_SYS_KEY_CONFIG, 0, NULL), TDX_SUCCESS);
	/* LP 3 is in package 0 too: a warning, not an error. */
	assert_int_equal(h_call(p, 3, TDH_SYS_KEY_CONFIG, 0, NULL), 0x0000081500000000ULL);
	assert_false(tdx_status_is_error(TDX_KEY_CONFIGURED));
	assert_int_equal(h_call(p, 0, TDH_SYS_KEY_CONFIG, 0, NULL), TDX_KEY_CONFIGURED);
	assert_int_equal(sys_state(p), SYSCONFIG_DONE);
	assert_int_equal(h_call(p, 7, TDH_SYS_KEY_CONFIG, 0, NULL), TDX_SUCCESS);
	assert_int_equal(sys_state(p), SYS_READY);
	/* After the last package the leaf is no longer pending. */
	assert_int_equal(h_call(p, 7, TDH_SYS_KEY_CONFIG, 0, NULL),
			 TDX_SYS_KEY_CONFIG_NOT_PENDING);
	seam_platform_destroy(p);
}

static void test_tdmr_init(void **state)
{
	struct seam_platform *p = sysinit_done("1.5.25");
	struct seam_args a = { 0 };

	assert_int_equal(sys_config(p, tdmr_array(p, 0, 1ULL << 30), 1, 1), TDX_SUCCESS);
	assert_int_equal(h_call(p, 0, TDH_SYS_TDMR_INIT, 0, &a), TDX_SYS_NOT_READY);
	assert_int_equal(h_call(p, 0, TDH_SYS_KEY_CONFIG, 0, NULL), TDX_SUCCESS);
	assert_int_equal(h_call(p, 4, TDH_SYS_KEY_CONFIG, 0, NULL), TDX_SUCCESS);
	a = (struct seam_args){ .rcx = 1ULL << 30 };
	assert_int_equal(h_call(p, 0, TDH_SYS_TDMR_INIT, 0, &a), 0xC000010000000001ULL);
	a = (struct seam_args){ .rcx = 0 };
	assert_int_equal(h_call(p, 0, TDH_SYS_TDMR_INIT, 0, &a), TDX_SUCCESS);
	assert_int_equal(a.rdx, 1ULL << 30);
	a = (struct seam_args){ .rcx = 0 };
	assert_int_equal(h_call(p, 2, TDH_SYS_TDMR_INIT, 0, &a), 0x00000A0300000000ULL);
	assert_false(tdx_status_is_error(TDX_TDMR_ALREADY_INITIALIZED));
	seam_platform_destroy(p);
}

/* ---- SYS.RD (spec 1.3, 7, 8) ----------------------------------------- */

struct md_expect {
	uint64_t id, value;
};

static void check_fields(struct seam_platform *p, const struct md_expect *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t v = 0xDEADBEEF;

		assert_int_equal(h_read_md(p, (unsigned int)i % NR_LPS, e[i].id, &v), TDX_SUCCESS);
		assert_int_equal(v, e[i].value);
	}
}

/* Values beyond the spec's (BUILD_NUM, sizes, FIXED0/1) are the emulator's, inferred. */
static void test_sys_rd_fields_1_5_25(void **state)
{
	struct seam_platform *p = booted("1.5.25");
	const struct md_expect e[] = {
		{ 0x0800000200000000ULL, 0x8086 },		/* VENDOR_ID */
		{ 0x8800000200000001ULL, 20251021 },		/* BUILD_DATE */
		{ 0x8800000100000002ULL, 972 },			/* BUILD_NUM */
		{ 0x0800000100000003ULL, 5 },			/* MINOR_VERSION */
		{ 0x0800000100000004ULL, 1 },			/* MAJOR_VERSION */
		{ 0x0800000100000005ULL, 25 },			/* UPDATE_VERSION */
		{ 0x0800000100000006ULL, 0 },			/* INTERNAL_VERSION */
		{ 0x8900000100000000ULL, 1 },			/* MODULE_HV */
		{ 0x8900000100000001ULL, 0 },			/* MIN_UPDATE_HV */
		{ 0x8900000000000002ULL, 1 },			/* NO_DOWNGRADE */
		{ 0x8900000100000003ULL, 13 },			/* NUM_HANDOFF_PAGES */
		{ 0x8900000000000004ULL, 0 },			/* HANDOFF_DATA_VALID */
		{ 0x8900000100000005ULL, 0 },			/* HANDOFF_DATA_HV */
		{ 0x8900000200000006ULL, 0 },			/* HANDOFF_DATA_SIZE */
		{ 0x0A00000200000000ULL, 0 },			/* SYS_ATTRIBUTES */
		{ 0x0A00000000000001ULL, 1 },			/* NUM_TDX_FEATURES */
		{ 0x0A00000300000008ULL, 0x0000800000040002ULL }, /* TDX_FEATURES0: 1, 18, 47 */
		{ 0x9100000100000008ULL, 64 },			/* MAX_TDMRS */
		{ 0x9800000100000100ULL, 0x6000 },		/* TDCS_BASE_SIZE */
		{ 0x9800000100000200ULL, 0x4000 },		/* TDVPS_BASE_SIZE */
		{ 0x1900000300000000ULL, 0x00000000F0000001ULL }, /* ATTRIBUTES_FIXED0 */
		{ 0x1900000300000001ULL, 0 },			/* ATTRIBUTES_FIXED1 */
		{ 0x1900000300000002ULL, 0x00000000000618E7ULL }, /* XFAM_FIXED0 */
		{ 0x1900000300000003ULL, 0x3 },			/* XFAM_FIXED1 */
	};

	check_fields(p, e, sizeof(e) / sizeof(e[0]));
	seam_platform_destroy(p);
}

/* An old build: no bit 47, HV 0, no NO_DOWNGRADE. */
static void test_sys_rd_fields_1_5_06(void **state)
{
	struct seam_platform *p = booted("1.5.06");
	const struct md_expect e[] = {
		{ MD_FIELD_VENDOR_ID, 0x8086 },
		{ MD_FIELD_BUILD_DATE, 20231016 },
		{ MD_FIELD_BUILD_NUM, 744 },
		{ MD_FIELD_MINOR_VERSION, 5 },
		{ MD_FIELD_MAJOR_VERSION, 1 },
		{ MD_FIELD_UPDATE_VERSION, 6 },
		{ MD_FIELD_INTERNAL_VERSION, 0 },
		{ MD_FIELD_MODULE_HV, 0 },
		{ MD_FIELD_MIN_UPDATE_HV, 0 },
		{ MD_FIELD_NO_DOWNGRADE, 0 },
		{ MD_FIELD_NUM_HANDOFF_PAGES, 13 },
		{ MD_FIELD_HANDOFF_DATA_VALID, 0 },
		{ MD_FIELD_HANDOFF_DATA_HV, 0 },
		{ MD_FIELD_HANDOFF_DATA_SIZE, 0 },
		{ MD_FIELD_SYS_ATTRIBUTES, 0 },
		{ MD_FIELD_NUM_TDX_FEATURES, 1 },
		{ MD_FIELD_TDX_FEATURES0, 0x0000000000040002ULL },
		{ MD_FIELD_MAX_TDMRS, 64 },
		{ MD_FIELD_TDCS_BASE_SIZE, 0x6000 },
		{ MD_FIELD_TDVPS_BASE_SIZE, 0x4000 },
		{ MD_FIELD_ATTRIBUTES_FIXED0, 0x00000000F0000001ULL },
		{ MD_FIELD_ATTRIBUTES_FIXED1, 0 },
		{ MD_FIELD_XFAM_FIXED0, 0x00000000000618E7ULL },
		{ MD_FIELD_XFAM_FIXED1, 0x3 },
	};

	check_fields(p, e, sizeof(e) / sizeof(e[0]));
	seam_platform_destroy(p);
}

/* Every TDX_FEATURES0 of the catalogue has bits 1 and 18 (spec 8). */
static void test_sys_rd_features0_catalogue(void **state)
{
	static const struct {
		const char *version;
		uint64_t f0;
	} builds[] = {
		{ "1.5.01", 0x40002 }, { "1.5.08", 0x40002 }, { "1.5.16", 0x40002 },
		{ "1.5.24", 0x800000040002ULL }, { "1.5.25", 0x800000040002ULL },
	};

	for (size_t i = 0; i < sizeof(builds) / sizeof(builds[0]); i++) {
		struct seam_platform *p = booted(builds[i].version);
		uint64_t v;

		assert_int_equal(h_read_md(p, 0, MD_FIELD_TDX_FEATURES0, &v), TDX_SUCCESS);
		assert_int_equal(v, builds[i].f0);
		assert_true(v & TDX_FEATURES0_TD_PRESERVING);
		assert_true(v & TDX_FEATURES0_NO_RBP_MOD);
		seam_platform_destroy(p);
	}
}

/* Reading works from SYSINIT_DONE on an initialised LP, not only at SYS_READY. */
static void test_sys_rd_before_ready(void **state)
{
	struct seam_platform *p = loaded("1.5.25");
	uint64_t v = 0;

	assert_int_equal(h_call(p, 0, TDH_SYS_INIT, 0, NULL), TDX_SUCCESS);
	assert_int_equal(h_call(p, 2, TDH_SYS_LP_INIT, 0, NULL), TDX_SUCCESS);
	assert_int_equal(h_read_md(p, 2, MD_FIELD_UPDATE_VERSION, &v), TDX_SUCCESS);
	assert_int_equal(v, 25);
	seam_platform_destroy(p);
}

static void test_sys_rd_iteration_from_null(void **state)
{
	static const uint64_t order[] = {
		MD_FIELD_VENDOR_ID, MD_FIELD_BUILD_DATE, MD_FIELD_BUILD_NUM,
		MD_FIELD_MINOR_VERSION, MD_FIELD_MAJOR_VERSION, MD_FIELD_UPDATE_VERSION,
		MD_FIELD_INTERNAL_VERSION, MD_FIELD_MODULE_HV, MD_FIELD_MIN_UPDATE_HV,
		MD_FIELD_NO_DOWNGRADE, MD_FIELD_NUM_HANDOFF_PAGES, MD_FIELD_HANDOFF_DATA_VALID,
		MD_FIELD_HANDOFF_DATA_HV, MD_FIELD_HANDOFF_DATA_SIZE, MD_FIELD_SYS_ATTRIBUTES,
		MD_FIELD_NUM_TDX_FEATURES, MD_FIELD_TDX_FEATURES0, MD_FIELD_MAX_TDMRS,
		MD_FIELD_TDCS_BASE_SIZE, MD_FIELD_TDVPS_BASE_SIZE, MD_FIELD_ATTRIBUTES_FIXED0,
		MD_FIELD_ATTRIBUTES_FIXED1, MD_FIELD_XFAM_FIXED0, MD_FIELD_XFAM_FIXED1,
	};
	struct seam_platform *p = booted("1.5.25");
	struct seam_args a = { .rdx = MD_FIELD_ID_NULL };
	size_t n = 0;

	assert_int_equal(h_call(p, 0, TDH_SYS_RD, 0, &a), 0x00000C0B00000000ULL);
	assert_false(tdx_status_is_error(TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT));
	assert_int_equal(a.rdx, MD_FIELD_VENDOR_ID);
	while (a.rdx != MD_FIELD_ID_NULL) {
		uint64_t id = a.rdx, v;

		assert_true(n < sizeof(order) / sizeof(order[0]));
		assert_int_equal(id, order[n]);
		assert_int_equal(h_call(p, 0, TDH_SYS_RD, 0, &a), TDX_SUCCESS);
		assert_int_equal(h_read_md(p, 1, id, &v), TDX_SUCCESS);
		assert_int_equal(a.r8, v);
		n++;
	}
	assert_int_equal(n, sizeof(order) / sizeof(order[0]));
	seam_platform_destroy(p);
}

static void test_sys_rd_lp_not_initialised(void **state)
{
	struct seam_platform *p = loaded("1.5.25");
	uint64_t v;

	assert_int_equal(h_call(p, 0, TDH_SYS_INIT, 0, NULL), TDX_SUCCESS);
	for (unsigned int lp = 0; lp < NR_LPS - 1; lp++)
		assert_int_equal(h_call(p, lp, TDH_SYS_LP_INIT, 0, NULL), TDX_SUCCESS);
	assert_int_equal(h_read_md(p, NR_LPS - 1, MD_FIELD_VENDOR_ID, &v),
			 0xC000050200000000ULL);
	assert_int_equal(h_read_md(p, NR_LPS - 2, MD_FIELD_VENDOR_ID, &v), TDX_SUCCESS);
	seam_platform_destroy(p);
}

static void test_sys_rd_unknown_field(void **state)
{
	struct seam_platform *p = booted("1.5.25");
	static const uint64_t bad[] = {
		0, 0x0800000200000007ULL, 0x0A00000300000009ULL,
		0x0800000300000000ULL,		/* VENDOR_ID with the wrong size */
		0x1310000300000000ULL,		/* a TD field */
		MD_FIELD_ID_NULL - 1,
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t v;

		assert_int_equal(h_read_md(p, 0, bad[i], &v), 0xC0000C0000000000ULL);
	}
	seam_platform_destroy(p);
}

/* ---- SYS.LP.SHUTDOWN: deprecated no-op (spec 1.2, 3.1) --------------- */

static void test_lp_shutdown_always_success(void **state)
{
	struct seam_platform *p = loaded("1.5.25");

	for (unsigned int lp = 0; lp < NR_LPS; lp++)
		assert_int_equal(h_call(p, lp, TDH_SYS_LP_SHUTDOWN, 0, NULL), TDX_SUCCESS);
	assert_int_equal(h_call(p, 0, TDH_SYS_INIT, 0, NULL), TDX_SUCCESS);
	assert_int_equal(h_call(p, 0, TDH_SYS_LP_SHUTDOWN, 0, NULL), TDX_SUCCESS);
	init_all_lps(p);
	assert_int_equal(sys_config(p, tdmr_array(p, 0, 1ULL << 30), 1, 1), TDX_SUCCESS);
	assert_int_equal(h_call(p, 0, TDH_SYS_LP_SHUTDOWN, 0, NULL), TDX_SUCCESS);
	assert_int_equal(h_call(p, 0, TDH_SYS_KEY_CONFIG, 0, NULL), TDX_SUCCESS);
	assert_int_equal(h_call(p, 4, TDH_SYS_KEY_CONFIG, 0, NULL), TDX_SUCCESS);
	for (unsigned int lp = 0; lp < NR_LPS; lp++)
		assert_int_equal(h_call(p, lp, TDH_SYS_LP_SHUTDOWN, 0, NULL), TDX_SUCCESS);
	/* A no-op: the module is still ready and the LPs still initialised. */
	assert_int_equal(sys_state(p), SYS_READY);
	assert_int_equal(h_call(p, 3, TDH_SYS_LP_INIT, 0, NULL), TDX_SYS_LP_INIT_NOT_PENDING);
	/* After SYS.SHUTDOWN it is the only leaf that still answers SUCCESS. */
	assert_int_equal(h_shutdown(p, false), TDX_SUCCESS);
	for (unsigned int lp = 0; lp < NR_LPS; lp++)
		assert_int_equal(h_call(p, lp, TDH_SYS_LP_SHUTDOWN, 0, NULL), TDX_SUCCESS);
	assert_int_equal(h_call(p, 0, TDH_SYS_RD, 0, NULL), TDX_SYS_SHUTDOWN);
	seam_platform_destroy(p);
}

/* ---- RDRAND without entropy ------------------------------------------ */

static void test_sys_init_rnd_no_entropy(void **state)
{
	struct seam_platform *p = loaded("1.5.25");

	seam_inject_rnd_no_entropy(p, 2);
	assert_int_equal(h_call(p, 0, TDH_SYS_INIT, 0, NULL), 0x8000020300000000ULL);
	assert_int_equal(sys_state(p), SYSINIT_PENDING);
	assert_int_equal(h_call(p, 1, TDH_SYS_INIT, 0, NULL), TDX_RND_NO_ENTROPY);
	assert_int_equal(sys_state(p), SYSINIT_PENDING);
	assert_int_equal(h_call(p, 0, TDH_SYS_LP_INIT, 0, NULL), TDX_SYS_LP_INIT_NOT_PENDING);
	/* Retryable: the next attempt succeeds. */
	assert_int_equal(h_call(p, 0, TDH_SYS_INIT, 0, NULL), TDX_SUCCESS);
	assert_int_equal(sys_state(p), SYSINIT_DONE);
	seam_platform_destroy(p);
}

static void test_sys_key_config_rnd_no_entropy(void **state)
{
	struct seam_platform *p = sysinit_done("1.5.25");

	assert_int_equal(sys_config(p, tdmr_array(p, 0, 1ULL << 30), 1, 1), TDX_SUCCESS);
	seam_inject_rnd_no_entropy(p, 1);
	assert_int_equal(h_call(p, 0, TDH_SYS_KEY_CONFIG, 0, NULL), TDX_RND_NO_ENTROPY);
	assert_int_equal(sys_state(p), SYSCONFIG_DONE);
	/* The package was not marked configured: SUCCESS, not KEY_CONFIGURED. */
	assert_int_equal(h_call(p, 1, TDH_SYS_KEY_CONFIG, 0, NULL), TDX_SUCCESS);
	assert_int_equal(h_call(p, 1, TDH_SYS_KEY_CONFIG, 0, NULL), TDX_KEY_CONFIGURED);
	seam_inject_rnd_no_entropy(p, 1);
	assert_int_equal(h_call(p, 5, TDH_SYS_KEY_CONFIG, 0, NULL), TDX_RND_NO_ENTROPY);
	assert_int_equal(sys_state(p), SYSCONFIG_DONE);
	assert_int_equal(h_call(p, 5, TDH_SYS_KEY_CONFIG, 0, NULL), TDX_SUCCESS);
	assert_int_equal(sys_state(p), SYS_READY);
	seam_platform_destroy(p);
}

/* Leaves that need no entropy do not consume an injected failure. */
static void test_rnd_injection_not_consumed_by_other_leaves(void **state)
{
	struct seam_platform *p = loaded("1.5.25");

	seam_inject_rnd_no_entropy(p, 1);
	assert_int_equal(h_call(p, 0, TDH_SYS_LP_SHUTDOWN, 0, NULL), TDX_SUCCESS);
	assert_int_equal(h_call(p, 0, TDH_SYS_LP_INIT, 0, NULL), TDX_SYS_LP_INIT_NOT_PENDING);
	assert_int_equal(h_call(p, 0, TDH_SYS_INIT, 0, NULL), TDX_RND_NO_ENTROPY);
	assert_int_equal(h_call(p, 0, TDH_SYS_INIT, 0, NULL), TDX_SUCCESS);
	seam_platform_destroy(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_platform_config_validation),
		cmocka_unit_test(test_vmfailinvalid_before_any_module),
		cmocka_unit_test(test_bad_lp_index_is_ud),
		cmocka_unit_test(test_seamcall_from_guest_lp_is_ud),
		cmocka_unit_test(test_rax_reserved_bits),
		cmocka_unit_test(test_rax_unknown_leaf),
		cmocka_unit_test(test_rax_decoded_before_not_ready),
		cmocka_unit_test(test_rax_version_on_unversioned_leaf),
		cmocka_unit_test(test_rax_unsupported_version_of_versioned_leaf),
		cmocka_unit_test(test_not_ready_gating_in_every_state),
		cmocka_unit_test(test_sys_leaves_allowed_before_ready),
		cmocka_unit_test(test_boot_state_sequence),
		cmocka_unit_test(test_sys_init_twice),
		cmocka_unit_test(test_sys_init_rcx_nonzero),
		cmocka_unit_test(test_sys_init_incompatible_sigstruct),
		cmocka_unit_test(test_lp_init_before_sys_init),
		cmocka_unit_test(test_lp_init_repeat),
		cmocka_unit_test(test_config_before_all_lps_initialised),
		cmocka_unit_test(test_config_bad_operands),
		cmocka_unit_test(test_key_config_before_config),
		cmocka_unit_test(test_key_config_repeat_warning),
		cmocka_unit_test(test_tdmr_init),
		cmocka_unit_test(test_sys_rd_fields_1_5_25),
		cmocka_unit_test(test_sys_rd_fields_1_5_06),
		cmocka_unit_test(test_sys_rd_features0_catalogue),
		cmocka_unit_test(test_sys_rd_before_ready),
		cmocka_unit_test(test_sys_rd_iteration_from_null),
		cmocka_unit_test(test_sys_rd_lp_not_initialised),
		cmocka_unit_test(test_sys_rd_unknown_field),
		cmocka_unit_test(test_lp_shutdown_always_success),
		cmocka_unit_test(test_sys_init_rnd_no_entropy),
		cmocka_unit_test(test_sys_key_config_rnd_no_entropy),
		cmocka_unit_test(test_rnd_injection_not_consumed_by_other_leaves),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
