// SPDX-License-Identifier: MIT
/*
 * The serving host's workload: TD builders and running TDs on real
 * threads, going through KVM's TD-build interface (emu/kvm.h) exactly as
 * a VMM would, so that an update arriving over the mount meets builds in
 * flight (device-busy under v8, silent MRTD corruption under mainline with
 * an affected module pair, failed builds under detect).
 *
 * Each builder fills its pages from (seed, builder, build number), builds,
 * checks the MRTD the module produced against an offline calculation over
 * the same pages, runs the TD once and tears it down. Running TDs are built
 * before the threads start and then step; their guest's work page is
 * replayed here, so lost or corrupted TDs are seen.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lab/td_kvm.h"
#include "lab/upload_probe.h"
#include "tdxup/status_name.h"
#include "tdxup/tdx_abi.h"
#include "emu/workload.h"
#include "tdxup/lease.h"

#define WL_RUNNING_PAGES	4
#define WL_FAIL_BACKOFF_US	10000	/* after a failed build, however small gap is */
#define WL_HOLD_BUSY_MAX_US	60000000ULL
#define WL_HOLD_POLL_US		1000

struct wl_actor {
	struct workload *w;
	unsigned int idx;
	bool running;			/* a running TD, not a builder */
	char name[16];
	struct td_kvm vmm;		/* the TD as its VMM holds it */
	uint64_t nr_builds;
	int last_err;			/* a failure is logged when it changes */
	bool lost;
	bool memory_bad;
	pthread_t thread;
	bool started;
};

struct workload {
	struct tdx_host *h;
	struct workload_config cfg;
	workload_log_fn log_fn;
	void *log_ctx;
	atomic_bool stop;
	bool stopped;
	pthread_mutex_t lock;		/* stats and the stop wakeup */
	pthread_cond_t wake;
	struct workload_stats st;
	bool hold_settled;		/* hold=busy: the window is open, or the build failed */
	unsigned int nr_actors;
	struct wl_actor actors[];
};

void workload_config_init(struct workload_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->pages = 256;
	cfg->gap_us = 10000;
	cfg->seed = 1;
	cfg->leases = true;
}

/* ---- parsing ---------------------------------------------------------- */

static int parse_uint(const char *s, uint64_t max, uint64_t *v)
{
	char *end;
	unsigned long long n;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno || *end || n > max)
		return -EINVAL;
	*v = n;
	return 0;
}

/* Workload gaps and holds: an hour at most, longer is a typo (inferred limit). */
#define WORKLOAD_MAX_DURATION_US	3600000000ULL

static int parse_bounded_duration(const char *val, uint64_t *us)
{
	uint64_t v;

	if (parse_duration_us(val, &v) || v > WORKLOAD_MAX_DURATION_US)
		return -EINVAL;
	*us = v;
	return 0;
}

static int parse_pair(struct workload_config *cfg, const char *key, const char *val)
{
	uint64_t v;

	if (!strcmp(key, "gap"))
		return parse_bounded_duration(val, &cfg->gap_us);
	if (!strcmp(key, "hold")) {
		cfg->hold_until_busy = !strcmp(val, "busy");
		if (cfg->hold_until_busy)
			return 0;
		return parse_bounded_duration(val, &cfg->hold_us);
	}
	if (!strcmp(key, "seed"))
		return parse_uint(val, UINT64_MAX, &cfg->seed);
	if (!strcmp(key, "lease")) {
		if (strcmp(val, "on") && strcmp(val, "off"))
			return -EINVAL;
		cfg->leases = !strcmp(val, "on");
		return 0;
	}
	if (parse_uint(val, WORKLOAD_MAX_PAGES, &v))
		return -EINVAL;
	if (!strcmp(key, "builders"))
		cfg->builders = (unsigned int)v;
	else if (!strcmp(key, "running"))
		cfg->running = (unsigned int)v;
	else if (!strcmp(key, "pages") && v)
		cfg->pages = (unsigned int)v;
	else
		return -EINVAL;
	return 0;
}

int workload_parse(const char *spec, struct workload_config *cfg, char *err, size_t errlen)
{
	char *copy = strdup(spec), *save = NULL, *tok;
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok && !ret; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');

		if (!eq) {
			snprintf(err, errlen, "'%s': expected KEY=VALUE", tok);
			ret = -EINVAL;
			break;
		}
		*eq = '\0';
		ret = parse_pair(cfg, tok, eq + 1);
		if (ret)
			snprintf(err, errlen, "bad '%s=%s' (keys: builders, running, pages 1..%u, "
				 "gap, hold DURATION|busy, seed)", tok, eq + 1, WORKLOAD_MAX_PAGES);
	}
	if (!ret && cfg->builders + cfg->running > WORKLOAD_MAX_ACTORS) {
		snprintf(err, errlen, "at most %u builders and running TDs in all",
			 WORKLOAD_MAX_ACTORS);
		ret = -EINVAL;
	}
	free(copy);
	return ret;
}

