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
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/syscall.h>

#include "emu/topology.h"
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
		(h->kt->preempt ? h->kt->preempt : h->kt->relax)(h->kt->ctx);
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
 * on x86 without BSP hotplug); mainline also relies on it as lead CPU. The
 * errno is inferred (-EBUSY): kernel.md names none for the boot CPU.
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
 * Threads driver: the v8 control data, one stopper thread per CPU. The
 * last CPU to ack a state moves everyone to the next; a failing CPU sets
 * `failed` and does not ack, and every CPU leaves its loop.
 *
 * Waiting CPUs block instead of spinning, so hundreds of emulated CPUs fit
 * on two real cores, and how they block decides the cost. A condvar would
 * make every CPU woken by an advance retake the control lock just to read
 * the state, so 256 woken threads queue on one mutex, most of them going
 * back to sleep on it. Instead the waiters sleep on a futex over a wake
 * sequence that changes whenever the state advances or `failed` is set;
 * state and failed are read as READ_ONCE would, without the lock, and one
 * FUTEX_WAKE releases them all. The lock is taken only to ack, as in the
 * kernel. Stoppers likewise wait for work on one host-wide futex word, so
 * starting them is one wake-up rather than one signal per CPU.
 *
 * Every wait re-checks its condition through atomics before and after
 * sleeping, so the futex only ever blocks; ordering (and what TSan sees) is
 * carried by the atomics.
 */
struct update_data {
	pthread_mutex_t lock;		/* the kernel's raw spinlock */
	_Atomic enum module_update_state state;
	atomic_bool failed;
	atomic_uint wake_seq;		/* futex word: bumped on advance or failure */
	unsigned int thread_ack;
	unsigned int nr_cpus;
	lockstep_step_fn step;
	void *data;
	int first_err;
	unsigned int running;		/* stoppers still in the loop */
	pthread_cond_t done;		/* running reached 0 */
};

struct stopper {
	struct stopper_set *set;
	struct tdx_host *h;
	unsigned int cpu;
	void *thread;
	struct update_data *_Atomic work;	/* non-NULL: run the loop */
};

/* host_cpus.stoppers points at cpu[] of one of these. */
struct stopper_set {
	atomic_uint kick;		/* futex word: bumped when work or exit is posted */
	atomic_bool exit;
	unsigned int nr_started;	/* threads to join: cpu[0 .. nr_started) */
	struct stopper cpu[];
};

