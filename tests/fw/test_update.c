// SPDX-License-Identifier: MIT
/*
 * TD-preserving update at the firmware level (tdx-module.md 4, 6;
 * seamldr.md 4): TDH.SYS.SHUTDOWN, handoff, SEAMLDR.INSTALL (UPDATE),
 * TDH.SYS.UPDATE v0/v1, and the end-to-end erratum with both mitigations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "helpers/fw_harness.h"
#include "emu/guest.h"
#include "tdxup/measure.h"
#include "tdxup/seamldr_abi.h"
#include "emu/sign.h"
#include "tdxup/sigstruct.h"

#define GPA_BASE	0x100000ULL

struct fixture {
	struct seam_platform *p;
};

static int setup(void **state)
{
	static struct fixture f;

	f.p = h_platform(8, 2);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	seam_platform_destroy(f->p);
	return 0;
}

static struct seam_platform *boot(void **state, const char *version)
{
	struct seam_platform *p = ((struct fixture *)*state)->p;

	assert_int_equal(h_boot(p, version), 0);
	return p;
}

static unsigned int build_count(struct seam_platform *p)
{
	struct seam_platform_state st;

	seam_platform_get_state(p, &st);
	return st.td_build_count;
}

/* A TD with one vCPU and n measured pages; stops before FINALIZE. */
static void build_td(struct seam_platform *p, struct h_td *td, uint16_t hkid, int pages,
		     struct mrtd_calc *ref)
{
	uint8_t page[PAGE_SIZE];

	assert_int_equal(h_td_create(p, td, hkid), 0);
	assert_int_equal(h_td_init(p, td), 0);
	assert_int_equal(h_td_vcpu(p, td, GPA_BASE), 0);
	for (int i = 0; i < pages; i++) {
		h_fill_page(page, hkid * 1000 + i);
		assert_int_equal(h_td_add_page(p, td, GPA_BASE + i * PAGE_SIZE, page, true), 0);
		if (ref)
			assert_int_equal(mrtd_calc_add_page(ref, GPA_BASE + i * PAGE_SIZE, page, true), 0);
	}
}

/* ---- TDH.SYS.SHUTDOWN ------------------------------------------------ */

static void test_shutdown_rcx_checks_compat_build(void **state)
{
	struct seam_platform *p = boot(state, "1.5.25");
	struct seam_args a;

	/* 1.5.25: MODULE_HV 1, MIN_UPDATE_HV 0, NO_DOWNGRADE 1 */
	a = (struct seam_args){ .rcx = 0 };	/* downgrade of the HV refused */
	assert_int_equal(h_call(p, 0, TDH_SYS_SHUTDOWN, 0, &a), 0xC000010000000001ULL);
	a = (struct seam_args){ .rcx = 2 };	/* above MODULE_HV */
	assert_int_equal(h_call(p, 0, TDH_SYS_SHUTDOWN, 0, &a), 0xC000010000000001ULL);
	a = (struct seam_args){ .rcx = 1 | (1ULL << 17) };	/* reserved bit */
	assert_int_equal(h_call(p, 0, TDH_SYS_SHUTDOWN, 0, &a), 0xC000010000000001ULL);
	/* Nothing changed: TD leaves still work, the handoff is not valid. */
	uint64_t v;
	assert_int_equal(h_read_md(p, 0, MD_FIELD_HANDOFF_DATA_VALID, &v), 0);
	assert_int_equal(v, 0);
	a = (struct seam_args){ .rcx = 1 | TDX_SYS_SHUTDOWN_AVOID_COMPAT_SENSITIVE };
	assert_int_equal(h_call(p, 0, TDH_SYS_SHUTDOWN, 0, &a), TDX_SUCCESS);
}

static void test_shutdown_old_build_rejects_bit16(void **state)
{
	struct seam_platform *p = boot(state, "1.5.06");
	struct seam_args a = { .rcx = TDX_SYS_SHUTDOWN_AVOID_COMPAT_SENSITIVE };
	struct seam_platform_state st;

	/* No bit 16 before 1.5.24: RCX = 0x10000 reads as HV > MODULE_HV (0). */
	assert_int_equal(h_call(p, 0, TDH_SYS_SHUTDOWN, 0, &a), 0xC000010000000001ULL);
	seam_platform_get_state(p, &st);
	assert_int_equal(st.sys_state, SYS_READY);
	a = (struct seam_args){ .rcx = 0 };
	assert_int_equal(h_call(p, 0, TDH_SYS_SHUTDOWN, 0, &a), TDX_SUCCESS);
}

