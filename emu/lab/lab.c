// SPDX-License-Identifier: MIT
/*
 * tdxup lab: one scenario run. An emulated host (kernel profile, lockstep
 * driver), running TDs that keep stepping, TD builders going through KVM's
 * build ioctls, and an operator who runs the production updater against
 * the host's sysfs tree. Under the serial driver every actor runs under the
 * deterministic scheduler (sched.c) on virtual time; under the threads
 * driver they are free threads on the wall clock.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lab/lab_internal.h"
#include "lab/explore.h"
#include "lab/upload_probe.h"
#include "emu/module_build.h"
#include "tdxup/plant.h"
#include "tdxup/status_name.h"
#include "tdxup/sysfs_client.h"
#include "tdxup/tdx_abi.h"
#include "tdxup/update.h"

#define RUNNER_PERIOD_US	150
#define RUNNER_PAGES		4

void lab_config_init(struct lab_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->cpus = 8;
	cfg->packages = 2;
	cfg->from = "1.5.24";
	cfg->to = "1.5.30";
	cfg->running = 2;
	cfg->builders = 4;
	cfg->pages = 256;
	cfg->rounds = 1;
	cfg->profile = KERNEL_PROFILE_V8;
	cfg->driver = LOCKSTEP_SERIAL;
	cfg->seed = 1;
	cfg->updates = 1;
	cfg->retry = LAB_RETRY_BACKOFF;
	cfg->retry_for_us = 2000000;
	cfg->update_at_us = 400;
	cfg->updates_left = 16;
	cfg->name = "default";
	cfg->vmm_leases = true;
}

/* ---- deterministic draws ---------------------------------------------- */

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static uint64_t lab_rand(struct lab *lab, uint64_t salt)
{
	return lab->sched ? lab_sched_rand(lab->sched) : mix64(lab->cfg->seed * 31 + salt);
}

/* The current step's footprint, when exploring (explore.h). */
void lab_touch(struct lab *lab, uint32_t fp)
{
	if (lab->sched)
		lab_sched_touch(lab->sched, fp, ~0ULL);
}

/* The builder this thread runs: NULL for the operator and the main thread. */
static _Thread_local struct lab_actor *lab_self;

void lab_point(struct lab *lab, uint32_t fp)
{
	if (lab->sched)
		lab_sched_point(lab->sched, fp);
}

/* ---- building a TD through KVM ---------------------------------------- */

static void td_slice(struct lab_actor *a, const char *name, uint64_t start_ns)
{
	struct lab *lab = a->lab;

	if (!lab->trace)
		return;
	pthread_mutex_lock(&lab->lock);
	trace_slice(lab->trace, TRACE_PID_TDS, (int)a->idx, "td", name, start_ns,
		    lab_now_ns(lab) - start_ns, NULL, NULL);
	pthread_mutex_unlock(&lab->lock);
}

/* ---- builds in flight, and the VMM's build lease ------------------------ */

uint64_t lab_busy_ns(struct lab *lab)
{
	uint64_t busy;

	pthread_mutex_lock(&lab->lock);
	busy = lab->busy_ns + (lab->inflight ? lab_now_ns(lab) - lab->inflight_since_ns : 0);
	pthread_mutex_unlock(&lab->lock);
	return busy;
}

static void inflight_add(struct lab *lab, int delta)
{
	uint64_t now = lab_now_ns(lab);

	pthread_mutex_lock(&lab->lock);
	if (delta > 0 && !lab->inflight++)
		lab->inflight_since_ns = now;
	if (delta < 0 && !--lab->inflight)
		lab->busy_ns += now - lab->inflight_since_ns;
	pthread_mutex_unlock(&lab->lock);
}

/*
 * The VMM takes a lease from before INIT_VM (and waits while the operator
 * holds builds) until FINALIZE_VM has returned, as contrib/'s hooks do; a
 * builder stopped by the end of the run gives up waiting.
 *
 * Under the hold it also asks the upload probe, as `tdxup lease begin` does.
 * The lab's operator never dies inside its hold, so the probe always finds
 * the device idle there (a registration happens only with no hold in place,
 * and an upload only inside one): it reads state no concurrent step writes,
 * which keeps the explorer's dependence relation exact and every run the
 * same. Without the hold it is left out on purpose: the retry and oneshot
 * policies show the race itself, with a VMM that relies on the kernel.
 */
