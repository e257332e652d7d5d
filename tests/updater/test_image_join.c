// SPDX-License-Identifier: MIT
/*
 * tdx_image_join: a module binary and its sigstruct into a verified TDX-BLOB
 * (seamldr.md 6; format 0x100 exactly as Intel's blob_join.sh lays it out).
 * Also read_file's refusal of non-regular files, which `image join` relies on.
 */
#include <errno.h>
#include <fcntl.h>
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
#include <openssl/evp.h>

#include "emu/module_build.h"
#include "emu/sign.h"
#include "tdxup/catalog.h"
#include "tdxup/image.h"
#include "tdxup/seamldr_abi.h"
#include "tdxup/sigstruct.h"

/* 1.5.25: 1 sigstruct page, 21 module pages. */
#define MOD_PAGES	21
#define MOD_LEN		(MOD_PAGES * 4096)
#define IMG_LEN		(8192 + MOD_LEN)

struct parts {
	uint8_t *img100, *img200;	/* the emulator's own images of 1.5.25 */
	size_t len;
	uint8_t *bin;			/* exact-size copies, so ASan sees overreads */
	uint8_t *sig;
};

static uint8_t *copy(const uint8_t *p, size_t len)
{
	uint8_t *q = malloc(len ? len : 1);

	assert_non_null(q);
	if (len)
		memcpy(q, p, len);
	return q;
}

static uint8_t *build(unsigned int format, size_t *len)
{
	struct module_image_opts opts = { .format = format };
	uint8_t *img;

	assert_int_equal(module_image_build(module_build_find("1.5.25"), &opts, &img, len), 0);
	assert_int_equal(*len, IMG_LEN);
	return img;
}

/* Split a built image into what Intel publishes as separate files. */
static int setup(void **state)
{
	struct parts *p = calloc(1, sizeof(*p));
	size_t len2;

	assert_non_null(p);
	p->img100 = build(TDX_BLOB_VERSION_1, &p->len);
	p->img200 = build(TDX_IMAGE_VERSION_2, &len2);
	p->sig = copy(p->img100 + 4096, SIGSTRUCT_SIZE);
	p->bin = copy(p->img100 + 8192, MOD_LEN);
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	struct parts *p = *state;

	free(p->img100);
	free(p->img200);
	free(p->bin);
	free(p->sig);
	free(p);
	return 0;
}

/* The test's own word sum, independent of tdx_image_word_sum. */
static uint16_t word_sum(const uint8_t *b, size_t len)
{
	unsigned long s = 0;

	for (size_t i = 0; i < len; i += 2)
		s += b[i] | (i + 1 < len ? b[i + 1] << 8 : 0);
	return (uint16_t)s;
}

/*
 * The blob blob_join.sh writes, from its documented layout: header page
 * (version, checksum, offset_of_module 0x2000, "TDX-BLOB", length, zeros),
 * the 2 KiB sigstruct, 2 KiB of zeros, the module unchanged.
 */
static uint8_t *blob_join_layout(const uint8_t *bin, size_t bin_len, const uint8_t *sig)
{
	size_t len = 8192 + bin_len;
	uint8_t *b = calloc(1, len);
	uint16_t s;

	assert_non_null(b);
	b[0] = 0x00, b[1] = 0x01;
	b[4] = 0x00, b[5] = 0x20, b[6] = 0x00, b[7] = 0x00;
	memcpy(b + 8, "TDX-BLOB", 8);
	b[16] = len & 0xff, b[17] = (len >> 8) & 0xff, b[18] = (len >> 16) & 0xff;
	b[19] = (uint8_t)(len >> 24);
	memcpy(b + 4096, sig, 2048);
	memcpy(b + 8192, bin, bin_len);
	s = (uint16_t)(0x10000u - word_sum(b, len));
	b[2] = s & 0xff, b[3] = s >> 8;
	return b;
}

static void sha384(const uint8_t *buf, size_t len, uint8_t md[48])
{
	assert_int_equal(EVP_Digest(buf, len, md, NULL, EVP_sha384(), NULL), 1);
}