static void test_shutdown_busy_lp(void **state)
{
	struct seam_platform *p = boot(state, "1.5.25");
	struct seam_platform_state st;

	seam_lp_set_guest_running(p, 5, true);
	assert_int_equal(h_shutdown(p, true), TDX_SYS_BUSY);
	seam_platform_get_state(p, &st);
	assert_int_equal(st.sys_state, SYS_READY);
	seam_lp_set_guest_running(p, 5, false);
	assert_int_equal(h_shutdown(p, true), TDX_SUCCESS);
}

static void test_shutdown_compat_sensitive(void **state)
{
	struct seam_platform *p = boot(state, "1.5.25");
	struct h_td a, b, c;
	uint64_t v;

	build_td(p, &a, 2, 1, NULL);
	build_td(p, &b, 3, 1, NULL);
	build_td(p, &c, 4, 1, NULL);
	assert_int_equal(build_count(p), 3);
	/* Detail: bits 31:16 = td_build_count, bits 15:0 = 0 (TD build). */
	assert_int_equal(h_shutdown(p, true), 0x8000051200030000ULL);
	assert_int_equal(h_read_md(p, 0, MD_FIELD_HANDOFF_DATA_VALID, &v), 0);
	assert_int_equal(v, 0);
	/* The builds go on untouched. */
	assert_int_equal(h_td_finalize(p, &a), 0);
	assert_int_equal(h_shutdown(p, true), 0x8000051200020000ULL);
	assert_int_equal(h_td_finalize(p, &b), 0);
	assert_int_equal(h_td_finalize(p, &c), 0);
	assert_int_equal(build_count(p), 0);
	assert_int_equal(h_shutdown(p, true), TDX_SUCCESS);
}

static void test_shutdown_without_flag_ignores_builds(void **state)
{
	struct seam_platform *p = boot(state, "1.5.25");
	struct h_td td;

	build_td(p, &td, 2, 1, NULL);
	assert_int_equal(h_shutdown(p, false), TDX_SUCCESS);
}

static void test_after_shutdown_everything_is_sys_shutdown(void **state)
{
	struct seam_platform *p = boot(state, "1.5.25");
	struct h_td td;
	uint64_t v;

	build_td(p, &td, 2, 1, NULL);
	assert_int_equal(h_td_finalize(p, &td), 0);
	assert_int_equal(h_shutdown(p, true), TDX_SUCCESS);
	assert_int_equal(h_td_enter(p, &td, 0, NULL, NULL), TDX_SYS_SHUTDOWN);
	assert_int_equal(h_read_md(p, 0, MD_FIELD_MODULE_HV, &v), TDX_SYS_SHUTDOWN);
	assert_int_equal(h_call(p, 1, TDH_SYS_UPDATE, 0, NULL), TDX_SYS_SHUTDOWN);
	assert_int_equal(h_call(p, 1, TDH_SYS_SHUTDOWN, 0, NULL), TDX_SYS_SHUTDOWN);
	assert_int_equal(h_call(p, 1, TDH_SYS_LP_SHUTDOWN, 0, NULL), TDX_SUCCESS);
}

/* ---- update without a build in flight -------------------------------- */

