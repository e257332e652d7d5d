// SPDX-License-Identifier: MIT
/* Sigstruct layout, well-formedness and signature (seamldr.md 5). */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "emu/sign.h"
#include "tdxup/sigstruct.h"

/*
 * SHA-384 of the test key's modulus as stored (little-endian), computed
 * independently from keys/tdxup-test-signing-key.pem with the openssl CLI.
 */
static const char test_key_hash_hex[] =
	"50f6369d3254383fcad0a42bc4bda11f737ad5f42854e2c339f28d24e244234c"
	"e697c0f419fb043f1976650a1a8be2b5";

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

/* A well-formed sigstruct with every field distinct. */
static void sample(struct sigstruct *s)
{
	memset(s, 0, sizeof(*s));
	s->header_type = SIGSTRUCT_HEADER_TYPE_VALUE;
	s->header_length = SIGSTRUCT_HEADER_LENGTH_VALUE;
	s->header_version = SIGSTRUCT_HEADER_VERSION_VALUE;
	s->module_type = 0;
	s->module_vendor = SIGSTRUCT_VENDOR_INTEL;
	s->date = 0x20250219;
	s->size = SIGSTRUCT_SIZE_VALUE;
	s->key_size = SIGSTRUCT_KEY_SIZE_VALUE;
	s->modulus_size = SIGSTRUCT_MODULUS_SIZE_VALUE;
	s->exponent_size = SIGSTRUCT_EXPONENT_SIZE_VALUE;
	s->exponent = SIGSTRUCT_EXPONENT_VALUE;
	for (int i = 0; i < 48; i++)
		s->seamhash[i] = (uint8_t)(0xA0 + i);
	s->seamsvn_minor = 0x0B;
	s->seamsvn_major = 0x01;
	s->rip_offset = 0x12345678;
	s->num_stack_pages = 3;
	s->num_tls_pages = 2;
	s->num_keyhole_pages = 0x1122;
	s->num_global_data_pages = 0x3344;
	s->max_tdmrs = 0x5566;
	s->max_rsvd_per_tdmr = 0x7788;
	s->pamt_entry_size_4k = 0x99AA;
	s->pamt_entry_size_2m = 0xBBCC;
	s->pamt_entry_size_1g = 0xDDEE;
	s->module_hv = 2;
	s->min_update_hv = 1;
	s->no_downgrade = 1;
	s->num_handoff_pages = 13;
	s->cpuid_table_size = 3;
	s->cpuid_table[0] = 0x806f8;
	s->cpuid_table[1] = 0xc06f0;
	s->cpuid_table[2] = 0xa06f0;
}

static void signed_sample(uint8_t raw[SIGSTRUCT_SIZE])
{
	struct sigstruct s;

	memset(raw, 0, SIGSTRUCT_SIZE);
	sample(&s);
	sigstruct_serialize(&s, raw);
	assert_int_equal(sigstruct_sign_test_key(raw), 0);
}

static void test_serialize_offsets(void **state)
{
	uint8_t raw[SIGSTRUCT_SIZE] = { 0 };
	struct sigstruct s;

	sample(&s);
	sigstruct_serialize(&s, raw);
	assert_int_equal(le32(raw + 0), 6);
	assert_int_equal(le32(raw + 4), 0xE1);
	assert_int_equal(le32(raw + 8), 0x00010000);
	assert_int_equal(le32(raw + 16), 0x8086);
	assert_int_equal(le32(raw + 20), 0x20250219);
	assert_int_equal(le32(raw + 24), 0x200);
	assert_int_equal(le32(raw + 28), 0x60);
	assert_int_equal(le32(raw + 32), 0x60);
	assert_int_equal(le32(raw + 36), 1);
	assert_int_equal(raw[900], 0xA0);
	assert_int_equal(raw[947], 0xA0 + 47);
	assert_int_equal(le16(raw + 948), 0x10B);
	assert_int_equal(le32(raw + 958), 0x12345678);
	assert_int_equal(raw[962], 3);
	assert_int_equal(raw[963], 2);
	assert_int_equal(le16(raw + 964), 0x1122);
	assert_int_equal(le16(raw + 966), 0x3344);
	assert_int_equal(le16(raw + 968), 0x5566);
	assert_int_equal(le16(raw + 970), 0x7788);
	assert_int_equal(le16(raw + 972), 0x99AA);
	assert_int_equal(le16(raw + 974), 0xBBCC);
	assert_int_equal(le16(raw + 976), 0xDDEE);
	assert_int_equal(le16(raw + 984), 2);
	assert_int_equal(le16(raw + 986), 1);
	assert_int_equal(raw[988], 1);
	assert_int_equal(le16(raw + 990), 13);
	assert_int_equal(le32(raw + 1024), 3);
	assert_int_equal(le32(raw + 1028), 0x806f8);
	assert_int_equal(le32(raw + 1032), 0xc06f0);
	assert_int_equal(le32(raw + 1036), 0xa06f0);
	/* Modulus, exponent and signature are not serialised. */
	assert_true(all_zero(raw + 128, 900 - 128));
	/* Reserved areas untouched. */
	assert_true(all_zero(raw + 40, 88));
	assert_true(all_zero(raw + 978, 6));
	assert_true(all_zero(raw + 992, 32));
}

