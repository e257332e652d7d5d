// SPDX-License-Identifier: MIT
/*
 * Stateless model checking of a lab scenario (explore.h): every run boots a
 * fresh host and runs lab_run under this file's choice driver; the tree of
 * choices is walked depth first with dynamic partial-order reduction:
 * Flanagan-Godefroid's backtracking on races, with source sets and sleep
 * sets (Abdulla et al. 2014, algorithm 1). Nothing is kept between runs but
 * the stack of choice points: runs repeat because the lab is deterministic
 * given its choices, and a prefix that does not repeat is reported.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lab/explore.h"
#include "tdxup/plant.h"
#include "tdxup/tdx_abi.h"

#define MAXA		64		/* actors, as bits of a uint64_t */
#define NO_ACTOR	0xFFFFu

/*
 * ---- the dependence relation -------------------------------------------
 *
 * A step is what one unit (an actor, or the operator with its fw_upload
 * worker) does between two choice points: at most one SEAMCALL for a TD's
 * VMM (it yields before each), at most one lease file operation for anyone
 * (src/lease/ calls the lease clock's point hook before each: lab.c), and
 * for the operator at most one write of the device's loading, the step of
 * loading=0 holding the kernel's whole run of the update with its
 * stop_machine (the unit keeps the token while its worker lives). Two steps
 * of one unit are ordered by the program. Steps of two units are dependent
 * when swapping them could change what either does or leaves behind:
 *
 * - Operations on the same TD are dependent. Only its VMM's unit makes
 *   SEAMCALLs on a TD, so that is program order; the update touches every
 *   TD and is covered by the next rule.
 * - The module's global state (sys_state, td_build_count, the key IDs, the
 *   handoff) makes every SEAMCALL dependent with a step that rewrites it:
 *   SHUTDOWN, P-SEAMLDR INSTALL, UPDATE (and the SYS.*INIT/CONFIG leaves
 *   that follow an install). Under v8 SHUTDOWN reads td_build_count; under
 *   mainline the update rewrites the layout every in-flight TD's TDCS is
 *   read with.
 * - stop_machine is dependent with every SEAMCALL: no SEAMCALL runs while
 *   it holds the CPUs, so it lands before or after each one.
 * - A step ending in a join and the end of another unit (ev_dependent);
 *   the main thread's order to stop with a running TD's steps, which read
 *   it at their start.
 * - Lease operations are dependent when they meet on one file with at
 *   least one of them changing it: a probe of hold with the hold's rename
 *   or unlink; a gate LOCK_SH attempt or drop with a LOCK_EX attempt or
 *   drop (two LOCK_SH commute, and one operator takes LOCK_EX); an entry's
 *   link or removal with a scan of builds/, which reads every entry and
 *   reclaims the dead. Two builders' operations commute: they probe,
 *   share the gate and touch distinct entries.
 * - A builder's upload probe reads the device that the operator's writes
 *   of loading (and the kernel's run of an update after loading=0) change.
 * - Everything else commutes. In particular two builders' SEAMCALLs on
 *   different TDs: td_build_count moves by +1/-1, which commutes, and the
 *   key IDs two creations get are swapped, which no TD can tell (the
 *   module treats every HKID alike). Reads of the module's state by the
 *   operator's pre-checks (SYS.RD, SEAMLDR.INFO) commute with TD SEAMCALLs.
 *
 * A waiting unit (sched.h: it relaxed or slept) polls for something: it is
 * enabled again by a later step of another unit that writes what its poll
 * read (wakes(), a sub-relation of the dependence: waking is a dependence).
 * A TD SEAMCALL writes its own TD only, which nobody polls; a refused
 * SHUTDOWN read td_build_count, which only the steps that open or close a
 * build window write. A step that itself ends waiting (a poll that found
 * nothing to do) wakes nobody. When nothing is enabled the earliest waiter
 * by virtual time resumes (its deadline may have passed).
 *
 * Timeouts. A wait with a deadline (the operator's back-off and polls,
 * lab_sched_sleep_timed) is also enabled unwoken: it may time out before
 * any other unit's next step, since any of them can be slower than the
 * timeout. A refusal retried that way finds the same count but spends
 * retry budget, and the deadline reads the clock: once chosen so, the unit
 * goes on timing out back to back (forced points, no choice) until it is
 * out of budget or does something else. Whether the others step before its
 * first timeout or its k-th only changes how much budget is left, so a
 * race inside such a run is reversed at the run's start, where both
 * successors are offered again (race_at). The lease's waits (the hold's
 * drain, a builder's wait for the hold or for the device) stay untimed:
 * they resume when a step that writes what they poll wakes them, or at a
 * standstill.
 */
