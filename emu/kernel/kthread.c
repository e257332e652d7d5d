// SPDX-License-Identifier: MIT
/*
 * The default kthread_ops: real pthreads, nanosleep, sched_yield and
 * CLOCK_MONOTONIC. Kernel code never calls these directly; it goes through
 * a struct kthread_ops so that the lab scheduler can substitute its own.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>

#include "emu/kthread.h"

struct kthread {
	pthread_t tid;
	void (*fn)(void *arg);
	void *arg;
};

static void *kthread_trampoline(void *p)
{
	struct kthread *k = p;

	k->fn(k->arg);
	return NULL;
}

static int default_start(void *ctx, void (*fn)(void *arg), void *arg, const char *name,
			 void **handle)
{
	struct kthread *k;
	int ret;

	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->fn = fn;
	k->arg = arg;
	ret = pthread_create(&k->tid, NULL, kthread_trampoline, k);
	if (ret) {
		free(k);
		return -ret;
	}
	/* Thread names are cosmetic (15 chars max); a failure changes nothing. */
	if (name)
		pthread_setname_np(k->tid, name);
	*handle = k;
	return 0;
}

static void default_join(void *ctx, void *handle)
{
	struct kthread *k = handle;

	if (!k)
		return;
	pthread_join(k->tid, NULL);
	free(k);
}

static void default_sleep_us(void *ctx, uint64_t us)
{
	struct timespec ts = {
		.tv_sec = (time_t)(us / 1000000),
		.tv_nsec = (long)(us % 1000000) * 1000,
	};

	/* Restart after signals so that callers get at least the time asked. */
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void default_relax(void *ctx)
{
	sched_yield();
}

static uint64_t default_now_us(void *ctx)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static const struct kthread_ops kthread_default = {
	.ctx = NULL,
	.start = default_start,
	.join = default_join,
	.sleep_us = default_sleep_us,
	.relax = default_relax,
	.now_us = default_now_us,
};

const struct kthread_ops *kthread_default_ops(void)
{
	return &kthread_default;
}
