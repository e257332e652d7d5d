// SPDX-License-Identifier: MIT
/*
 * KVM's TDX TD build across module updates (kernel.md 13): between build
 * ioctls v8 refuses the update, mainline lets it corrupt the MRTD (the
 * erratum) and detect fails the next build leaf; running TDs survive; a lost
 * module kills them; concurrent builds race updates under the threads driver.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers/kvm_harness.h"
#include "tdxup/tdx_abi.h"

/* ---- updates and the TD-build window ------------------------------------ */

/* v8: the update is refused while the build runs; the MRTD stays right. */
static void test_update_during_build_v8(void **state)
{
	struct tdx_host *h = kh_host_new(KERNEL_PROFILE_V8, LOCKSTEP_SERIAL, NULL);
	uint64_t free0 = kh_nr_free(h);
	struct tdx_host_stats st;
	struct td td;

	kh_td_new(&td, h, 1, 3);
	assert_int_equal(kh_init_vm(&td, NULL), 0);
	assert_int_equal(kh_update_to(h, "1.5.30"), -EBUSY);	/* window open, no page yet */
	kh_td_vcpu(&td);
	assert_int_equal(kh_td_region(&td, 0, 2, true, NULL), 0);
	assert_int_equal(kh_update_to(h, "1.5.30"), -EBUSY);
	assert_int_equal(kh_td_region(&td, 2, 2, true, NULL), 0);
	kh_td_finalize(&td);
	assert_true(kh_td_mrtd_matches(&td));
	kh_assert_update_version(h, 25);
	tdx_host_get_stats(h, &st);
	assert_int_equal(st.busy_rejections, 2);
	/* The window closed: the same update now goes through, and the TD runs on. */
	assert_int_equal(kh_update_to(h, "1.5.30"), 0);
	kh_assert_update_version(h, 30);
	kh_td_run(&td, 3);
	assert_true(kh_td_mrtd_matches(&td));
	kh_td_free(&td);
	kh_assert_clean(h, free0);
	tdx_host_destroy(h);
}

/* mainline: the update goes through mid-build and the MRTD is silently wrong (the erratum). */
static void test_update_during_build_mainline(void **state)
{
	struct tdx_host *h = kh_host_new(KERNEL_PROFILE_MAINLINE, LOCKSTEP_SERIAL, NULL);
	uint64_t free0 = kh_nr_free(h);
	struct td td, after;

	kh_td_new(&td, h, 1, 3);
	assert_int_equal(kh_init_vm(&td, NULL), 0);
	kh_td_vcpu(&td);
	assert_int_equal(kh_td_region(&td, 0, 2, true, NULL), 0);
	assert_int_equal(kh_update_to(h, "1.5.30"), 0);
	kh_assert_update_version(h, 30);
	assert_int_equal(kh_td_region(&td, 2, 2, true, NULL), 0);
	kh_td_finalize(&td);
	assert_false(kh_td_mrtd_matches(&td));
	assert_false(kvm_vm_dead(td.kvm));
	kh_td_run(&td, 2);				/* it runs; only attestation would fail */
	kh_td_free(&td);
	/* A TD built wholly under the new module is measured right. */
	kh_td_build(&after, h, 2, 3, 4);
	assert_true(kh_td_mrtd_matches(&after));
	kh_td_free(&after);
	kh_assert_clean(h, free0);
	tdx_host_destroy(h);
}

/* detect: the next build leaf fails with TDX_INCOMPATIBLE_MRTD_CONTEXT; no wrong MRTD exists. */
static void test_update_during_build_detect(void **state)
{
	struct tdx_host *h = kh_host_new(KERNEL_PROFILE_DETECT, LOCKSTEP_SERIAL, NULL);
	uint64_t free0 = kh_nr_free(h), hw = 0;
	uint8_t mrtd[48];
	struct td td, again;

	kh_td_new(&td, h, 1, 3);
	assert_int_equal(kh_init_vm(&td, NULL), 0);
	kh_td_vcpu(&td);
	assert_int_equal(kh_td_region(&td, 0, 2, true, NULL), 0);
	assert_int_equal(kh_update_to(h, "1.5.30"), 0);
	assert_int_equal(kh_td_region(&td, 2, 2, true, &hw), -EIO);
	assert_int_equal(hw, 0xC000062200000000ULL);
	assert_true(kvm_vm_dead(td.kvm));
	assert_int_equal(kh_vm_op(&td, KVM_TDX_FINALIZE_VM, 0, 0, NULL), -EIO);
	assert_int_equal(kvm_tdx_get_mrtd(td.kvm, 1, mrtd), -EIO);
	kh_td_free(&td);
	kh_assert_clean(h, free0);
	/* The VMM rebuilds: measured right. */
	kh_td_build(&again, h, 1, 3, 4);
	assert_true(kh_td_mrtd_matches(&again));
	kh_td_free(&again);
	assert_int_equal(kh_nr_free(h), free0);
	tdx_host_destroy(h);
}