/* a writes what b reads or writes, either way round. */
static bool conflict(uint32_t a, uint32_t b, uint32_t w, uint32_t r)
{
	return ((a & w) && (b & (w | r))) || ((b & w) && (a & r));
}

static bool fp_dependent(uint32_t a, uint32_t b)
{
	if (((a & LAB_FP_MODULE_WRITE) && (b & (LAB_FP_SEAMCALL | LAB_FP_MODULE_WRITE))) ||
	    ((b & LAB_FP_MODULE_WRITE) && (a & LAB_FP_SEAMCALL)))
		return true;
	if (((a & LAB_FP_STOP_MACHINE) && (b & (LAB_FP_SEAMCALL | LAB_FP_STOP_MACHINE))) ||
	    ((b & LAB_FP_STOP_MACHINE) && (a & LAB_FP_SEAMCALL)))
		return true;
	if (((a & LAB_FP_BUILDS) && (b & LAB_FP_BUILDS_READ)) ||
	    ((b & LAB_FP_BUILDS) && (a & LAB_FP_BUILDS_READ)))
		return true;
	return conflict(a, b, LAB_FP_UPLOAD, LAB_FP_UPLOAD_READ) ||
	       conflict(a, b, LAB_FP_HOLD_WRITE, LAB_FP_HOLD_READ) ||
	       conflict(a, b, LAB_FP_GATE_EXCL, LAB_FP_GATE_SHARED) ||
	       (conflict(a, b, LAB_FP_SCAN, LAB_FP_ENTRY) && !tdxup_planted(PLANT_DEP_DROPPED)) ||
	       conflict(a, b, LAB_FP_STOP, LAB_FP_STOP_READ);
}

static bool dependent(unsigned int ua, uint32_t a, unsigned int ub, uint32_t b)
{
	return ua == ub || fp_dependent(a, b);
}

/* Whether step s writes what the waiting unit's poll w read. */
static bool wakes(uint32_t w, uint32_t s)
{
	return ((w & LAB_FP_SEAMCALL) && (s & LAB_FP_MODULE_WRITE)) ||
	       ((w & LAB_FP_BUILDS_READ) && (s & LAB_FP_BUILDS)) ||
	       ((w & LAB_FP_UPLOAD_READ) && (s & LAB_FP_UPLOAD)) ||
	       ((w & LAB_FP_HOLD_READ) && (s & LAB_FP_HOLD_WRITE)) ||
	       ((w & LAB_FP_GATE_SHARED) && (s & LAB_FP_GATE_EXCL)) ||
	       ((w & LAB_FP_GATE_EXCL) && (s & LAB_FP_GATE_SHARED)) ||
	       ((w & LAB_FP_SCAN) && (s & LAB_FP_ENTRY));
}

uint32_t lab_explore_seamcall_fp(uint64_t rax, uint64_t status)
{
	if (rax & P_SEAMLDR_SEAMCALL_BASE)
		return LAB_FP_SEAMCALL | (rax == SEAMLDR_INSTALL ? LAB_FP_MODULE_WRITE : 0);
	switch (rax & TDX_LEAF_MASK) {
	case TDH_SYS_SHUTDOWN:
		/* v8's refusal happens before the module changes anything. */
		if (status != TDX_SUCCESS)
			return LAB_FP_SEAMCALL | LAB_FP_BUILDS_READ;
		return LAB_FP_SEAMCALL | LAB_FP_MODULE_WRITE;
	case TDH_MNG_INIT: case TDH_MR_FINALIZE: case TDH_MNG_VPFLUSHDONE:
		return LAB_FP_SEAMCALL | LAB_FP_TD | LAB_FP_BUILDS;
	case TDH_SYS_UPDATE: case TDH_SYS_INIT: case TDH_SYS_LP_INIT:
	case TDH_SYS_CONFIG: case TDH_SYS_KEY_CONFIG: case TDH_SYS_TDMR_INIT:
	case TDH_SYS_LP_SHUTDOWN:
		return LAB_FP_SEAMCALL | LAB_FP_MODULE_WRITE;
	case TDH_SYS_RD: case TDH_SYS_RDALL: case TDH_SYS_INFO:
		return LAB_FP_SEAMCALL;
	}
	return LAB_FP_SEAMCALL | LAB_FP_TD;
}

/* ---- the stack of choice points ---------------------------------------- */

struct ex_event {
	struct lab_step step;		/* the chosen unit's step from this node */
	bool after_join;		/* it resumed from a join */
};

struct ex_node {
	uint64_t enabled, backtrack, done, sleep;
	uint16_t chosen, prev;		/* prev: the unit of the step before */
	bool prev_runnable;		/* prev could have gone on: switching is a preemption */
	bool forced;			/* a timing-out unit going on: no choice here */
	unsigned int preemptions;	/* before this node's choice */
	uint32_t sleep_fp[MAXA], done_fp[MAXA];
	struct ex_event ev;
};

