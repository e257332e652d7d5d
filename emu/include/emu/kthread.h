/* SPDX-License-Identifier: MIT */
/*
 * How the kernel layer starts asynchronous work (the fw_upload worker,
 * per-CPU stoppers). By default real pthreads; the deterministic lab
 * scheduler supplies its own so that it can interleave every thread.
 */
#ifndef TDXUP_KTHREAD_H
#define TDXUP_KTHREAD_H

#include <stdint.h>

struct kthread_ops {
	void *ctx;
	/* Start fn(arg); *handle identifies it for join. 0 or -errno. */
	int (*start)(void *ctx, void (*fn)(void *arg), void *arg, const char *name, void **handle);
	/* Wait for it to finish. */
	void (*join)(void *ctx, void *handle);
	/* Sleep (msleep analogue); virtual time under the lab scheduler. */
	void (*sleep_us)(void *ctx, uint64_t us);
	/* Yield the CPU while waiting for something another thread does. */
	void (*relax)(void *ctx);
	/*
	 * A preemption point that waits for nothing (before a SEAMCALL). NULL:
	 * relax. The lab's explorer tells the two apart: a relaxing thread waits
	 * for another's step, a preempted one may run again at once.
	 */
	void (*preempt)(void *ctx);
	/* Monotonic microseconds (virtual under the lab scheduler). */
	uint64_t (*now_us)(void *ctx);
	/*
	 * Non-zero under a cooperative (token-passing) scheduler: blocking
	 * waits must then loop on relax() instead of sleeping on a condvar.
	 */
	int cooperative;
};

/* pthreads, nanosleep, sched_yield, CLOCK_MONOTONIC */
const struct kthread_ops *kthread_default_ops(void);

#endif /* TDXUP_KTHREAD_H */
