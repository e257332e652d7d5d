// SPDX-License-Identifier: MIT
/*
 * Emulated CPUs: online/offline, preempt-disabled sections around
 * SEAMCALLs, the hotplug lock, and stop_machine running the lockstep
 * update with one of two drivers.
 *
 * A CPU is "held" while some work runs a SEAMCALL on it. stop_machine first
 * blocks new holds, then waits for current ones to end: it therefore lands
 * between two SEAMCALLs of other work and never inside one, as on hardware.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/kernel.h"

/*
 * Wait on the CPUs' condition. Under a cooperative scheduler a condvar
 * sleep would stall the whole host, so we hand the token back instead.
 */
static void cpus_wait(struct tdx_host *h, pthread_cond_t *cond)
{
	if (h->kt->cooperative) {
		pthread_mutex_unlock(&h->cpus.lock);
		h->kt->relax(h->kt->ctx);
		pthread_mutex_lock(&h->cpus.lock);
		return;
	}
	pthread_cond_wait(cond, &h->cpus.lock);
}

int cpu_hold(struct tdx_host *h, unsigned int cpu)
{
	struct host_cpus *c = &h->cpus;
	int ret = 0;

	if (cpu >= c->nr)
		return -EINVAL;
	/* The lab scheduler interleaves actors at SEAMCALL boundaries. */
	if (h->kt->cooperative)
		h->kt->relax(h->kt->ctx);
	pthread_mutex_lock(&c->lock);
	while (c->cpu[cpu].online && (c->cpu[cpu].held || c->cpu[cpu].stopped || c->stop_pending))
		cpus_wait(h, &c->cond);
	if (!c->cpu[cpu].online)
		ret = -ENODEV;
	else
		c->cpu[cpu].held = true;
	pthread_mutex_unlock(&c->lock);
	return ret;
}

void cpu_release(struct tdx_host *h, unsigned int cpu)
{
	struct host_cpus *c = &h->cpus;

	pthread_mutex_lock(&c->lock);
	c->cpu[cpu].held = false;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

void cpus_read_lock(struct tdx_host *h)
{
	struct host_cpus *c = &h->cpus;

	pthread_mutex_lock(&c->lock);
	while (c->hotplug_writer)
		cpus_wait(h, &c->cond);
	c->hotplug_readers++;
	pthread_mutex_unlock(&c->lock);
}

void cpus_read_unlock(struct tdx_host *h)
{
	struct host_cpus *c = &h->cpus;

	pthread_mutex_lock(&c->lock);
	c->hotplug_readers--;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

static unsigned int num_online_locked(struct host_cpus *c)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < c->nr; i++)
		n += c->cpu[i].online;
	return n;
}

unsigned int num_online_cpus(struct tdx_host *h)
{
	unsigned int n;

	pthread_mutex_lock(&h->cpus.lock);
	n = num_online_locked(&h->cpus);
	pthread_mutex_unlock(&h->cpus.lock);
	return n;
}

bool cpu_online(struct tdx_host *h, unsigned int cpu)
{
	bool on;

	if (cpu >= h->cpus.nr)
		return false;
	pthread_mutex_lock(&h->cpus.lock);
	on = h->cpus.cpu[cpu].online;
	pthread_mutex_unlock(&h->cpus.lock);
	return on;
}

int first_online_cpu(struct tdx_host *h)
{
	for (unsigned int i = 0; i < h->cpus.nr; i++)
		if (cpu_online(h, i))
			return (int)i;
	return -ENODEV;
}

/*
 * Hotplug: takes the hotplug lock for writing. CPU 0 cannot go offline (as
 * on x86 without BSP hotplug); mainline also relies on it as lead CPU.
 */
int cpu_set_online(struct tdx_host *h, unsigned int cpu, bool online)
{
	struct host_cpus *c = &h->cpus;
	int ret = 0;

	if (cpu >= c->nr)
		return -EINVAL;
	if (cpu == 0 && !online)
		return -EBUSY;
	pthread_mutex_lock(&c->lock);
	while (c->hotplug_writer || c->hotplug_readers)
		cpus_wait(h, &c->cond);
	c->hotplug_writer = true;
	/* Going offline waits for the CPU's current section to end. */
	while (!online && (c->cpu[cpu].held || c->cpu[cpu].stopped))
		cpus_wait(h, &c->cond);
	if (c->cpu[cpu].online == online)
		ret = -EALREADY;
	c->cpu[cpu].online = online;
	pthread_mutex_unlock(&c->lock);

	/* The online callback: a returning CPU gets TDH.SYS.LP.INIT. */
	if (!ret && online)
		tdx_online_cpu(h, cpu);

	pthread_mutex_lock(&c->lock);
	c->hotplug_writer = false;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	return ret;
}

