// SPDX-License-Identifier: MIT
/*
 * The catalogue of emulated TDX module builds and the signed TDX-BLOB images
 * made from them. An image is real in every byte P-SEAMLDR checks (header,
 * sigstruct, RSA signature, seamhash); only the module "code" is a
 * descriptor plus deterministic filler, because the emulator instantiates
 * the module behaviour from the descriptor instead of running ELF code.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "emu/module_build.h"
#include "tdxup/seamldr_abi.h"


/* TDX_FEATURES0 (tdx-module.md 8) */
#define F0_TD_PRESERVING	(1ULL << 1)
#define F0_NO_RBP_MOD		(1ULL << 18)
#define F0_UPDATE_COMPAT	(1ULL << 47)
/* Every published release has bits 1 and 18 (tdx-module.md 8). */
#define F0_BASE			(F0_TD_PRESERVING | F0_NO_RBP_MOD)
#define F0_COMPAT		(F0_BASE | F0_UPDATE_COMPAT)

/* CPUID.1.EAX values (seamldr.md 5). */
#define FMS_SPR			0x806f8
#define FMS_EMR			0xc06f0
#define FMS_GNR_D		0xa06f0
#define FMS_2_0_A		0xa06d0
#define FMS_2_0_B		0xa06e0


/* num_handoff_pages as the sigstruct stores it (count - 1), seamldr.md 5. */
#define HANDOFF_PAGES_1_5	13
#define HANDOFF_PAGES_2_0	24

/*
 * SEAM SVNs: the spec fixes 1.5.16 = 0x10B and 2.0.08 = 0x305; the other
 * minor SVNs are inferred, strictly increasing with the update number so
 * that the P-SEAMLDR anti-downgrade check orders the 1.5 line correctly.
 * Build dates, build numbers and module page counts are inferred too (page
 * counts are kept small so tests stay fast; real modules have 101-146).
 */
