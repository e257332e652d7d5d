// SPDX-License-Identifier: MIT
/* The catalogue of emulated module builds, descriptors and signed images. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "tdxup/image.h"
#include "emu/module_build.h"
#include "tdxup/sigstruct.h"

struct expect {
	const char *version;
	uint16_t major, minor, update;
	uint16_t svn;			/* major << 8 | minor */
	uint64_t features0;
	uint16_t hv, min_hv;
	uint8_t no_downgrade;
	bool compat;
	uint16_t layout;
	uint16_t handoff;
	unsigned int nr_fms;
	uint32_t fms[3];
	bool hypothetical;
};

static const struct expect expected[] = {
	{ "1.5.01", 1, 5, 1, 0x101, 0x40002, 0, 0, 0, false, CRYPTO_LAYOUT_IPP_2021_7, 13,
	  2, { 0x806f8, 0xc06f0 }, false },
	{ "1.5.06", 1, 5, 6, 0x106, 0x40002, 0, 0, 0, false, CRYPTO_LAYOUT_IPP_2021_7, 13,
	  3, { 0x806f8, 0xc06f0, 0xa06f0 }, false },
	{ "1.5.08", 1, 5, 8, 0x108, 0x40002, 0, 0, 0, false, CRYPTO_LAYOUT_IPP_2021_10, 13,
	  3, { 0x806f8, 0xc06f0, 0xa06f0 }, false },
	{ "1.5.16", 1, 5, 16, 0x10B, 0x40002, 0, 0, 0, false, CRYPTO_LAYOUT_IPP_2021_10, 13,
	  3, { 0x806f8, 0xc06f0, 0xa06f0 }, false },
	{ "1.5.24", 1, 5, 24, 0x10D, 0x800000040002ULL, 1, 0, 1, true, CRYPTO_LAYOUT_ICP_1_0, 13,
	  3, { 0x806f8, 0xc06f0, 0xa06f0 }, false },
	{ "1.5.25", 1, 5, 25, 0x10E, 0x800000040002ULL, 1, 0, 1, true, CRYPTO_LAYOUT_ICP_1_0, 13,
	  3, { 0x806f8, 0xc06f0, 0xa06f0 }, false },
	{ "2.0.08", 2, 0, 8, 0x305, 0x40002, 0, 0, 0, false, CRYPTO_LAYOUT_ICP_1_0, 24,
	  2, { 0xa06d0, 0xa06e0 }, false },
	{ "1.5.30", 1, 5, 30, 0x110, 0x800000040002ULL, 1, 0, 1, true, CRYPTO_LAYOUT_ICP_NEXT, 13,
	  3, { 0x806f8, 0xc06f0, 0xa06f0 }, true },
};

#define NR_EXPECTED	(sizeof(expected) / sizeof(expected[0]))

static void test_catalogue_contents(void **state)
{
	const struct module_build *cat;
	size_t nr = 0;

	cat = module_build_catalogue(&nr);
	assert_non_null(cat);
	assert_int_equal(nr, NR_EXPECTED);
	for (size_t i = 0; i < nr; i++) {
		const struct module_build *b = &cat[i];
		const struct expect *e = &expected[i];

		assert_string_equal(b->version, e->version);
		assert_int_equal(b->major, e->major);
		assert_int_equal(b->minor, e->minor);
		assert_int_equal(b->update, e->update);
		assert_int_equal(b->seamsvn_major << 8 | b->seamsvn_minor, e->svn);
		assert_int_equal(b->tdx_features0, e->features0);
		assert_int_equal(b->module_hv, e->hv);
		assert_int_equal(b->min_update_hv, e->min_hv);
		assert_int_equal(b->no_downgrade, e->no_downgrade);
		assert_int_equal(b->update_compat, e->compat);
		/* Bit 47 exactly when the build has update compatibility. */
		assert_int_equal(!!(b->tdx_features0 & (1ULL << 47)), e->compat);
		assert_int_equal(b->crypto_layout, e->layout);
		assert_int_equal(b->num_handoff_pages, e->handoff);
		assert_int_equal(b->nr_cpu_fms, e->nr_fms);
		for (unsigned int j = 0; j < e->nr_fms; j++)
			assert_int_equal(b->cpu_fms[j], e->fms[j]);
		assert_int_equal(b->hypothetical, e->hypothetical);
		assert_non_null(b->crypto_lib);
		assert_non_null(b->note);
		assert_in_range(b->nr_module_pages, 16, 24);
		assert_in_range(b->build_date, 20230101, 20261231);
	}
}

