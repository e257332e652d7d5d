// SPDX-License-Identifier: MIT
/*
 * Module selection on a synthetic catalogue with one candidate per
 * refusal reason (userspace.md 2.2 and 3 item 4), with the exact reasons,
 * and on a catalogue shaped like Intel's published one.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tdxup/select.h"
#include "updater/catalog_fixture.h"

#define LDR_1_5		"[\"1.5.00\", \"2.0.00\"]"
#define REL(v, tdp, ldr) \
	"{\"version\": \"" v "\", \"min_module_version_for_td_preserving\": \"" tdp "\", " \
	"\"min_seamldr_versions\": " ldr ", \"tdx_feature0\": \"0x40002\"}"

static const char rules_json[] = "{\"tdx_module_releases\": ["
	REL("1.5.16", "1.5.01", LDR_1_5) ","
	REL("1.5.24", "1.5.01", LDR_1_5) ","
	REL("1.5.25", "1.5.01", LDR_1_5) ","
	REL("1.5.30", "1.5.01", LDR_1_5) ","
	REL("1.5.33", "1.5.01", LDR_1_5) ","
	REL("1.5.34", "1.5.01", LDR_1_5) ","
	REL("1.5.35", "1.5.01", LDR_1_5) ","
	REL("1.5.36", "1.5.01", LDR_1_5) ","
	REL("1.5.37", "1.5.30", LDR_1_5) ","
	REL("1.5.38", "1.5.01", "[\"1.5.03\", \"2.0.00\"]") ","
	REL("1.5.39", "1.5.01", LDR_1_5) ","
	REL("1.5.40", "1.5.01", LDR_1_5) ","
	REL("1.6.01", "1.6.01", "[\"1.5.00\"]")
	"]}";

struct expect {
	const char *version;
	enum select_verdict verdict;
	const char *reason;
};

static const struct expect rules_expect[] = {
	{ "1.6.01", SELECT_MAJOR_MINOR,
	  "not TD-preserving: major.minor differs from the running 1.5.24" },
	{ "1.5.40", SELECT_CPU, "CPU 0x806f8 not supported (module CPU list: 0xa06d0)" },
	{ "1.5.39", SELECT_DEBUG,
	  "debug-signed module (sigstruct module_type bit 31): a production "
	  "P-SEAMLDR refuses it after shutting the module down, losing every TD" },
	{ "1.5.38", SELECT_SEAMLDR,
	  "P-SEAMLDR 1.5.01 not supported (min_seamldr_versions: 1.5.03, 2.0.00)" },
	{ "1.5.37", SELECT_MIN_TD_PRESERVING,
	  "not TD-preserving: running 1.5.24 is below min_module_version_for_td_preserving "
	  "1.5.30" },
	{ "1.5.36", SELECT_SVN,
	  "P-SEAMLDR would refuse it: SEAM SVN minor 12 is below the running module's 13" },
	{ "1.5.35", SELECT_SVN,
	  "P-SEAMLDR would refuse it: SEAM SVN major 2 differs from the running module's 1" },
	{ "1.5.34", SELECT_HV,
	  "handoff incompatible: the running module's module_hv 1 is outside "
	  "[min_update_hv 2, module_hv 3]" },
	{ "1.5.33", SELECT_BAD_IMAGE,
	  "bad image: seamhash mismatch: SHA-384 of the 21 module pages differs from the "
	  "sigstruct" },
	{ "1.5.30", SELECT_OK, "ok: TD-preserving update from 1.5.24" },
	{ "1.5.25", SELECT_OK, "ok: TD-preserving update from 1.5.24" },
	{ "1.5.24", SELECT_OK, "ok: same version as running (re-install)" },
	{ "1.5.16", SELECT_OLDER,
	  "not TD-preserving: older than the running 1.5.24 (a downgrade)" },
};

#define NR_RULES	(sizeof(rules_expect) / sizeof(rules_expect[0]))

static void corrupt_blob(const char *dir, const char *rel)
{
	char path[4096];
	uint8_t *img;
	size_t len;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	assert_int_equal(read_file(path, &img, &len), 0);
	img[len - 100] ^= 1;
	tdx_image_fix_checksum(img, len);	/* so that seamhash is what fails */
	assert_int_equal(write_file(path, img, len), 0);
	free(img);
}

