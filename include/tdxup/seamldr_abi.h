/* SPDX-License-Identifier: MIT */
/*
 * P-SEAMLDR ABI, sigstruct and TDX-BLOB layouts (docs/facts.md).
 * Structures that firmware reads from physical memory are described by byte
 * offsets (and read with the le*() helpers), never by casting a C struct
 * over the bytes, so that the layout in this file is exactly the spec's.
 */
#ifndef TDXUP_SEAMLDR_ABI_H
#define TDXUP_SEAMLDR_ABI_H

#include <stdint.h>
#include <string.h>

#include "tdxup/page.h"

/* P-SEAMLDR status codes (RAX), seamldr.md 1.1 */
#define SEAMLDR_SUCCESS		0x0000000000000000ULL
#define SEAMLDR_EBADPARAM	0x8000000000000000ULL
#define SEAMLDR_EBADCALL	0x8000000000000003ULL
#define SEAMLDR_EBADHANDOFF	0x8000000000000004ULL
#define SEAMLDR_ECLEANUPREQ	0x8000000000000005ULL
#define SEAMLDR_EUNSUPPORTED	0x8000000000000006ULL
#define SEAMLDR_ENOMEM		0x8000000000010002ULL
#define SEAMLDR_EUNSPECERR	0x8000000000010003ULL
#define SEAMLDR_EUNSUPCPU	0x8000000000010004ULL
#define SEAMLDR_EBADSIG		0x8000000000020000ULL
#define SEAMLDR_EBADHASH	0x8000000000020001ULL
#define SEAMLDR_EINTERRUPT	0x8000000000030000ULL
#define SEAMLDR_ENOENTROPY	0x8000000000030001ULL

/* SEAMLDR.INSTALL RDX on failure (seamldr.md 4.3) */
#define SEAMLDR_RECOVERABLE	0
#define SEAMLDR_UNRECOVERABLE	1

/* SEAMLDR_INFO: 256 bytes, 256-byte aligned (seamldr.md 2) */
#define SEAMLDR_INFO_SIZE			256
#define SEAMLDR_INFO_ALIGN			256
#define SEAMLDR_INFO_VERSION			0
#define SEAMLDR_INFO_ATTRIBUTES			4
#define SEAMLDR_INFO_VENDOR_ID			8
#define SEAMLDR_INFO_BUILD_DATE			12
#define SEAMLDR_INFO_BUILD_NUM			16
#define SEAMLDR_INFO_MINOR_VERSION		18
#define SEAMLDR_INFO_MAJOR_VERSION		20
#define SEAMLDR_INFO_UPDATE_VERSION		22
#define SEAMLDR_INFO_ACM_X2APICID		24
#define SEAMLDR_INFO_NUM_REMAINING_UPDATES	28
#define SEAMLDR_INFO_SEAMEXTEND			32
#define SEAMEXTEND_SIZE				136
#define SEAMEXTEND_VALID			0	/* relative to SEAMEXTEND */
#define SEAMEXTEND_TEE_TCB_SVN			8
#define SEAMEXTEND_MRSEAM			24
#define SEAMEXTEND_MRSIGNER			72
#define SEAMEXTEND_ATTRIBUTES			120
#define SEAMEXTEND_SEAM_READY			128
#define SEAMEXTEND_SEAM_DEBUG			129
#define SEAMEXTEND_P_SEAM_READY			130
#define SEAMLDR_INFO_FEATURES0			168
#define SEAMLDR_INFO_ATTR_DEBUG			(1u << 31)
#define SEAMEXTEND_VALID_ON_INSTALL		0x1FFULL

/* SEAMLDR_PARAMS: exactly 4096 bytes (seamldr.md 3) */
#define SEAMLDR_PARAMS_SIZE			PAGE_SIZE
#define SEAMLDR_PARAMS_VERSION			0
#define SEAMLDR_PARAMS_SCENARIO			4
#define SEAMLDR_PARAMS_SIGSTRUCT_PA		8
#define SEAMLDR_MAX_NR_SIG_PAGES		4
#define SEAMLDR_PARAMS_V8_RESERVED		40	/* reserved[80] */
#define SEAMLDR_PARAMS_V8_RESERVED_LEN		80
#define SEAMLDR_PARAMS_MAINLINE_RESERVED	16	/* reserved[104] */
#define SEAMLDR_PARAMS_MAINLINE_RESERVED_LEN	104
#define SEAMLDR_PARAMS_NUM_MODULE_PAGES		120
#define SEAMLDR_PARAMS_MOD_PAGES_PA_LIST	128
#define SEAMLDR_MAX_NR_MODULE_PAGES		496
#define SEAMLDR_SCENARIO_LOAD			0
#define SEAMLDR_SCENARIO_UPDATE			1