static void test_catalogue_libraries(void **state)
{
	assert_string_equal(module_build_find("1.5.01")->crypto_lib, "IPP 2021.7.1");
	assert_string_equal(module_build_find("1.5.06")->crypto_lib, "IPP 2021.7.1");
	assert_string_equal(module_build_find("1.5.08")->crypto_lib, "IPP 2021.10.0");
	assert_string_equal(module_build_find("1.5.16")->crypto_lib, "IPP 2021.10.0");
	assert_string_equal(module_build_find("1.5.24")->crypto_lib,
			    "Intel Cryptography Primitives 1.0.1");
	assert_string_equal(module_build_find("1.5.25")->crypto_lib,
			    "Intel Cryptography Primitives 1.0.1");
}

static void test_catalogue_hypothetical_labelled(void **state)
{
	const struct module_build *cat, *h;
	size_t nr, nr_hyp = 0;

	cat = module_build_catalogue(&nr);
	for (size_t i = 0; i < nr; i++)
		nr_hyp += cat[i].hypothetical;
	assert_int_equal(nr_hyp, 1);
	h = module_build_find("1.5.30");
	assert_non_null(h);
	assert_true(h->hypothetical);
	assert_non_null(strstr(h->note, "HYPOTHETICAL"));
	assert_non_null(strstr(h->note, "not an Intel release"));
	assert_non_null(strstr(h->note, "update compatibility"));
	/* The point of it: compat on both sides, different crypto layouts. */
	assert_int_not_equal(h->crypto_layout, module_build_find("1.5.25")->crypto_layout);
}

/* Anti-downgrade needs the 1.5 SVNs to rise with the version. */
static void test_catalogue_svn_order(void **state)
{
	const struct module_build *cat;
	int prev = -1;
	size_t nr;

	cat = module_build_catalogue(&nr);
	for (size_t i = 0; i < nr; i++) {
		int svn = cat[i].seamsvn_major << 8 | cat[i].seamsvn_minor;

		if (cat[i].major != 1)
			continue;
		assert_int_equal(cat[i].seamsvn_major, 1);
		assert_true(svn > prev);
		prev = svn;
	}
	assert_int_equal(prev, 0x110);
	assert_int_equal(module_build_find("1.5.16")->seamsvn_minor, 0x0B);
}

static void test_find(void **state)
{
	const struct module_build *cat;
	size_t nr;

	cat = module_build_catalogue(&nr);
	assert_ptr_equal(module_build_find("1.5.01"), &cat[0]);
	assert_ptr_equal(module_build_find("1.5.25"), &cat[5]);
	assert_ptr_equal(module_build_find("2.0.08"), &cat[6]);
	assert_ptr_equal(module_build_find("1.5.6"), &cat[1]);
	assert_ptr_equal(module_build_find("001.005.0025"), &cat[5]);
	assert_null(module_build_find("1.5.99"));
	assert_null(module_build_find("1.5"));
	assert_null(module_build_find(""));
	assert_null(module_build_find(NULL));
	assert_null(module_build_find("1.5.25 "));
}

static void test_version_parse_good(void **state)
{
	uint16_t a = 9, b = 9, c = 9;

	assert_int_equal(module_version_parse("1.5.06", &a, &b, &c), 0);
	assert_int_equal(a, 1);
	assert_int_equal(b, 5);
	assert_int_equal(c, 6);
	assert_int_equal(module_version_parse("0.0.0", &a, &b, &c), 0);
	assert_int_equal(a + b + c, 0);
	assert_int_equal(module_version_parse("65535.65535.65535", &a, &b, &c), 0);
	assert_int_equal(a, 65535);
	assert_int_equal(b, 65535);
	assert_int_equal(c, 65535);
	assert_int_equal(module_version_parse("2.0.08", &a, &b, &c), 0);
	assert_int_equal(a, 2);
	assert_int_equal(b, 0);
	assert_int_equal(c, 8);
	assert_int_equal(module_version_parse("00000000000000000001.5.25", &a, &b, &c), 0);
	assert_int_equal(a, 1);
	assert_int_equal(module_version_parse("1.5.25", NULL, NULL, NULL), 0);
}