static void test_parse_serialize_roundtrip(void **state)
{
	uint8_t raw[SIGSTRUCT_SIZE] = { 0 }, again[SIGSTRUCT_SIZE];
	struct sigstruct s, t;

	sample(&s);
	sigstruct_serialize(&s, raw);
	sigstruct_parse(raw, &t);
	/* The exponent belongs to the key and is written by signing only. */
	assert_int_equal(t.exponent, 0);
	t.exponent = s.exponent;
	assert_memory_equal(&s, &t, sizeof(s));

	/* Arbitrary bytes: parse then serialize rewrites exactly the same bytes. */
	for (int i = 0; i < SIGSTRUCT_SIZE; i++)
		raw[i] = (uint8_t)(i * 7 + 3);
	put_le32(raw + SIGSTRUCT_CPUID_TABLE_SIZE, 200);
	memcpy(again, raw, sizeof(raw));
	sigstruct_parse(raw, &t);
	assert_int_equal(t.header_type, le32(raw));
	assert_int_equal(t.exponent, le32(raw + 512));
	assert_int_equal(t.attributes, le64(raw + 950));
	assert_int_equal(t.cpuid_table_size, 200);
	assert_int_equal(t.cpuid_table[254], le32(raw + 1028 + 4 * 254));
	sigstruct_serialize(&t, again);
	assert_memory_equal(raw, again, sizeof(raw));
}

static void test_parse_clamps_cpuid_size(void **state)
{
	uint8_t raw[SIGSTRUCT_SIZE] = { 0 };
	struct sigstruct s;

	put_le32(raw + SIGSTRUCT_CPUID_TABLE_SIZE, 0xFFFFFFFF);
	sigstruct_parse(raw, &s);
	assert_int_equal(s.cpuid_table_size, 255);
	put_le32(raw + SIGSTRUCT_CPUID_TABLE_SIZE, 256);
	sigstruct_parse(raw, &s);
	assert_int_equal(s.cpuid_table_size, 255);
	put_le32(raw + SIGSTRUCT_CPUID_TABLE_SIZE, 255);
	sigstruct_parse(raw, &s);
	assert_int_equal(s.cpuid_table_size, 255);
}

static void test_sign_verify(void **state)
{
	uint8_t raw[SIGSTRUCT_SIZE], raw2[SIGSTRUCT_SIZE];

	signed_sample(raw);
	assert_int_equal(sigstruct_verify_signature(raw), 0);
	/* Exponent stored as 0x10001 LE. */
	assert_int_equal(raw[512], 0x01);
	assert_int_equal(raw[513], 0x00);
	assert_int_equal(raw[514], 0x01);
	assert_int_equal(raw[515], 0x00);
	/* PKCS#1 v1.5 is deterministic. */
	signed_sample(raw2);
	assert_memory_equal(raw, raw2, sizeof(raw));
	/* The signature covers the data: re-signing after a change differs. */
	raw2[SIGSTRUCT_SEAMHASH] ^= 1;
	assert_int_equal(sigstruct_sign_test_key(raw2), 0);
	assert_int_equal(sigstruct_verify_signature(raw2), 0);
	assert_memory_not_equal(raw + SIGSTRUCT_SIGNATURE, raw2 + SIGSTRUCT_SIGNATURE, 384);
	assert_memory_equal(raw + SIGSTRUCT_MODULUS, raw2 + SIGSTRUCT_MODULUS, 384);
}

