// SPDX-License-Identifier: MIT
/*
 * The module's running hash (emu/fw/measure.c) against vectors.md, under
 * every crypto layout, and the erratum it exists to reproduce: a blob packed
 * by one layout and continued by another gives a wrong MRTD, never a crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "emu/module_build.h"

#include "fw/measure.h"
#include "tdxup/page.h"

static const uint16_t layouts[] = {
	CRYPTO_LAYOUT_ICP_1_0,
	CRYPTO_LAYOUT_ICP_NEXT,
	CRYPTO_LAYOUT_IPP_2021_10,
	CRYPTO_LAYOUT_IPP_2021_7,
};
#define NR_LAYOUTS	(sizeof(layouts) / sizeof(layouts[0]))

#define V0 "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b"
#define V1 "8f3e9a8aca6784eab874f7aa4dda5d49104a88047f1f86695ef2a88f5691a90e34aac48ce45ffa1f5a23c7d62980d570"
#define V2 "ca76d5541328afef8bc9364261c515aebef90412ebc56ca0c2260ec531a14462cfc0c11de61d84292ddf8ca871da1ff1"
#define V3 "cd9d793217c8e5918ad18eca449ba10dcfc5faafc19ceeae46b925d054f3b68f85127312438aeba5bc187d9dc73a20fa"
#define V4 "9de2ccb915ec981f3413a3f94106285ac97804e750d0fdebdd8ad5d50d6f2decf44643b346fb9085a3f741f2a53b7237"
#define R0 "b2cdfa15c3fdc5772b099d6e1a5acb8a2eb8b94adb63393a7ae3068c8b4bd8cdad83d6eb649d8178d0fe7a8135d0a003"

/* Test-local hex, so this test depends on nothing but the firmware file. */
static void unhex(const char *hex, uint8_t *out, size_t len)
{
	assert_int_equal(strlen(hex), 2 * len);
	for (size_t i = 0; i < len; i++) {
		unsigned int v;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

static void assert_mrtd(const uint8_t got[48], const char *hex)
{
	uint8_t want[48];

	unhex(hex, want, sizeof(want));
	assert_memory_equal(got, want, 48);
}

/* EXTEND all 16 chunks of a page, data taken from page at the chunk offset. */
static void extend_page(uint16_t layout, uint8_t *buf, uint64_t gpa, const uint8_t page[PAGE_SIZE])
{
	for (int i = 0; i < 16; i++)
		td_sha_extend(layout, buf, gpa + 256 * i, page + 256 * i);
}

static void test_layouts_known(void **state)
{
	for (size_t i = 0; i < NR_LAYOUTS; i++)
		assert_true(td_sha_layout_known(layouts[i]));
	assert_false(td_sha_layout_known(0));
	assert_false(td_sha_layout_known(3));
	assert_false(td_sha_layout_known(0x2111));
	assert_false(td_sha_layout_known(0xffff));
}

static void test_v0_empty(void **state)
{
	for (size_t i = 0; i < NR_LAYOUTS; i++) {
		uint8_t buf[TD_SHA_CTX_BUFFER_SIZE], mrtd[48];

		td_sha_init(layouts[i], buf);
		td_sha_final(layouts[i], buf, mrtd);
		assert_mrtd(mrtd, V0);
	}
}

static void test_v1_one_add(void **state)
{
	for (size_t i = 0; i < NR_LAYOUTS; i++) {
		uint8_t buf[TD_SHA_CTX_BUFFER_SIZE], mrtd[48];

		td_sha_init(layouts[i], buf);
		td_sha_page_add(layouts[i], buf, 0x0);
		td_sha_final(layouts[i], buf, mrtd);
		assert_mrtd(mrtd, V1);
	}
}

static void test_v2_zero_page(void **state)
{
	static const uint8_t page[PAGE_SIZE];

	for (size_t i = 0; i < NR_LAYOUTS; i++) {
		uint8_t buf[TD_SHA_CTX_BUFFER_SIZE], mrtd[48];

		td_sha_init(layouts[i], buf);
		td_sha_page_add(layouts[i], buf, 0x1000);
		extend_page(layouts[i], buf, 0x1000, page);
		td_sha_final(layouts[i], buf, mrtd);
		assert_mrtd(mrtd, V2);
	}
}

static void test_v3_pattern_page(void **state)
{
	uint8_t page[PAGE_SIZE];

	for (size_t j = 0; j < sizeof(page); j++)
		page[j] = (uint8_t)(j & 0xff);
	for (size_t i = 0; i < NR_LAYOUTS; i++) {
		uint8_t buf[TD_SHA_CTX_BUFFER_SIZE], mrtd[48];

		td_sha_init(layouts[i], buf);
		td_sha_page_add(layouts[i], buf, 0xfffff000);
		extend_page(layouts[i], buf, 0xfffff000, page);
		td_sha_final(layouts[i], buf, mrtd);
		assert_mrtd(mrtd, V3);
	}
}

static void test_v4_seamcall_order(void **state)
{
	uint8_t data[256];

	memset(data, 0xaa, sizeof(data));
	for (size_t i = 0; i < NR_LAYOUTS; i++) {
		uint8_t buf[TD_SHA_CTX_BUFFER_SIZE], mrtd[48];

		td_sha_init(layouts[i], buf);
		td_sha_page_add(layouts[i], buf, 0x0);
		td_sha_page_add(layouts[i], buf, 0x1000);
		td_sha_extend(layouts[i], buf, 0x0, data);
		td_sha_final(layouts[i], buf, mrtd);
		assert_mrtd(mrtd, V4);
	}
}

static void test_r0_rtmr(void **state)
{
	uint8_t rtmr[48] = { 0 }, data[48];

	memset(data, 0x01, sizeof(data));
	td_rtmr_extend(rtmr, data);
	assert_mrtd(rtmr, R0);
}

static void sha384_of(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen, uint8_t out[48])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n = 0;

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha384(), NULL), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, a, alen), 1);
	if (blen)
		assert_int_equal(EVP_DigestUpdate(ctx, b, blen), 1);
	assert_int_equal(EVP_DigestFinal_ex(ctx, out, &n), 1);
	assert_int_equal(n, 48);
	EVP_MD_CTX_free(ctx);
}