static int lease_begin(struct lab_actor *a, struct lease_build *b)
{
	struct lab *lab = a->lab;
	struct lease_upload_probe probe = emu_upload_probe(lab->h);
	struct lease_err e = { "" };
	char id[LEASE_ID_MAX + 1];
	uint64_t t0;
	int ret;

	if (!lab->cfg->vmm_leases || !lab->lease_dir[0])
		return 1;
	snprintf(id, sizeof(id), "lab-%s", a->td->name);
	t0 = lab_now_ns(lab);
	do
		ret = lease_build_begin_probe(b, lab->lease_dir, id, "tdxup lab builder", 1000000,
					      false, lab->cfg->hold ? &probe : NULL, &e);
	while (ret == -ETIMEDOUT && !atomic_load(&lab->stop_runners));
	/* A wait the operator's hold caused is what the hold costs the builder. */
	if (lab_now_ns(lab) > t0)
		lab_record(lab, LAB_SPAN_LEASE_WAIT, a->idx, t0, lab_now_ns(lab), ret);
	if (ret)
		lab_note(lab, "%s: no build lease: %s", a->td->name, e.msg[0] ? e.msg :
			 strerror(-ret));
	return ret;
}

/*
 * A VMM killed -9 mid-build: its flock goes with its file descriptors, the
 * entry file stays; KVM tears the TD down when its fds close.
 */
static bool crash_here(struct lab_actor *a, struct lease_build *lb, int leased, int point)
{
	struct lab *lab = a->lab;

	/* The point is the seed's, drawn apart from the scheduler's RNG. */
	if (a->td->running || a->idx - lab->cfg->running >= lab->cfg->crash_builders ||
	    a->td->crashed || a->td->built ||
	    (int)(mix64(lab->cfg->seed * 7919 + a->idx) % 2) != point)
		return false;
	lab_note(lab, "%s: VMM killed %s (its lease entry stays behind)", a->td->name,
		 point ? "inside the build window" : "holding its lease, before INIT_VM");
	if (!leased) {
		/* Its entry's lock goes: a lease step like any other. */
		lab_point(lab, LAB_FP_ENTRY);
		close(lb->fd);
		close(lb->bdfd);
	}
	a->td->crashed = true;
	return true;
}

/* One full build; 0, or -errno with hw_error when the build failed. */
static int build_td(struct lab_actor *a, uint64_t *hw_error)
{
	uint64_t t0, t1;
	struct lease_build lb;
	int err, leased;

	*hw_error = 0;
	leased = lease_begin(a, &lb);
	if (leased < 0)
		return leased;
	if (crash_here(a, &lb, leased, 0))
		return -ECANCELED;
	inflight_add(a->lab, 1);
	t0 = lab_now_ns(a->lab);
	a->win_begin_ns = t0;
	err = td_kvm_create(&a->vmm, hw_error);
	if (!err && crash_here(a, &lb, leased, 1)) {
		inflight_add(a->lab, -1);
		lab_record(a->lab, LAB_SPAN_BUILD, a->idx, t0, lab_now_ns(a->lab),
			   LAB_BUILD_CRASHED);
		return -ECANCELED;
	}
	td_slice(a, "INIT_VM + INIT_VCPU", t0);
	if (!err) {
		lab_note(a->lab, "%s: INIT_VM on CPU %u: build window open (%u pages to measure)",
			 a->td->name, a->vmm.cpu, a->vmm.nr_pages);
		/* The VMM's own work inside the window (a churn scenario's knob). */
		if (a->lab->cfg->build_hold_us)
			a->lab->kt->sleep_us(a->lab->kt->ctx, a->lab->cfg->build_hold_us);
		t1 = lab_now_ns(a->lab);
		err = td_kvm_add_pages(&a->vmm, hw_error);
		if (!err && !leased && tdxup_planted(PLANT_LEASE_END_EARLY)) {
			lease_build_end(&lb);
			leased = 1;
		}
		if (!err)
			err = td_kvm_finalize(&a->vmm, hw_error);
		td_slice(a, "INIT_MEM_REGION + FINALIZE_VM", t1);
	}
	a->win_end_ns = lab_now_ns(a->lab);
	inflight_add(a->lab, -1);
	if (!leased)
		lease_build_end(&lb);
	return err;
}

