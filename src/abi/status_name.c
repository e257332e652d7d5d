// SPDX-License-Identifier: MIT
/*
 * SEAMCALL status names (tdx-module.md 2, seamldr.md 1.1). Table-driven so
 * that adding a status is one line; names follow Linux where it has one
 * (TDX_UPDATE_COMPAT_SENSITIVE), otherwise the spec.
 */
#include <stdio.h>

#include "tdxup/seamldr_abi.h"
#include "tdxup/status_name.h"
#include "tdxup/tdx_abi.h"

struct status_name {
	uint64_t value;
	const char *name;
};

#define S(x)	{ x, #x }

/*
 * Matched against the whole RAX: their low 32 bits are part of the code.
 * SEAMLDR_SUCCESS is left out, TDX_SUCCESS (also 0) names it.
 */
static const struct status_name exact_codes[] = {
	S(SEAMLDR_EBADPARAM),
	S(SEAMLDR_EBADCALL),
	S(SEAMLDR_EBADHANDOFF),
	S(SEAMLDR_ECLEANUPREQ),
	S(SEAMLDR_EUNSUPPORTED),
	S(SEAMLDR_ENOMEM),
	S(SEAMLDR_EUNSPECERR),
	S(SEAMLDR_EUNSUPCPU),
	S(SEAMLDR_EBADSIG),
	S(SEAMLDR_EBADHASH),
	S(SEAMLDR_EINTERRUPT),
	S(SEAMLDR_ENOENTROPY),
	S(TDX_SEAMCALL_VMFAILINVALID),
	S(TDX_SEAMCALL_GP),
	S(TDX_SEAMCALL_UD),
};

/* Matched after TDX_SEAMCALL_STATUS_MASK: the low 32 bits are details. */
static const struct status_name module_codes[] = {
	S(TDX_SUCCESS),
	S(TDX_OPERAND_INVALID),
	S(TDX_OPERAND_ADDR_RANGE_ERROR),
	S(TDX_OPERAND_BUSY),
	S(TDX_PREVIOUS_TLB_EPOCH_BUSY),
	S(TDX_SYS_BUSY),
	S(TDX_RND_NO_ENTROPY),
	S(TDX_OPERAND_BUSY_HOST_PRIORITY),
	S(TDX_PAGE_METADATA_INCORRECT),
	S(TDX_PAGE_NOT_FREE),
	S(TDX_SYS_INIT_NOT_PENDING),
	S(TDX_SYS_LP_INIT_NOT_DONE),
	S(TDX_SYS_LP_INIT_DONE),
	S(TDX_SYS_NOT_READY),
	S(TDX_SYS_SHUTDOWN),
	S(TDX_SYS_KEY_CONFIG_NOT_PENDING),
	S(TDX_SYS_STATE_INCORRECT),
	S(TDX_SYS_INVALID_HANDOFF),
	S(TDX_SYS_INCOMPATIBLE_SIGSTRUCT),
	S(TDX_SYS_LP_INIT_NOT_PENDING),
	S(TDX_SYS_CONFIG_NOT_PENDING),
	S(TDX_INCOMPATIBLE_SEAM_CAPABILITIES),
	S(TDX_CRYPTO_SELF_TEST_FAILED),
	S(TDX_UPDATE_COMPAT_SENSITIVE),
	S(TDX_TD_FATAL),
	S(TDX_TD_NON_DEBUG),
	S(TDX_TDCS_NOT_ALLOCATED),
	S(TDX_LIFECYCLE_STATE_INCORRECT),
	S(TDX_OP_STATE_INCORRECT),
	S(TDX_NO_VCPUS),
	S(TDX_TDCX_NUM_INCORRECT),
	S(TDX_X2APIC_ID_NOT_UNIQUE),
	S(TDX_INCOMPATIBLE_MRTD_CONTEXT),
	S(TDX_VCPU_STATE_INCORRECT),
	S(TDX_MAX_VCPUS_EXCEEDED),
	S(TDX_KEY_GENERATION_FAILED),
	S(TDX_TD_KEYS_NOT_CONFIGURED),
	S(TDX_KEY_STATE_INCORRECT),
	S(TDX_KEY_CONFIGURED),
	S(TDX_FLUSHVP_NOT_DONE),
	S(TDX_TDMR_ALREADY_INITIALIZED),
	S(TDX_EPT_WALK_FAILED),
	S(TDX_EPT_ENTRY_NOT_FREE),
	S(TDX_EPT_ENTRY_NOT_PRESENT),
	S(TDX_EPT_ENTRY_STATE_INCORRECT),
	S(TDX_METADATA_FIELD_ID_INCORRECT),
	S(TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT),
	S(TDX_INCOMPATIBLE_MBMD_MAC_CONTEXT),
};

