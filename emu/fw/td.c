// SPDX-License-Identifier: MIT
/*
 * TD management and build leaves (tdx-module.md 1.3, 3.2-3.3, 4, 5): TDR
 * and TDCS lifecycle, op_state gating, the TD-build window with
 * td_build_count and mrtd_context_version, and the running MRTD.
 */
#include <string.h>

#include "fw/measure.h"
#include "fw/physmem_internal.h"
#include "fw/td_struct.h"

/* ---- common: operands, gating, page ownership ------------------------ */

uint64_t td_lookup(struct tdx_module *m, uint64_t tdr_pa, enum tdx_operand_id op,
		   struct td_ref *td)
{
	struct physmem *pm = m->plat->pm;
	struct pamt_entry *pe;

	if (!page_aligned(tdr_pa))
		return tdx_operand(TDX_OPERAND_INVALID, op);
	if (!pm_pa_in_range(pm, tdr_pa))
		return tdx_operand(TDX_OPERAND_ADDR_RANGE_ERROR, op);
	pe = pamt_get(m->plat, tdr_pa);
	if (pe->type != PT_TDR || pe->owner != tdr_pa)
		return tdx_operand(TDX_PAGE_METADATA_INCORRECT, op);
	td->tdr_pa = tdr_pa;
	td->tdr = pm_map(pm, tdr_pa, PAGE_SIZE);
	if (!td->tdr)
		return tdx_operand(TDX_OPERAND_ADDR_RANGE_ERROR, op);
	td->nr_tdcs = td->tdr[TDR_NUM_TDCX];
	if (td->nr_tdcs > TDX_TDCS_PAGES)
		td->nr_tdcs = TDX_TDCS_PAGES;
	for (unsigned int i = 0; i < td->nr_tdcs; i++) {
		td->tdcs[i] = pm_map(pm, le64(td->tdr + TDR_TDCX_PA + 8 * i), PAGE_SIZE);
		if (!td->tdcs[i])
			return tdx_operand(TDX_PAGE_METADATA_INCORRECT, op);
	}
	return TDX_SUCCESS;
}

#define OPS(...)	(op_mask_of((const int[]){ __VA_ARGS__, -1 }))

static uint32_t op_mask_of(const int *states)
{
	uint32_t mask = 0;

	for (; *states >= 0; states++)
		mask |= 1u << *states;
	return mask;
}

/* Legal op_states per TDCS-based leaf (tdx-module.md 3.3). */
static uint32_t legal_op_states(unsigned int leaf)
{
	switch (leaf) {
	case TDH_MNG_ADDCX:
	case TDH_MNG_INIT:
		return OPS(OP_STATE_UNINITIALIZED);
	case TDH_MEM_PAGE_ADD:
	case TDH_MR_EXTEND:
	case TDH_MR_FINALIZE:
	case TDH_VP_INIT:
		return OPS(OP_STATE_INITIALIZED);
	case TDH_VP_CREATE:
	case TDH_VP_ADDCX:
		return OPS(OP_STATE_INITIALIZED, OP_STATE_STATE_IMPORT);
	case TDH_MEM_SEPT_ADD:
		return OPS(OP_STATE_INITIALIZED, OP_STATE_RUNNABLE, OP_STATE_LIVE_EXPORT,
			   OP_STATE_MEMORY_IMPORT, OP_STATE_STATE_IMPORT, OP_STATE_POST_IMPORT,
			   OP_STATE_LIVE_IMPORT);
	case TDH_MEM_PAGE_AUG:
		return OPS(OP_STATE_INITIALIZED, OP_STATE_RUNNABLE, OP_STATE_LIVE_EXPORT,
			   OP_STATE_LIVE_IMPORT);
	case TDH_VP_ENTER:
		return OPS(OP_STATE_RUNNABLE, OP_STATE_LIVE_EXPORT, OP_STATE_LIVE_IMPORT);
	}
	return (1u << OP_STATE_NUM) - 1;	/* VP.FLUSH, MNG.RD: all */
}