/* ---- actors ------------------------------------------------------------ */

static void record_build(struct lab_actor *a, int err, uint64_t hw_error)
{
	struct lab *lab = a->lab;
	char st[TDX_STATUS_STR_LEN];

	if (!err) {
		bool ok = td_kvm_mrtd_matches(&a->vmm, a->td->mrtd) > 0;

		pthread_mutex_lock(&lab->lock);
		lab_record_locked(lab, LAB_SPAN_BUILD, a->idx, a->win_begin_ns, a->win_end_ns,
				  ok ? LAB_BUILD_OK : LAB_BUILD_WRONG_MRTD);
		/* Over several rounds, one wrong MRTD marks the TD's row. */
		a->td->mrtd_ok = a->td->built ? a->td->mrtd_ok && ok : ok;
		a->td->built = true;
		lab->res->builds_completed++;
		if (!ok)
			lab->res->wrong_mrtds++;
		pthread_mutex_unlock(&lab->lock);
		lab_note(lab, "%s: FINALIZE_VM: MRTD %s", a->td->name,
			 ok ? "matches the offline measurement" :
			      "DIFFERS from the offline measurement (silent corruption)");
		return;
	}
	pthread_mutex_lock(&lab->lock);
	lab_record_locked(lab, LAB_SPAN_BUILD, a->idx, a->win_begin_ns, a->win_end_ns,
			  LAB_BUILD_FAILED);
	a->td->build_failed = true;
	a->td->hw_error = hw_error;
	lab->res->failed_builds++;
	pthread_mutex_unlock(&lab->lock);
	lab_note(lab, "%s: build failed: %s%s%s", a->td->name, strerror(-err),
		 hw_error ? ", hw_error " : "", hw_error ? tdx_status_str(hw_error, st, sizeof(st)) : "");
}

static void build_round(struct lab_actor *a);

static void builder_fn(void *arg)
{
	struct lab_actor *a = arg;
	struct lab *lab = a->lab;

	lab_self = a;
	/* Exploring, the start is a choice, not a time. */
	if (!lab->cfg->chooser)
		lab->kt->sleep_us(lab->kt->ctx, lab_rand(lab, a->idx) %
				  (lab->cfg->churn ? lab->cfg->build_hold_us +
				   lab->cfg->build_gap_us + 1 : 300));
	for (unsigned int round = 0; lab->cfg->churn || round < lab->cfg->rounds; round++) {
		/* Churn: build until the operator is done, then stop. */
		if (lab->cfg->churn && atomic_load(&lab->update_done))
			break;
		build_round(a);
		if (a->td->lost || a->td->crashed || !tdx_host_module_initialized(lab->h))
			break;
		if (lab->cfg->churn && lab->cfg->build_gap_us)
			lab->kt->sleep_us(lab->kt->ctx, lab->cfg->build_gap_us);
	}
	atomic_fetch_sub(&lab->builders_left, 1);
}

/* One TD from INIT_VM to teardown, rebuilt if mitigation B refuses it. */
static void build_round(struct lab_actor *a)
{
	struct lab *lab = a->lab;
	uint64_t hw_error;
	int err, tries = 0;

	do {
		err = build_td(a, &hw_error);
		if (a->td->crashed)
			break;
		record_build(a, err, hw_error);
		/*
		 * A build refused with TDX_INCOMPATIBLE_MRTD_CONTEXT must be torn
		 * down and rebuilt (mitigation B); the VMM restarts it.
		 */
		if (err && hw_error == TDX_INCOMPATIBLE_MRTD_CONTEXT && ++tries < 3) {
			td_kvm_destroy(&a->vmm);
			lab_note(lab, "%s: torn down; rebuilding from scratch", a->td->name);
			a->td->build_failed = false;
			continue;
		}
		break;
	} while (true);
	/* The new TD runs once before it goes away. */
	if (a->td->built && td_kvm_run(&a->vmm))
		a->td->lost = true;
	td_kvm_destroy(&a->vmm);
}

