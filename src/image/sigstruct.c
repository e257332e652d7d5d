// SPDX-License-Identifier: MIT
/*
 * Sigstruct (seamldr.md 5): field access at the spec's byte offsets, the
 * well-formedness rules P-SEAMLDR applies before the signature, and the
 * RSA-3072 PKCS#1 v1.5 SHA-384 signature over [0,128) + [900,2048).
 *
 * Verification uses only the public key stored in the sigstruct. Signing
 * belongs to the vendor and, for emulated images, to the emulator
 * (emu/board/sign.c): no private key is linked here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include "tdxup/sigstruct.h"

/* The signed message: everything but modulus, exponent and signature. */
#define SIG_MSG_HEAD_LEN	SIGSTRUCT_MODULUS			/* [0,128) */
#define SIG_MSG_TAIL_OFF	SIGSTRUCT_SEAMHASH			/* [900,2048) */
#define SIG_MSG_TAIL_LEN	(SIGSTRUCT_SIZE - SIGSTRUCT_SEAMHASH)
#define SIG_MSG_LEN		(SIG_MSG_HEAD_LEN + SIG_MSG_TAIL_LEN)	/* 1276 */

const uint8_t intel_production_key_hash_prefix[16] = {
	0xc8, 0x57, 0x2f, 0x54, 0x88, 0x69, 0xa0, 0xbe,
	0xca, 0x19, 0x37, 0x6b, 0x81, 0xc2, 0xdf, 0xfc,
};

void sigstruct_parse(const uint8_t raw[SIGSTRUCT_SIZE], struct sigstruct *s)
{
	memset(s, 0, sizeof(*s));
	s->header_type = le32(raw + SIGSTRUCT_HEADER_TYPE);
	s->header_length = le32(raw + SIGSTRUCT_HEADER_LENGTH);
	s->header_version = le32(raw + SIGSTRUCT_HEADER_VERSION);
	s->module_type = le32(raw + SIGSTRUCT_MODULE_TYPE);
	s->module_vendor = le32(raw + SIGSTRUCT_MODULE_VENDOR);
	s->date = le32(raw + SIGSTRUCT_DATE);
	s->size = le32(raw + SIGSTRUCT_SIZE_FIELD);
	s->key_size = le32(raw + SIGSTRUCT_KEY_SIZE);
	s->modulus_size = le32(raw + SIGSTRUCT_MODULUS_SIZE);
	s->exponent_size = le32(raw + SIGSTRUCT_EXPONENT_SIZE);
	s->exponent = le32(raw + SIGSTRUCT_EXPONENT);
	memcpy(s->seamhash, raw + SIGSTRUCT_SEAMHASH, sizeof(s->seamhash));
	s->seamsvn_minor = raw[SIGSTRUCT_SEAMSVN];
	s->seamsvn_major = raw[SIGSTRUCT_SEAMSVN + 1];
	s->attributes = le64(raw + SIGSTRUCT_ATTRIBUTES);
	s->rip_offset = le32(raw + SIGSTRUCT_RIP_OFFSET);
	s->num_stack_pages = raw[SIGSTRUCT_NUM_STACK_PAGES];
	s->num_tls_pages = raw[SIGSTRUCT_NUM_TLS_PAGES];
	s->num_keyhole_pages = le16(raw + SIGSTRUCT_NUM_KEYHOLE_PAGES);
	s->num_global_data_pages = le16(raw + SIGSTRUCT_NUM_GLOBAL_DATA_PAGES);
	s->max_tdmrs = le16(raw + SIGSTRUCT_MAX_TDMRS);
	s->max_rsvd_per_tdmr = le16(raw + SIGSTRUCT_MAX_RSVD_PER_TDMR);
	s->pamt_entry_size_4k = le16(raw + SIGSTRUCT_PAMT_ENTRY_SIZE_4K);
	s->pamt_entry_size_2m = le16(raw + SIGSTRUCT_PAMT_ENTRY_SIZE_2M);
	s->pamt_entry_size_1g = le16(raw + SIGSTRUCT_PAMT_ENTRY_SIZE_1G);
	s->module_hv = le16(raw + SIGSTRUCT_MODULE_HV);
	s->min_update_hv = le16(raw + SIGSTRUCT_MIN_UPDATE_HV);
	s->no_downgrade = raw[SIGSTRUCT_NO_DOWNGRADE];
	s->num_handoff_pages = le16(raw + SIGSTRUCT_NUM_HANDOFF_PAGES);

	/* The table holds at most 255 entries; a larger count cannot be real. */
	s->cpuid_table_size = le32(raw + SIGSTRUCT_CPUID_TABLE_SIZE);
	if (s->cpuid_table_size > SIGSTRUCT_CPUID_TABLE_MAX)
		s->cpuid_table_size = SIGSTRUCT_CPUID_TABLE_MAX;
	/* All 255 slots, so that parse + serialize keeps the whole field. */
	for (unsigned int i = 0; i < SIGSTRUCT_CPUID_TABLE_MAX; i++)
		s->cpuid_table[i] = le32(raw + SIGSTRUCT_CPUID_TABLE + 4 * i);
}