uint64_t td_gate(struct tdx_module *m, struct td_ref *td, unsigned int leaf)
{
	uint32_t op_state;

	if (td->tdr[TDR_FATAL])
		return TDX_TD_FATAL;
	if (td->tdr[TDR_LIFECYCLE] != TD_KEYS_CONFIGURED)
		return TDX_TD_KEYS_NOT_CONFIGURED;
	if (td->nr_tdcs < MIN_NUM_TDCS_PAGES)
		return TDX_TDCS_NOT_ALLOCATED;
	op_state = tdcs_op_state(td);
	if (op_state >= OP_STATE_NUM || !(legal_op_states(leaf) & (1u << op_state)))
		return TDX_OP_STATE_INCORRECT | op_state;
	return TDX_SUCCESS;
}

/* Mitigation B (tdx-module.md 6.2): after op_state gating, before any change. */
uint64_t td_check_compat(struct tdx_module *m, struct td_ref *td)
{
	if (!m->update_compatibility)
		return TDX_SUCCESS;
	if (le16(td->tdcs[0] + TDCS_MRTD_CTX_VERSION) != crypto_lib_compat_version(m))
		return TDX_INCOMPATIBLE_MRTD_CONTEXT;
	return TDX_SUCCESS;
}

/* A page the host hands to the module must be free convertible memory. */
uint64_t td_claim_page(struct tdx_module *m, uint64_t pa, enum tdx_operand_id op,
		       uint8_t **page)
{
	if (!page_aligned(pa))
		return tdx_operand(TDX_OPERAND_INVALID, op);
	*page = pm_map(m->plat->pm, pa, PAGE_SIZE);
	if (!*page || !tdx_pa_in_tdmr(m, pa))
		return tdx_operand(TDX_OPERAND_ADDR_RANGE_ERROR, op);
	if (pamt_get(m->plat, pa)->type != PT_NDA)
		return tdx_operand(TDX_PAGE_METADATA_INCORRECT, op);
	return TDX_SUCCESS;
}

void td_own_page(struct tdx_module *m, struct td_ref *td, uint64_t pa, enum pamt_type type)
{
	struct pamt_entry *pe = pamt_get(m->plat, pa);

	pe->type = type;
	pe->owner = td->tdr_pa;
	pe->level = 0;
	if (type != PT_TDR)
		put_le64(td->tdr + TDR_CHLD_CNT, le64(td->tdr + TDR_CHLD_CNT) + 1);
}

/* A shared page the module only reads (TD_PARAMS, PAGE.ADD source). */
static const uint8_t *map_shared(struct tdx_module *m, uint64_t pa, size_t len)
{
	/* The PAMT covers physical memory only: range-check before the lookup. */
	if (!pm_pa_in_range(m->plat->pm, pa) ||
	    pamt_get(m->plat, pa & PAGE_MASK)->type != PT_NDA)
		return NULL;
	return pm_map(m->plat->pm, pa, len);
}

/* ---- MNG.CREATE, MNG.KEY.CONFIG, MNG.ADDCX ---------------------------- */

uint64_t td_mng_create(struct tdx_module *m, unsigned int lp, struct seam_args *a)
{
	struct td_ref td = { .tdr_pa = a->rcx };
	uint16_t hkid = a->rdx & 0xFFFF;
	uint64_t ret;

	ret = td_claim_page(m, a->rcx, TDX_OPERAND_ID_RCX, &td.tdr);
	if (ret)
		return ret;
	if (a->rdx >> 16 || !hkid || hkid >= TDX_MAX_HKIDS)
		return tdx_operand(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RDX);
	if (m->g.kot[hkid] != KOT_FREE)
		return TDX_KEY_STATE_INCORRECT;
	memset(td.tdr, 0, PAGE_SIZE);
	td.tdr[TDR_LIFECYCLE] = TD_HKID_ASSIGNED;
	put_le16(td.tdr + TDR_HKID, hkid);
	td_own_page(m, &td, a->rcx, PT_TDR);
	m->g.kot[hkid] = KOT_ASSIGNED;
	return TDX_SUCCESS;
}

