// SPDX-License-Identifier: MIT
/*
 * TD lifecycle, op_state gating, TD build and measurement, vCPUs and
 * teardown (tdx-module.md 1.3, 2, 3.2-3.3, 4, 5; vectors.md). Everything goes
 * through seamcall() and physical addresses; the two white-box tests that
 * write TDR/TDCS bytes directly say so.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fw/td_struct.h"
#include "helpers/fw_harness.h"
#include "emu/guest.h"
#include "tdxup/measure.h"
#include "emu/physmem.h"
#include "tdxup/seamldr_abi.h"

#define NR_LPS	8
#define NR_PKGS	2

#define V0 "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b"
#define V1 "8f3e9a8aca6784eab874f7aa4dda5d49104a88047f1f86695ef2a88f5691a90e34aac48ce45ffa1f5a23c7d62980d570"
#define V2 "ca76d5541328afef8bc9364261c515aebef90412ebc56ca0c2260ec531a14462cfc0c11de61d84292ddf8ca871da1ff1"
#define V3 "cd9d793217c8e5918ad18eca449ba10dcfc5faafc19ceeae46b925d054f3b68f85127312438aeba5bc187d9dc73a20fa"
#define V4 "9de2ccb915ec981f3413a3f94106285ac97804e750d0fdebdd8ad5d50d6f2decf44643b346fb9085a3f741f2a53b7237"

/* TDH.MNG.RD field IDs of the emulated module (inferred; spec lists none). */
#define FIELD_OP_STATE		0x9110000200000010ULL
#define FIELD_NUM_VCPUS		0x1110000200000011ULL
#define FIELD_XFAM		0x1110000300000001ULL
#define FIELD_ATTRIBUTES	0x1110000300000000ULL

/* PAMT page types (TDX ABI) as PHYMEM.PAGE.RECLAIM reports them in RCX. */
#define PT_TYPE_REG		3
#define PT_TYPE_TDR		4
#define PT_TYPE_TDCX		5
#define PT_TYPE_TDVPR		6
#define PT_TYPE_EPT		8

static struct seam_platform *booted(const char *version)
{
	struct seam_platform *p = h_platform(NR_LPS, NR_PKGS);

	assert_int_equal(h_boot(p, version), TDX_SUCCESS);
	return p;
}

static unsigned int build_count(struct seam_platform *p)
{
	struct seam_platform_state st;

	seam_platform_get_state(p, &st);
	return st.td_build_count;
}

static uint64_t mng_rd(struct seam_platform *p, struct h_td *td, uint64_t field, uint64_t *v)
{
	struct seam_args a = { .rcx = td->tdr, .rdx = field };
	uint64_t ret = h_call(p, 0, TDH_MNG_RD, 0, &a);

	*v = a.r8;
	return ret;
}

static uint64_t op_state(struct seam_platform *p, struct h_td *td)
{
	uint64_t v;

	assert_int_equal(mng_rd(p, td, FIELD_OP_STATE, &v), TDX_SUCCESS);
	return v;
}

/* MNG.CREATE .. MNG.INIT: op_state INITIALIZED. */
static void td_initialized(struct seam_platform *p, struct h_td *td, uint16_t hkid)
{
	assert_int_equal(h_td_create(p, td, hkid), TDX_SUCCESS);
	assert_int_equal(h_td_init(p, td), TDX_SUCCESS);
}

static uint64_t sept_add(struct seam_platform *p, struct h_td *td, uint64_t gpa, int level,
			 uint64_t *page, struct seam_args *out)
{
	struct seam_args a = { .rcx = gpa | (uint64_t)level, .rdx = td->tdr, .r8 = h_page(p) };
	uint64_t ret = h_call(p, 0, TDH_MEM_SEPT_ADD, 0, &a);

	if (page)
		*page = a.r8;
	if (out)
		*out = a;
	return ret;
}

/* SEPT tables for gpa at levels 3..1; pages of tables that existed are freed. */
static void map_tables(struct seam_platform *p, struct h_td *td, uint64_t gpa, uint64_t sept[3])
{
	for (int level = 3; level >= 1; level--) {
		uint64_t span = PAGE_SIZE << (9 * level), pa;
		struct seam_args out;
		uint64_t ret = sept_add(p, td, gpa & ~(span - 1), level, &pa, &out);

		if (ret == TDX_EPT_ENTRY_NOT_FREE) {
			physmem_free(seam_physmem(p), pa);
			pa = out.rcx & PAGE_MASK;
		} else {
			assert_int_equal(ret, TDX_SUCCESS);
		}
		if (sept)
			sept[level - 1] = pa;
	}
}

/* One PAGE.ADD with a fresh target page; the source page is freed after. */
static uint64_t page_add(struct seam_platform *p, struct h_td *td, uint64_t gpa,
			 const uint8_t *content, uint64_t *hpa)
{
	uint64_t src = h_page(p), ret;
	struct seam_args a = { .rcx = gpa, .rdx = td->tdr, .r8 = h_page(p), .r9 = src };

	if (content)
		memcpy(h_map(p, src), content, PAGE_SIZE);
	ret = h_call(p, 0, TDH_MEM_PAGE_ADD, 0, &a);
	physmem_free(seam_physmem(p), src);
	if (hpa)
		*hpa = a.r8 & PAGE_MASK;
	return ret;
}

static uint64_t extend(struct seam_platform *p, struct h_td *td, uint64_t gpa)
{
	struct seam_args a = { .rcx = gpa, .rdx = td->tdr };

	return h_call(p, 0, TDH_MR_EXTEND, 0, &a);
}

static void expect_mrtd(struct seam_platform *p, struct h_td *td, const char *hex)
{
	uint8_t want[48], got[48];

	assert_int_equal(hex_decode(hex, want, sizeof(want)), 0);
	assert_int_equal(h_td_mrtd(p, td, got), TDX_SUCCESS);
	assert_memory_equal(got, want, 48);
}

/* vCPU with its TDCX pages; VP.INIT v1 with the given x2APIC ID. */
static uint64_t vcpu_add_tdcx(struct seam_platform *p, struct h_td *td, uint64_t x2apic,
			      uint64_t *tdvpr, uint64_t tdcx[3])
{
	struct seam_args a = { .rcx = h_page(p), .rdx = td->tdr };
	uint64_t ret;

	*tdvpr = a.rcx;
	ret = h_call(p, 0, TDH_VP_CREATE, 0, &a);
	if (ret)
		return ret;
	for (int i = 0; i < 3; i++) {
		a = (struct seam_args){ .rcx = h_page(p), .rdx = *tdvpr };
		if (tdcx)
			tdcx[i] = a.rcx;
		ret = h_call(p, 0, TDH_VP_ADDCX, 0, &a);
		if (ret)
			return ret;
	}
	a = (struct seam_args){ .rcx = *tdvpr, .rdx = 0, .r8 = x2apic };
	return h_call(p, 0, TDH_VP_INIT, 1, &a);
}

static uint64_t vcpu_add(struct seam_platform *p, struct h_td *td, uint64_t x2apic,
			 uint64_t *tdvpr)
{
	return vcpu_add_tdcx(p, td, x2apic, tdvpr, NULL);
}

/* ---- MNG.CREATE, MNG.KEY.CONFIG, MNG.ADDCX --------------------------- */

static void test_mng_create_bad_operands(void **state)
{
	struct seam_platform *p = booted("1.5.25");
	struct h_td other;
	uint64_t tdr = h_page(p);
	struct seam_args a;

	assert_int_equal(h_td_create(p, &other, 5), TDX_SUCCESS);
	a = (struct seam_args){ .rcx = tdr + 8, .rdx = 7 };
	assert_int_equal(h_call(p, 0, TDH_MNG_CREATE, 0, &a), 0xC000010000000001ULL);
	a = (struct seam_args){ .rcx = 1ULL << 40, .rdx = 7 };
	assert_int_equal(h_call(p, 0, TDH_MNG_CREATE, 0, &a), 0xC000010100000001ULL);
	a = (struct seam_args){ .rcx = other.tdr, .rdx = 7 };
	assert_int_equal(h_call(p, 0, TDH_MNG_CREATE, 0, &a), 0xC000030000000001ULL);
	a = (struct seam_args){ .rcx = other.tdcs[2], .rdx = 7 };
	assert_int_equal(h_call(p, 0, TDH_MNG_CREATE, 0, &a), TDX_PAGE_METADATA_INCORRECT | 1);
	/* HKID 0, beyond the KOT, RDX bits above 15 (inferred operand checks) */
	a = (struct seam_args){ .rcx = tdr, .rdx = 0 };
	assert_int_equal(h_call(p, 0, TDH_MNG_CREATE, 0, &a), 0xC000010000000002ULL);
	a = (struct seam_args){ .rcx = tdr, .rdx = 64 };
	assert_int_equal(h_call(p, 0, TDH_MNG_CREATE, 0, &a), TDX_OPERAND_INVALID | 2);
	a = (struct seam_args){ .rcx = tdr, .rdx = 7 | 1ULL << 16 };
	assert_int_equal(h_call(p, 0, TDH_MNG_CREATE, 0, &a), TDX_OPERAND_INVALID | 2);
	/* HKID owned by another TD, or the global private HKID (1) */
	a = (struct seam_args){ .rcx = tdr, .rdx = 5 };
	assert_int_equal(h_call(p, 0, TDH_MNG_CREATE, 0, &a), 0xC000081100000000ULL);
	a = (struct seam_args){ .rcx = tdr, .rdx = 1 };
	assert_int_equal(h_call(p, 0, TDH_MNG_CREATE, 0, &a), TDX_KEY_STATE_INCORRECT);
	/* Nothing was taken: the page and HKID 7 are still usable. */
	a = (struct seam_args){ .rcx = tdr, .rdx = 7 };
	assert_int_equal(h_call(p, 0, TDH_MNG_CREATE, 0, &a), TDX_SUCCESS);
	seam_platform_destroy(p);
}

