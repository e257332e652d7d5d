// SPDX-License-Identifier: MIT
/*
 * The lab's view of the host: the SEAMCALL hook (cost model, virtual time,
 * trace slices) and the event hook (kernel log lines, stop-the-world and
 * lockstep stages), plus the timeline they feed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lab/lab_internal.h"
#include "lab/explore.h"
#include "tdxup/seamldr_abi.h"
#include "tdxup/status_name.h"
#include "tdxup/tdx_abi.h"

uint64_t lab_now_ns(struct lab *lab)
{
	struct timespec ts;

	if (lab->sched)
		return lab_sched_now_ns(lab->sched);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec - lab->t0_ns;
}

static void timeline_add_locked(struct lab *lab, uint64_t ts, char *text)
{
	if (lab->tl_len == lab->tl_cap) {
		size_t cap = lab->tl_cap ? lab->tl_cap * 2 : 256;
		struct timeline_entry *n = realloc(lab->tl, cap * sizeof(*n));

		if (!n) {
			free(text);
			return;
		}
		lab->tl = n;
		lab->tl_cap = cap;
	}
	lab->tl[lab->tl_len++] = (struct timeline_entry){ ts, lab->tl_seq++, text };
	if (lab->cfg->live && !lab->cfg->quiet)
		fprintf(stderr, "[%9.3f ms] %s\n", ts / 1e6, text);
}

void lab_note(struct lab *lab, const char *fmt, ...)
{
	char *text;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	pthread_mutex_lock(&lab->lock);
	timeline_add_locked(lab, lab_now_ns(lab), text);
	pthread_mutex_unlock(&lab->lock);
}

static int cmp_entry(const void *a, const void *b)
{
	const struct timeline_entry *x = a, *y = b;

	if (x->ts_ns != y->ts_ns)
		return x->ts_ns < y->ts_ns ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

char *lab_timeline_text(struct lab *lab)
{
	size_t cap = 64, len = 0;
	char *out = malloc(cap);

	if (!out)
		return NULL;
	out[0] = 0;
	if (lab->tl_len)	/* qsort(NULL, 0, ...) is undefined: setup may fail first */
		qsort(lab->tl, lab->tl_len, sizeof(*lab->tl), cmp_entry);
	for (size_t i = 0; i < lab->tl_len; i++) {
		char line[600];
		int n = snprintf(line, sizeof(line), "[%9.3f ms] %s\n", lab->tl[i].ts_ns / 1e6,
				 lab->tl[i].text);

		if (n < 0)
			continue;
		if ((size_t)n >= sizeof(line))
			n = sizeof(line) - 1;
		if (len + (size_t)n + 1 > cap) {
			char *bigger;

			while (len + (size_t)n + 1 > cap)
				cap *= 2;
			bigger = realloc(out, cap);
			if (!bigger)
				break;
			out = bigger;
		}
		memcpy(out + len, line, (size_t)n + 1);
		len += (size_t)n;
	}
	return out;
}

void lab_timeline_free(struct lab *lab)
{
	for (size_t i = 0; i < lab->tl_len; i++)
		free(lab->tl[i].text);
	free(lab->tl);
	lab->tl = NULL;
	lab->tl_len = lab->tl_cap = 0;
}

void lab_record_locked(struct lab *lab, enum lab_span_kind kind, unsigned int lane,
		       uint64_t begin_ns, uint64_t end_ns, int result)
{
	struct lab_record *rec = &lab->res->rec;

	if (!lab->cfg->record)
		return;
	if (rec->len == rec->cap) {
		size_t cap = rec->cap ? rec->cap * 2 : 1024;
		struct lab_span *n = realloc(rec->spans, cap * sizeof(*n));

		/* A picture with a gap beats no run: say so, keep going. */
		if (!n) {
			rec->incomplete = true;
			return;
		}
		rec->spans = n;
		rec->cap = cap;
	}
	rec->spans[rec->len++] = (struct lab_span){ begin_ns, end_ns, (uint16_t)kind,
						    (uint16_t)lane, result };
}

