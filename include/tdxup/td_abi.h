/* SPDX-License-Identifier: MIT */
/*
 * Byte layouts the host hands the TDX module by physical address, and the
 * TD metadata field IDs it reads back: TD_PARAMS (TDH.MNG.INIT), TDMR_INFO
 * (TDH.SYS.CONFIG) and the TDH.MNG.RD field IDs. Defined once, for the
 * firmware that parses them, the kernel and KVM that fill them in, and the
 * tests that drive the firmware directly.
 *
 * What tdx-module.md states is cited by section; the rest is marked
 * (inferred): the spec gives TD_PARAMS only as "1024 B, 1024-aligned" and
 * TDMR_INFO only by name, so the field offsets follow the layout of the
 * Intel TDX ABI specification as far as the emulator uses it.
 */
#ifndef TDXUP_TD_ABI_H
#define TDXUP_TD_ABI_H

#include "tdxup/tdx_abi.h"

/* ---- TD_PARAMS, read by TDH.MNG.INIT from RDX ------------------------- */

/* tdx-module.md 1.3: 1024 bytes, 1024-aligned, in shared memory. */
#define TD_PARAMS_SIZE			1024
#define TD_PARAMS_ALIGN			1024
/* Field offsets (inferred); reserved bytes must be zero. */
#define TD_PARAMS_ATTRIBUTES		0	/* u64 */
#define TD_PARAMS_XFAM			8	/* u64 */
#define TD_PARAMS_MAX_VCPUS		16	/* u16 */
#define TD_PARAMS_CONFIG_FLAGS		32	/* u64 */
#define TD_PARAMS_TSC_FREQUENCY		40	/* u16, in 25 MHz units (kernel.md 12) */
#define TD_PARAMS_MRCONFIGID		80	/* 48 bytes */
#define TD_PARAMS_MROWNER		128	/* 48 bytes */
#define TD_PARAMS_MROWNERCONFIG		176	/* 48 bytes */
#define TD_PARAMS_MR_SIZE		48	/* SHA-384 */
/* Reserved ranges the module checks are zero (inferred): offset, length. */
#define TD_PARAMS_RESERVED0		20
#define TD_PARAMS_RESERVED0_LEN		4
#define TD_PARAMS_RESERVED1		42
#define TD_PARAMS_RESERVED1_LEN		38
#define TD_PARAMS_RESERVED2		224
#define TD_PARAMS_RESERVED2_LEN		32

/* TD_PARAMS.config_flags (inferred bit numbers; kernel.md 12 names them) */
#define TD_CONFIG_FLAGS_GPAW52		BIT_ULL(0)
#define TD_CONFIG_FLAGS_NO_RBP_MOD	BIT_ULL(2)

/* TDH.MNG.INIT RCX bit 0: event filtering (tdx-module.md 1.3, 1.5.25) */
#define TDH_MNG_INIT_EVENT_FILTERING	BIT_ULL(0)

/* ---- TDMR_INFO, pointed to by the array TDH.SYS.CONFIG reads from RCX -- */

/* Minimal (inferred): base and size only, 512-byte aligned, 1 GiB units. */
#define TDMR_INFO_BASE			0	/* u64 */
#define TDMR_INFO_SIZE			8	/* u64 */
#define TDMR_INFO_LEN			16	/* bytes the module reads */
#define TDMR_INFO_ALIGN			512
#define TDMR_GRANULE			(1ULL << 30)

/* ---- TDH.MNG.RD field IDs ------------------------------------------- */

/*
 * The emulated module's TD-scope fields (inferred codes; the encoding of
 * an ID is tdx-module.md 7's: bits 33:32 element size, bit 63
 * non-architectural). MRTD and RTMR are read as 64-bit elements:
 * MRTD0 + 0..5, RTMR0 + 6 * i + j.
 */
#define TD_MD_FIELD_ATTRIBUTES		0x1110000300000000ULL
#define TD_MD_FIELD_XFAM		0x1110000300000001ULL
#define TD_MD_FIELD_OP_STATE		0x9110000200000010ULL
#define TD_MD_FIELD_NUM_VCPUS		0x1110000200000011ULL
#define TD_MD_FIELD_TSC_OFFSET		0x1110000300000020ULL
#define TD_MD_FIELD_TSC_MULTIPLIER	0x1110000300000021ULL
#define TD_MD_FIELD_MRTD_CONTEXT_VERSION 0x9310000100000030ULL
#define TD_MD_FIELD_MRTD0		0x1310000300000000ULL
#define TD_MD_FIELD_RTMR0		0x1310000300000010ULL

#endif /* TDXUP_TD_ABI_H */
