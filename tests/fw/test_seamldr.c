// SPDX-License-Identifier: MIT
/*
 * The P-SEAMLDR (seamldr.md 1-5): SEAMLDR.INFO, the per-LP INSTALL protocol,
 * every last-LP check of 4.2 in order with its status and RDX, recoverable
 * and unrecoverable failures, the epilogue (SEAMEXTEND, SEAMDB,
 * num_remaining_updates) and the one-LP-at-a-time rule.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "helpers/fw_harness.h"
#include "emu/physmem.h"
#include "tdxup/seamldr_abi.h"
#include "tdxup/sigstruct.h"

#define NR_LPS	8
#define NR_PKGS	2

static struct seam_platform *platform(bool debug, bool strict, uint32_t fms, uint32_t updates)
{
	struct seam_platform_config cfg;
	struct seam_platform *p;

	seam_platform_config_init(&cfg);
	cfg.nr_lps = NR_LPS;
	cfg.nr_packages = NR_PKGS;
	cfg.debug_platform = debug;
	cfg.seamldr_strict = strict;
	if (fms)
		cfg.cpu_fms = fms;
	cfg.num_remaining_updates = updates;
	p = seam_platform_create(&cfg);
	assert_non_null(p);
	return p;
}

static struct seam_platform *plain(void)
{
	return platform(false, false, 0, 16);
}

static struct seam_platform *booted(const char *version)
{
	struct seam_platform *p = plain();

	assert_int_equal(h_boot(p, version), TDX_SUCCESS);
	return p;
}

/* Booted and shut down: ready for an UPDATE-scenario install. */
static struct seam_platform *shut(const char *version)
{
	struct seam_platform *p = booted(version);

	assert_int_equal(h_shutdown(p, false), TDX_SUCCESS);
	return p;
}

static uint64_t params_of(struct seam_platform *p, const char *version, bool debug,
			  uint32_t scenario)
{
	const uint8_t *img;
	size_t len;

	img = h_image(version, 0x100, debug, &len);
	return h_params(p, img, len, scenario);
}

/* seamhash of a catalogue image, computed here from its module bytes. */
static void image_hash(const char *version, uint8_t out[48])
{
	const uint8_t *img;
	size_t len;
	uint32_t off;

	img = h_image(version, 0x100, false, &len);
	off = le32(img + TDX_BLOB_V1_OFFSET_OF_MODULE);
	assert_int_equal(EVP_Digest(img + off, len - off, out, NULL, EVP_sha384(), NULL), 1);
	/* and it is what the sigstruct carries */
	assert_memory_equal(img + TDX_BLOB_HEADER_SIZE + SIGSTRUCT_SEAMHASH, out, 48);
}

static uint64_t info(struct seam_platform *p, unsigned int lp, uint8_t out[256])
{
	uint64_t pa = h_page(p);
	struct seam_args a = { .rcx = pa };
	uint64_t ret = seamcall(p, lp, SEAMLDR_INFO, &a);

	memcpy(out, h_map(p, pa), 256);
	physmem_free(seam_physmem(p), pa);
	return ret;
}

static const uint8_t *seamextend(const uint8_t *inf)
{
	return inf + SEAMLDR_INFO_SEAMEXTEND;
}

static void get_sig(struct seam_platform *p, uint64_t params, struct sigstruct *s)
{
	sigstruct_parse(h_params_sigstruct(p, params), s);
}

static void put_sig(struct seam_platform *p, uint64_t params, const struct sigstruct *s)
{
	sigstruct_serialize(s, h_params_sigstruct(p, params));
	h_params_resign(p, params);
}

/* Module leaves on every LP: the status the platform answers with now. */
static void expect_module_answers(struct seam_platform *p, uint64_t status)
{
	for (unsigned int lp = 0; lp < NR_LPS; lp++) {
		struct seam_args a = { .rdx = MD_FIELD_VENDOR_ID };

		assert_int_equal(h_call(p, lp, TDH_SYS_RD, 0, &a), status);
	}
}

struct snapshot {
	struct seam_platform_state st;
	uint8_t info[256];
	struct seamdb_entry db[16];
	unsigned int ndb;
};

static void take(struct seam_platform *p, struct snapshot *s)
{
	memset(s, 0, sizeof(*s));
	seam_platform_get_state(p, &s->st);
	assert_int_equal(info(p, 0, s->info), SEAMLDR_SUCCESS);
	s->ndb = seam_seamdb(p, s->db, 16);
}

static void assert_same(const struct snapshot *a, const struct snapshot *b)
{
	assert_int_equal(a->st.seam_ready, b->st.seam_ready);
	assert_int_equal(a->st.module_loaded, b->st.module_loaded);
	assert_int_equal(a->st.num_remaining_updates, b->st.num_remaining_updates);
	assert_int_equal(a->st.seamdb_entries, b->st.seamdb_entries);
	assert_int_equal(a->st.major, b->st.major);
	assert_int_equal(a->st.minor, b->st.minor);
	assert_int_equal(a->st.update, b->st.update);
	assert_int_equal(a->st.sys_state, b->st.sys_state);
	assert_memory_equal(a->info, b->info, 256);
	assert_int_equal(a->ndb, b->ndb);
	assert_memory_equal(a->db, b->db, sizeof(a->db[0]) * (a->ndb < 16 ? a->ndb : 16));
}

/*
 * A recoverable failure (seamldr.md 4.3): RDX = 0, SEAMEXTEND restored, the
 * old module reachable again in the state it had (after SHUTDOWN: it only
 * answers TDX_SYS_SHUTDOWN), nothing counted.
 */
static void expect_recoverable(struct seam_platform *p, uint64_t params, uint64_t status)
{
	struct snapshot before, after;
	uint64_t rdx = 0xBAD;

	take(p, &before);
	assert_int_equal(h_install_all(p, params, &rdx), status);
	assert_int_equal(rdx, SEAMLDR_RECOVERABLE);
	take(p, &after);
	assert_same(&before, &after);
	if (!before.st.module_loaded)
		expect_module_answers(p, TDX_SEAMCALL_VMFAILINVALID);
	else if (before.st.sys_state == SYS_SHUTDOWN)
		expect_module_answers(p, TDX_SYS_SHUTDOWN);
	else
		expect_module_answers(p, TDX_SUCCESS);
}