static void test_version_parse_bad(void **state)
{
	static const char *const bad[] = {
		"", "1", "1.5", "1.5.", ".5.1", "1..5", "1.5.06x", "1.5.06 ", " 1.5.06",
		"1.5.65536", "65536.0.0", "-1.5.1", "+1.5.1", "1.5.0x1", "1.5.1.2", "a.b.c",
		"99999999999999999999.1.1", "1,5,1", "1.5.1\n", "1 .5.1",
	};
	uint16_t a = 7, b = 7, c = 7;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (module_version_parse(bad[i], &a, &b, &c) != -EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
	}
	assert_int_equal(module_version_parse(NULL, &a, &b, &c), -EINVAL);
	/* Outputs untouched on failure. */
	assert_int_equal(a, 7);
	assert_int_equal(b, 7);
	assert_int_equal(c, 7);
}

static void test_desc_layout(void **state)
{
	const struct module_build *b = module_build_find("1.5.25");
	uint8_t d[MODULE_DESC_SIZE];

	module_desc_encode(b, d);
	assert_memory_equal(d, "TDXUPMOD", 8);
	assert_int_equal(le32(d + 8), 1);
	assert_int_equal(le16(d + 12), 1);
	assert_int_equal(le16(d + 14), 5);
	assert_int_equal(le16(d + 16), 25);
	assert_int_equal(le16(d + 18), b->build_num);
	assert_int_equal(le32(d + 20), b->build_date);
	assert_int_equal(le64(d + 24), 0x800000040002ULL);
	assert_int_equal(le16(d + 32), 1);
	assert_int_equal(le16(d + 34), 0);
	assert_int_equal(d[36], 1);
	assert_int_equal(d[37], 0x01);
	assert_int_equal(le16(d + 38), CRYPTO_LAYOUT_ICP_1_0);
	assert_int_equal(le16(d + 40), 13);
	assert_int_equal(d[42], 0x0E);
	assert_int_equal(d[43], 1);
	assert_int_equal(le32(d + 44), 21);
	assert_int_equal(le32(d + 48), 3);
	assert_int_equal(le32(d + 52), 0x806f8);
	assert_int_equal(le32(d + 56), 0xc06f0);
	assert_int_equal(le32(d + 60), 0xa06f0);
	assert_true(all_zero(d + 64, MODULE_DESC_SIZE - 64));

	module_desc_encode(module_build_find("1.5.30"), d);
	assert_int_equal(d[37], 0x03);
	assert_int_equal(le16(d + 38), CRYPTO_LAYOUT_ICP_NEXT);
}

static void assert_build_equal(const struct module_build *a, const struct module_build *b)
{
	assert_string_equal(a->version, b->version);
	assert_int_equal(a->major, b->major);
	assert_int_equal(a->minor, b->minor);
	assert_int_equal(a->update, b->update);
	assert_int_equal(a->build_num, b->build_num);
	assert_int_equal(a->build_date, b->build_date);
	assert_int_equal(a->tdx_features0, b->tdx_features0);
	assert_int_equal(a->module_hv, b->module_hv);
	assert_int_equal(a->min_update_hv, b->min_update_hv);
	assert_int_equal(a->no_downgrade, b->no_downgrade);
	assert_int_equal(a->num_handoff_pages, b->num_handoff_pages);
	assert_int_equal(a->update_compat, b->update_compat);
	assert_int_equal(a->crypto_layout, b->crypto_layout);
	assert_string_equal(a->crypto_lib, b->crypto_lib);
	assert_int_equal(a->seamsvn_minor, b->seamsvn_minor);
	assert_int_equal(a->seamsvn_major, b->seamsvn_major);
	assert_int_equal(a->nr_cpu_fms, b->nr_cpu_fms);
	assert_memory_equal(a->cpu_fms, b->cpu_fms, sizeof(a->cpu_fms));
	assert_int_equal(a->nr_module_pages, b->nr_module_pages);
	assert_int_equal(a->hypothetical, b->hypothetical);
	assert_string_equal(a->version, b->version);
}