void lab_record(struct lab *lab, enum lab_span_kind kind, unsigned int lane, uint64_t begin_ns,
		uint64_t end_ns, int result)
{
	if (!lab->cfg->record)
		return;
	pthread_mutex_lock(&lab->lock);
	lab_record_locked(lab, kind, lane, begin_ns, end_ns, result);
	pthread_mutex_unlock(&lab->lock);
}

/* ---- cost model (virtual nanoseconds per SEAMCALL) ------------------- */

static uint64_t seamcall_cost_ns(struct lab *lab, uint64_t rax)
{
	if (rax & P_SEAMLDR_SEAMCALL_BASE) {
		if (rax != SEAMLDR_INSTALL)
			return 5000;
		/* The last LP verifies the signature, copies and hashes the image. */
		if (++lab->installs_in_stw == lab->cfg->cpus)
			return 1500000;
		return 4000;
	}
	switch (rax & TDX_LEAF_MASK) {
	case TDH_VP_ENTER:		return 20000;	/* a guest time slice */
	case TDH_MEM_PAGE_ADD:		return 1500;	/* 4 KiB copy + one record */
	case TDH_MR_EXTEND:		return 900;	/* 384 bytes hashed */
	case TDH_MEM_SEPT_ADD:		return 400;
	case TDH_MR_FINALIZE:		return 2000;
	case TDH_SYS_RD:		return 200;
	case TDH_SYS_SHUTDOWN:		return 30000;	/* writes the handoff */
	case TDH_SYS_INIT:		return 20000;
	case TDH_SYS_LP_INIT:		return 5000;
	case TDH_SYS_UPDATE:		return 50000;	/* restores the handoff */
	case TDH_SYS_KEY_CONFIG:	return 10000;
	}
	return 1000;
}

static void on_seamcall(void *ctx, const struct seamcall_record *r)
{
	struct lab *lab = ctx;
	uint64_t ts, dur;

	pthread_mutex_lock(&lab->lock);
	lab->res->seamcalls++;
	if (lab->sched)
		lab_sched_touch(lab->sched, lab_explore_seamcall_fp(r->rax, r->status), r->rax);
	if (lab->sched) {
		dur = seamcall_cost_ns(lab, r->rax);
		ts = lab_sched_now_ns(lab->sched);
		lab_sched_advance_ns(lab->sched, dur);
	} else {
		dur = r->dur_ns;
		ts = lab_now_ns(lab) - dur;
	}
	lab_record_locked(lab, LAB_SPAN_SEAMCALL, r->cpu, ts, ts + dur, 0);
	if (lab->trace) {
		char status[TDX_STATUS_STR_LEN];

		trace_slice(lab->trace, TRACE_PID_CPUS, (int)r->cpu, "seamcall",
			    tdx_leaf_name(r->rax), ts, dur, "status",
			    tdx_status_str(r->status, status, sizeof(status)));
	}
	pthread_mutex_unlock(&lab->lock);
}

/* ---- events ----------------------------------------------------------- */

static const char *const stage_names[] = {
	"START", "SHUTDOWN", "CPU_INSTALL", "CPU_INIT", "RUN_UPDATE", "DONE",
};

static void close_stage_locked(struct lab *lab, int cpu, uint64_t now)
{
	int s = lab->stage[cpu];

	if (!s)
		return;
	if (lab->trace)
		trace_slice(lab->trace, TRACE_PID_CPUS, cpu, "lockstep", stage_names[s],
			    lab->stage_begin_ns[cpu], now - lab->stage_begin_ns[cpu], NULL, NULL);
	lab->stage[cpu] = 0;
}

static void on_stw_end_locked(struct lab *lab, int result, uint64_t now)
{
	uint64_t dur = now - lab->stw_begin_ns;

	for (unsigned int cpu = 0; cpu < lab->cfg->cpus; cpu++) {
		close_stage_locked(lab, (int)cpu, now);
		if (lab->trace)
			trace_slice(lab->trace, TRACE_PID_CPUS, (int)cpu, "stop_machine",
				    "stop-the-world", lab->stw_begin_ns, dur, "result",
				    result ? "failed" : "ok");
	}
	lab_record_locked(lab, LAB_SPAN_STW, 0, lab->stw_begin_ns, now, result);
	lab->stw_active = false;
	lab->res->stop_the_world_us += dur / 1000;
}

