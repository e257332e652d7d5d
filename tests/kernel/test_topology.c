// SPDX-License-Identifier: MIT
/*
 * CPU topology: hosts whose CPU count is not a multiple of the package
 * count boot (every package gets a CPU, so SYS.KEY.CONFIG and
 * MNG.KEY.CONFIG reach each one), firmware and kernel agree on the split,
 * and a host with fewer CPUs than packages is refused before it boots.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "helpers/kvm_harness.h"
#include "kernel/kernel.h"
#include "emu/host.h"
#include "emu/seam.h"

struct shape {
	unsigned int cpus, packages;
	unsigned int package[9];	/* expected package of each CPU */
};

/* floor(cpu * packages / cpus): contiguous, sizes differ by at most one. */
static const struct shape shapes[] = {
	{ 5, 4, { 0, 0, 1, 2, 3 } },
	{ 6, 4, { 0, 0, 1, 2, 2, 3 } },
	{ 9, 4, { 0, 0, 0, 1, 1, 2, 2, 3, 3 } },
	{ 8, 2, { 0, 0, 0, 0, 1, 1, 1, 1 } },
};

static struct tdx_host *boot(unsigned int cpus, unsigned int packages, int *err)
{
	struct tdx_host_config cfg;

	tdx_host_config_init(&cfg);
	cfg.nr_cpus = cpus;
	cfg.nr_packages = packages;
	cfg.driver = LOCKSTEP_SERIAL;
	return tdx_host_create(&cfg, err);
}

static void test_uneven_topologies_boot(void **state)
{
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		const struct shape *s = &shapes[i];
		int err = 0;
		struct tdx_host *h = boot(s->cpus, s->packages, &err);
		struct td td;

		assert_int_equal(err, 0);
		assert_non_null(h);
		assert_true(tdx_host_module_initialized(h));
		for (unsigned int cpu = 0; cpu < s->cpus; cpu++) {
			assert_int_equal(h->cpus.cpu[cpu].package, s->package[cpu]);
			assert_int_equal(seam_lp_package(tdx_host_platform(h), cpu),
					 s->package[cpu]);
		}
		/* INIT_VM's MNG.KEY.CONFIG needs an online CPU in every package. */
		kh_td_new(&td, h, 0, i);
		assert_int_equal(kh_init_vm(&td, NULL), 0);
		kh_td_free(&td);
		tdx_host_destroy(h);
	}
}

struct log_capture {
	char text[256];
	unsigned int lines;
};

static void capture_event(void *ctx, const struct host_event *ev)
{
	struct log_capture *c = ctx;

	if (ev->kind != HOST_EV_LOG)
		return;
	c->lines++;
	strncpy(c->text, ev->text, sizeof(c->text) - 1);
}

static void test_fewer_cpus_than_packages_refused(void **state)
{
	struct log_capture cap = { .lines = 0 };
	struct tdx_host_config cfg;
	int err = 0;

	tdx_host_config_init(&cfg);
	cfg.nr_cpus = 3;
	cfg.nr_packages = 4;
	cfg.hooks.ctx = &cap;
	cfg.hooks.event = capture_event;
	assert_null(tdx_host_create(&cfg, &err));
	assert_int_equal(err, -EINVAL);
	assert_int_equal(cap.lines, 1);
	assert_string_equal(cap.text,
			    "host: 3 CPUs cannot populate 4 packages: every package needs a CPU");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uneven_topologies_boot),
		cmocka_unit_test(test_fewer_cpus_than_packages_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