static void test_mng_key_config(void **state)
{
	struct seam_platform *p = booted("1.5.25");
	struct h_td td;
	struct seam_args a;

	td.tdr = h_page(p);
	a = (struct seam_args){ .rcx = td.tdr, .rdx = 9 };
	assert_int_equal(h_call(p, 0, TDH_MNG_CREATE, 0, &a), TDX_SUCCESS);
	a = (struct seam_args){ .rcx = td.tdr + 0x40 };
	assert_int_equal(h_call(p, 0, TDH_MNG_KEY_CONFIG, 0, &a), 0xC000010000000001ULL);
	a = (struct seam_args){ .rcx = 1ULL << 40 };
	assert_int_equal(h_call(p, 0, TDH_MNG_KEY_CONFIG, 0, &a), 0xC000010100000001ULL);
	a = (struct seam_args){ .rcx = h_page(p) };
	assert_int_equal(h_call(p, 0, TDH_MNG_KEY_CONFIG, 0, &a), 0xC000030000000001ULL);
	/* A TDCS-based leaf before the keys: TD_KEYS_NOT_CONFIGURED. */
	a = (struct seam_args){ .rcx = h_page(p), .rdx = td.tdr };
	assert_int_equal(h_call(p, 0, TDH_MNG_ADDCX, 0, &a), 0x8000081000000000ULL);
	seam_inject_rnd_no_entropy(p, 1);
	a = (struct seam_args){ .rcx = td.tdr };
	assert_int_equal(h_call(p, 1, TDH_MNG_KEY_CONFIG, 0, &a), TDX_RND_NO_ENTROPY);
	assert_int_equal(h_call(p, 1, TDH_MNG_KEY_CONFIG, 0, &a), TDX_SUCCESS);
	/* same package again: warning */
	assert_int_equal(h_call(p, 2, TDH_MNG_KEY_CONFIG, 0, &a), 0x0000081500000000ULL);
	a = (struct seam_args){ .rcx = h_page(p), .rdx = td.tdr };
	assert_int_equal(h_call(p, 0, TDH_MNG_ADDCX, 0, &a), TDX_TD_KEYS_NOT_CONFIGURED);
	a = (struct seam_args){ .rcx = td.tdr };
	assert_int_equal(h_call(p, 6, TDH_MNG_KEY_CONFIG, 0, &a), TDX_SUCCESS);
	/* all packages done: TD_KEYS_CONFIGURED, the leaf is no longer legal */
	assert_int_equal(h_call(p, 6, TDH_MNG_KEY_CONFIG, 0, &a), 0xC000060700000000ULL);
	a = (struct seam_args){ .rcx = h_page(p), .rdx = td.tdr };
	assert_int_equal(h_call(p, 0, TDH_MNG_ADDCX, 0, &a), TDX_SUCCESS);
	seam_platform_destroy(p);
}

/* Every TDCS-based leaf before MNG.KEY.CONFIG completes. */
static void test_tdcs_leaves_need_keys(void **state)
{
	static const uint16_t leaves[] = {
		TDH_MNG_ADDCX, TDH_MNG_INIT, TDH_VP_CREATE, TDH_MEM_SEPT_ADD,
		TDH_MEM_PAGE_ADD, TDH_MR_EXTEND, TDH_MNG_RD,
	};
	struct seam_platform *p = booted("1.5.25");
	uint64_t tdr = h_page(p);
	struct seam_args a = { .rcx = tdr, .rdx = 9 };

	assert_int_equal(h_call(p, 0, TDH_MNG_CREATE, 0, &a), TDX_SUCCESS);
	for (int pkg_done = 0; pkg_done < 2; pkg_done++) {
		for (size_t i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
			/* The TDR in the operand each leaf reads it from. */
			a = (struct seam_args){ .rcx = tdr, .rdx = tdr, .r8 = h_page(p),
						.r9 = h_page(p) };
			if (leaves[i] == TDH_MNG_ADDCX || leaves[i] == TDH_VP_CREATE)
				a.rcx = h_page(p);
			if (leaves[i] == TDH_MEM_SEPT_ADD)
				a.rcx = 3;
			if (leaves[i] == TDH_MEM_PAGE_ADD || leaves[i] == TDH_MR_EXTEND)
				a.rcx = 0;
			assert_int_equal(h_call(p, 0, leaves[i], 0, &a), 0x8000081000000000ULL);
		}
		a = (struct seam_args){ .rcx = tdr };
		assert_int_equal(h_call(p, 0, TDH_MR_FINALIZE, 0, &a), TDX_TD_KEYS_NOT_CONFIGURED);
		/* configure package 0 only, then check again */
		if (!pkg_done)
			assert_int_equal(h_call(p, 0, TDH_MNG_KEY_CONFIG, 0, &a), TDX_SUCCESS);
	}
	seam_platform_destroy(p);
}

static void test_tdcs_not_allocated(void **state)
{
	struct seam_platform *p = booted("1.5.25");
	uint64_t tdr = h_page(p), params = h_page(p), v;
	struct h_td td = { .tdr = tdr };
	struct seam_args a;

	put_le64(h_map(p, params) + 8, 3);
	put_le16(h_map(p, params) + 16, 4);
	a = (struct seam_args){ .rcx = tdr, .rdx = 11 };
	assert_int_equal(h_call(p, 0, TDH_MNG_CREATE, 0, &a), TDX_SUCCESS);
	a = (struct seam_args){ .rcx = tdr };
	assert_int_equal(h_call(p, 0, TDH_MNG_KEY_CONFIG, 0, &a), TDX_SUCCESS);
	assert_int_equal(h_call(p, 4, TDH_MNG_KEY_CONFIG, 0, &a), TDX_SUCCESS);
	for (int n = 0; n <= MIN_NUM_TDCS_PAGES; n++) {
		uint64_t want = n < MIN_NUM_TDCS_PAGES ? 0xC000060600000000ULL : TDX_SUCCESS;

		a = (struct seam_args){ .rcx = tdr, .rdx = params };
		if (n < MIN_NUM_TDCS_PAGES)
			assert_int_equal(h_call(p, 0, TDH_MNG_INIT, 0, &a), want);
		a = (struct seam_args){ .rcx = h_page(p), .rdx = tdr };
		assert_int_equal(h_call(p, 0, TDH_VP_CREATE, 0, &a),
				 n < MIN_NUM_TDCS_PAGES ? want : TDX_OP_STATE_INCORRECT | 0);
		a = (struct seam_args){ .rcx = 3, .rdx = tdr, .r8 = h_page(p) };
		assert_int_equal(h_call(p, 0, TDH_MEM_SEPT_ADD, 0, &a),
				 n < MIN_NUM_TDCS_PAGES ? want : TDX_OP_STATE_INCORRECT | 0);
		a = (struct seam_args){ .rcx = tdr };
		assert_int_equal(h_call(p, 0, TDH_MR_FINALIZE, 0, &a),
				 n < MIN_NUM_TDCS_PAGES ? want : TDX_OP_STATE_INCORRECT | 0);
		assert_int_equal(mng_rd(p, &td, FIELD_OP_STATE, &v), want);
		if (n < MIN_NUM_TDCS_PAGES) {
			a = (struct seam_args){ .rcx = h_page(p), .rdx = tdr };
			assert_int_equal(h_call(p, 0, TDH_MNG_ADDCX, 0, &a), TDX_SUCCESS);
		}
	}
	/* A seventh TDCX page: the TDCS is complete. */
	a = (struct seam_args){ .rcx = h_page(p), .rdx = tdr };
	assert_int_equal(h_call(p, 0, TDH_MNG_ADDCX, 0, &a), 0xC000061000000000ULL);
	a = (struct seam_args){ .rcx = tdr, .rdx = params };
	assert_int_equal(h_call(p, 0, TDH_MNG_INIT, 0, &a), TDX_SUCCESS);
	a = (struct seam_args){ .rcx = h_page(p), .rdx = tdr };
	assert_int_equal(h_call(p, 0, TDH_MNG_ADDCX, 0, &a), 0xC000060800000001ULL);
	seam_platform_destroy(p);
}

/* ---- op_state gating (spec 3.3) -------------------------------------- */