/* The signed-message gap [128,900) is exactly modulus + exponent + signature. */
static void test_layout_gap(void **state)
{
	assert_int_equal(SIGSTRUCT_MODULUS, 128);
	assert_int_equal(SIGSTRUCT_MODULUS + SIGSTRUCT_RSA_BYTES, SIGSTRUCT_EXPONENT);
	assert_int_equal(SIGSTRUCT_EXPONENT + 4, SIGSTRUCT_SIGNATURE);
	assert_int_equal(SIGSTRUCT_SIGNATURE + SIGSTRUCT_RSA_BYTES, SIGSTRUCT_SEAMHASH);
	assert_int_equal(SIGSTRUCT_SEAMHASH, 900);
	assert_int_equal(128 + (SIGSTRUCT_SIZE - 900), 1276);
}

/* Flipping any single byte anywhere in the 2048 bytes breaks verification. */
static void test_tamper_every_byte(void **state)
{
	uint8_t raw[SIGSTRUCT_SIZE];
	int failed = 0;

	signed_sample(raw);
	for (int i = 0; i < SIGSTRUCT_SIZE; i++) {
		raw[i] ^= 0x01;
		if (sigstruct_verify_signature(raw) == -EBADMSG)
			failed++;
		else
			fail_msg("flip at offset %d still verifies", i);
		raw[i] ^= 0x01;
	}
	assert_int_equal(failed, SIGSTRUCT_SIZE);
	assert_int_equal(sigstruct_verify_signature(raw), 0);
}

static void test_tamper_regions(void **state)
{
	static const int signed_offs[] = { 0, 12, 20, 40, 127, 900, 947, 948, 950, 984,
					   990, 1024, 1028, 2047 };
	static const int sig_offs[] = { 516, 600, 899 };
	static const int mod_offs[] = { 128, 256, 510, 511 };
	uint8_t raw[SIGSTRUCT_SIZE], h0[48], h1[48];

	signed_sample(raw);
	sigstruct_key_hash(raw, h0);
	for (size_t i = 0; i < sizeof(signed_offs) / sizeof(signed_offs[0]); i++) {
		raw[signed_offs[i]] ^= 0x80;
		assert_int_equal(sigstruct_verify_signature(raw), -EBADMSG);
		/* Outside the modulus: the key hash does not move. */
		sigstruct_key_hash(raw, h1);
		assert_memory_equal(h0, h1, 48);
		raw[signed_offs[i]] ^= 0x80;
	}
	for (size_t i = 0; i < sizeof(sig_offs) / sizeof(sig_offs[0]); i++) {
		raw[sig_offs[i]] ^= 0x80;
		assert_int_equal(sigstruct_verify_signature(raw), -EBADMSG);
		raw[sig_offs[i]] ^= 0x80;
	}
	for (size_t i = 0; i < sizeof(mod_offs) / sizeof(mod_offs[0]); i++) {
		raw[mod_offs[i]] ^= 0x80;
		assert_int_equal(sigstruct_verify_signature(raw), -EBADMSG);
		sigstruct_key_hash(raw, h1);
		assert_memory_not_equal(h0, h1, 48);
		raw[mod_offs[i]] ^= 0x80;
	}
	assert_int_equal(sigstruct_verify_signature(raw), 0);
}

static void test_tamper_exponent(void **state)
{
	uint8_t raw[SIGSTRUCT_SIZE];

	signed_sample(raw);
	for (int i = 512; i < 516; i++) {
		uint8_t old = raw[i];

		raw[i] = (uint8_t)(old + 1);
		assert_int_equal(sigstruct_verify_signature(raw), -EBADMSG);
		raw[i] = old;
	}
	put_le32(raw + SIGSTRUCT_EXPONENT, 3);
	assert_int_equal(sigstruct_verify_signature(raw), -EBADMSG);
	put_le32(raw + SIGSTRUCT_EXPONENT, 0x10001);
	assert_int_equal(sigstruct_verify_signature(raw), 0);
}

