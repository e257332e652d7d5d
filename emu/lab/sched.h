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

#endif /* TDXUP_LAB_SCHED_H */
