/* SPDX-License-Identifier: MIT */
/*
 * Chrome trace-event JSON (opens in Perfetto and chrome://tracing): one
 * process for the CPUs (a track per CPU: SEAMCALL slices, stop-the-world
 * spans with the lockstep stages nested), one for the TDs (a track per TD:
 * build phases and run steps) and one for the operator (update attempts as
 * instant events). Times are in nanoseconds here, written as microseconds.
 */
#ifndef TDXUP_LAB_TRACE_H
#define TDXUP_LAB_TRACE_H

#include <stdint.h>
#include <stdio.h>

enum trace_pid {
	TRACE_PID_CPUS = 1,
	TRACE_PID_TDS = 2,
	TRACE_PID_OPERATOR = 3,
};

struct trace;

struct trace *trace_new(void);
void trace_free(struct trace *t);

void trace_name_process(struct trace *t, int pid, const char *name);
void trace_name_thread(struct trace *t, int pid, int tid, const char *name);
/* A complete slice [ts, ts + dur). args_json may be NULL or a JSON object text. */
void trace_slice(struct trace *t, int pid, int tid, const char *cat, const char *name,
		 uint64_t ts_ns, uint64_t dur_ns, const char *arg_key, const char *arg_val);
void trace_instant(struct trace *t, int pid, int tid, const char *name, uint64_t ts_ns,
		   const char *arg_key, const char *arg_val);
size_t trace_count(const struct trace *t);

/* {"traceEvents":[...],"displayTimeUnit":"ns"}; 0 or -errno. */
int trace_write(struct trace *t, FILE *f);

#endif /* TDXUP_LAB_TRACE_H */
