// SPDX-License-Identifier: MIT
/*
 * tdxup lab --explore's reports: the exactness check on the smallest
 * configuration, and the proof table (text and JSON).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lab/explore.h"
#include "tdxup/tdx_abi.h"

/* ---- the exactness check ------------------------------------------------ */

#define MAX_POSITIONS	1024

struct exact_ctx {
	unsigned int builder;		/* the builder's unit */
	struct lab_exactness *ex;
	uint8_t seen[MAX_POSITIONS];
	int err;
};

static bool is_leaf(uint64_t rax, uint16_t leaf)
{
	return rax != ~0ULL && !(rax & P_SEAMLDR_SEAMCALL_BASE) && (rax & TDX_LEAF_MASK) == leaf;
}

/*
 * The builder's SEAMCALLs in order (one per step: its VMM yields before
 * each), and how many of them ran before the first step that rewrote the
 * module: the update's position, 0..S.
 */
static void exact_trace(void *ctx, const struct lab_result *res, const struct lab_step *ev,
			unsigned int nr, const char *schedule)
{
	struct exact_ctx *x = ctx;
	struct lab_exactness *ex = x->ex;
	unsigned int calls = 0, pos = 0, init = 0, fin = 0;
	bool landed = false, in_window;

	(void)schedule;
	for (unsigned int i = 0; i < nr; i++) {
		if (ev[i].actor == x->builder && ev[i].seamcalls) {
			if (ev[i].seamcalls > 1)
				x->err = -EPROTO;	/* a step with two SEAMCALLs: no yield between */
			calls++;
			if (is_leaf(ev[i].first_rax, TDH_MNG_INIT) && !init)
				init = calls;
			if (is_leaf(ev[i].first_rax, TDH_MR_FINALIZE) && !fin)
				fin = calls;
		}
		if (!landed && (ev[i].fp & LAB_FP_MODULE_WRITE) && ev[i].actor != x->builder) {
			landed = true;
			pos = calls;
		}
	}
	if (!landed || pos >= MAX_POSITIONS) {
		x->err = -EPROTO;
		return;
	}
	if (ex->traces && (calls != ex->s || init != ex->init_at || fin != ex->finalize_at))
		x->err = -EPROTO;	/* the build must not depend on where the update lands */
	ex->s = calls;
	ex->init_at = init;
	ex->finalize_at = fin;
	ex->traces++;
	ex->positions_seen += !x->seen[pos]++;
	/* In the window: after TDH.MNG.INIT ran, before TDH.MR.FINALIZE did. */
	in_window = pos >= init && pos < fin;
	ex->wrong += res->wrong_mrtds > 0;
	ex->in_window += in_window;
	ex->wrong_not_in_window += res->wrong_mrtds > 0 && !in_window;
	ex->in_window_not_wrong += in_window && !res->wrong_mrtds;
}

int lab_exactness_check(const struct lab_config *base, struct lab_exactness *ex)
{
	struct lab_config cfg = *base;
	struct exact_ctx x = { .ex = ex };
	struct lab_explore_opts o = { .preemption_bound = -1, .on_trace = exact_trace, .ctx = &x };
	struct lab_explore_stats st;
	int err;

	memset(ex, 0, sizeof(*ex));
	cfg.builders = 1;
	cfg.running = 0;
	cfg.updates = 1;
	cfg.profile = KERNEL_PROFILE_MAINLINE;
	cfg.retry = LAB_RETRY_NONE;
	cfg.hold = false;
	cfg.nr_faults = 0;
	/* Units: 0 the lab, 1 the builder, 2 the operator. */
	x.builder = 1;
	err = lab_explore(&cfg, &o, &st);
	if (!err)
		err = x.err;
	if (err)
		return err;
	ex->exact = st.complete && ex->traces == ex->s + 1ULL && ex->positions_seen == ex->traces &&
		    !ex->wrong_not_in_window && !ex->in_window_not_wrong &&
		    ex->wrong == ex->in_window && ex->init_at && ex->finalize_at > ex->init_at;
	return 0;
}

/* ---- the promises -------------------------------------------------------- */

/*
 * What a row promises, whatever the order of the steps (the exit status of
 * --explore, its --help and docs/architecture.md say the same):
 *
 * - No module lost, no TD lost, no failed update: nothing fails unless a
 *   fault is armed, and none is unless the configuration arms one.
 * - No wrong MRTD, except under mainline without the hold: that row is the
 *   erratum itself (nothing refuses the update, nothing holds the builds).
 * - No failed build, except under detect without the hold: detect fails the
 *   build an update straddled (it is rebuilt); every other row must keep
 *   builds out of the update or let them finish.
 * - No SHUTDOWN refused under the hold: the hold drained every build before
 *   the upload, so v8's refusal found one in its window only if a build got
 *   past the hold.
 * - No busy outcome where nothing can make one: mainline and detect without
 *   the hold (nothing refuses, nothing holds). Under v8 busy is the retry
 *   budget running out while windows open; under the hold it is the drain's
 *   timeout. Both changed nothing.
 */