/* ---- stop_machine -------------------------------------------------- */

/* Take every online CPU once all current sections are over. */
static void stop_cpus(struct tdx_host *h)
{
	struct host_cpus *c = &h->cpus;
	bool busy;

	pthread_mutex_lock(&c->lock);
	c->stop_pending++;
	do {
		busy = false;
		for (unsigned int i = 0; i < c->nr; i++)
			busy |= c->cpu[i].online && (c->cpu[i].held || c->cpu[i].stopped);
		if (busy)
			cpus_wait(h, &c->cond);
	} while (busy);
	for (unsigned int i = 0; i < c->nr; i++)
		c->cpu[i].stopped = c->cpu[i].online;
	c->stop_pending--;
	pthread_mutex_unlock(&c->lock);
}

static void restart_cpus(struct tdx_host *h)
{
	struct host_cpus *c = &h->cpus;

	pthread_mutex_lock(&c->lock);
	for (unsigned int i = 0; i < c->nr; i++)
		c->cpu[i].stopped = false;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

/* Serial driver: each state on every CPU in order; stop at the first failure. */
static int lockstep_serial(struct tdx_host *h, lockstep_step_fn step, void *data)
{
	for (int s = MODULE_UPDATE_START + 1; s < MODULE_UPDATE_DONE; s++) {
		host_event(h, HOST_EV_STAGE, -1, s);
		for (unsigned int cpu = 0; cpu < h->cpus.nr; cpu++) {
			int ret;

			if (!h->cpus.cpu[cpu].stopped)
				continue;
			ret = step(h, cpu, (enum module_update_state)s, data);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/*
 * Threads driver: the v8 control data. The last CPU to ack a state moves
 * everyone to the next; a failing CPU sets `failed` and does not ack, and
 * every CPU leaves its loop. Waiting CPUs sleep on `cond` instead of
 * spinning, so hundreds of emulated CPUs fit on two real cores.
 */
struct update_data {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum module_update_state state;
	unsigned int thread_ack;
	unsigned int nr_cpus;
	bool failed;
	lockstep_step_fn step;
	void *data;
	int first_err;
	unsigned int running;		/* stoppers still in the loop */
};

struct stopper {
	struct tdx_host *h;
	unsigned int cpu;
	void *thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct update_data *work;	/* non-NULL: run the loop */
	bool exit;
};

static void ack_state(struct update_data *u)
{
	if (--u->thread_ack)
		return;
	u->thread_ack = u->nr_cpus;
	u->state++;
	pthread_cond_broadcast(&u->cond);
}

static void lockstep_cpu_loop(struct tdx_host *h, unsigned int cpu, struct update_data *u)
{
	enum module_update_state cur = MODULE_UPDATE_START;

	pthread_mutex_lock(&u->lock);
	while (u->state != MODULE_UPDATE_DONE && !u->failed) {
		enum module_update_state next = u->state;
		int ret;

		if (next == cur) {
			pthread_cond_wait(&u->cond, &u->lock);
			continue;
		}
		cur = next;
		pthread_mutex_unlock(&u->lock);
		ret = u->step(h, cpu, cur, u->data);
		pthread_mutex_lock(&u->lock);
		if (ret) {
			if (!u->failed)
				u->first_err = ret;
			u->failed = true;
			pthread_cond_broadcast(&u->cond);
		} else {
			ack_state(u);
		}
	}
	if (!--u->running)
		pthread_cond_broadcast(&u->cond);
	pthread_mutex_unlock(&u->lock);
}

static void stopper_fn(void *arg)
{
	struct stopper *s = arg;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		struct update_data *u;

		while (!s->work && !s->exit)
			pthread_cond_wait(&s->cond, &s->lock);
		if (s->exit)
			break;
		u = s->work;
		s->work = NULL;
		pthread_mutex_unlock(&s->lock);
		lockstep_cpu_loop(s->h, s->cpu, u);
		pthread_mutex_lock(&s->lock);
	}
	pthread_mutex_unlock(&s->lock);
}

static int lockstep_threads(struct tdx_host *h, lockstep_step_fn step, void *data)
{
	struct update_data u = {
		.state = MODULE_UPDATE_START + 1,
		.step = step,
		.data = data,
	};
	int ret;

	pthread_mutex_init(&u.lock, NULL);
	pthread_cond_init(&u.cond, NULL);
	for (unsigned int i = 0; i < h->cpus.nr; i++)
		u.nr_cpus += h->cpus.cpu[i].stopped;
	u.thread_ack = u.nr_cpus;
	u.running = u.nr_cpus;
	for (unsigned int i = 0; i < h->cpus.nr; i++) {
		struct stopper *s = &h->cpus.stoppers[i];

		if (!h->cpus.cpu[i].stopped)
			continue;
		pthread_mutex_lock(&s->lock);
		s->work = &u;
		pthread_cond_signal(&s->cond);
		pthread_mutex_unlock(&s->lock);
	}
	pthread_mutex_lock(&u.lock);
	while (u.running)
		pthread_cond_wait(&u.cond, &u.lock);
	ret = u.failed ? u.first_err : 0;
	pthread_mutex_unlock(&u.lock);
	pthread_cond_destroy(&u.cond);
	pthread_mutex_destroy(&u.lock);
	return ret;
}

int stop_machine_lockstep(struct tdx_host *h, lockstep_step_fn step, void *data)
{
	uint64_t t0, t1;
	int ret;

	stop_cpus(h);
	t0 = h->kt->now_us(h->kt->ctx);
	host_event(h, HOST_EV_STW_BEGIN, -1, 0);
	if (h->cfg.driver == LOCKSTEP_THREADS && h->cpus.stoppers)
		ret = lockstep_threads(h, step, data);
	else
		ret = lockstep_serial(h, step, data);
	t1 = h->kt->now_us(h->kt->ctx);
	host_event(h, HOST_EV_STW_END, -1, ret);
	restart_cpus(h);
	pthread_mutex_lock(&h->stats_lock);
	h->stats.last_stw_us = t1 - t0;
	h->stats.total_stw_us += t1 - t0;
	pthread_mutex_unlock(&h->stats_lock);
	return ret;
}

/* ---- init ---------------------------------------------------------- */

static int stoppers_start(struct tdx_host *h)
{
	struct host_cpus *c = &h->cpus;

	c->stoppers = calloc(c->nr, sizeof(*c->stoppers));
	if (!c->stoppers)
		return -ENOMEM;
	for (unsigned int i = 0; i < c->nr; i++) {
		struct stopper *s = &c->stoppers[i];
		int ret;

		s->h = h;
		s->cpu = i;
		pthread_mutex_init(&s->lock, NULL);
		pthread_cond_init(&s->cond, NULL);
		ret = h->kt->start(h->kt->ctx, stopper_fn, s, "migration", &s->thread);
		if (ret) {
			c->nr = i;	/* stop only those started */
			return ret;
		}
	}
	return 0;
}

static void stoppers_stop(struct tdx_host *h)
{
	struct host_cpus *c = &h->cpus;

	if (!c->stoppers)
		return;
	for (unsigned int i = 0; i < c->nr; i++) {
		struct stopper *s = &c->stoppers[i];

		pthread_mutex_lock(&s->lock);
		s->exit = true;
		pthread_cond_signal(&s->cond);
		pthread_mutex_unlock(&s->lock);
		h->kt->join(h->kt->ctx, s->thread);
		pthread_cond_destroy(&s->cond);
		pthread_mutex_destroy(&s->lock);
	}
	free(c->stoppers);
	c->stoppers = NULL;
}

int cpus_init(struct tdx_host *h)
{
	struct host_cpus *c = &h->cpus;
	unsigned int per_pkg = (h->cfg.nr_cpus + h->cfg.nr_packages - 1) / h->cfg.nr_packages;

	c->nr = h->cfg.nr_cpus;
	c->cpu = calloc(c->nr, sizeof(*c->cpu));
	if (!c->cpu)
		return -ENOMEM;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	for (unsigned int i = 0; i < c->nr; i++) {
		c->cpu[i].id = i;
		c->cpu[i].package = i / per_pkg;
		c->cpu[i].online = true;
	}
	/* Real stopper threads only for the threads driver, never cooperative. */
	if (h->cfg.driver == LOCKSTEP_THREADS && !h->kt->cooperative)
		return stoppers_start(h);
	return 0;
}

void cpus_exit(struct tdx_host *h)
{
	stoppers_stop(h);
	pthread_cond_destroy(&h->cpus.cond);
	pthread_mutex_destroy(&h->cpus.lock);
	free(h->cpus.cpu);
	h->cpus.cpu = NULL;
}

const char *module_update_state_name(enum module_update_state s)
{
	static const char *const names[] = {
		"START", "SHUTDOWN", "CPU_INSTALL", "CPU_INIT", "RUN_UPDATE", "DONE",
	};

	return (unsigned int)s <= MODULE_UPDATE_DONE ? names[s] : "?";
}