/* An unrecoverable failure: RDX = 1, no module at all, SEAMEXTEND zeroed. */
static void expect_unrecoverable(struct seam_platform *p, uint64_t params, uint64_t status)
{
	bool load = le32(h_map(p, params) + SEAMLDR_PARAMS_SCENARIO) == SEAMLDR_SCENARIO_LOAD;
	struct seam_platform_state before, after;
	uint8_t inf[256];
	uint64_t rdx = 0xBAD;

	seam_platform_get_state(p, &before);
	assert_int_equal(h_install_all(p, params, &rdx), status);
	assert_int_equal(rdx, SEAMLDR_UNRECOVERABLE);
	seam_platform_get_state(p, &after);
	assert_false(after.seam_ready);
	assert_false(after.module_loaded);
	assert_int_equal(after.sys_state, -1);
	if (load) {
		/* step 13 ran: a LOAD clears the SEAMDB before the point of no return */
		assert_int_equal(after.seamdb_entries, 0);
	} else {
		assert_int_equal(after.num_remaining_updates, before.num_remaining_updates);
		assert_int_equal(after.seamdb_entries, before.seamdb_entries);
	}
	expect_module_answers(p, TDX_SEAMCALL_VMFAILINVALID);
	assert_int_equal(h_call(p, 0, TDH_SYS_LP_SHUTDOWN, 0, NULL), TDX_SEAMCALL_VMFAILINVALID);
	assert_int_equal(info(p, 0, inf), SEAMLDR_SUCCESS);
	assert_true(all_zero(seamextend(inf), SEAMEXTEND_SEAM_READY + 1));
	assert_int_equal(seamextend(inf)[SEAMEXTEND_P_SEAM_READY], 1);
}

/* ---- SEAMLDR.INFO ---------------------------------------------------- */

static void check_info_header(const uint8_t *inf, uint32_t remaining, bool debug)
{
	assert_int_equal(le32(inf + 0), 0);			/* version */
	assert_int_equal(le32(inf + 4), debug ? 0x80000000u : 0);	/* attributes */
	assert_int_equal(le32(inf + 8), 0x8086);		/* vendor_id */
	assert_int_equal(le32(inf + 12), 0x20250310);		/* build_date (inferred) */
	assert_int_equal(le16(inf + 16), 0x0150);		/* build_num (inferred) */
	assert_int_equal(le16(inf + 18), 5);			/* minor: P-SEAMLDR 1.5.01 */
	assert_int_equal(le16(inf + 20), 1);			/* major */
	assert_int_equal(le16(inf + 22), 1);			/* update */
	assert_int_equal(le32(inf + 24), 0);			/* acm_x2apicid */
	assert_int_equal(le32(inf + 28), remaining);		/* num_remaining_updates */
	assert_true(all_zero(inf + 163, 5));			/* reserved */
	assert_int_equal(le64(inf + 168), 0);			/* features0 */
	assert_true(all_zero(inf + 176, 80));
}

static void test_info_before_any_module(void **state)
{
	struct seam_platform *p = plain();
	uint8_t inf[256];

	assert_int_equal(info(p, 3, inf), SEAMLDR_SUCCESS);
	check_info_header(inf, 16, false);
	assert_true(all_zero(inf + 32, 128));			/* no SEAMEXTEND yet */
	assert_int_equal(inf[160], 0);				/* seam_ready */
	assert_int_equal(inf[161], 0);				/* seam_debug */
	assert_int_equal(inf[162], 1);				/* p_seam_ready */
	seam_platform_destroy(p);
}

static void test_info_after_load(void **state)
{
	struct seam_platform *p = booted("1.5.25");
	uint8_t inf[256], hash[48];

	image_hash("1.5.25", hash);
	for (unsigned int lp = 0; lp < NR_LPS; lp++) {
		assert_int_equal(info(p, lp, inf), SEAMLDR_SUCCESS);
		check_info_header(inf, 16, false);
		assert_int_equal(le64(inf + 32), 0x1FF);	/* valid */
		assert_int_equal(inf[40], 0x0E);		/* seam_minor_svn */
		assert_int_equal(inf[41], 1);			/* seam_major_svn */
		assert_true(all_zero(inf + 42, 14));
		assert_memory_equal(inf + 56, hash, 48);	/* mrseam */
		assert_true(all_zero(inf + 104, 48));		/* mrsigner */
		assert_int_equal(le64(inf + 152), 0);		/* attributes */
		assert_int_equal(inf[160], 1);			/* seam_ready */
		assert_int_equal(inf[161], 0);
		assert_int_equal(inf[162], 1);
	}
	seam_platform_destroy(p);
}

static void test_info_debug_platform(void **state)
{
	struct seam_platform *p = platform(true, false, 0, 16);
	uint8_t inf[256];

	assert_int_equal(info(p, 0, inf), SEAMLDR_SUCCESS);
	check_info_header(inf, 16, true);
	assert_int_equal(inf[161], 1);				/* seam_debug */
	seam_platform_destroy(p);
}

static void test_info_bad_buffer(void **state)
{
	struct seam_platform *p = booted("1.5.25");
	uint64_t pa = h_page(p), gone = h_page(p);
	uint8_t *buf = h_map(p, pa);
	struct seam_args a;

	memset(buf, 0xCC, PAGE_SIZE);
	physmem_free(seam_physmem(p), gone);
	a = (struct seam_args){ .rcx = pa + 128 };
	assert_int_equal(seamcall(p, 0, SEAMLDR_INFO, &a), 0x8000000000000000ULL);
	a = (struct seam_args){ .rcx = pa + 8 };
	assert_int_equal(seamcall(p, 0, SEAMLDR_INFO, &a), SEAMLDR_EBADPARAM);
	a = (struct seam_args){ .rcx = 1ULL << 40 };
	assert_int_equal(seamcall(p, 0, SEAMLDR_INFO, &a), SEAMLDR_EBADPARAM);
	a = (struct seam_args){ .rcx = gone };			/* not backed */
	assert_int_equal(seamcall(p, 0, SEAMLDR_INFO, &a), SEAMLDR_EBADPARAM);
	for (size_t i = 0; i < PAGE_SIZE; i++)
		assert_int_equal(buf[i], 0xCC);
	/* any 256-byte-aligned slot inside a page is fine */
	a = (struct seam_args){ .rcx = pa + 0xF00 };
	assert_int_equal(seamcall(p, 0, SEAMLDR_INFO, &a), SEAMLDR_SUCCESS);
	assert_int_equal(le32(buf + 0xF00 + 8), 0x8086);
	for (size_t i = 0; i < 0xF00; i++)
		assert_int_equal(buf[i], 0xCC);
	seam_platform_destroy(p);
}