/* Sigstruct: 2048 bytes (seamldr.md 5) */
#define SIGSTRUCT_SIZE				2048
#define SIGSTRUCT_HEADER_TYPE			0
#define SIGSTRUCT_HEADER_LENGTH			4
#define SIGSTRUCT_HEADER_VERSION		8
#define SIGSTRUCT_MODULE_TYPE			12
#define SIGSTRUCT_MODULE_VENDOR			16
#define SIGSTRUCT_DATE				20
#define SIGSTRUCT_SIZE_FIELD			24
#define SIGSTRUCT_KEY_SIZE			28
#define SIGSTRUCT_MODULUS_SIZE			32
#define SIGSTRUCT_EXPONENT_SIZE			36
#define SIGSTRUCT_RESERVED0			40
#define SIGSTRUCT_MODULUS			128
#define SIGSTRUCT_EXPONENT			512
#define SIGSTRUCT_SIGNATURE			516
#define SIGSTRUCT_SEAMHASH			900
#define SIGSTRUCT_SEAMSVN			948	/* +0 minor, +1 major */
#define SIGSTRUCT_ATTRIBUTES			950
#define SIGSTRUCT_RIP_OFFSET			958
#define SIGSTRUCT_NUM_STACK_PAGES		962
#define SIGSTRUCT_NUM_TLS_PAGES			963
#define SIGSTRUCT_NUM_KEYHOLE_PAGES		964
#define SIGSTRUCT_NUM_GLOBAL_DATA_PAGES		966
#define SIGSTRUCT_MAX_TDMRS			968
#define SIGSTRUCT_MAX_RSVD_PER_TDMR		970
#define SIGSTRUCT_PAMT_ENTRY_SIZE_4K		972
#define SIGSTRUCT_PAMT_ENTRY_SIZE_2M		974
#define SIGSTRUCT_PAMT_ENTRY_SIZE_1G		976
#define SIGSTRUCT_MODULE_HV			984
#define SIGSTRUCT_MIN_UPDATE_HV			986
#define SIGSTRUCT_NO_DOWNGRADE			988
#define SIGSTRUCT_NUM_HANDOFF_PAGES		990
#define SIGSTRUCT_GDT_IDT_OFFSET		992
#define SIGSTRUCT_FAULT_WRAPPER_OFFSET		996
#define SIGSTRUCT_CPUID_TABLE_SIZE		1024
#define SIGSTRUCT_CPUID_TABLE			1028
#define SIGSTRUCT_CPUID_TABLE_MAX		255

#define SIGSTRUCT_HEADER_TYPE_VALUE		6
#define SIGSTRUCT_HEADER_LENGTH_VALUE		0xE1
#define SIGSTRUCT_HEADER_VERSION_VALUE		0x00010000
#define SIGSTRUCT_SIZE_VALUE			0x200
#define SIGSTRUCT_KEY_SIZE_VALUE		0x60
#define SIGSTRUCT_MODULUS_SIZE_VALUE		0x60
#define SIGSTRUCT_EXPONENT_SIZE_VALUE		1
#define SIGSTRUCT_EXPONENT_VALUE		0x10001
#define SIGSTRUCT_VENDOR_INTEL			0x8086
#define SIGSTRUCT_MODULE_TYPE_DEBUG		(1u << 31)
#define SIGSTRUCT_RSA_BYTES			384
#define SIGSTRUCT_FMS_MASK			0xFFFFFFF0u

#define SHA384_DIGEST_SIZE			48

/* TDX-BLOB v0x100 (seamldr.md 6.1) */
#define TDX_BLOB_VERSION_1			0x100
#define TDX_BLOB_V1_VERSION			0
#define TDX_BLOB_V1_CHECKSUM			2
#define TDX_BLOB_V1_OFFSET_OF_MODULE		4
#define TDX_BLOB_V1_SIGNATURE			8
#define TDX_BLOB_V1_LENGTH			16
#define TDX_BLOB_V1_RESERVED0			20
#define TDX_BLOB_V1_RESERVED1			24
#define TDX_BLOB_V1_RESERVED1_LEN		4072

/* TDX-BLOB v0x200, struct tdx_image (seamldr.md 6.2) */
#define TDX_IMAGE_VERSION_2			0x200
#define TDX_IMAGE_V2_VERSION			0
#define TDX_IMAGE_V2_CHECKSUM			2
#define TDX_IMAGE_V2_SIGNATURE			4
#define TDX_IMAGE_V2_SIGSTRUCT_NR_PAGES		12
#define TDX_IMAGE_V2_MODULE_NR_PAGES		16
#define TDX_IMAGE_V2_RESERVED			20
#define TDX_IMAGE_V2_RESERVED_LEN		4076

#define TDX_BLOB_SIGNATURE			"TDX-BLOB"
#define TDX_BLOB_SIGNATURE_LEN			8
#define TDX_BLOB_HEADER_SIZE			PAGE_SIZE

/* Little-endian accessors for byte-exact layouts. */
static inline uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static inline void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void put_le32(uint8_t *p, uint32_t v)
{
	put_le16(p, (uint16_t)v);
	put_le16(p + 2, (uint16_t)(v >> 16));
}

static inline void put_le64(uint8_t *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32(p + 4, (uint32_t)(v >> 32));
}

static inline int all_zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return 0;
	return 1;
}

#endif /* TDXUP_SEAMLDR_ABI_H */
