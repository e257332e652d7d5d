// SPDX-License-Identifier: MIT
/*
 * Stress under the threads driver (run it under TSan): TD builders and
 * running TDs on their own threads while the updater replaces the module.
 * Each round boots a host on 1.5.24 and updates it to 1.5.30, whose crypto
 * layout differs (ICP 1.0.1 against its hypothetical successor), then
 * reinstalls 1.5.30 over itself. A downgrade back to 1.5.24 would be
 * refused (SVN anti-downgrade, NO_DOWNGRADE), so every layout change needs
 * a fresh host: ROUNDS hosts give ROUNDS layout changes.
 *
 * So that the counts cannot come out right by luck, each round also holds
 * one build window open across the first attempt (a "straddler", driven
 * step by step from the test's thread): under v8 that attempt must be
 * refused busy and the straddler's MRTD must match; under mainline it must
 * land and the straddler's MRTD must differ. Real threads vary the rest of
 * the interleaving; the assertions hold for any of it.
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

#define ROUNDS		8	/* hosts per profile: one layout change each */
#define REINSTALLS	100	/* same-version updates of 1.5.30 per host */
#define MAX_TRIES	20000	/* v8: attempts until the layout change lands */
#define BUILDERS	3
#define RUNNERS		2
#define PAGES		4
#define STRADDLER_CPU	7

struct stress {
	struct tdx_host *h;
	atomic_bool stop;
	atomic_uint builds, wrong_mrtds;
};

struct worker {
	struct stress *s;
	unsigned int cpu;
	uint64_t seed;
};

/* What a profile's rounds add up to. */
struct totals {
	unsigned int attempts, applied, busy, wrong_mrtds, straddler_wrong, builds;
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

static struct tdx_host *stress_host(enum kernel_profile prof)
{
	struct tdx_host_config cfg;
	struct tdx_host *h;
	int err = 0;

	tdx_host_config_init(&cfg);
	cfg.boot_module = "1.5.24";
	cfg.profile = prof;
	cfg.driver = LOCKSTEP_THREADS;
	/* Every landed update takes a SEAMDB entry; leave room for all of them. */
	cfg.num_remaining_updates = MAX_TRIES + REINSTALLS + 1;
	h = tdx_host_create(&cfg, &err);
	assert_int_equal(err, 0);
	return h;
}

struct image {
	uint8_t *data;
	size_t len;
};

static int install(struct stress *s, const struct image *img, struct totals *t)
{
	int err = tdx_host_install_module(s->h, img->data, img->len);

	/* The module is never lost: every attempt lands or changes nothing. */
	assert_true(err == 0 || err == -EBUSY);
	t->attempts++;
	t->applied += !err;
	t->busy += err == -EBUSY;
	return err;
}

/* The first attempt with a build window held open; the straddler's MRTD. */
static void straddled_update(struct stress *s, enum kernel_profile prof,
			     const struct image *img, uint64_t seed, struct totals *t)
{
	struct td td;
	int err;

	kh_td_new(&td, s->h, STRADDLER_CPU, seed);
	assert_int_equal(kh_init_vm(&td, NULL), 0);
	kh_td_vcpu(&td);
	assert_int_equal(kh_td_region(&td, 0, MAX_PAGES / 2, true, NULL), 0);
	err = install(s, img, t);
	/* v8 refuses while the window is open; mainline lands in it. */
	assert_int_equal(err, prof == KERNEL_PROFILE_V8 ? -EBUSY : 0);
	assert_int_equal(kh_td_region(&td, MAX_PAGES / 2, MAX_PAGES / 2, true, NULL), 0);
	kh_td_finalize(&td);
	if (!kh_td_mrtd_matches(&td))
		t->straddler_wrong++;
	kh_td_free(&td);
}

static void stress_round(enum kernel_profile prof, unsigned int round, const struct image *img,
			 struct totals *t)
{
	struct stress s = { 0 };
	struct worker w[BUILDERS + RUNNERS];
	pthread_t th[BUILDERS + RUNNERS];
	struct tdx_host_stats st;
	unsigned int applied0 = t->applied, attempts0 = t->attempts, busy0 = t->busy;
	unsigned int tries = 0;

