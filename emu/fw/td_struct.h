/* SPDX-License-Identifier: MIT */
/*
 * Byte layout of the TD control pages as our module builds keep them in host
 * memory (TDR, TDCS, TDVPR). The spec fixes the order of the measurement
 * fields (tdx-module.md 5.3) but not offsets inside the TDCS; the offsets
 * here are ours (inferred). Every emulated build shares them except the
 * packed hash state, whose format belongs to the build's crypto library.
 * Because the pages live in physmem, a module update leaves them untouched.
 */
#ifndef TDXUP_FW_TD_STRUCT_H
#define TDXUP_FW_TD_STRUCT_H

#include "fw/tdx_module.h"
#include "tdxup/td_abi.h"

/* TDR */
#define TDR_LIFECYCLE		0x00	/* u8 */
#define TDR_FATAL		0x01	/* u8 */
#define TDR_NUM_TDCX		0x02	/* u8 */
#define TDR_HKID		0x04	/* u16 */
#define TDR_PKG_CONFIG		0x08	/* u32 */
#define TDR_TDCX_PA		0x10	/* u64[TDX_TDCS_PAGES] */
#define TDR_CHLD_CNT		0x50	/* u64: pages the TD owns besides the TDR */

/* TDCS page 0: management and measurement fields */
#define TDCS_OP_STATE		0x000	/* u32 */
#define TDCS_NUM_VCPUS		0x004	/* u32 */
#define TDCS_MAX_VCPUS		0x008	/* u32 */
#define TDCS_NUM_ASSOC_VCPUS	0x00C	/* u32: vCPUs associated with an LP */
#define TDCS_ATTRIBUTES		0x010	/* u64 */
#define TDCS_XFAM		0x018	/* u64 */
#define TDCS_TSC_FREQUENCY	0x020	/* u16 */
#define TDCS_NUM_INIT_VCPUS	0x024	/* u32 */
#define TDCS_MEASUREMENT	0x400	/* tdcs_measurement_fields_t, 832 bytes */
#define TDCS_MRTD		(TDCS_MEASUREMENT + 0)
#define TDCS_MRCONFIGID		(TDCS_MEASUREMENT + 48)
#define TDCS_MROWNER		(TDCS_MEASUREMENT + 96)
#define TDCS_MROWNERCONFIG	(TDCS_MEASUREMENT + 144)
#define TDCS_RTMR		(TDCS_MEASUREMENT + 192)	/* 4 x 48 */
#define TDCS_LAST_TEEINFO_HASH	(TDCS_MEASUREMENT + 384)
#define TDCS_RTMR_LOCK		(TDCS_MEASUREMENT + 432)
#define TDCS_TEEINFO_VALID	(TDCS_MEASUREMENT + 433)
#define TDCS_MRTD_CTX_VERSION	(TDCS_MEASUREMENT + 477)	/* u16, after 43 reserved */
#define TDCS_SHA_SEAMDB_INDEX	(TDCS_MEASUREMENT + 479)	/* u64 */
#define TDCS_SHA_BUFFER		(TDCS_MEASUREMENT + 487)	/* 256 bytes */
#define TDCS_MEASUREMENT_SIZE	832

/* TDCS page 1: x2APIC IDs of initialised vCPUs (u32 each) */
#define TDCS_X2APIC_PAGE	1
#define TDX_MAX_VCPUS		1024
/* TDCS page 2: the Secure EPT root (PML4) */
#define TDCS_SEPT_ROOT_PAGE	2

/* TDVPR */
#define TDVPR_STATE		0x00	/* u8: enum vcpu_state */
#define TDVPR_NUM_TDCX		0x01	/* u8 */
#define TDVPR_INDEX		0x04	/* u32 */
#define TDVPR_TDR		0x08	/* u64 */
#define TDVPR_TDCX_PA		0x10	/* u64[TDX_TDVPS_PAGES - 1] */
#define TDVPR_X2APIC_ID		0x30	/* u32 */
#define TDVPR_ASSOC_LP		0x34	/* u32, TDVPR_NO_LP when none */
#define TDVPR_GUEST_RCX		0x38	/* u64: the guest's initial RCX */
#define TDVPR_NO_LP		0xFFFFFFFFu

enum vcpu_state {
	VCPU_CREATED		= 0,
	VCPU_INITIALIZED	= 1,
};

/* Secure EPT entries (inferred encoding): HPA | present */
#define SEPT_PRESENT		1ULL
#define SEPT_LEVELS		4	/* GPAW 48 */
#define GPA_SHARED_BIT		(1ULL << 47)
#define GPA_MAX			(1ULL << 48)

/* A TD as one leaf sees it: the TDR and its TDCS pages, mapped. */
struct td_ref {
	uint64_t tdr_pa;
	uint8_t *tdr;
	uint8_t *tdcs[TDX_TDCS_PAGES];
	unsigned int nr_tdcs;
};

uint64_t td_lookup(struct tdx_module *m, uint64_t tdr_pa, enum tdx_operand_id op,
		   struct td_ref *td);
uint64_t td_gate(struct tdx_module *m, struct td_ref *td, unsigned int leaf);
uint64_t td_check_compat(struct tdx_module *m, struct td_ref *td);
uint64_t td_claim_page(struct tdx_module *m, uint64_t pa, enum tdx_operand_id op,
		       uint8_t **page);
void td_own_page(struct tdx_module *m, struct td_ref *td, uint64_t pa, enum pamt_type type);

static inline uint32_t tdcs_op_state(const struct td_ref *td)
{
	return le32(td->tdcs[0] + TDCS_OP_STATE);
}

/* sept.c */
uint64_t sept_walk(struct tdx_module *m, struct td_ref *td, uint64_t gpa, int level,
		   uint8_t **entry, struct seam_args *a);
uint64_t sept_map_gpa(struct tdx_module *m, struct td_ref *td, uint64_t gpa, uint8_t **data);

#endif /* TDXUP_FW_TD_STRUCT_H */