static void test_desc_roundtrip(void **state)
{
	const struct module_build *cat;
	uint8_t d[MODULE_DESC_SIZE];
	struct module_build out;
	size_t nr;

	cat = module_build_catalogue(&nr);
	for (size_t i = 0; i < nr; i++) {
		module_desc_encode(&cat[i], d);
		memset(&out, 0x5A, sizeof(out));
		assert_int_equal(module_desc_decode(d, sizeof(d), &out), 0);
		assert_build_equal(&out, &cat[i]);
		/* The version is written from the numbers; only the flag says "hypothetical". */
		assert_string_equal(out.note, cat[i].hypothetical ?
				    "HYPOTHETICAL, not an Intel release" : "");
	}
}

static void test_desc_uncatalogued(void **state)
{
	struct module_build b = *module_build_find("1.5.25"), out;
	uint8_t d[MODULE_DESC_SIZE];

	b.update = 26;
	b.module_hv = 3;
	b.min_update_hv = 2;
	module_desc_encode(&b, d);
	assert_int_equal(module_desc_decode(d, sizeof(d), &out), 0);
	/* Decoding needs no catalogue: the production tool has none. */
	assert_string_equal(out.version, "1.5.26");
	assert_string_equal(out.note, "");
	assert_int_equal(out.update, 26);
	assert_int_equal(out.module_hv, 3);
	assert_int_equal(out.min_update_hv, 2);
	assert_string_equal(out.crypto_lib, "Intel Cryptography Primitives 1.0.1");
}

static void expect_bad_desc(void (*mutate)(uint8_t *d), const char *what)
{
	uint8_t d[MODULE_DESC_SIZE];
	struct module_build out;

	module_desc_encode(module_build_find("1.5.25"), d);
	assert_int_equal(module_desc_decode(d, sizeof(d), &out), 0);
	mutate(d);
	if (module_desc_decode(d, sizeof(d), &out) != -EINVAL)
		fail_msg("accepted descriptor with %s", what);
}

static void d_magic(uint8_t *d) { d[7] = 'X'; }
static void d_format0(uint8_t *d) { put_le32(d + 8, 0); }
static void d_format2(uint8_t *d) { put_le32(d + 8, 2); }
static void d_flags(uint8_t *d) { d[37] |= 0x80; }
static void d_nodown(uint8_t *d) { d[36] = 2; }
static void d_hv(uint8_t *d) { put_le16(d + 34, 2); }
static void d_layout(uint8_t *d) { put_le16(d + 38, 0x1234); }
static void d_date_month(uint8_t *d) { put_le32(d + 20, 20251301); }
static void d_date_day(uint8_t *d) { put_le32(d + 20, 20251200); }
static void d_date_bcd(uint8_t *d) { put_le32(d + 20, 0x20251021); }
static void d_pages0(uint8_t *d) { put_le32(d + 44, 0); }
static void d_pages497(uint8_t *d) { put_le32(d + 44, 497); }
static void d_nrfms(uint8_t *d) { put_le32(d + 48, 5); }
static void d_fms_slot(uint8_t *d) { put_le32(d + 64, 0x806f8); }
static void d_reserved(uint8_t *d) { d[MODULE_DESC_SIZE - 1] = 1; }
static void d_zero(uint8_t *d) { memset(d, 0, MODULE_DESC_SIZE); }
static void d_ones(uint8_t *d) { memset(d, 0xFF, MODULE_DESC_SIZE); }

