// SPDX-License-Identifier: MIT
/*
 * The TDX module: dispatcher, RAX decoding and sys_state gating, the SYS.*
 * leaves and global metadata (tdx-module.md 1, 3.1, 6, 7). One instance
 * exists per installed module; its behaviour comes from the build
 * descriptor P-SEAMLDR decoded at install.
 */
#include <stdlib.h>
#include <string.h>

#include "fw/tdx_module.h"
#include "tdxup/plant.h"
#include "tdxup/td_abi.h"

/* Metadata constants of our emulated builds (inferred where not in spec 7). */
#define TDX_VENDOR_ID		0x8086
#define TDCS_BASE_SIZE		(TDX_TDCS_PAGES * PAGE_SIZE)
#define TDVPS_BASE_SIZE		(TDX_TDVPS_PAGES * PAGE_SIZE)

struct tdx_module *tdx_module_create(struct seam_platform *p, const struct module_build *b,
				     const struct tdx_sysinfo_table *si, unsigned int seamdb_index)
{
	struct tdx_module *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->plat = p;
	m->build = *b;
	m->sysinfo = *si;
	m->seamdb_index = seamdb_index;
	m->sys_state = SYSINIT_PENDING;
	return m;
}

void tdx_module_destroy(struct tdx_module *m)
{
	free(m);
}

bool tdx_pa_in_tdmr(const struct tdx_module *m, uint64_t pa)
{
	for (uint32_t i = 0; i < m->g.num_of_tdmr_entries; i++)
		if (pa >= m->g.tdmr[i].base && pa - m->g.tdmr[i].base < m->g.tdmr[i].size)
			return true;
	return false;
}

/* ---- SYS.INIT, SYS.LP.INIT ------------------------------------------- */