struct explorer {
	const struct lab_explore_opts *o;
	struct ex_node *nodes;
	size_t nr, cap;			/* nodes on the stack */
	size_t prefix;			/* nodes replayed by this run */
	size_t depth;			/* this run's next node */
	bool blocked, diverged, bounded, overflow;
	/* Per run: who waits, and whether a dependent step woke it. */
	bool woken[MAXA];
	uint32_t wait_fp[MAXA];
	uint16_t last;			/* the unit that ran last */
	/* The unit resumed by its timeout: it goes on timing out ("Timeouts" above). */
	uint16_t timing_out;
	uint64_t timeout_only;		/* this point: units enabled by a timeout alone */
	bool forced;			/* this point is such a unit's continuation */
	/* Replay: the schedule's choices, and where we are in them. */
	const uint16_t *want;
	size_t nr_want, pos;
	bool replay, misfit;
	size_t misfit_at;		/* the choice that did not fit first */
	/* A swap check's run: a choice at every point, each step kept in nodes. */
	bool full;
	const struct lab_config *cfg;
};

static unsigned int lowest(uint64_t m)
{
	return (unsigned int)__builtin_ctzll(m);
}

static int grow(struct explorer *x)
{
	struct ex_node *n;
	size_t cap;

	if (x->nr < x->cap)
		return 0;
	cap = x->cap ? x->cap * 2 : 256;
	n = realloc(x->nodes, cap * sizeof(*n));
	if (!n)
		return -ENOMEM;
	x->nodes = n;
	x->cap = cap;
	return 0;
}

/* The step that just ended: it is the event of the node it was chosen at. */
static void record_step(struct explorer *x, const struct lab_step *st)
{
	struct ex_event ev = { .step = *st };
	uint16_t u = (uint16_t)st->actor;

	if (u >= MAXA)
		return;
	if ((!x->replay || x->full) && x->depth && x->depth <= x->nr && !x->blocked) {
		struct ex_node *n = &x->nodes[x->depth - 1];

		ev.after_join = n->ev.after_join;
		n->ev = ev;
	}
	if (st->how == LAB_YIELD_WAIT) {
		x->woken[u] = false;
		x->wait_fp[u] = st->fp;
		return;
	}
	for (unsigned int w = 0; w < MAXA; w++)
		if (w != u && !x->woken[w] && wakes(x->wait_fp[w], st->fp))
			x->woken[w] = true;
}

/* Enabled units as a mask; a standstill resumes the earliest waiter. */
static uint64_t enabled_set(struct explorer *x, const struct lab_choice *c)
{
	uint64_t e = 0, best_ns = UINT64_MAX;
	unsigned int best = 0;

	x->timeout_only = 0;
	x->forced = false;
	for (unsigned int i = 0; i < c->nr; i++) {
		unsigned int a = c->actor[i];
		bool waits;

		if (a >= MAXA) {
			x->overflow = true;
			continue;
		}
		waits = c->how[i] == LAB_YIELD_WAIT && !x->woken[a];
		if (waits && c->timed[i] && a == x->timing_out) {
			x->timeout_only = 1ULL << a;
			x->forced = true;
			return 1ULL << a;	/* its timeouts run back to back */
		}
		if (waits && c->timed[i])
			x->timeout_only |= 1ULL << a;
		if (!waits || c->timed[i])
			e |= 1ULL << a;
		else if (c->wake_ns[i] < best_ns) {
			best_ns = c->wake_ns[i];
			best = a;
		}
	}
	if (!e && best_ns != UINT64_MAX) {
		x->woken[best] = true;
		e = 1ULL << best;
	}
	return e;
}

/* Non-preemptive by default: the unit that ran goes on if it may. */
static unsigned int default_choice(const struct explorer *x, uint64_t allowed)
{
	if (x->last < MAXA && (allowed >> x->last & 1))
		return x->last;
	return lowest(allowed);
}

static void new_node(struct explorer *x, uint64_t e, bool last_runnable)
{
	struct ex_node *n = &x->nodes[x->nr++];

	memset(n, 0, offsetof(struct ex_node, sleep_fp));
	n->enabled = e;
	n->forced = x->forced;
	n->prev = x->last;
	n->prev_runnable = last_runnable;
	if (x->nr > 1) {
		const struct ex_node *p = &x->nodes[x->nr - 2];
		uint64_t cand = (p->sleep | p->done) & ~(1ULL << p->chosen);

		n->preemptions = p->preemptions +
				 (p->prev_runnable && p->chosen != p->prev);
		if (x->o->no_dpor)
			return;		/* plain search: no sleep sets either */
		/* Sleep sets: what slept or was done stays asleep past an independent step. */
		for (; cand; cand &= cand - 1) {
			unsigned int q = lowest(cand);
			uint32_t fq = (p->sleep >> q & 1) ? p->sleep_fp[q] : p->done_fp[q];

			if (!dependent(q, fq, p->ev.step.actor, p->ev.step.fp)) {
				n->sleep |= 1ULL << q;
				n->sleep_fp[q] = fq;
			}
		}
	}
}