/* ---- INSTALL per-LP protocol (4.1) ------------------------------------- */

static void test_install_same_lp_twice(void **state)
{
	struct seam_platform *p = shut("1.5.24");
	uint64_t params = params_of(p, "1.5.25", false, SEAMLDR_SCENARIO_UPDATE);
	struct seam_platform_state st;
	struct seam_args a;

	/* reverse order: the last LP is whichever call completes the count */
	for (int lp = NR_LPS - 1; lp >= 1; lp--) {
		a = (struct seam_args){ .rcx = params, .rdx = 0xBAD };
		assert_int_equal(seamcall(p, (unsigned int)lp, SEAMLDR_INSTALL, &a),
				 SEAMLDR_SUCCESS);
		assert_int_equal(a.rdx, 0);
		a = (struct seam_args){ .rcx = params };
		assert_int_equal(seamcall(p, (unsigned int)lp, SEAMLDR_INSTALL, &a),
				 0x8000000000000003ULL);
	}
	seam_platform_get_state(p, &st);
	assert_int_equal(st.update, 24);			/* not installed yet */
	a = (struct seam_args){ .rcx = params };
	assert_int_equal(seamcall(p, 0, SEAMLDR_INSTALL, &a), SEAMLDR_SUCCESS);
	assert_int_equal(a.rdx, 0);
	seam_platform_get_state(p, &st);
	assert_int_equal(st.update, 25);
	assert_int_equal(st.sys_state, SYSINIT_PENDING);
	seam_platform_destroy(p);
}

static void test_install_blocks_module_until_complete(void **state)
{
	struct seam_platform *p = shut("1.5.24");
	uint64_t params = params_of(p, "1.5.25", false, SEAMLDR_SCENARIO_UPDATE);
	struct seam_platform_state st;
	uint8_t inf[256];
	struct seam_args a;

	expect_module_answers(p, TDX_SYS_SHUTDOWN);
	for (unsigned int lp = 0; lp < NR_LPS; lp++) {
		a = (struct seam_args){ .rcx = params };
		assert_int_equal(seamcall(p, lp, SEAMLDR_INSTALL, &a), SEAMLDR_SUCCESS);
		if (lp == NR_LPS - 1)
			break;
		/* SEAM_READY is clear from the first LP on */
		seam_platform_get_state(p, &st);
		assert_false(st.seam_ready);
		expect_module_answers(p, 0x8000FF00FFFF0000ULL);
		assert_int_equal(h_call(p, lp, TDH_SYS_LP_SHUTDOWN, 0, NULL),
				 TDX_SEAMCALL_VMFAILINVALID);
		assert_int_equal(h_call(p, 0, TDH_VP_ENTER, 0, NULL), TDX_SEAMCALL_VMFAILINVALID);
		assert_int_equal(info(p, lp, inf), SEAMLDR_SUCCESS);
		assert_int_equal(inf[160], 0);
	}
	/* the new module: fresh, SYSINIT_PENDING */
	seam_platform_get_state(p, &st);
	assert_true(st.seam_ready);
	assert_int_equal(st.sys_state, SYSINIT_PENDING);
	expect_module_answers(p, TDX_SYS_LP_INIT_NOT_DONE);
	assert_int_equal(h_call(p, 0, TDH_MNG_CREATE, 0, NULL), TDX_SYS_NOT_READY);
	seam_platform_destroy(p);
}

/* ---- 4.2 step 1: SEAMLDR_PARAMS ---------------------------------------- */

static void test_install_bad_params(void **state)
{
	struct seam_platform *p = shut("1.5.24");
	uint64_t params;
	uint8_t *prm;

#define FRESH()	(params = params_of(p, "1.5.25", false, SEAMLDR_SCENARIO_UPDATE), \
		 prm = h_map(p, params))
	FRESH();
	put_le32(prm + SEAMLDR_PARAMS_VERSION, 2);
	expect_recoverable(p, params, 0x8000000000000000ULL);
	FRESH();
	put_le32(prm + SEAMLDR_PARAMS_VERSION, 1);	/* v1 needs 2..4 sigstruct pages */
	expect_recoverable(p, params, SEAMLDR_EBADPARAM);
	FRESH();
	prm[SEAMLDR_PARAMS_V8_RESERVED] = 1;
	expect_recoverable(p, params, SEAMLDR_EBADPARAM);
	FRESH();
	prm[SEAMLDR_PARAMS_NUM_MODULE_PAGES - 1] = 0x80;	/* last reserved byte */
	expect_recoverable(p, params, SEAMLDR_EBADPARAM);
	FRESH();
	put_le64(prm + SEAMLDR_PARAMS_SIGSTRUCT_PA + 8, h_page(p));	/* v0: one page */
	expect_recoverable(p, params, SEAMLDR_EBADPARAM);
	FRESH();
	put_le32(prm + SEAMLDR_PARAMS_SCENARIO, 2);
	expect_recoverable(p, params, SEAMLDR_EBADPARAM);
	FRESH();
	put_le64(prm + SEAMLDR_PARAMS_NUM_MODULE_PAGES, 0);
	expect_recoverable(p, params, SEAMLDR_EBADPARAM);
	FRESH();
	put_le64(prm + SEAMLDR_PARAMS_NUM_MODULE_PAGES, 497);
	expect_recoverable(p, params, SEAMLDR_EBADPARAM);
	FRESH();
	put_le64(prm + SEAMLDR_PARAMS_MOD_PAGES_PA_LIST + 8 * 3,
		 le64(prm + SEAMLDR_PARAMS_MOD_PAGES_PA_LIST + 8 * 3) + 0x10);
	expect_recoverable(p, params, SEAMLDR_EBADPARAM);
	FRESH();
	put_le64(prm + SEAMLDR_PARAMS_MOD_PAGES_PA_LIST, 0);
	expect_recoverable(p, params, SEAMLDR_EBADPARAM);
	FRESH();
	put_le64(prm + SEAMLDR_PARAMS_MOD_PAGES_PA_LIST + 8, 1ULL << 40);
	expect_recoverable(p, params, SEAMLDR_EBADPARAM);
	FRESH();
	put_le64(prm + SEAMLDR_PARAMS_SIGSTRUCT_PA,
		 le64(prm + SEAMLDR_PARAMS_SIGSTRUCT_PA) + 0x800);
	expect_recoverable(p, params, SEAMLDR_EBADPARAM);
	FRESH();
	expect_recoverable(p, params + 0x40, SEAMLDR_EBADPARAM);	/* params PA itself */
	expect_recoverable(p, 1ULL << 40, SEAMLDR_EBADPARAM);