/* ---- helpers ------------------------------------------------------------ */

static void wl_log(struct workload *w, bool loud, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void wl_log(struct workload *w, bool loud, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (w->log_fn)
		w->log_fn(w->log_ctx, loud, line);
}

/* Sleeps up to us, returning early once the workload is told to stop. */
static void wl_sleep(struct workload *w, uint64_t us)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)(us / 1000000);
	ts.tv_nsec += (long)(us % 1000000) * 1000;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&w->lock);
	while (!atomic_load(&w->stop) &&
	       pthread_cond_timedwait(&w->wake, &w->lock, &ts) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&w->lock);
}

/*
 * Fresh contents for each build, so that every MRTD check is a new one.
 * td_kvm_fill's word i is mix64(seed + 8 * i): builds' seeds stay 2^24
 * apart (the largest TD, in bytes), so no build repeats a shifted earlier
 * one until 2^16 builds.
 */
static void fill_pages(struct wl_actor *a)
{
	uint64_t seed = a->w->cfg.seed * 0x100000001B3ULL ^ ((uint64_t)a->idx << 40);

	td_kvm_fill(&a->vmm, seed + (a->nr_builds << 24));
}

static void settle_hold(struct workload *w)
{
	pthread_mutex_lock(&w->lock);
	w->hold_settled = true;
	pthread_cond_broadcast(&w->wake);
	pthread_mutex_unlock(&w->lock);
}

/* workload_start returns once the held window is open: no client can come first. */
static void wait_hold(struct workload *w)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += WL_HOLD_BUSY_MAX_US / 1000000;
	pthread_mutex_lock(&w->lock);
	while (!w->hold_settled &&
	       pthread_cond_timedwait(&w->wake, &w->lock, &ts) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&w->lock);
}

static bool first_builder(const struct wl_actor *a)
{
	return !a->running && a->idx == a->w->cfg.running;
}

/*
 * hold=busy: keep the first window open until the host has refused an
 * update, so that a client's first attempt is sure to meet it.
 */
static void hold_window(struct wl_actor *a)
{
	const struct workload_config *cfg = &a->w->cfg;
	struct tdx_host_stats st;
	unsigned int busy0;

	if (!(cfg->hold_until_busy && first_builder(a) && a->nr_builds == 0)) {
		if (a->running)
			return;
		if (cfg->hold_us)
			wl_sleep(a->w, cfg->hold_us);
		return;
	}
	tdx_host_get_stats(a->w->h, &st);
	busy0 = st.busy_rejections;
	wl_log(a->w, false, "%s: build window open; holding it until an update is refused",
	       a->name);
	settle_hold(a->w);
	for (uint64_t waited = 0; waited < WL_HOLD_BUSY_MAX_US && !atomic_load(&a->w->stop);
	     waited += WL_HOLD_POLL_US) {
		tdx_host_get_stats(a->w->h, &st);
		if (st.busy_rejections != busy0)
			break;
		wl_sleep(a->w, WL_HOLD_POLL_US);
	}
}

/* A slice of waiting, so that a stopping workload never waits out a long hold. */
#define WL_LEASE_SLICE_US	100000

/*
 * The VMM's side of the build lease: a lease from before INIT_VM until
 * FINALIZE_VM has returned, taken in slices while an updater holds builds
 * or the kernel's upload is open or running.
 */
static int lease_begin(struct wl_actor *a, struct lease_build *b)
{
	struct workload *w = a->w;
	struct lease_upload_probe probe = emu_upload_probe(w->h);
	struct lease_err e = { "" };
	char id[LEASE_ID_MAX + 1];
	int ret = -ETIMEDOUT;

	snprintf(id, sizeof(id), "serve-%s-%llu", a->name, (unsigned long long)a->nr_builds);
	/* The probe, as a real VMM's: an updater killed in its hold must not let us in. */
	while (ret == -ETIMEDOUT && !atomic_load(&w->stop))
		ret = lease_build_begin_probe(b, w->cfg.lease_dir, id, "tdxup serve workload",
					      WL_LEASE_SLICE_US, false, &probe, &e);
	if (ret == -ETIMEDOUT)
		return -ECANCELED;
	if (ret)
		wl_log(w, true, "%s: cannot take a build lease: %s", a->name, e.msg);
	return ret;
}