static bool preempts(const struct ex_node *n, unsigned int q)
{
	return n->prev_runnable && q != n->prev;
}

static void add_backtrack(struct explorer *x, struct ex_node *n, uint64_t want);

static unsigned int choose_new(struct explorer *x, uint64_t e, bool last_runnable)
{
	struct ex_node *n;
	uint64_t allowed;
	unsigned int q;

	if (x->blocked || grow(x)) {
		x->blocked = true;
		return default_choice(x, e);
	}
	new_node(x, e, last_runnable);
	n = &x->nodes[x->nr - 1];
	allowed = e & ~n->sleep;
	if (!allowed) {
		/* Sleep-set blocked: every continuation was explored elsewhere. */
		x->blocked = true;
		x->nr--;
		return default_choice(x, e);
	}
	q = default_choice(x, allowed);
	if (x->o->preemption_bound >= 0 && preempts(n, q) &&
	    n->preemptions >= (unsigned int)x->o->preemption_bound) {
		x->bounded = true;
		x->blocked = true;
		x->nr--;
		return default_choice(x, e);
	}
	n->chosen = (uint16_t)q;
	n->backtrack = 1ULL << q;
	if (x->o->no_dpor)
		add_backtrack(x, n, allowed);
	return q;
}

static unsigned int choose_replay(struct explorer *x, uint64_t e)
{
	unsigned int q;

	if (__builtin_popcountll(e) < 2 && !x->full)
		return lowest(e);
	if (x->pos >= x->nr_want) {
		if (!x->misfit)
			x->misfit_at = x->pos;
		x->misfit = true;
		return default_choice(x, e);
	}
	q = x->want[x->pos++];
	if (q >= MAXA || !(e >> q & 1)) {
		if (!x->misfit)
			x->misfit_at = x->pos - 1;
		x->misfit = true;
		return default_choice(x, e);
	}
	return q;
}

static unsigned int ex_choose(void *ctx, const struct lab_choice *c)
{
	struct explorer *x = ctx;
	bool last_runnable = false;
	unsigned int q, i;
	uint64_t e;

	if (c->step && x->last != NO_ACTOR)
		record_step(x, c->step);
	if (c->final)
		return 0;
	e = enabled_set(x, c);
	if (x->last < MAXA)
		last_runnable = (e >> x->last & 1) && c->step && c->step->how == LAB_YIELD_PREEMPT;
	if (x->full && x->depth < x->nr)
		x->nodes[x->depth].enabled = e;
	if (x->replay)
		q = choose_replay(x, e);
	else if (x->depth < x->prefix) {
		struct ex_node *n = &x->nodes[x->depth];

		if (n->enabled != e)
			x->diverged = true;
		q = n->chosen;
		if (!(e >> q & 1))
			q = default_choice(x, e);
	} else {
		q = choose_new(x, e, last_runnable);
	}
	for (i = 0; i < c->nr && c->actor[i] != q; i++)
		;
	if (i == c->nr)
		i = 0;
	if (!x->replay && !x->blocked && x->depth < x->nr)
		x->nodes[x->depth].ev.after_join = c->how[i] == LAB_YIELD_JOIN;
	x->depth++;
	x->last = (uint16_t)c->actor[i];
	x->timing_out = (x->timeout_only >> x->last & 1) ? x->last : NO_ACTOR;
	return i;
}

static void run_reset(struct explorer *x)
{
	x->depth = 0;
	x->blocked = x->bounded = false;
	x->last = NO_ACTOR;
	x->timing_out = NO_ACTOR;
	x->timeout_only = 0;
	memset(x->woken, 0, sizeof(x->woken));
	memset(x->wait_fp, 0, sizeof(x->wait_fp));
	x->pos = 0;
}

static int run_once(struct explorer *x, const struct lab_config *base, struct lab_result *res)
{
	struct lab_chooser ch = { x, ex_choose };
	struct lab_config cfg = *base;

	run_reset(x);
	cfg.chooser = &ch;
	cfg.quiet = true;
	return lab_run(&cfg, res);
}

/* ---- races (source-DPOR over the trace just run) ------------------------ */

struct hb {
	size_t n, words;
	uint64_t *bits;			/* n rows: the events before each, transitively */
};