#undef FRESH
	/* none of it stuck: the good params install */
	assert_int_equal(h_install_all(p, params, NULL), SEAMLDR_SUCCESS);
	seam_platform_destroy(p);
}

/* v8 form: version 1 with 2..4 sigstruct pages, unless the P-SEAMLDR is strict. */
static void test_install_params_version1(void **state)
{
	for (int strict = 0; strict < 2; strict++) {
		struct seam_platform *p = platform(false, strict, 0, 16);
		uint64_t params = params_of(p, "1.5.25", false, SEAMLDR_SCENARIO_LOAD);
		uint8_t *prm = h_map(p, params);
		uint64_t rdx = 0xBAD;

		put_le32(prm + SEAMLDR_PARAMS_VERSION, 1);
		put_le64(prm + SEAMLDR_PARAMS_SIGSTRUCT_PA + 8, h_page(p));
		assert_int_equal(h_install_all(p, params, &rdx),
				 strict ? SEAMLDR_EBADPARAM : SEAMLDR_SUCCESS);
		assert_int_equal(rdx, 0);
		seam_platform_destroy(p);
	}
}

static void test_install_update_without_module(void **state)
{
	struct seam_platform *p = plain();

	expect_recoverable(p, params_of(p, "1.5.25", false, SEAMLDR_SCENARIO_UPDATE),
			   SEAMLDR_EBADPARAM);
	seam_platform_destroy(p);
}

/* ---- 4.2 step 2: the manifest ------------------------------------------ */

static void test_install_malformed_sigstruct(void **state)
{
	struct seam_platform *p = shut("1.5.24");
	struct sigstruct s;
	uint64_t params;

	params = params_of(p, "1.5.25", false, SEAMLDR_SCENARIO_UPDATE);
	get_sig(p, params, &s);
	s.header_type = 7;
	put_sig(p, params, &s);
	expect_recoverable(p, params, 0x8000000000020000ULL);

	params = params_of(p, "1.5.25", false, SEAMLDR_SCENARIO_UPDATE);
	get_sig(p, params, &s);
	s.attributes = 1;
	put_sig(p, params, &s);
	expect_recoverable(p, params, SEAMLDR_EBADSIG);

	params = params_of(p, "1.5.25", false, SEAMLDR_SCENARIO_UPDATE);
	get_sig(p, params, &s);
	s.min_update_hv = 2;				/* > module_hv = 1 */
	put_sig(p, params, &s);
	expect_recoverable(p, params, SEAMLDR_EBADSIG);

	params = params_of(p, "1.5.25", false, SEAMLDR_SCENARIO_UPDATE);
	get_sig(p, params, &s);
	s.header_length = 0xE0;
	put_sig(p, params, &s);
	expect_recoverable(p, params, SEAMLDR_EBADSIG);
	seam_platform_destroy(p);
}

/* Sign a sigstruct with any RSA-3072 key: the scheme of seamldr.md 5.1. */
static void reverse(uint8_t *dst, const uint8_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = src[n - 1 - i];
}

static void sign_with(EVP_PKEY *key, uint8_t *raw)
{
	uint8_t be[384], msg[128 + 1148], md[48], sig[384];
	size_t siglen = sizeof(sig);
	EVP_PKEY_CTX *ctx;
	BIGNUM *n = NULL;

	assert_int_equal(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n), 1);
	assert_int_equal(BN_bn2binpad(n, be, sizeof(be)), 384);
	BN_free(n);
	reverse(raw + SIGSTRUCT_MODULUS, be, 384);
	put_le32(raw + SIGSTRUCT_EXPONENT, 0x10001);
	memcpy(msg, raw, 128);
	memcpy(msg + 128, raw + 900, 1148);
	assert_int_equal(EVP_Digest(msg, sizeof(msg), md, NULL, EVP_sha384(), NULL), 1);
	ctx = EVP_PKEY_CTX_new(key, NULL);
	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_sign_init(ctx), 1);
	assert_true(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0);
	assert_true(EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha384()) > 0);
	assert_int_equal(EVP_PKEY_sign(ctx, sig, &siglen, md, sizeof(md)), 1);
	assert_int_equal(siglen, 384);
	EVP_PKEY_CTX_free(ctx);
	reverse(raw + SIGSTRUCT_SIGNATURE, sig, 384);
}

static void test_install_untrusted_key(void **state)
{
	EVP_PKEY *key = EVP_RSA_gen(3072);
	struct seam_platform_config cfg;
	struct seam_platform *p;
	uint64_t params;
	uint8_t *raw;

	assert_non_null(key);
	/* validly signed, by a key the platform does not trust */
	p = shut("1.5.24");
	params = params_of(p, "1.5.25", false, SEAMLDR_SCENARIO_UPDATE);
	raw = h_params_sigstruct(p, params);
	sign_with(key, raw);
	assert_int_equal(sigstruct_verify_signature(raw), 0);
	expect_recoverable(p, params, SEAMLDR_EBADSIG);
	seam_platform_destroy(p);

	/* signed the same way, it installs once the key hash is on the allow-list */
	seam_platform_config_init(&cfg);
	{
		uint8_t scratch[SIGSTRUCT_SIZE] = { 0 };

		sign_with(key, scratch);
		sigstruct_key_hash(scratch, cfg.trusted_key_hash[0]);
	}
	cfg.nr_trusted_keys = 1;
	p = seam_platform_create(&cfg);
	assert_non_null(p);
	params = params_of(p, "1.5.25", false, SEAMLDR_SCENARIO_LOAD);
	sign_with(key, h_params_sigstruct(p, params));
	assert_int_equal(h_install_all(p, params, NULL), SEAMLDR_SUCCESS);
	assert_int_equal(h_init_module(p), TDX_SUCCESS);
	seam_platform_destroy(p);
	EVP_PKEY_free(key);
}

