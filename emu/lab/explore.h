/* SPDX-License-Identifier: MIT */
/*
 * tdxup lab --explore: stateless model checking of a lab scenario. Each run
 * re-runs the scenario from a fresh host under a choice driver instead of
 * the seeded RNG (sched.h); the explorer walks the tree of choices depth
 * first with dynamic partial-order reduction (source sets and sleep sets,
 * explore.c). The dependence relation between steps is stated once, in
 * explore.c, beside the footprints it reads.
 */
#ifndef TDXUP_LAB_EXPLORE_H
#define TDXUP_LAB_EXPLORE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "lab/lab.h"
#include "lab/sched.h"

/* Footprint bits of a step (what explore.c's dependence relation reads). */
#define LAB_FP_SEAMCALL		(1u << 0)	/* a SEAMCALL: reads the module's global state */
#define LAB_FP_TD		(1u << 1)	/* a SEAMCALL on the stepping unit's own TD */
#define LAB_FP_MODULE_WRITE	(1u << 2)	/* SHUTDOWN, INSTALL, UPDATE, SYS.*INIT, CONFIG */
#define LAB_FP_STOP_MACHINE	(1u << 3)	/* stop_machine took every CPU */
#define LAB_FP_BUILDS		(1u << 6)	/* opens or closes a build window (td_build_count) */
#define LAB_FP_BUILDS_READ	(1u << 7)	/* a SHUTDOWN refused: it read td_build_count only */
#define LAB_FP_UPLOAD		(1u << 8)	/* the operator wrote the fw_upload device's loading */
#define LAB_FP_UPLOAD_READ	(1u << 9)	/* a builder's upload probe read the device */
/* The lease (src/lease/, a point before each file operation: lab.c). */
#define LAB_FP_HOLD_READ	(1u << 4)	/* a builder's probe of hold */
#define LAB_FP_HOLD_WRITE	(1u << 5)	/* the operator's rename or unlink of hold */
#define LAB_FP_GATE_SHARED	(1u << 10)	/* a builder's gate LOCK_SH attempt, or its drop */
#define LAB_FP_GATE_EXCL	(1u << 11)	/* the operator's gate LOCK_EX attempt, or its drop */
#define LAB_FP_ENTRY		(1u << 12)	/* a builder's entry linked, removed, or its lock gone */
#define LAB_FP_SCAN		(1u << 13)	/* the operator's scan of builds/ (reclaims the dead) */
#define LAB_FP_STOP		(1u << 14)	/* the main thread told the running TDs to stop */
#define LAB_FP_STOP_READ	(1u << 15)	/* a running TD's step read whether to stop */

/* The footprint of one SEAMCALL and its status (lab_events.c's hook adds it). */
uint32_t lab_explore_seamcall_fp(uint64_t rax, uint64_t status);

#define LAB_EXPLORE_SCHED_MAX	4096	/* a schedule string's length */

struct lab_explore_opts {
	uint64_t max_traces;		/* 0: no bound */
	int preemption_bound;		/* < 0: none (CHESS-style bound otherwise) */
	bool no_dpor;			/* plain depth-first search of every choice */
	/*
	 * The dependence relation checked, not trusted (tests): after each
	 * trace, up to swap_check pairs of adjacent steps of two units that
	 * the relation calls independent are swapped and the trace run again
	 * that way; every step and the end state must come out the same.
	 */
	unsigned int swap_check;
	/* Called after every explored trace (not for sleep-set-blocked runs). */
	void (*on_trace)(void *ctx, const struct lab_result *res, const struct lab_step *ev,
			 unsigned int nr_ev, const char *schedule);
	void *ctx;
};

struct lab_explore_stats {
	uint64_t traces;		/* maximal traces run to the end */
	uint64_t redundant;		/* runs abandoned, sleep-set blocked */
	uint64_t updated, busy, failed, lost, other;	/* the operator's outcome */
	uint64_t wrong_mrtd_traces, wrong_mrtd_builds;
	uint64_t failed_build_traces, failed_builds;
	uint64_t td_lost_traces;
	uint64_t refused_traces;	/* a SHUTDOWN refused busy at least once */
	uint64_t late_reg_traces;	/* a builder registered under a hold (lab.h) */
	unsigned int max_depth;
	bool complete;			/* the whole tree, no bound cut anything */
	bool hit_max_traces, hit_preemption_bound;
	bool diverged;			/* a replayed prefix did not repeat: nondeterminism */
	/*
	 * swap_check: pairs swapped and run, pairs that did not fit (a unit
	 * not enabled where the swap wanted it), and pairs whose steps or end
	 * state differed.
	 */
	uint64_t swaps, swaps_unfit, swap_mismatches;
	char first_mismatch[160];	/* what differed first, and where */
	double seconds;
	char first_wrong[LAB_EXPLORE_SCHED_MAX];	/* schedule of the first wrong MRTD */
};

/* 0, or -errno when a run could not be set up or did not repeat. */
int lab_explore(const struct lab_config *cfg, const struct lab_explore_opts *o,
		struct lab_explore_stats *st);

/*
 * One run following schedule (the choices at every point with two or more
 * enabled actors, as lab_explore records them). 0, -EINVAL when the
 * schedule does not fit the configuration, or lab_run's error.
 */
int lab_replay(const struct lab_config *cfg, const char *schedule, struct lab_result *res);

/* The exploration defaults: a small host (2 CPUs, 1 package, 1 page...). */
void lab_explore_config_init(struct lab_config *cfg);

/*
 * The exactness check (explore_report.c): one builder, no running TD, one
 * atomic update under mainline. S SEAMCALLs by the builder, the window
 * bounds as 1-based SEAMCALL numbers (TDH.MNG.INIT, TDH.MR.FINALIZE).
 */
struct lab_exactness {
	unsigned int s, init_at, finalize_at;
	uint64_t traces;
	uint64_t wrong, in_window, wrong_not_in_window, in_window_not_wrong;
	uint64_t positions_seen;	/* distinct update positions among the traces */
	bool exact;			/* traces == S+1, every position once, sets equal */
};
int lab_exactness_check(const struct lab_config *base, struct lab_exactness *ex);

/* The proof table (explore_report.c). */
struct lab_proof_row {
	enum kernel_profile profile;
	const char *policy;		/* retry, hold, oneshot */
	struct lab_explore_stats st;
};
/*
 * The harm a row shows that its profile and policy promise it never shows
 * (explore_report.c states the promises). The number of broken promises,
 * each described in why (a line each, "; "-joined) when why is not NULL.
 */
unsigned int lab_proof_harm(const struct lab_config *cfg, const struct lab_proof_row *r,
			    char *why, size_t len);

void lab_print_proof(FILE *f, const struct lab_config *cfg, const struct lab_proof_row *rows,
		     unsigned int n, const struct lab_exactness *ex);
int lab_print_proof_json(FILE *f, const struct lab_config *cfg,
			 const struct lab_proof_row *rows, unsigned int n,
			 const struct lab_exactness *ex);

#endif /* TDXUP_LAB_EXPLORE_H */