/*
 * vectors.md section 4, through the module: hash exactly one record and
 * compare with SHA-384 of the header bytes from the table plus zeros.
 */
static void check_record(bool extend, uint64_t gpa, const char *hdr24)
{
	uint8_t rec[128] = { 0 }, data[256], want[48];

	unhex(hdr24, rec, 24);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(0x5a ^ i);
	sha384_of(rec, sizeof(rec), data, extend ? sizeof(data) : 0, want);
	for (size_t i = 0; i < NR_LAYOUTS; i++) {
		uint8_t buf[TD_SHA_CTX_BUFFER_SIZE], mrtd[48];

		td_sha_init(layouts[i], buf);
		if (extend)
			td_sha_extend(layouts[i], buf, gpa, data);
		else
			td_sha_page_add(layouts[i], buf, gpa);
		td_sha_final(layouts[i], buf, mrtd);
		assert_memory_equal(mrtd, want, 48);
	}
}

static void test_record_headers(void **state)
{
	check_record(false, 0x1000, "4d454d2e504147452e414444000000000010000000000000");
	check_record(true, 0x100, "4d522e455854454e44000000000000000001000000000000");
	check_record(false, 0xfffff000, "4d454d2e504147452e4144440000000000f0ffff00000000");
}

/* A little build: two pages, the first measured with a pattern. */
static void build_part1(uint16_t layout, uint8_t *buf, uint8_t page[PAGE_SIZE])
{
	for (size_t j = 0; j < PAGE_SIZE; j++)
		page[j] = (uint8_t)(j * 7 + 3);
	td_sha_page_add(layout, buf, 0x800000);
	extend_page(layout, buf, 0x800000, page);
}

static void build_part2(uint16_t layout, uint8_t *buf, const uint8_t page[PAGE_SIZE], uint8_t mrtd[48])
{
	td_sha_page_add(layout, buf, 0x801000);
	extend_page(layout, buf, 0x801000, page);
	td_sha_final(layout, buf, mrtd);
}

/* Build started by layout a (MNG.INIT and part 1), continued by layout b. */
static void build_across(uint16_t a, uint16_t b, uint8_t mrtd[48])
{
	uint8_t buf[TD_SHA_CTX_BUFFER_SIZE], page[PAGE_SIZE];

	td_sha_init(a, buf);
	build_part1(a, buf, page);
	build_part2(b, buf, page, mrtd);
}

static void test_same_layout_survives_update(void **state)
{
	uint8_t ref[48], got[48];

	build_across(CRYPTO_LAYOUT_ICP_1_0, CRYPTO_LAYOUT_ICP_1_0, ref);
	for (size_t i = 0; i < NR_LAYOUTS; i++) {
		build_across(layouts[i], layouts[i], got);
		assert_memory_equal(got, ref, 48);
	}
}