static bool ev_dependent(const struct ex_event *a, const struct ex_event *b)
{
	/*
	 * A join resumes after the joined unit finished; a step that ends in a
	 * join blocks or goes on depending on whether it has: a join is
	 * dependent with the end of a unit either way round (the swap check
	 * found the second).
	 */
	if ((a->step.how == LAB_YIELD_DONE && b->after_join) ||
	    (a->step.how == LAB_YIELD_DONE && b->step.how == LAB_YIELD_JOIN) ||
	    (b->step.how == LAB_YIELD_DONE && a->step.how == LAB_YIELD_JOIN))
		return true;
	return dependent(a->step.actor, a->step.fp, b->step.actor, b->step.fp);
}

static bool bit(const uint64_t *row, size_t i)
{
	return row[i / 64] >> (i % 64) & 1;
}

static int hb_build(struct hb *h, const struct ex_node *nodes, size_t n)
{
	h->n = n;
	h->words = (n + 63) / 64;
	h->bits = calloc(n * h->words + 1, sizeof(uint64_t));
	if (!h->bits)
		return -ENOMEM;
	for (size_t j = 0; j < n; j++) {
		uint64_t *row = h->bits + j * h->words;

		for (size_t i = 0; i < j; i++) {
			const uint64_t *ri = h->bits + i * h->words;

			if (bit(row, i) || !ev_dependent(&nodes[i].ev, &nodes[j].ev))
				continue;
			row[i / 64] |= 1ULL << (i % 64);
			for (size_t w = 0; w < h->words; w++)
				row[w] |= ri[w];
		}
	}
	return 0;
}

/* i races with j: dependent, other units, nothing between orders them. */
static bool is_race(const struct hb *h, const struct ex_node *nodes, size_t i, size_t j)
{
	const uint64_t *rj = h->bits + j * h->words;

	if (nodes[i].ev.step.actor == nodes[j].ev.step.actor ||
	    !ev_dependent(&nodes[i].ev, &nodes[j].ev))
		return false;
	for (size_t k = i + 1; k < j; k++)
		if (bit(rj, k) && bit(h->bits + k * h->words, i))
			return false;
	return true;
}

/*
 * The units that can start v = notdep(i).proc(j) (the events after i not
 * ordered after it, then j): those whose first event in v has nothing of v
 * before it.
 */
static uint64_t initials(const struct hb *h, const struct ex_node *nodes, size_t i, size_t j,
			 uint64_t *scratch)
{
	uint64_t seen = 0, init = 0;

	memset(scratch, 0, h->words * sizeof(uint64_t));
	for (size_t k = i + 1; k <= j; k++) {
		const uint64_t *rk = h->bits + k * h->words;
		unsigned int a = nodes[k].ev.step.actor;
		bool free = true;

		if (k < j && bit(rk, i))
			continue;
		if (a < MAXA && !(seen >> a & 1)) {
			for (size_t w = 0; w < h->words && free; w++)
				free = !(rk[w] & scratch[w]);
			seen |= 1ULL << a;
			if (free)
				init |= 1ULL << a;
		}
		scratch[k / 64] |= 1ULL << (k % 64);
	}
	return init;
}

static void add_backtrack(struct explorer *x, struct ex_node *n, uint64_t want)
{
	for (; want; want &= want - 1) {
		unsigned int q = lowest(want);

		if (x->o->preemption_bound >= 0 && preempts(n, q) &&
		    n->preemptions >= (unsigned int)x->o->preemption_bound) {
			x->bounded = true;
			continue;
		}
		n->backtrack |= 1ULL << q;
	}
}

static void race_at(struct explorer *x, const struct hb *h, size_t i, size_t j, uint64_t *scr)
{
	uint64_t init = initials(h, x->nodes, i, j, scr), cand;
	unsigned int p = x->nodes[j].ev.step.actor;
	struct ex_node *n;

	/*
	 * A race with a timeout in a back-to-back run is reversed where the run
	 * began: whether the others step before the first timeout or before the
	 * k-th only changes how much of the budget is left, and the run's start
	 * offers both successors again.
	 */
	while (i && x->nodes[i].forced)
		i--;
	n = &x->nodes[i];

	if (init & (n->backtrack | n->sleep))
		return;
	cand = init & n->enabled;
	if (cand)
		add_backtrack(x, n, (cand >> p & 1) ? 1ULL << p : 1ULL << lowest(cand));
	else
		add_backtrack(x, n, n->enabled & ~n->sleep);
}