static void test_desc_rejects(void **state)
{
	uint8_t d[MODULE_DESC_SIZE];
	struct module_build out;

	expect_bad_desc(d_magic, "bad magic");
	expect_bad_desc(d_format0, "format 0");
	expect_bad_desc(d_format2, "format 2");
	expect_bad_desc(d_flags, "unknown flag");
	expect_bad_desc(d_nodown, "no_downgrade 2");
	expect_bad_desc(d_hv, "min_update_hv > module_hv");
	expect_bad_desc(d_layout, "unknown crypto layout");
	expect_bad_desc(d_date_month, "month 13");
	expect_bad_desc(d_date_day, "day 0");
	expect_bad_desc(d_date_bcd, "BCD date");
	expect_bad_desc(d_pages0, "0 pages");
	expect_bad_desc(d_pages497, "497 pages");
	expect_bad_desc(d_nrfms, "5 FMS entries");
	expect_bad_desc(d_fms_slot, "nonzero unused FMS slot");
	expect_bad_desc(d_reserved, "nonzero reserved byte");
	expect_bad_desc(d_zero, "all zeros");
	expect_bad_desc(d_ones, "all ones");

	module_desc_encode(module_build_find("1.5.25"), d);
	assert_int_equal(module_desc_decode(d, MODULE_DESC_SIZE - 1, &out), -EINVAL);
	assert_int_equal(module_desc_decode(d, 0, &out), -EINVAL);
	assert_int_equal(module_desc_decode(NULL, MODULE_DESC_SIZE, &out), -EINVAL);
}

static void sha384(const uint8_t *p, size_t n, uint8_t out[48])
{
	unsigned int len;

	assert_int_equal(EVP_Digest(p, n, out, &len, EVP_sha384(), NULL), 1);
	assert_int_equal(len, 48);
}

static void test_binary(void **state)
{
	const struct module_build *b = module_build_find("1.5.08");
	uint8_t *bin, *bin2, *bin3, d[MODULE_DESC_SIZE];
	struct module_build out;
	size_t len, len2, len3;

	assert_int_equal(module_binary_build(b, &bin, &len), 0);
	assert_int_equal(len, 18 * 4096);
	module_desc_encode(b, d);
	assert_memory_equal(bin, d, sizeof(d));
	assert_int_equal(module_desc_decode(bin, len, &out), 0);
	assert_string_equal(out.version, "1.5.08");
	/* Filler is not zero. */
	assert_false(all_zero(bin + MODULE_DESC_SIZE, 48));
	assert_false(all_zero(bin + len - 48, 48));

	assert_int_equal(module_binary_build(b, &bin2, &len2), 0);
	assert_int_equal(len2, len);
	assert_memory_equal(bin, bin2, len);

	assert_int_equal(module_binary_build(module_build_find("1.5.06"), &bin3, &len3), 0);
	assert_int_equal(len3, 17 * 4096);
	assert_memory_not_equal(bin + MODULE_DESC_SIZE, bin3 + MODULE_DESC_SIZE, 4096);
	free(bin);
	free(bin2);
	free(bin3);
}

static void test_binary_rejects(void **state)
{
	struct module_build b = *module_build_find("1.5.25");
	uint8_t *bin = NULL;
	size_t len = 0;

	b.nr_module_pages = 0;
	assert_int_equal(module_binary_build(&b, &bin, &len), -EINVAL);
	b.nr_module_pages = 497;
	assert_int_equal(module_binary_build(&b, &bin, &len), -EINVAL);
	b.nr_module_pages = 1;
	b.min_update_hv = 2;
	assert_int_equal(module_binary_build(&b, &bin, &len), -EINVAL);
	b.min_update_hv = 0;
	b.crypto_layout = 77;
	assert_int_equal(module_binary_build(&b, &bin, &len), -EINVAL);
	assert_null(bin);
	assert_int_equal(module_binary_build(NULL, &bin, &len), -EINVAL);

	/* A one-page module is still a module. */
	b.crypto_layout = CRYPTO_LAYOUT_ICP_1_0;
	assert_int_equal(module_binary_build(&b, &bin, &len), 0);
	assert_int_equal(len, 4096);
	free(bin);
}

static void test_image_deterministic(void **state)
{
	const struct module_build *b = module_build_find("1.5.25");
	struct module_image_opts v2 = { .format = 0x200 };
	uint8_t *a, *c, *e;
	size_t la, lc, le;

	assert_int_equal(module_image_build(b, NULL, &a, &la), 0);
	assert_int_equal(module_image_build(b, NULL, &c, &lc), 0);
	assert_int_equal(la, lc);
	assert_int_equal(la, 4096 + 4096 + 21 * 4096);
	assert_memory_equal(a, c, la);
	free(c);
	assert_int_equal(module_image_build(b, &v2, &c, &lc), 0);
	assert_int_equal(module_image_build(b, &v2, &e, &le), 0);
	assert_int_equal(lc, la);
	assert_memory_equal(c, e, lc);
	/* Only the header page differs between the formats. */
	assert_memory_equal(a + 4096, c + 4096, la - 4096);
	assert_memory_not_equal(a, c, 4096);
	free(a);
	free(c);
	free(e);
}

