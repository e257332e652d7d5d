// SPDX-License-Identifier: MIT
/*
 * Deterministic token scheduler (see sched.h). One mutex guards the
 * scheduler; each actor sleeps on its own condition variable until it is
 * handed the token, so exactly one actor thread runs at any time and
 * sanitizers see ordinary, well-synchronised threads.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lab/sched.h"

#define MAX_ACTORS	256

struct actor {
	pthread_t thread;
	pthread_cond_t cond;
	uint64_t wake_ns;		/* runnable once now >= wake_ns */
	bool used, finished, joined;
	struct actor *joining;		/* blocked until this one finishes */
	unsigned int unit;		/* exploration unit (sched.h) */
	enum lab_yield how;		/* how it last gave the token back */
	bool timed;			/* its wait has a deadline (lab_sched_sleep_timed) */
	void (*fn)(void *);
	void *arg;
	struct lab_sched *s;
};

struct lab_sched {
	pthread_mutex_t lock;
	struct actor actors[MAX_ACTORS];
	unsigned int nr;
	unsigned int current;		/* token holder */
	uint64_t now_ns;
	uint64_t rng;
	uint64_t switches;
	struct kthread_ops ops;
	/* Exploration: the choice driver and the step in progress. */
	bool exploring;
	struct lab_chooser chooser;
	struct lab_step step;
	struct lab_choice choice;
	unsigned long cont;		/* hand-overs inside one unit in a row */
};

