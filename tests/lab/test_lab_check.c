// SPDX-License-Identifier: MIT
/*
 * No silent no-ops: every lab run that could not do what it asks (a fault
 * that cannot fire on this host or in this run, CPU 0 offline, sizes the
 * emulated memory cannot hold) is refused before it starts, with the
 * reason; and faults keyed to a CPU fire whatever the driver's order.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lab/lab.h"

static void add_fault(struct lab_config *cfg, enum lab_fault_kind k, unsigned int arg,
		      unsigned int attempt)
{
	cfg->faults[cfg->nr_faults++] = (struct lab_fault){ k, arg, attempt };
}

static void assert_refused(const struct lab_config *cfg, int want, const char *msg)
{
	struct lab_result res;
	char err[256];

	assert_int_equal(lab_config_check(cfg, err, sizeof(err)), want);
	if (strcmp(err, msg))
		fprintf(stderr, "got: %s\n", err);
	assert_string_equal(err, msg);
	/* lab_run refuses the same way and builds nothing. */
	assert_int_equal(lab_run(cfg, &res), want);
	assert_string_equal(res.verdict_reason, msg);
	assert_int_equal(res.nr_tds, 0);
	assert_int_equal(res.seamcalls, 0);
	lab_result_free(&res);
}

static void test_faults_that_cannot_fire(void **state)
{
	struct lab_config cfg;

	lab_config_init(&cfg);
	add_fault(&cfg, LAB_FAULT_OFFLINE_CPU, 0, 0);
	assert_refused(&cfg, -EINVAL, "fault 0: offline-cpu: CPU 0 cannot go offline (the boot "
		       "CPU, as on Linux x86; the kernel's hotplug call gives -EBUSY)");

	lab_config_init(&cfg);
	cfg.cpus = 4;
	add_fault(&cfg, LAB_FAULT_INSTALL_UNRECOVERABLE, 7, 0);
	assert_refused(&cfg, -EINVAL,
		       "fault 0: install-unrecoverable on CPU 7, but the host has 4 CPU(s)");

	lab_config_init(&cfg);
	add_fault(&cfg, LAB_FAULT_SYS_UPDATE, 3, 0);
	assert_refused(&cfg, -EINVAL, "fault 0: sys-update takes no CPU or count: "
		       "TDH.SYS.UPDATE runs once, on the lead CPU");

	lab_config_init(&cfg);
	add_fault(&cfg, LAB_FAULT_RND_NO_ENTROPY, 0, 0);
	assert_refused(&cfg, -EINVAL, "fault 0: rnd-no-entropy: count 0 injects nothing");

	lab_config_init(&cfg);
	add_fault(&cfg, LAB_FAULT_LP_INIT, 3, 2);
	assert_refused(&cfg, -EINVAL, "fault 0: lp-init armed before update 2, but the operator "
		       "runs 1 update(s)");

	lab_config_init(&cfg);
	add_fault(&cfg, LAB_FAULT_INSTALL_RECOVERABLE, 7, 0);
	add_fault(&cfg, LAB_FAULT_LP_INIT, 3, 0);
	assert_refused(&cfg, -EINVAL, "fault 1: lp-init and fault 0 (install-recoverable) armed "
		       "for the same update: the platform holds one such fault, the later "
		       "would replace the earlier");

	lab_config_init(&cfg);
	add_fault(&cfg, LAB_FAULT_OFFLINE_CPU, 5, 0);
	add_fault(&cfg, LAB_FAULT_OFFLINE_CPU, 5, 0);
	assert_refused(&cfg, -EINVAL,
		       "fault 1: offline-cpu: CPU 5 is already taken offline by fault 0");

	lab_config_init(&cfg);
	cfg.from = "1.5.16";
	cfg.to = "1.5.25";
	add_fault(&cfg, LAB_FAULT_MIG_INTERRUPTED, 2, 0);
	assert_refused(&cfg, -EINVAL, "fault 0: mig-interrupted: module 1.5.16 keeps no "
		       "migration counter (no update compatibility), so nothing would refuse");

	lab_config_init(&cfg);
	cfg.driver = LOCKSTEP_THREADS;
	cfg.profile = KERNEL_PROFILE_MAINLINE;
	cfg.expect = "erratum";
	assert_refused(&cfg, -EINVAL, "expect \"erratum\" needs the serial driver: under "
		       "threads, whether a build straddles the update is up to the OS "
		       "scheduler");
}

/* The kernel side: the hotplug call for the boot CPU fails, CPU 0 stays online. */
static void test_cpu0_offline_ebusy(void **state)
{
	struct tdx_host_config hc;
	struct tdx_host *h;
	int err = 0;

	tdx_host_config_init(&hc);
	hc.driver = LOCKSTEP_SERIAL;
	h = tdx_host_create(&hc, &err);
	assert_non_null(h);
	assert_int_equal(tdx_host_cpu_offline(h, 0), -EBUSY);
	assert_true(tdx_host_cpu_is_online(h, 0));
	tdx_host_destroy(h);
}

/*
 * `--builders 32 --pages 2048` used to run 16 s and end with "build0 never
 * finished its build"; now it is refused at once, naming both sizes.
 */