/* Everything P-SEAMLDR checks holds for every catalogue image. */
static void check_image(const struct module_build *b, unsigned int format, bool debug)
{
	struct module_image_opts opts = { .format = format, .debug = debug };
	uint8_t *img, key_hash[48], seamhash[48];
	struct tdx_image_info info;
	struct module_build out;
	struct sigstruct s;
	const char *why;
	char err[128];
	size_t len;

	assert_int_equal(module_image_build(b, &opts, &img, &len), 0);
	assert_int_equal(tdx_image_parse(img, len, &info, err, sizeof(err)), 0);
	assert_int_equal(info.version, format ? format : 0x100);
	assert_true(info.checksum_ok);
	assert_int_equal(tdx_image_word_sum(img, len), 0);
	assert_int_equal(info.sigstruct_off, 4096);
	assert_int_equal(info.sigstruct_pages, 1);
	assert_int_equal(info.module_off, 8192);
	assert_int_equal(info.module_pages, b->nr_module_pages);
	assert_int_equal(info.tail_bytes, 0);

	/* Sigstruct page: 2 KiB sigstruct, 2 KiB zeros. */
	assert_true(all_zero(img + 4096 + 2048, 2048));
	assert_int_equal(sigstruct_verify_signature(img + 4096), 0);
	sigstruct_key_hash(img + 4096, key_hash);
	assert_memory_equal(key_hash, tdxup_test_key_hash(), 48);
	sigstruct_parse(img + 4096, &s);
	assert_int_equal(sigstruct_check_wellformed(&s, &why), 0);
	sha384(img + 8192, len - 8192, seamhash);
	assert_memory_equal(s.seamhash, seamhash, 48);
	assert_int_equal(s.module_type, debug ? 0x80000000u : 0);
	assert_int_equal(s.module_vendor, 0x8086);
	assert_int_equal(s.seamsvn_minor, b->seamsvn_minor);
	assert_int_equal(s.seamsvn_major, b->seamsvn_major);
	assert_int_equal(s.attributes, 0);
	assert_int_equal(s.module_hv, b->module_hv);
	assert_int_equal(s.min_update_hv, b->min_update_hv);
	assert_int_equal(s.no_downgrade, b->no_downgrade);
	assert_int_equal(s.num_handoff_pages, b->num_handoff_pages);
	assert_int_equal(s.cpuid_table_size, b->nr_cpu_fms);
	for (unsigned int i = 0; i < b->nr_cpu_fms; i++)
		assert_true(sigstruct_supports_fms(&s, b->cpu_fms[i]));
	assert_in_range(s.rip_offset, 1, len - 8192 - 1);

	assert_int_equal(module_desc_decode(img + 8192, len - 8192, &out), 0);
	assert_build_equal(&out, b);
	free(img);
}

static void test_image_all_builds(void **state)
{
	const struct module_build *cat;
	size_t nr;

	cat = module_build_catalogue(&nr);
	for (size_t i = 0; i < nr; i++) {
		check_image(&cat[i], 0, false);
		check_image(&cat[i], 0x100, false);
		check_image(&cat[i], 0x200, false);
	}
}

