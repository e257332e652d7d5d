// SPDX-License-Identifier: MIT
/*
 * Attestation values of an image (tdxup/attest.h, facts.md 9): MRSEAM,
 * MRSIGNERSEAM and the TEE_TCB_SVN bytes a host running it reports.
 * MRSEAM is hashed here from the module pages, not copied from the
 * sigstruct: the allowlist entry must be the value P-SEAMLDR verified.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "tdxup/attest.h"
#include "tdxup/image.h"
#include "tdxup/sigstruct.h"

static int fail(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

static enum tdx_signer signer_of(const uint8_t sig[SIGSTRUCT_SIZE])
{
	uint8_t kh[SHA384_DIGEST_SIZE];

	sigstruct_key_hash(sig, kh);
	/* Only a prefix of Intel's key hash is published (seamldr.md 5.1). */
	if (!memcmp(kh, intel_production_key_hash_prefix, sizeof(intel_production_key_hash_prefix)))
		return TDX_SIGNER_INTEL;
	if (!memcmp(kh, tdxup_test_key_hash(), SHA384_DIGEST_SIZE))
		return TDX_SIGNER_TEST_KEY;
	return TDX_SIGNER_UNKNOWN;
}

int tdx_attestation_from_image(const uint8_t *buf, size_t len, struct tdx_attestation *a,
			       char *err, size_t errlen)
{
	struct tdx_image_info info;
	struct sigstruct s;
	const uint8_t *sig;
	const char *why;
	char perr[160];

	memset(a, 0, sizeof(*a));
	if (tdx_image_parse(buf, len, &info, perr, sizeof(perr)))
		return fail(err, errlen, -EINVAL, "malformed image: %s", perr);
	sig = buf + info.sigstruct_off;
	sigstruct_parse(sig, &s);
	if (sigstruct_check_wellformed(&s, &why))
		return fail(err, errlen, -EINVAL, "bad sigstruct: %s", why);
	if (sigstruct_verify_signature(sig))
		return fail(err, errlen, -EINVAL, "the sigstruct's RSA-3072 signature does not "
			    "verify: no P-SEAMLDR loads this image");
	if (EVP_Digest(buf + info.module_off, info.module_pages * PAGE_SIZE, a->mrseam, NULL,
		       EVP_sha384(), NULL) != 1)
		return fail(err, errlen, -EIO, "cannot compute SHA-384 of the module pages");
	if (memcmp(a->mrseam, s.seamhash, SHA384_DIGEST_SIZE))
		return fail(err, errlen, -EINVAL, "seamhash mismatch: the SHA-384 of the %zu "
			    "module pages differs from the sigstruct's seamhash; P-SEAMLDR "
			    "refuses this image, so no host reports an MRSEAM for it",
			    info.module_pages);
	a->seam_svn_major = s.seamsvn_major;
	a->seam_svn_minor = s.seamsvn_minor;
	a->tee_tcb_svn_prefix[0] = s.seamsvn_minor;
	a->tee_tcb_svn_prefix[1] = s.seamsvn_major;
	a->signer = signer_of(sig);
	/* P-SEAMLDR writes mrsigner = 0 for every module it loads (seamldr.md 4). */
	a->mrsignerseam_known = a->signer != TDX_SIGNER_UNKNOWN;
	return 0;
}

const char *tdx_signer_name(enum tdx_signer s)
{
	switch (s) {
	case TDX_SIGNER_INTEL:
		return "intel";
	case TDX_SIGNER_TEST_KEY:
		return "tdxup-test-key";
	default:
		return "unknown";
	}
}

const char *tdx_signer_mrsigner_note(enum tdx_signer s)
{
	switch (s) {
	case TDX_SIGNER_INTEL:
		return "all zero: P-SEAMLDR writes mrsigner = 0 for Intel-signed modules";
	case TDX_SIGNER_TEST_KEY:
		return "all zero, inferred: the emulated P-SEAMLDR that accepts the tdxup test "
		       "key writes mrsigner = 0 as the real one does; no real platform loads "
		       "this image";
	default:
		return "unknown: signed with a key no known P-SEAMLDR accepts, so no host "
		       "reports a value for this image";
	}
}
