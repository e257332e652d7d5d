// SPDX-License-Identifier: MIT
/*
 * The catalogue reader (userspace.md 2.1): a good synthetic catalogue with
 * every kind of skipped file, damaged images, and one test per malformed
 * field of mapping_file.json with the exact error.
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

#include "tdxup/catalog.h"
#include "updater/catalog_fixture.h"

#define REL(v, tdp, ldr, f0) \
	"{\"version\": \"" v "\", \"min_module_version_for_td_preserving\": \"" tdp "\", " \
	"\"min_seamldr_versions\": " ldr ", \"tdx_feature0\": " f0 "}"

static const char good_json[] =
	"{\"tdx_module_releases\": ["
	REL("1.5.24", "1.5.01", "[\"1.5.00\", \"2.0.00\"]", "\"0x0000800000040002\"") ","
	REL("1.5.25", "1.5.01", "[\"1.5.00\", \"2.0.00\"]", "42") ","
	REL("2.0.08", "2.0.04", "[\"2.0.00\"]", "\"0x40002\"") ","
	REL("1.5.16", "1.5.01", "[\"1.5.00\", \"2.0.00\"]", "\"0x40002\"")
	"]}";

static void write_good(const char *dir)
{
	const struct module_build *b25 = module_build_find("1.5.25");
	struct module_build odd = fixture_build("1.5.25", 1, 5, 99);

	fixture_json(dir, good_json);
	fixture_blob_of(dir, "1.5.24");
	fixture_blob_named(dir, "1.5", "tdx_module_1.5.25.blob", b25, 0x200, false);
	fixture_blob_of(dir, "2.0.08");
	fixture_blob(dir, &odd, false);
	fixture_blob_named(dir, "1.5", "tdx_module_1.5.bad.blob", b25, 0x100, false);
	fixture_blob_named(dir, "2.0", "tdx_module_1.5.24.blob", b25, 0x100, false);
	fixture_blob_named(dir, "misc", "tdx_module_1.5.25.blob", b25, 0x100, false);
	fixture_write(dir, "joined_files/1.5/README.txt", "hi\n", 3);
}

static void check_version(const struct tdx_version *v, uint16_t a, uint16_t b, uint16_t c)
{
	assert_int_equal(v->major, a);
	assert_int_equal(v->minor, b);
	assert_int_equal(v->update, c);
}

static void test_good(void **state)
{
	char *dir = fixture_dir(), err[512] = "";
	const struct catalog_release *r;
	struct catalog *cat;

	write_good(dir);
	assert_int_equal(catalog_load(dir, &cat, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(cat->nr_releases, 4);
	r = &cat->releases[0];
	check_version(&r->version, 1, 5, 24);
	check_version(&r->min_td_preserving, 1, 5, 1);
	assert_int_equal(r->nr_min_seamldr, 2);
	check_version(&r->min_seamldr[0], 1, 5, 0);
	check_version(&r->min_seamldr[1], 2, 0, 0);
	assert_int_equal(r->tdx_feature0, 0x0000800000040002ULL);
	assert_int_equal(cat->releases[1].tdx_feature0, 42);
	assert_true(r->has_blob);
	assert_false(cat->releases[3].has_blob);

	/* Newest first; each judged intact, in its own format. */
	assert_int_equal(cat->nr_blobs, 3);
	check_version(&cat->blobs[0].version, 2, 0, 8);
	check_version(&cat->blobs[1].version, 1, 5, 25);
	check_version(&cat->blobs[2].version, 1, 5, 24);
	assert_string_equal(cat->blobs[1].rel_path, "joined_files/1.5/tdx_module_1.5.25.blob");
	assert_int_equal(cat->blobs[1].facts.format, 0x200);
	assert_int_equal(cat->blobs[2].facts.format, 0x100);
	for (size_t i = 0; i < cat->nr_blobs; i++) {
		assert_true(cat->blobs[i].facts.intact);
		assert_string_equal(cat->blobs[i].facts.problem, "");
		/* The test key is trusted only where the target declares it. */
		assert_int_equal(image_key_trust(cat->blobs[i].facts.key_hash, NULL, 0),
				 KEY_UNTRUSTED);
		assert_int_equal(image_key_trust(cat->blobs[i].facts.key_hash,
						 (const uint8_t (*)[48])tdxup_test_key_hash(), 1),
				 KEY_DECLARED);
	}
	assert_int_equal(cat->blobs[0].release, 2);
	assert_ptr_equal(catalog_find_blob(cat, &cat->releases[1].version), &cat->blobs[1]);
	assert_null(catalog_find_blob(cat, &cat->releases[3].version));
	assert_ptr_equal(catalog_find_release(cat, &cat->blobs[0].version), &cat->releases[2]);

	assert_int_equal(cat->nr_notes, 4);
	assert_string_equal(cat->notes[0], "joined_files/1.5/tdx_module_1.5.99.blob: skipped: "
			    "its version is not in mapping_file.json");
	assert_string_equal(cat->notes[1], "joined_files/1.5/tdx_module_1.5.bad.blob: skipped: "
			    "the name is not tdx_module_<x.y.z>.blob");
	assert_string_equal(cat->notes[2], "joined_files/2.0/tdx_module_1.5.24.blob: skipped: "
			    "its directory is not its major.minor");
	assert_string_equal(cat->notes[3], "release 1.5.16: no blob in joined_files/");
	catalog_free(cat);
	fixture_rm(dir);
}