static char *write_rules_catalog(void)
{
	char *dir = fixture_dir();
	struct module_build b;

	fixture_json(dir, rules_json);
	fixture_blob_of(dir, "1.5.16");
	fixture_blob_of(dir, "1.5.24");
	fixture_blob_of(dir, "1.5.25");
	fixture_blob_of(dir, "1.5.30");
	b = fixture_build("1.5.25", 1, 5, 33);
	fixture_blob(dir, &b, false);
	corrupt_blob(dir, "joined_files/1.5/tdx_module_1.5.33.blob");
	b = fixture_build("1.5.25", 1, 5, 34);
	b.module_hv = 3;
	b.min_update_hv = 2;
	fixture_blob(dir, &b, false);
	b = fixture_build("1.5.25", 1, 5, 35);
	b.seamsvn_major = 2;
	fixture_blob(dir, &b, false);
	b = fixture_build("1.5.25", 1, 5, 36);
	b.seamsvn_minor = 12;
	fixture_blob(dir, &b, false);
	b = fixture_build("1.5.25", 1, 5, 37);
	fixture_blob(dir, &b, false);
	b = fixture_build("1.5.25", 1, 5, 38);
	fixture_blob(dir, &b, false);
	b = fixture_build("1.5.25", 1, 5, 39);
	fixture_blob(dir, &b, true);
	b = fixture_build("1.5.25", 1, 5, 40);
	b.cpu_fms[0] = 0xa06d0;
	b.nr_cpu_fms = 1;
	fixture_blob(dir, &b, false);
	b = fixture_build("1.5.25", 1, 6, 1);
	fixture_blob(dir, &b, false);
	return dir;
}

static struct select_host host_1_5_24(void)
{
	struct select_host h = { .cpu_fms = 0x806f8 };

	/* The emulated target declares its test key, as `serve` does in its mount. */
	h.trusted_keys = (const uint8_t (*)[48])tdxup_test_key_hash();
	h.nr_trusted_keys = 1;

	assert_int_equal(tdx_version_parse("1.5.24", &h.module), 0);
	assert_int_equal(tdx_version_parse("1.5.01", &h.seamldr), 0);
	return h;
}

static void run_select(const char *dir, const struct select_host *h, struct catalog **cat,
		       struct select_result *r)
{
	char err[512];

	assert_int_equal(catalog_load(dir, cat, err, sizeof(err)), 0);
	assert_int_equal(select_run(*cat, h, r), 0);
}

static const char *vstr(const struct select_candidate *c, char *buf)
{
	return tdx_version_str(&c->version, buf);
}

static void test_every_reason(void **state)
{
	char *dir = write_rules_catalog(), vs[TDX_VERSION_STR_LEN];
	struct select_host h = host_1_5_24();
	struct select_result r;
	struct catalog *cat;

	run_select(dir, &h, &cat, &r);
	assert_true(r.running_in_catalog);
	assert_int_equal(r.nr, NR_RULES);
	for (size_t i = 0; i < NR_RULES; i++) {
		assert_string_equal(vstr(&r.cands[i], vs), rules_expect[i].version);
		assert_string_equal(r.cands[i].reason, rules_expect[i].reason);
		assert_int_equal(r.cands[i].verdict, rules_expect[i].verdict);
	}
	assert_int_equal(r.choice, 9);
	assert_string_equal(vstr(&r.cands[r.choice], vs), "1.5.30");
	select_result_free(&r);

	/* --allow-debug alone changes nothing: it can lose every TD. */
	h.allow_debug = true;
	assert_int_equal(select_run(cat, &h, &r), 0);
	assert_int_equal(r.cands[2].verdict, SELECT_DEBUG);
	assert_int_equal(r.choice, 9);
	select_result_free(&r);

	/* With the risk accepted: the debug build is valid, and the newest valid one. */
	h.accept_td_loss = true;
	assert_int_equal(select_run(cat, &h, &r), 0);
	assert_int_equal(r.cands[2].verdict, SELECT_OK);
	assert_int_equal(r.choice, 2);
	select_result_free(&r);

	/* The stepping is masked: 0x806f0 matches 0x806f8; 0x806e8 does not. */
	h.allow_debug = false;
	h.accept_td_loss = false;
	h.cpu_fms = 0x806f0;
	assert_int_equal(select_run(cat, &h, &r), 0);
	assert_int_equal(r.choice, 9);
	select_result_free(&r);
	h.cpu_fms = 0x806e8;
	assert_int_equal(select_run(cat, &h, &r), 0);
	assert_int_equal(r.choice, -1);
	assert_string_equal(r.cands[9].reason,
			    "CPU 0x806e8 not supported (module CPU list: 0x806f8, 0xc06f0, 0xa06f0)");
	select_result_free(&r);
	catalog_free(cat);
	fixture_rm(dir);
}

