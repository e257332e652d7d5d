// SPDX-License-Identifier: MIT
/*
 * Offline measurement (src/updater/measure.c): vectors.md through mrtd_calc,
 * records, RTMR, hex, and the MRTD of a synthetic TDVF image built here,
 * checked against the documented build order and rejected when malformed.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <tdxup/measure.h>

#define V0 "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b"
#define V1 "8f3e9a8aca6784eab874f7aa4dda5d49104a88047f1f86695ef2a88f5691a90e34aac48ce45ffa1f5a23c7d62980d570"
#define V2 "ca76d5541328afef8bc9364261c515aebef90412ebc56ca0c2260ec531a14462cfc0c11de61d84292ddf8ca871da1ff1"
#define V3 "cd9d793217c8e5918ad18eca449ba10dcfc5faafc19ceeae46b925d054f3b68f85127312438aeba5bc187d9dc73a20fa"
#define V4 "9de2ccb915ec981f3413a3f94106285ac97804e750d0fdebdd8ad5d50d6f2decf44643b346fb9085a3f741f2a53b7237"
#define R0 "b2cdfa15c3fdc5772b099d6e1a5acb8a2eb8b94adb63393a7ae3068c8b4bd8cdad83d6eb649d8178d0fe7a8135d0a003"

static void assert_hex48(const uint8_t got[48], const char *want)
{
	char hex[97];

	hex_encode(got, 48, hex);
	assert_string_equal(hex, want);
}

static void final_is(struct mrtd_calc *c, const char *want)
{
	uint8_t mrtd[48];

	assert_int_equal(mrtd_calc_final(c, mrtd), 0);
	assert_hex48(mrtd, want);
	mrtd_calc_free(c);
}

static void test_v0(void **state)
{
	struct mrtd_calc *c = mrtd_calc_new();

	assert_non_null(c);
	final_is(c, V0);
}

static void test_v1(void **state)
{
	struct mrtd_calc *c = mrtd_calc_new();

	assert_non_null(c);
	assert_int_equal(mrtd_calc_page_add(c, 0), 0);
	final_is(c, V1);
}

static void test_v2_by_records(void **state)
{
	static const uint8_t zero[256];
	struct mrtd_calc *c = mrtd_calc_new();

	assert_non_null(c);
	assert_int_equal(mrtd_calc_page_add(c, 0x1000), 0);
	for (int i = 0; i < 16; i++)
		assert_int_equal(mrtd_calc_extend(c, 0x1000 + 256 * i, zero), 0);
	final_is(c, V2);
}

static void test_v2_by_page(void **state)
{
	static const uint8_t page[PAGE_SIZE];
	struct mrtd_calc *c = mrtd_calc_new();

	assert_non_null(c);
	assert_int_equal(mrtd_calc_add_page(c, 0x1000, page, true), 0);
	final_is(c, V2);
}

static void test_v3(void **state)
{
	struct mrtd_calc *c = mrtd_calc_new();
	uint8_t page[PAGE_SIZE];

	for (size_t j = 0; j < sizeof(page); j++)
		page[j] = (uint8_t)(j & 0xff);
	assert_non_null(c);
	assert_int_equal(mrtd_calc_add_page(c, 0xfffff000, page, true), 0);
	final_is(c, V3);
}

static void test_v4(void **state)
{
	struct mrtd_calc *c = mrtd_calc_new();
	uint8_t data[256];

	memset(data, 0xaa, sizeof(data));
	assert_non_null(c);
	assert_int_equal(mrtd_calc_page_add(c, 0x0), 0);
	assert_int_equal(mrtd_calc_page_add(c, 0x1000), 0);
	assert_int_equal(mrtd_calc_extend(c, 0x0, data), 0);
	final_is(c, V4);
}

/* An unmeasured add_page is exactly one PAGE.ADD record (V1). */
static void test_add_page_unmeasured(void **state)
{
	struct mrtd_calc *c = mrtd_calc_new();

	assert_non_null(c);
	assert_int_equal(mrtd_calc_add_page(c, 0x0, NULL, false), 0);
	final_is(c, V1);
}

static void test_r0(void **state)
{
	uint8_t rtmr[48] = { 0 }, data[48];

	memset(data, 0x01, sizeof(data));
	rtmr_extend_calc(rtmr, data);
	assert_hex48(rtmr, R0);
}