uint64_t td_mng_key_config(struct tdx_module *m, unsigned int lp, struct seam_args *a)
{
	uint32_t all = (1u << m->plat->cfg.nr_packages) - 1;
	uint32_t bit = 1u << seam_lp_package(m->plat, lp);
	struct td_ref td;
	uint32_t cfg;
	uint64_t ret;

	ret = td_lookup(m, a->rcx, TDX_OPERAND_ID_RCX, &td);
	if (ret)
		return ret;
	if (td.tdr[TDR_FATAL])
		return TDX_TD_FATAL;
	if (td.tdr[TDR_LIFECYCLE] != TD_HKID_ASSIGNED)
		return TDX_LIFECYCLE_STATE_INCORRECT;
	cfg = le32(td.tdr + TDR_PKG_CONFIG);
	if (cfg & bit)
		return TDX_KEY_CONFIGURED;
	if (seam_rdrand_fails(m->plat))
		return TDX_RND_NO_ENTROPY;
	cfg |= bit;
	put_le32(td.tdr + TDR_PKG_CONFIG, cfg);
	if (cfg == all)
		td.tdr[TDR_LIFECYCLE] = TD_KEYS_CONFIGURED;
	return TDX_SUCCESS;
}

uint64_t td_mng_addcx(struct tdx_module *m, unsigned int lp, struct seam_args *a)
{
	struct td_ref td;
	uint8_t *page;
	uint64_t ret;

	ret = td_lookup(m, a->rdx, TDX_OPERAND_ID_RDX, &td);
	if (ret)
		return ret;
	if (td.tdr[TDR_FATAL])
		return TDX_TD_FATAL;
	if (td.tdr[TDR_LIFECYCLE] != TD_KEYS_CONFIGURED)
		return TDX_TD_KEYS_NOT_CONFIGURED;
	if (td.nr_tdcs >= MIN_NUM_TDCS_PAGES) {
		ret = td_gate(m, &td, TDH_MNG_ADDCX);
		if (ret)
			return ret;
		return TDX_TDCX_NUM_INCORRECT;	/* TDCS is complete */
	}
	ret = td_claim_page(m, a->rcx, TDX_OPERAND_ID_RCX, &page);
	if (ret)
		return ret;
	memset(page, 0, PAGE_SIZE);
	put_le64(td.tdr + TDR_TDCX_PA + 8 * td.nr_tdcs, a->rcx);
	td.tdr[TDR_NUM_TDCX] = (uint8_t)(td.nr_tdcs + 1);
	td_own_page(m, &td, a->rcx, PT_TDCX);
	return TDX_SUCCESS;
}

/* ---- MNG.INIT: the TD-build window opens ----------------------------- */

static uint64_t check_td_params(struct tdx_module *m, const uint8_t *p)
{
	uint64_t attr = le64(p + TD_PARAMS_ATTRIBUTES);
	uint64_t xfam = le64(p + TD_PARAMS_XFAM);
	uint16_t max_vcpus = le16(p + TD_PARAMS_MAX_VCPUS);
	if (!all_zero(p + TD_PARAMS_RESERVED0, TD_PARAMS_RESERVED0_LEN) ||
	    !all_zero(p + TD_PARAMS_RESERVED1, TD_PARAMS_RESERVED1_LEN) ||
	    !all_zero(p + TD_PARAMS_RESERVED2, TD_PARAMS_RESERVED2_LEN))
		return tdx_operand(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RDX);
	if ((attr & ~ATTRIBUTES_FIXED0) || (attr & ATTRIBUTES_FIXED1) != ATTRIBUTES_FIXED1)
		return tdx_operand(TDX_OPERAND_INVALID, TDX_OPERAND_ID_ATTRIBUTES);
	if ((xfam & ~XFAM_FIXED0) || (xfam & XFAM_FIXED1) != XFAM_FIXED1)
		return tdx_operand(TDX_OPERAND_INVALID, TDX_OPERAND_ID_XFAM);
	/* Our Secure EPT is 4-level only: GPAW 52 is refused (inferred). */
	if (!max_vcpus || max_vcpus > TDX_MAX_VCPUS ||
	    (le64(p + TD_PARAMS_CONFIG_FLAGS) & TD_CONFIG_FLAGS_GPAW52))
		return tdx_operand(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RDX);
	return TDX_SUCCESS;
}