static void test_op_state_uninitialized(void **state)
{
	struct seam_platform *p = booted("1.5.25");
	struct h_td td;
	struct seam_args a;

	assert_int_equal(h_td_create(p, &td, 3), TDX_SUCCESS);
	assert_int_equal(op_state(p, &td), OP_STATE_UNINITIALIZED);
	a = (struct seam_args){ .rcx = 0, .rdx = td.tdr, .r8 = h_page(p), .r9 = h_page(p) };
	assert_int_equal(h_call(p, 0, TDH_MEM_PAGE_ADD, 0, &a), 0xC000060800000000ULL);
	assert_int_equal(extend(p, &td, 0), 0xC000060800000000ULL);
	assert_int_equal(h_td_finalize(p, &td), 0xC000060800000000ULL);
	a = (struct seam_args){ .rcx = h_page(p), .rdx = td.tdr };
	assert_int_equal(h_call(p, 0, TDH_VP_CREATE, 0, &a), 0xC000060800000000ULL);
	assert_int_equal(sept_add(p, &td, 0, 3, NULL, NULL), 0xC000060800000000ULL);
	seam_platform_destroy(p);
}

static void test_op_state_initialized(void **state)
{
	struct seam_platform *p = booted("1.5.25");
	struct h_td td;
	struct seam_args a;

	td_initialized(p, &td, 3);
	assert_int_equal(op_state(p, &td), OP_STATE_INITIALIZED);
	assert_int_equal(h_td_vcpu(p, &td, 0), TDX_SUCCESS);
	a = (struct seam_args){ .rcx = h_page(p), .rdx = td.tdr };
	assert_int_equal(h_call(p, 0, TDH_MNG_ADDCX, 0, &a), 0xC000060800000001ULL);
	a = (struct seam_args){ .rcx = td.tdr, .rdx = td.params };
	assert_int_equal(h_call(p, 0, TDH_MNG_INIT, 0, &a), 0xC000060800000001ULL);
	assert_int_equal(h_td_enter(p, &td, 0, NULL, NULL), 0xC000060800000001ULL);
	assert_int_equal(build_count(p), 1);	/* the second MNG.INIT counted nothing */
	seam_platform_destroy(p);
}

/* After MR.FINALIZE: the build leaves answer OP_STATE_INCORRECT | RUNNABLE. */
static void test_op_state_runnable(void **state)
{
	struct seam_platform *p = booted("1.5.25");
	uint64_t tdvpr2, v;
	struct h_td td;
	struct seam_args a;

	td_initialized(p, &td, 3);
	map_tables(p, &td, 0, NULL);
	assert_int_equal(page_add(p, &td, 0, NULL, NULL), TDX_SUCCESS);
	assert_int_equal(h_td_vcpu(p, &td, 0), TDX_SUCCESS);
	a = (struct seam_args){ .rcx = h_page(p), .rdx = td.tdr };
	assert_int_equal(h_call(p, 0, TDH_VP_CREATE, 0, &a), TDX_SUCCESS);
	tdvpr2 = a.rcx;
	assert_int_equal(h_td_finalize(p, &td), TDX_SUCCESS);
	assert_int_equal(op_state(p, &td), OP_STATE_RUNNABLE);

	assert_int_equal(page_add(p, &td, 0x1000, NULL, NULL), 0xC000060800000002ULL);
	assert_int_equal(extend(p, &td, 0), 0xC000060800000002ULL);
	assert_int_equal(h_td_finalize(p, &td), 0xC000060800000002ULL);
	a = (struct seam_args){ .rcx = h_page(p), .rdx = td.tdr };
	assert_int_equal(h_call(p, 0, TDH_MNG_ADDCX, 0, &a), 0xC000060800000002ULL);
	a = (struct seam_args){ .rcx = td.tdr, .rdx = td.params };
	assert_int_equal(h_call(p, 0, TDH_MNG_INIT, 0, &a), 0xC000060800000002ULL);
	a = (struct seam_args){ .rcx = h_page(p), .rdx = td.tdr };
	assert_int_equal(h_call(p, 0, TDH_VP_CREATE, 0, &a), 0xC000060800000002ULL);
	a = (struct seam_args){ .rcx = h_page(p), .rdx = tdvpr2 };
	assert_int_equal(h_call(p, 0, TDH_VP_ADDCX, 0, &a), 0xC000060800000002ULL);
	a = (struct seam_args){ .rcx = tdvpr2, .r8 = 1 };
	assert_int_equal(h_call(p, 0, TDH_VP_INIT, 1, &a), 0xC000060800000002ULL);
	/* Legal in RUNNABLE: SEPT.ADD, VP.ENTER, VP.FLUSH, MNG.RD. */
	assert_int_equal(sept_add(p, &td, 1ULL << 30, 2, NULL, NULL), TDX_SUCCESS);
	assert_int_equal(h_td_enter(p, &td, 0, NULL, NULL),
			 TDX_SUCCESS | VMX_EXIT_REASON_TDCALL);
	a = (struct seam_args){ .rcx = td.tdvpr };
	assert_int_equal(h_call(p, 0, TDH_VP_FLUSH, 0, &a), TDX_SUCCESS);
	assert_int_equal(mng_rd(p, &td, FIELD_NUM_VCPUS, &v), TDX_SUCCESS);
	assert_int_equal(v, 2);
	/* The refused leaves left the measurement alone. */
	expect_mrtd(p, &td, V1);
	seam_platform_destroy(p);
}

/*
 * White box: the whole table of spec 3.3, every op_state 0..11, by writing
 * TDCS.op_state in the TDCS page (offsets are the emulator's, td_struct.h).
 * Legal calls are given operands that fail at the leaf's next check, so
 * each legal case also has an exact, state-independent status.
 */
#define S(x)	(1u << OP_STATE_##x)
#define ALL_OP_STATES	((1u << OP_STATE_NUM) - 1)

static void set_op_state(struct seam_platform *p, struct h_td *td, uint32_t s)
{
	put_le32(h_map(p, td->tdcs[0]) + TDCS_OP_STATE, s);
}

static void test_op_state_table_whitebox(void **state)
{
	struct seam_platform *p = booted("1.5.25");
	struct h_td a_td, b_td;
	uint64_t tdvpr = h_page(p);
	struct seam_args a;
	const struct {
		uint16_t leaf;
		uint32_t legal;
		uint64_t when_legal;
		struct h_td *td;
	} table[] = {
		{ TDH_MNG_ADDCX, S(UNINITIALIZED), TDX_TDCX_NUM_INCORRECT, &b_td },
		{ TDH_MNG_INIT, S(UNINITIALIZED), TDX_OPERAND_INVALID | 2, &b_td },
		{ TDH_MEM_PAGE_ADD, S(INITIALIZED), TDX_OPERAND_INVALID | 1, &b_td },
		{ TDH_MR_EXTEND, S(INITIALIZED), TDX_OPERAND_INVALID | 1, &b_td },
		{ TDH_MR_FINALIZE, S(INITIALIZED), TDX_NO_VCPUS, &b_td },
		{ TDH_VP_INIT, S(INITIALIZED), TDX_TDCX_NUM_INCORRECT, &a_td },
		{ TDH_VP_CREATE, S(INITIALIZED) | S(STATE_IMPORT), TDX_OPERAND_INVALID | 1,
		  &b_td },
		{ TDH_VP_ADDCX, S(INITIALIZED) | S(STATE_IMPORT), TDX_OPERAND_INVALID | 1,
		  &a_td },
		{ TDH_MEM_SEPT_ADD, S(INITIALIZED) | S(RUNNABLE) | S(LIVE_EXPORT) |
		  S(MEMORY_IMPORT) | S(STATE_IMPORT) | S(POST_IMPORT) | S(LIVE_IMPORT),
		  TDX_OPERAND_INVALID | 1, &b_td },
		{ TDH_VP_ENTER, S(RUNNABLE) | S(LIVE_EXPORT) | S(LIVE_IMPORT),
		  TDX_VCPU_STATE_INCORRECT, &a_td },
		{ TDH_VP_FLUSH, ALL_OP_STATES, TDX_SUCCESS, &a_td },
		{ TDH_MNG_RD, ALL_OP_STATES, TDX_SUCCESS, &b_td },
	};

	/* A: one vCPU created, no TDCX; B: no vCPU. Both past MNG.INIT. */
	td_initialized(p, &a_td, 3);
	td_initialized(p, &b_td, 4);
	a = (struct seam_args){ .rcx = tdvpr, .rdx = a_td.tdr };
	assert_int_equal(h_call(p, 0, TDH_VP_CREATE, 0, &a), TDX_SUCCESS);
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		struct h_td *td = table[i].td;

		for (uint32_t s = 0; s < OP_STATE_NUM; s++) {
			uint64_t want = (table[i].legal & (1u << s)) ? table[i].when_legal :
					TDX_OP_STATE_INCORRECT | s;

			set_op_state(p, td, s);
			switch (table[i].leaf) {
			case TDH_MNG_ADDCX:
			case TDH_VP_CREATE:
				a = (struct seam_args){ .rcx = h_page(p) + 8, .rdx = td->tdr };
				break;
			case TDH_MNG_INIT:
				a = (struct seam_args){ .rcx = td->tdr, .rdx = 0x10 };
				break;
			case TDH_MEM_PAGE_ADD:
				a = (struct seam_args){ .rcx = 0x8, .rdx = td->tdr };
				break;
			case TDH_MR_EXTEND:
				a = (struct seam_args){ .rcx = 0x10, .rdx = td->tdr };
				break;
			case TDH_MEM_SEPT_ADD:
				a = (struct seam_args){ .rcx = 0, .rdx = td->tdr };
				break;
			case TDH_VP_ADDCX:
				a = (struct seam_args){ .rcx = h_page(p) + 8, .rdx = tdvpr };
				break;
			case TDH_MNG_RD:
				a = (struct seam_args){ .rcx = td->tdr, .rdx = FIELD_OP_STATE };
				break;
			case TDH_VP_INIT:
			case TDH_VP_ENTER:
			case TDH_VP_FLUSH:
				a = (struct seam_args){ .rcx = tdvpr };
				break;
			default:
				a = (struct seam_args){ .rcx = td->tdr };
			}
			assert_int_equal(h_call(p, 0, table[i].leaf, 0, &a), want);
		}
		set_op_state(p, td, OP_STATE_INITIALIZED);
	}
	/* no legal call got far enough to change the builds: both still counted */
	assert_int_equal(build_count(p), 2);
	seam_platform_destroy(p);
}

