// SPDX-License-Identifier: MIT
/* TDX-BLOB parse, checksum, assemble and convert (seamldr.md 6). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tdxup/image.h"
#include "emu/module_build.h"
#include "tdxup/seamldr_abi.h"

/* 1.5.25: 1 sigstruct page, 21 module pages. */
#define MOD_PAGES	21
#define IMG_LEN		((2 + MOD_PAGES) * 4096)

static uint8_t *image(unsigned int format, size_t *len)
{
	struct module_image_opts opts = { .format = format };
	uint8_t *img;

	assert_int_equal(module_image_build(module_build_find("1.5.25"), &opts, &img, len), 0);
	assert_int_equal(*len, IMG_LEN);
	return img;
}

/* An exact-size heap copy, so ASan sees any read past len. */
static uint8_t *copy(const uint8_t *p, size_t len)
{
	uint8_t *q = malloc(len ? len : 1);

	assert_non_null(q);
	if (len)
		memcpy(q, p, len);
	return q;
}

/* Parse an exact-size copy of the first len bytes and expect the reason. */
static void expect_err(const uint8_t *buf, size_t len, const char *reason)
{
	struct tdx_image_info info;
	char err[160];
	uint8_t *c = copy(buf, len);

	memset(err, 'x', sizeof(err));
	assert_int_equal(tdx_image_parse(c, len, &info, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, reason);
	/* Also without a buffer for the reason. */
	assert_int_equal(tdx_image_parse(c, len, &info, NULL, 0), -EINVAL);
	free(c);
}

static void test_parse_v1(void **state)
{
	struct tdx_image_info info;
	char err[128] = "junk";
	size_t len;
	uint8_t *img = image(0x100, &len);

	assert_int_equal(tdx_image_parse(img, len, &info, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(info.version, 0x100);
	assert_int_equal(info.size, IMG_LEN);
	assert_int_equal(info.length, IMG_LEN);
	assert_int_equal(info.checksum, le16(img + 2));
	assert_true(info.checksum_ok);
	assert_int_equal(info.sigstruct_off, 4096);
	assert_int_equal(info.sigstruct_pages, 1);
	assert_int_equal(info.module_off, 0x2000);
	assert_int_equal(info.module_pages, MOD_PAGES);
	assert_int_equal(info.tail_bytes, 0);
	assert_int_equal(tdx_image_word_sum(img, len), 0);
	free(img);
}

static void test_parse_v2(void **state)
{
	struct tdx_image_info info;
	char err[128];
	size_t len;
	uint8_t *img = image(0x200, &len);

	assert_int_equal(le16(img), 0x200);
	assert_memory_equal(img + 4, "TDX-BLOB", 8);
	assert_int_equal(le32(img + 12), 1);
	assert_int_equal(le32(img + 16), MOD_PAGES);
	assert_true(all_zero(img + 20, 4076));
	assert_int_equal(tdx_image_parse(img, len, &info, err, sizeof(err)), 0);
	assert_int_equal(info.version, 0x200);
	assert_int_equal(info.size, IMG_LEN);
	assert_int_equal(info.length, 0);
	assert_true(info.checksum_ok);
	assert_int_equal(info.sigstruct_off, 4096);
	assert_int_equal(info.sigstruct_pages, 1);
	assert_int_equal(info.module_off, 0x2000);
	assert_int_equal(info.module_pages, MOD_PAGES);
	assert_int_equal(info.tail_bytes, 0);
	free(img);
}

static void test_word_sum(void **state)
{
	static const uint8_t odd[] = { 0x01, 0x02, 0x03 };
	static const uint8_t wrap[] = { 0xFF, 0xFF, 0x02, 0x00 };
	uint8_t hdr[8] = { 0x00, 0x01, 0xAA, 0xBB, 0x34, 0x12, 0x00, 0x00 };

	assert_int_equal(tdx_image_word_sum(odd, 3), 0x0204);
	assert_int_equal(tdx_image_word_sum(wrap, 4), 0x0001);
	assert_int_equal(tdx_image_word_sum(odd, 0), 0);
	tdx_image_fix_checksum(hdr, sizeof(hdr));
	assert_int_equal(tdx_image_word_sum(hdr, sizeof(hdr)), 0);
	/* 0x0100 + 0x1234 = 0x1334; checksum = 0x10000 - 0x1334 */
	assert_int_equal(le16(hdr + 2), 0xECCC);
	/* Odd length: the tail byte counts as a low byte. */
	uint8_t odd5[5] = { 0x00, 0x01, 0x00, 0x00, 0x07 };

	tdx_image_fix_checksum(odd5, 5);
	assert_int_equal(tdx_image_word_sum(odd5, 5), 0);
	assert_int_equal(le16(odd5 + 2), 0x10000 - 0x0107);
}

static void test_checksum_reported_not_fatal(void **state)
{
	struct tdx_image_info info;
	char err[128];
	size_t len;
	uint8_t *img = image(0x100, &len);

	img[2] ^= 0x55;
	assert_int_equal(tdx_image_parse(img, len, &info, err, sizeof(err)), 0);
	assert_false(info.checksum_ok);
	tdx_image_fix_checksum(img, len);
	assert_int_equal(tdx_image_parse(img, len, &info, err, sizeof(err)), 0);
	assert_true(info.checksum_ok);
	/* A module byte change shows up too. */
	img[len - 1] ^= 1;
	assert_int_equal(tdx_image_parse(img, len, &info, err, sizeof(err)), 0);
	assert_false(info.checksum_ok);
	free(img);
}

static void test_convert_roundtrip(void **state)
{
	uint8_t *v1, *v2, *to2, *back, *same;
	struct tdx_image_info info;
	char err[128];
	size_t l1, l2;

	v1 = image(0x100, &l1);
	v2 = image(0x200, &l2);
	assert_int_equal(tdx_image_convert(v1, l1, 0x200, &to2, err, sizeof(err)), 0);
	/* Exactly what the builder makes natively. */
	assert_memory_equal(to2, v2, l2);
	assert_int_equal(tdx_image_parse(to2, l1, &info, err, sizeof(err)), 0);
	assert_int_equal(info.version, 0x200);
	assert_true(info.checksum_ok);
	assert_int_equal(tdx_image_convert(to2, l1, 0x100, &back, err, sizeof(err)), 0);
	assert_memory_equal(back, v1, l1);
	assert_int_equal(tdx_image_convert(v1, l1, 0x100, &same, err, sizeof(err)), 0);
	assert_memory_equal(same, v1, l1);
	free(same);
	/* Conversion recomputes a stale checksum. */
	v1[2] ^= 0xFF;
	assert_int_equal(tdx_image_convert(v1, l1, 0x200, &same, err, sizeof(err)), 0);
	assert_memory_equal(same, v2, l2);
	free(same);
	free(back);
	free(to2);
	free(v1);
	free(v2);
}

static void test_convert_refuses(void **state)
{
	uint8_t *out = NULL, *bad;
	char err[128];
	size_t len;
	uint8_t *img = image(0x100, &len);

	assert_int_equal(tdx_image_convert(img, len, 0x300, &out, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "cannot convert to unknown version 0x300");
	assert_int_equal(tdx_image_convert(img, len, 0, &out, err, sizeof(err)), -EINVAL);

	/* Unaligned module offset (6.3). */
	bad = copy(img, len);
	put_le32(bad + 4, 0x2001);
	assert_int_equal(tdx_image_convert(bad, len, 0x200, &out, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "offset_of_module 0x2001 is not 4 KiB-aligned");
	free(bad);

	/* Module part not a page multiple (6.3). */
	bad = calloc(1, len + 10);
	memcpy(bad, img, len);
	put_le32(bad + 16, (uint32_t)(len + 10));
	assert_int_equal(tdx_image_convert(bad, len + 10, 0x200, &out, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "module is not a whole number of pages: 10 bytes past page 21");
	assert_null(out);
	free(bad);
	free(img);
}

static void test_truncated(void **state)
{
	size_t len;
	uint8_t *v1 = image(0x100, &len), *v2 = image(0x200, &len);
	char msg[160];

	expect_err(v1, 0, "truncated: 0 bytes, the header page alone is 4096");
	expect_err(v1, 1, "truncated: 1 bytes, the header page alone is 4096");
	expect_err(v1, 2, "truncated: 2 bytes, the header page alone is 4096");
	expect_err(v1, 100, "truncated: 100 bytes, the header page alone is 4096");
	expect_err(v1, 4095, "truncated: 4095 bytes, the header page alone is 4096");
	expect_err(v2, 4095, "truncated: 4095 bytes, the header page alone is 4096");
	expect_err(v1, 4096, "offset_of_module 0x2000 is at or past the end of the 4096-byte file");
	expect_err(v1, 8192, "offset_of_module 0x2000 is at or past the end of the 8192-byte file");
	snprintf(msg, sizeof(msg), "length field %d does not match the file size %d",
		 IMG_LEN, 8193);
	expect_err(v1, 8193, msg);
	snprintf(msg, sizeof(msg), "length field %d does not match the file size %d",
		 IMG_LEN, IMG_LEN - 4096);
	expect_err(v1, IMG_LEN - 4096, msg);
	snprintf(msg, sizeof(msg), "length field %d does not match the file size %d",
		 IMG_LEN, IMG_LEN - 1);
	expect_err(v1, IMG_LEN - 1, msg);

	expect_err(v2, 4096, "size 4096 does not match the header: 4096 + (1 + 21) x 4096 = 94208");
	expect_err(v2, 8192, "size 8192 does not match the header: 4096 + (1 + 21) x 4096 = 94208");
	expect_err(v2, IMG_LEN - 1,
		   "size 94207 does not match the header: 4096 + (1 + 21) x 4096 = 94208");
	free(v1);
	free(v2);
}

/* Every prefix length in steps: no crash, no read past len, no false accept. */
static void test_every_truncation(void **state)
{
	struct tdx_image_info info;
	size_t len;
	uint8_t *v1 = image(0x100, &len), *v2 = image(0x200, &len);

	for (size_t n = 0; n < len; n += (n < 8300 ? 1 : 509)) {
		uint8_t *c1 = copy(v1, n), *c2 = copy(v2, n);

		assert_int_equal(tdx_image_parse(c1, n, &info, NULL, 0), -EINVAL);
		assert_int_equal(tdx_image_parse(c2, n, &info, NULL, 0), -EINVAL);
		free(c1);
		free(c2);
	}
	free(v1);
	free(v2);
}

static void test_bad_signature(void **state)
{
	size_t len;
	uint8_t *v1 = image(0x100, &len), *v2 = image(0x200, &len);

	v1[8 + 7] = 'b';
	expect_err(v1, len, "bad signature at offset 8: expected \"TDX-BLOB\"");
	v2[4] = 't';
	expect_err(v2, len, "bad signature at offset 4: expected \"TDX-BLOB\"");
	/* Unknown version and no signature anywhere: not a blob at all. */
	put_le16(v2, 0x300);
	expect_err(v2, len, "bad signature: not a TDX-BLOB image");
	memset(v2, 0, 4096);
	expect_err(v2, len, "bad signature: not a TDX-BLOB image");
	free(v1);
	free(v2);
}

static void test_bad_version(void **state)
{
	size_t len;
	uint8_t *v1 = image(0x100, &len), *v2 = image(0x200, &len);

	put_le16(v1, 0x300);
	expect_err(v1, len, "unknown version 0x300 (expected 0x100 or 0x200)");
	put_le16(v1, 0x101);
	expect_err(v1, len, "unknown version 0x101 (expected 0x100 or 0x200)");
	put_le16(v2, 0);
	expect_err(v2, len, "unknown version 0x0 (expected 0x100 or 0x200)");
	/* A v0x100 header relabelled 0x200: signature at the wrong place. */
	put_le16(v1, 0x200);
	expect_err(v1, len, "bad signature at offset 4: expected \"TDX-BLOB\"");
	free(v1);
	free(v2);
}

static void test_bad_offset(void **state)
{
	size_t len;
	uint8_t *v1 = image(0x100, &len);

	put_le32(v1 + 4, 0x2001);
	expect_err(v1, len, "offset_of_module 0x2001 is not 4 KiB-aligned");
	put_le32(v1 + 4, 0x1800);
	expect_err(v1, len, "offset_of_module 0x1800 is not 4 KiB-aligned");
	put_le32(v1 + 4, 0x1000);
	expect_err(v1, len, "offset_of_module 0x1000 leaves no sigstruct page");
	put_le32(v1 + 4, 0);
	expect_err(v1, len, "offset_of_module 0x0 leaves no sigstruct page");
	put_le32(v1 + 4, IMG_LEN);
	expect_err(v1, len, "offset_of_module 0x17000 is at or past the end of the 94208-byte file");
	put_le32(v1 + 4, 0xFFFFF000);
	expect_err(v1, len,
		   "offset_of_module 0xfffff000 is at or past the end of the 94208-byte file");
	free(v1);
}

static void test_nonzero_reserved(void **state)
{
	size_t len;
	uint8_t *v1 = image(0x100, &len), *v2 = image(0x200, &len);

	v1[20] = 1;
	expect_err(v1, len, "nonzero reserved header byte at offset 20 (0x01)");
	v1[20] = 0;
	v1[24] = 0x80;
	expect_err(v1, len, "nonzero reserved header byte at offset 24 (0x80)");
	v1[24] = 0;
	v1[4095] = 0xFF;
	expect_err(v1, len, "nonzero reserved header byte at offset 4095 (0xff)");

	v2[20] = 2;
	expect_err(v2, len, "nonzero reserved header byte at offset 20 (0x02)");
	v2[20] = 0;
	v2[4095] = 3;
	expect_err(v2, len, "nonzero reserved header byte at offset 4095 (0x03)");
	free(v1);
	free(v2);
}

static void test_length_mismatch(void **state)
{
	size_t len;
	uint8_t *v1 = image(0x100, &len);

	put_le32(v1 + 16, IMG_LEN + 1);
	expect_err(v1, len, "length field 94209 does not match the file size 94208");
	put_le32(v1 + 16, 0);
	expect_err(v1, len, "length field 0 does not match the file size 94208");
	free(v1);
}

static void test_odd_tail(void **state)
{
	struct tdx_image_info info;
	uint8_t *v1, *v2, *big;
	char err[160];
	size_t len;

	v1 = image(0x100, &len);
	big = calloc(1, len + 100);
	memcpy(big, v1, len);
	put_le32(big + 16, (uint32_t)(len + 100));
	tdx_image_fix_checksum(big, len + 100);
	expect_err(big, len + 100, "module is not a whole number of pages: 100 bytes past page 21");
	assert_int_equal(tdx_image_parse(big, len + 100, &info, err, sizeof(err)), -EINVAL);
	assert_int_equal(info.tail_bytes, 100);
	assert_int_equal(info.module_pages, MOD_PAGES);
	free(big);
	free(v1);

	/* v0x200: any extra byte breaks the exact size rule. */
	v2 = image(0x200, &len);
	big = calloc(1, len + 4096);
	memcpy(big, v2, len);
	expect_err(big, len + 1, "size 94209 does not match the header: 4096 + (1 + 21) x 4096 = 94208");
	assert_int_equal(tdx_image_parse(big, len + 4096, &info, err, sizeof(err)), -EINVAL);
	assert_string_equal(err,
			    "size 98304 does not match the header: 4096 + (1 + 21) x 4096 = 94208");
	assert_int_equal(info.tail_bytes, 4096);
	free(big);
	free(v2);
}

static void test_v2_counts(void **state)
{
	size_t len;
	uint8_t *v2 = image(0x200, &len);

	put_le32(v2 + 12, 0);
	expect_err(v2, len, "sigstruct_nr_pages is 0");
	put_le32(v2 + 12, 1);
	put_le32(v2 + 16, 0);
	expect_err(v2, len, "module_nr_pages is 0");
	/* Huge counts must not wrap the size computation. */
	put_le32(v2 + 12, 0xFFFFFFFF);
	put_le32(v2 + 16, 0xFFFFFFFF);
	expect_err(v2, len, "size 94208 does not match the header: "
		   "4096 + (4294967295 + 4294967295) x 4096 = 35184372084736");
	free(v2);
}

static void test_limits(void **state)
{
	struct tdx_image_info info;
	uint8_t *big, *out;
	char err[160];
	size_t len;

	/* Five sigstruct pages: more than SEAMLDR_PARAMS can carry. */
	len = (1 + 5 + 1) * 4096;
	big = calloc(1, len);
	put_le16(big, 0x100);
	put_le32(big + 4, 6 * 4096);
	memcpy(big + 8, "TDX-BLOB", 8);
	put_le32(big + 16, (uint32_t)len);
	expect_err(big, len, "5 sigstruct pages, more than P-SEAMLDR accepts (4)");
	free(big);

	/* 497 module pages, built with the permissive assembler. */
	{
		uint8_t sig[4096] = { 0 };
		uint8_t *mod = calloc(497, 4096);

		assert_int_equal(tdx_image_assemble(0x200, sig, 4096, mod, 497 * 4096, &out,
						    &len), 0);
		expect_err(out, len, "497 module pages, more than P-SEAMLDR accepts (496)");
		free(out);
		assert_int_equal(tdx_image_assemble(0x200, sig, 4096, mod, 496 * 4096, &out,
						    &len), 0);
		assert_int_equal(tdx_image_parse(out, len, &info, err, sizeof(err)), 0);
		assert_int_equal(info.module_pages, 496);
		free(out);
		free(mod);
	}

	/* Over 16 MiB is refused before anything else is read. */
	len = (16u << 20) + 1;
	big = calloc(1, len);
	assert_non_null(big);
	assert_int_equal(tdx_image_parse(big, len, &info, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "too large: 16777217 bytes (limit 16777216)");
	free(big);
}

static void test_assemble(void **state)
{
	uint8_t sig[8192], mod[3 * 4096], *out = NULL;
	struct tdx_image_info info;
	char err[128];
	size_t len = 0;

	memset(sig, 0x11, sizeof(sig));
	memset(mod, 0x22, sizeof(mod));
	assert_int_equal(tdx_image_assemble(0x100, sig, 8192, mod, sizeof(mod), &out, &len), 0);
	assert_int_equal(len, 4096 + 8192 + 3 * 4096);
	assert_int_equal(le16(out), 0x100);
	assert_int_equal(le32(out + 4), 0x3000);
	assert_memory_equal(out + 8, "TDX-BLOB", 8);
	assert_int_equal(le32(out + 16), len);
	assert_true(all_zero(out + 20, 4076));
	assert_memory_equal(out + 4096, sig, sizeof(sig));
	assert_memory_equal(out + 0x3000, mod, sizeof(mod));
	assert_int_equal(tdx_image_word_sum(out, len), 0);
	assert_int_equal(tdx_image_parse(out, len, &info, err, sizeof(err)), 0);
	assert_int_equal(info.sigstruct_pages, 2);
	assert_int_equal(info.module_pages, 3);
	free(out);

	assert_int_equal(tdx_image_assemble(0x200, sig, 8192, mod, sizeof(mod), &out, &len), 0);
	assert_int_equal(le32(out + 12), 2);
	assert_int_equal(le32(out + 16), 3);
	assert_int_equal(tdx_image_word_sum(out, len), 0);
	free(out);

	out = NULL;
	assert_int_equal(tdx_image_assemble(0x300, sig, 4096, mod, 4096, &out, &len), -EINVAL);
	assert_int_equal(tdx_image_assemble(0, sig, 4096, mod, 4096, &out, &len), -EINVAL);
	assert_int_equal(tdx_image_assemble(0x100, sig, 0, mod, 4096, &out, &len), -EINVAL);
	assert_int_equal(tdx_image_assemble(0x100, sig, 4096, mod, 0, &out, &len), -EINVAL);
	assert_int_equal(tdx_image_assemble(0x100, sig, 2048, mod, 4096, &out, &len), -EINVAL);
	assert_int_equal(tdx_image_assemble(0x100, sig, 4096, mod, 4097, &out, &len), -EINVAL);
	assert_int_equal(tdx_image_assemble(0x100, NULL, 4096, mod, 4096, &out, &len), -EINVAL);
	assert_int_equal(tdx_image_assemble(0x100, sig, 4096, mod, 16u << 20, &out, &len),
			 -EFBIG);
	assert_null(out);
}

/* Deterministic header mutations: parse must never misbehave. */
static void test_header_mutations(void **state)
{
	struct tdx_image_info info;
	uint32_t x = 0x12345678;
	char err[160];
	size_t len;
	uint8_t *v[2] = { image(0x100, &len), image(0x200, &len) };

	for (int i = 0; i < 4000; i++) {
		uint8_t *c = copy(v[i & 1], len);
		int r;

		for (int k = 0; k < 3; k++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			c[x % 24] = (uint8_t)(x >> 8);
		}
		r = tdx_image_parse(c, len, &info, err, sizeof(err));
		assert_true(r == 0 || r == -EINVAL);
		if (r == 0) {
			assert_true(info.module_off + info.module_pages * 4096 <= len);
			assert_true(info.sigstruct_pages >= 1 && info.sigstruct_pages <= 4);
		} else {
			assert_true(strlen(err) > 0);
		}
		free(c);
	}
	free(v[0]);
	free(v[1]);
}

static void test_files(void **state)
{
	char dir[] = "/tmp/tdxup-test-image-XXXXXX", path[256], missing[256];
	uint8_t *img, *back;
	size_t len, blen;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a.blob", dir);
	snprintf(missing, sizeof(missing), "%s/no/such/file", dir);
	img = image(0x100, &len);

	assert_int_equal(write_file(path, img, len), 0);
	assert_int_equal(read_file(path, &back, &blen), 0);
	assert_int_equal(blen, len);
	assert_memory_equal(back, img, len);
	free(back);

	/* Rewriting truncates. */
	assert_int_equal(write_file(path, img, 10), 0);
	assert_int_equal(read_file(path, &back, &blen), 0);
	assert_int_equal(blen, 10);
	free(back);
	assert_int_equal(write_file(path, img, 0), 0);
	assert_int_equal(read_file(path, &back, &blen), 0);
	assert_int_equal(blen, 0);
	assert_non_null(back);
	free(back);

	assert_int_equal(read_file(missing, &back, &blen), -ENOENT);
	assert_int_equal(write_file(missing, img, len), -ENOENT);
	assert_int_equal(read_file(dir, &back, &blen), -EISDIR);
	/* A file whose size the kernel does not report up front. */
	assert_int_equal(read_file("/proc/self/stat", &back, &blen), 0);
	assert_true(blen > 0);
	free(back);

	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
	free(img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_v1),
		cmocka_unit_test(test_parse_v2),
		cmocka_unit_test(test_word_sum),
		cmocka_unit_test(test_checksum_reported_not_fatal),
		cmocka_unit_test(test_convert_roundtrip),
		cmocka_unit_test(test_convert_refuses),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_every_truncation),
		cmocka_unit_test(test_bad_signature),
		cmocka_unit_test(test_bad_version),
		cmocka_unit_test(test_bad_offset),
		cmocka_unit_test(test_nonzero_reserved),
		cmocka_unit_test(test_length_mismatch),
		cmocka_unit_test(test_odd_tail),
		cmocka_unit_test(test_v2_counts),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_assemble),
		cmocka_unit_test(test_header_mutations),
		cmocka_unit_test(test_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