static int td_build(struct wl_actor *a, uint64_t *hw_error)
{
	struct lease_build b;
	bool leased = a->w->cfg.lease_dir;
	int ret;

	*hw_error = 0;
	if (leased) {
		ret = lease_begin(a, &b);
		if (ret)
			return ret;
	}
	ret = td_kvm_create(&a->vmm, hw_error);
	if (!ret) {
		hold_window(a);
		ret = td_kvm_measure(&a->vmm, hw_error);
	}
	/* FINALIZE_VM has returned (or the build failed): the window is shut. */
	if (leased)
		lease_build_end(&b);
	return ret;
}

/* ---- builders ------------------------------------------------------- */

static void build_failed(struct wl_actor *a, int err, uint64_t hw_error)
{
	struct workload *w = a->w;
	char st[TDX_STATUS_STR_LEN];

	pthread_mutex_lock(&w->lock);
	w->st.failed_builds++;
	pthread_mutex_unlock(&w->lock);
	/* The same failure again (a lost module: -ENODEV forever) is not news. */
	if (err == a->last_err && !hw_error)
		return;
	a->last_err = err;
	wl_log(w, false, "%s: build %llu failed: %s%s%s", a->name,
	       (unsigned long long)a->nr_builds, strerror(-err), hw_error ? ", hw_error " : "",
	       hw_error ? tdx_status_str(hw_error, st, sizeof(st)) : "");
}

static void build_finished(struct wl_actor *a)
{
	struct workload *w = a->w;
	uint8_t mrtd[48];
	int match = td_kvm_mrtd_matches(&a->vmm, mrtd);

	a->last_err = 0;
	pthread_mutex_lock(&w->lock);
	w->st.builds++;
	if (match == 0)
		w->st.wrong_mrtds++;
	pthread_mutex_unlock(&w->lock);
	if (match == 0)
		wl_log(w, true, "WRONG MRTD: %s build %llu: the module's MRTD differs from the "
		       "offline measurement (silent corruption)", a->name,
		       (unsigned long long)a->nr_builds);
	else if (match < 0)
		wl_log(w, false, "%s: build %llu: MRTD not readable (%s)", a->name,
		       (unsigned long long)a->nr_builds, strerror(-match));
}

/* A finished TD runs once before it goes away; failing that, it is lost. */
static void run_once(struct wl_actor *a)
{
	int ret = td_kvm_run(&a->vmm);

	if (!ret)
		return;
	pthread_mutex_lock(&a->w->lock);
	a->w->st.lost_tds++;
	pthread_mutex_unlock(&a->w->lock);
	wl_log(a->w, true, "TD LOST: %s build %llu: KVM_RUN failed (%s)", a->name,
	       (unsigned long long)a->nr_builds, strerror(-ret));
}

static void *builder_thread(void *arg)
{
	struct wl_actor *a = arg;
	struct workload *w = a->w;
	uint64_t hw_error;
	int ret;

	while (!atomic_load(&w->stop)) {
		fill_pages(a);
		ret = td_build(a, &hw_error);
		/* Stopped while waiting for a lease: no build began, none failed. */
		if (ret == -ECANCELED && atomic_load(&w->stop)) {
			td_kvm_destroy(&a->vmm);
			break;
		}
		if (!ret) {
			build_finished(a);
			run_once(a);
		} else {
			build_failed(a, ret, hw_error);
		}
		td_kvm_destroy(&a->vmm);
		if (first_builder(a) && !a->nr_builds)
			settle_hold(w);
		a->nr_builds++;
		wl_sleep(w, ret && w->cfg.gap_us < WL_FAIL_BACKOFF_US ? WL_FAIL_BACKOFF_US :
								       w->cfg.gap_us);
	}
	return NULL;
}

/* ---- running TDs ------------------------------------------------------ */

static int start_running_td(struct wl_actor *a)
{
	uint64_t hw_error;
	int ret;

	fill_pages(a);
	ret = td_build(a, &hw_error);
	if (ret) {
		build_failed(a, ret, hw_error);
		return ret;
	}
	build_finished(a);
	a->nr_builds++;
	return 0;
}

static void step(struct wl_actor *a)
{
	struct workload *w = a->w;
	struct kvm_run_exit ex;
	uint64_t counter;
	int same = td_kvm_step(&a->vmm, &ex, &counter);

	if (same < 0) {
		a->lost = true;
		pthread_mutex_lock(&w->lock);
		w->st.lost_tds++;
		w->st.running_alive--;
		pthread_mutex_unlock(&w->lock);
		wl_log(w, true, "TD LOST: %s: KVM_RUN failed (%s): the TD is dead", a->name,
		       strerror(-same));
		return;
	}
	pthread_mutex_lock(&w->lock);
	w->st.steps++;
	if (!a->memory_bad && !same)
		w->st.bad_memory++;
	pthread_mutex_unlock(&w->lock);
	if (!a->memory_bad && !same) {
		a->memory_bad = true;
		wl_log(w, true, "TD MEMORY CORRUPT: %s: step %llu does not match the replay",
		       a->name, (unsigned long long)counter);
	}
}