/* White box: with TDR.fatal set, TDCS-based leaves answer TDX_TD_FATAL first. */
static void test_td_fatal_whitebox(void **state)
{
	struct seam_platform *p = booted("1.5.25");
	struct h_td td, keyless;
	struct seam_args a;

	td_initialized(p, &td, 3);
	assert_int_equal(h_td_vcpu(p, &td, 0), TDX_SUCCESS);
	h_map(p, td.tdr)[TDR_FATAL] = 1;
	assert_int_equal(page_add(p, &td, 0, NULL, NULL), 0xE000060400000000ULL);
	assert_int_equal(extend(p, &td, 0), TDX_TD_FATAL);
	assert_int_equal(h_td_finalize(p, &td), TDX_TD_FATAL);
	assert_int_equal(sept_add(p, &td, 0, 3, NULL, NULL), TDX_TD_FATAL);
	assert_int_equal(h_td_enter(p, &td, 0, NULL, NULL), TDX_TD_FATAL);
	a = (struct seam_args){ .rcx = h_page(p), .rdx = td.tdr };
	assert_int_equal(h_call(p, 0, TDH_VP_CREATE, 0, &a), TDX_TD_FATAL);
	/* Fatal is checked before the keys: also on a TD without keys. */
	keyless.tdr = h_page(p);
	a = (struct seam_args){ .rcx = keyless.tdr, .rdx = 4 };
	assert_int_equal(h_call(p, 0, TDH_MNG_CREATE, 0, &a), TDX_SUCCESS);
	h_map(p, keyless.tdr)[TDR_FATAL] = 1;
	a = (struct seam_args){ .rcx = keyless.tdr };
	assert_int_equal(h_call(p, 0, TDH_MNG_KEY_CONFIG, 0, &a), TDX_TD_FATAL);
	a = (struct seam_args){ .rcx = h_page(p), .rdx = keyless.tdr };
	assert_int_equal(h_call(p, 0, TDH_MNG_ADDCX, 0, &a), TDX_TD_FATAL);
	seam_platform_destroy(p);
}

static void test_lifecycle_state_incorrect(void **state)
{
	struct seam_platform *p = booted("1.5.25");
	struct h_td td, bare;
	struct seam_args a;

	td_initialized(p, &td, 3);
	a = (struct seam_args){ .rcx = td.tdr };
	assert_int_equal(h_call(p, 0, TDH_MNG_KEY_FREEID, 0, &a), 0xC000060700000000ULL);
	a = (struct seam_args){ .rcx = td.tdcs[0] };
	assert_int_equal(h_call(p, 0, TDH_PHYMEM_PAGE_RECLAIM, 0, &a),
			 TDX_LIFECYCLE_STATE_INCORRECT);
	a = (struct seam_args){ .rcx = td.tdr };
	assert_int_equal(h_call(p, 0, TDH_MNG_VPFLUSHDONE, 0, &a), TDX_SUCCESS);
	assert_int_equal(h_call(p, 0, TDH_MNG_VPFLUSHDONE, 0, &a), TDX_LIFECYCLE_STATE_INCORRECT);
	/* TD_BLOCKED: TDCS-based leaves see keys no longer configured */
	assert_int_equal(page_add(p, &td, 0, NULL, NULL), TDX_TD_KEYS_NOT_CONFIGURED);
	assert_int_equal(h_td_finalize(p, &td), TDX_TD_KEYS_NOT_CONFIGURED);
	a = (struct seam_args){ .rcx = td.tdcs[0] };
	assert_int_equal(h_call(p, 0, TDH_PHYMEM_PAGE_RECLAIM, 0, &a),
			 TDX_LIFECYCLE_STATE_INCORRECT);
	a = (struct seam_args){ .rcx = td.tdr };
	assert_int_equal(h_call(p, 0, TDH_MNG_KEY_CONFIG, 0, &a), TDX_LIFECYCLE_STATE_INCORRECT);
	assert_int_equal(h_call(p, 0, TDH_MNG_KEY_FREEID, 0, &a), TDX_SUCCESS);
	assert_int_equal(h_call(p, 0, TDH_MNG_KEY_FREEID, 0, &a), TDX_LIFECYCLE_STATE_INCORRECT);
	assert_int_equal(h_call(p, 0, TDH_MNG_VPFLUSHDONE, 0, &a), TDX_LIFECYCLE_STATE_INCORRECT);

	/* A TD still in TD_HKID_ASSIGNED (no TDCS) may be torn down directly. */
	bare.tdr = h_page(p);
	a = (struct seam_args){ .rcx = bare.tdr, .rdx = 8 };
	assert_int_equal(h_call(p, 0, TDH_MNG_CREATE, 0, &a), TDX_SUCCESS);
	a = (struct seam_args){ .rcx = bare.tdr };
	assert_int_equal(h_call(p, 0, TDH_MNG_VPFLUSHDONE, 0, &a), TDX_SUCCESS);
	assert_int_equal(h_call(p, 0, TDH_MNG_KEY_FREEID, 0, &a), TDX_SUCCESS);
	assert_int_equal(h_call(p, 0, TDH_PHYMEM_PAGE_RECLAIM, 0, &a), TDX_SUCCESS);
	assert_int_equal(a.rcx, PT_TYPE_TDR);
	assert_int_equal(build_count(p), 0);
	seam_platform_destroy(p);
}

/* ---- MNG.INIT --------------------------------------------------------- */

static void test_mng_init_bad_params_change_nothing(void **state)
{
	struct seam_platform *p = booted("1.5.25");
	uint64_t params = h_page(p);
	uint8_t *prm = h_map(p, params);
	struct h_td td;
	struct seam_args a;

	assert_int_equal(h_td_create(p, &td, 3), TDX_SUCCESS);
	put_le64(prm + 8, 3);
	put_le16(prm + 16, 4);
	a = (struct seam_args){ .rcx = td.tdr, .rdx = params + 512 };
	assert_int_equal(h_call(p, 0, TDH_MNG_INIT, 0, &a), 0xC000010000000002ULL);
	a = (struct seam_args){ .rcx = td.tdr, .rdx = td.tdcs[1] };	/* private page */
	assert_int_equal(h_call(p, 0, TDH_MNG_INIT, 0, &a), TDX_OPERAND_INVALID | 2);
	/* beyond physical memory (this used to read past the PAMT) */
	a = (struct seam_args){ .rcx = td.tdr, .rdx = 1ULL << 40 };
	assert_int_equal(h_call(p, 0, TDH_MNG_INIT, 0, &a), TDX_OPERAND_INVALID | 2);
	a = (struct seam_args){ .rcx = td.tdr + 8, .rdx = params };
	assert_int_equal(h_call(p, 0, TDH_MNG_INIT, 0, &a), 0xC000010000000001ULL);
	a = (struct seam_args){ .rcx = td.tdcs[0], .rdx = params };
	assert_int_equal(h_call(p, 0, TDH_MNG_INIT, 0, &a), 0xC000030000000001ULL);
	put_le64(prm, 1ULL << 40);			/* attribute outside FIXED0 */
	a = (struct seam_args){ .rcx = td.tdr, .rdx = params };
	assert_int_equal(h_call(p, 0, TDH_MNG_INIT, 0, &a), 0xC000010000000040ULL);
	put_le64(prm, 0);
	put_le64(prm + 8, 1);				/* XFAM without SSE (FIXED1) */
	assert_int_equal(h_call(p, 0, TDH_MNG_INIT, 0, &a), 0xC000010000000041ULL);
	put_le64(prm + 8, 3);
	put_le16(prm + 16, 0);				/* max_vcpus 0 */
	assert_int_equal(h_call(p, 0, TDH_MNG_INIT, 0, &a), TDX_OPERAND_INVALID | 2);
	put_le16(prm + 16, 4);
	prm[20] = 1;					/* reserved byte */
	assert_int_equal(h_call(p, 0, TDH_MNG_INIT, 0, &a), TDX_OPERAND_INVALID | 2);
	prm[20] = 0;
	assert_int_equal(op_state(p, &td), OP_STATE_UNINITIALIZED);
	assert_int_equal(build_count(p), 0);
	assert_int_equal(h_call(p, 0, TDH_MNG_INIT, 0, &a), TDX_SUCCESS);
	assert_int_equal(op_state(p, &td), OP_STATE_INITIALIZED);
	assert_int_equal(build_count(p), 1);
	seam_platform_destroy(p);
}