/* Without an image of the running version, SVN and HV cannot be checked. */
static void test_running_not_in_catalog(void **state)
{
	char *dir = write_rules_catalog();
	struct select_host h = host_1_5_24();
	struct select_result r;
	struct catalog *cat;

	assert_int_equal(tdx_version_parse("1.5.23", &h.module), 0);
	run_select(dir, &h, &cat, &r);
	assert_false(r.running_in_catalog);
	/* 1.5.34 (HV), 1.5.35 and 1.5.36 (SVN) now pass: nothing to compare with. */
	assert_int_equal(r.choice, 5);
	assert_int_equal(r.cands[5].verdict, SELECT_OK);
	assert_string_equal(r.cands[5].reason,
			    "ok: TD-preserving update from 1.5.23; SEAM SVN and handoff version "
			    "not checked (no image of 1.5.23 in the catalogue)");
	assert_int_equal(r.cands[12].verdict, SELECT_OLDER);
	select_result_free(&r);
	catalog_free(cat);
	fixture_rm(dir);
}

static void test_downgrade(void **state)
{
	char *dir = write_rules_catalog(), reason[SELECT_REASON_LEN];
	struct select_host h = host_1_5_24();
	const struct catalog_blob *b;
	struct tdx_version v;
	struct catalog *cat;
	char err[512];

	assert_int_equal(catalog_load(dir, &cat, err, sizeof(err)), 0);
	assert_int_equal(tdx_version_parse("1.5.16", &v), 0);
	b = catalog_find_blob(cat, &v);
	assert_non_null(b);
	h.allow_downgrade = true;
	/* Blind: no image of the running module, so the SVN is unknown. */
	assert_int_equal(select_check(&h, &v, &b->facts, &cat->releases[0], reason,
				      sizeof(reason)), SELECT_SVN);
	assert_string_equal(reason, "a downgrade needs the catalogue image of the running "
			    "module to check the SEAM SVN (P-SEAMLDR refuses a lower SVN after "
			    "shutdown, losing the module)");
	/* With it: 1.5.16's SVN minor 11 is below 1.5.24's 13. */
	h.running_sig = &catalog_find_blob(cat, &h.module)->facts.sig;
	assert_int_equal(select_check(&h, &v, &b->facts, &cat->releases[0], reason,
				      sizeof(reason)), SELECT_SVN);
	assert_string_equal(reason, "P-SEAMLDR would refuse it: SEAM SVN minor 11 is below the "
			    "running module's 13");
	catalog_free(cat);
	fixture_rm(dir);
}

/* An image by path: no catalogue entry, and a key nobody trusts. */
static void test_check_single(void **state)
{
	struct select_host h = host_1_5_24();
	char reason[SELECT_REASON_LEN];
	struct image_facts f;
	struct tdx_version v;
	uint8_t *img, extra[1][48];
	size_t len;

	fixture_image(module_build_find("1.5.25"), 0x100, false, &img, &len);
	assert_int_equal(image_facts_get(img, len, &f), 0);
	free(img);
	assert_true(f.has_desc);
	v = f.desc_version;
	assert_int_equal(select_check(&h, &v, &f, NULL, reason, sizeof(reason)), SELECT_OK);
	assert_string_equal(reason, "ok: TD-preserving update from 1.5.24; SEAM SVN and handoff "
			    "version not checked (no image of 1.5.24 in the catalogue); P-SEAMLDR "
			    "minimum and TD-preserving source not checked (no catalogue entry)");

	memset(f.key_hash, 0xab, sizeof(f.key_hash));
	assert_int_equal(select_check(&h, &v, &f, NULL, reason, sizeof(reason)),
			 SELECT_UNTRUSTED_KEY);
	/* The refusal names the risk and suggests no override. */
	assert_string_equal(reason, "signing key abababab... is not one this host trusts (Intel's, "
			    "or one declared in /etc/tdxup/trusted-keys.d/*.sha384 of the target): "
			    "P-SEAMLDR would judge it only after shutting the module down, and a "
			    "refusal there loses every TD");
	assert_null(strstr(reason, "--"));
	memcpy(extra[0], f.key_hash, 48);
	/* A forced key counts only with the risk accepted. */
	h.forced_keys = (const uint8_t (*)[48])extra;
	h.nr_forced_keys = 1;
	assert_int_equal(select_check(&h, &v, &f, NULL, reason, sizeof(reason)),
			 SELECT_UNTRUSTED_KEY);
	h.accept_td_loss = true;
	assert_int_equal(select_check(&h, &v, &f, NULL, reason, sizeof(reason)), SELECT_OK);
	h.accept_td_loss = false;
	h.nr_forced_keys = 0;
	/* A key the target declares is simply trusted. */
	h.trusted_keys = (const uint8_t (*)[48])extra;
	h.nr_trusted_keys = 1;
	assert_int_equal(select_check(&h, &v, &f, NULL, reason, sizeof(reason)), SELECT_OK);
}