static void test_update_preserves_running_td(void **state)
{
	struct seam_platform *p = boot(state, "1.5.24");
	struct mrtd_calc *ref = mrtd_calc_new();
	uint8_t expect[48], before[48], after[48], page[PAGE_SIZE];
	uint64_t counter, sum, replay_counter, replay_sum, start;
	struct seam_platform_state st0, st1;
	struct h_td td;

	build_td(p, &td, 2, 4, ref);
	assert_int_equal(mrtd_calc_final(ref, expect), 0);
	assert_int_equal(h_td_finalize(p, &td), 0);
	assert_int_equal(h_td_mrtd(p, &td, before), 0);
	assert_memory_equal(before, expect, 48);
	/* Replay the guest alongside: its work page is the first added page. */
	h_fill_page(page, 2 * 1000 + 0);
	start = le64(page);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(h_td_enter(p, &td, 1, &counter, &sum), VMX_EXIT_REASON_TDCALL);
		tdx_guest_step(page, &replay_counter, &replay_sum);
		assert_int_equal(counter, replay_counter);
		assert_int_equal(sum, replay_sum);
	}
	seam_platform_get_state(p, &st0);

	assert_int_equal(h_shutdown(p, true), TDX_SUCCESS);
	assert_int_equal(h_install_and_update(p, "1.5.25", 0, 0), TDX_SUCCESS);

	seam_platform_get_state(p, &st1);
	assert_int_equal(st1.update, 25);
	assert_int_equal(st1.sys_state, SYS_READY);
	assert_int_equal(st1.num_remaining_updates, st0.num_remaining_updates - 1);
	assert_int_equal(st1.seamdb_entries, st0.seamdb_entries + 1);
	assert_int_equal(h_td_mrtd(p, &td, after), 0);
	assert_memory_equal(after, expect, 48);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(h_td_enter(p, &td, 2, &counter, &sum), VMX_EXIT_REASON_TDCALL);
		tdx_guest_step(page, &replay_counter, &replay_sum);
		assert_int_equal(counter, replay_counter);
		assert_int_equal(sum, replay_sum);
	}
	assert_int_equal(counter, start + 6);
	mrtd_calc_free(ref);
}

