// SPDX-License-Identifier: MIT
/*
 * The target's files beside sysfs: /proc/cpuinfo -> CPUID.1.EAX, the
 * kernel release -> image format, bounded regular-file reads, the
 * no-device messages, and update_run deciding the format from the release
 * (one attempt on a v8 host, where the heuristic needed two).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "emu/host.h"
#include "emu/sysfs_client_tree.h"
#include "tdxup/sysroot.h"
#include "tdxup/sigstruct.h"
#include "tdxup/update.h"
#include "updater/catalog_fixture.h"

static const char spr_block[] =
	"processor\t: 0\n"
	"vendor_id\t: GenuineIntel\n"
	"cpu family\t: 6\n"
	"model\t\t: 143\n"
	"model name\t: Intel(R) Xeon(R) Platinum 8480+\n"
	"stepping\t: 8\n"
	"microcode\t: 0x2b000590\n"
	"\n";

static void test_cpuinfo_fms(void **state)
{
	uint32_t fms = 0;
	char two[1024];

	assert_int_equal(cpuinfo_parse_fms(spr_block, &fms), 0);
	assert_int_equal(fms, 0x806f8);
	/* Emerald Rapids: model 207 = 0xcf, stepping 2. */
	assert_int_equal(cpuinfo_parse_fms("cpu family\t: 6\nmodel\t\t: 207\nstepping\t: 2\n",
					   &fms), 0);
	assert_int_equal(fms, 0xc06f2);
	/* Family above 0xF: base 0xF, the rest extended (AMD Zen 4: 25 -> 0xA). */
	assert_int_equal(cpuinfo_parse_fms("cpu family\t: 25\nmodel\t\t: 17\nstepping\t: 1\n",
					   &fms), 0);
	assert_int_equal(fms, 0xa10f11);
	/* Only the first processor counts. */
	snprintf(two, sizeof(two), "%s%s", spr_block,
		 "processor\t: 1\ncpu family\t: 6\nmodel\t\t: 207\nstepping\t: 2\n");
	assert_int_equal(cpuinfo_parse_fms(two, &fms), 0);
	assert_int_equal(fms, 0x806f8);
	/* A missing line, in the first block, is missing. */
	fms = 1;
	assert_int_equal(cpuinfo_parse_fms("processor\t: 0\ncpu family\t: 6\nmodel\t\t: 143\n\n"
					   "processor\t: 1\nstepping\t: 8\n", &fms), -ENODATA);
	assert_int_equal(fms, 1);
	assert_int_equal(cpuinfo_parse_fms("", &fms), -ENODATA);
	/* Out of range or not a number. */
	assert_int_equal(cpuinfo_parse_fms("cpu family\t: 6\nmodel\t\t: 143\nstepping\t: 16\n",
					   &fms), -EINVAL);
	assert_int_equal(cpuinfo_parse_fms("cpu family\t: 6\nmodel\t\t: 256\nstepping\t: 8\n",
					   &fms), -EINVAL);
	assert_int_equal(cpuinfo_parse_fms("cpu family\t: 6\nmodel\t\t: -1\nstepping\t: 8\n",
					   &fms), -EINVAL);
	assert_int_equal(cpuinfo_parse_fms("cpu family\t: 6\nmodel\t\t: 143\nstepping\t: 8x\n",
					   &fms), -EINVAL);
	/* "model name" is not "model". */
	assert_int_equal(cpuinfo_parse_fms("cpu family\t: 6\nmodel name\t: 143\nstepping\t: 8\n",
					   &fms), -ENODATA);
}

static void test_release_format(void **state)
{
	unsigned int f = 0;

	assert_int_equal(kernel_release_image_format("7.2.0", &f), 0);
	assert_int_equal(f, 0x200);
	assert_int_equal(kernel_release_image_format("7.2.0-tdx-detect", &f), 0);
	assert_int_equal(f, 0x200);
	assert_int_equal(kernel_release_image_format("7.10.3", &f), 0);
	assert_int_equal(f, 0x200);
	assert_int_equal(kernel_release_image_format("8.0.0-rc1", &f), 0);
	assert_int_equal(f, 0x200);
	assert_int_equal(kernel_release_image_format("7.1.0-tdx-v8", &f), 0);
	assert_int_equal(f, 0x100);
	assert_int_equal(kernel_release_image_format("6.18.2-gentoo", &f), 0);
	assert_int_equal(f, 0x100);
	f = 0;
	assert_int_equal(kernel_release_image_format("", &f), -EINVAL);
	assert_int_equal(kernel_release_image_format("7", &f), -EINVAL);
	assert_int_equal(kernel_release_image_format("7.x", &f), -EINVAL);
	assert_int_equal(kernel_release_image_format("v7.2", &f), -EINVAL);
	assert_int_equal(f, 0);
}

/* ---- files under a temporary sysroot ---- */

static char root[] = "/tmp/tdxup-sysroot-XXXXXX";