static void runner_step(struct lab_actor *a)
{
	struct lab *lab = a->lab;
	uint64_t t0 = lab_now_ns(lab);
	struct kvm_run_exit ex;
	int same = td_kvm_step(&a->vmm, &ex, NULL);

	td_slice(a, "KVM_RUN", t0);
	lab_record(lab, LAB_SPAN_RUN, a->idx, t0, lab_now_ns(lab), same < 0);
	if (same < 0) {
		if (!a->td->lost)
			lab_note(lab, "%s: KVM_RUN failed: the TD is dead", a->td->name);
		a->td->lost = true;
		atomic_store(&a->dead, true);
		return;
	}
	if (!same) {
		if (a->td->memory_ok)
			lab_note(lab, "%s: guest memory does not match the replay", a->td->name);
		a->td->memory_ok = false;
	}
	if (atomic_load(&lab->update_done)) {
		a->td->steps_after++;
		atomic_fetch_add(&a->steps_after, 1);
	} else
		a->td->steps_before++;
	a->td->checksum = ex.checksum;
}

static void runner_fn(void *arg)
{
	struct lab_actor *a = arg;
	struct lab *lab = a->lab;

	for (unsigned int n = 1; !atomic_load(&lab->stop_runners) && !a->td->lost; n++) {
		lab_touch(lab, LAB_FP_STOP_READ);
		runner_step(a);
		if (!lab->cfg->chooser) {
			lab->kt->sleep_us(lab->kt->ctx, RUNNER_PERIOD_US);
			continue;
		}
		/* Exploring: a bounded guest, whose period is a preemption point. */
		if (lab->cfg->runner_steps && n >= lab->cfg->runner_steps)
			break;
		lab_sched_yield(lab->sched);
	}
}

/* ---- setup ------------------------------------------------------------- */

static struct lab_actor *new_actor(struct lab *lab, const char *prefix, unsigned int n,
				   unsigned int pages, bool running)
{
	struct lab_actor *a = &lab->actors[lab->nr_actors];
	struct lab_td *td = &lab->res->tds[lab->res->nr_tds];
	unsigned int cpu;

	a->lab = lab;
	a->idx = lab->nr_actors++;
	lab->res->nr_tds++;
	a->td = td;
	/* Builders and runners spread over the CPUs, CPU 0 left to the rest. */
	cpu = 1 + a->idx % (lab->cfg->cpus > 1 ? lab->cfg->cpus - 1 : 1);
	if (cpu >= lab->cfg->cpus)
		cpu = 0;
	snprintf(td->name, sizeof(td->name), "%s%u", prefix, n);
	td->running = running;
	td->memory_ok = true;
	if (td_kvm_init(&a->vmm, lab->h, cpu, pages))
		return NULL;
	td_kvm_fill(&a->vmm, lab->cfg->seed * 1000003 + a->idx);
	return a;
}

/* Running TDs are built before the scenario starts. */
static int start_running_td(struct lab *lab, unsigned int n)
{
	struct lab_actor *a = new_actor(lab, "run", n, RUNNER_PAGES, true);
	uint64_t hw;
	int err;

	if (!a)
		return -ENOMEM;
	err = build_td(a, &hw);
	if (err)
		return err;
	a->td->built = true;
	a->td->mrtd_ok = td_kvm_mrtd_matches(&a->vmm, a->td->mrtd) > 0;
	lab_record(lab, LAB_SPAN_BUILD, a->idx, a->win_begin_ns, a->win_end_ns,
		   a->td->mrtd_ok ? LAB_BUILD_OK : LAB_BUILD_WRONG_MRTD);
	return 0;
}