/* splitmix64: small, seedable, good enough to pick actors. */
static uint64_t next_rand(struct lab_sched *s)
{
	uint64_t z = (s->rng += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static unsigned int self_locked(struct lab_sched *s)
{
	pthread_t me = pthread_self();

	for (unsigned int i = 0; i < s->nr; i++)
		if (s->actors[i].used && !s->actors[i].finished &&
		    pthread_equal(s->actors[i].thread, me))
			return i;
	return 0;
}

/*
 * Pick the next holder: uniformly among actors whose wake time has come;
 * if none, jump the clock to the earliest wake time.
 */
static void pick_explore_locked(struct lab_sched *s);

static void pick_next_locked(struct lab_sched *s)
{
	unsigned int ready[MAX_ACTORS], n = 0;
	uint64_t earliest = UINT64_MAX;

	if (s->exploring) {
		pick_explore_locked(s);
		return;
	}

	for (;;) {
		for (unsigned int i = 0; i < s->nr; i++) {
			struct actor *a = &s->actors[i];

			if (!a->used || a->finished || (a->joining && !a->joining->finished))
				continue;
			if (a->wake_ns <= s->now_ns)
				ready[n++] = i;
			else if (a->wake_ns < earliest)
				earliest = a->wake_ns;
		}
		if (n || earliest == UINT64_MAX)
			break;
		s->now_ns = earliest;
	}
	if (!n)
		return;		/* nobody left: the last actor is finishing */
	s->current = ready[next_rand(s) % n];
	s->switches++;
	pthread_cond_signal(&s->actors[s->current].cond);
}

static bool blocked_locked(const struct actor *a)
{
	return !a->used || a->finished || (a->joining && !a->joining->finished);
}

/*
 * A unit with another live member keeps the token (its step goes on): the
 * first runnable member after prev that does not wait, else one that does.
 * A unit spinning without end is let go (the guard), rather than hang.
 */
#define UNIT_SPIN_GUARD	(1UL << 22)

static int unit_next_locked(struct lab_sched *s, unsigned int prev)
{
	unsigned int u = s->actors[prev].unit, live = 0;
	int waiting = -1;

	for (unsigned int i = 0; i < s->nr; i++)
		live += s->actors[i].used && !s->actors[i].finished && s->actors[i].unit == u;
	if (live < (s->actors[prev].finished ? 1u : 2u) || ++s->cont > UNIT_SPIN_GUARD)
		return -1;
	for (unsigned int k = 1; k <= s->nr; k++) {
		unsigned int i = (prev + k) % s->nr;
		const struct actor *a = &s->actors[i];

		if (a->unit != u || blocked_locked(a))
			continue;
		if (a->how != LAB_YIELD_WAIT)
			return (int)i;
		if (waiting < 0)
			waiting = (int)i;
	}
	return waiting;
}

static void hand_token_locked(struct lab_sched *s, unsigned int next)
{
	/* Time only moves forward: a waiter resumed early finds its wake time. */
	if (s->actors[next].how == LAB_YIELD_WAIT && s->actors[next].wake_ns > s->now_ns)
		s->now_ns = s->actors[next].wake_ns;
	s->current = next;
	s->switches++;
	pthread_cond_signal(&s->actors[next].cond);
}

/* The choice driver's pick among the candidates (sched.h). */
static void pick_explore_locked(struct lab_sched *s)
{
	unsigned int prev = s->current;
	struct lab_choice *c = &s->choice;
	int next = unit_next_locked(s, prev);

	if (next >= 0) {
		hand_token_locked(s, (unsigned int)next);
		return;
	}
	s->cont = 0;
	s->step.actor = s->actors[prev].unit;
	s->step.how = s->actors[prev].finished ? LAB_YIELD_DONE : s->actors[prev].how;
	c->step = &s->step;
	c->final = false;
	c->nr = 0;
	for (unsigned int i = 0; i < s->nr && c->nr < LAB_SCHED_MAX_CAND; i++) {
		const struct actor *a = &s->actors[i];

		if (blocked_locked(a))
			continue;
		c->actor[c->nr] = i;
		c->how[c->nr] = a->how;
		c->timed[c->nr] = a->how == LAB_YIELD_WAIT && a->timed;
		c->wake_ns[c->nr++] = a->wake_ns;
	}
	if (!c->nr)
		return;		/* nobody left: the last actor is finishing */
	next = (int)c->actor[s->chooser.choose(s->chooser.ctx, c) % c->nr];
	memset(&s->step, 0, sizeof(s->step));
	s->step.first_rax = ~0ULL;
	hand_token_locked(s, (unsigned int)next);
}

static void wait_token_locked(struct lab_sched *s, unsigned int me)
{
	while (s->current != me)
		pthread_cond_wait(&s->actors[me].cond, &s->lock);
}

/*
 * A yield point, or one turn of a wait loop. Each turn costs a little
 * virtual time, so that an actor waiting for a sleeping one lets the clock
 * reach that one's wake-up instead of spinning forever at one instant.
 */
#define RELAX_COST_NS	100

static void sched_relax(void *ctx)
{
	struct lab_sched *s = ctx;
	unsigned int me;

	pthread_mutex_lock(&s->lock);
	me = self_locked(s);
	s->now_ns += RELAX_COST_NS;
	s->actors[me].how = LAB_YIELD_WAIT;
	s->actors[me].wake_ns = s->now_ns;
	pick_next_locked(s);
	wait_token_locked(s, me);
	pthread_mutex_unlock(&s->lock);
}

/* Outside exploration exactly a relax, so that seeded runs stay as they were. */
static void sched_preempt(void *ctx)
{
	struct lab_sched *s = ctx;
	unsigned int me;

	if (!s->exploring) {
		sched_relax(ctx);
		return;
	}
	pthread_mutex_lock(&s->lock);
	me = self_locked(s);
	s->now_ns += RELAX_COST_NS;
	s->actors[me].how = LAB_YIELD_PREEMPT;
	s->actors[me].wake_ns = s->now_ns;
	pick_next_locked(s);
	wait_token_locked(s, me);
	pthread_mutex_unlock(&s->lock);
}

static void sleep_locked(struct lab_sched *s, uint64_t us, bool timed)
{
	unsigned int me = self_locked(s);

	s->actors[me].wake_ns = s->now_ns + us * 1000;
	s->actors[me].how = LAB_YIELD_WAIT;
	s->actors[me].timed = timed;
	pick_next_locked(s);
	wait_token_locked(s, me);
	s->actors[me].timed = false;
}

static void sched_sleep_us(void *ctx, uint64_t us)
{
	struct lab_sched *s = ctx;

	pthread_mutex_lock(&s->lock);
	sleep_locked(s, us, false);
	pthread_mutex_unlock(&s->lock);
}

void lab_sched_sleep_timed(void *ctx, uint64_t us)
{
	struct lab_sched *s = ctx;

	pthread_mutex_lock(&s->lock);
	sleep_locked(s, us, true);
	pthread_mutex_unlock(&s->lock);
}

static uint64_t sched_now_us(void *ctx)
{
	struct lab_sched *s = ctx;
	uint64_t ns;

	pthread_mutex_lock(&s->lock);
	ns = s->now_ns;
	pthread_mutex_unlock(&s->lock);
	return ns / 1000;
}

static void *actor_main(void *arg)
{
	struct actor *a = arg;
	struct lab_sched *s = a->s;
	unsigned int me = (unsigned int)(a - s->actors);

	pthread_mutex_lock(&s->lock);
	wait_token_locked(s, me);
	pthread_mutex_unlock(&s->lock);
	a->fn(a->arg);
	pthread_mutex_lock(&s->lock);
	a->finished = true;
	pick_next_locked(s);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* The new actor becomes runnable now; the creator keeps the token. */
static int sched_start(void *ctx, void (*fn)(void *), void *arg, const char *name,
		       void **handle)
{
	struct lab_sched *s = ctx;
	struct actor *a;
	int ret;

	pthread_mutex_lock(&s->lock);
	if (s->nr == MAX_ACTORS) {
		pthread_mutex_unlock(&s->lock);
		return -EAGAIN;
	}
	a = &s->actors[s->nr];
	memset(a, 0, sizeof(*a));
	a->used = true;
	a->fn = fn;
	a->arg = arg;
	a->s = s;
	a->wake_ns = s->now_ns;
	a->how = LAB_YIELD_START;
	/* Actor 0's children are units of their own; others join their creator's. */
	a->unit = s->current ? s->actors[s->current].unit : s->nr;
	pthread_cond_init(&a->cond, NULL);
	ret = pthread_create(&a->thread, NULL, actor_main, a);
	if (ret) {
		a->used = false;
		pthread_cond_destroy(&a->cond);
		pthread_mutex_unlock(&s->lock);
		return -ret;
	}
	s->nr++;
	*handle = a;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

/* Wait for an actor to finish, handing the token around meanwhile. */
static void sched_join(void *ctx, void *handle)
{
	struct lab_sched *s = ctx;
	struct actor *a = handle;

	pthread_mutex_lock(&s->lock);
	if (!a->finished) {
		unsigned int me = self_locked(s);

		/* Not runnable until a finishes; its exit hands the token on. */
		s->actors[me].joining = a;
		s->actors[me].how = LAB_YIELD_JOIN;
		pick_next_locked(s);
		wait_token_locked(s, me);
		s->actors[me].joining = NULL;
	}
	pthread_mutex_unlock(&s->lock);
	pthread_join(a->thread, NULL);
	pthread_mutex_lock(&s->lock);
	a->joined = true;
	pthread_mutex_unlock(&s->lock);
}

struct lab_sched *lab_sched_create(uint64_t seed)
{
	struct lab_sched *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	pthread_mutex_init(&s->lock, NULL);
	s->rng = seed;
	s->nr = 1;
	s->actors[0].used = true;
	s->actors[0].thread = pthread_self();
	s->actors[0].s = s;
	pthread_cond_init(&s->actors[0].cond, NULL);
	s->current = 0;
	s->ops = (struct kthread_ops){
		.ctx = s,
		.start = sched_start,
		.join = sched_join,
		.sleep_us = sched_sleep_us,
		.relax = sched_relax,
		.preempt = sched_preempt,
		.now_us = sched_now_us,
		.cooperative = 1,
	};
	return s;
}

void lab_sched_destroy(struct lab_sched *s)
{
	if (!s)
		return;
	for (unsigned int i = 0; i < s->nr; i++)
		pthread_cond_destroy(&s->actors[i].cond);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

const struct kthread_ops *lab_sched_ops(struct lab_sched *s)
{
	return &s->ops;
}

void lab_sched_advance_ns(struct lab_sched *s, uint64_t ns)
{
	pthread_mutex_lock(&s->lock);
	s->now_ns += ns;
	pthread_mutex_unlock(&s->lock);
}

uint64_t lab_sched_now_ns(struct lab_sched *s)
{
	uint64_t ns;

	pthread_mutex_lock(&s->lock);
	ns = s->now_ns;
	pthread_mutex_unlock(&s->lock);
	return ns;
}

uint64_t lab_sched_rand(struct lab_sched *s)
{
	uint64_t r;

	pthread_mutex_lock(&s->lock);
	r = next_rand(s);
	pthread_mutex_unlock(&s->lock);
	return r;
}

uint64_t lab_sched_switches(struct lab_sched *s)
{
	uint64_t n;

	pthread_mutex_lock(&s->lock);
	n = s->switches;
	pthread_mutex_unlock(&s->lock);
	return n;
}

void lab_sched_set_chooser(struct lab_sched *s, const struct lab_chooser *ch)
{
	pthread_mutex_lock(&s->lock);
	s->exploring = ch != NULL;
	if (ch)
		s->chooser = *ch;
	memset(&s->step, 0, sizeof(s->step));
	s->step.first_rax = ~0ULL;
	pthread_mutex_unlock(&s->lock);
}

bool lab_sched_exploring(struct lab_sched *s)
{
	bool e;

	pthread_mutex_lock(&s->lock);
	e = s->exploring;
	pthread_mutex_unlock(&s->lock);
	return e;
}

void lab_sched_end_choices(struct lab_sched *s)
{
	pthread_mutex_lock(&s->lock);
	if (s->exploring) {
		s->step.actor = s->actors[s->current].unit;
		s->step.how = LAB_YIELD_DONE;
			s->choice.step = &s->step;
		s->choice.final = true;
		s->choice.nr = 0;
		s->chooser.choose(s->chooser.ctx, &s->choice);
		s->exploring = false;
	}
	pthread_mutex_unlock(&s->lock);
}

void lab_sched_touch(struct lab_sched *s, uint32_t fp, uint64_t rax)
{
	pthread_mutex_lock(&s->lock);
	if (s->exploring) {
		s->step.fp |= fp;
		if (rax != ~0ULL && !s->step.seamcalls++)
			s->step.first_rax = rax;
	}
	pthread_mutex_unlock(&s->lock);
}

void lab_sched_yield(struct lab_sched *s)
{
	sched_preempt(s);
}

void lab_sched_point(struct lab_sched *s, uint32_t fp)
{
	bool empty;

	pthread_mutex_lock(&s->lock);
	empty = !s->step.fp && !s->step.seamcalls;
	if (!s->exploring) {
		pthread_mutex_unlock(&s->lock);
		return;
	}
	pthread_mutex_unlock(&s->lock);
	if (!empty)
		sched_preempt(s);
	lab_sched_touch(s, fp, ~0ULL);
}