void sigstruct_serialize(const struct sigstruct *s, uint8_t raw[SIGSTRUCT_SIZE])
{
	put_le32(raw + SIGSTRUCT_HEADER_TYPE, s->header_type);
	put_le32(raw + SIGSTRUCT_HEADER_LENGTH, s->header_length);
	put_le32(raw + SIGSTRUCT_HEADER_VERSION, s->header_version);
	put_le32(raw + SIGSTRUCT_MODULE_TYPE, s->module_type);
	put_le32(raw + SIGSTRUCT_MODULE_VENDOR, s->module_vendor);
	put_le32(raw + SIGSTRUCT_DATE, s->date);
	put_le32(raw + SIGSTRUCT_SIZE_FIELD, s->size);
	put_le32(raw + SIGSTRUCT_KEY_SIZE, s->key_size);
	put_le32(raw + SIGSTRUCT_MODULUS_SIZE, s->modulus_size);
	put_le32(raw + SIGSTRUCT_EXPONENT_SIZE, s->exponent_size);
	memcpy(raw + SIGSTRUCT_SEAMHASH, s->seamhash, sizeof(s->seamhash));
	raw[SIGSTRUCT_SEAMSVN] = s->seamsvn_minor;
	raw[SIGSTRUCT_SEAMSVN + 1] = s->seamsvn_major;
	put_le64(raw + SIGSTRUCT_ATTRIBUTES, s->attributes);
	put_le32(raw + SIGSTRUCT_RIP_OFFSET, s->rip_offset);
	raw[SIGSTRUCT_NUM_STACK_PAGES] = s->num_stack_pages;
	raw[SIGSTRUCT_NUM_TLS_PAGES] = s->num_tls_pages;
	put_le16(raw + SIGSTRUCT_NUM_KEYHOLE_PAGES, s->num_keyhole_pages);
	put_le16(raw + SIGSTRUCT_NUM_GLOBAL_DATA_PAGES, s->num_global_data_pages);
	put_le16(raw + SIGSTRUCT_MAX_TDMRS, s->max_tdmrs);
	put_le16(raw + SIGSTRUCT_MAX_RSVD_PER_TDMR, s->max_rsvd_per_tdmr);
	put_le16(raw + SIGSTRUCT_PAMT_ENTRY_SIZE_4K, s->pamt_entry_size_4k);
	put_le16(raw + SIGSTRUCT_PAMT_ENTRY_SIZE_2M, s->pamt_entry_size_2m);
	put_le16(raw + SIGSTRUCT_PAMT_ENTRY_SIZE_1G, s->pamt_entry_size_1g);
	put_le16(raw + SIGSTRUCT_MODULE_HV, s->module_hv);
	put_le16(raw + SIGSTRUCT_MIN_UPDATE_HV, s->min_update_hv);
	raw[SIGSTRUCT_NO_DOWNGRADE] = s->no_downgrade;
	put_le16(raw + SIGSTRUCT_NUM_HANDOFF_PAGES, s->num_handoff_pages);
	put_le32(raw + SIGSTRUCT_CPUID_TABLE_SIZE, s->cpuid_table_size);
	for (unsigned int i = 0; i < SIGSTRUCT_CPUID_TABLE_MAX; i++)
		put_le32(raw + SIGSTRUCT_CPUID_TABLE + 4 * i, s->cpuid_table[i]);
}

/*
 * The malformed-sigstruct rule is ours (seamldr.md 4.2 step 2, inferred):
 * the CSS header sizes and versions, the exponent, attributes and the HV
 * range. module_vendor and module_type are not checked here.
 */
int sigstruct_check_wellformed(const struct sigstruct *s, const char **why)
{
	static const char *const ok = "well-formed";
	const char *reason = NULL;

	if (s->header_type != SIGSTRUCT_HEADER_TYPE_VALUE)
		reason = "header_type is not 6";
	else if (s->header_length != SIGSTRUCT_HEADER_LENGTH_VALUE)
		reason = "header_length is not 0xE1";
	else if (s->header_version != SIGSTRUCT_HEADER_VERSION_VALUE)
		reason = "header_version is not 0x00010000";
	else if (s->size != SIGSTRUCT_SIZE_VALUE)
		reason = "size is not 0x200";
	else if (s->key_size != SIGSTRUCT_KEY_SIZE_VALUE)
		reason = "key_size is not 0x60";
	else if (s->modulus_size != SIGSTRUCT_MODULUS_SIZE_VALUE)
		reason = "modulus_size is not 0x60";
	else if (s->exponent_size != SIGSTRUCT_EXPONENT_SIZE_VALUE)
		reason = "exponent_size is not 1";
	else if (s->exponent != SIGSTRUCT_EXPONENT_VALUE)
		reason = "exponent is not 0x10001";
	else if (s->attributes != 0)
		reason = "attributes are not 0";
	else if (s->min_update_hv > s->module_hv)
		reason = "min_update_hv is greater than module_hv";

	if (why)
		*why = reason ? reason : ok;
	return reason ? -EINVAL : 0;
}