static int create_host(struct lab *lab)
{
	const struct lab_config *cfg = lab->cfg;
	struct tdx_host_config hc;
	int err = 0;

	tdx_host_config_init(&hc);
	hc.nr_cpus = cfg->cpus;
	hc.nr_packages = cfg->packages;
	hc.boot_module = cfg->from;
	hc.profile = cfg->profile;
	hc.driver = cfg->driver;
	hc.num_remaining_updates = cfg->updates_left;
	hc.kt = lab->kt;
	lab_hooks(lab, &hc.hooks);
	lab->h = tdx_host_create(&hc, &err);
	return lab->h ? 0 : err;
}

static int lab_setup(struct lab *lab)
{
	const struct lab_config *cfg = lab->cfg;
	int err;

	if (cfg->running + cfg->builders > LAB_MAX_TDS || !cfg->pages || cfg->pages > 4096)
		return -EINVAL;
	err = create_host(lab);
	if (err)
		return err;
	lab_note(lab, "host: %u CPUs in %u packages, TDX module %s, profile %s, %s driver, "
		 "%u updates left", cfg->cpus, cfg->packages, cfg->from,
		 kernel_profile_name(cfg->profile),
		 cfg->driver == LOCKSTEP_SERIAL ? "serial" : "threads", cfg->updates_left);
	for (unsigned int i = 0; i < cfg->running; i++) {
		err = start_running_td(lab, i);
		if (err)
			return err;
	}
	if (cfg->running)
		lab_note(lab, "%u TDs running", cfg->running);
	for (unsigned int i = 0; i < cfg->builders; i++)
		if (!new_actor(lab, "build", i, cfg->pages, false))
			return -ENOMEM;
	return 0;
}

/* ---- the run ------------------------------------------------------------ */

static int start_actor(struct lab *lab, struct lab_actor *a, void (*fn)(void *))
{
	return lab->kt->start(lab->kt->ctx, fn, a, a->td ? a->td->name : "operator", &a->thread);
}

/*
 * Real threads on a loaded machine may not have been scheduled in the
 * serial run's 600 us: wait (bounded) until each live runner has stepped
 * twice after the update, so the verdict judges the TD, not the OS.
 */
#define RUNNER_WAIT_POLLS	5000

static void wait_runners(struct lab *lab)
{
	for (unsigned int poll = 0; poll < RUNNER_WAIT_POLLS; poll++) {
		bool waiting = false;

		for (unsigned int i = 0; i < lab->nr_actors; i++) {
			struct lab_actor *a = &lab->actors[i];

			if (a->td->running && !atomic_load(&a->dead) &&
			    atomic_load(&a->steps_after) < 2)
				waiting = true;
		}
		if (!waiting)
			return;
		lab->kt->sleep_us(lab->kt->ctx, 1000);
	}
}

static int run_actors(struct lab *lab)
{
	struct lab_actor op = { .lab = lab };
	int err = 0;

	atomic_store(&lab->builders_left, lab->cfg->builders);
	if (lab->sched && lab->cfg->chooser)
		lab_sched_set_chooser(lab->sched, lab->cfg->chooser);
	for (unsigned int i = 0; i < lab->nr_actors && !err; i++)
		err = start_actor(lab, &lab->actors[i],
				  lab->actors[i].td->running ? runner_fn : builder_fn);
	if (!err)
		err = lab->kt->start(lab->kt->ctx, operator_fn, lab, "operator", &op.thread);
	if (err)
		atomic_store(&lab->stop_runners, true);
	if (op.thread)
		lab->kt->join(lab->kt->ctx, op.thread);
	for (unsigned int i = 0; i < lab->nr_actors; i++)
		if (!lab->actors[i].td->running && lab->actors[i].thread)
			lab->kt->join(lab->kt->ctx, lab->actors[i].thread);
	/* Let the running TDs show they go on after everything is over. */
	if (!lab->cfg->chooser)
		lab->kt->sleep_us(lab->kt->ctx, 4 * RUNNER_PERIOD_US);
	if (!lab->sched)
		wait_runners(lab);
	lab_touch(lab, LAB_FP_STOP);
	atomic_store(&lab->stop_runners, true);
	for (unsigned int i = 0; i < lab->nr_actors; i++)
		if (lab->actors[i].td->running && lab->actors[i].thread)
			lab->kt->join(lab->kt->ctx, lab->actors[i].thread);
	if (lab->sched)
		lab_sched_end_choices(lab->sched);
	return err;
}