/* Damaged images stay in the catalogue, with the reason. */
static void test_damaged_blobs(void **state)
{
	const struct module_build *b = module_build_find("1.5.25");
	char *dir = fixture_dir(), err[512], path[4096];
	struct catalog *cat;
	uint8_t *img;
	size_t len;

	fixture_json(dir, "{\"tdx_module_releases\": ["
		     REL("1.5.24", "1.5.01", "[\"1.5.00\"]", "\"0x1\"") ","
		     REL("1.5.25", "1.5.01", "[\"1.5.00\"]", "\"0x1\"") "]}");
	fixture_blob_of(dir, "1.5.24");
	fixture_blob_of(dir, "1.5.25");
	/* 1.5.24: a flipped module byte, checksum left stale. */
	snprintf(path, sizeof(path), "%s/joined_files/1.5/tdx_module_1.5.24.blob", dir);
	assert_int_equal(read_file(path, &img, &len), 0);
	img[len - 1] ^= 1;
	assert_int_equal(write_file(path, img, len), 0);
	free(img);
	/* 1.5.25: a flipped module byte with the checksum fixed up. */
	fixture_image(b, 0x100, false, &img, &len);
	img[len - 100] ^= 1;
	tdx_image_fix_checksum(img, len);
	fixture_write(dir, "joined_files/1.5/tdx_module_1.5.25.blob", img, len);
	free(img);

	assert_int_equal(catalog_load(dir, &cat, err, sizeof(err)), 0);
	assert_int_equal(cat->nr_blobs, 2);
	assert_false(cat->blobs[0].facts.intact);
	assert_string_equal(cat->blobs[0].facts.problem,
			    "seamhash mismatch: SHA-384 of the 21 module pages differs from the "
			    "sigstruct");
	assert_false(cat->blobs[1].facts.intact);
	assert_string_equal(cat->blobs[1].facts.problem,
			    "checksum mismatch: the 16-bit word sum of the file is 0xff00, not 0");
	catalog_free(cat);
	fixture_rm(dir);
}

/* One malformed mapping_file.json and the exact error it must give. */
struct bad_case {
	const char *json;
	const char *error;		/* after "<dir>/mapping_file.json: " */
};