static void test_unsigned_fails(void **state)
{
	uint8_t raw[SIGSTRUCT_SIZE] = { 0 };
	struct sigstruct s;

	assert_int_equal(sigstruct_verify_signature(raw), -EBADMSG);
	sample(&s);
	sigstruct_serialize(&s, raw);
	put_le32(raw + SIGSTRUCT_EXPONENT, 0x10001);
	assert_int_equal(sigstruct_verify_signature(raw), -EBADMSG);
	memset(raw + SIGSTRUCT_MODULUS, 0xFF, 384);
	memset(raw + SIGSTRUCT_SIGNATURE, 0xFF, 384);
	assert_int_equal(sigstruct_verify_signature(raw), -EBADMSG);
}

/* A modulus with a zero top byte is a smaller key, never a 3072-bit one. */
static void test_short_modulus_rejected(void **state)
{
	uint8_t raw[SIGSTRUCT_SIZE];

	signed_sample(raw);
	raw[SIGSTRUCT_MODULUS + 383] = 0;
	assert_int_equal(sigstruct_verify_signature(raw), -EBADMSG);
}

static void expect_reject(void (*mutate)(struct sigstruct *), const char *reason)
{
	struct sigstruct s;
	const char *why = NULL;

	sample(&s);
	assert_int_equal(sigstruct_check_wellformed(&s, &why), 0);
	assert_string_equal(why, "well-formed");
	mutate(&s);
	assert_int_equal(sigstruct_check_wellformed(&s, &why), -EINVAL);
	assert_string_equal(why, reason);
	assert_int_equal(sigstruct_check_wellformed(&s, NULL), -EINVAL);
}

static void m_type(struct sigstruct *s) { s->header_type = 7; }
static void m_len(struct sigstruct *s) { s->header_length = 0xE0; }
static void m_ver(struct sigstruct *s) { s->header_version = 0x00020000; }
static void m_size(struct sigstruct *s) { s->size = 0x1FF; }
static void m_key(struct sigstruct *s) { s->key_size = 0x40; }
static void m_mod(struct sigstruct *s) { s->modulus_size = 0x61; }
static void m_expsz(struct sigstruct *s) { s->exponent_size = 2; }
static void m_exp(struct sigstruct *s) { s->exponent = 3; }
static void m_attr(struct sigstruct *s) { s->attributes = 1ULL << 63; }
static void m_hv(struct sigstruct *s) { s->module_hv = 0; s->min_update_hv = 1; }

static void test_wellformed_rejections(void **state)
{
	expect_reject(m_type, "header_type is not 6");
	expect_reject(m_len, "header_length is not 0xE1");
	expect_reject(m_ver, "header_version is not 0x00010000");
	expect_reject(m_size, "size is not 0x200");
	expect_reject(m_key, "key_size is not 0x60");
	expect_reject(m_mod, "modulus_size is not 0x60");
	expect_reject(m_expsz, "exponent_size is not 1");
	expect_reject(m_exp, "exponent is not 0x10001");
	expect_reject(m_attr, "attributes are not 0");
	expect_reject(m_hv, "min_update_hv is greater than module_hv");
}

static void test_wellformed_edges(void **state)
{
	struct sigstruct s;

	sample(&s);
	s.module_hv = s.min_update_hv = 0;
	assert_int_equal(sigstruct_check_wellformed(&s, NULL), 0);
	s.module_hv = s.min_update_hv = 0xFFFF;
	assert_int_equal(sigstruct_check_wellformed(&s, NULL), 0);
	/* Debug module_type and any vendor are not well-formedness matters. */
	s.module_type = SIGSTRUCT_MODULE_TYPE_DEBUG;
	assert_int_equal(sigstruct_check_wellformed(&s, NULL), 0);
}

static void test_key_hash(void **state)
{
	uint8_t raw[SIGSTRUCT_SIZE], h[48], direct[48];
	char hexbuf[97];
	unsigned int n;

	signed_sample(raw);
	sigstruct_key_hash(raw, h);
	assert_memory_equal(h, tdxup_test_key_hash(), 48);
	/* The production tool's public constant is the emulator's private key's. */
	assert_memory_equal(tdxup_test_key_hash_computed(), tdxup_test_key_hash(), 48);
	assert_ptr_equal(tdxup_test_key_hash(), tdxup_test_key_hash());
	hex(tdxup_test_key_hash(), 48, hexbuf);
	assert_string_equal(hexbuf, test_key_hash_hex);
	/* Hash of the bytes as stored, not of the big-endian integer. */
	assert_int_equal(EVP_Digest(raw + 128, 384, direct, &n, EVP_sha384(), NULL), 1);
	assert_memory_equal(h, direct, 48);
	assert_memory_not_equal(h, intel_production_key_hash_prefix, 16);
}