uint64_t td_mng_init(struct tdx_module *m, unsigned int lp, struct seam_args *a)
{
	uint64_t tdr_pa = a->rcx & ~TDH_MNG_INIT_EVENT_FILTERING;
	const uint8_t *params;
	struct td_ref td;
	uint8_t *tdcs;
	uint64_t ret;

	ret = td_lookup(m, tdr_pa, TDX_OPERAND_ID_RCX, &td);
	if (ret)
		return ret;
	ret = td_gate(m, &td, TDH_MNG_INIT);
	if (ret)
		return ret;
	if (a->rdx % TD_PARAMS_ALIGN)
		return tdx_operand(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RDX);
	params = map_shared(m, a->rdx, TD_PARAMS_SIZE);
	if (!params)
		return tdx_operand(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RDX);
	ret = check_td_params(m, params);
	if (ret)
		return ret;

	tdcs = td.tdcs[0];
	put_le64(tdcs + TDCS_ATTRIBUTES, le64(params + TD_PARAMS_ATTRIBUTES));
	put_le64(tdcs + TDCS_XFAM, le64(params + TD_PARAMS_XFAM));
	put_le32(tdcs + TDCS_MAX_VCPUS, le16(params + TD_PARAMS_MAX_VCPUS));
	put_le16(tdcs + TDCS_TSC_FREQUENCY, le16(params + TD_PARAMS_TSC_FREQUENCY));
	memcpy(tdcs + TDCS_MRCONFIGID, params + TD_PARAMS_MRCONFIGID, TD_PARAMS_MR_SIZE);
	memcpy(tdcs + TDCS_MROWNER, params + TD_PARAMS_MROWNER, TD_PARAMS_MR_SIZE);
	memcpy(tdcs + TDCS_MROWNERCONFIG, params + TD_PARAMS_MROWNERCONFIG, TD_PARAMS_MR_SIZE);
	memset(tdcs + TDCS_RTMR, 0, 4 * 48);
	/* Nothing of TD_PARAMS is hashed: MRTD starts empty. */
	td_sha_init(m->build.crypto_layout, tdcs + TDCS_SHA_BUFFER);
	put_le64(tdcs + TDCS_SHA_SEAMDB_INDEX, m->seamdb_index);
	/* Builds before update-compatibility neither tag nor count (spec 4). */
	put_le16(tdcs + TDCS_MRTD_CTX_VERSION, crypto_lib_compat_version(m));
	if (m->build.update_compat)
		m->g.td_build_count++;
	put_le32(tdcs + TDCS_OP_STATE, OP_STATE_INITIALIZED);
	return TDX_SUCCESS;
}

/* ---- MEM.PAGE.ADD, MR.EXTEND, MR.FINALIZE ---------------------------- */

/*
 * The module re-binds the hash method when the TD's build began under
 * another SEAMDB entry: its attempt to survive an update. It cannot fix a
 * blob packed by a different crypto library, which is the erratum.
 */
static void rebind_hash_method(struct tdx_module *m, uint8_t *tdcs)
{
	if (le64(tdcs + TDCS_SHA_SEAMDB_INDEX) != m->seamdb_index)
		put_le64(tdcs + TDCS_SHA_SEAMDB_INDEX, m->seamdb_index);
}

