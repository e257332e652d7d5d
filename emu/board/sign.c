// SPDX-License-Identifier: MIT
/*
 * Signing emulated images with the project's own RSA-3072 test key: the
 * vendor's step, so it lives in the emulator. The production binary links
 * only verification (src/image/sigstruct.c) and never holds this key.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "emu/sign.h"
#include "tdxup/sigstruct.h"

/* Generated from keys/tdxup-test-signing-key.pem at build time. */
extern const char tdxup_test_key_pem[];

static void reverse_copy(uint8_t *dst, const uint8_t *src, size_t len)
{
	for (size_t i = 0; i < len; i++)
		dst[i] = src[len - 1 - i];
}

/*
 * The private key is parsed per call: signing is rare (image builds), the
 * parse is cheap next to an RSA-3072 signature, and nothing long-lived is
 * left behind for the leak checker.
 */
static EVP_PKEY *load_test_key(void)
{
	EVP_PKEY *pkey = NULL;
	BIO *bio;

	bio = BIO_new_mem_buf(tdxup_test_key_pem, -1);
	if (!bio)
		return NULL;
	pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	return pkey;
}

/* The key's modulus in sigstruct byte order (little-endian, 384 bytes). */
static int key_modulus_le(EVP_PKEY *pkey, uint8_t mod_le[SIGSTRUCT_RSA_BYTES])
{
	uint8_t mod_be[SIGSTRUCT_RSA_BYTES];
	BIGNUM *n = NULL;
	int ret = -EIO;

	if (!EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n))
		return -EIO;
	if (BN_num_bytes(n) == SIGSTRUCT_RSA_BYTES &&
	    BN_bn2binpad(n, mod_be, sizeof(mod_be)) == SIGSTRUCT_RSA_BYTES) {
		reverse_copy(mod_le, mod_be, sizeof(mod_be));
		ret = 0;
	}
	BN_free(n);
	return ret;
}

static int rsa_sign_digest(EVP_PKEY *pkey, const uint8_t md[SHA384_DIGEST_SIZE],
			   uint8_t sig_le[SIGSTRUCT_RSA_BYTES])
{
	uint8_t sig_be[SIGSTRUCT_RSA_BYTES];
	size_t siglen = sizeof(sig_be);
	EVP_PKEY_CTX *ctx;
	int ret = -EIO;

	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (!ctx)
		return -ENOMEM;
	if (EVP_PKEY_sign_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha384()) <= 0)
		goto out;
	if (EVP_PKEY_sign(ctx, sig_be, &siglen, md, SHA384_DIGEST_SIZE) <= 0 ||
	    siglen != SIGSTRUCT_RSA_BYTES)
		goto out;
	reverse_copy(sig_le, sig_be, sizeof(sig_be));
	ret = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	return ret;
}

int sigstruct_sign_test_key(uint8_t raw[SIGSTRUCT_SIZE])
{
	uint8_t md[SHA384_DIGEST_SIZE];
	EVP_PKEY *pkey;
	int ret;

	pkey = load_test_key();
	if (!pkey)
		return -ENOKEY;
	ret = key_modulus_le(pkey, raw + SIGSTRUCT_MODULUS);
	if (ret)
		goto out;
	put_le32(raw + SIGSTRUCT_EXPONENT, SIGSTRUCT_EXPONENT_VALUE);
	/* Modulus, exponent and signature are outside the message: any order works. */
	ret = sigstruct_message_digest(raw, md);
	if (ret)
		goto out;
	ret = rsa_sign_digest(pkey, md, raw + SIGSTRUCT_SIGNATURE);
out:
	EVP_PKEY_free(pkey);
	return ret;
}

static uint8_t test_key_hash[SHA384_DIGEST_SIZE];
static pthread_once_t test_key_hash_once = PTHREAD_ONCE_INIT;

static void test_key_hash_init(void)
{
	uint8_t raw[SIGSTRUCT_SIZE] = { 0 };
	EVP_PKEY *pkey;

	/*
	 * On failure the hash stays all zeros; no stored modulus hashes to
	 * that, so the test key is then simply not trusted.
	 */
	pkey = load_test_key();
	if (!pkey)
		return;
	if (!key_modulus_le(pkey, raw + SIGSTRUCT_MODULUS))
		sigstruct_key_hash(raw, test_key_hash);
	EVP_PKEY_free(pkey);
}

const uint8_t *tdxup_test_key_hash_computed(void)
{
	pthread_once(&test_key_hash_once, test_key_hash_init);
	return test_key_hash;
}