static void test_install_debug_module(void **state)
{
	struct seam_platform *p = plain();
	uint64_t rdx = 0xBAD;

	expect_recoverable(p, params_of(p, "1.5.25", true, SEAMLDR_SCENARIO_LOAD),
			   SEAMLDR_EBADSIG);
	seam_platform_destroy(p);

	p = platform(true, false, 0, 16);
	assert_int_equal(h_install_all(p, params_of(p, "1.5.25", true, SEAMLDR_SCENARIO_LOAD),
				       &rdx), SEAMLDR_SUCCESS);
	assert_int_equal(rdx, 0);
	assert_int_equal(h_init_module(p), TDX_SUCCESS);
	seam_platform_destroy(p);
}

static void test_install_bad_signature(void **state)
{
	static const size_t offsets[] = {
		SIGSTRUCT_DATE,				/* signed header part */
		SIGSTRUCT_SEAMHASH + 5,			/* signed body */
		SIGSTRUCT_CPUID_TABLE + 100,		/* signed body, unused entry */
		SIGSTRUCT_SIGNATURE + 17,		/* the signature itself */
	};
	struct seam_platform *p = shut("1.5.24");

	for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		uint64_t params = params_of(p, "1.5.25", false, SEAMLDR_SCENARIO_UPDATE);

		h_params_sigstruct(p, params)[offsets[i]] ^= 0x01;
		expect_recoverable(p, params, SEAMLDR_EBADSIG);
	}
	seam_platform_destroy(p);
}

/* ---- 4.2 steps 3-8: SVNs and CPUs -------------------------------------- */

static void test_install_svn_major_zero(void **state)
{
	struct seam_platform *p = plain();
	uint64_t params = params_of(p, "1.5.25", false, SEAMLDR_SCENARIO_LOAD);
	struct sigstruct s;

	get_sig(p, params, &s);
	s.seamsvn_major = 0;
	put_sig(p, params, &s);
	expect_recoverable(p, params, 0x8000000000000006ULL);
	seam_platform_destroy(p);
}

static void test_install_update_major_svn_change(void **state)
{
	struct seam_platform *p = shut("1.5.25");

	/* 2.0.08 also lacks this CPU, but the SVN check comes first */
	expect_recoverable(p, params_of(p, "2.0.08", false, SEAMLDR_SCENARIO_UPDATE),
			   SEAMLDR_EUNSUPPORTED);
	seam_platform_destroy(p);
}

static void test_install_update_minor_downgrade(void **state)
{
	struct seam_platform *p = shut("1.5.25");

	expect_recoverable(p, params_of(p, "1.5.24", false, SEAMLDR_SCENARIO_UPDATE),
			   SEAMLDR_EBADSIG);
	/* the same SVN is not a downgrade */
	assert_int_equal(h_install_all(p, params_of(p, "1.5.25", false, SEAMLDR_SCENARIO_UPDATE),
				       NULL), SEAMLDR_SUCCESS);
	seam_platform_destroy(p);
}

/* LOAD over a running module (keys dirty): other major or lower minor. */
static void test_install_load_cleanup_required(void **state)
{
	struct seam_platform *p = booted("1.5.25");

	expect_recoverable(p, params_of(p, "1.5.24", false, SEAMLDR_SCENARIO_LOAD),
			   0x8000000000000005ULL);
	expect_recoverable(p, params_of(p, "2.0.08", false, SEAMLDR_SCENARIO_LOAD),
			   SEAMLDR_ECLEANUPREQ);
	assert_int_equal(h_install_all(p, params_of(p, "1.5.25", false, SEAMLDR_SCENARIO_LOAD),
				       NULL), SEAMLDR_SUCCESS);
	seam_platform_destroy(p);
}

static void test_install_unsupported_cpu(void **state)
{
	struct seam_platform *p = platform(false, false, 0x906a0, 16);

	expect_recoverable(p, params_of(p, "1.5.25", false, SEAMLDR_SCENARIO_LOAD),
			   0x8000000000010004ULL);
	seam_platform_destroy(p);
	/* the stepping is masked off: SPR stepping 3 is covered by 0x806f8 */
	p = platform(false, false, 0x806f3, 16);
	assert_int_equal(h_install_all(p, params_of(p, "1.5.25", false, SEAMLDR_SCENARIO_LOAD),
				       NULL), SEAMLDR_SUCCESS);
	seam_platform_destroy(p);
}

static void test_install_empty_cpuid_table(void **state)
{
	struct seam_platform *p = plain();
	uint64_t params = params_of(p, "1.5.25", false, SEAMLDR_SCENARIO_LOAD);
	struct sigstruct s;

	get_sig(p, params, &s);
	s.cpuid_table_size = 0;
	memset(s.cpuid_table, 0, sizeof(s.cpuid_table));
	put_sig(p, params, &s);
	expect_recoverable(p, params, SEAMLDR_EBADSIG);
	seam_platform_destroy(p);
	/* a debug-signed module may have no table */
	p = platform(true, false, 0x906a0, 16);
	params = params_of(p, "1.5.25", true, SEAMLDR_SCENARIO_LOAD);
	get_sig(p, params, &s);
	s.cpuid_table_size = 0;
	put_sig(p, params, &s);
	assert_int_equal(h_install_all(p, params, NULL), SEAMLDR_SUCCESS);
	seam_platform_destroy(p);
}

/* ---- 4.2 steps 9-12 ---------------------------------------------------- */

static void test_install_fault_recoverable(void **state)
{
	struct seam_platform *p = shut("1.5.24");
	uint64_t params = params_of(p, "1.5.25", false, SEAMLDR_SCENARIO_UPDATE);

	seam_inject_fault(p, SEAM_FAULT_INSTALL_RECOVERABLE, NR_LPS - 1);
	expect_recoverable(p, params, 0x8000000000030001ULL);
	/* one-shot: the retry installs */
	assert_int_equal(h_install_all(p, params, NULL), SEAMLDR_SUCCESS);
	seam_platform_destroy(p);
}

static void test_install_seam_range_too_small(void **state)
{
	struct seam_platform *p = shut("1.5.24");
	uint64_t params = params_of(p, "1.5.25", false, SEAMLDR_SCENARIO_UPDATE);
	struct sigstruct s;

	get_sig(p, params, &s);
	s.num_handoff_pages = 25;	/* 26 pages: more than the data region (inferred) */
	put_sig(p, params, &s);
	expect_recoverable(p, params, 0x8000000000010002ULL);
	seam_platform_destroy(p);
}