static const struct bad_case bad_cases[] = {
	{ "[]", "expected a JSON object at the top level" },
	{ "{}", "tdx_module_releases: missing" },
	{ "{\"tdx_module_releases\": {}}", "tdx_module_releases: expected an array" },
	{ "{\"tdx_module_releases\": [7]}", "tdx_module_releases[0]: expected an object" },
	{ "{\"tdx_module_releases\": [{\"min_module_version_for_td_preserving\": \"1.5.01\", "
	  "\"min_seamldr_versions\": [\"1.5.00\"], \"tdx_feature0\": \"0x1\"}]}",
	  "tdx_module_releases[0].version: missing" },
	{ "{\"tdx_module_releases\": [" REL("1.5.24", "1.5.01", "[\"1.5.00\"]", "\"0x1\"") ","
	  REL("1.5", "1.5.01", "[\"1.5.00\"]", "\"0x1\"") "]}",
	  "tdx_module_releases[1].version: expected a version string \"X.Y.Z\"" },
	{ "{\"tdx_module_releases\": [{\"version\": 1.5, "
	  "\"min_module_version_for_td_preserving\": \"1.5.01\", "
	  "\"min_seamldr_versions\": [\"1.5.00\"], \"tdx_feature0\": \"0x1\"}]}",
	  "tdx_module_releases[0].version: expected a version string \"X.Y.Z\"" },
	{ "{\"tdx_module_releases\": [{\"version\": \"1.5.24\", "
	  "\"min_seamldr_versions\": [\"1.5.00\"], \"tdx_feature0\": \"0x1\"}]}",
	  "tdx_module_releases[0].min_module_version_for_td_preserving: missing" },
	{ "{\"tdx_module_releases\": [" REL("1.5.24", "1.5.x1", "[\"1.5.00\"]", "\"0x1\"") "]}",
	  "tdx_module_releases[0].min_module_version_for_td_preserving: expected a version "
	  "string \"X.Y.Z\"" },
	{ "{\"tdx_module_releases\": [{\"version\": \"1.5.24\", "
	  "\"min_module_version_for_td_preserving\": \"1.5.01\", \"tdx_feature0\": \"0x1\"}]}",
	  "tdx_module_releases[0].min_seamldr_versions: missing" },
	{ "{\"tdx_module_releases\": [" REL("1.5.24", "1.5.01", "[]", "\"0x1\"") "]}",
	  "tdx_module_releases[0].min_seamldr_versions: expected a non-empty array of version "
	  "strings" },
	{ "{\"tdx_module_releases\": [" REL("1.5.24", "1.5.01", "\"1.5.00\"", "\"0x1\"") "]}",
	  "tdx_module_releases[0].min_seamldr_versions: expected a non-empty array of version "
	  "strings" },
	{ "{\"tdx_module_releases\": [" REL("1.5.24", "1.5.01", "[\"1.5.00\", null]", "\"0x1\"")
	  "]}", "tdx_module_releases[0].min_seamldr_versions[1]: expected a version string "
	  "\"X.Y.Z\"" },
	{ "{\"tdx_module_releases\": [{\"version\": \"1.5.24\", "
	  "\"min_module_version_for_td_preserving\": \"1.5.01\", "
	  "\"min_seamldr_versions\": [\"1.5.00\"]}]}",
	  "tdx_module_releases[0].tdx_feature0: missing" },
	{ "{\"tdx_module_releases\": [" REL("1.5.24", "1.5.01", "[\"1.5.00\"]", "\"40002\"") "]}",
	  "tdx_module_releases[0].tdx_feature0: expected a hex string \"0x...\"" },
	{ "{\"tdx_module_releases\": [" REL("1.5.24", "1.5.01", "[\"1.5.00\"]", "\"0xzz\"") "]}",
	  "tdx_module_releases[0].tdx_feature0: expected a hex string \"0x...\"" },
	{ "{\"tdx_module_releases\": [" REL("1.5.24", "1.5.01", "[\"1.5.00\"]", "-1") "]}",
	  "tdx_module_releases[0].tdx_feature0: expected a hex string \"0x...\"" },
	{ "{\"tdx_module_releases\": [" REL("1.5.24", "1.5.01", "[\"1.5.00\"]", "\"0x1\"") ","
	  REL("1.5.24", "1.5.01", "[\"1.5.00\"]", "\"0x1\"") "]}",
	  "tdx_module_releases[1].version: 1.5.24 already listed at tdx_module_releases[0]" },
};