/* detect: an update between the last page and FINALIZE fails FINALIZE. */
static void test_update_before_finalize_detect(void **state)
{
	struct tdx_host *h = kh_host_new(KERNEL_PROFILE_DETECT, LOCKSTEP_SERIAL, NULL);
	uint64_t free0 = kh_nr_free(h), hw = 0;
	struct td td;

	kh_td_new(&td, h, 1, 3);
	assert_int_equal(kh_init_vm(&td, NULL), 0);
	kh_td_vcpu(&td);
	assert_int_equal(kh_td_region(&td, 0, 2, true, NULL), 0);
	assert_int_equal(kh_update_to(h, "1.5.30"), 0);
	assert_int_equal(kh_vm_op(&td, KVM_TDX_FINALIZE_VM, 0, 0, &hw), -EIO);
	assert_int_equal(hw, 0xC000062200000000ULL);
	assert_true(kvm_vm_dead(td.kvm));
	kh_td_free(&td);
	kh_assert_clean(h, free0);
	tdx_host_destroy(h);
}

/* A running TD survives an update in every profile, memory intact, and moves between CPUs. */
static void test_running_td_survives_update(void **state)
{
	static const enum kernel_profile profs[] = {
		KERNEL_PROFILE_V8, KERNEL_PROFILE_MAINLINE, KERNEL_PROFILE_DETECT,
	};

	for (size_t i = 0; i < 3; i++) {
		struct tdx_host *h = kh_host_new(profs[i], LOCKSTEP_SERIAL, NULL);
		uint64_t free0 = kh_nr_free(h);
		struct td td;

		kh_td_build(&td, h, 3, 9, 3);
		assert_true(kh_td_mrtd_matches(&td));
		kh_td_run(&td, 4);
		assert_int_equal(kh_update_to(h, "1.5.30"), 0);
		kh_assert_update_version(h, 30);
		kh_td_run(&td, 4);
		td.cpu = 6;			/* migrate: VP.FLUSH on CPU 3 first */
		kh_td_run(&td, 2);
		assert_true(kh_td_mrtd_matches(&td));
		kh_td_free(&td);
		kh_assert_clean(h, free0);
		tdx_host_destroy(h);
	}
}

/* A failed update after shutdown loses the module: TDs die, no new VM, pages leak knowingly. */
static void test_lost_module(void **state)
{
	/* mainline: v8 would refuse the update while `building` is in its window. */
	struct tdx_host *h = kh_host_new(KERNEL_PROFILE_MAINLINE, LOCKSTEP_SERIAL, NULL);
	struct kvm_run_exit ex;
	struct td running, building;
	int err = 0;

	kh_td_build(&running, h, 1, 5, 2);
	kh_td_run(&running, 2);
	kh_td_new(&building, h, 2, 6);
	assert_int_equal(kh_init_vm(&building, NULL), 0);
	building.vcpu = kvm_create_vcpu(building.kvm, 0, &err);
	assert_non_null(building.vcpu);

	tdx_host_inject(h, HOST_FAULT_INSTALL_UNRECOVERABLE, 7);
	assert_int_equal(kh_update_to(h, "1.5.30"), -EIO);
	assert_false(tdx_host_module_initialized(h));

	assert_int_equal(kvm_vcpu_run(running.vcpu, 1, &ex), -EIO);
	assert_int_equal(ex.status, TDX_SEAMCALL_VMFAILINVALID);
	assert_true(kvm_vm_dead(running.kvm));
	assert_int_equal(kvm_vcpu_run(running.vcpu, 1, &ex), -EIO);
	assert_int_equal(kh_vcpu_op(&building, KVM_TDX_INIT_VCPU, 0, GPA_BASE, NULL), -EIO);
	assert_true(kvm_vm_dead(building.kvm));
	assert_null(kvm_create_vm(h, 1, &err));
	assert_int_equal(err, -ENODEV);
	/* Host memory is freed; the module's pages are leaked on purpose. */
	kh_td_free(&running);
	kh_td_free(&building);
	tdx_host_destroy(h);
}

/* ---- concurrency: builders on their own CPUs, an updater, threads driver - */