static int lab_init(struct lab *lab, const struct lab_config *cfg, struct lab_result *res)
{
	struct timespec ts;

	memset(lab, 0, sizeof(*lab));
	memset(res, 0, sizeof(*res));
	lab->cfg = cfg;
	lab->res = res;
	pthread_mutex_init(&lab->lock, NULL);
	lab->stage = calloc(cfg->cpus, sizeof(*lab->stage));
	lab->stage_begin_ns = calloc(cfg->cpus, sizeof(*lab->stage_begin_ns));
	if (!lab->stage || !lab->stage_begin_ns)
		return -ENOMEM;
	if (cfg->trace_path && !(lab->trace = trace_new()))
		return -ENOMEM;
	if (cfg->driver == LOCKSTEP_SERIAL) {
		lab->sched = lab_sched_create(cfg->seed);
		if (!lab->sched)
			return -ENOMEM;
		lab->kt = lab_sched_ops(lab->sched);
	} else {
		lab->kt = kthread_default_ops();
		clock_gettime(CLOCK_MONOTONIC, &ts);
		lab->t0_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	}
	lab_trace_names(lab);
	return 0;
}

static void lab_fini(struct lab *lab)
{
	for (unsigned int i = 0; i < lab->nr_actors; i++)
		td_kvm_fini(&lab->actors[i].vmm);
	tdx_host_destroy(lab->h);
	lab_sched_destroy(lab->sched);
	trace_free(lab->trace);
	lab_timeline_free(lab);
	free(lab->image);
	free(lab->stage);
	free(lab->stage_begin_ns);
	pthread_mutex_destroy(&lab->lock);
}

static uint64_t lease_now(void *ctx)
{
	const struct lab *lab = ctx;

	return lab->kt->now_us(lab->kt->ctx);
}

static void lease_sleep(void *ctx, uint64_t us)
{
	const struct lab *lab = ctx;

	lab->kt->sleep_us(lab->kt->ctx, us);
}

/*
 * The lease invariant the explorer checks beside the TDs' outcomes: no
 * builder registers under a hold that was in place when it took the gate
 * (the safety of the hold does not need it, its bound on the updater's wait
 * does). The point comes just before its operation with no yield between,
 * so the state seen here is the state the operation meets.
 */
static void lease_watch(struct lab *lab, enum lease_point pt)
{
	struct lab_actor *a = lab_self;

	if (pt == LEASE_PT_HOLD_MAKE)
		lab->hold_gen = ++lab->holds;
	else if (pt == LEASE_PT_HOLD_DROP)
		lab->hold_gen = 0;
	else if (a && pt == LEASE_PT_GATE_SH)
		a->gate_gen = lab->hold_gen;
	else if (a && pt == LEASE_PT_ENTRY_LINK && a->gate_gen && a->gate_gen == lab->hold_gen) {
		pthread_mutex_lock(&lab->lock);
		lab->res->late_registrations++;
		pthread_mutex_unlock(&lab->lock);
		lab_note(lab, "%s: registers under the hold it took the gate under",
			 a->td->name);
	}
}

/*
 * Every lease operation is an interleaving point, its footprint the file it
 * meets and how (explore.h; explore.c states the relation). A builder's
 * gate attempt and its link also read whether a hold is in place: not the
 * lease's code, lease_watch does, and the order it sees must be explored.
 */
