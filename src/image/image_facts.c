// SPDX-License-Identifier: MIT
/*
 * What the updater knows about an image before it sends it: the offline
 * equivalent of the kernel's header checks and P-SEAMLDR's sigstruct,
 * signature and seamhash checks (seamldr.md 5-6). An image that fails
 * here would fail in the kernel or P-SEAMLDR, at best costing nothing and
 * at worst (a seamhash mismatch found after shutdown) losing every TD.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "tdxup/catalog.h"
#include "tdxup/image.h"
#include "tdxup/module_desc.h"
#include "tdxup/seamldr_abi.h"


static int problem(struct image_facts *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int problem(struct image_facts *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->problem, sizeof(f->problem), fmt, ap);
	va_end(ap);
	f->intact = false;
	return -EINVAL;
}

static int check_seamhash(const uint8_t *mod, size_t len, struct image_facts *f)
{
	uint8_t md[48];

	if (EVP_Digest(mod, len, md, NULL, EVP_sha384(), NULL) != 1)
		return problem(f, "cannot compute SHA-384 of the module");
	if (memcmp(md, f->sig.seamhash, sizeof(md)))
		return problem(f, "seamhash mismatch: SHA-384 of the %zu module pages differs "
			       "from the sigstruct", len / PAGE_SIZE);
	return 0;
}

/* The emulated builds carry their version; a real Intel module does not. */
static void read_desc(const uint8_t *mod, size_t len, struct image_facts *f)
{
	struct module_build b;

	if (module_desc_decode(mod, len, &b))
		return;
	f->has_desc = true;
	f->desc_version.major = b.major;
	f->desc_version.minor = b.minor;
	f->desc_version.update = b.update;
}

int image_facts_get(const uint8_t *buf, size_t len, struct image_facts *f)
{
	struct tdx_image_info info;
	const uint8_t *sig, *mod;
	const char *why;
	char err[160];
	size_t mod_len;

	memset(f, 0, sizeof(*f));
	f->size = len;
	if (tdx_image_parse(buf, len, &info, err, sizeof(err)))
		return problem(f, "malformed image: %s", err);
	f->format = info.version;
	sig = buf + info.sigstruct_off;
	mod = buf + info.module_off;
	mod_len = info.module_pages * PAGE_SIZE;
	sigstruct_parse(sig, &f->sig);
	sigstruct_key_hash(sig, f->key_hash);
	f->parsed = true;
	f->intact = true;
	read_desc(mod, mod_len, f);
	if (info.version == TDX_BLOB_VERSION_1 && !info.checksum_ok)
		return problem(f, "checksum mismatch: the 16-bit word sum of the file is 0x%04x, "
			       "not 0", tdx_image_word_sum(buf, len));
	if (sigstruct_check_wellformed(&f->sig, &why))
		return problem(f, "bad sigstruct: %s", why);
	if (sigstruct_verify_signature(sig))
		return problem(f, "bad signature: RSA-3072 verification of the sigstruct failed");
	return check_seamhash(mod, mod_len, f);
}

enum key_trust image_key_trust(const uint8_t hash[48], const uint8_t (*declared)[48],
			      size_t nr_declared)
{
	/* Only a prefix of Intel's key hash is published (seamldr.md 5.1). */
	if (!memcmp(hash, intel_production_key_hash_prefix, sizeof(intel_production_key_hash_prefix)))
		return KEY_INTEL;
	for (size_t i = 0; i < nr_declared; i++)
		if (!memcmp(hash, declared[i], 48))
			return KEY_DECLARED;
	return KEY_UNTRUSTED;
}

const char *key_trust_name(enum key_trust t, const uint8_t hash[48])
{
	/* The test key is named so, but trusted only where a target declares it. */
	bool test = hash && !memcmp(hash, tdxup_test_key_hash(), 48);

	switch (t) {
	case KEY_INTEL:
		return "Intel production key";
	case KEY_DECLARED:
		return test ? "key declared by the target (the tdxup test key)" :
			      "key declared by the target";
	default:
		return test ? "untrusted key (the tdxup test key, not declared by the target)" :
			      "untrusted key";
	}
}
