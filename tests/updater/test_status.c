// SPDX-License-Identifier: MIT
/*
 * tdx_sysfs_state_read against emulated hosts through the in-process tree:
 * the normal state, a CPU with the SEAMRET erratum (no fw_upload device),
 * a non-root reader, the legacy layout, and a lost module.
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

#include "emu/host.h"
#include "emu/sysfs_client_tree.h"
#include "tdxup/status.h"
#include "tdxup/sigstruct.h"
#include "tdxup/update.h"
#include "updater/catalog_fixture.h"

static struct tdx_host *host(enum sysfs_layout layout, bool erratum, uint32_t remaining)
{
	struct tdx_host_config cfg;
	struct tdx_host *h;
	int err = 0;

	tdx_host_config_init(&cfg);
	cfg.nr_cpus = 2;
	cfg.nr_packages = 1;
	cfg.boot_module = "1.5.24";
	cfg.layout = layout;
	cfg.seamret_erratum = erratum;
	cfg.num_remaining_updates = remaining;
	cfg.driver = LOCKSTEP_SERIAL;
	h = tdx_host_create(&cfg, &err);
	assert_non_null(h);
	return h;
}

static void test_normal(void **state)
{
	struct tdx_host *h = host(SYSFS_LAYOUT_FINAL, false, 9);
	struct tdx_sysfs_state st;
	struct sysfs_client c;
	char v[TDX_VERSION_STR_LEN];

	sysfs_client_init_tree(&c, tdx_host_sysfs(h), NULL);
	assert_int_equal(tdx_sysfs_state_read(&c, &st), 0);
	assert_true(st.device);
	assert_int_equal(st.version_err, 0);
	assert_string_equal(tdx_version_str(&st.module, v), "1.5.24");
	assert_string_equal(tdx_version_str(&st.seamldr, v), "1.5.01");
	assert_int_equal(st.remaining, 9);
	assert_string_equal(st.fw_name, "tdx_module");
	assert_true(st.seamldr_version_attr);
	assert_false(st.legacy_layout);
	assert_string_equal(st.upload_status, "idle");
	assert_string_equal(st.last_error, "");
	assert_true(st.update_available);
	assert_string_equal(st.reason, "");
	tdx_host_destroy(h);
}

static void test_erratum_and_user(void **state)
{
	struct tdx_host *h = host(SYSFS_LAYOUT_FINAL, true, 9);
	struct tdx_sysfs_state st;
	struct sysfs_client c;

	sysfs_client_init_tree(&c, tdx_host_sysfs(h), NULL);
	assert_int_equal(tdx_sysfs_state_read(&c, &st), 0);
	assert_null(st.fw_name);
	assert_false(st.update_available);
	assert_string_equal(st.reason, "no fw_upload device /sys/class/firmware/tdx_module: this "
			    "kernel, module or CPU does not support runtime update");
	tdx_host_destroy(h);

	/* Not root: the P-SEAMLDR files are 0400. */
	h = host(SYSFS_LAYOUT_FINAL, false, 9);
	sysfs_client_init_tree(&c, tdx_host_sysfs(h), &sysfs_cred_user);
	assert_int_equal(tdx_sysfs_state_read(&c, &st), 0);
	assert_int_equal(st.version_err, 0);
	assert_int_equal(st.seamldr_err, -EACCES);
	assert_int_equal(st.remaining_err, -EACCES);
	assert_false(st.update_available);
	assert_string_equal(st.reason, "cannot read num_remaining_updates: Permission denied "
			    "(root only: run as root)");
	tdx_host_destroy(h);
}

static void test_legacy(void **state)
{
	struct tdx_host *h = host(SYSFS_LAYOUT_LEGACY, false, 0);
	struct tdx_sysfs_state st;
	struct sysfs_client c;

	sysfs_client_init_tree(&c, tdx_host_sysfs(h), NULL);
	assert_int_equal(tdx_sysfs_state_read(&c, &st), 0);
	assert_true(st.legacy_layout);
	assert_int_equal(st.remaining, 0);
	assert_false(st.update_available);
	assert_string_equal(st.reason, "no updates left: num_remaining_updates is 0 (P-SEAMLDR's "
			    "limit until the next reboot)");
	tdx_host_destroy(h);
}

static void test_lost(void **state)
{
	struct tdx_host *h = host(SYSFS_LAYOUT_FINAL, false, 9);
	struct tdx_sysfs_state st;
	struct update_result r;
	struct update_opts o;
	struct sysfs_client c;
	uint8_t *img;
	size_t len;

	sysfs_client_init_tree(&c, tdx_host_sysfs(h), NULL);
	fixture_image(module_build_find("1.5.25"), 0x100, false, &img, &len);
	update_opts_init(&o);
	o.image = img;
	o.image_len = len;
	o.cpu_fms_set = true;
	o.cpu_fms = 0x806f8;
	o.image_format = 0x100;
	/* The emulated target declares its test key, as `serve` does in its mount. */
	o.trusted_keys = (const uint8_t (*)[48])tdxup_test_key_hash();
	o.nr_trusted_keys = 1;
	tdx_host_inject(h, HOST_FAULT_SYS_UPDATE, 0);
	assert_int_equal(update_run(&c, &o, &r), UPDATE_LOST);
	free(img);
	assert_int_equal(tdx_sysfs_state_read(&c, &st), 0);
	assert_int_equal(st.version_err, -ENXIO);
	assert_false(st.update_available);
	assert_string_equal(st.reason, "module lost: devices/faux/tdx_host/version gives ENXIO; "
			    "TDs are gone, reboot required");
	assert_string_equal(st.last_error, "transferring:firmware-invalid");
	tdx_host_destroy(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normal),
		cmocka_unit_test(test_erratum_and_user),
		cmocka_unit_test(test_legacy),
		cmocka_unit_test(test_lost),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
