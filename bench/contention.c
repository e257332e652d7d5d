// SPDX-License-Identifier: MIT
/*
 * bench/contention: how an operator's update fares against TD build churn,
 * on the lab's virtual time (deterministic: same seeds, same figures).
 *
 * Cells: build occupancy (the fraction of time at least one build is in
 * flight) 0.5 / 0.9 / 0.99 x kernel profile v8 / mainline x policy
 * oneshot (one attempt) / retry (back-off retries on device-busy) / hold
 * (the build lease: new builds wait, the ones in flight are waited for).
 * Each cell runs SEEDS seeds (argv[1], default 100). Success is "updated
 * within the 60 s virtual deadline"; times run from the operator's start
 * to its result. A build is a VMM window of BUILD_WINDOW_US (a real VMM
 * spends seconds between KVM_TDX_INIT_VM and KVM_TDX_FINALIZE_VM) plus the
 * measurement of a few pages; occupancy comes from the builder count and
 * the gap between a builder's builds (B independent builders with duty
 * cycle d give 1 - (1 - d)^B), and the measured value is printed too.
 *
 * One line per cell:
 *   occupancy=0.99 profile=v8 policy=hold success=1.000 p50_ms=... p99_ms=...
 *   wrong_mrtds=0 measured=0.990 runs=100
 * and, with a second argument FILE, the same figures as tab-separated
 * values for plotting.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab/lab.h"

#define DEADLINE_US		60000000ULL	/* success: updated within 60 s */
#define WARMUP_US		60000000ULL	/* churn before the operator starts */
#define BUILD_WINDOW_US		1000000ULL	/* the VMM's time inside the window */
#define BUILD_PAGES		4

struct occupancy {
	double target;
	unsigned int builders;
	double duty;			/* window / (window + gap) per builder */
};

static const struct occupancy occupancies[] = {
	{ 0.50, 1, 0.5 },
	{ 0.90, 2, 0.70 },		/* 1 - 0.3^2 = 0.91; measured 0.90 */
	{ 0.99, 4, 1.0 - 0.316228 },	/* 1 - 0.316^4 = 0.99 */
};

static const struct {
	const char *name;
	enum kernel_profile profile;
} profiles[] = {
	{ "v8", KERNEL_PROFILE_V8 },
	{ "mainline", KERNEL_PROFILE_MAINLINE },
};

static const char *const policies[] = { "oneshot", "retry", "hold" };

struct cell {
	unsigned int runs, ok;
	uint64_t *times_us;		/* successful runs */
	unsigned int wrong_mrtds, busy;
	double occupancy_sum;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest value with at least pct% of them at or below it. */
static double percentile_ms(uint64_t *v, unsigned int n, unsigned int pct)
{
	unsigned int i;

	if (!n)
		return NAN;
	qsort(v, n, sizeof(*v), cmp_u64);
	i = (n * pct + 99) / 100;
	return v[i ? i - 1 : 0] / 1e3;
}

static void config(struct lab_config *cfg, const struct occupancy *o, enum kernel_profile prof,
		   unsigned int policy, uint64_t seed)
{
	lab_config_init(cfg);
	cfg->name = "contention";
	cfg->seed = seed;
	cfg->cpus = 4;
	cfg->packages = 1;
	cfg->running = 0;
	cfg->builders = o->builders;
	cfg->pages = BUILD_PAGES;
	cfg->profile = prof;
	cfg->churn = true;
	cfg->build_hold_us = BUILD_WINDOW_US;
	cfg->build_gap_us = (uint64_t)(BUILD_WINDOW_US * (1.0 - o->duty) / o->duty);
	cfg->update_at_us = WARMUP_US;
	cfg->retry = policy == 0 ? LAB_RETRY_NONE : LAB_RETRY_BACKOFF;
	cfg->hold = policy == 2;
	cfg->retry_for_us = DEADLINE_US;
	/* An operator's back-off on the scale of builds of a second. */
	cfg->backoff_min_us = 50000;
	cfg->backoff_max_us = 2000000;
	cfg->quiet = true;
}

static int run_cell(const struct occupancy *o, enum kernel_profile prof, unsigned int policy,
		    unsigned int seeds, struct cell *c)
{
	memset(c, 0, sizeof(*c));
	c->times_us = calloc(seeds, sizeof(*c->times_us));
	if (!c->times_us)
		return -1;
	for (unsigned int s = 1; s <= seeds; s++) {
		struct lab_config cfg;
		struct lab_result res;

		config(&cfg, o, prof, policy, s);
		if (lab_run(&cfg, &res)) {
			fprintf(stderr, "contention: seed %u could not be set up\n", s);
			lab_result_free(&res);
			return -1;
		}
		c->runs++;
		c->wrong_mrtds += res.wrong_mrtds;
		c->busy += res.busy_rejections;
		c->occupancy_sum += res.occupancy;
		if (res.updates_applied && res.update_us <= DEADLINE_US)
			c->times_us[c->ok++] = res.update_us;
		lab_result_free(&res);
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned int seeds = argc > 1 ? (unsigned int)strtoul(argv[1], NULL, 10) : 100;
	FILE *tsv = NULL;

	if (!seeds || seeds > 100000) {
		fprintf(stderr, "usage: contention [SEEDS [TSV_FILE]]\n");
		return 2;
	}
	if (argc > 2 && !(tsv = fopen(argv[2], "w"))) {
		perror(argv[2]);
		return 1;
	}
	if (tsv)
		fprintf(tsv, "occupancy\tprofile\tpolicy\tsuccess\tp50_ms\tp99_ms\twrong_mrtds\n");
	for (size_t oi = 0; oi < sizeof(occupancies) / sizeof(occupancies[0]); oi++) {
		for (size_t pi = 0; pi < sizeof(profiles) / sizeof(profiles[0]); pi++) {
			for (unsigned int pol = 0; pol < 3; pol++) {
				const struct occupancy *o = &occupancies[oi];
				struct cell c;
				double p50, p99;

				if (run_cell(o, profiles[pi].profile, pol, seeds, &c))
					return 1;
				p50 = percentile_ms(c.times_us, c.ok, 50);
				p99 = percentile_ms(c.times_us, c.ok, 99);
				printf("occupancy=%.2f profile=%s policy=%s success=%.3f p50_ms=%.1f "
				       "p99_ms=%.1f wrong_mrtds=%u measured=%.3f busy=%u runs=%u\n",
				       o->target, profiles[pi].name, policies[pol],
				       (double)c.ok / c.runs, p50, p99, c.wrong_mrtds,
				       c.occupancy_sum / c.runs, c.busy, c.runs);
				fflush(stdout);
				if (tsv)
					fprintf(tsv, "%.2f\t%s\t%s\t%.3f\t%.1f\t%.1f\t%u\n", o->target,
						profiles[pi].name, policies[pol],
						(double)c.ok / c.runs, p50, p99, c.wrong_mrtds);
				free(c.times_us);
			}
		}
	}
	printf("build window %.0f ms + %u measured pages; deadline %.0f s; hold bound: the "
	       "longest build in flight plus the stop-the-world time\n", BUILD_WINDOW_US / 1e3,
	       BUILD_PAGES, DEADLINE_US / 1e6);
	if (tsv)
		fclose(tsv);
	return 0;
}