static void test_install_remaining_updates_zero(void **state)
{
	struct seam_platform *p = platform(false, false, 0, 1);
	uint8_t inf[256];

	assert_int_equal(h_boot(p, "1.5.24"), TDX_SUCCESS);
	assert_int_equal(info(p, 0, inf), SEAMLDR_SUCCESS);
	assert_int_equal(le32(inf + 28), 1);
	assert_int_equal(h_shutdown(p, false), TDX_SUCCESS);
	assert_int_equal(h_install_and_update(p, "1.5.25", 0, 0), TDX_SUCCESS);
	assert_int_equal(info(p, 0, inf), SEAMLDR_SUCCESS);
	assert_int_equal(le32(inf + 28), 0);
	assert_int_equal(h_shutdown(p, false), TDX_SUCCESS);
	expect_recoverable(p, params_of(p, "1.5.25", false, SEAMLDR_SCENARIO_UPDATE),
			   0x8000000000000003ULL);
	/* a LOAD is not an update and refills the count */
	assert_int_equal(h_install_all(p, params_of(p, "1.5.25", false, SEAMLDR_SCENARIO_LOAD),
				       NULL), SEAMLDR_SUCCESS);
	assert_int_equal(info(p, 0, inf), SEAMLDR_SUCCESS);
	assert_int_equal(le32(inf + 28), 1);
	seam_platform_destroy(p);
}

/* UPDATE without SHUTDOWN: no valid handoff; the module keeps running. */
static void test_install_handoff_not_valid(void **state)
{
	struct seam_platform *p = booted("1.5.25");
	uint64_t counter1, counter2;
	uint8_t page[PAGE_SIZE];
	struct h_td td;

	h_fill_page(page, 9);
	assert_int_equal(h_td_create(p, &td, 3), TDX_SUCCESS);
	assert_int_equal(h_td_init(p, &td), TDX_SUCCESS);
	assert_int_equal(h_td_add_page(p, &td, 0x2000, page, true), TDX_SUCCESS);
	assert_int_equal(h_td_vcpu(p, &td, 0x2000), TDX_SUCCESS);
	assert_int_equal(h_td_finalize(p, &td), TDX_SUCCESS);
	assert_int_equal(h_td_enter(p, &td, 1, &counter1, NULL),
			 TDX_SUCCESS | VMX_EXIT_REASON_TDCALL);
	expect_recoverable(p, params_of(p, "1.5.25", false, SEAMLDR_SCENARIO_UPDATE),
			   0x8000000000000004ULL);
	assert_int_equal(h_td_enter(p, &td, 1, &counter2, NULL),
			 TDX_SUCCESS | VMX_EXIT_REASON_TDCALL);
	assert_int_equal(counter2, counter1 + 1);
	seam_platform_destroy(p);
}

/* The handoff's HV must lie in the new sigstruct's [min_update_hv, module_hv]. */
static void test_install_handoff_hv_out_of_range(void **state)
{
	struct seam_platform *p = shut("1.5.25");		/* handoff HV 1 */
	uint64_t params = params_of(p, "1.5.25", false, SEAMLDR_SCENARIO_UPDATE);
	struct sigstruct s;

	get_sig(p, params, &s);
	s.module_hv = 0;
	s.min_update_hv = 0;
	put_sig(p, params, &s);
	expect_recoverable(p, params, SEAMLDR_EBADHANDOFF);
	seam_platform_destroy(p);
}

/* ---- 4.2 steps 14-16: past the point of no return ---------------------- */

static void test_install_seamhash_mismatch(void **state)
{
	static const uint32_t scenarios[] = { SEAMLDR_SCENARIO_UPDATE, SEAMLDR_SCENARIO_LOAD };

	for (size_t i = 0; i < 2; i++) {
		struct seam_platform *p = shut("1.5.24");
		uint64_t params = params_of(p, "1.5.25", false, scenarios[i]);

		/* tampered after signing: the sigstruct itself still verifies */
		h_params_module_page(p, params, 3)[100] ^= 0xFF;
		expect_unrecoverable(p, params, 0x8000000000020001ULL);
		seam_platform_destroy(p);
	}
}

/*
 * Step 13 of a LOAD clears the SEAMDB and refills num_remaining_updates
 * before the point of no return, so a LOAD that then fails has done both.
 */
static void test_install_load_fails_after_reset(void **state)
{
	struct seam_platform *p = shut("1.5.24");
	struct seam_platform_state st;
	uint64_t params;

	assert_int_equal(h_install_and_update(p, "1.5.25", 0, 0), TDX_SUCCESS);
	seam_platform_get_state(p, &st);
	assert_int_equal(st.num_remaining_updates, 15);
	assert_int_equal(h_shutdown(p, false), TDX_SUCCESS);
	params = params_of(p, "1.5.25", false, SEAMLDR_SCENARIO_LOAD);
	h_params_module_page(p, params, 3)[100] ^= 0xFF;
	expect_unrecoverable(p, params, SEAMLDR_EBADHASH);
	seam_platform_get_state(p, &st);
	assert_int_equal(st.num_remaining_updates, 16);
	assert_int_equal(st.seamdb_entries, 0);
	seam_platform_destroy(p);
}

static void test_install_non_descriptor_module(void **state)
{
	struct seam_platform *p = shut("1.5.24");
	uint64_t params = params_of(p, "1.5.25", false, SEAMLDR_SCENARIO_UPDATE);
	uint64_t n = le64(h_map(p, params) + SEAMLDR_PARAMS_NUM_MODULE_PAGES);

	for (unsigned int i = 0; i < n; i++)
		h_fill_page(h_params_module_page(p, params, i), 1000 + i);
	h_params_rehash(p, params);
	h_params_resign(p, params);
	expect_unrecoverable(p, params, SEAMLDR_EBADPARAM);
	seam_platform_destroy(p);
}

static void test_install_fault_unrecoverable(void **state)
{
	struct seam_platform *p = shut("1.5.24");
	uint64_t params = params_of(p, "1.5.25", false, SEAMLDR_SCENARIO_UPDATE);

	seam_inject_fault(p, SEAM_FAULT_INSTALL_UNRECOVERABLE, NR_LPS - 1);
	expect_unrecoverable(p, params, SEAMLDR_ENOENTROPY);
	seam_platform_destroy(p);
}

/*
 * 4.2 order: with two defects, the earlier step's error wins. Pairs of
 * neighbouring steps, each built so that the later defect alone would
 * give a different status.
 */
static void set_cpuid(struct seam_platform *p, uint64_t params, uint32_t fms)
{
	struct sigstruct s;

	get_sig(p, params, &s);
	s.cpuid_table_size = 1;
	memset(s.cpuid_table, 0, sizeof(s.cpuid_table));
	s.cpuid_table[0] = fms;
	put_sig(p, params, &s);
}