static void put(const char *rel, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void mk(const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

static void test_sysroot_files(void **state)
{
	struct tdx_sysroot t;
	char buf[64], why[256], want[512], path[PATH_MAX];
	uint32_t fms = 0;

	assert_non_null(mkdtemp(root));
	assert_int_equal(tdx_sysroot_init(&t, root, "/sys"), -EINVAL);
	assert_int_equal(tdx_sysroot_init(&t, NULL, NULL), 0);
	assert_string_equal(t.sysfs, "/sys");
	assert_string_equal(t.proc, "/proc");
	assert_int_equal(tdx_sysroot_init(&t, NULL, "/x/sys"), 0);
	assert_string_equal(t.sysfs, "/x/sys");
	assert_string_equal(t.proc, "/proc");
	assert_string_equal(t.dir, "");
	assert_int_equal(tdx_sysroot_init(&t, root, NULL), 0);

	/* An empty DIR, then an empty DIR/sys, then no tdx_host. */
	tdx_sysroot_no_device_reason(&t, why, sizeof(why));
	snprintf(want, sizeof(want), "%s is empty: is the emulator mounted there?", root);
	assert_string_equal(why, want);
	mk("sys");
	tdx_sysroot_no_device_reason(&t, why, sizeof(why));
	snprintf(want, sizeof(want), "%s/sys is empty: is the emulator mounted there?", root);
	assert_string_equal(why, want);
	mk("sys/devices");
	tdx_sysroot_no_device_reason(&t, why, sizeof(why));
	snprintf(want, sizeof(want), "no /sys/devices/faux/tdx_host under %s: TDX is not "
		 "enabled or the kernel lacks the tdx_host driver", root);
	assert_string_equal(why, want);

	/* cpuinfo and osrelease. */
	assert_int_equal(tdx_sysroot_cpu_fms(&t, &fms), -ENOENT);
	assert_int_equal(tdx_sysroot_kernel_release(&t, buf, sizeof(buf)), -ENOENT);
	mk("proc");
	mk("proc/sys");
	mk("proc/sys/kernel");
	put("proc/cpuinfo", spr_block);
	put("proc/sys/kernel/osrelease", "7.1.0-tdx-v8\n");
	assert_int_equal(tdx_sysroot_cpu_fms(&t, &fms), 0);
	assert_int_equal(fms, 0x806f8);
	assert_int_equal(tdx_sysroot_kernel_release(&t, buf, sizeof(buf)), 12);
	assert_string_equal(buf, "7.1.0-tdx-v8");

	/* Bounded: at most size - 1 bytes; a FIFO is no regular file and must not hang. */
	snprintf(path, sizeof(path), "%s/proc/cpuinfo", root);
	assert_int_equal(tdx_read_small_file(path, buf, 10), 9);
	assert_string_equal(buf, "processor");
	snprintf(path, sizeof(path), "%s/proc/fifo", root);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(tdx_read_small_file(path, buf, sizeof(buf)), -EINVAL);
	unlink(path);
	snprintf(path, sizeof(path), "%s/proc", root);
	assert_int_equal(tdx_read_small_file(path, buf, sizeof(buf)), -EINVAL);

	snprintf(path, sizeof(path), "rm -rf '%s'", root);
	assert_int_equal(system(path), 0);
}

/* ---- update_run decides from the release ---- */

static enum update_outcome update_on(enum kernel_profile p, const char *release,
				     bool dry_run, struct update_result *r)
{
	struct tdx_host_config cfg;
	struct update_opts o;
	struct sysfs_client c;
	struct tdx_host *h;
	enum update_outcome ret;
	uint8_t *img;
	size_t len;
	int err = 0;

	tdx_host_config_init(&cfg);
	cfg.nr_cpus = 2;
	cfg.boot_module = "1.5.24";
	cfg.profile = p;
	cfg.driver = LOCKSTEP_SERIAL;
	h = tdx_host_create(&cfg, &err);
	assert_non_null(h);
	sysfs_client_init_tree(&c, tdx_host_sysfs(h), NULL);
	fixture_image(module_build_find("1.5.25"), 0x100, false, &img, &len);
	update_opts_init(&o);
	o.image = img;
	o.image_len = len;
	o.cpu_fms_set = true;
	o.cpu_fms = 0x806f8;
	o.kernel_release = release;
	o.dry_run = dry_run;
	o.trusted_keys = (const uint8_t (*)[48])tdxup_test_key_hash();
	o.nr_trusted_keys = 1;
	ret = update_run(&c, &o, r);
	tdx_host_destroy(h);
	free(img);
	return ret;
}

static void test_update_format_from_release(void **state)
{
	struct update_result r;

	/* v8: 0x100 at once, no refused attempt. */
	assert_int_equal(update_on(KERNEL_PROFILE_V8, kernel_profile_release(KERNEL_PROFILE_V8),
				   false, &r), UPDATE_UPDATED);
	assert_int_equal(r.nr_attempts, 1);
	assert_int_equal(r.attempts[0].format, 0x100);
	assert_string_equal(r.attempts[0].error, "");
	assert_string_equal(r.format_reason, "kernel 7.1.0-tdx-v8 takes 0x100");
	/* Mainline: converted to 0x200. */
	assert_int_equal(update_on(KERNEL_PROFILE_MAINLINE, "7.2.0", true, &r), UPDATE_DRY_RUN);
	assert_int_equal(r.format, 0x200);
	assert_true(r.converted);
	assert_string_equal(r.reason, "every pre-check passed: would install 1.5.25 over 1.5.24 "
			    "as a v0x200 image (kernel 7.2.0 takes 0x200)");
	/* A release that names nothing: the sysfs heuristic, with its second try. */
	assert_int_equal(update_on(KERNEL_PROFILE_V8, "unknown", false, &r), UPDATE_UPDATED);
	assert_int_equal(r.nr_attempts, 2);
	assert_int_equal(r.attempts[0].format, 0x200);
	assert_int_equal(r.attempts[1].format, 0x100);
	/* The emulated profiles' releases match the formats they take. */
	assert_string_equal(kernel_profile_release(KERNEL_PROFILE_MAINLINE), "7.2.0");
	assert_string_equal(kernel_profile_release(KERNEL_PROFILE_DETECT), "7.2.0-tdx-detect");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpuinfo_fms),
		cmocka_unit_test(test_release_format),
		cmocka_unit_test(test_sysroot_files),
		cmocka_unit_test(test_update_format_from_release),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
