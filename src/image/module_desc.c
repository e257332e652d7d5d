// SPDX-License-Identifier: MIT
/*
 * The descriptor at the start of an emulated module's binary (our own
 * format, see include/tdxup/module_desc.h). Encoding and decoding are here,
 * beside the image code, because the production updater reads the version
 * of an emulated image exactly as it reads any other field of a file; the
 * catalogue of builds and the signing that make such images are the
 * emulator's (emu/board/module_build.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tdxup/module_desc.h"
#include "tdxup/seamldr_abi.h"


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

	snprintf(b.version, sizeof(b.version), "%u.%u.%02u", b.major, b.minor, b.update);
	b.note = b.hypothetical ? "HYPOTHETICAL, not an Intel release" : "";
	*out = b;
	return 0;
}