static void test_install_check_order(void **state)
{
	struct seam_platform *p;
	struct sigstruct s;
	uint64_t params;

	/* 1b (UPDATE, no module) before 2 (signature) */
	p = plain();
	params = params_of(p, "1.5.25", false, SEAMLDR_SCENARIO_UPDATE);
	h_params_sigstruct(p, params)[SIGSTRUCT_SIGNATURE] ^= 1;
	expect_recoverable(p, params, SEAMLDR_EBADPARAM);
	seam_platform_destroy(p);

	/* 2 (signature) before 3 (major SVN 0) */
	p = plain();
	params = params_of(p, "1.5.25", false, SEAMLDR_SCENARIO_LOAD);
	get_sig(p, params, &s);
	s.seamsvn_major = 0;
	put_sig(p, params, &s);
	h_params_sigstruct(p, params)[SIGSTRUCT_SIGNATURE] ^= 1;
	expect_recoverable(p, params, SEAMLDR_EBADSIG);
	seam_platform_destroy(p);

	/* 3 (major SVN 0) before 7 (CPU) */
	p = platform(false, false, 0x906a0, 16);
	params = params_of(p, "1.5.25", false, SEAMLDR_SCENARIO_LOAD);
	get_sig(p, params, &s);
	s.seamsvn_major = 0;
	put_sig(p, params, &s);
	expect_recoverable(p, params, SEAMLDR_EUNSUPPORTED);
	seam_platform_destroy(p);

	/* 5 (minor downgrade) before 7 (CPU) */
	p = shut("1.5.25");
	params = params_of(p, "1.5.24", false, SEAMLDR_SCENARIO_UPDATE);
	set_cpuid(p, params, 0x906a0);
	expect_recoverable(p, params, SEAMLDR_EBADSIG);
	seam_platform_destroy(p);

	/* with no updates left (LOAD leaves 0 of 0): 7, 9 and 10 come before 11 */
	p = platform(false, false, 0, 0);
	assert_int_equal(h_boot(p, "1.5.24"), TDX_SUCCESS);
	assert_int_equal(h_shutdown(p, false), TDX_SUCCESS);
	params = params_of(p, "1.5.25", false, SEAMLDR_SCENARIO_UPDATE);
	set_cpuid(p, params, 0x906a0);
	expect_recoverable(p, params, SEAMLDR_EUNSUPCPU);
	params = params_of(p, "1.5.25", false, SEAMLDR_SCENARIO_UPDATE);
	seam_inject_fault(p, SEAM_FAULT_INSTALL_RECOVERABLE, NR_LPS - 1);
	expect_recoverable(p, params, SEAMLDR_ENOENTROPY);
	get_sig(p, params, &s);
	s.num_handoff_pages = 25;
	put_sig(p, params, &s);
	expect_recoverable(p, params, SEAMLDR_ENOMEM);
	expect_recoverable(p, params_of(p, "1.5.25", false, SEAMLDR_SCENARIO_UPDATE),
			   SEAMLDR_EBADCALL);
	seam_platform_destroy(p);

	/* 11 (no updates left) before 12 (no valid handoff: never shut down) */
	p = platform(false, false, 0, 0);
	assert_int_equal(h_boot(p, "1.5.24"), TDX_SUCCESS);
	expect_recoverable(p, params_of(p, "1.5.25", false, SEAMLDR_SCENARIO_UPDATE),
			   SEAMLDR_EBADCALL);
	seam_platform_destroy(p);

	/* 12 (handoff) before 14 (seamhash): still recoverable */
	p = booted("1.5.24");
	params = params_of(p, "1.5.25", false, SEAMLDR_SCENARIO_UPDATE);
	h_params_module_page(p, params, 0)[200] ^= 1;
	expect_recoverable(p, params, SEAMLDR_EBADHANDOFF);
	seam_platform_destroy(p);
}

/* ---- 4.3 epilogue ------------------------------------------------------ */

static void expect_seamdb(struct seam_platform *p, unsigned int n, const char *const *versions)
{
	struct seamdb_entry db[8];
	uint8_t hash[48];

	assert_int_equal(seam_seamdb(p, db, 8), n);
	for (unsigned int i = 0; i < n; i++) {
		uint16_t maj, min, upd;

		assert_int_equal(module_version_parse(versions[i], &maj, &min, &upd), 0);
		assert_int_equal(db[i].major, maj);
		assert_int_equal(db[i].minor, min);
		assert_int_equal(db[i].update, upd);
		image_hash(versions[i], hash);
		assert_memory_equal(db[i].seamhash, hash, 48);
	}
}

static void expect_seamextend(struct seam_platform *p, const char *version, uint8_t svn_minor,
			      uint8_t svn_major, uint32_t remaining)
{
	uint8_t inf[256], hash[48];

	image_hash(version, hash);
	assert_int_equal(info(p, 0, inf), SEAMLDR_SUCCESS);
	assert_int_equal(le32(inf + 28), remaining);
	assert_int_equal(le64(inf + 32), 0x1FF);
	assert_int_equal(inf[40], svn_minor);
	assert_int_equal(inf[41], svn_major);
	assert_memory_equal(inf + 56, hash, 48);
	assert_true(all_zero(inf + 104, 48));
	assert_int_equal(inf[160], 1);
}

static void test_install_epilogue(void **state)
{
	static const char *const chain[] = { "1.5.24", "1.5.25", "1.5.25" };
	struct seam_platform *p = booted("1.5.24");
	struct seam_platform_state st;

	expect_seamdb(p, 1, chain);
	expect_seamextend(p, "1.5.24", 0x0D, 1, 16);
	assert_int_equal(h_shutdown(p, false), TDX_SUCCESS);
	assert_int_equal(h_install_and_update(p, "1.5.25", 0, 0), TDX_SUCCESS);
	expect_seamdb(p, 2, chain);
	expect_seamextend(p, "1.5.25", 0x0E, 1, 15);
	assert_int_equal(h_shutdown(p, false), TDX_SUCCESS);
	assert_int_equal(h_install_and_update(p, "1.5.25", 0, 0), TDX_SUCCESS);
	expect_seamdb(p, 3, chain);
	expect_seamextend(p, "1.5.25", 0x0E, 1, 14);
	seam_platform_get_state(p, &st);
	assert_int_equal(st.sys_state, SYS_READY);
	/* a LOAD starts a new SEAMDB and resets the count */
	assert_int_equal(h_install_all(p, params_of(p, "1.5.25", false, SEAMLDR_SCENARIO_LOAD),
				       NULL), SEAMLDR_SUCCESS);
	expect_seamdb(p, 1, chain + 1);
	expect_seamextend(p, "1.5.25", 0x0E, 1, 16);
	seam_platform_destroy(p);
}

