// SPDX-License-Identifier: MIT
/*
 * Stress under the threads driver (run it under TSan): TD builders and
 * running TDs on their own threads while an updater makes 1000 update
 * attempts. Under v8 every attempt either lands or is refused with -EBUSY,
 * no build ends with a wrong MRTD and no TD is lost. Real threads make the
 * interleaving vary from run to run; the assertions hold for any of them.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers/kvm_harness.h"
#include "emu/module_build.h"

#define ATTEMPTS	1000
#define BUILDERS	3
#define RUNNERS		2
#define PAGES		4

struct stress {
	struct tdx_host *h;
	atomic_bool stop;
	atomic_uint builds, wrong_mrtds, lost;
};

struct worker {
	struct stress *s;
	unsigned int cpu;
	uint64_t seed;
};

static void *builder(void *arg)
{
	struct worker *w = arg;
	struct stress *s = w->s;

	for (uint64_t n = 0; !atomic_load(&s->stop); n++) {
		struct td td;

		kh_td_build(&td, s->h, w->cpu, w->seed * 100000 + n, PAGES);
		if (!kh_td_mrtd_matches(&td))
			atomic_fetch_add(&s->wrong_mrtds, 1);
		atomic_fetch_add(&s->builds, 1);
		kh_td_run(&td, 1);
		kh_td_free(&td);
	}
	return NULL;
}

static void *runner(void *arg)
{
	struct worker *w = arg;
	struct stress *s = w->s;
	struct td td;

	kh_td_build(&td, s->h, w->cpu, w->seed, PAGES);
	/* kh_td_run checks each step against the replay of the guest. */
	while (!atomic_load(&s->stop))
		kh_td_run(&td, 1);
	kh_td_free(&td);
	return NULL;
}

static struct tdx_host *stress_host(void)
{
	struct tdx_host_config cfg;
	struct tdx_host *h;
	int err = 0;

	tdx_host_config_init(&cfg);
	cfg.boot_module = "1.5.25";
	cfg.driver = LOCKSTEP_THREADS;
	/* Every landed update takes a SEAMDB entry; leave room for all of them. */
	cfg.num_remaining_updates = ATTEMPTS + 1;
	h = tdx_host_create(&cfg, &err);
	assert_int_equal(err, 0);
	return h;
}

static void test_1000_updates_against_builders_v8(void **state)
{
	struct stress s = { 0 };
	struct worker w[BUILDERS + RUNNERS];
	pthread_t t[BUILDERS + RUNNERS];
	struct module_image_opts opts = { .format = 0x100 };
	struct tdx_host_stats st;
	unsigned int ok = 0, busy = 0;
	uint8_t *img;
	size_t len;

	s.h = stress_host();
	assert_int_equal(module_image_build(module_build_find("1.5.25"), &opts, &img, &len), 0);
	for (unsigned int i = 0; i < BUILDERS + RUNNERS; i++) {
		w[i] = (struct worker){ .s = &s, .cpu = 1 + i, .seed = 7 + i };
		assert_int_equal(pthread_create(&t[i], NULL, i < BUILDERS ? builder : runner,
						&w[i]), 0);
	}
	for (int i = 0; i < ATTEMPTS; i++) {
		int err = tdx_host_install_module(s.h, img, len);

		/* Re-installing 1.5.25 is an update like any other. */
		assert_true(err == 0 || err == -EBUSY);
		ok += !err;
		busy += err == -EBUSY;
	}
	atomic_store(&s.stop, true);
	for (unsigned int i = 0; i < BUILDERS + RUNNERS; i++)
		pthread_join(t[i], NULL);

	tdx_host_get_stats(s.h, &st);
	print_message("%u updates landed, %u refused busy, %u builds\n", ok, busy,
		      atomic_load(&s.builds));
	assert_int_equal(ok + busy, ATTEMPTS);
	assert_int_equal(st.updates_attempted, ATTEMPTS);
	assert_int_equal(st.updates_applied, ok);
	assert_int_equal(st.busy_rejections, busy);
	assert_int_equal(st.updates_failed, 0);
	assert_int_equal(atomic_load(&s.wrong_mrtds), 0);
	assert_true(atomic_load(&s.builds) > 0);
	assert_true(tdx_host_module_initialized(s.h));
	kh_assert_update_version(s.h, 25);
	free(img);
	tdx_host_destroy(s.h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_1000_updates_against_builders_v8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