struct harm_out {
	char *p;
	size_t left;
	unsigned int n;
};

static void harm(struct harm_out *h, uint64_t traces, const char *what)
{
	int w;

	if (!traces)
		return;
	h->n++;
	if (!h->p || !h->left)
		return;
	w = snprintf(h->p, h->left, "%s%llu trace(s) %s", h->n > 1 ? "; " : "",
		     (unsigned long long)traces, what);
	if (w < 0 || (size_t)w >= h->left)
		w = (int)h->left - 1;
	h->p += w;
	h->left -= (size_t)w;
}

unsigned int lab_proof_harm(const struct lab_config *cfg, const struct lab_proof_row *r,
			    char *why, size_t len)
{
	const struct lab_explore_stats *s = &r->st;
	bool hold = !strcmp(r->policy, "hold");
	struct harm_out h = { why, why ? len : 0, 0 };

	if (why && len)
		why[0] = '\0';
	if (!cfg->nr_faults) {
		harm(&h, s->lost, "with the module lost");
		harm(&h, s->failed, "with the update failed");
		harm(&h, s->other, "with an outcome that is neither applied, busy, failed nor lost");
	}
	harm(&h, s->td_lost_traces, "with a TD lost");
	if (hold || r->profile != KERNEL_PROFILE_MAINLINE)
		harm(&h, s->wrong_mrtd_traces, "with a wrong MRTD");
	if (hold || r->profile != KERNEL_PROFILE_DETECT)
		harm(&h, s->failed_build_traces, "with a failed build");
	if (hold)
		harm(&h, s->refused_traces, "with a SHUTDOWN refused under the hold");
	if (!hold && r->profile != KERNEL_PROFILE_V8)
		harm(&h, s->busy, "busy where nothing refuses");
	harm(&h, s->late_reg_traces, "with a builder registered under the hold it took the "
	     "gate under");
	return h.n;
}

/* ---- the proof table ---------------------------------------------------- */

static const char *yes(bool b)
{
	return b ? "yes" : "NO";
}

void lab_print_proof(FILE *f, const struct lab_config *cfg, const struct lab_proof_row *rows,
		     unsigned int n, const struct lab_exactness *ex)
{
	char why[512];

	fprintf(f, "exploration of %u builder(s) x %u page(s), %u running TD(s) x %u step(s), "
		"%u update(s), %u CPUs: every order of SEAMCALL-level steps, the operator's\n"
		"timed waits woken or timed out (the lease's waits untimed)\n\n",
		cfg->builders, cfg->pages, cfg->running, cfg->runner_steps, cfg->updates, cfg->cpus);
	fprintf(f, "  %-9s %-8s %8s %8s %6s %6s %5s %10s %8s %6s %9s %9s\n", "profile", "policy",
		"traces", "applied", "busy", "failed", "lost", "wrong-MRTD", "failed-b",
		"TDlost", "complete", "seconds");
	for (unsigned int i = 0; i < n; i++) {
		const struct lab_explore_stats *s = &rows[i].st;

		fprintf(f, "  %-9s %-8s %8llu %8llu %6llu %6llu %5llu %10llu %8llu %6llu %9s %9.2f\n",
			kernel_profile_name(rows[i].profile), rows[i].policy,
			(unsigned long long)s->traces, (unsigned long long)s->updated,
			(unsigned long long)s->busy, (unsigned long long)s->failed,
			(unsigned long long)s->lost, (unsigned long long)s->wrong_mrtd_traces,
			(unsigned long long)s->failed_build_traces,
			(unsigned long long)s->td_lost_traces, yes(s->complete), s->seconds);
	}
	fprintf(f, "\n  (columns count traces: the update applied, refused busy, failed, module\n"
		"   lost; traces with a wrong MRTD, with a failed build, with a TD lost)\n");
	for (unsigned int i = 0; i < n; i++) {
		const struct lab_explore_stats *s = &rows[i].st;

		if (!s->complete)
			fprintf(f, "  %s/%s: NOT complete:%s%s%s\n",
				kernel_profile_name(rows[i].profile), rows[i].policy,
				s->hit_max_traces ? " stopped at --max-traces" : "",
				s->hit_preemption_bound ? " cut by --preemption-bound" : "",
				s->diverged ? " a run did not repeat" : "");
		if (s->first_wrong[0])
			fprintf(f, "  %s/%s: first wrong MRTD: --replay %s\n",
				kernel_profile_name(rows[i].profile), rows[i].policy, s->first_wrong);
		if (lab_proof_harm(cfg, &rows[i], why, sizeof(why)))
			fprintf(f, "  %s/%s: HARM it promises never to show: %s\n",
				kernel_profile_name(rows[i].profile), rows[i].policy, why);
	}
	if (!ex)
		return;
	fprintf(f, "\nexactness (1 builder, 1 atomic update, mainline): S = %u SEAMCALLs, "
		"window after #%u (TDH.MNG.INIT) before #%u (TDH.MR.FINALIZE)\n"
		"  traces %llu (S+1 = %u), update positions %llu, wrong MRTD %llu, "
		"in window %llu: %s\n", ex->s, ex->init_at, ex->finalize_at,
		(unsigned long long)ex->traces, ex->s + 1, (unsigned long long)ex->positions_seen,
		(unsigned long long)ex->wrong, (unsigned long long)ex->in_window,
		ex->exact ? "EXACT" : "NOT EXACT");
}