static const char *errno_name(int err)
{
	switch (err) {
	case -EBUSY:	return "-EBUSY";
	case -EIO:	return "-EIO";
	case -ENODEV:	return "-ENODEV";
	case -EINVAL:	return "-EINVAL";
	case -ENOMEM:	return "-ENOMEM";
	}
	return "error";
}

/* One line per stop_machine: what it did, or why the update was refused. */
static void stw_line_locked(struct lab *lab, int result, uint64_t now)
{
	double us = (now - lab->stw_begin_ns) / 1e3;
	char *text;
	int n;

	if (result == -EBUSY)
		n = asprintf(&text, "update refused, device-busy: TDH.SYS.SHUTDOWN refused, %s "
			     "(stop_machine held %u CPUs for %.1f us)", lab->last_refusal,
			     lab->cfg->cpus, us);
	else if (result)
		n = asprintf(&text, "stop_machine: %u CPUs held for %.1f us, aborted: %s",
			     lab->cfg->cpus, us, errno_name(result));
	else
		n = asprintf(&text, "stop_machine: %u CPUs held for %.1f us: SHUTDOWN, "
			     "CPU_INSTALL x%u, CPU_INIT x%u, RUN_UPDATE", lab->cfg->cpus, us,
			     lab->cfg->cpus, lab->cfg->cpus);
	if (n >= 0)
		timeline_add_locked(lab, lab->stw_begin_ns, text);
}

static void on_event(void *ctx, const struct host_event *ev)
{
	static const char rejected[] = "tdx: module update rejected: ";
	struct lab *lab = ctx;
	uint64_t now = lab_now_ns(lab);
	char *text;

	pthread_mutex_lock(&lab->lock);
	switch (ev->kind) {
	case HOST_EV_LOG:
		/* The kernel decoded the module's cause; the STW line repeats it. */
		if (!strncmp(ev->text, rejected, sizeof(rejected) - 1))
			snprintf(lab->last_refusal, sizeof(lab->last_refusal), "%s",
				 ev->text + sizeof(rejected) - 1);
		if (asprintf(&text, "kernel: %s", ev->text) >= 0)
			timeline_add_locked(lab, now, text);
		break;
	case HOST_EV_STW_BEGIN:
		lab_touch(lab, LAB_FP_STOP_MACHINE);
		lab->stw_active = true;
		lab->stw_begin_ns = now;
		lab->installs_in_stw = 0;
		break;
	case HOST_EV_STAGE:
		if (ev->cpu < 0 || (unsigned int)ev->cpu >= lab->cfg->cpus)
			break;
		close_stage_locked(lab, ev->cpu, now);
		lab->stage[ev->cpu] = ev->value;
		lab->stage_begin_ns[ev->cpu] = now;
		break;
	case HOST_EV_STW_END:
		on_stw_end_locked(lab, ev->value, now);
		stw_line_locked(lab, ev->value, now);
		break;
	case HOST_EV_STW_ENTER:
		break;
	}
	pthread_mutex_unlock(&lab->lock);
}

void lab_hooks(struct lab *lab, struct tdx_host_hooks *hooks)
{
	hooks->ctx = lab;
	hooks->seamcall = on_seamcall;
	hooks->event = on_event;
}

void lab_trace_names(struct lab *lab)
{
	char name[32];

	if (!lab->trace)
		return;
	trace_name_process(lab->trace, TRACE_PID_CPUS, "CPUs");
	trace_name_process(lab->trace, TRACE_PID_TDS, "TDs");
	trace_name_process(lab->trace, TRACE_PID_OPERATOR, "operator");
	for (unsigned int cpu = 0; cpu < lab->cfg->cpus; cpu++) {
		snprintf(name, sizeof(name), "CPU %u", cpu);
		trace_name_thread(lab->trace, TRACE_PID_CPUS, (int)cpu, name);
	}
	trace_name_thread(lab->trace, TRACE_PID_OPERATOR, 0, "tdxup update");
}