static void *running_thread(void *arg)
{
	struct wl_actor *a = arg;

	while (!atomic_load(&a->w->stop) && !a->lost) {
		step(a);
		wl_sleep(a->w, a->w->cfg.gap_us);
	}
	return NULL;
}

/* ---- lifetime ------------------------------------------------------------ */

static int actor_init(struct workload *w, unsigned int idx, bool running, unsigned int n)
{
	const struct tdx_host_config *hc = tdx_host_config(w->h);
	struct wl_actor *a = &w->actors[idx];
	/* Spread over the CPUs; CPU 0 is left to the updater's lead. */
	unsigned int cpu = hc->nr_cpus > 1 ? 1 + idx % (hc->nr_cpus - 1) : 0;

	a->w = w;
	a->idx = idx;
	a->running = running;
	snprintf(a->name, sizeof(a->name), "%s%u", running ? "run" : "build", n);
	return td_kvm_init(&a->vmm, w->h, cpu, running ? WL_RUNNING_PAGES : w->cfg.pages);
}

static int start_threads(struct workload *w)
{
	for (unsigned int i = 0; i < w->nr_actors; i++) {
		struct wl_actor *a = &w->actors[i];
		int ret = pthread_create(&a->thread, NULL,
					 a->running ? running_thread : builder_thread, a);

		if (ret)
			return -ret;
		a->started = true;
	}
	return 0;
}

static struct workload *workload_alloc(struct tdx_host *h, const struct workload_config *cfg)
{
	unsigned int n = cfg->builders + cfg->running;
	struct workload *w = calloc(1, sizeof(*w) + n * sizeof(w->actors[0]));
	pthread_condattr_t ca;

	if (!w)
		return NULL;
	w->h = h;
	w->cfg = *cfg;
	w->nr_actors = n;
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->wake, &ca);
	pthread_condattr_destroy(&ca);
	return w;
}

struct workload *workload_start(struct tdx_host *h, const struct workload_config *cfg,
				workload_log_fn fn, void *ctx, int *err)
{
	struct workload *w;
	int ret = -EINVAL;

	if (!h || !cfg || cfg->builders + cfg->running > WORKLOAD_MAX_ACTORS || !cfg->pages ||
	    cfg->pages > WORKLOAD_MAX_PAGES)
		goto fail;
	ret = -ENOMEM;
	w = workload_alloc(h, cfg);
	if (!w)
		goto fail;
	w->log_fn = fn;
	w->log_ctx = ctx;
	/* Running TDs first, so that they exist before any builder starts. */
	for (unsigned int i = 0; i < w->nr_actors; i++) {
		bool running = i < cfg->running;

		ret = actor_init(w, i, running, running ? i : i - cfg->running);
		if (!ret && running)
			ret = start_running_td(&w->actors[i]);
		if (ret)
			goto err;
	}
	w->st.running_alive = cfg->running;
	ret = start_threads(w);
	if (ret)
		goto err;
	if (cfg->hold_until_busy && cfg->builders)
		wait_hold(w);
	wl_log(w, false, "workload: %u builder(s) of %u pages, %u running TD(s), gap %llu us%s%s",
	       cfg->builders, cfg->pages, cfg->running, (unsigned long long)cfg->gap_us,
	       cfg->hold_until_busy ? ", first window held until an update is refused" : "",
	       cfg->lease_dir ? ", builds take leases" : ", builds take no leases");
	return w;
err:
	workload_free(w);
fail:
	if (err)
		*err = ret;
	return NULL;
}

void workload_stop(struct workload *w)
{
	if (!w || w->stopped)
		return;
	pthread_mutex_lock(&w->lock);
	atomic_store(&w->stop, true);
	pthread_cond_broadcast(&w->wake);
	pthread_mutex_unlock(&w->lock);
	for (unsigned int i = 0; i < w->nr_actors; i++) {
		if (w->actors[i].started)
			pthread_join(w->actors[i].thread, NULL);
		w->actors[i].started = false;
	}
	for (unsigned int i = 0; i < w->nr_actors; i++)
		td_kvm_destroy(&w->actors[i].vmm);
	w->stopped = true;
}

void workload_get_stats(struct workload *w, struct workload_stats *st)
{
	pthread_mutex_lock(&w->lock);
	*st = w->st;
	pthread_mutex_unlock(&w->lock);
}

void workload_free(struct workload *w)
{
	if (!w)
		return;
	workload_stop(w);
	for (unsigned int i = 0; i < w->nr_actors; i++)
		td_kvm_fini(&w->actors[i].vmm);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