#undef S

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const char *lookup(const struct status_name *t, size_t n, uint64_t v)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].value == v)
			return t[i].name;
	return NULL;
}

const char *tdx_status_name(uint64_t status)
{
	const char *name = lookup(exact_codes, ARRAY_SIZE(exact_codes), status);

	if (name)
		return name;
	return lookup(module_codes, ARRAY_SIZE(module_codes),
		      status & TDX_SEAMCALL_STATUS_MASK);
}

char *tdx_status_str(uint64_t status, char *buf, size_t len)
{
	const char *name = tdx_status_name(status);

	if (!buf || !len)
		return buf;
	snprintf(buf, len, "%s (0x%016llX)", name ? name : "unknown status",
		 (unsigned long long)status);
	return buf;
}

/* Name of the leaf a RAX value selects (P-SEAMLDR leaves have bit 63). */
const char *tdx_leaf_name(uint64_t rax)
{
	static const char *const names[] = {
		[TDH_VP_ENTER] = "TDH.VP.ENTER",
		[TDH_MNG_ADDCX] = "TDH.MNG.ADDCX",
		[TDH_MEM_PAGE_ADD] = "TDH.MEM.PAGE.ADD",
		[TDH_MEM_SEPT_ADD] = "TDH.MEM.SEPT.ADD",
		[TDH_VP_ADDCX] = "TDH.VP.ADDCX",
		[TDH_MNG_KEY_CONFIG] = "TDH.MNG.KEY.CONFIG",
		[TDH_MNG_CREATE] = "TDH.MNG.CREATE",
		[TDH_VP_CREATE] = "TDH.VP.CREATE",
		[TDH_MNG_RD] = "TDH.MNG.RD",
		[TDH_MR_EXTEND] = "TDH.MR.EXTEND",
		[TDH_MR_FINALIZE] = "TDH.MR.FINALIZE",
		[TDH_VP_FLUSH] = "TDH.VP.FLUSH",
		[TDH_MNG_VPFLUSHDONE] = "TDH.MNG.VPFLUSHDONE",
		[TDH_MNG_KEY_FREEID] = "TDH.MNG.KEY.FREEID",
		[TDH_MNG_INIT] = "TDH.MNG.INIT",
		[TDH_VP_INIT] = "TDH.VP.INIT",
		[TDH_PHYMEM_PAGE_RECLAIM] = "TDH.PHYMEM.PAGE.RECLAIM",
		[TDH_SYS_KEY_CONFIG] = "TDH.SYS.KEY.CONFIG",
		[TDH_SYS_INIT] = "TDH.SYS.INIT",
		[TDH_SYS_RD] = "TDH.SYS.RD",
		[TDH_SYS_LP_INIT] = "TDH.SYS.LP.INIT",
		[TDH_SYS_TDMR_INIT] = "TDH.SYS.TDMR.INIT",
		[TDH_SYS_LP_SHUTDOWN] = "TDH.SYS.LP.SHUTDOWN",
		[TDH_SYS_CONFIG] = "TDH.SYS.CONFIG",
		[TDH_SYS_SHUTDOWN] = "TDH.SYS.SHUTDOWN",
		[TDH_SYS_UPDATE] = "TDH.SYS.UPDATE",
	};
	unsigned int leaf = rax & TDX_LEAF_MASK;

	if (rax & P_SEAMLDR_SEAMCALL_BASE) {
		switch (rax) {
		case SEAMLDR_INFO:	return "SEAMLDR.INFO";
		case SEAMLDR_INSTALL:	return "SEAMLDR.INSTALL";
		}
		return "SEAMLDR.?";
	}
	if (leaf < sizeof(names) / sizeof(names[0]) && names[leaf])
		return names[leaf];
	return "TDH.?";
}
