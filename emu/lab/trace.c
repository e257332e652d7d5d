// SPDX-License-Identifier: MIT
/* Chrome trace-event writer (see trace.h), built with jansson. */
#include <errno.h>
#include <stdlib.h>

#include <jansson.h>

#include "lab/trace.h"

struct trace {
	json_t *events;
};

struct trace *trace_new(void)
{
	struct trace *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->events = json_array();
	if (!t->events) {
		free(t);
		return NULL;
	}
	return t;
}

void trace_free(struct trace *t)
{
	if (!t)
		return;
	json_decref(t->events);
	free(t);
}

/* Microseconds with nanosecond precision, as the format expects. */
static json_t *us(uint64_t ns)
{
	return json_real((double)ns / 1000.0);
}

static void add(struct trace *t, json_t *ev)
{
	if (ev)
		json_array_append_new(t->events, ev);
}

void trace_name_process(struct trace *t, int pid, const char *name)
{
	add(t, json_pack("{s:s, s:s, s:i, s:i, s:{s:s}}", "name", "process_name", "ph", "M",
			 "pid", pid, "tid", 0, "args", "name", name));
}

void trace_name_thread(struct trace *t, int pid, int tid, const char *name)
{
	add(t, json_pack("{s:s, s:s, s:i, s:i, s:{s:s}}", "name", "thread_name", "ph", "M",
			 "pid", pid, "tid", tid, "args", "name", name));
}

static json_t *args_of(const char *key, const char *val)
{
	return key ? json_pack("{s:s}", key, val) : json_object();
}

void trace_slice(struct trace *t, int pid, int tid, const char *cat, const char *name,
		 uint64_t ts_ns, uint64_t dur_ns, const char *arg_key, const char *arg_val)
{
	add(t, json_pack("{s:s, s:s, s:s, s:o, s:o, s:i, s:i, s:o}", "name", name, "cat", cat,
			 "ph", "X", "ts", us(ts_ns), "dur", us(dur_ns), "pid", pid, "tid", tid,
			 "args", args_of(arg_key, arg_val)));
}

void trace_instant(struct trace *t, int pid, int tid, const char *name, uint64_t ts_ns,
		   const char *arg_key, const char *arg_val)
{
	add(t, json_pack("{s:s, s:s, s:s, s:o, s:i, s:i, s:o}", "name", name, "ph", "i", "s", "t",
			 "ts", us(ts_ns), "pid", pid, "tid", tid, "args", args_of(arg_key, arg_val)));
}

size_t trace_count(const struct trace *t)
{
	return json_array_size(t->events);
}

int trace_write(struct trace *t, FILE *f)
{
	json_t *root = json_pack("{s:O, s:s}", "traceEvents", t->events, "displayTimeUnit", "ns");
	int ret;

	if (!root)
		return -ENOMEM;
	ret = json_dumpf(root, f, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
	json_decref(root);
	if (!ret && fputc('\n', f) == EOF)
		ret = -1;
	return ret ? -EIO : 0;
}
