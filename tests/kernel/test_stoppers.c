// SPDX-License-Identifier: MIT
/*
 * Starting the stop_machine stopper threads (threads driver) when a thread
 * cannot be started: cpus_init() returns that -errno with every stopper it
 * did start already joined, no set left behind and the CPU count intact;
 * a whole host creation fails the same way and leaks no thread.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "kernel/kernel.h"
#include "emu/host.h"

#define NR_CPUS		6
#define MAX_THREADS	16

/* The default kthreads, except that start call number fail_at fails. */
struct failing_kt {
	struct kthread_ops ops;
	unsigned int fail_at;		/* 1-based */
	unsigned int starts;		/* calls, the failing one included */
	unsigned int joins;
	void *started[MAX_THREADS];
	unsigned int nr_started;
	pthread_mutex_t lock;
};

static int failing_start(void *ctx, void (*fn)(void *arg), void *arg, const char *name,
			 void **handle)
{
	struct failing_kt *f = ctx;
	const struct kthread_ops *def = kthread_default_ops();
	int ret;

	pthread_mutex_lock(&f->lock);
	if (++f->starts == f->fail_at) {
		pthread_mutex_unlock(&f->lock);
		return -EAGAIN;
	}
	pthread_mutex_unlock(&f->lock);
	ret = def->start(def->ctx, fn, arg, name, handle);
	if (!ret) {
		pthread_mutex_lock(&f->lock);
		assert_true(f->nr_started < MAX_THREADS);
		f->started[f->nr_started++] = *handle;
		pthread_mutex_unlock(&f->lock);
	}
	return ret;
}

static void failing_join(void *ctx, void *handle)
{
	struct failing_kt *f = ctx;
	const struct kthread_ops *def = kthread_default_ops();
	bool known = false;

	pthread_mutex_lock(&f->lock);
	for (unsigned int i = 0; i < f->nr_started; i++) {
		if (f->started[i] == handle) {
			f->started[i] = NULL;	/* a second join of it would fail */
			known = true;
		}
	}
	f->joins++;
	pthread_mutex_unlock(&f->lock);
	assert_true(known);
	def->join(def->ctx, handle);
}

static void failing_kt_init(struct failing_kt *f, unsigned int fail_at)
{
	const struct kthread_ops *def = kthread_default_ops();

	*f = (struct failing_kt){ .fail_at = fail_at };
	f->ops = *def;
	f->ops.ctx = f;
	f->ops.start = failing_start;
	f->ops.join = failing_join;
	pthread_mutex_init(&f->lock, NULL);
}

static const unsigned int fail_points[] = { 1, 2, NR_CPUS / 2, NR_CPUS };

static void test_cpus_init_unwinds_partial_start(void **state)
{
	for (size_t i = 0; i < sizeof(fail_points) / sizeof(fail_points[0]); i++) {
		unsigned int n = fail_points[i];
		struct tdx_host *h = calloc(1, sizeof(*h));
		struct failing_kt f;

		assert_non_null(h);
		failing_kt_init(&f, n);
		tdx_host_config_init(&h->cfg);
		h->cfg.nr_cpus = NR_CPUS;
		h->cfg.driver = LOCKSTEP_THREADS;
		h->kt = &f.ops;
		assert_int_equal(cpus_init(h), -EAGAIN);
		/* Joined before cpus_init returned: exactly the n - 1 started. */
		assert_int_equal(f.starts, n);
		assert_int_equal(f.nr_started, n - 1);
		assert_int_equal(f.joins, n - 1);
		assert_null(h->cpus.stoppers);
		assert_int_equal(h->cpus.nr, NR_CPUS);
		cpus_exit(h);
		assert_int_equal(f.joins, n - 1);
		pthread_mutex_destroy(&f.lock);
		free(h);
	}
}

static void test_host_create_fails_cleanly(void **state)
{
	for (size_t i = 0; i < sizeof(fail_points) / sizeof(fail_points[0]); i++) {
		unsigned int n = fail_points[i];
		struct tdx_host_config cfg;
		struct failing_kt f;
		int err = 0;

		failing_kt_init(&f, n);
		tdx_host_config_init(&cfg);
		cfg.nr_cpus = NR_CPUS;
		cfg.driver = LOCKSTEP_THREADS;
		cfg.kt = &f.ops;
		assert_null(tdx_host_create(&cfg, &err));
		assert_int_equal(err, -EAGAIN);
		assert_int_equal(f.starts, n);
		assert_int_equal(f.joins, n - 1);
		pthread_mutex_destroy(&f.lock);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpus_init_unwinds_partial_start),
		cmocka_unit_test(test_host_create_fails_cleanly),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