/* The sigstruct's handoff values reach the new module (SYS.INIT checks them). */
static void test_install_copies_sysinfo(void **state)
{
	struct seam_platform *p = shut("1.5.24");
	uint64_t params = params_of(p, "1.5.25", false, SEAMLDR_SCENARIO_UPDATE);
	struct sigstruct s;

	get_sig(p, params, &s);
	s.no_downgrade = 0;				/* 1.5.25 is built with 1 */
	put_sig(p, params, &s);
	assert_int_equal(h_install_all(p, params, NULL), SEAMLDR_SUCCESS);
	assert_int_equal(h_call(p, 0, TDH_SYS_INIT, 0, NULL), TDX_SYS_INCOMPATIBLE_SIGSTRUCT);
	seam_platform_destroy(p);
}

/* ---- one LP at a time inside P-SEAMLDR --------------------------------- */

#define CONC_ROUNDS	300

struct conc_arg {
	struct seam_platform *p;
	unsigned int lp;
	uint64_t pa;
	pthread_barrier_t *start;
	unsigned int ok, busy, other;
	bool bad_content;
};

static void *conc_info(void *arg)
{
	struct conc_arg *c = arg;
	const uint8_t *buf = physmem_map(seam_physmem(c->p), c->pa, 256);

	pthread_barrier_wait(c->start);
	for (int i = 0; i < CONC_ROUNDS; i++) {
		struct seam_args a = { .rcx = c->pa };
		uint64_t ret = seamcall(c->p, c->lp, SEAMLDR_INFO, &a);

		if (ret == SEAMLDR_SUCCESS) {
			c->ok++;
			if (le32(buf + 8) != 0x8086 || buf[160] != 1 || le64(buf + 32) != 0x1FF)
				c->bad_content = true;
		} else if (ret == SEAMLDR_EBADCALL) {
			c->busy++;
		} else {
			c->other++;
		}
	}
	return NULL;
}

static void test_seamldr_one_lp_at_a_time(void **state)
{
	struct seam_platform *p = booted("1.5.25");
	struct conc_arg args[NR_LPS];
	pthread_t th[NR_LPS];
	pthread_barrier_t start;
	struct snapshot before, after;
	unsigned int ok = 0;

	take(p, &before);
	pthread_barrier_init(&start, NULL, NR_LPS);
	for (unsigned int lp = 0; lp < NR_LPS; lp++) {
		args[lp] = (struct conc_arg){ .p = p, .lp = lp, .pa = h_page(p), .start = &start };
		assert_int_equal(pthread_create(&th[lp], NULL, conc_info, &args[lp]), 0);
	}
	for (unsigned int lp = 0; lp < NR_LPS; lp++) {
		pthread_join(th[lp], NULL);
		assert_int_equal(args[lp].other, 0);
		assert_false(args[lp].bad_content);
		assert_int_equal(args[lp].ok + args[lp].busy, CONC_ROUNDS);
		ok += args[lp].ok;
	}
	pthread_barrier_destroy(&start);
	assert_true(ok >= 1);
	take(p, &after);
	assert_same(&before, &after);
	expect_module_answers(p, TDX_SUCCESS);
	seam_platform_destroy(p);
}

/* Leaves outside a module update are not modelled (inferred: EBADPARAM). */
static void test_seamldr_other_leaves(void **state)
{
	struct seam_platform *p = booted("1.5.25");
	struct seam_args a = { .rcx = h_page(p) };

	assert_int_equal(seamcall(p, 0, SEAMLDR_SHUTDOWN, &a), SEAMLDR_EBADPARAM);
	assert_int_equal(seamcall(p, 0, SEAMLDR_SEAMINFO, &a), SEAMLDR_EBADPARAM);
	assert_int_equal(seamcall(p, 0, SEAMLDR_CLEANUP, &a), SEAMLDR_EBADPARAM);
	assert_int_equal(seamcall(p, 0, P_SEAMLDR_SEAMCALL_BASE | 77, &a), SEAMLDR_EBADPARAM);
	expect_module_answers(p, TDX_SUCCESS);
	seam_platform_destroy(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_info_before_any_module),
		cmocka_unit_test(test_info_after_load),
		cmocka_unit_test(test_info_debug_platform),
		cmocka_unit_test(test_info_bad_buffer),
		cmocka_unit_test(test_install_same_lp_twice),
		cmocka_unit_test(test_install_blocks_module_until_complete),
		cmocka_unit_test(test_install_bad_params),
		cmocka_unit_test(test_install_params_version1),
		cmocka_unit_test(test_install_update_without_module),
		cmocka_unit_test(test_install_malformed_sigstruct),
		cmocka_unit_test(test_install_untrusted_key),
		cmocka_unit_test(test_install_debug_module),
		cmocka_unit_test(test_install_bad_signature),
		cmocka_unit_test(test_install_svn_major_zero),
		cmocka_unit_test(test_install_update_major_svn_change),
		cmocka_unit_test(test_install_update_minor_downgrade),
		cmocka_unit_test(test_install_load_cleanup_required),
		cmocka_unit_test(test_install_unsupported_cpu),
		cmocka_unit_test(test_install_empty_cpuid_table),
		cmocka_unit_test(test_install_fault_recoverable),
		cmocka_unit_test(test_install_seam_range_too_small),
		cmocka_unit_test(test_install_remaining_updates_zero),
		cmocka_unit_test(test_install_handoff_not_valid),
		cmocka_unit_test(test_install_handoff_hv_out_of_range),
		cmocka_unit_test(test_install_seamhash_mismatch),
		cmocka_unit_test(test_install_load_fails_after_reset),
		cmocka_unit_test(test_install_non_descriptor_module),
		cmocka_unit_test(test_install_fault_unrecoverable),
		cmocka_unit_test(test_install_check_order),
		cmocka_unit_test(test_install_epilogue),
		cmocka_unit_test(test_install_copies_sysinfo),
		cmocka_unit_test(test_seamldr_one_lp_at_a_time),
		cmocka_unit_test(test_seamldr_other_leaves),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