/* ---- PAGE.ADD, SEPT.ADD, MR.EXTEND errors ------------------------------ */

static void test_page_add_bad_operands_change_nothing(void **state)
{
	struct seam_platform *p = booted("1.5.25");
	uint64_t src = h_page(p), dst = h_page(p);
	struct h_td td;
	struct seam_args a;

	td_initialized(p, &td, 3);
	assert_int_equal(h_td_vcpu(p, &td, 0), TDX_SUCCESS);
	map_tables(p, &td, 0, NULL);
#define ADD(rcx_, rdx_, r8_, r9_) \
	(a = (struct seam_args){ .rcx = (rcx_), .rdx = (rdx_), .r8 = (r8_), .r9 = (r9_) }, \
	 h_call(p, 0, TDH_MEM_PAGE_ADD, 0, &a))
	/* TDR in RDX */
	assert_int_equal(ADD(0, td.tdr + 8, dst, src), 0xC000010000000002ULL);
	assert_int_equal(ADD(0, 1ULL << 40, dst, src), 0xC000010100000002ULL);
	assert_int_equal(ADD(0, td.tdcs[0], dst, src), 0xC000030000000002ULL);
	assert_int_equal(ADD(0, dst, dst, src), TDX_PAGE_METADATA_INCORRECT | 2);
	/* GPA and level in RCX */
	assert_int_equal(ADD(0x8, td.tdr, dst, src), 0xC000010000000001ULL);
	assert_int_equal(ADD(0x1, td.tdr, dst, src), TDX_OPERAND_INVALID | 1);	/* 2M */
	assert_int_equal(ADD(1ULL << 47, td.tdr, dst, src), TDX_OPERAND_INVALID | 1);
	/* source in R9: shared, 4K-aligned */
	assert_int_equal(ADD(0, td.tdr, dst, src + 0x100), 0xC000010000000009ULL);
	assert_int_equal(ADD(0, td.tdr, dst, td.tdcs[3]), TDX_OPERAND_INVALID | 9);
	assert_int_equal(ADD(0, td.tdr, dst, 1ULL << 40), TDX_OPERAND_INVALID | 9);
	/* target in R8 */
	assert_int_equal(ADD(0, td.tdr, dst + 0x800, src), 0xC000010000000008ULL);
	assert_int_equal(ADD(0, td.tdr, 1ULL << 40, src), 0xC000010100000008ULL);
	assert_int_equal(ADD(0, td.tdr, td.tdvpr, src), 0xC000030000000008ULL);
	assert_int_equal(ADD(0, td.tdr, td.tdr, src), TDX_PAGE_METADATA_INCORRECT | 8);
	/* the retry with good operands succeeds; RCX and RDX come back 0 */
	assert_int_equal(ADD(0, td.tdr, dst, src), TDX_SUCCESS);
	assert_int_equal(a.rcx, 0);
	assert_int_equal(a.rdx, 0);
#undef ADD
	assert_int_equal(h_td_finalize(p, &td), TDX_SUCCESS);
	expect_mrtd(p, &td, V1);	/* exactly one PAGE.ADD record was hashed */
	seam_platform_destroy(p);
}

static void test_sept_walk_failed(void **state)
{
	struct seam_platform *p = booted("1.5.25");
	uint64_t dst = h_page(p), src = h_page(p);
	struct h_td td;
	struct seam_args a;
	int level;

	td_initialized(p, &td, 3);
	assert_int_equal(h_td_vcpu(p, &td, 0), TDX_SUCCESS);
	/* No table at all: the walk stops in the root (level 4). */
	for (level = 4; level >= 2; level--) {
		a = (struct seam_args){ .rcx = 0, .rdx = td.tdr, .r8 = dst, .r9 = src };
		assert_int_equal(h_call(p, 0, TDH_MEM_PAGE_ADD, 0, &a), 0xC0000B0000000000ULL);
		assert_int_equal(a.rcx, 0);		/* the non-present entry */
		assert_int_equal(a.rdx, (uint64_t)level);
		/* SEPT.ADD of a table below a missing one fails the same way */
		if (level > 2) {
			assert_int_equal(sept_add(p, &td, 0, level - 2, NULL, &a),
					 TDX_EPT_WALK_FAILED);
			assert_int_equal(a.rdx, (uint64_t)level);
		}
		assert_int_equal(sept_add(p, &td, 0, level - 1, NULL, NULL), TDX_SUCCESS);
	}
	a = (struct seam_args){ .rcx = 0, .rdx = td.tdr, .r8 = dst, .r9 = src };
	assert_int_equal(h_call(p, 0, TDH_MEM_PAGE_ADD, 0, &a), TDX_SUCCESS);
	assert_int_equal(h_td_finalize(p, &td), TDX_SUCCESS);
	expect_mrtd(p, &td, V1);
	seam_platform_destroy(p);
}

static void test_sept_entry_not_free(void **state)
{
	struct seam_platform *p = booted("1.5.25");
	uint64_t sept[3], hpa, spare;
	struct h_td td;
	struct seam_args a;

	td_initialized(p, &td, 3);
	assert_int_equal(h_td_vcpu(p, &td, 0), TDX_SUCCESS);
	assert_int_equal(sept_add(p, &td, 0, 3, &sept[2], NULL), TDX_SUCCESS);
	assert_int_equal(sept_add(p, &td, 0, 2, &sept[1], NULL), TDX_SUCCESS);
	assert_int_equal(sept_add(p, &td, 0, 1, &sept[0], NULL), TDX_SUCCESS);
	for (int level = 1; level <= 3; level++) {
		assert_int_equal(sept_add(p, &td, 0, level, &spare, &a), 0xC0000B0200000000ULL);
		assert_int_equal(a.rcx, sept[level - 1] | 1);	/* entry: HPA | present */
		assert_int_equal(a.rdx, (uint64_t)level + 1);
	}
	/* SEPT.ADD operand checks (RCX: level 1..3, aligned GPA; R8: free page) */
	assert_int_equal(sept_add(p, &td, 0, 0, NULL, NULL), 0xC000010000000001ULL);
	assert_int_equal(sept_add(p, &td, 0, 4, NULL, NULL), TDX_OPERAND_INVALID | 1);
	assert_int_equal(sept_add(p, &td, 0x1000, 1, NULL, NULL), TDX_OPERAND_INVALID | 1);
	a = (struct seam_args){ .rcx = (1ULL << 30) | 2, .rdx = td.tdr, .r8 = td.tdcs[0] };
	assert_int_equal(h_call(p, 0, TDH_MEM_SEPT_ADD, 0, &a), 0xC000030000000008ULL);

	assert_int_equal(page_add(p, &td, 0, NULL, &hpa), TDX_SUCCESS);
	a = (struct seam_args){ .rcx = 0, .rdx = td.tdr, .r8 = spare, .r9 = h_page(p) };
	assert_int_equal(h_call(p, 0, TDH_MEM_PAGE_ADD, 0, &a), TDX_EPT_ENTRY_NOT_FREE);
	assert_int_equal(a.rcx, hpa | 1);
	assert_int_equal(a.rdx, 1);
	/* The refused target page was not taken: it serves another GPA. */
	a = (struct seam_args){ .rcx = 0x1000, .rdx = td.tdr, .r8 = spare, .r9 = h_page(p) };
	assert_int_equal(h_call(p, 0, TDH_MEM_PAGE_ADD, 0, &a), TDX_SUCCESS);
	assert_int_equal(h_td_finalize(p, &td), TDX_SUCCESS);
	{
		struct mrtd_calc *c = mrtd_calc_new();
		uint8_t want[48], got[48];

		assert_int_equal(mrtd_calc_page_add(c, 0), 0);
		assert_int_equal(mrtd_calc_page_add(c, 0x1000), 0);
		assert_int_equal(mrtd_calc_final(c, want), 0);
		mrtd_calc_free(c);
		assert_int_equal(h_td_mrtd(p, &td, got), TDX_SUCCESS);
		assert_memory_equal(got, want, 48);
	}
	seam_platform_destroy(p);
}

static void test_mr_extend_errors(void **state)
{
	struct seam_platform *p = booted("1.5.25");
	struct h_td td;

	td_initialized(p, &td, 3);
	assert_int_equal(h_td_vcpu(p, &td, 0), TDX_SUCCESS);
	/* No SEPT table yet, then tables but no page: not present either way. */
	assert_int_equal(extend(p, &td, 0x2000), 0xC0000B0300000001ULL);
	map_tables(p, &td, 0, NULL);
	assert_int_equal(extend(p, &td, 0), 0xC0000B0300000001ULL);
	assert_int_equal(page_add(p, &td, 0, NULL, NULL), TDX_SUCCESS);
	assert_int_equal(extend(p, &td, 0x10), 0xC000010000000001ULL);
	assert_int_equal(extend(p, &td, 0x80), TDX_OPERAND_INVALID | 1);
	assert_int_equal(extend(p, &td, 0xFF), TDX_OPERAND_INVALID | 1);
	assert_int_equal(extend(p, &td, 0x1000), TDX_EPT_ENTRY_NOT_PRESENT | 1);
	assert_int_equal(extend(p, &td, 1ULL << 47), TDX_OPERAND_INVALID | 1);
	{
		struct seam_args a = { .rcx = 0, .rdx = td.tdr + 1 };

		assert_int_equal(h_call(p, 0, TDH_MR_EXTEND, 0, &a), 0xC000010000000002ULL);
	}
	assert_int_equal(h_td_finalize(p, &td), TDX_SUCCESS);
	expect_mrtd(p, &td, V1);
	seam_platform_destroy(p);
}