static void futex_wait(atomic_uint *word, unsigned int val)
{
	/* EAGAIN (word already changed) and EINTR just send the caller round again. */
	syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake_all(atomic_uint *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

/* Under u->lock. True when this ack advanced the state. */
static bool ack_state(struct update_data *u)
{
	if (--u->thread_ack)
		return false;
	u->thread_ack = u->nr_cpus;
	atomic_store(&u->state, atomic_load(&u->state) + 1);
	return true;
}

static void lockstep_cpu_loop(struct tdx_host *h, unsigned int cpu, struct update_data *u)
{
	enum module_update_state cur = MODULE_UPDATE_START;

	for (;;) {
		/* The sequence first: an advance after this read makes the wait return. */
		unsigned int seq = atomic_load(&u->wake_seq);
		enum module_update_state next = atomic_load(&u->state);
		bool wake;
		int ret;

		if (next == MODULE_UPDATE_DONE || atomic_load(&u->failed))
			break;
		if (next == cur) {
			futex_wait(&u->wake_seq, seq);
			continue;
		}
		cur = next;
		ret = u->step(h, cpu, cur, u->data);
		pthread_mutex_lock(&u->lock);
		if (ret) {
			if (!atomic_load(&u->failed))
				u->first_err = ret;
			atomic_store(&u->failed, true);
			wake = true;
		} else {
			wake = ack_state(u);
		}
		pthread_mutex_unlock(&u->lock);
		/* u stays valid: the caller frees it only once this CPU has left. */
		if (wake) {
			atomic_fetch_add(&u->wake_seq, 1);
			futex_wake_all(&u->wake_seq);
		}
	}
	pthread_mutex_lock(&u->lock);
	if (!--u->running)
		pthread_cond_signal(&u->done);
	pthread_mutex_unlock(&u->lock);
}

static void stopper_fn(void *arg)
{
	struct stopper *s = arg;
	struct stopper_set *set = s->set;

	for (;;) {
		unsigned int kick = atomic_load(&set->kick);
		struct update_data *u = atomic_exchange(&s->work, NULL);

		if (u) {
			lockstep_cpu_loop(s->h, s->cpu, u);
			continue;
		}
		if (atomic_load(&set->exit))
			break;
		futex_wait(&set->kick, kick);
	}
}

static struct stopper_set *stopper_set_of(struct host_cpus *c)
{
	return c->stoppers[0].set;
}

static int lockstep_threads(struct tdx_host *h, lockstep_step_fn step, void *data)
{
	struct stopper_set *set = stopper_set_of(&h->cpus);
	pthread_mutexattr_t attr;
	struct update_data u = {
		.state = MODULE_UPDATE_START + 1,
		.step = step,
		.data = data,
	};
	int ret;

	/*
	 * The ack lock is held for a few instructions: an adaptive mutex spins
	 * briefly before sleeping, the nearest thing to a raw spinlock that
	 * still blocks.
	 */
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
	pthread_mutex_init(&u.lock, &attr);
	pthread_mutexattr_destroy(&attr);
	pthread_cond_init(&u.done, NULL);
	for (unsigned int i = 0; i < h->cpus.nr; i++)
		u.nr_cpus += h->cpus.cpu[i].stopped;
	u.thread_ack = u.nr_cpus;
	u.running = u.nr_cpus;
	for (unsigned int i = 0; i < h->cpus.nr; i++)
		if (h->cpus.cpu[i].stopped)
			atomic_store(&set->cpu[i].work, &u);
	atomic_fetch_add(&set->kick, 1);
	futex_wake_all(&set->kick);

	pthread_mutex_lock(&u.lock);
	while (u.running)
		pthread_cond_wait(&u.done, &u.lock);
	ret = atomic_load(&u.failed) ? u.first_err : 0;
	pthread_mutex_unlock(&u.lock);
	pthread_cond_destroy(&u.done);
	pthread_mutex_destroy(&u.lock);
	return ret;
}

int stop_machine_lockstep(struct tdx_host *h, lockstep_step_fn step, void *data)
{
	uint64_t t0, t1;
	int ret;

	host_event(h, HOST_EV_STW_ENTER, -1, 0);
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

/* Joins exactly the threads started, so it also unwinds a partial start. */
static void stoppers_stop(struct tdx_host *h)
{
	struct host_cpus *c = &h->cpus;
	struct stopper_set *set;

	if (!c->stoppers)
		return;
	set = stopper_set_of(c);
	atomic_store(&set->exit, true);
	atomic_fetch_add(&set->kick, 1);
	futex_wake_all(&set->kick);
	for (unsigned int i = 0; i < set->nr_started; i++)
		h->kt->join(h->kt->ctx, set->cpu[i].thread);
	free(set);
	c->stoppers = NULL;
}

/*
 * One stopper per CPU, or none: a stop_machine with a CPU missing its
 * stopper would wait for that CPU's ack forever. The CPU count stays the
 * host's; the set counts the threads it owns.
 */
static int stoppers_start(struct tdx_host *h)
{
	struct host_cpus *c = &h->cpus;
	struct stopper_set *set;
	int ret;

	set = calloc(1, sizeof(*set) + c->nr * sizeof(set->cpu[0]));
	if (!set)
		return -ENOMEM;
	c->stoppers = set->cpu;
	for (unsigned int i = 0; i < c->nr; i++) {
		struct stopper *s = &set->cpu[i];

		s->set = set;
		s->h = h;
		s->cpu = i;
		ret = h->kt->start(h->kt->ctx, stopper_fn, s, "migration", &s->thread);
		if (ret)
			goto err;
		set->nr_started++;
	}
	return 0;
err:
	stoppers_stop(h);
	return ret;
}

int cpus_init(struct tdx_host *h)
{
	struct host_cpus *c = &h->cpus;

	c->nr = h->cfg.nr_cpus;
	c->cpu = calloc(c->nr, sizeof(*c->cpu));
	if (!c->cpu)
		return -ENOMEM;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	for (unsigned int i = 0; i < c->nr; i++) {
		c->cpu[i].id = i;
		c->cpu[i].package = topology_lp_package(i, c->nr, h->cfg.nr_packages);
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