#define CACHE_LINE	64	/* x86; only a prefetch stride */

static bool gpa_private_ok(uint64_t gpa)
{
	return gpa < GPA_MAX && !(gpa & GPA_SHARED_BIT);
}

uint64_t td_mem_page_add(struct tdx_module *m, unsigned int lp, struct seam_args *a)
{
	uint64_t gpa = a->rcx & PAGE_MASK;
	const uint8_t *src;
	uint8_t *dst, *entry;
	struct td_ref td;
	uint64_t ret;

	ret = td_lookup(m, a->rdx, TDX_OPERAND_ID_RDX, &td);
	if (ret)
		return ret;
	ret = td_gate(m, &td, TDH_MEM_PAGE_ADD);
	if (!ret)
		ret = td_check_compat(m, &td);
	if (ret)
		return ret;
	/* Level (2:0) must be 4K; bits 11:3 are reserved. */
	if ((a->rcx & ~PAGE_MASK) || !gpa_private_ok(gpa))
		return tdx_operand(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	src = page_aligned(a->r9) ? map_shared(m, a->r9, PAGE_SIZE) : NULL;
	if (!src)
		return tdx_operand(TDX_OPERAND_INVALID, TDX_OPERAND_ID_R9);
	ret = td_claim_page(m, a->r8, TDX_OPERAND_ID_R8, &dst);
	if (ret)
		return ret;
	ret = sept_walk(m, &td, gpa, 1, &entry, a);
	if (ret)
		return ret;
	if (le64(entry) & SEPT_PRESENT) {
		a->rcx = le64(entry);
		a->rdx = 1;
		return TDX_EPT_ENTRY_NOT_FREE;
	}
	/*
	 * Every check is done; the copy and the hash are independent, so
	 * their order is not observable. Source and target are usually cold:
	 * start fetching both, hash the record (pure compute on the TDCS)
	 * while the lines arrive, then copy. Copying first stalls the hash
	 * behind the copy's cache misses, and the fw_lock release then waits
	 * for the copy's stores to drain.
	 */
	for (size_t off = 0; off < PAGE_SIZE; off += CACHE_LINE) {
		__builtin_prefetch(src + off, 0, 3);
		__builtin_prefetch(dst + off, 1, 3);
	}
	rebind_hash_method(m, td.tdcs[0]);
	td_sha_page_add(m->build.crypto_layout, td.tdcs[0] + TDCS_SHA_BUFFER, gpa);
	memcpy(dst, src, PAGE_SIZE);
	put_le64(entry, a->r8 | SEPT_PRESENT);
	td_own_page(m, &td, a->r8, PT_REG);
	a->rcx = 0;
	a->rdx = 0;
	return TDX_SUCCESS;
}

uint64_t td_mr_extend(struct tdx_module *m, unsigned int lp, struct seam_args *a)
{
	uint8_t *data;
	struct td_ref td;
	uint64_t ret;

	ret = td_lookup(m, a->rdx, TDX_OPERAND_ID_RDX, &td);
	if (ret)
		return ret;
	ret = td_gate(m, &td, TDH_MR_EXTEND);
	if (!ret)
		ret = td_check_compat(m, &td);
	if (ret)
		return ret;
	if ((a->rcx & 0xFF) || !gpa_private_ok(a->rcx))
		return tdx_operand(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	ret = sept_map_gpa(m, &td, a->rcx, &data);
	if (ret)
		return tdx_operand(TDX_EPT_ENTRY_NOT_PRESENT, TDX_OPERAND_ID_RCX);
	rebind_hash_method(m, td.tdcs[0]);
	td_sha_extend(m->build.crypto_layout, td.tdcs[0] + TDCS_SHA_BUFFER, a->rcx, data);
	return TDX_SUCCESS;
}

/*
 * The TD-build window closes (MR.FINALIZE or VPFLUSHDONE): uncount the
 * build only if it was tagged. Returns false on counter underflow, a fatal
 * module error.
 */
static bool end_build(struct tdx_module *m, uint8_t *tdcs)
{
	bool tagged = le16(tdcs + TDCS_MRTD_CTX_VERSION) != 0;

	put_le16(tdcs + TDCS_MRTD_CTX_VERSION, 0);
	if (!tagged)
		return true;
	if (!m->g.td_build_count)
		return false;
	m->g.td_build_count--;
	return true;
}

/* A fatal module error: the module stops serving (inferred modelling). */
static uint64_t module_fatal(struct tdx_module *m)
{
	m->sys_state = SYS_SHUTDOWN;
	return TDX_SYS_SHUTDOWN;
}

uint64_t td_mr_finalize(struct tdx_module *m, unsigned int lp, struct seam_args *a)
{
	struct td_ref td;
	uint8_t *tdcs;
	uint64_t ret;

	ret = td_lookup(m, a->rcx, TDX_OPERAND_ID_RCX, &td);
	if (ret)
		return ret;
	ret = td_gate(m, &td, TDH_MR_FINALIZE);
	if (!ret)
		ret = td_check_compat(m, &td);
	if (ret)
		return ret;
	tdcs = td.tdcs[0];
	/* Both before any change; compat before NO_VCPUS is our order (inferred). */
	if (!le32(tdcs + TDCS_NUM_VCPUS))
		return TDX_NO_VCPUS;
	rebind_hash_method(m, tdcs);
	td_sha_final(m->build.crypto_layout, tdcs + TDCS_SHA_BUFFER, tdcs + TDCS_MRTD);
	if (!end_build(m, tdcs))
		return module_fatal(m);
	put_le32(tdcs + TDCS_OP_STATE, OP_STATE_RUNNABLE);
	return TDX_SUCCESS;
}

/* ---- teardown: VPFLUSHDONE, KEY.FREEID, PAGE.RECLAIM ----------------- */

uint64_t td_mng_vpflushdone(struct tdx_module *m, unsigned int lp, struct seam_args *a)
{
	struct td_ref td;
	uint8_t lc;
	uint64_t ret;

	ret = td_lookup(m, a->rcx, TDX_OPERAND_ID_RCX, &td);
	if (ret)
		return ret;
	lc = td.tdr[TDR_LIFECYCLE];
	if (lc != TD_KEYS_CONFIGURED && lc != TD_HKID_ASSIGNED)
		return TDX_LIFECYCLE_STATE_INCORRECT;
	if (td.nr_tdcs >= MIN_NUM_TDCS_PAGES && le32(td.tdcs[0] + TDCS_NUM_ASSOC_VCPUS))
		return TDX_FLUSHVP_NOT_DONE;
	if (td.nr_tdcs >= MIN_NUM_TDCS_PAGES && !end_build(m, td.tdcs[0]))
		return module_fatal(m);
	td.tdr[TDR_LIFECYCLE] = TD_BLOCKED;
	return TDX_SUCCESS;
}

uint64_t td_mng_key_freeid(struct tdx_module *m, unsigned int lp, struct seam_args *a)
{
	struct td_ref td;
	uint64_t ret;

	ret = td_lookup(m, a->rcx, TDX_OPERAND_ID_RCX, &td);
	if (ret)
		return ret;
	if (td.tdr[TDR_LIFECYCLE] != TD_BLOCKED)
		return TDX_LIFECYCLE_STATE_INCORRECT;
	m->g.kot[le16(td.tdr + TDR_HKID) % TDX_MAX_HKIDS] = KOT_FREE;
	td.tdr[TDR_LIFECYCLE] = TD_TEARDOWN;
	return TDX_SUCCESS;
}

uint64_t td_phymem_page_reclaim(struct tdx_module *m, unsigned int lp, struct seam_args *a)
{
	struct physmem *pm = m->plat->pm;
	struct pamt_entry *pe;
	struct td_ref owner;
	uint8_t *page;

	if (!page_aligned(a->rcx))
		return tdx_operand(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	page = physmem_map(pm, a->rcx, PAGE_SIZE);
	if (!page)
		return tdx_operand(TDX_OPERAND_ADDR_RANGE_ERROR, TDX_OPERAND_ID_RCX);
	pe = pamt_get(m->plat, a->rcx);
	if (pe->type == PT_NDA || pe->type == PT_RSVD)
		return tdx_operand(TDX_PAGE_METADATA_INCORRECT, TDX_OPERAND_ID_RCX);
	owner.tdr = physmem_map(pm, pe->owner, PAGE_SIZE);
	if (!owner.tdr || owner.tdr[TDR_LIFECYCLE] != TD_TEARDOWN)
		return TDX_LIFECYCLE_STATE_INCORRECT;
	/*
	 * The TDR goes last: the real module refuses while child pages remain
	 * (TDX_TD_ASSOCIATED_PAGES_EXIST, not in our spec; inferred status).
	 */
	if (pe->type == PT_TDR && le64(owner.tdr + TDR_CHLD_CNT))
		return tdx_operand(TDX_PAGE_METADATA_INCORRECT, TDX_OPERAND_ID_RCX);
	a->rcx = pe->type;
	a->rdx = pe->owner;
	a->r8 = pe->level;
	if (pe->type != PT_TDR)
		put_le64(owner.tdr + TDR_CHLD_CNT, le64(owner.tdr + TDR_CHLD_CNT) - 1);
	memset(pe, 0, sizeof(*pe));
	memset(page, 0, PAGE_SIZE);	/* no TD data leaks to the host */
	return TDX_SUCCESS;
}

/* ---- MNG.RD ---------------------------------------------------------- */

static bool td_field(const struct td_ref *td, uint64_t id, uint64_t *val)
{
	const uint8_t *tdcs = td->tdcs[0];

	if (id >= TD_MD_FIELD_MRTD0 && id < TD_MD_FIELD_MRTD0 + 6) {
		*val = le64(tdcs + TDCS_MRTD + 8 * (id - TD_MD_FIELD_MRTD0));
		return true;
	}
	if (id >= TD_MD_FIELD_RTMR0 && id < TD_MD_FIELD_RTMR0 + 24) {
		*val = le64(tdcs + TDCS_RTMR + 8 * (id - TD_MD_FIELD_RTMR0));
		return true;
	}
	switch (id) {
	case TD_MD_FIELD_ATTRIBUTES:	*val = le64(tdcs + TDCS_ATTRIBUTES); return true;
	case TD_MD_FIELD_XFAM:		*val = le64(tdcs + TDCS_XFAM); return true;
	case TD_MD_FIELD_OP_STATE:		*val = le32(tdcs + TDCS_OP_STATE); return true;
	case TD_MD_FIELD_NUM_VCPUS:	*val = le32(tdcs + TDCS_NUM_VCPUS); return true;
	case TD_MD_FIELD_TSC_OFFSET:	*val = 0; return true;
	case TD_MD_FIELD_TSC_MULTIPLIER:	*val = 1ULL << 48; return true;
	case TD_MD_FIELD_MRTD_CONTEXT_VERSION:
		*val = le16(tdcs + TDCS_MRTD_CTX_VERSION);
		return true;
	}
	return false;
}

uint64_t td_mng_rd(struct tdx_module *m, unsigned int lp, struct seam_args *a)
{
	struct td_ref td;
	uint64_t ret;

	ret = td_lookup(m, a->rcx, TDX_OPERAND_ID_RCX, &td);
	if (ret)
		return ret;
	ret = td_gate(m, &td, TDH_MNG_RD);
	if (ret)
		return ret;
	if (!td_field(&td, a->rdx, &a->r8))
		return TDX_METADATA_FIELD_ID_INCORRECT;
	return TDX_SUCCESS;
}