static void test_mr_finalize_no_vcpus(void **state)
{
	struct seam_platform *p = booted("1.5.25");
	struct h_td td;

	td_initialized(p, &td, 3);
	map_tables(p, &td, 0, NULL);
	assert_int_equal(page_add(p, &td, 0, NULL, NULL), TDX_SUCCESS);
	assert_int_equal(h_td_finalize(p, &td), 0xC000060900000000ULL);
	/* before any change: still building, still counted, still tagged */
	assert_int_equal(op_state(p, &td), OP_STATE_INITIALIZED);
	assert_int_equal(build_count(p), 1);
	assert_int_equal(h_td_ctx_version(p, &td), 1);
	assert_int_equal(h_td_vcpu(p, &td, 0), TDX_SUCCESS);
	assert_int_equal(h_td_finalize(p, &td), TDX_SUCCESS);
	assert_int_equal(build_count(p), 0);
	expect_mrtd(p, &td, V1);
	seam_platform_destroy(p);
}

/* ---- td_build_count and mrtd_context_version (spec 4) ----------------- */

static void test_build_count_compat_build(void **state)
{
	struct seam_platform *p = booted("1.5.25");
	struct h_td a_td, b_td, c_td, d_td;
	struct seam_args a;

	assert_int_equal(build_count(p), 0);
	td_initialized(p, &a_td, 3);
	assert_int_equal(build_count(p), 1);
	assert_int_equal(h_td_ctx_version(p, &a_td), 1);	/* CRYPTO_LIB_COMPAT_VERSION */
	td_initialized(p, &b_td, 4);
	assert_int_equal(build_count(p), 2);
	/* MR.FINALIZE ends A's build and clears its tag */
	assert_int_equal(h_td_vcpu(p, &a_td, 0), TDX_SUCCESS);
	assert_int_equal(h_td_finalize(p, &a_td), TDX_SUCCESS);
	assert_int_equal(build_count(p), 1);
	assert_int_equal(h_td_ctx_version(p, &a_td), 0);
	/* B is abandoned: VPFLUSHDONE before finalize ends its build */
	a = (struct seam_args){ .rcx = b_td.tdr };
	assert_int_equal(h_call(p, 0, TDH_MNG_VPFLUSHDONE, 0, &a), TDX_SUCCESS);
	assert_int_equal(build_count(p), 0);
	/* A finalized TD torn down: nothing more to uncount (no underflow) */
	h_td_enter(p, &a_td, 0, NULL, NULL);
	a = (struct seam_args){ .rcx = a_td.tdvpr };
	assert_int_equal(h_call(p, 0, TDH_VP_FLUSH, 0, &a), TDX_SUCCESS);
	a = (struct seam_args){ .rcx = a_td.tdr };
	assert_int_equal(h_call(p, 0, TDH_MNG_VPFLUSHDONE, 0, &a), TDX_SUCCESS);
	assert_int_equal(build_count(p), 0);
	/* A TD torn down before MNG.INIT never counted */
	assert_int_equal(h_td_create(p, &c_td, 5), TDX_SUCCESS);
	a = (struct seam_args){ .rcx = c_td.tdr };
	assert_int_equal(h_call(p, 0, TDH_MNG_VPFLUSHDONE, 0, &a), TDX_SUCCESS);
	assert_int_equal(build_count(p), 0);
	/* and the module still serves: a new build counts from 0 */
	td_initialized(p, &d_td, 6);
	assert_int_equal(build_count(p), 1);
	seam_platform_destroy(p);
}

/* 1.5.24 is the first release that tags and counts. */
static void test_build_count_1_5_24(void **state)
{
	struct seam_platform *p = booted("1.5.24");
	struct h_td td;

	td_initialized(p, &td, 3);
	assert_int_equal(build_count(p), 1);
	assert_int_equal(h_td_ctx_version(p, &td), 1);
	seam_platform_destroy(p);
}

static void check_old_build_no_count(const char *version)
{
	struct seam_platform *p = booted(version);
	struct h_td a_td, b_td;
	struct seam_args a;

	td_initialized(p, &a_td, 3);
	td_initialized(p, &b_td, 4);
	assert_int_equal(build_count(p), 0);
	assert_int_equal(h_td_ctx_version(p, &a_td), 0);
	assert_int_equal(h_td_ctx_version(p, &b_td), 0);
	assert_int_equal(h_td_vcpu(p, &a_td, 0), TDX_SUCCESS);
	assert_int_equal(h_td_finalize(p, &a_td), TDX_SUCCESS);
	assert_int_equal(build_count(p), 0);
	a = (struct seam_args){ .rcx = b_td.tdr };
	assert_int_equal(h_call(p, 0, TDH_MNG_VPFLUSHDONE, 0, &a), TDX_SUCCESS);
	assert_int_equal(build_count(p), 0);
	/* the untagged ends did not trip the underflow check (guest page unmapped) */
	assert_int_equal(h_td_enter(p, &a_td, 0, NULL, NULL), TDX_SUCCESS | 48);
	seam_platform_destroy(p);
}

static void test_build_count_pre_1_5_24(void **state)
{
	check_old_build_no_count("1.5.16");
	check_old_build_no_count("1.5.01");
}

/* ---- MRTD (spec 5.1, vectors.md) ------------------------------------- */

static void test_mrtd_v0_empty(void **state)
{
	struct seam_platform *p = booted("1.5.25");
	struct h_td td;

	td_initialized(p, &td, 3);
	assert_int_equal(h_td_vcpu(p, &td, 0), TDX_SUCCESS);
	assert_int_equal(h_td_finalize(p, &td), TDX_SUCCESS);
	expect_mrtd(p, &td, V0);
	seam_platform_destroy(p);
}

/* A fresh host of version, a TD of one page at gpa, finalized: its MRTD is want. */
static void expect_one_page_mrtd(const char *version, uint64_t gpa, const uint8_t page[PAGE_SIZE],
				 bool measure, const char *want)
{
	struct seam_platform *p = booted(version);
	struct h_td td;

	td_initialized(p, &td, 3);
	assert_int_equal(h_td_vcpu(p, &td, 0), TDX_SUCCESS);
	assert_int_equal(h_td_add_page(p, &td, gpa, page, measure), TDX_SUCCESS);
	assert_int_equal(h_td_finalize(p, &td), TDX_SUCCESS);
	expect_mrtd(p, &td, want);
	seam_platform_destroy(p);
}

static void test_mrtd_v1(void **state)
{
	uint8_t page[PAGE_SIZE];

	/* V1 hashes the record only: the page contents do not matter. */
	h_fill_page(page, 1);
	expect_one_page_mrtd("1.5.25", 0x0, page, false, V1);
}

static void test_mrtd_v2(void **state)
{
	uint8_t page[PAGE_SIZE] = { 0 };

	expect_one_page_mrtd("1.5.25", 0x1000, page, true, V2);
}

static void test_mrtd_v3(void **state)
{
	uint8_t page[PAGE_SIZE];

	for (size_t j = 0; j < sizeof(page); j++)
		page[j] = (uint8_t)(j & 0xFF);
	expect_one_page_mrtd("1.5.25", 0xFFFFF000, page, true, V3);
}

/* ADD(0), ADD(0x1000), EXT(0x0): SEAMCALL order, data from TD memory. */
static void test_mrtd_v4(void **state)
{
	struct seam_platform *p = booted("1.5.25");
	uint8_t page0[PAGE_SIZE], page1[PAGE_SIZE];
	struct h_td td;

	h_fill_page(page0, 40);
	memset(page0, 0xAA, 256);
	h_fill_page(page1, 41);
	td_initialized(p, &td, 3);
	assert_int_equal(h_td_vcpu(p, &td, 0), TDX_SUCCESS);
	assert_int_equal(h_td_add_page(p, &td, 0x0, page0, false), TDX_SUCCESS);
	assert_int_equal(h_td_add_page(p, &td, 0x1000, page1, false), TDX_SUCCESS);
	assert_int_equal(extend(p, &td, 0x0), TDX_SUCCESS);
	assert_int_equal(h_td_finalize(p, &td), TDX_SUCCESS);
	expect_mrtd(p, &td, V4);
	seam_platform_destroy(p);
}

/* The packed-state layout is storage only: an IPP-layout build hashes the same. */
static void test_mrtd_v2_old_build(void **state)
{
	static const char *const versions[] = { "1.5.01", "1.5.16" };
	uint8_t page[PAGE_SIZE] = { 0 };

	for (size_t i = 0; i < 2; i++)
		expect_one_page_mrtd(versions[i], 0x1000, page, true, V2);
}