static const struct module_build catalogue[] = {
	{
		.version = "1.5.01", .major = 1, .minor = 5, .update = 1,
		.build_num = 698, .build_date = 20230323,
		.tdx_features0 = F0_BASE,
		.num_handoff_pages = HANDOFF_PAGES_1_5,
		.crypto_layout = CRYPTO_LAYOUT_IPP_2021_7, .crypto_lib = LIB_IPP_2021_7,
		.seamsvn_minor = 0x01, .seamsvn_major = 1,
		.cpu_fms = { FMS_SPR, FMS_EMR }, .nr_cpu_fms = 2,
		.nr_module_pages = 16,
		.note = "first 1.5 release; compares the whole SHUTDOWN RCX as the HV",
	},
	{
		.version = "1.5.06", .major = 1, .minor = 5, .update = 6,
		.build_num = 744, .build_date = 20231016,
		.tdx_features0 = F0_BASE,
		.num_handoff_pages = HANDOFF_PAGES_1_5,
		.crypto_layout = CRYPTO_LAYOUT_IPP_2021_7, .crypto_lib = LIB_IPP_2021_7,
		.seamsvn_minor = 0x06, .seamsvn_major = 1,
		.cpu_fms = { FMS_SPR, FMS_EMR, FMS_GNR_D }, .nr_cpu_fms = 3,
		.nr_module_pages = 17,
		.note = "last build with IPP 2021.7.1",
	},
	{
		.version = "1.5.08", .major = 1, .minor = 5, .update = 8,
		.build_num = 789, .build_date = 20240202,
		.tdx_features0 = F0_BASE,
		.num_handoff_pages = HANDOFF_PAGES_1_5,
		.crypto_layout = CRYPTO_LAYOUT_IPP_2021_10, .crypto_lib = LIB_IPP_2021_10,
		.seamsvn_minor = 0x08, .seamsvn_major = 1,
		.cpu_fms = { FMS_SPR, FMS_EMR, FMS_GNR_D }, .nr_cpu_fms = 3,
		.nr_module_pages = 18,
		.note = "moves to IPP 2021.10.0: the packed hash state layout changes",
	},
	{
		.version = "1.5.16", .major = 1, .minor = 5, .update = 16,
		.build_num = 858, .build_date = 20250219,
		.tdx_features0 = F0_BASE,
		.num_handoff_pages = HANDOFF_PAGES_1_5,
		.crypto_layout = CRYPTO_LAYOUT_IPP_2021_10, .crypto_lib = LIB_IPP_2021_10,
		.seamsvn_minor = 0x0B, .seamsvn_major = 1,
		.cpu_fms = { FMS_SPR, FMS_EMR, FMS_GNR_D }, .nr_cpu_fms = 3,
		.nr_module_pages = 19,
		.note = "last build without update-compatibility detection",
	},
	{
		.version = "1.5.24", .major = 1, .minor = 5, .update = 24,
		.build_num = 960, .build_date = 20250815,
		.tdx_features0 = F0_COMPAT,
		.module_hv = 1, .min_update_hv = 0, .no_downgrade = 1,
		.num_handoff_pages = HANDOFF_PAGES_1_5,
		.update_compat = true,
		.crypto_layout = CRYPTO_LAYOUT_ICP_1_0, .crypto_lib = LIB_ICP_1_0,
		.seamsvn_minor = 0x0D, .seamsvn_major = 1,
		.cpu_fms = { FMS_SPR, FMS_EMR, FMS_GNR_D }, .nr_cpu_fms = 3,
		.nr_module_pages = 20,
		.note = "first build with update-compatibility detection (TDX_FEATURES0 bit 47)",
	},
	{
		.version = "1.5.25", .major = 1, .minor = 5, .update = 25,
		.build_num = 972, .build_date = 20251021,
		.tdx_features0 = F0_COMPAT,
		.module_hv = 1, .min_update_hv = 0, .no_downgrade = 1,
		.num_handoff_pages = HANDOFF_PAGES_1_5,
		.update_compat = true,
		.crypto_layout = CRYPTO_LAYOUT_ICP_1_0, .crypto_lib = LIB_ICP_1_0,
		.seamsvn_minor = 0x0E, .seamsvn_major = 1,
		.cpu_fms = { FMS_SPR, FMS_EMR, FMS_GNR_D }, .nr_cpu_fms = 3,
		.nr_module_pages = 21,
		.note = "update-compatibility detection; AVOID_COMPAT_SENSITIVE at SHUTDOWN",
	},
	{
		/* 2.0 library choice is inferred: the 1.5.20+ library, ICP 1.0.1. */
		.version = "2.0.08", .major = 2, .minor = 0, .update = 8,
		.build_num = 905, .build_date = 20250530,
		.tdx_features0 = F0_BASE,
		.num_handoff_pages = HANDOFF_PAGES_2_0,
		.crypto_layout = CRYPTO_LAYOUT_ICP_1_0, .crypto_lib = LIB_ICP_1_0,
		.seamsvn_minor = 0x05, .seamsvn_major = 3,
		.cpu_fms = { FMS_2_0_A, FMS_2_0_B }, .nr_cpu_fms = 2,
		.nr_module_pages = 24,
		.note = "2.0 line: other SEAM major SVN, so no TD-preserving update from 1.5",
	},
	{
		.version = "1.5.30", .major = 1, .minor = 5, .update = 30,
		.build_num = 1000, .build_date = 20260301,
		.tdx_features0 = F0_COMPAT,
		.module_hv = 1, .min_update_hv = 0, .no_downgrade = 1,
		.num_handoff_pages = HANDOFF_PAGES_1_5,
		.update_compat = true,
		.crypto_layout = CRYPTO_LAYOUT_ICP_NEXT, .crypto_lib = LIB_ICP_NEXT,
		.seamsvn_minor = 0x10, .seamsvn_major = 1,
		.cpu_fms = { FMS_SPR, FMS_EMR, FMS_GNR_D }, .nr_cpu_fms = 3,
		.nr_module_pages = 22,
		.hypothetical = true,
		.note = "HYPOTHETICAL, not an Intel release: exists to show the erratum between "
			"two modules that both support update compatibility",
	},
};

#define NR_CATALOGUE	(sizeof(catalogue) / sizeof(catalogue[0]))

const struct module_build *module_build_catalogue(size_t *nr)
{
	if (nr)
		*nr = NR_CATALOGUE;
	return catalogue;
}


static const struct module_build *catalogue_match(uint16_t major, uint16_t minor,
						  uint16_t update)
{
	for (size_t i = 0; i < NR_CATALOGUE; i++)
		if (catalogue[i].major == major && catalogue[i].minor == minor &&
		    catalogue[i].update == update)
			return &catalogue[i];
	return NULL;
}

/* By value, so "1.5.6" finds 1.5.06. */
const struct module_build *module_build_find(const char *version)
{
	uint16_t major, minor, update;

	if (module_version_parse(version, &major, &minor, &update))
		return NULL;
	return catalogue_match(major, minor, update);
}