static void test_image_fields(void **state)
{
	uint8_t *img;
	struct sigstruct s;
	size_t len;

	assert_int_equal(module_image_build(module_build_find("1.5.16"), NULL, &img, &len), 0);
	sigstruct_parse(img + 4096, &s);
	assert_int_equal(s.date, 0x20250219);
	assert_int_equal(s.seamsvn_major << 8 | s.seamsvn_minor, 0x10B);
	assert_int_equal(s.cpuid_table[0], 0x806f8);
	assert_int_equal(s.cpuid_table[1], 0xc06f0);
	assert_int_equal(s.cpuid_table[2], 0xa06f0);
	assert_int_equal(s.cpuid_table[3], 0);
	/* The v0x100 header Intel's blob_join.sh would write. */
	assert_int_equal(le16(img), 0x100);
	assert_int_equal(le32(img + 4), 0x2000);
	assert_memory_equal(img + 8, "TDX-BLOB", 8);
	assert_int_equal(le32(img + 16), len);
	free(img);

	assert_int_equal(module_image_build(module_build_find("2.0.08"), NULL, &img, &len), 0);
	sigstruct_parse(img + 4096, &s);
	assert_int_equal(s.seamsvn_major << 8 | s.seamsvn_minor, 0x305);
	assert_int_equal(s.num_handoff_pages, 24);
	assert_false(sigstruct_supports_fms(&s, 0x806f8));
	assert_true(sigstruct_supports_fms(&s, 0xa06e3));
	free(img);
}

static void test_image_debug(void **state)
{
	const struct module_build *b = module_build_find("1.5.25");
	struct module_image_opts dbg = { .debug = true };
	uint8_t *p, *d;
	size_t lp, ld;

	check_image(b, 0x100, true);
	check_image(b, 0x200, true);
	assert_int_equal(module_image_build(b, NULL, &p, &lp), 0);
	assert_int_equal(module_image_build(b, &dbg, &d, &ld), 0);
	assert_int_equal(lp, ld);
	assert_int_equal(le32(d + 4096 + 12), 0x80000000u);
	assert_int_equal(le32(p + 4096 + 12), 0);
	/* Same module, different signature. */
	assert_memory_equal(p + 8192, d + 8192, lp - 8192);
	assert_memory_not_equal(p + 4096 + 516, d + 4096 + 516, 384);
	free(p);
	free(d);
}

static void test_image_tamper_detected(void **state)
{
	uint8_t *img, seamhash[48];
	struct sigstruct s;
	size_t len;

	assert_int_equal(module_image_build(module_build_find("1.5.24"), NULL, &img, &len), 0);
	/* A changed module byte leaves the signature valid but breaks seamhash. */
	img[len - 1] ^= 1;
	assert_int_equal(sigstruct_verify_signature(img + 4096), 0);
	sigstruct_parse(img + 4096, &s);
	sha384(img + 8192, len - 8192, seamhash);
	assert_memory_not_equal(s.seamhash, seamhash, 48);
	/* Changing the seamhash to match breaks the signature. */
	memcpy(img + 4096 + 900, seamhash, 48);
	assert_int_equal(sigstruct_verify_signature(img + 4096), -EBADMSG);
	free(img);
}

static void test_image_rejects(void **state)
{
	const struct module_build *b = module_build_find("1.5.25");
	struct module_image_opts bad = { .format = 0x300 };
	struct module_build broken = *b;
	uint8_t *img = NULL;
	size_t len = 0;

	assert_int_equal(module_image_build(b, &bad, &img, &len), -EINVAL);
	bad.format = 0x101;
	assert_int_equal(module_image_build(b, &bad, &img, &len), -EINVAL);
	broken.nr_module_pages = 0;
	assert_int_equal(module_image_build(&broken, NULL, &img, &len), -EINVAL);
	assert_null(img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_catalogue_contents),
		cmocka_unit_test(test_catalogue_libraries),
		cmocka_unit_test(test_catalogue_hypothetical_labelled),
		cmocka_unit_test(test_catalogue_svn_order),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_version_parse_good),
		cmocka_unit_test(test_version_parse_bad),
		cmocka_unit_test(test_desc_layout),
		cmocka_unit_test(test_desc_roundtrip),
		cmocka_unit_test(test_desc_uncatalogued),
		cmocka_unit_test(test_desc_rejects),
		cmocka_unit_test(test_binary),
		cmocka_unit_test(test_binary_rejects),
		cmocka_unit_test(test_image_deterministic),
		cmocka_unit_test(test_image_all_builds),
		cmocka_unit_test(test_image_fields),
		cmocka_unit_test(test_image_debug),
		cmocka_unit_test(test_image_tamper_detected),
		cmocka_unit_test(test_image_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