static void test_bad_json(void **state)
{
	char *dir = fixture_dir(), err[512], want[1024];
	struct catalog *cat;

	fixture_blob_of(dir, "1.5.24");
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		fixture_json(dir, bad_cases[i].json);
		cat = (struct catalog *)1;
		assert_int_equal(catalog_load(dir, &cat, err, sizeof(err)), -EINVAL);
		assert_null(cat);
		snprintf(want, sizeof(want), "%s/mapping_file.json: %s", dir, bad_cases[i].error);
		assert_string_equal(err, want);
	}
	fixture_rm(dir);
}

static void test_syntax_and_missing_files(void **state)
{
	char *dir = fixture_dir(), err[512], want[1024];
	struct catalog *cat;

	/* No mapping file at all: the reason, prefixed with the path. */
	assert_int_equal(catalog_load(dir, &cat, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s/mapping_file.json: No such file or directory", dir);
	assert_string_equal(err, want);

	fixture_json(dir, "{\"tdx_module_releases\": [}");
	assert_int_equal(catalog_load(dir, &cat, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s/mapping_file.json: invalid JSON at line 1 column 26: ",
		 dir);
	assert_memory_equal(err, want, strlen(want));

	/* A good mapping file without joined_files/. */
	fixture_json(dir, "{\"tdx_module_releases\": ["
		     REL("1.5.24", "1.5.01", "[\"1.5.00\"]", "\"0x1\"") "]}");
	assert_int_equal(catalog_load(dir, &cat, err, sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want), "%s/joined_files: No such file or directory", dir);
	assert_string_equal(err, want);
	fixture_rm(dir);
}

static void test_versions(void **state)
{
	struct tdx_version a, b;
	char s[TDX_VERSION_STR_LEN];

	assert_int_equal(tdx_version_parse("1.5.6", &a), 0);
	assert_string_equal(tdx_version_str(&a, s), "1.5.06");
	assert_int_equal(tdx_version_parse("1.5.06", &b), 0);
	assert_int_equal(tdx_version_cmp(&a, &b), 0);
	assert_int_equal(tdx_version_parse("2.0.100", &b), 0);
	assert_string_equal(tdx_version_str(&b, s), "2.0.100");
	assert_int_equal(tdx_version_cmp(&a, &b), -1);
	assert_int_equal(tdx_version_cmp(&b, &a), 1);
	assert_false(tdx_version_same_line(&a, &b));
	assert_int_equal(tdx_version_parse("1.5", &a), -EINVAL);
	assert_int_equal(tdx_version_parse("1.5.x", &a), -EINVAL);
	assert_int_equal(tdx_version_parse(" 1.5.6", &a), -EINVAL);
}

static void test_key_trust(void **state)
{
	uint8_t h[48] = { 0 }, extra[1][48];

	memcpy(h, intel_production_key_hash_prefix, 16);
	assert_int_equal(image_key_trust(h, NULL, 0), KEY_INTEL);
	h[0] ^= 1;
	assert_int_equal(image_key_trust(h, NULL, 0), KEY_UNTRUSTED);
	memcpy(extra[0], h, 48);
	assert_int_equal(image_key_trust(h, (const uint8_t (*)[48])extra, 1), KEY_DECLARED);
	/* No key compiled into the tool is trusted: the test key included. */
	assert_int_equal(image_key_trust(tdxup_test_key_hash(), NULL, 0), KEY_UNTRUSTED);
	assert_string_equal(key_trust_name(KEY_UNTRUSTED, tdxup_test_key_hash()),
			    "untrusted key (the tdxup test key, not declared by the target)");
	assert_string_equal(key_trust_name(KEY_INTEL, h), "Intel production key");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_damaged_blobs),
		cmocka_unit_test(test_bad_json),
		cmocka_unit_test(test_syntax_and_missing_files),
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_key_trust),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
