/* SPDX-License-Identifier: MIT */
/*
 * The attestation values a host running an image will report (facts.md 9):
 * what a verifier's allowlist must hold before a module change reaches a
 * host, computed offline from the image alone.
 *
 *  - MRSEAM: SHA-384 of the module pages. P-SEAMLDR writes the sigstruct's
 *    seamhash into SEAMEXTEND mrseam only after checking that it is this
 *    hash, so the two are one value; an image where they differ is refused
 *    here (no platform would load it, and an allowlist entry for it would
 *    pin a value no host can show).
 *  - MRSIGNERSEAM: P-SEAMLDR writes mrsigner = 0; all zero for
 *    Intel-signed modules. For the tdxup test key it is the same zeros,
 *    because the emulated P-SEAMLDR that accepts that key writes 0 as the
 *    real one does (inferred: no real platform loads a test-key module).
 *    For any other key no P-SEAMLDR is known to load the image: unknown.
 *  - TEE_TCB_SVN: byte 0 the SEAM SVN minor, byte 1 the major (SEAMEXTEND
 *    tee_tcb_svn +0, +1, copied from the sigstruct's seamsvn).
 */
#ifndef TDXUP_ATTEST_H
#define TDXUP_ATTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tdxup/seamldr_abi.h"

enum tdx_signer {
	TDX_SIGNER_UNKNOWN,		/* a key no known P-SEAMLDR takes */
	TDX_SIGNER_INTEL,		/* Intel's production key (published hash prefix) */
	TDX_SIGNER_TEST_KEY,		/* the tdxup test key (emulated hosts only) */
};

struct tdx_attestation {
	uint8_t mrseam[SHA384_DIGEST_SIZE];
	bool mrsignerseam_known;
	uint8_t mrsignerseam[SHA384_DIGEST_SIZE];	/* valid when mrsignerseam_known */
	uint8_t seam_svn_major, seam_svn_minor;
	uint8_t tee_tcb_svn_prefix[2];			/* { minor, major } */
	enum tdx_signer signer;
};

/*
 * From a TDX-BLOB (0x100 or 0x200): 0, or -EINVAL with the reason in err
 * (a malformed image, a signature that does not verify, a seamhash that
 * differs from the SHA-384 of the module pages), -EIO if hashing failed.
 * Nothing in *a is meaningful after a failure.
 */
int tdx_attestation_from_image(const uint8_t *buf, size_t len, struct tdx_attestation *a,
			       char *err, size_t errlen);

/* "intel", "tdxup-test-key", "unknown": stable words for JSON. */
const char *tdx_signer_name(enum tdx_signer s);
/* Why MRSIGNERSEAM is what it is (or unknown), one sentence. */
const char *tdx_signer_mrsigner_note(enum tdx_signer s);

#endif /* TDXUP_ATTEST_H */