/* A multi-page TD, mixed measured/unmeasured pages, against the offline calculator. */
static void test_mrtd_matches_offline_calc(void **state)
{
	static const struct {
		uint64_t gpa;
		bool measure;
	} pages[] = {
		{ 0x0, true }, { 0x1000, false }, { 0x1FF000, true }, { 0x200000, true },
		{ 0x40000000, false }, { 0x7FFFF000, true }, { 0x8000000000ULL, true },
	};
	struct seam_platform *p = booted("1.5.25");
	struct mrtd_calc *c = mrtd_calc_new();
	uint8_t page[PAGE_SIZE], want[48], got[48];
	struct h_td td;

	assert_non_null(c);
	td_initialized(p, &td, 3);
	assert_int_equal(h_td_vcpu(p, &td, 0x1000), TDX_SUCCESS);
	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		h_fill_page(page, pages[i].gpa + 77);
		assert_int_equal(h_td_add_page(p, &td, pages[i].gpa, page, pages[i].measure),
				 TDX_SUCCESS);
		assert_int_equal(mrtd_calc_add_page(c, pages[i].gpa, page, pages[i].measure), 0);
	}
	/* one extra chunk, out of page order */
	h_fill_page(page, 0x1000 + 77);
	assert_int_equal(extend(p, &td, 0x1000 + 0xE00), TDX_SUCCESS);
	assert_int_equal(mrtd_calc_extend(c, 0x1000 + 0xE00, page + 0xE00), 0);
	assert_int_equal(h_td_finalize(p, &td), TDX_SUCCESS);
	assert_int_equal(mrtd_calc_final(c, want), 0);
	mrtd_calc_free(c);
	assert_int_equal(h_td_mrtd(p, &td, got), TDX_SUCCESS);
	assert_memory_equal(got, want, 48);
	seam_platform_destroy(p);
}

/* Two TDs built interleaved keep separate running hashes. */
static void test_mrtd_interleaved_builds(void **state)
{
	struct seam_platform *p = booted("1.5.25");
	uint8_t zero[PAGE_SIZE] = { 0 }, v3page[PAGE_SIZE];
	struct h_td a_td, b_td;

	for (size_t j = 0; j < sizeof(v3page); j++)
		v3page[j] = (uint8_t)j;
	td_initialized(p, &a_td, 3);
	td_initialized(p, &b_td, 4);
	assert_int_equal(h_td_add_page(p, &a_td, 0x1000, zero, false), TDX_SUCCESS);
	assert_int_equal(h_td_add_page(p, &b_td, 0xFFFFF000, v3page, false), TDX_SUCCESS);
	for (int i = 0; i < 16; i++) {
		assert_int_equal(extend(p, &b_td, 0xFFFFF000 + 256 * i), TDX_SUCCESS);
		assert_int_equal(extend(p, &a_td, 0x1000 + 256 * i), TDX_SUCCESS);
	}
	assert_int_equal(h_td_vcpu(p, &a_td, 0), TDX_SUCCESS);
	assert_int_equal(h_td_vcpu(p, &b_td, 0), TDX_SUCCESS);
	assert_int_equal(h_td_finalize(p, &b_td), TDX_SUCCESS);
	assert_int_equal(h_td_finalize(p, &a_td), TDX_SUCCESS);
	expect_mrtd(p, &a_td, V2);
	expect_mrtd(p, &b_td, V3);
	seam_platform_destroy(p);
}

/* ---- vCPUs ------------------------------------------------------------ */

static void test_vp_enter_steps_guest(void **state)
{
	struct seam_platform *p = booted("1.5.25");
	const uint64_t gpa = 0x5000;
	uint8_t page[PAGE_SIZE], replay[PAGE_SIZE];
	struct h_td td;

	h_fill_page(page, 5);
	memcpy(replay, page, sizeof(page));
	td_initialized(p, &td, 3);
	assert_int_equal(h_td_add_page(p, &td, gpa, page, true), TDX_SUCCESS);
	/* the guest's initial RCX names its work page */
	assert_int_equal(h_td_vcpu(p, &td, gpa + 0x123), TDX_SUCCESS);
	assert_int_equal(h_td_finalize(p, &td), TDX_SUCCESS);
	for (unsigned int i = 1; i <= 6; i++) {
		struct seam_args a = { .rcx = td.tdvpr };
		uint64_t want_counter, want_sum;

		tdx_guest_step(replay, &want_counter, &want_sum);
		assert_int_equal(h_call(p, i % NR_LPS, TDH_VP_ENTER, 0, &a),
				 TDX_SUCCESS | VMX_EXIT_REASON_TDCALL);
		assert_int_equal(a.r10, 0);
		assert_int_equal(a.r11, TDXUP_VMCALL_PROGRESS);
		assert_int_equal(a.r12, le64(page + GUEST_PAGE_COUNTER) + i);
		assert_int_equal(a.r12, want_counter);
		assert_int_equal(a.r13, want_sum);
		assert_int_equal(a.r14, gpa);
	}
	seam_platform_destroy(p);
}

/* A guest whose work page is not mapped exits with an EPT violation (inferred). */
static void test_vp_enter_unmapped_guest_page(void **state)
{
	struct seam_platform *p = booted("1.5.25");
	struct h_td td;
	struct seam_args a;

	td_initialized(p, &td, 3);
	assert_int_equal(h_td_vcpu(p, &td, 0x9000), TDX_SUCCESS);
	assert_int_equal(h_td_finalize(p, &td), TDX_SUCCESS);
	a = (struct seam_args){ .rcx = td.tdvpr };
	assert_int_equal(h_call(p, 0, TDH_VP_ENTER, 0, &a), TDX_SUCCESS | 48);
	assert_int_equal(a.rcx, 0x9000);
	seam_platform_destroy(p);
}

static void test_vp_init_duplicate_x2apic(void **state)
{
	struct seam_platform *p = booted("1.5.25");
	uint64_t tdvpr;
	struct h_td td;
	struct seam_args a;

	td_initialized(p, &td, 3);
	assert_int_equal(h_td_vcpu(p, &td, 0), TDX_SUCCESS);	/* x2APIC 0 */
	assert_int_equal(vcpu_add(p, &td, 0, &tdvpr), 0xC000062100000000ULL);
	/* still CREATED: a retry with a unique ID succeeds */
	a = (struct seam_args){ .rcx = tdvpr, .r8 = 1ULL << 32 };
	assert_int_equal(h_call(p, 0, TDH_VP_INIT, 1, &a), 0xC000010000000008ULL);
	a = (struct seam_args){ .rcx = tdvpr, .r8 = 7 };
	assert_int_equal(h_call(p, 0, TDH_VP_INIT, 1, &a), TDX_SUCCESS);
	assert_int_equal(h_call(p, 0, TDH_VP_INIT, 1, &a), 0xC000070000000000ULL);
	assert_int_equal(vcpu_add(p, &td, 7, &tdvpr), TDX_X2APIC_ID_NOT_UNIQUE);
	seam_platform_destroy(p);
}

static void test_max_vcpus_exceeded(void **state)
{
	struct seam_platform *p = booted("1.5.25");
	uint64_t tdvpr, v;
	struct h_td td;
	struct seam_args a;

	td_initialized(p, &td, 3);		/* TD_PARAMS max_vcpus = 4 */
	for (uint64_t i = 0; i < 4; i++)
		assert_int_equal(vcpu_add(p, &td, i, &tdvpr), TDX_SUCCESS);
	a = (struct seam_args){ .rcx = h_page(p), .rdx = td.tdr };
	assert_int_equal(h_call(p, 0, TDH_VP_CREATE, 0, &a), 0xC000070500000000ULL);
	assert_int_equal(mng_rd(p, &td, FIELD_NUM_VCPUS, &v), TDX_SUCCESS);
	assert_int_equal(v, 4);
	/* the refused TDVPR page stayed free for other uses */
	map_tables(p, &td, 0, NULL);
	a = (struct seam_args){ .rcx = 0, .rdx = td.tdr, .r8 = a.rcx, .r9 = h_page(p) };
	assert_int_equal(h_call(p, 0, TDH_MEM_PAGE_ADD, 0, &a), TDX_SUCCESS);
	seam_platform_destroy(p);
}

static void test_vcpu_setup_errors(void **state)
{
	struct seam_platform *p = booted("1.5.25");
	uint64_t tdvpr = h_page(p);
	struct h_td td;
	struct seam_args a;

	td_initialized(p, &td, 3);
	a = (struct seam_args){ .rcx = td.tdcs[0], .rdx = td.tdr };
	assert_int_equal(h_call(p, 0, TDH_VP_CREATE, 0, &a), 0xC000030000000001ULL);
	a = (struct seam_args){ .rcx = tdvpr, .rdx = td.tdr };
	assert_int_equal(h_call(p, 0, TDH_VP_CREATE, 0, &a), TDX_SUCCESS);
	/* VP.INIT before all TDCX pages */
	a = (struct seam_args){ .rcx = tdvpr };
	assert_int_equal(h_call(p, 0, TDH_VP_INIT, 1, &a), 0xC000061000000000ULL);
	/* VP.ADDCX with a TDR where the TDVPR belongs */
	a = (struct seam_args){ .rcx = h_page(p), .rdx = td.tdr };
	assert_int_equal(h_call(p, 0, TDH_VP_ADDCX, 0, &a), 0xC000030000000002ULL);
	for (int i = 0; i < 3; i++) {
		a = (struct seam_args){ .rcx = h_page(p), .rdx = tdvpr };
		assert_int_equal(h_call(p, 0, TDH_VP_ADDCX, 0, &a), TDX_SUCCESS);
	}
	a = (struct seam_args){ .rcx = h_page(p), .rdx = tdvpr };
	assert_int_equal(h_call(p, 0, TDH_VP_ADDCX, 0, &a), TDX_TDCX_NUM_INCORRECT);
	/* once initialised, no more TDCX pages */
	a = (struct seam_args){ .rcx = tdvpr, .r8 = 2 };
	assert_int_equal(h_call(p, 0, TDH_VP_INIT, 1, &a), TDX_SUCCESS);
	a = (struct seam_args){ .rcx = h_page(p), .rdx = tdvpr };
	assert_int_equal(h_call(p, 0, TDH_VP_ADDCX, 0, &a), TDX_VCPU_STATE_INCORRECT);
	seam_platform_destroy(p);
}

