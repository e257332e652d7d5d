// SPDX-License-Identifier: MIT
/*
 * Attestation values of an image (src/image/attest.c): MRSEAM is the
 * SHA-384 of the module pages and equals the seamhash, MRSIGNERSEAM zero,
 * TEE_TCB_SVN minor byte first. Exact values of emulated builds, which are
 * deterministic (the same pages and the same test-key signature every build).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "emu/module_build.h"
#include "tdxup/attest.h"
#include "tdxup/seamldr_abi.h"
#include "tdxup/sigstruct.h"

/* `tdxup image inspect` of the 1.5.25 build: sigstruct seamhash. */
#define MRSEAM_1_5_25 \
	"3962f80f0be8e58a862a7095b866a226097a445cfe99f664274e87543f5e6b36" \
	"551821b8f98a0589b92bbf464fbf5ccc"
#define MRSEAM_2_0_08 \
	"c30c8ff2d604aa792d1e86c5caf9130738a8f74120d8d400645ec5462dee7615" \
	"0ef0b680abeedbaf7d6d5a98291079ab"

static uint8_t *image(const char *version, unsigned int format, size_t *len)
{
	struct module_image_opts opts = { .format = format };
	uint8_t *img;

	assert_int_equal(module_image_build(module_build_find(version), &opts, &img, len), 0);
	return img;
}

static void hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

static void assert_mrseam(const struct tdx_attestation *a, const char *want)
{
	char got[2 * SHA384_DIGEST_SIZE + 1];

	hex(a->mrseam, sizeof(a->mrseam), got);
	assert_string_equal(got, want);
}

static void test_values_1_5_25(void **state)
{
	static const uint8_t zero[SHA384_DIGEST_SIZE];
	struct tdx_attestation a;
	struct sigstruct s;
	uint8_t md[SHA384_DIGEST_SIZE];
	size_t len;
	uint8_t *img = image("1.5.25", 0x100, &len);

	assert_int_equal(tdx_attestation_from_image(img, len, &a, NULL, 0), 0);
	assert_mrseam(&a, MRSEAM_1_5_25);
	/* The seamhash as stored, and an independent hash of pages 2.. (0x2000 on). */
	sigstruct_parse(img + 0x1000, &s);
	assert_memory_equal(a.mrseam, s.seamhash, SHA384_DIGEST_SIZE);
	assert_int_equal(EVP_Digest(img + 0x2000, len - 0x2000, md, NULL, EVP_sha384(), NULL), 1);
	assert_memory_equal(a.mrseam, md, SHA384_DIGEST_SIZE);
	assert_true(a.mrsignerseam_known);
	assert_memory_equal(a.mrsignerseam, zero, sizeof(zero));
	assert_int_equal(a.signer, TDX_SIGNER_TEST_KEY);
	/* seamsvn 0x010e: major 1, minor 14; TEE_TCB_SVN is minor then major. */
	assert_int_equal(a.seam_svn_major, 1);
	assert_int_equal(a.seam_svn_minor, 14);
	assert_int_equal(img[0x1000 + 948], 0x0e);
	assert_int_equal(img[0x1000 + 949], 0x01);
	assert_int_equal(a.tee_tcb_svn_prefix[0], 0x0e);
	assert_int_equal(a.tee_tcb_svn_prefix[1], 0x01);
	free(img);
}

/* The header format changes nothing the module reports. */
static void test_format_0x200_same(void **state)
{
	struct tdx_attestation a;
	size_t len;
	uint8_t *img = image("1.5.25", 0x200, &len);

	assert_int_equal(tdx_attestation_from_image(img, len, &a, NULL, 0), 0);
	assert_mrseam(&a, MRSEAM_1_5_25);
	free(img);
}

/* 2.0.08: seamsvn 0x305 (seamldr.md 5), so the prefix is 05 03. */
static void test_byte_order_2_0_08(void **state)
{
	struct tdx_attestation a;
	size_t len;
	uint8_t *img = image("2.0.08", 0x100, &len);

	assert_int_equal(tdx_attestation_from_image(img, len, &a, NULL, 0), 0);
	assert_mrseam(&a, MRSEAM_2_0_08);
	assert_int_equal(a.seam_svn_major, 3);
	assert_int_equal(a.seam_svn_minor, 5);
	assert_int_equal(a.tee_tcb_svn_prefix[0], 0x05);
	assert_int_equal(a.tee_tcb_svn_prefix[1], 0x03);
	free(img);
}

/* One changed module byte: the seamhash no longer holds; no value at all. */
static void test_seamhash_mismatch_refused(void **state)
{
	struct tdx_attestation a;
	char err[256];
	size_t len;
	uint8_t *img = image("1.5.25", 0x100, &len);

	img[len - 1] ^= 1;
	assert_int_equal(tdx_attestation_from_image(img, len, &a, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "seamhash mismatch: the SHA-384 of the 21 module pages differs "
			    "from the sigstruct's seamhash; P-SEAMLDR refuses this image, so no "
			    "host reports an MRSEAM for it");
	free(img);
}

/* A seamhash changed to match the changed pages breaks the signature instead. */
static void test_forged_seamhash_refused(void **state)
{
	struct tdx_attestation a;
	char err[256];
	size_t len;
	uint8_t *img = image("1.5.25", 0x100, &len);

	img[len - 1] ^= 1;
	assert_int_equal(EVP_Digest(img + 0x2000, len - 0x2000, img + 0x1000 + 900, NULL,
				    EVP_sha384(), NULL), 1);
	assert_int_equal(tdx_attestation_from_image(img, len, &a, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "the sigstruct's RSA-3072 signature does not verify: no "
			    "P-SEAMLDR loads this image");
	free(img);
}

static void test_malformed_refused(void **state)
{
	struct tdx_attestation a;
	char err[256];
	size_t len;
	uint8_t *img = image("1.5.25", 0x100, &len);

	assert_int_equal(tdx_attestation_from_image(img, 4096, &a, err, sizeof(err)), -EINVAL);
	assert_memory_equal(err, "malformed image: ", 17);
	free(img);
}

static void test_signer_names(void **state)
{
	assert_string_equal(tdx_signer_name(TDX_SIGNER_INTEL), "intel");
	assert_string_equal(tdx_signer_name(TDX_SIGNER_TEST_KEY), "tdxup-test-key");
	assert_string_equal(tdx_signer_name(TDX_SIGNER_UNKNOWN), "unknown");
	assert_string_equal(tdx_signer_mrsigner_note(TDX_SIGNER_INTEL),
			    "all zero: P-SEAMLDR writes mrsigner = 0 for Intel-signed modules");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values_1_5_25),
		cmocka_unit_test(test_format_0x200_same),
		cmocka_unit_test(test_byte_order_2_0_08),
		cmocka_unit_test(test_seamhash_mismatch_refused),
		cmocka_unit_test(test_forged_seamhash_refused),
		cmocka_unit_test(test_malformed_refused),
		cmocka_unit_test(test_signer_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