static void test_erratum_every_pair(void **state)
{
	uint8_t ref[48], got[48], again[48];

	build_across(CRYPTO_LAYOUT_ICP_1_0, CRYPTO_LAYOUT_ICP_1_0, ref);
	for (size_t i = 0; i < NR_LAYOUTS; i++) {
		for (size_t j = 0; j < NR_LAYOUTS; j++) {
			if (i == j)
				continue;
			build_across(layouts[i], layouts[j], got);
			assert_memory_not_equal(got, ref, 48);
			/* Silently wrong, but the same wrong every time. */
			build_across(layouts[i], layouts[j], again);
			assert_memory_equal(got, again, 48);
		}
	}
}

/* The switch right after MNG.INIT: an empty state read in the wrong layout. */
static void test_erratum_after_init(void **state)
{
	static const uint8_t page[PAGE_SIZE];

	for (size_t i = 0; i < NR_LAYOUTS; i++) {
		for (size_t j = 0; j < NR_LAYOUTS; j++) {
			uint8_t buf[TD_SHA_CTX_BUFFER_SIZE], mrtd[48], want[48];

			if (i == j)
				continue;
			td_sha_init(layouts[i], buf);
			td_sha_page_add(layouts[j], buf, 0x1000);
			extend_page(layouts[j], buf, 0x1000, page);
			td_sha_final(layouts[j], buf, mrtd);
			unhex(V2, want, sizeof(want));
			assert_memory_not_equal(mrtd, want, 48);
		}
	}
}

/* The empty state packs differently in every layout. */
static void test_init_blobs_differ(void **state)
{
	uint8_t blob[NR_LAYOUTS][TD_SHA_CTX_BUFFER_SIZE];

	for (size_t i = 0; i < NR_LAYOUTS; i++)
		td_sha_init(layouts[i], blob[i]);
	for (size_t i = 0; i < NR_LAYOUTS; i++)
		for (size_t j = i + 1; j < NR_LAYOUTS; j++)
			assert_memory_not_equal(blob[i], blob[j], TD_SHA_CTX_BUFFER_SIZE);
}

/* Pin the documented placement of h[0], h[7] and the header words. */
static void test_layout_pins(void **state)
{
	static const uint8_t h0_le[8] = { 0xd8, 0x9e, 0x05, 0xc1, 0x5d, 0x9d, 0xbb, 0xcb };
	static const uint8_t h7_be[8] = { 0x47, 0xb5, 0x48, 0x1d, 0xbe, 0xfa, 0x4f, 0xa4 };
	static const uint8_t h0_hi_lo[8] = { 0x5d, 0x9d, 0xbb, 0xcb, 0xd8, 0x9e, 0x05, 0xc1 };
	static const uint8_t zero[TD_SHA_CTX_BUFFER_SIZE];
	uint8_t buf[TD_SHA_CTX_BUFFER_SIZE];

	td_sha_init(CRYPTO_LAYOUT_ICP_1_0, buf);
	assert_memory_equal(buf, h0_le, 8);
	assert_int_equal(buf[84], 48);			/* md_len */
	assert_memory_equal(buf + 88, zero, 256 - 88);	/* empty block, zero tail */

	td_sha_init(CRYPTO_LAYOUT_ICP_NEXT, buf);
	assert_memory_equal(buf, zero, 16);		/* Nh, Nl */
	assert_memory_equal(buf + 16, h7_be, 8);
	assert_int_equal(buf[215], 48);

	td_sha_init(CRYPTO_LAYOUT_IPP_2021_10, buf);
	assert_memory_equal(buf, "2110", 4);
	assert_memory_equal(buf + 152, h0_le, 8);
	assert_int_equal(buf[216], 48);

	td_sha_init(CRYPTO_LAYOUT_IPP_2021_7, buf);
	assert_memory_equal(buf, "2107", 4);
	assert_int_equal(buf[4], 48);
	assert_memory_equal(buf + 8, h0_hi_lo, 8);
}