static int analyse(struct explorer *x)
{
	size_t n = x->nr;
	struct hb h;
	uint64_t *scratch;
	int err = hb_build(&h, x->nodes, n);

	if (err)
		return err;
	scratch = calloc(h.words + 1, sizeof(uint64_t));
	if (!scratch) {
		free(h.bits);
		return -ENOMEM;
	}
	for (size_t j = 1; j < n; j++)
		for (size_t i = 0; i < j; i++)
			if (is_race(&h, x->nodes, i, j))
				race_at(x, &h, i, j, scratch);
	free(scratch);
	free(h.bits);
	return 0;
}

/* The deepest node with something left to explore becomes the new choice. */
static bool backtrack(struct explorer *x)
{
	while (x->nr) {
		struct ex_node *n = &x->nodes[x->nr - 1];
		uint64_t left;

		n->done |= 1ULL << n->chosen;
		n->done_fp[n->chosen] = n->ev.step.fp;
		left = n->backtrack & n->enabled & ~n->done & ~n->sleep;
		if (left) {
			n->chosen = (uint16_t)lowest(left);
			x->prefix = x->nr;
			return true;
		}
		x->nr--;
	}
	return false;
}

/* ---- schedules: the choices at points with two or more enabled ---------- */

static void schedule_string(const struct explorer *x, char *out, size_t len)
{
	size_t o = 0, i = 0, j;

	out[0] = '\0';
	for (;;) {
		unsigned int q, count = 0;
		int w;

		while (i < x->nr && __builtin_popcountll(x->nodes[i].enabled) < 2)
			i++;
		if (i == x->nr)
			return;
		q = x->nodes[i].chosen;
		/* Run-length: the same unit chosen at the next non-trivial points. */
		for (j = i; j < x->nr; j++) {
			if (__builtin_popcountll(x->nodes[j].enabled) < 2)
				continue;
			if (x->nodes[j].chosen != q)
				break;
			count++;
		}
		w = count > 1 ? snprintf(out + o, len - o, "%s%ux%u", o ? "." : "", q, count) :
				snprintf(out + o, len - o, "%s%u", o ? "." : "", q);
		if (w < 0 || (size_t)w >= len - o) {
			out[0] = '\0';
			return;
		}
		o += (size_t)w;
		i = j;
	}
}

/* "3x5.2.3x12" into choices; -EINVAL when it is not one. */
static int parse_schedule(const char *s, uint16_t **out, size_t *nr)
{
	size_t cap = 0, n = 0;
	uint16_t *v = NULL;

	while (*s) {
		char *end;
		unsigned long q = strtoul(s, &end, 10), count = 1;

		if (end == s || q >= MAXA)
			goto bad;
		s = end;
		if (*s == 'x') {
			count = strtoul(s + 1, &end, 10);
			if (end == s + 1 || !count || count > 1000000)
				goto bad;
			s = end;
		}
		if (*s == '.' && s[1])
			s++;
		else if (*s)
			goto bad;
		if (n + count > cap) {
			uint16_t *b;

			cap = (n + count) * 2;
			b = realloc(v, cap * sizeof(*v));
			if (!b) {
				free(v);
				return -ENOMEM;
			}
			v = b;
		}
		while (count--)
			v[n++] = (uint16_t)q;
	}
	*out = v;
	*nr = n;
	return 0;
bad:
	free(v);
	return -EINVAL;
}

/* ---- the driver --------------------------------------------------------- */

