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

#include "tdxup/module_build.h"
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

#define LIB_IPP_2021_7		"IPP 2021.7.1"
#define LIB_IPP_2021_10		"IPP 2021.10.0"
#define LIB_ICP_1_0		"Intel Cryptography Primitives 1.0.1"
#define LIB_ICP_NEXT		"hypothetical successor of Intel Cryptography Primitives 1.0.1"

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

int module_version_parse(const char *s, uint16_t *major, uint16_t *minor, uint16_t *update)
{
	uint16_t v[3];

	if (!s)
		return -EINVAL;
	for (int i = 0; i < 3; i++) {
		uint32_t n = 0;
		const char *start = s;

		/* Decimal digits only: no sign, no spaces, no hex. */
		while (*s >= '0' && *s <= '9') {
			n = n * 10 + (uint32_t)(*s - '0');
			if (n > UINT16_MAX)
				return -EINVAL;
			s++;
		}
		if (s == start)
			return -EINVAL;
		if (*s != (i < 2 ? '.' : '\0'))
			return -EINVAL;
		if (i < 2)
			s++;
		v[i] = (uint16_t)n;
	}
	if (major)
		*major = v[0];
	if (minor)
		*minor = v[1];
	if (update)
		*update = v[2];
	return 0;
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

/*
 * Descriptor, MODULE_DESC_SIZE bytes at the start of module page 0, all
 * little-endian (our own format):
 *
 *   0  8  magic "TDXUPMOD"        42  1  seamsvn_minor
 *   8  4  format version (1)      43  1  seamsvn_major
 *  12  2  major                   44  4  nr_module_pages
 *  14  2  minor                   48  4  nr_cpu_fms (<= 4)
 *  16  2  update                  52 16  cpu_fms[4] (unused slots 0)
 *  18  2  build_num               68 60  reserved, 0
 *  20  4  build_date (YYYYMMDD)
 *  24  8  tdx_features0
 *  32  2  module_hv
 *  34  2  min_update_hv
 *  36  1  no_downgrade (0/1)
 *  37  1  flags: bit 0 update_compat, bit 1 hypothetical
 *  38  2  crypto_layout
 *  40  2  num_handoff_pages (sigstruct form: count - 1)
 */
#define DESC_MAGIC		0
#define DESC_FORMAT		8
#define DESC_MAJOR		12
#define DESC_MINOR		14
#define DESC_UPDATE		16
#define DESC_BUILD_NUM		18
#define DESC_BUILD_DATE		20
#define DESC_FEATURES0		24
#define DESC_MODULE_HV		32
#define DESC_MIN_UPDATE_HV	34
#define DESC_NO_DOWNGRADE	36
#define DESC_FLAGS		37
#define DESC_CRYPTO_LAYOUT	38
#define DESC_HANDOFF_PAGES	40
#define DESC_SEAMSVN_MINOR	42
#define DESC_SEAMSVN_MAJOR	43
#define DESC_NR_MODULE_PAGES	44
#define DESC_NR_CPU_FMS		48
#define DESC_CPU_FMS		52
#define DESC_RESERVED		(DESC_CPU_FMS + 4 * MODULE_BUILD_MAX_FMS)

#define DESC_FORMAT_VERSION	1
#define DESC_FLAG_UPDATE_COMPAT	(1u << 0)
#define DESC_FLAG_HYPOTHETICAL	(1u << 1)
#define DESC_FLAGS_KNOWN	(DESC_FLAG_UPDATE_COMPAT | DESC_FLAG_HYPOTHETICAL)

void module_desc_encode(const struct module_build *b, uint8_t desc[MODULE_DESC_SIZE])
{
	unsigned int nr_fms = b->nr_cpu_fms;

	memset(desc, 0, MODULE_DESC_SIZE);
	memcpy(desc + DESC_MAGIC, MODULE_DESC_MAGIC, 8);
	put_le32(desc + DESC_FORMAT, DESC_FORMAT_VERSION);
	put_le16(desc + DESC_MAJOR, b->major);
	put_le16(desc + DESC_MINOR, b->minor);
	put_le16(desc + DESC_UPDATE, b->update);
	put_le16(desc + DESC_BUILD_NUM, b->build_num);
	put_le32(desc + DESC_BUILD_DATE, b->build_date);
	put_le64(desc + DESC_FEATURES0, b->tdx_features0);
	put_le16(desc + DESC_MODULE_HV, b->module_hv);
	put_le16(desc + DESC_MIN_UPDATE_HV, b->min_update_hv);
	desc[DESC_NO_DOWNGRADE] = b->no_downgrade;
	desc[DESC_FLAGS] = (uint8_t)((b->update_compat ? DESC_FLAG_UPDATE_COMPAT : 0) |
				     (b->hypothetical ? DESC_FLAG_HYPOTHETICAL : 0));
	put_le16(desc + DESC_CRYPTO_LAYOUT, b->crypto_layout);
	put_le16(desc + DESC_HANDOFF_PAGES, b->num_handoff_pages);
	desc[DESC_SEAMSVN_MINOR] = b->seamsvn_minor;
	desc[DESC_SEAMSVN_MAJOR] = b->seamsvn_major;
	put_le32(desc + DESC_NR_MODULE_PAGES, b->nr_module_pages);
	/* The count is stored as given so that decode can refuse it. */
	put_le32(desc + DESC_NR_CPU_FMS, nr_fms);
	if (nr_fms > MODULE_BUILD_MAX_FMS)
		nr_fms = MODULE_BUILD_MAX_FMS;
	for (unsigned int i = 0; i < nr_fms; i++)
		put_le32(desc + DESC_CPU_FMS + 4 * i, b->cpu_fms[i]);
}

static bool crypto_layout_known(uint16_t layout)
{
	switch (layout) {
	case CRYPTO_LAYOUT_ICP_1_0:
	case CRYPTO_LAYOUT_ICP_NEXT:
	case CRYPTO_LAYOUT_IPP_2021_10:
	case CRYPTO_LAYOUT_IPP_2021_7:
		return true;
	}
	return false;
}

static const char *crypto_layout_lib(uint16_t layout)
{
	switch (layout) {
	case CRYPTO_LAYOUT_ICP_1_0:
		return LIB_ICP_1_0;
	case CRYPTO_LAYOUT_ICP_NEXT:
		return LIB_ICP_NEXT;
	case CRYPTO_LAYOUT_IPP_2021_10:
		return LIB_IPP_2021_10;
	case CRYPTO_LAYOUT_IPP_2021_7:
		return LIB_IPP_2021_7;
	}
	return "unknown";
}

/* YYYYMMDD with a plausible year, month and day (no calendar check). */
static bool build_date_valid(uint32_t d)
{
	uint32_t year = d / 10000, month = d / 100 % 100, day = d % 100;

	return year >= 2000 && year <= 2099 && month >= 1 && month <= 12 &&
	       day >= 1 && day <= 31;
}

static bool desc_values_sane(const uint8_t *desc)
{
	uint32_t pages = le32(desc + DESC_NR_MODULE_PAGES);
	uint32_t nr_fms = le32(desc + DESC_NR_CPU_FMS);

	if (memcmp(desc + DESC_MAGIC, MODULE_DESC_MAGIC, 8) ||
	    le32(desc + DESC_FORMAT) != DESC_FORMAT_VERSION)
		return false;
	if (desc[DESC_FLAGS] & ~DESC_FLAGS_KNOWN || desc[DESC_NO_DOWNGRADE] > 1)
		return false;
	if (le16(desc + DESC_MIN_UPDATE_HV) > le16(desc + DESC_MODULE_HV))
		return false;
	if (!crypto_layout_known(le16(desc + DESC_CRYPTO_LAYOUT)) ||
	    !build_date_valid(le32(desc + DESC_BUILD_DATE)))
		return false;
	if (!pages || pages > SEAMLDR_MAX_NR_MODULE_PAGES || nr_fms > MODULE_BUILD_MAX_FMS)
		return false;
	/* Unused FMS slots and the reserved tail must be zero. */
	return all_zero(desc + DESC_CPU_FMS + 4 * nr_fms,
			MODULE_DESC_SIZE - DESC_CPU_FMS - 4 * nr_fms);
}

int module_desc_decode(const uint8_t *buf, size_t len, struct module_build *out)
{
	const struct module_build *known;
	struct module_build b = { 0 };

	if (!buf || len < MODULE_DESC_SIZE || !desc_values_sane(buf))
		return -EINVAL;

	b.major = le16(buf + DESC_MAJOR);
	b.minor = le16(buf + DESC_MINOR);
	b.update = le16(buf + DESC_UPDATE);
	b.build_num = le16(buf + DESC_BUILD_NUM);
	b.build_date = le32(buf + DESC_BUILD_DATE);
	b.tdx_features0 = le64(buf + DESC_FEATURES0);
	b.module_hv = le16(buf + DESC_MODULE_HV);
	b.min_update_hv = le16(buf + DESC_MIN_UPDATE_HV);
	b.no_downgrade = buf[DESC_NO_DOWNGRADE];
	b.update_compat = buf[DESC_FLAGS] & DESC_FLAG_UPDATE_COMPAT;
	b.hypothetical = buf[DESC_FLAGS] & DESC_FLAG_HYPOTHETICAL;
	b.crypto_layout = le16(buf + DESC_CRYPTO_LAYOUT);
	b.crypto_lib = crypto_layout_lib(b.crypto_layout);
	b.num_handoff_pages = le16(buf + DESC_HANDOFF_PAGES);
	b.seamsvn_minor = buf[DESC_SEAMSVN_MINOR];
	b.seamsvn_major = buf[DESC_SEAMSVN_MAJOR];
	b.nr_module_pages = le32(buf + DESC_NR_MODULE_PAGES);
	b.nr_cpu_fms = le32(buf + DESC_NR_CPU_FMS);
	for (unsigned int i = 0; i < b.nr_cpu_fms; i++)
		b.cpu_fms[i] = le32(buf + DESC_CPU_FMS + 4 * i);

	/*
	 * Strings need static storage: borrow the catalogue's when the version
	 * is known; a build made outside the catalogue gets generic ones and
	 * callers print the numbers instead.
	 */
	known = catalogue_match(b.major, b.minor, b.update);
	b.version = known ? known->version : "uncatalogued";
	b.note = known && known->hypothetical == b.hypothetical ? known->note :
		 "not in the built-in catalogue";
	*out = b;
	return 0;
}