static void test_intel_prefix(void **state)
{
	char hexbuf[33];

	hex(intel_production_key_hash_prefix, 16, hexbuf);
	assert_string_equal(hexbuf, "c8572f548869a0beca19376b81c2dffc");
}

static void test_fms(void **state)
{
	struct sigstruct s;

	sample(&s);
	s.cpuid_table_size = 2;		/* 0x806f8, 0xc06f0; 0xa06f0 beyond size */
	assert_true(sigstruct_supports_fms(&s, 0x806f8));
	assert_true(sigstruct_supports_fms(&s, 0x806f0));
	assert_true(sigstruct_supports_fms(&s, 0x806ff));
	assert_true(sigstruct_supports_fms(&s, 0xc06f4));
	assert_false(sigstruct_supports_fms(&s, 0x806e8));
	assert_false(sigstruct_supports_fms(&s, 0x806f8 | 0x100000));
	assert_false(sigstruct_supports_fms(&s, 0xa06f0));
	s.cpuid_table_size = 3;
	assert_true(sigstruct_supports_fms(&s, 0xa06f1));
	s.cpuid_table_size = 0;
	assert_false(sigstruct_supports_fms(&s, 0x806f8));
	/* The table entry's own stepping is masked too. */
	s.cpuid_table_size = 1;
	s.cpuid_table[0] = 0xa06d5;
	assert_true(sigstruct_supports_fms(&s, 0xa06d0));
	assert_true(sigstruct_supports_fms(&s, 0xa06da));
	/* A bogus oversized count is bounded by the table. */
	s.cpuid_table_size = 100000;
	s.cpuid_table[254] = 0x123450;
	assert_true(sigstruct_supports_fms(&s, 0x123456));
}

static void *sign_thread(void *arg)
{
	uint8_t *raw = arg, h[48];

	/* The first tdxup_test_key_hash() calls race here: pthread_once. */
	if (sigstruct_sign_test_key(raw) || sigstruct_verify_signature(raw))
		return (void *)1;
	sigstruct_key_hash(raw, h);
	if (memcmp(h, tdxup_test_key_hash(), 48))
		return (void *)1;
	return NULL;
}

static void test_threads(void **state)
{
	uint8_t raw[4][SIGSTRUCT_SIZE], ref[SIGSTRUCT_SIZE];
	pthread_t t[4];
	void *rv;

	signed_sample(ref);
	for (int i = 0; i < 4; i++) {
		/* Start from an unsigned copy: modulus and signature zeroed. */
		memcpy(raw[i], ref, SIGSTRUCT_SIZE);
		memset(raw[i] + SIGSTRUCT_MODULUS, 0, 900 - 128);
		assert_int_equal(pthread_create(&t[i], NULL, sign_thread, raw[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], &rv), 0);
		assert_null(rv);
		assert_memory_equal(raw[i], ref, SIGSTRUCT_SIZE);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* First, so the one-time key hash set-up is raced. */
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_serialize_offsets),
		cmocka_unit_test(test_parse_serialize_roundtrip),
		cmocka_unit_test(test_parse_clamps_cpuid_size),
		cmocka_unit_test(test_sign_verify),
		cmocka_unit_test(test_layout_gap),
		cmocka_unit_test(test_tamper_every_byte),
		cmocka_unit_test(test_tamper_regions),
		cmocka_unit_test(test_tamper_exponent),
		cmocka_unit_test(test_unsigned_fails),
		cmocka_unit_test(test_short_modulus_rejected),
		cmocka_unit_test(test_wellformed_rejections),
		cmocka_unit_test(test_wellformed_edges),
		cmocka_unit_test(test_key_hash),
		cmocka_unit_test(test_intel_prefix),
		cmocka_unit_test(test_fms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