static void test_memory_refused(void **state)
{
	struct lab_config cfg;
	char err[256];

	lab_config_init(&cfg);
	cfg.builders = 32;
	cfg.pages = 2048;
	/* 32 x (2048 + 7 SEPT + 13) + 2 x (4 + 3 SEPT + 13) + 504 frames. */
	assert_int_equal(lab_frames_needed(32, 2048, 2), 66720);
	assert_refused(&cfg, -ENOMEM, "32 builder(s) of 2048 pages and 2 running TD(s) need "
		       "261 MiB of emulated memory, the host has 256 MiB");
	/* The largest size that fits is accepted. */
	cfg.pages = 2010;
	assert_int_equal(lab_config_check(&cfg, err, sizeof(err)), 0);
	cfg.pages = 2011;
	assert_int_equal(lab_config_check(&cfg, err, sizeof(err)), -ENOMEM);
	/* The same arithmetic serves serve --workload. */
	assert_int_equal(lab_memory_check(10, 4096, 0, 1u << 16, err, sizeof(err)), 0);
	assert_int_equal(lab_memory_check(16, 4096, 0, 1u << 16, err, sizeof(err)), -ENOMEM);
	assert_string_equal(err, "16 builder(s) of 4096 pages and 0 running TD(s) need 260 MiB "
			    "of emulated memory, the host has 256 MiB");
}

/* The estimate covers what a run really holds at its peak, and not much more. */
static void test_memory_estimate_covers_peak(void **state)
{
	static const unsigned int sizes[][3] = { { 4, 256, 2 }, { 6, 600, 3 }, { 1, 1, 0 } };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct lab_config cfg;
		struct lab_result res;
		uint64_t need;

		lab_config_init(&cfg);
		cfg.quiet = true;
		cfg.builders = sizes[i][0];
		cfg.pages = sizes[i][1];
		cfg.running = sizes[i][2];
		need = lab_frames_needed(cfg.builders, cfg.pages, cfg.running);
		assert_int_equal(lab_run(&cfg, &res), 0);
		assert_true(res.pass);
		print_message("%u x %u pages, %u running: peak %llu frames, estimate %llu\n",
			      cfg.builders, cfg.pages, cfg.running,
			      (unsigned long long)res.mem_peak_frames, (unsigned long long)need);
		assert_true(res.mem_peak_frames <= need);
		/* Slack: the host reserve (504) plus a few control pages per TD. */
		assert_true(need - res.mem_peak_frames <= 504 + 8 * (cfg.builders + cfg.running));
		lab_result_free(&res);
	}
}

/*
 * INSTALL faults name a CPU, not "the last one": on CPU 3, which is never
 * last under serial, the install flow still fails (it used to update).
 */
static void test_install_fault_on_any_cpu(void **state)
{
	static const enum lockstep_driver drivers[] = { LOCKSTEP_SERIAL, LOCKSTEP_THREADS };

	for (size_t d = 0; d < 2; d++) {
		for (unsigned int cpu = 0; cpu < 8; cpu += 3) {
			struct lab_config cfg;
			struct lab_result res;

			lab_config_init(&cfg);
			cfg.quiet = true;
			cfg.builders = 0;
			cfg.driver = drivers[d];
			cfg.expect = "lost";
			add_fault(&cfg, LAB_FAULT_INSTALL_UNRECOVERABLE, cpu, 0);
			assert_int_equal(lab_run(&cfg, &res), 0);
			if (!res.pass)
				fprintf(stderr, "CPU %u: %s\n%s", cpu, res.verdict_reason,
					res.timeline);
			assert_true(res.pass);
			assert_string_equal(res.outcome, "lost");
			assert_int_equal(res.updates_applied, 0);
			assert_int_equal(res.tds_lost, 2);
			lab_result_free(&res);
		}
	}
}

/* Scenario files: the same refusals at load, naming the fault and its field. */
static void test_scenario_fault_keys(void **state)
{
	static const char *const bad[][2] = {
		{ "{\"faults\": [{\"kind\": \"offline-cpu\", \"cpu\": 0}]}",
		  "bad value for field: faults[0]: offline-cpu: CPU 0 cannot go offline" },
		{ "{\"faults\": [{\"kind\": \"lp-init\", \"count\": 3}]}",
		  "faults[0]: lp-init takes \"cpu\", not \"count\"" },
		{ "{\"faults\": [{\"kind\": \"rnd-no-entropy\", \"cpu\": 3}]}",
		  "faults[0]: rnd-no-entropy takes \"count\", not \"cpu\"" },
		{ "{\"faults\": [{\"kind\": \"corrupt-image\"}, {\"kind\": \"sys-update\", \"cpu\": 1}]}",
		  "faults[1]: sys-update takes no CPU or count, not \"cpu\"" },
	};
	char path[] = "/tmp/tdxup-scenario-XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct lab_config cfg;
		char err[256];
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		fputs(bad[i][0], f);
		fclose(f);
		lab_config_init(&cfg);
		assert_int_equal(lab_scenario_load(path, &cfg, err, sizeof(err)), -EINVAL);
		if (!strstr(err, bad[i][1]))
			fprintf(stderr, "got: %s\n", err);
		assert_non_null(strstr(err, bad[i][1]));
		assert_int_equal(cfg.nr_faults, 0);
	}
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_faults_that_cannot_fire),
		cmocka_unit_test(test_cpu0_offline_ebusy),
		cmocka_unit_test(test_memory_refused),
		cmocka_unit_test(test_memory_estimate_covers_peak),
		cmocka_unit_test(test_install_fault_on_any_cpu),
		cmocka_unit_test(test_scenario_fault_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
