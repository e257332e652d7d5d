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

static void path_of(char *path, size_t size, const char *name)
{
	snprintf(path, size, "%s/%s", dir, name);
}

/* A key list as root would write it: root's (we run as root), 0644. */
static void put(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	path_of(path, sizeof(path), name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, 0644), 0);
}

static void gone(const char *name)
{
	char path[256];

	path_of(path, sizeof(path), name);
	assert_int_equal(unlink(path), 0);
}

/* Loading refuses with exactly want. */
static void refused_msg(const char *want)
{
	struct trusted_keys tk = { .nr = 0 };
	char err[512] = "";

	assert_int_equal(trusted_keys_load(dir, &tk, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, want);
}

/* ... with "DIR/NAME: why", or "DIR: why" when name is NULL. */
static void refused(const char *name, const char *why)
{
	char want[512];

	if (name)
		snprintf(want, sizeof(want), "%s/%s: %s", dir, name, why);
	else
		snprintf(want, sizeof(want), "%s: %s", dir, why);
	refused_msg(want);
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

	put("a-test-key.sha384", "# the emulator's test key\n\n  " HASH_A "  \n");
	put("b-other.sha384", HASH_B "\n");
	/* Never key lists: only NAME.sha384 is read. */
	put(".hidden.sha384", "garbage\n");
	put("c-backup.sha384~", "garbage\n");
	put("README", "# garbage: prose, not hashes\n" "garbage\n");
	put("x.sha384.dpkg-old", HASH_B "\n");
	put("x.sha384.dpkg-dist", "garbage\n");
	put("vendor", HASH_B "\n");
	put(".sha384", "garbage\n");
	assert_int_equal(trusted_keys_load(dir, &tk, err, sizeof(err)), 0);
	assert_int_equal(tk.nr, 2);
	assert_int_equal(tk.hash[0][0], 0x50);
	assert_int_equal(tk.hash[0][47], 0xb5);
	assert_int_equal(tk.hash[1][10], 0xaa);
	assert_int_equal(tk.hash[1][47], 0xff);
}

static void test_names(void **state)
{
	assert_true(trusted_keys_name("vendor.sha384"));
	assert_true(trusted_keys_name("a.b.sha384"));
	assert_false(trusted_keys_name(".sha384"));
	assert_false(trusted_keys_name(".vendor.sha384"));
	assert_false(trusted_keys_name("vendor.sha384~"));
	assert_false(trusted_keys_name("vendor.sha384.dpkg-old"));
	assert_false(trusted_keys_name("vendor.sha384.dpkg-dist"));
	assert_false(trusted_keys_name("README"));
	assert_false(trusted_keys_name("vendor.SHA384"));
	assert_false(trusted_keys_name(""));
}

static void test_refusals(void **state)
{
	char path[256];

	put("d-short.sha384", HASH_A "\nabcd\n");
	refused("d-short.sha384:2", "not a key hash (96 hex digits: the SHA-384 of the sigstruct "
		"modulus)");
	gone("d-short.sha384");

	/* A FIFO is refused, not waited on. */
	path_of(path, sizeof(path), "e-fifo.sha384");
	assert_int_equal(mkfifo(path, 0600), 0);
	refused("e-fifo.sha384", "not a regular file, refused");
	gone("e-fifo.sha384");
}

/* What only root could have written, or nothing (fsafe's rules). */
static void test_strict_modes(void **state)
{
	char path[512], tdxup[128];

	if (geteuid() != 0)
		skip();
	put("a.sha384", HASH_A "\n");

	/* A key list reached through a symlink: never followed. */
	path_of(path, sizeof(path), "evil.sha384");
	assert_int_equal(symlink("a.sha384", path), 0);
	refused("evil.sha384", "is a symlink, refused");
	gone("evil.sha384");

	/* Another user's key list, or one others may write. */
	path_of(path, sizeof(path), "a.sha384");
	assert_int_equal(chown(path, 65534, 65534), 0);
	refused("a.sha384", "owned by uid 65534, not by root, refused");
	assert_int_equal(chown(path, 0, 0), 0);
	assert_int_equal(chmod(path, 0664), 0);
	refused("a.sha384", "mode 0664 grants more than 0755, refused");
	assert_int_equal(chmod(path, 0644), 0);

	/* The directory: group- or world-writable, another user's, a symlink. */
	assert_int_equal(chmod(dir, 0775), 0);
	refused(NULL, "writable by its group (mode 0775), refused");
	assert_int_equal(chmod(dir, 01777), 0);
	refused(NULL, "writable by others (mode 1777), refused");
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(chown(dir, 65534, 65534), 0);
	refused(NULL, "owned by uid 65534, not by root, refused");
	assert_int_equal(chown(dir, 0, 0), 0);

	/* A parent others may write: they could swap the directory. */
	snprintf(tdxup, sizeof(tdxup), "%s/etc/tdxup", root);
	assert_int_equal(chmod(tdxup, 0777), 0);
	snprintf(path, sizeof(path), "%s: writable by others (mode 0777): someone else could "
		 "replace what is below it", tdxup);
	refused_msg(path);
	assert_int_equal(chmod(tdxup, 0755), 0);
	gone("a.sha384");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dir),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_strict_modes),
	};

	return cmocka_run_group_tests_name("updater/trusted_keys", tests, setup, teardown);
}