static void check_record(const uint8_t rec[MRTD_RECORD_SIZE], const char *hdr24)
{
	static const uint8_t zero[MRTD_RECORD_SIZE];
	char hex[49];

	hex_encode(rec, 24, hex);
	assert_string_equal(hex, hdr24);
	assert_memory_equal(rec + 24, zero, MRTD_RECORD_SIZE - 24);
}

static void test_record_headers(void **state)
{
	uint8_t rec[MRTD_RECORD_SIZE];

	memset(rec, 0xee, sizeof(rec));
	mrtd_record_page_add(rec, 0x1000);
	check_record(rec, "4d454d2e504147452e414444000000000010000000000000");
	memset(rec, 0xee, sizeof(rec));
	mrtd_record_extend(rec, 0x100);
	check_record(rec, "4d522e455854454e44000000000000000001000000000000");
	memset(rec, 0xee, sizeof(rec));
	mrtd_record_page_add(rec, 0xfffff000);
	check_record(rec, "4d454d2e504147452e4144440000000000f0ffff00000000");
}

static void test_calc_rejects(void **state)
{
	static const uint8_t data[256];
	struct mrtd_calc *c = mrtd_calc_new();
	uint8_t mrtd[48];

	assert_non_null(c);
	assert_int_equal(mrtd_calc_page_add(c, 0x1800), -EINVAL);
	assert_int_equal(mrtd_calc_extend(c, 0x1080, data), -EINVAL);
	assert_int_equal(mrtd_calc_extend(c, 0x1000, NULL), -EINVAL);
	assert_int_equal(mrtd_calc_add_page(c, 0x1000, NULL, true), -EINVAL);
	assert_int_equal(mrtd_calc_page_add(NULL, 0), -EINVAL);
	/* Rejected calls hash nothing. */
	assert_int_equal(mrtd_calc_final(c, mrtd), 0);
	assert_hex48(mrtd, V0);
	/* No records, and no second digest, after MR.FINALIZE. */
	assert_int_equal(mrtd_calc_page_add(c, 0), -EINVAL);
	assert_int_equal(mrtd_calc_final(c, mrtd), -EINVAL);
	mrtd_calc_free(c);
	mrtd_calc_free(NULL);
}

static void test_hex_round_trip(void **state)
{
	uint8_t in[256], out[256];
	char hex[513];

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)i;
	hex_encode(in, sizeof(in), hex);
	assert_int_equal(strlen(hex), 512);
	assert_memory_equal(hex, "000102", 6);
	assert_string_equal(hex + 506, "fdfeff");
	assert_int_equal(hex_decode(hex, out, sizeof(out)), 0);
	assert_memory_equal(in, out, sizeof(in));

	assert_int_equal(hex_decode("DEADbeef", out, 4), 0);
	assert_memory_equal(out, "\xde\xad\xbe\xef", 4);
	assert_int_equal(hex_decode("", out, 0), 0);
	hex_encode(in, 0, hex);
	assert_string_equal(hex, "");
}

static void test_hex_rejects(void **state)
{
	static const char *const bad[] = {
		"abc",		/* odd, short */
		"abcdef",	/* too short */
		"abcdef0102",	/* too long */
		"abcdefg0",	/* not hex */
		"0xabcdef",	/* prefix */
		"abcd ef0",	/* space */
		"abcdef0\n",	/* newline */
		"abcdef-1",	/* sign */
	};
	uint8_t out[4];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(out, 0x77, sizeof(out));
		assert_int_equal(hex_decode(bad[i], out, 4), -EINVAL);
		assert_memory_equal(out, "\x77\x77\x77\x77", 4);	/* untouched */
	}
	assert_int_equal(hex_decode(NULL, out, 4), -EINVAL);
	assert_int_equal(hex_decode("ab", out, 0), -EINVAL);
}

/*
 * ------------------------------------------------------------------------
 * A synthetic 64 KiB TDVF image, laid out like OVMF: CFV low, BFV high with
 * the metadata and the GUIDed footer table inside it.
 */
#define IMG_LEN		0x10000u
#define DESC_OFF	0xe000u
#define NR_SECS		6
#define SEC_OFF(i)	(DESC_OFF + 16 + 32 * (i))

enum { S_BFV, S_CFV, S_HOB, S_TEMP, S_AUG, S_PAYLOAD };

