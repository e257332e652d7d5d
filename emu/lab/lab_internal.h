/* SPDX-License-Identifier: MIT */
/* The lab's run state, shared by lab.c (actors), lab_events.c (hooks). */
#ifndef TDXUP_LAB_INTERNAL_H
#define TDXUP_LAB_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "lab/lab.h"
#include "lab/sched.h"
#include "lab/trace.h"
#include "lab/td_kvm.h"
#include "tdxup/lease.h"

struct lab;

struct lab_actor {
	struct lab *lab;
	unsigned int idx;		/* TD index in res->tds */
	struct lab_td *td;
	struct td_kvm vmm;		/* the TD as its VMM holds it */
	uint64_t win_begin_ns, win_end_ns;	/* the last build window, for the record */
	void *thread;
	/* The hold (lab->hold_gen) in place at its last attempt at the gate, or 0. */
	unsigned int gate_gen;
	/* Runners: progress the main thread may watch while they run. */
	atomic_uint steps_after;
	atomic_bool dead;
};

struct timeline_entry {
	uint64_t ts_ns;
	uint64_t seq;
	char *text;
};

struct lab {
	const struct lab_config *cfg;
	struct lab_result *res;
	struct lab_sched *sched;	/* NULL with the threads driver */
	const struct kthread_ops *kt;
	struct tdx_host *h;
	uint64_t t0_ns;			/* real-clock origin (threads driver) */
	pthread_mutex_t lock;		/* results, timeline, trace */
	struct trace *trace;

	struct timeline_entry *tl;
	size_t tl_len, tl_cap;
	uint64_t tl_seq;

	atomic_bool stop_runners;
	atomic_bool update_done;
	atomic_uint builders_left;

	/* stop-the-world bookkeeping for the trace and the timeline */
	bool stw_active;
	uint64_t stw_begin_ns;
	int *stage;			/* per CPU: current lockstep state, or 0 */
	uint64_t *stage_begin_ns;
	unsigned int installs_in_stw;
	char last_refusal[96];		/* the cause in the kernel's rejection log line */

	/* The build lease: a private directory, on the lab's clock. */
	char lease_dir[64];
	struct lease_clock lease_clock;
	/* The operator's hold in place (its number, from 1), or 0; token holder only. */
	unsigned int hold_gen, holds;
	/* Builds in flight, for the occupancy measure (lab->lock). */
	unsigned int inflight;
	uint64_t inflight_since_ns, busy_ns, op_start_ns, op_end_ns;
	/* The operator's hold and upload starts, for the record (lab->lock). */
	uint64_t hold_begin_ns;
	uint64_t upload_ns[LAB_MAX_ATTEMPTS];
	unsigned int nr_uploads;

	struct lab_actor actors[LAB_MAX_TDS];
	unsigned int nr_actors;
	uint8_t *image;
	size_t image_len;
};

uint64_t lab_now_ns(struct lab *lab);
/* Exploration: add to the current step's footprint (explore.h bits). */
void lab_touch(struct lab *lab, uint32_t fp);
/* Exploration: an operation on shared state begins a step of footprint fp (sched.h). */
void lab_point(struct lab *lab, uint32_t fp);
/* Time with at least one build in flight, so far (lab.c). */
uint64_t lab_busy_ns(struct lab *lab);
/* lab_operator.c: the operator actor (arg: struct lab *). */
void operator_fn(void *arg);
/* lab_verdict.c */
void lab_verdict(struct lab *lab);
int write_trace(struct lab *lab);
/* A span for the pictures when cfg->record is set (lab_events.c). */
void lab_record_locked(struct lab *lab, enum lab_span_kind kind, unsigned int lane,
		       uint64_t begin_ns, uint64_t end_ns, int result);
void lab_record(struct lab *lab, enum lab_span_kind kind, unsigned int lane, uint64_t begin_ns,
		uint64_t end_ns, int result);
void lab_note(struct lab *lab, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void lab_hooks(struct lab *lab, struct tdx_host_hooks *hooks);
void lab_trace_names(struct lab *lab);
char *lab_timeline_text(struct lab *lab);
void lab_timeline_free(struct lab *lab);

#endif /* TDXUP_LAB_INTERNAL_H */