static int sha384(const uint8_t *buf, size_t len, uint8_t out[SHA384_DIGEST_SIZE])
{
	unsigned int n = 0;

	if (!EVP_Digest(buf, len, out, &n, EVP_sha384(), NULL) || n != SHA384_DIGEST_SIZE)
		return -EIO;
	return 0;
}

void sigstruct_key_hash(const uint8_t raw[SIGSTRUCT_SIZE], uint8_t out[48])
{
	/* SHA-384 only fails on allocation failure; leave a hash nobody trusts. */
	if (sha384(raw + SIGSTRUCT_MODULUS, SIGSTRUCT_RSA_BYTES, out))
		memset(out, 0, SHA384_DIGEST_SIZE);
}

static void reverse_copy(uint8_t *dst, const uint8_t *src, size_t len)
{
	for (size_t i = 0; i < len; i++)
		dst[i] = src[len - 1 - i];
}

/* SHA-384 of the signed message [0,128) + [900,2048). */
int sigstruct_message_digest(const uint8_t raw[SIGSTRUCT_SIZE], uint8_t md[SHA384_DIGEST_SIZE])
{
	uint8_t msg[SIG_MSG_LEN];

	memcpy(msg, raw, SIG_MSG_HEAD_LEN);
	memcpy(msg + SIG_MSG_HEAD_LEN, raw + SIG_MSG_TAIL_OFF, SIG_MSG_TAIL_LEN);
	return sha384(msg, sizeof(msg), md);
}

/* Public key from the little-endian modulus as stored, e = 65537. */
static EVP_PKEY *pubkey_from_modulus(const uint8_t *mod_le)
{
	uint8_t mod_be[SIGSTRUCT_RSA_BYTES];
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	BIGNUM *n = NULL, *e = NULL;

	reverse_copy(mod_be, mod_le, sizeof(mod_be));
	n = BN_bin2bn(mod_be, sizeof(mod_be), NULL);
	e = BN_new();
	if (!n || !e || !BN_set_word(e, SIGSTRUCT_EXPONENT_VALUE))
		goto out;
	bld = OSSL_PARAM_BLD_new();
	if (!bld || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0)
		goto out;
	if (EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pkey = NULL;
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(e);
	BN_free(n);
	return pkey;
}

/* Set PKCS#1 v1.5 with SHA-384 on a sign or verify context. */
static int set_pkcs1_sha384(EVP_PKEY_CTX *ctx)
{
	if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha384()) <= 0)
		return -EIO;
	return 0;
}

int sigstruct_verify_signature(const uint8_t raw[SIGSTRUCT_SIZE])
{
	uint8_t md[SHA384_DIGEST_SIZE], sig_be[SIGSTRUCT_RSA_BYTES];
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey;
	int ret = -EBADMSG;

	/* The scheme fixes e = 65537; any other stored exponent is a bad key. */
	if (le32(raw + SIGSTRUCT_EXPONENT) != SIGSTRUCT_EXPONENT_VALUE)
		return -EBADMSG;
	if (sigstruct_message_digest(raw, md))
		return -EBADMSG;
	pkey = pubkey_from_modulus(raw + SIGSTRUCT_MODULUS);
	if (!pkey)
		return -EBADMSG;
	/*
	 * Policy: RSA-3072 only. OpenSSL would also refuse a smaller key here
	 * (the 384-byte signature is longer than its modulus), but the rule
	 * belongs to the sigstruct format, so state it.
	 */
	if (EVP_PKEY_get_bits(pkey) != 8 * SIGSTRUCT_RSA_BYTES)
		goto out;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (!ctx || EVP_PKEY_verify_init(ctx) <= 0 || set_pkcs1_sha384(ctx))
		goto out;
	reverse_copy(sig_be, raw + SIGSTRUCT_SIGNATURE, sizeof(sig_be));
	if (EVP_PKEY_verify(ctx, sig_be, sizeof(sig_be), md, sizeof(md)) == 1)
		ret = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	return ret;
}

bool sigstruct_supports_fms(const struct sigstruct *s, uint32_t fms)
{
	uint32_t n = s->cpuid_table_size;

	if (n > SIGSTRUCT_CPUID_TABLE_MAX)
		n = SIGSTRUCT_CPUID_TABLE_MAX;
	for (uint32_t i = 0; i < n; i++)
		if ((s->cpuid_table[i] & SIGSTRUCT_FMS_MASK) == (fms & SIGSTRUCT_FMS_MASK))
			return true;
	return false;
}