static uint64_t sys_init(struct tdx_module *m, unsigned int lp, struct seam_args *a)
{
	const struct tdx_sysinfo_table *si = &m->sysinfo;
	const struct module_build *b = &m->build;

	/* RCX must be 0; the spec names no status for it (inferred). */
	if (a->rcx)
		return tdx_operand(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	if (m->sys_state != SYSINIT_PENDING)
		return TDX_SYS_INIT_NOT_PENDING;
	/* The sigstruct must describe this build (tdx-module.md 6.4). */
	if (si->module_hv != b->module_hv || si->min_update_hv < b->min_update_hv ||
	    (b->no_downgrade && !si->no_downgrade) ||
	    si->num_handoff_pages < b->num_handoff_pages)
		return TDX_SYS_INCOMPATIBLE_SIGSTRUCT;
	if (seam_rdrand_fails(m->plat))
		return TDX_RND_NO_ENTROPY;
	m->sys_state = SYSINIT_DONE;
	m->g.td_build_count = 0;
	m->g.mig_interrupted_count = 0;
	return TDX_SUCCESS;
}

static uint64_t sys_lp_init(struct tdx_module *m, unsigned int lp, struct seam_args *a)
{
	/*
	 * Only between SYS.INIT and SYS.CONFIG / SYS.UPDATE (spec 1.3): the
	 * state check comes first, so a repeat after that is NOT_PENDING too.
	 */
	if (m->sys_state != SYSINIT_DONE)
		return TDX_SYS_LP_INIT_NOT_PENDING;
	if (m->lp_init_done[lp])
		return TDX_SYS_LP_INIT_DONE;
	/* Injected per-LP failure: a self-test of this LP failing (inferred). */
	if (seam_fault_hit(m->plat, SEAM_FAULT_LP_INIT, lp))
		return TDX_CRYPTO_SELF_TEST_FAILED;
	m->lp_init_done[lp] = true;
	m->num_of_init_lps++;
	return TDX_SUCCESS;
}

/* ---- SYS.CONFIG, SYS.KEY.CONFIG, SYS.TDMR.INIT ------------------------ */

/* TDMR_INFO (tdxup/td_abi.h): PAMT is not carved out (inferred). */

static uint64_t read_tdmrs(struct tdx_module *m, uint64_t array_pa, uint64_t count,
			   struct tdmr_entry *out)
{
	struct physmem *pm = m->plat->pm;
	const uint8_t *array;

	if (!count || count > TDX_MAX_TDMRS)
		return tdx_operand(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RDX);
	if (array_pa & 7)
		return tdx_operand(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	array = physmem_map(pm, array_pa, count * 8);
	if (!array)
		return tdx_operand(TDX_OPERAND_ADDR_RANGE_ERROR, TDX_OPERAND_ID_RCX);
	for (uint64_t i = 0; i < count; i++) {
		uint64_t pa = le64(array + i * 8);
		const uint8_t *info = (pa % TDMR_INFO_ALIGN) ? NULL : physmem_map(pm, pa, TDMR_INFO_LEN);

		if (!info)
			return tdx_operand(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
		out[i].base = le64(info + TDMR_INFO_BASE);
		out[i].size = le64(info + TDMR_INFO_SIZE);
		out[i].initialized = false;
		if (out[i].base % TDMR_GRANULE || !out[i].size || out[i].size % TDMR_GRANULE ||
		    out[i].base + out[i].size < out[i].base)
			return tdx_operand(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
		/* TDMRs are sorted and do not overlap. */
		if (i && out[i].base < out[i - 1].base + out[i - 1].size)
			return tdx_operand(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	}
	return TDX_SUCCESS;
}

static uint64_t sys_config(struct tdx_module *m, unsigned int lp, struct seam_args *a)
{
	struct tdmr_entry tdmr[TDX_MAX_TDMRS];
	uint16_t hkid = a->r8 & 0xFFFF;
	uint64_t ret;

	if (m->sys_state != SYSINIT_DONE || m->num_of_init_lps < m->plat->cfg.nr_lps)
		return TDX_SYS_CONFIG_NOT_PENDING;
	if (a->r8 >> 17)
		return tdx_operand(TDX_OPERAND_INVALID, TDX_OPERAND_ID_R8);
	if (!hkid || hkid >= TDX_MAX_HKIDS)
		return tdx_operand(TDX_OPERAND_INVALID, TDX_OPERAND_ID_R8);
	ret = read_tdmrs(m, a->rcx, a->rdx, tdmr);
	if (ret)
		return ret;
	memcpy(m->g.tdmr, tdmr, a->rdx * sizeof(tdmr[0]));
	m->g.num_of_tdmr_entries = (uint32_t)a->rdx;
	m->g.global_hkid = hkid;
	m->g.kot[hkid] = KOT_ASSIGNED;
	m->g.dynamic_pamt_enabled = (a->r8 >> 16) & 1;
	m->sys_state = SYSCONFIG_DONE;
	return TDX_SUCCESS;
}

static uint64_t sys_key_config(struct tdx_module *m, unsigned int lp, struct seam_args *a)
{
	unsigned int pkg = seam_lp_package(m->plat, lp);
	uint32_t all = (1u << m->plat->cfg.nr_packages) - 1;

	if (m->sys_state != SYSCONFIG_DONE)
		return TDX_SYS_KEY_CONFIG_NOT_PENDING;
	if (m->g.pkg_config_bitmap & (1u << pkg))
		return TDX_KEY_CONFIGURED;
	if (seam_rdrand_fails(m->plat))
		return TDX_RND_NO_ENTROPY;
	m->g.pkg_config_bitmap |= 1u << pkg;
	if (m->g.pkg_config_bitmap == all)
		m->sys_state = SYS_READY;
	return TDX_SUCCESS;
}

/*
 * Hardware initialises the TDMR's PAMT here. Ours already reads as PT_NDA,
 * but lives in calloc'd memory the host kernel maps on first touch. Touch
 * every page of the TDMR's part of it now, changing no byte, so that those
 * page faults happen at boot and not inside the first SEAMCALLs that claim
 * or own a page (an emulator artefact in every TD build's timing).
 */
static void pamt_touch(struct seam_platform *p, uint64_t base, uint64_t size)
{
	uint64_t first = base >> PAGE_SHIFT, end = (base + size) >> PAGE_SHIFT;
	uint64_t nr = physmem_nr_frames(p->pm);
	volatile uint8_t *b;
	size_t len;

	if (end > nr)
		end = nr;
	if (first >= end)
		return;
	b = (volatile uint8_t *)&p->pamt[first];
	len = (end - first) * sizeof(*p->pamt);
	for (size_t off = 0; off < len; off += PAGE_SIZE)
		b[off] = b[off];
	b[len - 1] = b[len - 1];
}

/* Resumable on hardware; the emulator initialises a TDMR in one call. */
static uint64_t sys_tdmr_init(struct tdx_module *m, unsigned int lp, struct seam_args *a)
{
	for (uint32_t i = 0; i < m->g.num_of_tdmr_entries; i++) {
		struct tdmr_entry *t = &m->g.tdmr[i];

		if (t->base != a->rcx)
			continue;
		if (t->initialized) {
			a->rdx = t->base + t->size;
			return TDX_TDMR_ALREADY_INITIALIZED;
		}
		pamt_touch(m->plat, t->base, t->size);
		t->initialized = true;
		a->rdx = t->base + t->size;	/* next address to initialise */
		return TDX_SUCCESS;
	}
	return tdx_operand(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
}

/* ---- SYS.RD ---------------------------------------------------------- */

static const uint64_t md_fields[] = {
	MD_FIELD_VENDOR_ID, MD_FIELD_BUILD_DATE, MD_FIELD_BUILD_NUM,
	MD_FIELD_MINOR_VERSION, MD_FIELD_MAJOR_VERSION, MD_FIELD_UPDATE_VERSION,
	MD_FIELD_INTERNAL_VERSION, MD_FIELD_MODULE_HV, MD_FIELD_MIN_UPDATE_HV,
	MD_FIELD_NO_DOWNGRADE, MD_FIELD_NUM_HANDOFF_PAGES, MD_FIELD_HANDOFF_DATA_VALID,
	MD_FIELD_HANDOFF_DATA_HV, MD_FIELD_HANDOFF_DATA_SIZE, MD_FIELD_SYS_ATTRIBUTES,
	MD_FIELD_NUM_TDX_FEATURES, MD_FIELD_TDX_FEATURES0, MD_FIELD_MAX_TDMRS,
	MD_FIELD_TDCS_BASE_SIZE, MD_FIELD_TDVPS_BASE_SIZE, MD_FIELD_ATTRIBUTES_FIXED0,
	MD_FIELD_ATTRIBUTES_FIXED1, MD_FIELD_XFAM_FIXED0, MD_FIELD_XFAM_FIXED1,
};
#define NR_MD_FIELDS (sizeof(md_fields) / sizeof(md_fields[0]))

static uint64_t md_value(const struct tdx_module *m, uint64_t id)
{
	const struct module_build *b = &m->build;
	uint8_t valid;
	uint16_t hv;
	uint32_t size;

	handoff_header(m->plat, &valid, &hv, &size);
	switch (id) {
	case MD_FIELD_VENDOR_ID:		return TDX_VENDOR_ID;
	case MD_FIELD_BUILD_DATE:		return b->build_date;
	case MD_FIELD_BUILD_NUM:		return b->build_num;
	case MD_FIELD_MINOR_VERSION:		return b->minor;
	case MD_FIELD_MAJOR_VERSION:		return b->major;
	case MD_FIELD_UPDATE_VERSION:		return b->update;
	case MD_FIELD_INTERNAL_VERSION:		return 0;
	case MD_FIELD_MODULE_HV:		return b->module_hv;
	case MD_FIELD_MIN_UPDATE_HV:		return b->min_update_hv;
	case MD_FIELD_NO_DOWNGRADE:		return b->no_downgrade;
	case MD_FIELD_NUM_HANDOFF_PAGES:	return b->num_handoff_pages;
	case MD_FIELD_HANDOFF_DATA_VALID:	return valid;
	case MD_FIELD_HANDOFF_DATA_HV:		return hv;
	case MD_FIELD_HANDOFF_DATA_SIZE:	return size;
	case MD_FIELD_SYS_ATTRIBUTES:		return 0;
	case MD_FIELD_NUM_TDX_FEATURES:		return 1;
	case MD_FIELD_TDX_FEATURES0:		return b->tdx_features0;
	case MD_FIELD_MAX_TDMRS:		return TDX_MAX_TDMRS;
	case MD_FIELD_TDCS_BASE_SIZE:		return TDCS_BASE_SIZE;
	case MD_FIELD_TDVPS_BASE_SIZE:		return TDVPS_BASE_SIZE;
	case MD_FIELD_ATTRIBUTES_FIXED0:	return ATTRIBUTES_FIXED0;
	case MD_FIELD_ATTRIBUTES_FIXED1:	return ATTRIBUTES_FIXED1;
	case MD_FIELD_XFAM_FIXED0:		return XFAM_FIXED0;
	case MD_FIELD_XFAM_FIXED1:		return XFAM_FIXED1;
	}
	return 0;
}

static uint64_t sys_rd(struct tdx_module *m, unsigned int lp, struct seam_args *a)
{
	if (!m->lp_init_done[lp])
		return TDX_SYS_LP_INIT_NOT_DONE;
	if (a->rdx == MD_FIELD_ID_NULL) {
		a->rdx = md_fields[0];
		a->r8 = 0;
		return TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT;
	}
	for (size_t i = 0; i < NR_MD_FIELDS; i++) {
		if (md_fields[i] != a->rdx)
			continue;
		a->r8 = md_value(m, md_fields[i]);
		a->rdx = i + 1 < NR_MD_FIELDS ? md_fields[i + 1] : MD_FIELD_ID_NULL;
		return TDX_SUCCESS;
	}
	return TDX_METADATA_FIELD_ID_INCORRECT;
}

/* ---- SYS.SHUTDOWN, SYS.UPDATE (tdx-module.md 6) ---------------------- */

static bool hv_acceptable(const struct tdx_sysinfo_table *si, uint64_t hv)
{
	if (hv < si->min_update_hv || hv > si->module_hv)
		return false;
	return !(si->no_downgrade && hv != si->module_hv);
}

static unsigned int busy_lps(const struct seam_platform *p)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < p->cfg.nr_lps; i++)
		n += atomic_load(&p->lps[i].lp_is_busy);
	return n;
}

static uint64_t sys_shutdown(struct tdx_module *m, unsigned int lp, struct seam_args *a)
{
	bool avoid = false;
	uint64_t hv = a->rcx;

	/*
	 * Builds without update-compatibility know no bit 16 and compare all
	 * of RCX as the HV, so the flag reads as an HV above MODULE_HV.
	 */
	if (m->build.update_compat) {
		if (a->rcx & TDX_SYS_SHUTDOWN_RESERVED_MASK)
			return tdx_operand(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
		hv = a->rcx & TDX_SYS_SHUTDOWN_HV_MASK;
		avoid = a->rcx & TDX_SYS_SHUTDOWN_AVOID_COMPAT_SENSITIVE;
	}
	if (!hv_acceptable(&m->sysinfo, hv))
		return tdx_operand(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);

	/*
	 * Every leaf body runs under fw_lock and every LP sets lp_is_busy
	 * (seq_cst) before waiting for it, so the spec's full fence between
	 * the state change and the count is implied here.
	 */
	m->sys_state = SYS_SHUTDOWN;
	if (busy_lps(m->plat) > 1) {
		m->sys_state = SYS_READY;
		return TDX_SYS_BUSY;
	}
	if (avoid && m->g.td_build_count) {
		if (!tdxup_planted(PLANT_REFUSAL_SHUTS_DOWN))
			m->sys_state = SYS_READY;
		return TDX_UPDATE_COMPAT_SENSITIVE | (uint64_t)m->g.td_build_count << 16 |
		       TDX_COMPAT_SENSITIVE_CAUSE_TD_BUILD;
	}
	if (avoid && m->g.mig_interrupted_count) {
		m->sys_state = SYS_READY;
		return TDX_UPDATE_COMPAT_SENSITIVE |
		       (uint64_t)m->g.mig_interrupted_count << 16 |
		       TDX_COMPAT_SENSITIVE_CAUSE_MIGRATION;
	}
	handoff_write(m, (uint16_t)hv);
	return TDX_SUCCESS;
}

static uint64_t sys_update(struct tdx_module *m, unsigned int lp, struct seam_args *a,
			   unsigned int version)
{
	uint64_t ret;

	if (m->sys_state != SYSINIT_DONE || m->num_of_init_lps < m->plat->cfg.nr_lps)
		return TDX_SYS_STATE_INCORRECT;
	ret = handoff_check(m);
	if (ret)
		return ret;
	/*
	 * The spec validates the enabling flags after restoring the globals;
	 * we validate first and apply after, so that a failure changes nothing
	 * while the order of reported errors stays the spec's.
	 */
	if (version == 1) {
		if (a->r9 & ~m->build.tdx_features0)
			return tdx_operand(TDX_OPERAND_INVALID, TDX_OPERAND_ID_R9);
		if (a->r10)
			return tdx_operand(TDX_OPERAND_INVALID, TDX_OPERAND_ID_R10);
	}
	/* Injected failure: the handoff is unusable (inferred status). */
	if (seam_fault_hit(m->plat, SEAM_FAULT_SYS_UPDATE, lp))
		return TDX_SYS_INVALID_HANDOFF;
	handoff_restore(m);
	if (version == 1 && (a->r9 & TDX_SYS_UPDATE_ENABLE_UPDATE_COMPAT))
		m->update_compatibility = true;
	handoff_clear(m->plat);
	m->sys_state = SYS_READY;
	return TDX_SUCCESS;
}

/* ---- dispatcher ------------------------------------------------------ */

enum leaf_flags {
	LF_BEFORE_READY	= 1 << 0,	/* allowed while sys_state != SYS_READY */
};

struct leaf_desc {
	uint8_t max_version;
	uint8_t flags;
	bool implemented;
};

static const struct leaf_desc leaves[] = {
	[TDH_VP_ENTER]		= { 0, 0, true },
	[TDH_MNG_ADDCX]		= { 0, 0, true },
	[TDH_MEM_PAGE_ADD]	= { 0, 0, true },
	[TDH_MEM_SEPT_ADD]	= { 0, 0, true },
	[TDH_VP_ADDCX]		= { 0, 0, true },
	[TDH_MNG_KEY_CONFIG]	= { 0, 0, true },
	[TDH_MNG_CREATE]	= { 0, 0, true },
	[TDH_VP_CREATE]		= { 0, 0, true },
	[TDH_MNG_RD]		= { 0, 0, true },
	[TDH_MR_EXTEND]		= { 0, 0, true },
	[TDH_MR_FINALIZE]	= { 0, 0, true },
	[TDH_VP_FLUSH]		= { 0, 0, true },
	[TDH_MNG_VPFLUSHDONE]	= { 0, 0, true },
	[TDH_MNG_KEY_FREEID]	= { 0, 0, true },
	[TDH_MNG_INIT]		= { 0, 0, true },
	[TDH_VP_INIT]		= { 1, 0, true },
	[TDH_PHYMEM_PAGE_RECLAIM] = { 0, 0, true },
	[TDH_SYS_KEY_CONFIG]	= { 0, LF_BEFORE_READY, true },
	[TDH_SYS_INFO]		= { 0, LF_BEFORE_READY, false },
	[TDH_SYS_INIT]		= { 1, LF_BEFORE_READY, true },
	[TDH_SYS_RD]		= { 0, LF_BEFORE_READY, true },
	[TDH_SYS_LP_INIT]	= { 0, LF_BEFORE_READY, true },
	[TDH_SYS_TDMR_INIT]	= { 0, 0, true },
	[TDH_SYS_RDALL]		= { 0, LF_BEFORE_READY, false },
	[TDH_SYS_LP_SHUTDOWN]	= { 0, LF_BEFORE_READY, true },
	[TDH_SYS_CONFIG]	= { 0, LF_BEFORE_READY, true },
	[TDH_SYS_SHUTDOWN]	= { 0, 0, true },
	[TDH_SYS_UPDATE]	= { 1, LF_BEFORE_READY, true },
};
#define NR_LEAVES (sizeof(leaves) / sizeof(leaves[0]))

static uint64_t call_leaf(struct tdx_module *m, unsigned int lp, unsigned int leaf,
			  unsigned int ver, struct seam_args *a)
{
	switch (leaf) {
	case TDH_VP_ENTER:		return td_vp_enter(m, lp, a);
	case TDH_MNG_ADDCX:		return td_mng_addcx(m, lp, a);
	case TDH_MEM_PAGE_ADD:		return td_mem_page_add(m, lp, a);
	case TDH_MEM_SEPT_ADD:		return td_mem_sept_add(m, lp, a);
	case TDH_VP_ADDCX:		return td_vp_addcx(m, lp, a);
	case TDH_MNG_KEY_CONFIG:	return td_mng_key_config(m, lp, a);
	case TDH_MNG_CREATE:		return td_mng_create(m, lp, a);
	case TDH_VP_CREATE:		return td_vp_create(m, lp, a);
	case TDH_MNG_RD:		return td_mng_rd(m, lp, a);
	case TDH_MR_EXTEND:		return td_mr_extend(m, lp, a);
	case TDH_MR_FINALIZE:		return td_mr_finalize(m, lp, a);
	case TDH_VP_FLUSH:		return td_vp_flush(m, lp, a);
	case TDH_MNG_VPFLUSHDONE:	return td_mng_vpflushdone(m, lp, a);
	case TDH_MNG_KEY_FREEID:	return td_mng_key_freeid(m, lp, a);
	case TDH_MNG_INIT:		return td_mng_init(m, lp, a);
	case TDH_VP_INIT:		return td_vp_init(m, lp, a, ver);
	case TDH_PHYMEM_PAGE_RECLAIM:	return td_phymem_page_reclaim(m, lp, a);
	case TDH_SYS_KEY_CONFIG:	return sys_key_config(m, lp, a);
	case TDH_SYS_INIT:		return sys_init(m, lp, a);
	case TDH_SYS_RD:		return sys_rd(m, lp, a);
	case TDH_SYS_LP_INIT:		return sys_lp_init(m, lp, a);
	case TDH_SYS_TDMR_INIT:		return sys_tdmr_init(m, lp, a);
	case TDH_SYS_LP_SHUTDOWN:	return TDX_SUCCESS;
	case TDH_SYS_CONFIG:		return sys_config(m, lp, a);
	case TDH_SYS_SHUTDOWN:		return sys_shutdown(m, lp, a);
	case TDH_SYS_UPDATE:		return sys_update(m, lp, a, ver);
	}
	return tdx_operand(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RAX);
}

uint64_t tdx_module_dispatch(struct tdx_module *m, unsigned int lp, uint64_t rax,
			     struct seam_args *a)
{
	unsigned int leaf = rax & TDX_LEAF_MASK;
	unsigned int ver = (rax >> TDX_LEAF_VERSION_SHIFT) & TDX_LEAF_VERSION_MASK;
	const struct leaf_desc *d;

	/*
	 * Gating 1: after shutdown only the deprecated LP.SHUTDOWN answers.
	 * It comes before RAX decoding, so a malformed RAX also gets
	 * TDX_SYS_SHUTDOWN (inferred: the spec orders only the two gates).
	 */
	if (m->sys_state == SYS_SHUTDOWN)
		return leaf == TDH_SYS_LP_SHUTDOWN && !(rax >> 16) ? TDX_SUCCESS : TDX_SYS_SHUTDOWN;
	/*
	 * Leaves of the ABI that this emulator does not model are refused like
	 * leaves the build lacks (inferred).
	 */
	if ((rax & TDX_RAX_RESERVED_MASK) || leaf >= NR_LEAVES || !leaves[leaf].implemented ||
	    ver > leaves[leaf].max_version)
		return tdx_operand(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RAX);
	d = &leaves[leaf];
	/* Gating 2 */
	if (m->sys_state != SYS_READY && !(d->flags & LF_BEFORE_READY))
		return TDX_SYS_NOT_READY;
	return call_leaf(m, lp, leaf, ver, a);
}