static const uint32_t lease_fp[] = {
	[LEASE_PT_HOLD_PROBE] = LAB_FP_HOLD_READ,
	[LEASE_PT_GATE_SH] = LAB_FP_GATE_SHARED | LAB_FP_HOLD_READ,
	[LEASE_PT_ENTRY_LINK] = LAB_FP_ENTRY | LAB_FP_HOLD_READ,
	[LEASE_PT_GATE_UNSH] = LAB_FP_GATE_SHARED,
	[LEASE_PT_UPLOAD_PROBE] = LAB_FP_UPLOAD_READ,
	[LEASE_PT_ENTRY_UNLINK] = LAB_FP_ENTRY,
	[LEASE_PT_HOLD_MAKE] = LAB_FP_HOLD_WRITE,
	[LEASE_PT_GATE_EX] = LAB_FP_GATE_EXCL,
	[LEASE_PT_SCAN] = LAB_FP_SCAN,
	[LEASE_PT_HOLD_DROP] = LAB_FP_HOLD_WRITE,
	[LEASE_PT_GATE_UNEX] = LAB_FP_GATE_EXCL,
};

static void lease_point_fn(void *ctx, enum lease_point pt)
{
	struct lab *lab = ctx;
	uint32_t fp = (unsigned int)pt < sizeof(lease_fp) / sizeof(lease_fp[0]) ?
		      lease_fp[pt] : LAB_FP_SCAN | LAB_FP_HOLD_WRITE | LAB_FP_GATE_EXCL;

	lab_point(lab, fp);
	lease_watch(lab, pt);
}

/*
 * A host's lease directory exists before any VMM or updater runs (the
 * package's tmpfiles.d makes it at boot). Here one registration, before
 * the actors start, makes builds/ and gate as the library does: otherwise
 * the first actor to touch the lease would create what the others read
 * (the operator's listing skips its scan while builds/ is missing), an
 * ordering the explorer's relation does not declare; its swap check found
 * it.
 */
static int lease_populate(struct lab *lab)
{
	struct lease_build b;
	int err = lease_build_begin(&b, lab->lease_dir, "lab-setup", "tdxup lab setup", 0, false,
				    NULL);

	if (err)
		return err;
	return lease_build_end(&b);
}

/*
 * The lease lives in a private directory, and its waits run on the lab's
 * clock so that the scheduler sees every one (lease_set_clock is process
 * wide: one lab at a time per process, which lab_run is).
 */
static int lease_setup(struct lab *lab)
{
	struct stat st;

	/* Exploring makes thousands: tmpfs when there is one, they cost less there. */
	snprintf(lab->lease_dir, sizeof(lab->lease_dir), "%s/tdxup-lab-XXXXXX",
		 lab->cfg->chooser && !stat("/dev/shm", &st) && S_ISDIR(st.st_mode) &&
		 !access("/dev/shm", W_OK) ? "/dev/shm" : "/tmp");
	if (!mkdtemp(lab->lease_dir)) {
		lab->lease_dir[0] = '\0';
		return -errno;
	}
	lab->lease_clock = (struct lease_clock){ lease_now, lease_sleep, lab, lease_point_fn };
	lease_set_clock(&lab->lease_clock);
	return lease_populate(lab);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void lease_teardown(struct lab *lab)
{
	if (!lab->lease_dir[0])
		return;
	lease_set_clock(NULL);
	nftw(lab->lease_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	lab->lease_dir[0] = '\0';
}

int lab_run(const struct lab_config *cfg, struct lab_result *res)
{
	struct lab lab;
	int err = lab_init(&lab, cfg, res);

	/* Refused runs start nothing; the reason is the verdict's. */
	if (!err)
		err = lab_config_check(cfg, res->verdict_reason, sizeof(res->verdict_reason));
	if (!err)
		err = lease_setup(&lab);
	if (!err)
		err = lab_setup(&lab);
	if (!err)
		err = run_actors(&lab);
	if (!err)
		lab_verdict(&lab);
	if (!err && lab.trace)
		err = write_trace(&lab);
	res->end_us = lab_now_ns(&lab) / 1000;
	if (lab.h)
		res->mem_peak_frames = physmem_peak_used(seam_physmem(tdx_host_platform(lab.h)));
	res->timeline = lab_timeline_text(&lab);
	lease_teardown(&lab);
	lab_fini(&lab);
	return err;
}

void lab_result_free(struct lab_result *res)
{
	free(res->timeline);
	res->timeline = NULL;
	free(res->rec.spans);
	memset(&res->rec, 0, sizeof(res->rec));
}