static void test_join_v1_is_blob_join(void **state)
{
	struct parts *p = *state;
	struct image_facts f;
	uint8_t *out = NULL, *want, md[48];
	size_t len = 0;
	char err[256] = "x";

	assert_int_equal(tdx_image_join(p->bin, MOD_LEN, p->sig, SIGSTRUCT_SIZE, 0x100, &out, &len,
					&f, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(len, IMG_LEN);
	/* The field values, at their offsets (seamldr.md 6.1). */
	assert_int_equal(le16(out + 0), 0x100);
	assert_int_equal(le32(out + 4), 0x2000);
	assert_memory_equal(out + 8, "TDX-BLOB", 8);
	assert_int_equal(le32(out + 16), IMG_LEN);
	assert_int_equal(le32(out + 20), 0);
	assert_true(all_zero(out + 24, 4072));
	assert_memory_equal(out + 4096, p->sig, 2048);
	assert_true(all_zero(out + 6144, 2048));
	assert_memory_equal(out + 8192, p->bin, MOD_LEN);
	assert_int_equal(word_sum(out, len), 0);
	/* Byte for byte the documented layout, and so the emulator's own build. */
	want = blob_join_layout(p->bin, MOD_LEN, p->sig);
	assert_int_equal(le16(out + 2), le16(want + 2));
	assert_memory_equal(out, want, IMG_LEN);
	assert_memory_equal(out, p->img100, IMG_LEN);
	/* What was found is handed back. */
	assert_true(f.intact);
	assert_int_equal(f.format, 0x100);
	assert_int_equal(f.size, IMG_LEN);
	sha384(p->bin, MOD_LEN, md);
	assert_memory_equal(f.sig.seamhash, md, 48);
	assert_memory_equal(f.key_hash, tdxup_test_key_hash(), 48);
	free(want);
	free(out);
}

static void test_join_v2(void **state)
{
	struct parts *p = *state;
	struct image_facts f;
	uint8_t *out = NULL, *back = NULL;
	size_t len = 0;
	char err[256];

	assert_int_equal(tdx_image_join(p->bin, MOD_LEN, p->sig, SIGSTRUCT_SIZE, 0x200, &out, &len,
					&f, err, sizeof(err)), 0);
	assert_int_equal(len, IMG_LEN);
	assert_int_equal(le16(out + 0), 0x200);
	assert_memory_equal(out + 4, "TDX-BLOB", 8);
	assert_int_equal(le32(out + 12), 1);
	assert_int_equal(le32(out + 16), MOD_PAGES);
	assert_true(all_zero(out + 20, 4076));
	assert_memory_equal(out + 4096, p->img100 + 4096, IMG_LEN - 4096);
	assert_memory_equal(out, p->img200, IMG_LEN);
	assert_true(f.intact);
	assert_int_equal(f.format, 0x200);
	/* Converting back gives the 0x100 blob exactly. */
	assert_int_equal(tdx_image_convert(out, len, 0x100, &back, err, sizeof(err)), 0);
	assert_memory_equal(back, p->img100, IMG_LEN);
	free(back);
	free(out);
}

/* A sigstruct page cut from a blob joins to the same bytes. */
static void test_join_sigstruct_page(void **state)
{
	struct parts *p = *state;
	uint8_t *page = copy(p->img100 + 4096, 4096), *out = NULL;
	size_t len = 0;
	char err[256];

	assert_int_equal(tdx_image_join(p->bin, MOD_LEN, page, 4096, 0x100, &out, &len, NULL,
					err, sizeof(err)), 0);
	assert_memory_equal(out, p->img100, IMG_LEN);
	free(out);
	page[4095] = 1;
	out = NULL;
	assert_int_equal(tdx_image_join(p->bin, MOD_LEN, page, 4096, 0x100, &out, &len, NULL,
					err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "sigstruct page has nonzero bytes past the 2048-byte sigstruct");
	assert_null(out);
	free(page);
}

/* A binary of our own and a sigstruct signed for it: no descriptor, 3 pages. */
static void test_join_own_module(void **state)
{
	struct parts *p = *state;
	uint8_t bin[3 * 4096], sig[SIGSTRUCT_SIZE], *out = NULL, *want;
	struct image_facts f;
	struct sigstruct s;
	size_t len = 0;
	char err[256];

	for (size_t i = 0; i < sizeof(bin); i++)
		bin[i] = (uint8_t)(i * 7 + 3);
	sigstruct_parse(p->sig, &s);
	sha384(bin, sizeof(bin), s.seamhash);
	memset(sig, 0, sizeof(sig));
	sigstruct_serialize(&s, sig);
	assert_int_equal(sigstruct_sign_test_key(sig), 0);

	assert_int_equal(tdx_image_join(bin, sizeof(bin), sig, sizeof(sig), 0x100, &out, &len, &f,
					err, sizeof(err)), 0);
	assert_int_equal(len, 8192 + 3 * 4096);
	assert_int_equal(le32(out + 16), 20480);
	want = blob_join_layout(bin, sizeof(bin), sig);
	assert_memory_equal(out, want, len);
	assert_true(f.intact);
	assert_false(f.has_desc);
	free(want);
	free(out);
}

/* Refused with exactly this reason, and no image handed back. */
static void expect_refused(const uint8_t *bin, size_t bin_len, const uint8_t *sig,
			   size_t sig_len, unsigned int format, const char *reason)
{
	uint8_t *b = copy(bin, bin_len), *s = copy(sig, sig_len);
	uint8_t *out = (uint8_t *)"untouched";
	struct image_facts f;
	size_t len = 12345;
	char err[256];

	memset(err, 'x', sizeof(err));
	assert_int_equal(tdx_image_join(b, bin_len, s, sig_len, format, &out, &len, &f,
					err, sizeof(err)), -EINVAL);
	assert_string_equal(err, reason);
	assert_string_equal((char *)out, "untouched");
	assert_int_equal(len, 12345);
	assert_false(f.intact);
	/* Also without a buffer for the reason or the facts. */
	assert_int_equal(tdx_image_join(b, bin_len, s, sig_len, format, &out, &len, NULL,
					NULL, 0), -EINVAL);
	free(b);
	free(s);
}

static void test_join_bad_input(void **state)
{
	struct parts *p = *state;
	uint8_t *big = calloc(497, 4096);

	assert_non_null(big);
	expect_refused(p->bin, 0, p->sig, SIGSTRUCT_SIZE, 0x100, "module binary is empty");
	expect_refused(p->bin, MOD_LEN - 1, p->sig, SIGSTRUCT_SIZE, 0x100,
		       "module binary is 86015 bytes, not a whole number of 4 KiB pages");
	expect_refused(big, 497 * 4096, p->sig, SIGSTRUCT_SIZE, 0x200,
		       "module binary is 497 pages, more than P-SEAMLDR accepts (496)");
	expect_refused(p->bin, MOD_LEN, p->sig, SIGSTRUCT_SIZE - 1, 0x100,
		       "sigstruct is 2047 bytes: expected 2048 (or a 4096-byte page ending in zeros)");
	expect_refused(p->bin, MOD_LEN, p->sig, 0, 0x100,
		       "sigstruct is 0 bytes: expected 2048 (or a 4096-byte page ending in zeros)");
	expect_refused(p->bin, MOD_LEN, p->sig, SIGSTRUCT_SIZE, 0x300,
		       "unknown format 0x300 (expected 0x100 or 0x200)");
	free(big);
}

static void test_join_bad_sigstruct(void **state)
{
	struct parts *p = *state;
	uint8_t sig[SIGSTRUCT_SIZE];

	memcpy(sig, p->sig, sizeof(sig));
	sig[0] = 7;				/* header_type */
	expect_refused(p->bin, MOD_LEN, sig, sizeof(sig), 0x100,
		       "sigstruct is malformed: header_type is not 6");
	memcpy(sig, p->sig, sizeof(sig));
	sig[950] = 1;				/* attributes */
	expect_refused(p->bin, MOD_LEN, sig, sizeof(sig), 0x200,
		       "sigstruct is malformed: attributes are not 0");
}

static void test_join_fails_verification(void **state)
{
	struct parts *p = *state;
	uint8_t sig[SIGSTRUCT_SIZE], *bin = copy(p->bin, MOD_LEN);

	/* One bit of the module: the seamhash no longer matches. */
	bin[5000] ^= 1;
	expect_refused(bin, MOD_LEN, p->sig, SIGSTRUCT_SIZE, 0x100,
		       "joined image does not verify: seamhash mismatch: SHA-384 of the 21 "
		       "module pages differs from the sigstruct");
	expect_refused(bin, MOD_LEN, p->sig, SIGSTRUCT_SIZE, 0x200,
		       "joined image does not verify: seamhash mismatch: SHA-384 of the 21 "
		       "module pages differs from the sigstruct");
	/* The signature itself, then a signed field. */
	memcpy(sig, p->sig, sizeof(sig));
	sig[600] ^= 1;
	expect_refused(p->bin, MOD_LEN, sig, sizeof(sig), 0x100,
		       "joined image does not verify: bad signature: RSA-3072 verification of "
		       "the sigstruct failed");
	memcpy(sig, p->sig, sizeof(sig));
	sig[20] ^= 1;				/* date */
	expect_refused(p->bin, MOD_LEN, sig, sizeof(sig), 0x200,
		       "joined image does not verify: bad signature: RSA-3072 verification of "
		       "the sigstruct failed");
	free(bin);
}

static void test_read_file_not_regular(void **state)
{
	char dir[] = "/tmp/tdxup-join-XXXXXX", fifo[64];
	uint8_t *buf = (uint8_t *)"untouched";
	size_t len = 7;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	/* No writer: a blocking open would never return. */
	assert_int_equal(read_file(fifo, &buf, &len), -EINVAL);
	assert_int_equal(read_file("/dev/null", &buf, &len), -EINVAL);
	assert_int_equal(read_file(dir, &buf, &len), -EISDIR);
	assert_string_equal((char *)buf, "untouched");
	assert_int_equal(len, 7);
	assert_int_equal(unlink(fifo), 0);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_join_v1_is_blob_join),
		cmocka_unit_test(test_join_v2),
		cmocka_unit_test(test_join_sigstruct_page),
		cmocka_unit_test(test_join_own_module),
		cmocka_unit_test(test_join_bad_input),
		cmocka_unit_test(test_join_bad_sigstruct),
		cmocka_unit_test(test_join_fails_verification),
		cmocka_unit_test(test_read_file_not_regular),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