struct sec {
	uint32_t data_offset, raw;
	uint64_t gpa, size;
	uint32_t type, attr;
};

static const struct sec good_secs[NR_SECS] = {
	[S_BFV]	    = { 0x8000, 0x8000, 0xffff8000, 0x8000, 0, 1 },	/* MR.EXTEND */
	[S_CFV]	    = { 0x0000, 0x2000, 0xffff0000, 0x2000, 1, 0 },
	[S_HOB]	    = { 0, 0, 0x809000, 0x2000, 2, 0 },
	[S_TEMP]    = { 0, 0, 0x80b000, 0x3000, 3, 0 },
	[S_AUG]	    = { 0, 0, 0x1000000, 0x10000, 4, 2 },		/* PermMem, PAGE.AUG */
	[S_PAYLOAD] = { 0x2000, 0x1800, 0x1200000, 0x2000, 5, 1 },	/* partly raw */
};

static const uint8_t footer_guid[16] = {
	0xde, 0x82, 0xb5, 0x96, 0xb2, 0x1f, 0xf7, 0x45,
	0xba, 0xea, 0xa3, 0x66, 0xc5, 0x5a, 0x08, 0x2d,
};
static const uint8_t tdx_offset_guid[16] = {
	0x35, 0x65, 0x7a, 0xe4, 0x4a, 0x98, 0x98, 0x47,
	0x86, 0x5e, 0x46, 0x85, 0xa7, 0xbf, 0x8e, 0xc2,
};
static const uint8_t sev_es_guid[16] = {
	0xde, 0x71, 0xf7, 0x00, 0x7e, 0x1a, 0xcb, 0x4f,
	0x89, 0x0e, 0x68, 0xc7, 0x7e, 0x2f, 0xb4, 0x4e,
};
static const uint8_t sev_hash_guid[16] = {
	0x1f, 0x37, 0x55, 0x72, 0x3b, 0x3a, 0x04, 0x4b,
	0x92, 0x7b, 0x1d, 0xa6, 0xef, 0xa8, 0xd4, 0x54,
};
static const uint8_t tdx_metadata_guid[16] = {
	0xf3, 0xf9, 0xea, 0xe9, 0x8e, 0x16, 0xd5, 0x44,
	0xa8, 0xeb, 0x7f, 0x4d, 0x87, 0x38, 0xf6, 0xae,
};

/* Offsets of the footer table pieces (entries grow down from end - 0x32). */
#define TBL_LEN_OFF	(IMG_LEN - 0x32)
#define ENT_A_END	(IMG_LEN - 0x32)	/* SEV-ES reset block, 4 bytes */
#define ENT_B_END	(ENT_A_END - 22)	/* SEV hash block, 8 bytes */
#define ENT_C_END	(ENT_B_END - 26)	/* TDX metadata offset, 4 bytes */
#define ENT_C_DATA	(ENT_C_END - 22)

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_entry(uint8_t *img, uint32_t end, const uint8_t guid[16], const uint8_t *data,
		      uint16_t dlen)
{
	memcpy(img + end - 16, guid, 16);
	put16(img + end - 18, (uint16_t)(dlen + 18));
	memcpy(img + end - 18 - dlen, data, dlen);
}

static void put_sec(uint8_t *img, int i, const struct sec *s)
{
	uint8_t *p = img + SEC_OFF(i);

	put32(p, s->data_offset);
	put32(p + 4, s->raw);
	put64(p + 8, s->gpa);
	put64(p + 16, s->size);
	put32(p + 24, s->type);
	put32(p + 28, s->attr);
}