	s.h = stress_host(prof);
	for (unsigned int i = 0; i < BUILDERS + RUNNERS; i++) {
		w[i] = (struct worker){ .s = &s, .cpu = 1 + i, .seed = 7 + i + 100 * round };
		assert_int_equal(pthread_create(&th[i], NULL, i < BUILDERS ? builder : runner,
						&w[i]), 0);
	}
	straddled_update(&s, prof, img, 900 + round, t);
	/* v8: retry until 1.5.24 -> 1.5.30 lands between builds. */
	while (t->applied == applied0 && tries++ < MAX_TRIES)
		install(&s, img, t);
	assert_int_equal(t->applied, applied0 + 1);
	kh_assert_update_version(s.h, 30);
	for (int i = 0; i < REINSTALLS; i++)
		install(&s, img, t);
	atomic_store(&s.stop, true);
	for (unsigned int i = 0; i < BUILDERS + RUNNERS; i++)
		pthread_join(th[i], NULL);

	/* The host counted exactly what the updater saw. */
	tdx_host_get_stats(s.h, &st);
	assert_int_equal(st.updates_attempted, t->attempts - attempts0);
	assert_int_equal(st.updates_applied, t->applied - applied0);
	assert_int_equal(st.busy_rejections, t->busy - busy0);
	assert_int_equal(st.updates_failed, 0);
	assert_true(tdx_host_module_initialized(s.h));
	kh_assert_update_version(s.h, 30);
	t->wrong_mrtds += atomic_load(&s.wrong_mrtds);
	t->builds += atomic_load(&s.builds);
	tdx_host_destroy(s.h);
}

static void stress_profile(enum kernel_profile prof, struct totals *t)
{
	struct module_image_opts opts = { .format = prof == KERNEL_PROFILE_V8 ? 0x100 : 0x200 };
	const struct module_build *from = module_build_find("1.5.24");
	const struct module_build *to = module_build_find("1.5.30");
	struct image img;

	/* The premise of every MRTD assertion below. */
	assert_int_not_equal(from->crypto_layout, to->crypto_layout);
	assert_int_equal(module_image_build(to, &opts, &img.data, &img.len), 0);
	memset(t, 0, sizeof(*t));
	for (unsigned int r = 0; r < ROUNDS; r++)
		stress_round(prof, r, &img, t);
	free(img.data);
	print_message("%s: %u attempts, %u applied, %u refused busy, %u builds, "
		      "%u wrong MRTDs (%u of %u straddlers)\n", kernel_profile_name(prof),
		      t->attempts, t->applied, t->busy, t->builds, t->wrong_mrtds + t->straddler_wrong,
		      t->straddler_wrong, ROUNDS);
	assert_int_equal(t->applied + t->busy, t->attempts);
	assert_true(t->builds > 0);
}

static void test_stress_v8(void **state)
{
	struct totals t;

	stress_profile(KERNEL_PROFILE_V8, &t);
	/* Every round's layout change landed (stress_round checks each)... */
	assert_true(t.applied >= ROUNDS);
	/* ...the straddled attempt was refused, and no TD was harmed. */
	assert_true(t.busy >= ROUNDS);
	assert_int_equal(t.straddler_wrong, 0);
	assert_int_equal(t.wrong_mrtds, 0);
}

static void test_stress_mainline(void **state)
{
	struct totals t;

	stress_profile(KERNEL_PROFILE_MAINLINE, &t);
	/* Nothing refuses: every attempt lands, straddling builds are corrupted. */
	assert_int_equal(t.busy, 0);
	assert_int_equal(t.applied, ROUNDS * (1 + REINSTALLS));
	assert_int_equal(t.straddler_wrong, ROUNDS);
	assert_true(t.straddler_wrong + t.wrong_mrtds > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stress_v8),
		cmocka_unit_test(test_stress_mainline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
