/* SPDX-License-Identifier: MIT */
/*
 * tdxup lab: an emulated TDX host running TD builds, running TDs and an
 * operator's module update concurrently, with a verdict on every TD.
 */
#ifndef TDXUP_LAB_LAB_H
#define TDXUP_LAB_LAB_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "emu/host.h"

#define LAB_MAX_TDS		64
#define LAB_MAX_ATTEMPTS	64
#define LAB_MAX_FAULTS		8

struct lab_chooser;		/* sched.h */

enum lab_retry { LAB_RETRY_NONE, LAB_RETRY_BACKOFF };

enum lab_fault_kind {
	LAB_FAULT_INSTALL_RECOVERABLE,	/* P-SEAMLDR INSTALL fails early (on CPU k) */
	LAB_FAULT_INSTALL_UNRECOVERABLE,/* ... after the module range is written */
	LAB_FAULT_LP_INIT,		/* TDH.SYS.LP.INIT fails on CPU k */
	LAB_FAULT_SYS_UPDATE,		/* TDH.SYS.UPDATE fails */
	LAB_FAULT_OFFLINE_CPU,		/* CPU k goes offline before the update */
	LAB_FAULT_RND_NO_ENTROPY,	/* a burst of k RDRAND failures */
	LAB_FAULT_CORRUPT_IMAGE,	/* a module page of the image is flipped */
	LAB_FAULT_MIG_INTERRUPTED,	/* the module holds k interrupted migrations */
};

struct lab_fault {
	enum lab_fault_kind kind;
	unsigned int arg;		/* CPU or count */
	unsigned int attempt;		/* armed before this update attempt (1-based; 0 = first) */
};

struct lab_config {
	unsigned int cpus, packages;
	const char *from, *to;		/* module versions */
	unsigned int running, builders, pages, rounds;
	enum kernel_profile profile;
	enum lockstep_driver driver;
	uint64_t seed;
	unsigned int updates;		/* update rounds by the operator */
	enum lab_retry retry;
	uint64_t retry_for_us;		/* the operator's --retry-for */
	/*
	 * The build lease (docs/lease.md): the builders' VMM takes a lease per
	 * build (vmm_leases, on by default, as serve's workload), and the
	 * operator holds builds around its update (hold: `update --hold-builds
	 * on`; the "hold" policy).
	 */
	bool vmm_leases;
	bool hold;
	/*
	 * Build churn (the contention benchmark): builders keep building until
	 * the operator is done, each window held open build_hold_us (a VMM's
	 * own work between INIT_VM and FINALIZE_VM), build_gap_us between builds.
	 */
	bool churn;
	uint64_t build_hold_us, build_gap_us;
	uint64_t backoff_min_us, backoff_max_us;	/* 0: the lab's defaults */
	/*
	 * The first crash_builders builders die in their first build, at a
	 * point the scheduler's RNG picks: holding the lease before INIT_VM, or
	 * inside the build window. Their lease entry stays behind unlocked and
	 * their TD goes with the VMM, as when a QEMU is killed -9.
	 */
	unsigned int crash_builders;
	uint64_t update_at_us;		/* when the operator starts */
	uint32_t updates_left;		/* num_remaining_updates at boot */
	struct lab_fault faults[LAB_MAX_FAULTS];
	unsigned int nr_faults;
	const char *trace_path;
	bool record;			/* keep res->rec for the pictures (lab_svg.c) */
	bool quiet;
	bool live;			/* print the timeline as it happens */
	const char *name;		/* scenario name, for reports */
	/* Expected outcome (scenario files): empty = "the default checks pass". */
	const char *expect;		/* "pass", "module-lost", "refused", "busy", ... */
	/*
	 * Exploration (explore.h): a choice driver instead of the RNG (serial
	 * driver only). Delays become preemption points, running TDs take
	 * runner_steps steps (0: until the end), and a prebuilt target image
	 * spares every run the signing.
	 */
	const struct lab_chooser *chooser;
	unsigned int runner_steps;
	const uint8_t *image;
	size_t image_len;
};

void lab_config_init(struct lab_config *cfg);

struct lab_td {
	char name[16];
	bool running;			/* was running before the update */
	bool built;			/* build finished */
	bool build_failed;
	uint64_t hw_error;		/* of the failed build */
	bool mrtd_ok;
	bool memory_ok;
	bool lost;
	bool crashed;			/* its VMM died mid-build (crash_builders) */
	uint64_t steps_before, steps_after;
	uint64_t checksum;
	uint8_t mrtd[48];
};

struct lab_attempt {
	uint64_t at_us;
	uint64_t start_ns;		/* when its upload began, on the run's clock */
	char error[64];			/* "", "device-busy", "firmware-invalid", ... */
	char mark[16];			/* the pictures' outcome: updated, device-busy, failed */
	char note[96];
};

/*
 * What the pictures draw (lab_svg.c), kept when cfg->record is set: spans
 * on the run's clock, each on a CPU's or a TD's lane (or the operator's).
 */
enum lab_span_kind {
	LAB_SPAN_SEAMCALL,		/* lane: CPU */
	LAB_SPAN_STW,			/* every CPU; result: 0 or -errno */
	LAB_SPAN_BUILD,			/* lane: TD; INIT_VM to FINALIZE_VM; enum lab_build_end */
	LAB_SPAN_LEASE_WAIT,		/* lane: TD; its VMM waiting for the build lease */
	LAB_SPAN_RUN,			/* lane: TD; one KVM_RUN */
	LAB_SPAN_HOLD,			/* the operator held new builds; result 1: gave up */
	LAB_SPAN_UPDATE,		/* one `tdxup update` by the operator */
};

