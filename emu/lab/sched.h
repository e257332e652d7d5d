/* SPDX-License-Identifier: MIT */
/*
 * The lab's deterministic scheduler. Actors are ordinary threads running
 * the ordinary kernel, KVM and updater code, but only the thread holding
 * the token runs. A thread gives the token back at every interleaving
 * point the kernel offers (cpu_hold before a SEAMCALL, waits, sleeps);
 * a seeded RNG picks the next holder among the runnable actors. Time is a
 * virtual clock advanced by modelled costs. Same seed, same run.
 */
#ifndef TDXUP_LAB_SCHED_H
#define TDXUP_LAB_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "emu/kthread.h"

struct lab_sched;

/* The calling thread becomes actor 0 and holds the token. */
struct lab_sched *lab_sched_create(uint64_t seed);
/* All other actors must have finished (joined). */
void lab_sched_destroy(struct lab_sched *s);

/* kthread_ops backed by this scheduler (cooperative = 1). */
const struct kthread_ops *lab_sched_ops(struct lab_sched *s);

/* Advance virtual time by a modelled cost (the caller holds the token). */
void lab_sched_advance_ns(struct lab_sched *s, uint64_t ns);
uint64_t lab_sched_now_ns(struct lab_sched *s);
/* Deterministic random numbers for actors (the token holder only). */
uint64_t lab_sched_rand(struct lab_sched *s);
/* Number of token hand-overs so far (a determinism fingerprint). */
uint64_t lab_sched_switches(struct lab_sched *s);

/*
 * Exploration (explore.c): a choice driver replaces the RNG. Actors are
 * grouped in units: an actor started by actor 0 is its own unit, one started
 * by any other actor joins its creator's (the fw_upload worker joins the
 * operator). A unit keeps the token while it has two live members, so the
 * operator's upload with its worker is one step. At every other hand-over
 * the driver is shown the step that just ended and the candidates, and
 * picks one; time never decides who runs.
 */
#define LAB_SCHED_MAX_CAND	64

enum lab_yield {
	LAB_YIELD_START,	/* started, has not run yet */
	LAB_YIELD_PREEMPT,	/* a preemption point: may run again at once */
	LAB_YIELD_WAIT,		/* waits for another actor's step (relax, sleep) */
	LAB_YIELD_JOIN,		/* resumes from a join */
	LAB_YIELD_DONE,		/* finished */
};

/* What one unit did between two choice points. */
struct lab_step {
	unsigned int actor;
	enum lab_yield how;	/* how it gave the token back */
	uint32_t fp;		/* footprint bits (explore.h) */
	unsigned int seamcalls;
	uint64_t first_rax;	/* RAX of its first SEAMCALL */
};

struct lab_choice {
	const struct lab_step *step;	/* NULL at the first point */
	bool final;			/* the run's actors are done: no choice */
	unsigned int nr;
	unsigned int actor[LAB_SCHED_MAX_CAND];
	enum lab_yield how[LAB_SCHED_MAX_CAND];
	bool timed[LAB_SCHED_MAX_CAND];		/* a wait that may time out */
	uint64_t wake_ns[LAB_SCHED_MAX_CAND];
};

struct lab_chooser {
	void *ctx;
	/* An index into c->actor (ignored when c->final). */
	unsigned int (*choose)(void *ctx, const struct lab_choice *c);
};

void lab_sched_set_chooser(struct lab_sched *s, const struct lab_chooser *ch);
bool lab_sched_exploring(struct lab_sched *s);
/* Report the last step and hand scheduling back to the RNG (token holder). */
void lab_sched_end_choices(struct lab_sched *s);
/* Add to the current step's footprint; rax ~0 when it is no SEAMCALL. */
void lab_sched_touch(struct lab_sched *s, uint32_t fp, uint64_t rax);
/*
 * A sleep whose end is a timeout the sleeper acts on (the operator's back-off
 * and status polls: each wake reads the clock against a deadline). Exploring,
 * such a waiter has two successors: woken by a step that writes what it
 * polls, and timed out, resumed at its wake time whatever the others did
 * meanwhile (any of them can be slower than the timeout). Otherwise exactly
 * kthread sleep_us. ctx: the lab_sched, as sysfs_client's clock_ctx.
 */
void lab_sched_sleep_timed(void *ctx, uint64_t us);

/* A preemption point for lab actors (the token holder). */
void lab_sched_yield(struct lab_sched *s);
/*
 * Exploring, an operation on state other units share (the lease's files,
 * the fw_upload device) begins a step of footprint fp: a preemption point
 * first, unless the step so far did nothing another unit could see (it
 * has just resumed). Outside exploration nothing, so seeded runs stay as
 * they were.
 */
void lab_sched_point(struct lab_sched *s, uint32_t fp);

#endif /* TDXUP_LAB_SCHED_H */