static json_t *row_json(const struct lab_config *cfg, const struct lab_proof_row *r)
{
	const struct lab_explore_stats *s = &r->st;
	char why[512];
	unsigned int harms = lab_proof_harm(cfg, r, why, sizeof(why));

	return json_pack("{s:s, s:s, s:I, s:I, s:{s:I, s:I, s:I, s:I, s:I}, s:I, s:I, s:I, s:I, "
			 "s:I, s:I, s:I, s:b, s:b, s:b, s:f, s:i, s:s?, s:i, s:s?}",
			 "profile", kernel_profile_name(r->profile), "policy", r->policy,
			 "traces", (json_int_t)s->traces, "redundant_runs", (json_int_t)s->redundant,
			 "outcomes", "updated", (json_int_t)s->updated, "busy", (json_int_t)s->busy,
			 "failed", (json_int_t)s->failed, "lost", (json_int_t)s->lost,
			 "other", (json_int_t)s->other,
			 "wrong_mrtd_traces", (json_int_t)s->wrong_mrtd_traces,
			 "wrong_mrtd_builds", (json_int_t)s->wrong_mrtd_builds,
			 "failed_build_traces", (json_int_t)s->failed_build_traces,
			 "failed_builds", (json_int_t)s->failed_builds,
			 "td_lost_traces", (json_int_t)s->td_lost_traces,
			 "refused_traces", (json_int_t)s->refused_traces,
			 "late_registration_traces", (json_int_t)s->late_reg_traces,
			 "complete", s->complete,
			 "hit_max_traces", s->hit_max_traces,
			 "hit_preemption_bound", s->hit_preemption_bound, "seconds", s->seconds,
			 "max_depth", (int)s->max_depth,
			 "first_wrong_schedule", s->first_wrong[0] ? s->first_wrong : NULL,
			 "harms", (int)harms, "harm", harms ? why : NULL);
}

int lab_print_proof_json(FILE *f, const struct lab_config *cfg,
			 const struct lab_proof_row *rows, unsigned int n,
			 const struct lab_exactness *ex)
{
	json_t *root = json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:[]}", "builders", (int)cfg->builders,
				 "pages", (int)cfg->pages, "running", (int)cfg->running,
				 "runner_steps", (int)cfg->runner_steps, "updates", (int)cfg->updates,
				 "cpus", (int)cfg->cpus, "rows");
	int err = root ? 0 : -ENOMEM;

	for (unsigned int i = 0; i < n && !err; i++)
		err = json_array_append_new(json_object_get(root, "rows"), row_json(cfg, &rows[i])) ?
		      -ENOMEM : 0;
	if (!err && ex)
		err = json_object_set_new(root, "exactness",
					  json_pack("{s:i, s:i, s:i, s:I, s:I, s:I, s:I, s:b}",
						    "s", (int)ex->s, "init_at", (int)ex->init_at,
						    "finalize_at", (int)ex->finalize_at,
						    "traces", (json_int_t)ex->traces,
						    "positions", (json_int_t)ex->positions_seen,
						    "wrong", (json_int_t)ex->wrong,
						    "in_window", (json_int_t)ex->in_window,
						    "exact", ex->exact)) ? -ENOMEM : 0;
	if (!err && json_dumpf(root, f, JSON_INDENT(2)))
		err = -EIO;
	if (!err)
		fputc('\n', f);
	json_decref(root);
	return err;
}