enum lab_build_end { LAB_BUILD_OK, LAB_BUILD_WRONG_MRTD, LAB_BUILD_FAILED, LAB_BUILD_CRASHED };

struct lab_span {
	uint64_t begin_ns, end_ns;
	uint16_t kind, lane;
	int32_t result;
};

struct lab_record {
	struct lab_span *spans;		/* in the order they ended */
	size_t len, cap;
	bool incomplete;		/* out of memory: some spans are missing */
};

struct lab_result {
	bool pass;
	char verdict_reason[160];
	char outcome[24];		/* updated, busy, failed, lost, refused */
	char version_before[16], version_after[16];
	unsigned int updates_applied, busy_rejections, failed_builds, wrong_mrtds, tds_lost;
	unsigned int builds_completed;
	/*
	 * Registrations by a builder that took the gate while a hold was in
	 * place and registered under that same hold: the lease's no-starvation
	 * argument says none (docs/lease.md; a builder looks at hold again
	 * under the gate and backs off).
	 */
	unsigned int late_registrations;
	uint64_t stop_the_world_us;	/* virtual (serial) or wall clock (threads) */
	/* From the operator's start to its result, and the builds' share of it. */
	uint64_t update_us;
	double occupancy;		/* fraction of that time with a build in flight */
	bool held_builds;
	uint64_t end_us;
	uint64_t seamcalls;
	uint64_t mem_peak_frames;	/* emulated memory frames in use at the peak */
	struct lab_td tds[LAB_MAX_TDS];
	unsigned int nr_tds;
	struct lab_attempt attempts[LAB_MAX_ATTEMPTS];
	unsigned int nr_attempts;
	char *timeline;			/* malloc'ed text, one event a line */
	struct lab_record rec;		/* with cfg->record */
};

/*
 * -EINVAL (or -ENOMEM for sizes the emulated memory cannot hold) with the
 * reason in res->verdict_reason when lab_config_check refuses cfg.
 */
int lab_run(const struct lab_config *cfg, struct lab_result *res);
void lab_result_free(struct lab_result *res);

/* Reports (lab_report.c). */
void lab_print_text(FILE *f, const struct lab_config *cfg, const struct lab_result *res);
int lab_print_json(FILE *f, const struct lab_config *cfg, const struct lab_result *res);
/* --compare: the same seed under each kernel profile, and two with the hold. */
#define LAB_COMPARE_RUNS	5
struct lab_compare_run {
	const char *label;		/* "v8", "mainline+hold", ... */
	enum kernel_profile profile;
	bool hold;
};
extern const struct lab_compare_run lab_compare_runs[LAB_COMPARE_RUNS];
void lab_print_compare(FILE *f, const struct lab_config *cfg,
		       const struct lab_result res[LAB_COMPARE_RUNS]);
int lab_print_compare_json(FILE *f, const struct lab_config *cfg,
			   const struct lab_result res[LAB_COMPARE_RUNS]);

/*
 * Before a run (lab_check.c): faults that cannot fire on this host, under
 * this driver or in this run, outcomes the driver cannot make
 * deterministic, sizes the emulated memory cannot hold. 0, or -EINVAL /
 * -ENOMEM with the reason in err.
 */
int lab_config_check(const struct lab_config *cfg, char *err, size_t len);
/* A fault on its own: CPU 0 offline, a count of 0, an argument it does not take. */
int lab_fault_check(const struct lab_fault *f, char *err, size_t len);
const char *lab_fault_name(enum lab_fault_kind k);
bool lab_fault_takes_cpu(enum lab_fault_kind k);
bool lab_fault_takes_count(enum lab_fault_kind k);
/* Emulated memory frames one TD of that many pages holds, and a whole run. */
uint64_t lab_td_frames(unsigned int pages);
uint64_t lab_frames_needed(unsigned int builders, unsigned int pages, unsigned int running);
/* -ENOMEM naming both sizes when the run needs more than host_frames. */
int lab_memory_check(unsigned int builders, unsigned int pages, unsigned int running,
		     uint64_t host_frames, char *err, size_t len);

/*
 * Pictures (lab_svg.c): recorded runs (cfg->record) as one SVG timeline,
 * the runs stacked on one time axis, written atomically (0 or -errno).
 * Nothing in it reads a clock: a serial run's picture depends on its seed.
 */
struct lab_svg_run {
	const char *label;		/* a panel's name under --compare, or NULL */
	const struct lab_config *cfg;
	const struct lab_result *res;
};
int lab_svg_print(FILE *f, const struct lab_svg_run *runs, unsigned int n);
struct fsafe_err;
int lab_svg_write(const char *path, const struct lab_svg_run *runs, unsigned int n,
		  struct fsafe_err *fe);
const char *lab_policy_name(const struct lab_config *cfg);

/* Scenario files (scenario.c): fill cfg from JSON; errors name the field. */
int lab_scenario_load(const char *path, struct lab_config *cfg, char *err, size_t errlen);
/*
 * The same on text already read, errors named after name. On success the
 * strings in cfg point into *root, which the caller keeps while it uses cfg
 * and then json_decref()s; on failure cfg is unchanged and there is no root.
 */
struct json_t;
int lab_scenario_parse(const char *name, const char *text, size_t len, struct lab_config *cfg,
		       struct json_t **root, char *err, size_t errlen);

#endif /* TDXUP_LAB_LAB_H */