/*
 * A catalogue shaped like Intel's: a Header object, tab indentation,
 * upper-case hex, 11 releases; blobs for the builds the emulator has
 * (v0x100, one sigstruct page, module_hv 0 as in every published one).
 */
static const char intel_json[] =
	"{\n  \"Header\": {\n\t\"Copyright\": \"(c)\",\n\t\"Info\": \"releases\",\n"
	"    \"Version\": \"1.0\"\n  },\n\t\"tdx_module_releases\": [\n"
	"\t\t{ \"version\": \"1.5.01\", \"min_module_version_for_td_preserving\": \"1.5.01\",\n"
	"\t\t  \"min_seamldr_versions\": [ \"1.5.00\" ], \"tdx_feature0\": \"0xF0FBF\" },\n"
#define INTEL_REL(v, tdp, ldr) \
	"\t\t{ \"version\": \"" v "\", \"min_module_version_for_td_preserving\": \"" tdp \
	"\",\n\t\t  \"min_seamldr_versions\": " ldr ", \"tdx_feature0\": \"0x22E1F0FBF\" }"
	INTEL_REL("1.5.05", "1.5.01", "[ \"1.5.00\", \"2.0.00\" ]") ",\n"
	INTEL_REL("1.5.06", "1.5.01", "[ \"1.5.00\", \"2.0.00\" ]") ",\n"
	INTEL_REL("1.5.08", "1.5.01", "[ \"1.5.00\", \"2.0.00\" ]") ",\n"
	INTEL_REL("1.5.09", "1.5.01", "[ \"1.5.00\", \"2.0.00\" ]") ",\n"
	INTEL_REL("1.5.13", "1.5.01", "[ \"1.5.00\", \"2.0.00\" ]") ",\n"
	INTEL_REL("1.5.16", "1.5.01", "[ \"1.5.00\", \"2.0.00\" ]") ",\n"
	INTEL_REL("2.0.02", "2.0.02", "[ \"2.0.00\" ]") ",\n"
	INTEL_REL("2.0.04", "2.0.04", "[ \"2.0.00\" ]") ",\n"
	INTEL_REL("2.0.05", "2.0.04", "[ \"2.0.00\" ]") ",\n"
	INTEL_REL("2.0.08", "2.0.04", "[ \"2.0.00\" ]") "\n\t]\n}\n";

static void test_intel_shaped(void **state)
{
	char *dir = fixture_dir(), vs[TDX_VERSION_STR_LEN];
	struct select_host h = host_1_5_24();
	struct select_result r;
	struct catalog *cat;

	fixture_json(dir, intel_json);
	fixture_blob_of(dir, "1.5.06");
	fixture_blob_of(dir, "1.5.08");
	fixture_blob_of(dir, "1.5.16");
	fixture_blob_of(dir, "2.0.08");
	assert_int_equal(tdx_version_parse("1.5.06", &h.module), 0);
	run_select(dir, &h, &cat, &r);
	assert_int_equal(cat->nr_releases, 11);
	assert_int_equal(cat->releases[0].tdx_feature0, 0xF0FBF);
	assert_int_equal(cat->nr_notes, 7);
	assert_int_equal(r.nr, 4);
	assert_int_equal(r.cands[0].verdict, SELECT_CPU);
	assert_string_equal(r.cands[0].reason,
			    "CPU 0x806f8 not supported (module CPU list: 0xa06d0, 0xa06e0)");
	assert_int_equal(r.choice, 1);
	assert_string_equal(vstr(&r.cands[1], vs), "1.5.16");
	assert_string_equal(r.cands[1].reason, "ok: TD-preserving update from 1.5.06");
	assert_string_equal(r.cands[3].reason, "ok: same version as running (re-install)");
	select_result_free(&r);

	/* On the 2.0 line with a 2.0 P-SEAMLDR and CPU. */
	assert_int_equal(tdx_version_parse("2.0.05", &h.module), 0);
	assert_int_equal(tdx_version_parse("2.0.00", &h.seamldr), 0);
	h.cpu_fms = 0xa06d1;
	assert_int_equal(select_run(cat, &h, &r), 0);
	assert_int_equal(r.choice, 0);
	assert_string_equal(r.cands[0].reason, "ok: TD-preserving update from 2.0.05; SEAM SVN "
			    "and handoff version not checked (no image of 2.0.05 in the "
			    "catalogue)");
	assert_string_equal(r.cands[1].reason, "CPU 0xa06d1 not supported (module CPU list: "
			    "0x806f8, 0xc06f0, 0xa06f0)");
	select_result_free(&r);
	catalog_free(cat);
	fixture_rm(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_reason),
		cmocka_unit_test(test_running_not_in_catalog),
		cmocka_unit_test(test_downgrade),
		cmocka_unit_test(test_check_single),
		cmocka_unit_test(test_intel_shaped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