static void test_sys_update_checks(void **state)
{
	struct seam_platform *p = boot(state, "1.5.24");
	size_t len;
	const uint8_t *img = h_image("1.5.25", 0x100, false, &len);
	struct seam_args a = { 0 };
	uint64_t v;

	/* SYS.UPDATE on a module that booted normally: wrong state. */
	assert_int_equal(h_call(p, 0, TDH_SYS_UPDATE, 0, NULL), TDX_SYS_STATE_INCORRECT);
	assert_int_equal(h_call(p, 0, TDH_SYS_UPDATE, 2, NULL), 0xC000010000000000ULL);
	assert_int_equal(h_shutdown(p, true), TDX_SUCCESS);
	assert_int_equal(h_install_all(p, h_params(p, img, len, SEAMLDR_SCENARIO_UPDATE), NULL), 0);
	/* Before SYS.INIT and LP.INIT on every LP: wrong state. */
	assert_int_equal(h_call(p, 0, TDH_SYS_UPDATE, 0, NULL), TDX_SYS_STATE_INCORRECT);
	assert_int_equal(h_call(p, 0, TDH_SYS_INIT, 0, NULL), 0);
	for (unsigned int lp = 0; lp < 7; lp++)
		assert_int_equal(h_call(p, lp, TDH_SYS_LP_INIT, 0, NULL), 0);
	assert_int_equal(h_call(p, 0, TDH_SYS_UPDATE, 0, NULL), TDX_SYS_STATE_INCORRECT);
	assert_int_equal(h_call(p, 7, TDH_SYS_LP_INIT, 0, NULL), 0);
	/* The new module sees the old one's handoff header. */
	assert_int_equal(h_read_md(p, 0, MD_FIELD_HANDOFF_DATA_VALID, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(h_read_md(p, 0, MD_FIELD_HANDOFF_DATA_HV, &v), 0);
	assert_int_equal(v, 1);
	/* v1: an enabling flag the module lacks, then R10 != 0. */
	a = (struct seam_args){ .r9 = 1ULL << 46 };
	assert_int_equal(h_call(p, 0, TDH_SYS_UPDATE, 1, &a), 0xC000010000000009ULL);
	a = (struct seam_args){ .r9 = TDX_FEATURES0_UPDATE_COMPAT, .r10 = 1 };
	assert_int_equal(h_call(p, 0, TDH_SYS_UPDATE, 1, &a), 0xC00001000000000AULL);
	/* Failures changed nothing: the header is still valid. */
	assert_int_equal(h_read_md(p, 0, MD_FIELD_HANDOFF_DATA_VALID, &v), 0);
	assert_int_equal(v, 1);
	a = (struct seam_args){ .r9 = TDX_FEATURES0_UPDATE_COMPAT };
	assert_int_equal(h_call(p, 0, TDH_SYS_UPDATE, 1, &a), TDX_SUCCESS);
	/* Header cleared; module ready. */
	assert_int_equal(h_read_md(p, 0, MD_FIELD_HANDOFF_DATA_VALID, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(h_read_md(p, 0, MD_FIELD_HANDOFF_DATA_SIZE, &v), 0);
	assert_int_equal(v, 0);
	/* Step 7 clears valid and size only: hv is left as it was. */
	assert_int_equal(h_read_md(p, 0, MD_FIELD_HANDOFF_DATA_HV, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(h_call(p, 0, TDH_SYS_UPDATE, 0, NULL), TDX_SYS_STATE_INCORRECT);
}

static void test_sys_init_incompatible_sigstruct(void **state)
{
	struct seam_platform *p = boot(state, "1.5.24");
	size_t len;
	const uint8_t *img = h_image("1.5.25", 0x100, false, &len);
	uint8_t *bad = test_malloc(len);
	uint8_t *sig;

	/* A sigstruct whose module_hv disagrees with the build, re-signed. */
	memcpy(bad, img, len);
	sig = bad + TDX_BLOB_HEADER_SIZE;
	put_le16(sig + SIGSTRUCT_MODULE_HV, 2);
	assert_int_equal(sigstruct_sign_test_key(sig), 0);
	assert_int_equal(h_shutdown(p, true), TDX_SUCCESS);
	assert_int_equal(h_install_all(p, h_params(p, bad, len, SEAMLDR_SCENARIO_UPDATE), NULL), 0);
	assert_int_equal(h_call(p, 0, TDH_SYS_INIT, 0, NULL), TDX_SYS_INCOMPATIBLE_SIGSTRUCT);
	test_free(bad);
}

/* ---- the erratum, end to end ----------------------------------------- */

struct scenario {
	struct h_td running;		/* finalized before the update */
	struct h_td building;		/* straddles the update */
	struct mrtd_calc *ref;		/* offline MRTD of `building` */
	uint8_t guest_page[PAGE_SIZE];	/* replay of running's guest */
	uint64_t counter0;		/* its initial step counter */
	uint8_t expect[48];
	bool have_expect;
};

#define STRADDLE_PAGES	6
#define PAGES_BEFORE	3

static void scenario_start(struct seam_platform *p, struct scenario *s)
{
	uint64_t c, sum, rc, rs;

	memset(s, 0, sizeof(*s));
	build_td(p, &s->running, 2, 2, NULL);
	assert_int_equal(h_td_finalize(p, &s->running), 0);
	h_fill_page(s->guest_page, 2 * 1000 + 0);
	s->counter0 = le64(s->guest_page);
	assert_int_equal(h_td_enter(p, &s->running, 3, &c, &sum), VMX_EXIT_REASON_TDCALL);
	tdx_guest_step(s->guest_page, &rc, &rs);
	assert_int_equal(c, rc);
	assert_int_equal(sum, rs);
	s->ref = mrtd_calc_new();
	build_td(p, &s->building, 3, PAGES_BEFORE, s->ref);
}

/* Continue the straddling build; returns the first failing status. */
static uint64_t scenario_finish_build(struct seam_platform *p, struct scenario *s)
{
	uint8_t page[PAGE_SIZE];
	uint64_t ret;

	for (int i = PAGES_BEFORE; i < STRADDLE_PAGES; i++) {
		uint64_t gpa = GPA_BASE + i * PAGE_SIZE;

		h_fill_page(page, 3 * 1000 + i);
		assert_int_equal(mrtd_calc_add_page(s->ref, gpa, page, true), 0);
		ret = h_td_add_page(p, &s->building, gpa, page, true);
		if (ret)
			return ret;
	}
	return h_td_finalize(p, &s->building);
}

static bool building_mrtd_matches(struct seam_platform *p, struct scenario *s)
{
	uint8_t got[48];

	if (!s->have_expect) {
		assert_int_equal(mrtd_calc_final(s->ref, s->expect), 0);
		s->have_expect = true;
	}
	assert_int_equal(h_td_mrtd(p, &s->building, got), 0);
	return !memcmp(s->expect, got, 48);
}

/* The running TD resumes where it was, memory intact. */
static void check_running_survived(struct seam_platform *p, struct scenario *s)
{
	uint64_t c, sum, rc, rs;

	for (int i = 0; i < 2; i++) {
		assert_int_equal(h_td_enter(p, &s->running, 4, &c, &sum), VMX_EXIT_REASON_TDCALL);
		tdx_guest_step(s->guest_page, &rc, &rs);
		assert_int_equal(c, rc);
		assert_int_equal(sum, rs);
	}
	assert_int_equal(c, s->counter0 + 3);
}

static void scenario_end(struct scenario *s)
{
	mrtd_calc_free(s->ref);
}

/* mainline: no mitigation, crypto layout changes (1.5.25 -> 1.5.30). */
static void test_erratum_reproduced_without_mitigation(void **state)
{
	struct seam_platform *p = boot(state, "1.5.25");
	struct scenario s;

	scenario_start(p, &s);
	assert_int_equal(build_count(p), 1);
	assert_int_equal(h_shutdown(p, false), TDX_SUCCESS);
	assert_int_equal(h_install_and_update(p, "1.5.30", 0, 0), TDX_SUCCESS);
	/* The count travelled in the HV 1 handoff. */
	assert_int_equal(build_count(p), 1);
	/* Every leaf succeeds: the corruption is silent... */
	assert_int_equal(scenario_finish_build(p, &s), TDX_SUCCESS);
	assert_int_equal(build_count(p), 0);
	/* ...and the MRTD differs from the offline measurement. */
	assert_false(building_mrtd_matches(p, &s));
	check_running_survived(p, &s);
	scenario_end(&s);
}

/* Same layout on both sides (1.5.24 -> 1.5.25): the hash survives. */
static void test_same_layout_build_survives_update(void **state)
{
	struct seam_platform *p = boot(state, "1.5.24");
	struct scenario s;

	scenario_start(p, &s);
	assert_int_equal(h_shutdown(p, false), TDX_SUCCESS);
	assert_int_equal(h_install_and_update(p, "1.5.25", 0, 0), TDX_SUCCESS);
	assert_int_equal(scenario_finish_build(p, &s), TDX_SUCCESS);
	assert_true(building_mrtd_matches(p, &s));
	check_running_survived(p, &s);
	scenario_end(&s);
}

/* Old modules have the erratum and no way to see builds (1.5.06 -> 1.5.08). */
static void test_erratum_on_old_modules_is_undetectable(void **state)
{
	struct seam_platform *p = boot(state, "1.5.06");
	struct scenario s;

	scenario_start(p, &s);
	assert_int_equal(build_count(p), 0);
	assert_int_equal(h_td_ctx_version(p, &s.building), 0);
	assert_int_equal(h_shutdown(p, false), TDX_SUCCESS);
	assert_int_equal(h_install_and_update(p, "1.5.08", 0, 0), TDX_SUCCESS);
	assert_int_equal(scenario_finish_build(p, &s), TDX_SUCCESS);
	assert_false(building_mrtd_matches(p, &s));
	check_running_survived(p, &s);
	scenario_end(&s);
}

/* Mitigation A (v8): SHUTDOWN with AVOID_COMPAT_SENSITIVE refuses, nothing changes. */
static void test_mitigation_avoid_refuses_and_changes_nothing(void **state)
{
	struct seam_platform *p = boot(state, "1.5.25");
	struct seam_platform_state st0, st1;
	struct scenario s;
	uint64_t v;

	scenario_start(p, &s);
	seam_platform_get_state(p, &st0);
	assert_int_equal(h_shutdown(p, true), 0x8000051200010000ULL);
	seam_platform_get_state(p, &st1);
	assert_int_equal(st1.sys_state, SYS_READY);
	assert_int_equal(st1.update, 25);
	assert_int_equal(st1.num_remaining_updates, st0.num_remaining_updates);
	assert_int_equal(h_read_md(p, 0, MD_FIELD_HANDOFF_DATA_VALID, &v), 0);
	assert_int_equal(v, 0);
	check_running_survived(p, &s);
	assert_int_equal(scenario_finish_build(p, &s), TDX_SUCCESS);
	assert_true(building_mrtd_matches(p, &s));
	/* The retry after FINALIZE goes through. */
	assert_int_equal(h_shutdown(p, true), TDX_SUCCESS);
	assert_int_equal(h_install_and_update(p, "1.5.30", 0, 0), TDX_SUCCESS);
	assert_true(building_mrtd_matches(p, &s));
	scenario_end(&s);
}

/* Mitigation B (detect): UPDATE v1 with bit 47 fails the straddling build's leaves. */
static void test_mitigation_detect_fails_straddling_build(void **state)
{
	struct seam_platform *p = boot(state, "1.5.25");
	struct h_td fresh;
	struct mrtd_calc *ref = mrtd_calc_new();
	uint8_t expect[48], got[48];
	struct seam_args a;
	struct scenario s;

	scenario_start(p, &s);
	assert_int_equal(h_shutdown(p, false), TDX_SUCCESS);
	assert_int_equal(h_install_and_update(p, "1.5.30", 1, TDX_FEATURES0_UPDATE_COMPAT),
			 TDX_SUCCESS);
	/* PAGE.ADD, MR.EXTEND and MR.FINALIZE all refuse, before any change. */
	assert_int_equal(scenario_finish_build(p, &s), TDX_INCOMPATIBLE_MRTD_CONTEXT);
	a = (struct seam_args){ .rcx = GPA_BASE, .rdx = s.building.tdr };
	assert_int_equal(h_call(p, 0, TDH_MR_EXTEND, 0, &a), TDX_INCOMPATIBLE_MRTD_CONTEXT);
	assert_int_equal(h_td_finalize(p, &s.building), TDX_INCOMPATIBLE_MRTD_CONTEXT);
	assert_int_equal(build_count(p), 1);
	/* The VMM tears it down; that ends the build. */
	a = (struct seam_args){ .rcx = s.building.tdr };
	assert_int_equal(h_call(p, 0, TDH_MNG_VPFLUSHDONE, 0, &a), TDX_SUCCESS);
	assert_int_equal(build_count(p), 0);
	/* A rebuild on the new module measures correctly. */
	build_td(p, &fresh, 5, 2, ref);
	assert_int_equal(h_td_ctx_version(p, &fresh), CRYPTO_LAYOUT_ICP_NEXT);
	assert_int_equal(h_td_finalize(p, &fresh), 0);
	assert_int_equal(mrtd_calc_final(ref, expect), 0);
	assert_int_equal(h_td_mrtd(p, &fresh, got), 0);
	assert_memory_equal(expect, got, 48);
	check_running_survived(p, &s);
	mrtd_calc_free(ref);
	scenario_end(&s);
}

/* A page's SEAMCALLs split by the update: PAGE.ADD before, EXTENDs after. */
static void test_update_between_add_and_extend(void **state)
{
	struct seam_platform *p = boot(state, "1.5.25");
	struct mrtd_calc *ref = mrtd_calc_new();
	uint8_t page[PAGE_SIZE], expect[48], got[48];
	struct h_td td;

	build_td(p, &td, 2, 1, ref);
	h_fill_page(page, 77);
	assert_int_equal(h_td_add_page(p, &td, GPA_BASE + PAGE_SIZE, page, false), 0);
	assert_int_equal(mrtd_calc_add_page(ref, GPA_BASE + PAGE_SIZE, page, true), 0);
	assert_int_equal(h_shutdown(p, false), TDX_SUCCESS);
	assert_int_equal(h_install_and_update(p, "1.5.30", 0, 0), TDX_SUCCESS);
	assert_int_equal(h_td_extend_page(p, &td, GPA_BASE + PAGE_SIZE), 0);
	assert_int_equal(h_td_finalize(p, &td), 0);
	assert_int_equal(mrtd_calc_final(ref, expect), 0);
	assert_int_equal(h_td_mrtd(p, &td, got), 0);
	assert_memory_not_equal(expect, got, 48);
	mrtd_calc_free(ref);
}

/* From a module without update-compatibility, the v8 shutdown fails safe. */
static void test_v8_shutdown_on_old_module_changes_nothing(void **state)
{
	struct seam_platform *p = boot(state, "1.5.16");
	struct scenario s;

	scenario_start(p, &s);
	assert_int_equal(h_shutdown(p, true), 0xC000010000000001ULL);
	check_running_survived(p, &s);
	assert_int_equal(scenario_finish_build(p, &s), TDX_SUCCESS);
	assert_true(building_mrtd_matches(p, &s));
	scenario_end(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_shutdown_rcx_checks_compat_build, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shutdown_old_build_rejects_bit16, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shutdown_busy_lp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shutdown_compat_sensitive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shutdown_without_flag_ignores_builds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_after_shutdown_everything_is_sys_shutdown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_preserves_running_td, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sys_update_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sys_init_incompatible_sigstruct, setup, teardown),
		cmocka_unit_test_setup_teardown(test_erratum_reproduced_without_mitigation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_layout_build_survives_update, setup, teardown),
		cmocka_unit_test_setup_teardown(test_erratum_on_old_modules_is_undetectable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mitigation_avoid_refuses_and_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mitigation_detect_fails_straddling_build, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_between_add_and_extend, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v8_shutdown_on_old_module_changes_nothing, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