static uint64_t rng_next(uint64_t *s)
{
	/* xorshift64*: deterministic garbage, same every run. */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static void fill_garbage(uint8_t *buf, uint64_t *s, int kind)
{
	switch (kind) {
	case 0:
		memset(buf, 0xff, TD_SHA_CTX_BUFFER_SIZE);
		break;
	case 1:
		memset(buf, 0x00, TD_SHA_CTX_BUFFER_SIZE);
		break;
	default:
		for (size_t i = 0; i < TD_SHA_CTX_BUFFER_SIZE; i += 8) {
			uint64_t v = rng_next(s);

			memcpy(buf + i, &v, 8);
		}
	}
}

static uint32_t le32_at(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/*
 * Garbage blobs under every layout: update, pack and finalise must stay
 * inside their buffers (the ASan/UBSan build checks), and what gets packed
 * back is a sane state (num < 128, md_len 48), shown here for ICP 1.0.
 */
static void test_garbage_blobs(void **state)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	uint8_t data[256];

	memset(data, 0x3c, sizeof(data));
	for (int kind = 0; kind < 66; kind++) {
		for (size_t i = 0; i < NR_LAYOUTS; i++) {
			uint8_t buf[TD_SHA_CTX_BUFFER_SIZE], copy[TD_SHA_CTX_BUFFER_SIZE];
			uint8_t m1[48], m2[48];

			fill_garbage(buf, &seed, kind);
			memcpy(copy, buf, sizeof(buf));
			td_sha_final(layouts[i], buf, m1);
			assert_memory_equal(buf, copy, sizeof(buf));
			td_sha_final(layouts[i], buf, m2);
			assert_memory_equal(m1, m2, 48);

			td_sha_page_add(layouts[i], buf, 0x2000);
			td_sha_extend(layouts[i], buf, 0x2000, data);
			td_sha_final(layouts[i], buf, m1);
			if (layouts[i] == CRYPTO_LAYOUT_ICP_1_0) {
				assert_in_range(le32_at(buf + 80), 0, 127);
				assert_int_equal(le32_at(buf + 84), 48);
			}
		}
	}
}

/* A clamped num of 127 must still finalise and keep hashing in bounds. */
static void test_num_clamped(void **state)
{
	uint8_t buf[TD_SHA_CTX_BUFFER_SIZE], data[256], mrtd[48];

	memset(data, 0, sizeof(data));
	td_sha_init(CRYPTO_LAYOUT_ICP_1_0, buf);
	memset(buf + 80, 0xff, 4);		/* num = 0xffffffff */
	td_sha_extend(CRYPTO_LAYOUT_ICP_1_0, buf, 0, data);
	/* 127 + 384 bytes leaves 127 buffered */
	assert_int_equal(le32_at(buf + 80), 127);
	td_sha_final(CRYPTO_LAYOUT_ICP_1_0, buf, mrtd);
}

static void test_final_leaves_buffer(void **state)
{
	static const uint8_t page[PAGE_SIZE];

	for (size_t i = 0; i < NR_LAYOUTS; i++) {
		uint8_t buf[TD_SHA_CTX_BUFFER_SIZE], copy[TD_SHA_CTX_BUFFER_SIZE], m1[48], m2[48];

		td_sha_init(layouts[i], buf);
		td_sha_page_add(layouts[i], buf, 0x1000);
		extend_page(layouts[i], buf, 0x1000, page);
		memcpy(copy, buf, sizeof(buf));
		td_sha_final(layouts[i], buf, m1);
		assert_memory_equal(buf, copy, sizeof(buf));
		/* Finalising twice gives the same MRTD. */
		td_sha_final(layouts[i], buf, m2);
		assert_memory_equal(m1, m2, 48);
		assert_mrtd(m1, V2);
	}
}

static void test_unknown_layout_fails_closed(void **state)
{
	static const uint8_t zero[48];
	uint8_t buf[TD_SHA_CTX_BUFFER_SIZE], copy[TD_SHA_CTX_BUFFER_SIZE], data[256] = { 0 };
	uint8_t mrtd[48];

	memset(buf, 0xee, sizeof(buf));
	td_sha_init(0x1234, buf);
	assert_memory_equal(buf, zero, 48);
	memcpy(copy, buf, sizeof(buf));
	td_sha_page_add(0x1234, buf, 0x1000);
	td_sha_extend(0x1234, buf, 0x1000, data);
	assert_memory_equal(buf, copy, sizeof(buf));
	memset(mrtd, 0xee, sizeof(mrtd));
	td_sha_final(0x1234, buf, mrtd);
	assert_memory_equal(mrtd, zero, 48);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layouts_known),
		cmocka_unit_test(test_v0_empty),
		cmocka_unit_test(test_v1_one_add),
		cmocka_unit_test(test_v2_zero_page),
		cmocka_unit_test(test_v3_pattern_page),
		cmocka_unit_test(test_v4_seamcall_order),
		cmocka_unit_test(test_r0_rtmr),
		cmocka_unit_test(test_record_headers),
		cmocka_unit_test(test_same_layout_survives_update),
		cmocka_unit_test(test_erratum_every_pair),
		cmocka_unit_test(test_erratum_after_init),
		cmocka_unit_test(test_init_blobs_differ),
		cmocka_unit_test(test_layout_pins),
		cmocka_unit_test(test_garbage_blobs),
		cmocka_unit_test(test_num_clamped),
		cmocka_unit_test(test_final_leaves_buffer),
		cmocka_unit_test(test_unknown_layout_fails_closed),
	};

	return cmocka_run_group_tests_name("fw/measure", tests, NULL, NULL);
}
