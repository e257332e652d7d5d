// SPDX-License-Identifier: MIT
/*
 * bench/explore: tdxup lab --explore's throughput and reduction. For small
 * configurations under mainline with one atomic update: traces explored,
 * the number of distinct (Mazurkiewicz) traces where it is known, traces
 * per second of wall clock and per second of this process's CPU time (the
 * one-core figure: a run is a chain of token hand-offs, one thread at a
 * time), and plain depth-first search against DPOR.
 *
 * Known counts: B independent builders of S_i SEAMCALL steps and one
 * update dependent with all of them give prod(S_i + 1) traces. A running
 * TD beside them has no such closed form any more: the main thread's order
 * to stop may land before any of its steps, and whether it does depends
 * on where the update and the builds end (printed as "?").
 *
 * Output, one line per configuration. `explore --quick` skips two builders.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lab/explore.h"

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int bench(const char *name, const struct lab_config *cfg, bool no_dpor,
		 uint64_t max_traces, uint64_t known)
{
	struct lab_explore_opts o = { .preemption_bound = -1, .no_dpor = no_dpor,
				      .max_traces = max_traces };
	struct lab_explore_stats st;
	double w0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID), w, c;
	int err = lab_explore(cfg, &o, &st);

	w = clock_s(CLOCK_MONOTONIC) - w0;
	c = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
	if (err) {
		fprintf(stderr, "%s: %s\n", name, strerror(-err));
		return 1;
	}
	printf("%-34s %-6s traces=%-7llu", name, no_dpor ? "dfs" : "dpor",
	       (unsigned long long)st.traces);
	if (known)
		printf(" mazurkiewicz=%-7llu", (unsigned long long)known);
	else
		printf(" mazurkiewicz=?      ");
	printf(" complete=%s traces_per_s=%.0f traces_per_cpu_s=%.0f\n", st.complete ? "yes" : "no",
	       st.traces / w, st.traces / c);
	return 0;
}

int main(int argc, char **argv)
{
	bool quick = argc > 1 && !strcmp(argv[1], "--quick");
	struct lab_exactness ex;
	struct lab_config cfg;
	uint64_t s1;
	int bad = 0;

	lab_explore_config_init(&cfg);
	if (lab_exactness_check(&cfg, &ex)) {
		fprintf(stderr, "exactness check failed to run\n");
		return 1;
	}
	s1 = ex.s + 1;
	printf("one builder: S=%u SEAMCALL steps, window after #%u before #%u, exact=%s\n", ex.s,
	       ex.init_at, ex.finalize_at, ex.exact ? "yes" : "no");
	cfg.profile = KERNEL_PROFILE_MAINLINE;
	cfg.retry = LAB_RETRY_NONE;
	cfg.running = 0;
	bad |= bench("1 builder, update", &cfg, false, 0, s1);
	bad |= bench("1 builder, update", &cfg, true, 20 * s1, 0);
	cfg.running = 1;
	bad |= bench("1 builder, 1 running TD x2, update", &cfg, false, 0, 0);
	cfg.running = 0;
	cfg.hold = true;
	cfg.retry = LAB_RETRY_BACKOFF;
	bad |= bench("1 builder, update, hold", &cfg, false, 0, 0);
	cfg.hold = false;
	cfg.retry = LAB_RETRY_NONE;
	if (!quick) {
		/* Without leases the two builders share nothing at all. */
		cfg.builders = 2;
		cfg.vmm_leases = false;
		bad |= bench("2 builders, update", &cfg, false, 0, s1 * s1);
	}
	return bad;
}