#define NR_BUILDERS	4
#define TDS_PER_BUILDER	3
#define NR_UPDATES	6

/*
 * Builders park their first TD inside its build window until the updater's
 * first update has returned (two barriers), so that update certainly races
 * four open windows; the rest race freely. Assertions run on these threads
 * only on the success path; a failure there aborts the test binary.
 */
struct race {
	struct tdx_host *h;
	pthread_barrier_t parked, released;
};

struct builder {
	struct race *race;
	unsigned int cpu;
	int bad;		/* builds whose MRTD was wrong */
};

static void *builder_fn(void *arg)
{
	struct builder *b = arg;

	for (int i = 0; i < TDS_PER_BUILDER; i++) {
		struct td td;

		kh_td_build_pages(&td, b->race->h, b->cpu, b->cpu * 10 + (uint64_t)i, 4);
		if (!i) {
			pthread_barrier_wait(&b->race->parked);
			pthread_barrier_wait(&b->race->released);
		}
		kh_td_finalize(&td);
		if (!kh_td_mrtd_matches(&td))
			b->bad++;
		kh_td_run(&td, 3);
		kh_td_free(&td);
	}
	return NULL;
}

struct updater {
	struct race *race;
	int first;		/* result of the update that met the parked builds */
	int ok, busy, other;
};

static void *updater_fn(void *arg)
{
	struct updater *u = arg;

	pthread_barrier_wait(&u->race->parked);
	/* Same crypto layout: a build straddling it continues correctly. */
	u->first = kh_update_to(u->race->h, "1.5.25");
	pthread_barrier_wait(&u->race->released);
	for (int i = 1; i < NR_UPDATES; i++) {
		int ret = kh_update_to(u->race->h, "1.5.25");

		if (!ret)
			u->ok++;
		else if (ret == -EBUSY)
			u->busy++;
		else
			u->other++;
	}
	return NULL;
}

static void concurrent_builds(enum kernel_profile prof)
{
	struct race race = { .h = kh_host_new(prof, LOCKSTEP_THREADS, NULL) };
	uint64_t free0 = kh_nr_free(race.h);
	struct builder b[NR_BUILDERS];
	struct updater u = { .race = &race };
	pthread_t bt[NR_BUILDERS], ut;

	pthread_barrier_init(&race.parked, NULL, NR_BUILDERS + 1);
	pthread_barrier_init(&race.released, NULL, NR_BUILDERS + 1);
	for (unsigned int i = 0; i < NR_BUILDERS; i++) {
		b[i] = (struct builder){ .race = &race, .cpu = i + 1 };
		assert_int_equal(pthread_create(&bt[i], NULL, builder_fn, &b[i]), 0);
	}
	assert_int_equal(pthread_create(&ut, NULL, updater_fn, &u), 0);
	for (unsigned int i = 0; i < NR_BUILDERS; i++) {
		assert_int_equal(pthread_join(bt[i], NULL), 0);
		assert_int_equal(b[i].bad, 0);
	}
	assert_int_equal(pthread_join(ut, NULL), 0);
	/* v8 refuses while builds are in flight; the others update mid-build. */
	assert_int_equal(u.first, prof == KERNEL_PROFILE_V8 ? -EBUSY : 0);
	assert_int_equal(u.other, 0);
	assert_int_equal(u.ok + u.busy, NR_UPDATES - 1);
	if (prof != KERNEL_PROFILE_V8)
		assert_int_equal(u.busy, 0);
	assert_int_equal(kh_nr_free(race.h), free0);
	assert_int_equal(kh_hkids_in_use(race.h), 0);
	pthread_barrier_destroy(&race.parked);
	pthread_barrier_destroy(&race.released);
	tdx_host_destroy(race.h);
}

static void test_concurrent_builds_v8(void **state)
{
	concurrent_builds(KERNEL_PROFILE_V8);
}

static void test_concurrent_builds_mainline(void **state)
{
	concurrent_builds(KERNEL_PROFILE_MAINLINE);
}

static void test_concurrent_builds_detect(void **state)
{
	concurrent_builds(KERNEL_PROFILE_DETECT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_update_during_build_v8),
		cmocka_unit_test(test_update_during_build_mainline),
		cmocka_unit_test(test_update_during_build_detect),
		cmocka_unit_test(test_update_before_finalize_detect),
		cmocka_unit_test(test_running_td_survives_update),
		cmocka_unit_test(test_lost_module),
		cmocka_unit_test(test_concurrent_builds_v8),
		cmocka_unit_test(test_concurrent_builds_mainline),
		cmocka_unit_test(test_concurrent_builds_detect),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