static uint8_t *build_image(void)
{
	uint8_t *img = malloc(IMG_LEN);
	uint8_t off[4], hash_blk[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, reset[4] = { 0, 0xf0, 0x80, 0 };

	assert_non_null(img);
	for (uint32_t i = 0; i < IMG_LEN; i++)
		img[i] = (uint8_t)(i * 131 + 7);
	memcpy(img + DESC_OFF - 16, tdx_metadata_guid, 16);
	memcpy(img + DESC_OFF, "TDVF", 4);
	put32(img + DESC_OFF + 4, 16 + 32 * NR_SECS);
	put32(img + DESC_OFF + 8, 1);
	put32(img + DESC_OFF + 12, NR_SECS);
	for (int i = 0; i < NR_SECS; i++)
		put_sec(img, i, &good_secs[i]);

	memcpy(img + IMG_LEN - 0x30, footer_guid, 16);
	put16(img + TBL_LEN_OFF, 22 + 26 + 22 + 18);
	put_entry(img, ENT_A_END, sev_es_guid, reset, 4);
	put_entry(img, ENT_B_END, sev_hash_guid, hash_blk, 8);
	put32(off, IMG_LEN - DESC_OFF);
	put_entry(img, ENT_C_END, tdx_offset_guid, off, 4);
	return img;
}

/* The documented rules, spelt out by hand: add every page, extend if measured. */
static void ref_section(struct mrtd_calc *c, const uint8_t *img, const struct sec *s)
{
	uint8_t page[PAGE_SIZE];

	if (s->attr & 2)
		return;
	for (uint64_t off = 0; off < s->size; off += PAGE_SIZE) {
		memset(page, 0, sizeof(page));
		if (off < s->raw) {
			uint32_t n = s->raw - off < PAGE_SIZE ? (uint32_t)(s->raw - off) : PAGE_SIZE;

			memcpy(page, img + s->data_offset + off, n);
		}
		assert_int_equal(mrtd_calc_add_page(c, s->gpa + off, page, s->attr & 1), 0);
	}
}

static void ref_mrtd(const uint8_t *img, const struct sec *secs, uint8_t mrtd[48])
{
	struct mrtd_calc *c = mrtd_calc_new();

	assert_non_null(c);
	for (int i = 0; i < NR_SECS; i++)
		ref_section(c, img, &secs[i]);
	assert_int_equal(mrtd_calc_final(c, mrtd), 0);
	mrtd_calc_free(c);
}

/*
 * The image's MRTD from an independent Python/hashlib script following the
 * same rules: 8 BFV pages add+extend, 2 CFV, 2 TD_HOB, 3 TempMem pages add,
 * PermMem (PAGE.AUG) nothing, 2 Payload pages add+extend (second half zero).
 */
#define TDVF_MRTD "4de249a02ff57c28c207afedb505e654563b987a21042ba643efe3b9e15e56d9feecab12db91a9048778b74397f57dd5"

static void test_tdvf_mrtd(void **state)
{
	uint8_t *img = build_image();
	uint8_t mrtd[48], ref[48];
	char err[256];

	ref_mrtd(img, good_secs, ref);
	assert_int_equal(mrtd_of_tdvf(img, IMG_LEN, mrtd, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_memory_equal(mrtd, ref, 48);
	assert_hex48(mrtd, TDVF_MRTD);
	free(img);
}

/* What is measured matters, what is only added does not. */
static void test_tdvf_content(void **state)
{
	uint8_t *img = build_image();
	uint8_t base[48], mrtd[48];
	char err[256];

	assert_int_equal(mrtd_of_tdvf(img, IMG_LEN, base, err, sizeof(err)), 0);
	img[0x1234] ^= 1;	/* CFV: added, not measured */
	assert_int_equal(mrtd_of_tdvf(img, IMG_LEN, mrtd, err, sizeof(err)), 0);
	assert_memory_equal(mrtd, base, 48);
	img[0x9234] ^= 1;	/* BFV: measured */
	assert_int_equal(mrtd_of_tdvf(img, IMG_LEN, mrtd, err, sizeof(err)), 0);
	assert_memory_not_equal(mrtd, base, 48);
	img[0x9234] ^= 1;
	img[0x3900] ^= 1;	/* behind the Payload's raw data: zero-filled instead */
	assert_int_equal(mrtd_of_tdvf(img, IMG_LEN, mrtd, err, sizeof(err)), 0);
	assert_memory_equal(mrtd, base, 48);
	free(img);
}

/* Without PAGE.AUG the PermMem section's 16 pages are added, in order. */
static void test_tdvf_page_aug_skipped(void **state)
{
	uint8_t *img = build_image();
	struct sec secs[NR_SECS];
	uint8_t base[48], mrtd[48], ref[48];
	char err[256];

	assert_int_equal(mrtd_of_tdvf(img, IMG_LEN, base, err, sizeof(err)), 0);
	memcpy(secs, good_secs, sizeof(secs));
	secs[S_AUG].attr = 0;
	put_sec(img, S_AUG, &secs[S_AUG]);
	ref_mrtd(img, secs, ref);
	assert_int_equal(mrtd_of_tdvf(img, IMG_LEN, mrtd, err, sizeof(err)), 0);
	assert_memory_equal(mrtd, ref, 48);
	assert_memory_not_equal(mrtd, base, 48);
	free(img);
}

/* Run a malformed image: -EINVAL, a reason mentioning why, no MRTD. */
static void expect_reject(const uint8_t *img, size_t len, const char *why)
{
	uint8_t mrtd[48], untouched[48];
	char err[256];

	memset(mrtd, 0x5c, sizeof(mrtd));
	memset(untouched, 0x5c, sizeof(untouched));
	assert_int_equal(mrtd_of_tdvf(img, len, mrtd, err, sizeof(err)), -EINVAL);
	if (!strstr(err, why))
		fail_msg("error \"%s\" does not mention \"%s\"", err, why);
	assert_memory_equal(mrtd, untouched, 48);
}

static void reject_sec(int i, size_t field, uint64_t val, int width, const char *why)
{
	uint8_t *img = build_image();

	if (width == 8)
		put64(img + SEC_OFF(i) + field, val);
	else
		put32(img + SEC_OFF(i) + field, (uint32_t)val);
	expect_reject(img, IMG_LEN, why);
	free(img);
}

enum { F_DATA = 0, F_RAW = 4, F_GPA = 8, F_SIZE = 16, F_TYPE = 24, F_ATTR = 28 };

static void reject_at(size_t off, uint32_t val, int width, const char *why)
{
	uint8_t *img = build_image();

	if (width == 2)
		put16(img + off, (uint16_t)val);
	else if (width == 1)
		img[off] = (uint8_t)val;
	else
		put32(img + off, val);
	expect_reject(img, IMG_LEN, why);
	free(img);
}

static void test_tdvf_reject_container(void **state)
{
	uint8_t *img = build_image();

	expect_reject(img, 16, "too small");
	expect_reject(NULL, IMG_LEN, "no image");
	free(img);
	reject_at(IMG_LEN - 0x30, 0xdf, 1, "footer table GUID");
	reject_at(ENT_C_END - 16, 0x36, 1, "no TDX metadata offset GUID");
	reject_at(TBL_LEN_OFF, 0xffff, 2, "length");
	reject_at(TBL_LEN_OFF, 17, 2, "length");
	reject_at(ENT_A_END - 18, 0, 2, "bad length");
	reject_at(ENT_A_END - 18, 0x1000, 2, "bad length");
	reject_at(ENT_C_DATA, IMG_LEN + 1, 4, "outside the image");
	reject_at(ENT_C_DATA, 8, 4, "outside the image");
	reject_at(ENT_C_DATA, IMG_LEN - DESC_OFF + 32, 4, "signature");
	reject_at(DESC_OFF, 'X', 1, "signature");
	reject_at(DESC_OFF + 8, 2, 4, "version");
	reject_at(DESC_OFF + 12, 0, 4, "count");
	reject_at(DESC_OFF + 12, 0xffffffff, 4, "count");
	reject_at(DESC_OFF + 4, 16 + 32 * NR_SECS + 1, 4, "does not match");
}

/* The offset entry must hold exactly one u32. */
static void test_tdvf_reject_offset_entry_size(void **state)
{
	uint8_t *img = build_image();

	put16(img + ENT_C_END - 18, 26);
	put16(img + TBL_LEN_OFF, 22 + 26 + 26 + 18);
	expect_reject(img, IMG_LEN, "not a u32");
	free(img);
}

/* A descriptor whose sections would run past the end of the image. */
static void test_tdvf_reject_metadata_past_end(void **state)
{
	uint8_t *img = build_image();
	uint32_t at = IMG_LEN - 0x200;

	/* Sits below the footer table, but 6 sections need 208 bytes. */
	memcpy(img + at, img + DESC_OFF, 16);
	put32(img + DESC_OFF, 0);
	put32(img + ENT_C_DATA, IMG_LEN - at);
	put32(img + at + 4, 16 + 32 * 0x20);
	put32(img + at + 12, 0x20);
	expect_reject(img, IMG_LEN, "past the end");
	free(img);
}

static void test_tdvf_reject_sections(void **state)
{
	reject_sec(S_CFV, F_DATA, IMG_LEN - 0x1000, 4, "runs past the image");
	reject_sec(S_BFV, F_DATA, 0xfffff000, 4, "runs past the image");	/* u32 wrap */
	reject_sec(S_TEMP, F_GPA, 0x80b800, 8, "MemoryAddress");
	reject_sec(S_TEMP, F_SIZE, 0x3100, 8, "MemoryDataSize");
	reject_sec(S_PAYLOAD, F_RAW, 0x3000, 4, "exceeds");
	reject_sec(S_TEMP, F_GPA, 0xfffffffffffff000ull, 8, "overflows");
	reject_sec(S_TEMP, F_SIZE, 0xfffffffffffff000ull, 8, "overflows");
	reject_sec(S_HOB, F_TYPE, 9, 4, "unsupported type");
	reject_sec(S_HOB, F_ATTR, 4, 4, "unknown attribute");
	reject_sec(S_AUG, F_ATTR, 3, 4, "MR.EXTEND with PAGE.AUG");
	reject_sec(S_HOB, F_ATTR, 1, 4, "TD_HOB");
	reject_sec(S_BFV, F_RAW, 0, 4, "no raw data");
	reject_sec(S_TEMP, F_RAW, 0x10, 4, "must have no raw data");
	reject_sec(S_TEMP, F_GPA, 0x80a000, 8, "overlap");
	reject_sec(S_HOB, F_SIZE, 0, 8, "empty");
	reject_sec(S_TEMP, F_SIZE, 0x80000000ull, 8, "more than");
}

/*
 * Bytes 3..7 of a measured section's MemoryDataSize only make a valid build
 * legitimately huge (up to the page cap, seconds of hashing each); the
 * limits themselves are covered by test_tdvf_reject_sections.
 */
static bool huge_measured_size(size_t off)
{
	static const int measured[] = { S_BFV, S_PAYLOAD };

	for (size_t i = 0; i < sizeof(measured) / sizeof(measured[0]); i++) {
		size_t f = SEC_OFF(measured[i]) + F_SIZE;

		if (off >= f + 3 && off < f + 8)
			return true;
	}
	return false;
}

/* Single-byte corruption of the metadata and footer never crashes. */
static void test_tdvf_mutations(void **state)
{
	uint8_t *good = build_image(), *img = malloc(IMG_LEN);
	uint64_t s = 0x243f6a8885a308d3ull;
	int ok = 0, bad = 0;

	assert_non_null(img);
	for (int it = 0; it < 3000; it++) {
		uint8_t mrtd[48];
		char err[256];
		size_t off;
		int ret;

		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		memcpy(img, good, IMG_LEN);
		if (s & 1)
			off = DESC_OFF - 16 + (s >> 8) % (16 + 16 + 32 * NR_SECS);
		else
			off = IMG_LEN - 0x60 + (s >> 8) % 0x60;
		if (huge_measured_size(off))
			continue;
		img[off] ^= (uint8_t)(s >> 40) | 1;
		ret = mrtd_of_tdvf(img, IMG_LEN, mrtd, err, sizeof(err));
		if (ret) {
			assert_int_equal(ret, -EINVAL);
			assert_true(strlen(err) > 0);
			bad++;
		} else {
			ok++;
		}
	}
	/* Both outcomes occur: the mutations reach real checks. */
	assert_true(ok > 0 && bad > 0);
	free(img);
	free(good);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v0),
		cmocka_unit_test(test_v1),
		cmocka_unit_test(test_v2_by_records),
		cmocka_unit_test(test_v2_by_page),
		cmocka_unit_test(test_v3),
		cmocka_unit_test(test_v4),
		cmocka_unit_test(test_add_page_unmeasured),
		cmocka_unit_test(test_r0),
		cmocka_unit_test(test_record_headers),
		cmocka_unit_test(test_calc_rejects),
		cmocka_unit_test(test_hex_round_trip),
		cmocka_unit_test(test_hex_rejects),
		cmocka_unit_test(test_tdvf_mrtd),
		cmocka_unit_test(test_tdvf_content),
		cmocka_unit_test(test_tdvf_page_aug_skipped),
		cmocka_unit_test(test_tdvf_reject_container),
		cmocka_unit_test(test_tdvf_reject_offset_entry_size),
		cmocka_unit_test(test_tdvf_reject_metadata_past_end),
		cmocka_unit_test(test_tdvf_reject_sections),
		cmocka_unit_test(test_tdvf_mutations),
	};

	return cmocka_run_group_tests_name("user/measure", tests, NULL, NULL);
}