static void count_trace(struct lab_explore_stats *st, const struct lab_result *res,
			const char *schedule)
{
	st->traces++;
	if (!strcmp(res->outcome, "updated"))
		st->updated++;
	else if (!strcmp(res->outcome, "busy"))
		st->busy++;
	else if (!strcmp(res->outcome, "failed"))
		st->failed++;
	else if (!strcmp(res->outcome, "lost"))
		st->lost++;
	else
		st->other++;
	if (res->wrong_mrtds) {
		if (!st->wrong_mrtd_traces)
			snprintf(st->first_wrong, sizeof(st->first_wrong), "%s", schedule);
		st->wrong_mrtd_traces++;
		st->wrong_mrtd_builds += res->wrong_mrtds;
	}
	if (res->failed_builds) {
		st->failed_build_traces++;
		st->failed_builds += res->failed_builds;
	}
	st->td_lost_traces += res->tds_lost > 0;
	st->refused_traces += res->busy_rejections > 0;
	st->late_reg_traces += res->late_registrations > 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The events of the trace just run, for the caller's callback. */
static struct lab_step *events_of(const struct explorer *x)
{
	struct lab_step *ev = calloc(x->nr + 1, sizeof(*ev));

	for (size_t i = 0; ev && i < x->nr; i++)
		ev[i] = x->nodes[i].ev.step;
	return ev;
}

/* ---- the relation checked: adjacent independent steps swapped ---------- */

/* What a trace leaves behind that matters: the update's outcome and every TD's. */
static bool same_end(const struct lab_result *a, const struct lab_result *b)
{
	if (strcmp(a->outcome, b->outcome) || strcmp(a->version_after, b->version_after) ||
	    a->updates_applied != b->updates_applied || a->busy_rejections != b->busy_rejections ||
	    a->late_registrations != b->late_registrations || a->nr_tds != b->nr_tds)
		return false;
	for (unsigned int i = 0; i < a->nr_tds; i++) {
		const struct lab_td *p = &a->tds[i], *q = &b->tds[i];

		if (p->built != q->built || p->build_failed != q->build_failed ||
		    p->hw_error != q->hw_error || p->mrtd_ok != q->mrtd_ok ||
		    p->memory_ok != q->memory_ok || p->lost != q->lost ||
		    p->checksum != q->checksum || memcmp(p->mrtd, q->mrtd, sizeof(p->mrtd)))
			return false;
	}
	return true;
}

static bool same_step(const struct lab_step *a, const struct lab_step *b)
{
	return a->actor == b->actor && a->how == b->how && a->fp == b->fp &&
	       a->seamcalls == b->seamcalls && a->first_rax == b->first_rax;
}

/*
 * How far step i can be delayed: past every following step of other units
 * that the relation calls independent of it (up to the first of its own
 * unit's, or a dependent one). Such a run is the same trace, so each step
 * and the end must come out the same. i itself when it cannot move.
 */
static size_t delay_to(const struct explorer *x, size_t i)
{
	const struct ex_node *a = &x->nodes[i];
	size_t m = i;

	while (m + 1 < x->nr) {
		const struct ex_node *b = &x->nodes[m + 1];

		if (b->ev.step.actor == a->ev.step.actor || b->ev.after_join ||
		    ev_dependent(&a->ev, &b->ev))
			break;
		m++;
	}
	return m;
}

/* Step k of the run with step i delayed to m: which step of x it should be. */
static size_t moved_from(size_t k, size_t i, size_t m)
{
	if (k < i || k > m)
		return k;
	return k == m ? i : k + 1;
}

/* Run the trace again with step i delayed to m; 1 fits and agrees, 0 unfit, -1 differs. */
static int swap_one(const struct explorer *x, size_t i, size_t m, const struct lab_result *res,
		    char *why, size_t len)
{
	struct explorer y = { .o = x->o, .replay = true, .full = true, .nr = x->nr };
	struct lab_chooser ch = { &y, ex_choose };
	struct lab_config c = *x->cfg;
	uint16_t *want = malloc(x->nr * sizeof(*want));
	struct lab_result r2;
	int ret = 0;

	y.nodes = calloc(x->nr + 1, sizeof(*y.nodes));
	if (!want || !y.nodes)
		goto out;
	for (size_t k = 0; k < x->nr; k++)
		want[k] = (uint16_t)x->nodes[moved_from(k, i, m)].ev.step.actor;
	y.want = want;
	y.nr_want = x->nr;
	run_reset(&y);
	c.chooser = &ch;
	c.quiet = true;
	if (lab_run(&c, &r2))
		goto out;
	/*
	 * A unit not enabled where the move puts it (within i..m: a waiter the
	 * step delayed would have left standing still) is no evidence: unfit.
	 * Any later choice that does not fit, or a run of another length, means
	 * the moved step changed what came after it.
	 */
	if (y.overflow || (y.misfit && y.misfit_at <= m))
		goto free_res;
	if (y.misfit || y.pos != y.nr_want) {
		snprintf(why, len, "step %zu delayed to %zu: the run went otherwise from point "
			 "%zu", i, m, y.misfit ? y.misfit_at : y.pos);
		ret = -1;
		goto free_res;
	}
	ret = 1;
	for (size_t k = 0; k < x->nr && ret == 1; k++) {
		const struct lab_step *want_st = &x->nodes[moved_from(k, i, m)].ev.step;
		const struct lab_step *got = &y.nodes[k].ev.step;

		if (!same_step(got, want_st)) {
			snprintf(why, len, "step %zu delayed to %zu: step %zu of unit %u differs "
				 "(fp 0x%x how %d, was fp 0x%x how %d)", i, m, k, got->actor,
				 got->fp, (int)got->how, want_st->fp, (int)want_st->how);
			ret = -1;
		}
	}
	if (ret == 1 && !same_end(res, &r2)) {
		snprintf(why, len, "step %zu delayed to %zu: the end state differs", i, m);
		ret = -1;
	}
free_res:
	lab_result_free(&r2);
out:
	free(want);
	free(y.nodes);
	return ret;
}

/*
 * Up to o->swap_check moves (a step delayed by one position or more, as far
 * as delay_to allows), spread over the trace's moves, each trace starting
 * at another one so that the sample covers them all over many traces.
 */
static void swap_check(struct explorer *x, struct lab_explore_stats *st,
		       const struct lab_result *res)
{
	size_t nr = 0, step, k, c = 0;
	unsigned int done = 0;

	for (k = 0; k + 1 < x->nr; k++)
		nr += delay_to(x, k) - k;
	if (!nr)
		return;
	step = nr > x->o->swap_check ? nr / x->o->swap_check : 1;
	for (k = 0; k + 1 < x->nr && done < x->o->swap_check; k++) {
		size_t m = delay_to(x, k);

		for (size_t to = k + 1; to <= m && done < x->o->swap_check; to++) {
			char why[sizeof(st->first_mismatch)];
			int ret;

			if ((c++ + st->traces) % step)
				continue;
			done++;
			ret = swap_one(x, k, to, res, why, sizeof(why));
			st->swaps += ret != 0;
			st->swaps_unfit += ret == 0;
			if (ret < 0 && !st->swap_mismatches++)
				snprintf(st->first_mismatch, sizeof(st->first_mismatch), "%s", why);
		}
	}
}

static int after_run(struct explorer *x, struct lab_explore_stats *st,
		     const struct lab_result *res, char *schedule)
{
	int err;

	if (x->diverged)
		return -EPROTO;
	if (x->overflow)
		return -E2BIG;
	if (x->blocked) {
		st->hit_preemption_bound |= x->bounded;
		st->redundant += !x->bounded;
		return 0;
	}
	schedule_string(x, schedule, LAB_EXPLORE_SCHED_MAX);
	count_trace(st, res, schedule);
	if (x->nr > st->max_depth)
		st->max_depth = (unsigned int)x->nr;
	if (x->o->on_trace) {
		struct lab_step *ev = events_of(x);

		if (!ev)
			return -ENOMEM;
		x->o->on_trace(x->o->ctx, res, ev, (unsigned int)x->nr, schedule);
		free(ev);
	}
	if (x->o->swap_check)
		swap_check(x, st, res);
	err = x->o->no_dpor ? 0 : analyse(x);
	/* A race whose reversal the bound forbids leaves part of the tree out. */
	st->hit_preemption_bound |= x->bounded;
	return err;
}

int lab_explore(const struct lab_config *cfg, const struct lab_explore_opts *o,
		struct lab_explore_stats *st)
{
	struct explorer x = { .o = o, .cfg = cfg };
	char *schedule = malloc(LAB_EXPLORE_SCHED_MAX);
	double t0 = now_s();
	int err = schedule ? 0 : -ENOMEM;

	memset(st, 0, sizeof(*st));
	while (!err) {
		struct lab_result res;

		err = run_once(&x, cfg, &res);
		if (!err)
			err = after_run(&x, st, &res, schedule);
		lab_result_free(&res);
		if (err || !backtrack(&x))
			break;
		if (o->max_traces && st->traces >= o->max_traces) {
			st->hit_max_traces = true;
			break;
		}
	}
	st->diverged = err == -EPROTO;
	st->complete = !err && !st->hit_max_traces && !st->hit_preemption_bound;
	st->seconds = now_s() - t0;
	free(x.nodes);
	free(schedule);
	return err;
}

int lab_replay(const struct lab_config *cfg, const char *schedule, struct lab_result *res)
{
	struct lab_explore_opts o = { .preemption_bound = -1 };
	struct explorer x = { .o = &o, .replay = true };
	uint16_t *want = NULL;
	int err = parse_schedule(schedule, &want, &x.nr_want);
	struct lab_chooser ch = { &x, ex_choose };
	struct lab_config c = *cfg;

	memset(res, 0, sizeof(*res));
	if (err)
		return err;
	x.want = want;
	run_reset(&x);
	c.chooser = &ch;
	err = lab_run(&c, res);
	free(want);
	if (!err && (x.misfit || x.pos != x.nr_want))
		err = -EINVAL;
	return err;
}

void lab_explore_config_init(struct lab_config *cfg)
{
	lab_config_init(cfg);
	/* Small and quick: every run boots a host. */
	cfg->cpus = 2;
	cfg->packages = 1;
	cfg->builders = 1;
	cfg->running = 1;
	cfg->pages = 1;
	cfg->runner_steps = 2;
	/*
	 * The operator's retry budget: how long it is only sets how many
	 * refusals a run of timeouts takes, not which outcomes exist (measured
	 * with the defaults under v8/retry: 6909 traces, 2436 busy, with 150 us,
	 * 5 ms, 20 ms and the lab's 2 s alike). 5 ms: a few refusals a run.
	 */
	cfg->retry_for_us = 5000;
	cfg->name = "explore";
}