/* ---- teardown (spec 1.3, 3.2) ----------------------------------------- */

static void expect_reclaim(struct seam_platform *p, uint64_t pa, uint64_t type, uint64_t owner,
			   uint64_t level)
{
	struct seam_args a = { .rcx = pa };

	assert_int_equal(h_call(p, 0, TDH_PHYMEM_PAGE_RECLAIM, 0, &a), TDX_SUCCESS);
	assert_int_equal(a.rcx, type);
	assert_int_equal(a.rdx, owner);
	assert_int_equal(a.r8, level);
	/* nothing of the TD is left in the page */
	assert_true(all_zero(h_map(p, pa), PAGE_SIZE));
	a = (struct seam_args){ .rcx = pa };
	assert_int_equal(h_call(p, 0, TDH_PHYMEM_PAGE_RECLAIM, 0, &a), 0xC000030000000001ULL);
}

static void test_teardown_order(void **state)
{
	struct seam_platform *p = booted("1.5.25");
	uint64_t sept[3], data[2], tdvpr2, tdcx2[3];
	uint8_t page[PAGE_SIZE];
	struct h_td td;
	struct seam_args a;

	td_initialized(p, &td, 9);
	assert_int_equal(h_td_vcpu(p, &td, 0x3000), TDX_SUCCESS);
	assert_int_equal(vcpu_add_tdcx(p, &td, 1, &tdvpr2, tdcx2), TDX_SUCCESS);
	map_tables(p, &td, 0x3000, sept);
	h_fill_page(page, 3);
	assert_int_equal(page_add(p, &td, 0x3000, page, &data[0]), TDX_SUCCESS);
	assert_int_equal(page_add(p, &td, 0x4000, page, &data[1]), TDX_SUCCESS);
	assert_int_equal(h_td_finalize(p, &td), TDX_SUCCESS);
	assert_int_equal(h_td_enter(p, &td, 2, NULL, NULL), TDX_SUCCESS | VMX_EXIT_REASON_TDCALL);

	/* the vCPU is associated with LP 2 */
	a = (struct seam_args){ .rcx = td.tdr };
	assert_int_equal(h_call(p, 0, TDH_MNG_VPFLUSHDONE, 0, &a), 0x8000082400000000ULL);
	assert_int_equal(h_td_enter(p, &td, 2, NULL, NULL), TDX_SUCCESS | VMX_EXIT_REASON_TDCALL);
	a = (struct seam_args){ .rcx = td.tdvpr };
	assert_int_equal(h_call(p, 2, TDH_VP_FLUSH, 0, &a), TDX_SUCCESS);
	a = (struct seam_args){ .rcx = td.tdvpr };
	assert_int_equal(h_call(p, 2, TDH_VP_FLUSH, 0, &a), TDX_SUCCESS);	/* idempotent */
	a = (struct seam_args){ .rcx = td.tdr };
	assert_int_equal(h_call(p, 0, TDH_MNG_VPFLUSHDONE, 0, &a), TDX_SUCCESS);
	assert_int_equal(h_td_enter(p, &td, 2, NULL, NULL), TDX_TD_KEYS_NOT_CONFIGURED);
	/* the HKID is still owned until KEY.FREEID */
	a = (struct seam_args){ .rcx = h_page(p), .rdx = 9 };
	assert_int_equal(h_call(p, 0, TDH_MNG_CREATE, 0, &a), TDX_KEY_STATE_INCORRECT);
	a = (struct seam_args){ .rcx = td.tdr };
	assert_int_equal(h_call(p, 0, TDH_MNG_KEY_FREEID, 0, &a), TDX_SUCCESS);

	/* RECLAIM operand checks */
	a = (struct seam_args){ .rcx = td.tdcs[0] + 8 };
	assert_int_equal(h_call(p, 0, TDH_PHYMEM_PAGE_RECLAIM, 0, &a), 0xC000010000000001ULL);
	a = (struct seam_args){ .rcx = 1ULL << 40 };
	assert_int_equal(h_call(p, 0, TDH_PHYMEM_PAGE_RECLAIM, 0, &a), 0xC000010100000001ULL);
	a = (struct seam_args){ .rcx = h_page(p) };		/* not a TD page */
	assert_int_equal(h_call(p, 0, TDH_PHYMEM_PAGE_RECLAIM, 0, &a), 0xC000030000000001ULL);
	/* the TDR goes last: refused while it has children (inferred status) */
	a = (struct seam_args){ .rcx = td.tdr };
	assert_int_equal(h_call(p, 0, TDH_PHYMEM_PAGE_RECLAIM, 0, &a), 0xC000030000000001ULL);

	for (int i = 0; i < 6; i++)
		expect_reclaim(p, td.tdcs[i], PT_TYPE_TDCX, td.tdr, 0);
	expect_reclaim(p, td.tdvpr, PT_TYPE_TDVPR, td.tdr, 0);
	for (int i = 0; i < 3; i++)
		expect_reclaim(p, td.tdvpx[i], PT_TYPE_TDCX, td.tdr, 0);
	expect_reclaim(p, tdvpr2, PT_TYPE_TDVPR, td.tdr, 0);
	for (int i = 0; i < 3; i++)
		expect_reclaim(p, tdcx2[i], PT_TYPE_TDCX, td.tdr, 0);
	for (int i = 0; i < 2; i++)
		expect_reclaim(p, data[i], PT_TYPE_REG, td.tdr, 0);
	/* SEPT pages report the level of the table they held (inferred) */
	for (int level = 1; level <= 2; level++)
		expect_reclaim(p, sept[level - 1], PT_TYPE_EPT, td.tdr, (uint64_t)level);
	/* one child left: the TDR is still refused */
	a = (struct seam_args){ .rcx = td.tdr };
	assert_int_equal(h_call(p, 0, TDH_PHYMEM_PAGE_RECLAIM, 0, &a),
			 TDX_PAGE_METADATA_INCORRECT | 1);
	expect_reclaim(p, sept[2], PT_TYPE_EPT, td.tdr, 3);
	/* the TDR last: it owns itself */
	expect_reclaim(p, td.tdr, PT_TYPE_TDR, td.tdr, 0);
	/* the HKID is free again and the old TDR page is ordinary memory */
	a = (struct seam_args){ .rcx = td.tdr, .rdx = 9 };
	assert_int_equal(h_call(p, 0, TDH_MNG_CREATE, 0, &a), TDX_SUCCESS);
	seam_platform_destroy(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mng_create_bad_operands),
		cmocka_unit_test(test_mng_key_config),
		cmocka_unit_test(test_tdcs_leaves_need_keys),
		cmocka_unit_test(test_tdcs_not_allocated),
		cmocka_unit_test(test_op_state_uninitialized),
		cmocka_unit_test(test_op_state_initialized),
		cmocka_unit_test(test_op_state_runnable),
		cmocka_unit_test(test_op_state_table_whitebox),
		cmocka_unit_test(test_td_fatal_whitebox),
		cmocka_unit_test(test_lifecycle_state_incorrect),
		cmocka_unit_test(test_mng_init_bad_params_change_nothing),
		cmocka_unit_test(test_page_add_bad_operands_change_nothing),
		cmocka_unit_test(test_sept_walk_failed),
		cmocka_unit_test(test_sept_entry_not_free),
		cmocka_unit_test(test_mr_extend_errors),
		cmocka_unit_test(test_mr_finalize_no_vcpus),
		cmocka_unit_test(test_build_count_compat_build),
		cmocka_unit_test(test_build_count_1_5_24),
		cmocka_unit_test(test_build_count_pre_1_5_24),
		cmocka_unit_test(test_mrtd_v0_empty),
		cmocka_unit_test(test_mrtd_v1),
		cmocka_unit_test(test_mrtd_v2),
		cmocka_unit_test(test_mrtd_v3),
		cmocka_unit_test(test_mrtd_v4),
		cmocka_unit_test(test_mrtd_v2_old_build),
		cmocka_unit_test(test_mrtd_matches_offline_calc),
		cmocka_unit_test(test_mrtd_interleaved_builds),
		cmocka_unit_test(test_vp_enter_steps_guest),
		cmocka_unit_test(test_vp_enter_unmapped_guest_page),
		cmocka_unit_test(test_vp_init_duplicate_x2apic),
		cmocka_unit_test(test_max_vcpus_exceeded),
		cmocka_unit_test(test_vcpu_setup_errors),
		cmocka_unit_test(test_teardown_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
