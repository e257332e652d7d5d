/* SPDX-License-Identifier: MIT */
/* One instance of the TDX module: its globals and the leaf handlers. */
#ifndef TDXUP_FW_TDX_MODULE_H
#define TDXUP_FW_TDX_MODULE_H

#include "fw/seam_internal.h"

#define TDX_MAX_HKIDS		64	/* KOT entries, HKID 1..63 (inferred) */
#define TDX_MAX_TDMRS		64
#define TDX_TDCS_PAGES		6	/* TDCS_BASE_SIZE / PAGE_SIZE */
#define TDX_TDVPS_PAGES		4	/* TDVPR + 3 TDCX (inferred) */

/*
 * TD_PARAMS bits the emulated builds allow (FIXED0) and require (FIXED1);
 * values are ours (inferred): DEBUG, SEPT_VE_DISABLE, PKS, KL, PERFMON...
 * and x87/SSE required, AVX, AVX-512, PK, CET, AMX allowed.
 */
#define ATTRIBUTES_FIXED0	0x00000000F0000001ULL
#define ATTRIBUTES_FIXED1	0x0000000000000000ULL
#define XFAM_FIXED0		0x00000000000618E7ULL
#define XFAM_FIXED1		0x0000000000000003ULL

enum kot_state {
	KOT_FREE	= 0,
	KOT_ASSIGNED	= 1,	/* to a TD, or the global private HKID */
};

struct tdmr_entry {
	uint64_t base, size;
	bool initialized;
};

/* Module globals: exactly what the handoff carries, plus per-instance state. */
struct tdx_globals {
	uint8_t kot[TDX_MAX_HKIDS];
	uint8_t wbt[SEAM_MAX_PACKAGES];
	struct tdmr_entry tdmr[TDX_MAX_TDMRS];
	uint32_t num_of_tdmr_entries;
	uint16_t global_hkid;
	uint32_t pkg_config_bitmap;
	bool dynamic_pamt_enabled;
	uint16_t td_build_count;
	uint16_t mig_interrupted_count;
};

/* Values P-SEAMLDR copied from the sigstruct (seamldr.md 4.3 step 4). */
struct tdx_sysinfo_table {
	uint16_t module_hv, min_update_hv;
	uint8_t no_downgrade;
	uint16_t num_handoff_pages;
};

struct tdx_module {
	struct seam_platform *plat;
	struct module_build build;	/* decoded descriptor: the build's constants */
	struct tdx_sysinfo_table sysinfo;
	unsigned int seamdb_index;

	enum tdx_sys_state sys_state;
	unsigned int num_of_init_lps;
	bool lp_init_done[SEAM_MAX_LPS];
	struct tdx_globals g;
	bool update_compatibility;	/* SYS.UPDATE v1 with bit 47 */
};

struct tdx_module *tdx_module_create(struct seam_platform *p, const struct module_build *b,
				     const struct tdx_sysinfo_table *si, unsigned int seamdb_index);
void tdx_module_destroy(struct tdx_module *m);
uint64_t tdx_module_dispatch(struct tdx_module *m, unsigned int lp, uint64_t rax,
			     struct seam_args *args);

/* CRYPTO_LIB_COMPAT_VERSION of this build (0 for builds without the tag). */
static inline uint16_t crypto_lib_compat_version(const struct tdx_module *m)
{
	return m->build.update_compat ? m->build.crypto_layout : 0;
}

static inline uint64_t tdx_operand(uint64_t status, enum tdx_operand_id id)
{
	return status | id;
}

/* td.c: TD and vCPU leaves */
uint64_t td_mng_create(struct tdx_module *m, unsigned int lp, struct seam_args *a);
uint64_t td_mng_key_config(struct tdx_module *m, unsigned int lp, struct seam_args *a);
uint64_t td_mng_addcx(struct tdx_module *m, unsigned int lp, struct seam_args *a);
uint64_t td_mng_init(struct tdx_module *m, unsigned int lp, struct seam_args *a);
uint64_t td_mem_sept_add(struct tdx_module *m, unsigned int lp, struct seam_args *a);
uint64_t td_mem_page_add(struct tdx_module *m, unsigned int lp, struct seam_args *a);
uint64_t td_mr_extend(struct tdx_module *m, unsigned int lp, struct seam_args *a);
uint64_t td_mr_finalize(struct tdx_module *m, unsigned int lp, struct seam_args *a);
uint64_t td_mng_vpflushdone(struct tdx_module *m, unsigned int lp, struct seam_args *a);
uint64_t td_mng_key_freeid(struct tdx_module *m, unsigned int lp, struct seam_args *a);
uint64_t td_phymem_page_reclaim(struct tdx_module *m, unsigned int lp, struct seam_args *a);
uint64_t td_mng_rd(struct tdx_module *m, unsigned int lp, struct seam_args *a);
/* vcpu.c: vCPU leaves */
uint64_t td_vp_create(struct tdx_module *m, unsigned int lp, struct seam_args *a);
uint64_t td_vp_addcx(struct tdx_module *m, unsigned int lp, struct seam_args *a);
uint64_t td_vp_init(struct tdx_module *m, unsigned int lp, struct seam_args *a, unsigned int ver);
uint64_t td_vp_enter(struct tdx_module *m, unsigned int lp, struct seam_args *a);
uint64_t td_vp_flush(struct tdx_module *m, unsigned int lp, struct seam_args *a);

/* handoff.c */
void handoff_write(struct tdx_module *m, uint16_t hv);
uint64_t handoff_check(struct tdx_module *m);
void handoff_restore(struct tdx_module *m);
void handoff_clear(struct seam_platform *p);
/* live header fields, for SYS.RD and P-SEAMLDR */
void handoff_header(const struct seam_platform *p, uint8_t *valid, uint16_t *hv, uint32_t *size);

/* Is pa inside a configured TDMR (memory the module may convert)? */
bool tdx_pa_in_tdmr(const struct tdx_module *m, uint64_t pa);

#endif /* TDXUP_FW_TDX_MODULE_H */
