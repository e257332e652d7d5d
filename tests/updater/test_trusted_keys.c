// SPDX-License-Identifier: MIT
/* The target's declared keys: SYSROOT/etc/tdxup/trusted-keys.d/. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tdxup/trusted_keys.h"

#define HASH_A	"50f6369d3254383fcad0a42bc4bda11f737ad5f42854e2c339f28d24e244234c" \
		"e697c0f419fb043f1976650a1a8be2b5"
#define HASH_B	"00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff" \
		"00112233445566778899aabbccddeeff"

static char root[64], dir[128];

static void put(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	char cmd[256];

	strcpy(root, "/tmp/tdxup-keys-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	assert_int_equal(trusted_keys_dir(root, dir, sizeof(dir)), 0);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", dir);
	return system(cmd);
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd);
}

static void test_dir(void **state)
{
	char out[64];

	assert_int_equal(trusted_keys_dir("/", out, sizeof(out)), 0);
	assert_string_equal(out, "/etc/tdxup/trusted-keys.d");
	assert_int_equal(trusted_keys_dir("/tmp/h/", out, sizeof(out)), 0);
	assert_string_equal(out, "/tmp/h/etc/tdxup/trusted-keys.d");
}

static void test_load(void **state)
{
	struct trusted_keys tk = { .nr = 0 };
	char err[256] = "";

	/* Nothing declared is no error. */
	assert_int_equal(trusted_keys_load("/nonexistent/tdxup", &tk, err, sizeof(err)), 0);
	assert_int_equal(tk.nr, 0);

	put("a-test-key", "# the emulator's test key\n\n  " HASH_A "  \n");
	put("b-other", HASH_B "\n");
	put(".hidden", "garbage\n");
	put("c-backup~", "garbage\n");
	assert_int_equal(trusted_keys_load(dir, &tk, err, sizeof(err)), 0);
	assert_int_equal(tk.nr, 2);
	assert_int_equal(tk.hash[0][0], 0x50);
	assert_int_equal(tk.hash[0][47], 0xb5);
	assert_int_equal(tk.hash[1][10], 0xaa);
	assert_int_equal(tk.hash[1][47], 0xff);
}

static void test_refusals(void **state)
{
	struct trusted_keys tk = { .nr = 0 };
	char err[512], want[512], path[256];

	put("d-short", HASH_A "\nabcd\n");
	assert_int_equal(trusted_keys_load(dir, &tk, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s/d-short:2: not a key hash (96 hex digits: the SHA-384 "
		 "of the sigstruct modulus)", dir);
	assert_string_equal(err, want);
	snprintf(path, sizeof(path), "%s/d-short", dir);
	unlink(path);

	/* A FIFO is refused, not waited on. */
	snprintf(path, sizeof(path), "%s/e-fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	tk.nr = 0;
	assert_int_equal(trusted_keys_load(dir, &tk, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s: not a regular file", path);
	assert_string_equal(err, want);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dir),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests_name("updater/trusted_keys", tests, setup, teardown);
}
