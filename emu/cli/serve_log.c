// SPDX-License-Identifier: MIT
/*
 * `tdxup serve`: what the server says. Log lines on stderr (the kernel's
 * printk lines through the host's event hook, the workload's findings, one
 * line per update attempt with its outcome), the same as JSON lines with
 * --json-log, and the summary on exit.
 *
 * Update attempts are found by watching tdx_host_get_stats(): every
 * attempt is counted there, including the ones refused before
 * stop_machine (a malformed image never reaches it, so no event marks it).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/serve.h"
#include "tdxup/fsafe.h"

#define MONITOR_PERIOD_NS	2000000L	/* 2 ms */
#define IDLE_WAIT_POLLS		5000		/* x 2 ms: the worker's final "idle" */
#define FW_DIR			"/devices/faux/tdx_host/firmware/"

static const char *const upload_names[] = { "tdx_module", "seamldr_upload" };

static double elapsed_s(const struct serve *s)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - s->t0.tv_sec) + (now.tv_nsec - s->t0.tv_nsec) / 1e9;
}

/* Takes the reference to rec; adds the time. */
static void json_emit(struct serve *s, const char *event, json_t *rec)
{
	char *line;

	if (!s->json || !rec) {
		json_decref(rec);
		return;
	}
	json_object_set_new(rec, "t", json_real(elapsed_s(s)));
	json_object_set_new(rec, "event", json_string(event));
	line = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(rec);
	if (!line)
		return;
	pthread_mutex_lock(&s->lock);
	fprintf(s->json, "%s\n", line);
	fflush(s->json);
	pthread_mutex_unlock(&s->lock);
	free(line);
}

static void log_line(struct serve *s, bool loud, const char *text)
{
	pthread_mutex_lock(&s->lock);
	fprintf(stderr, "[%9.3f] %s%s\n", elapsed_s(s), loud ? "!!! " : "", text);
	pthread_mutex_unlock(&s->lock);
	json_emit(s, "log", json_pack("{s:s, s:b}", "text", text, "loud", loud));
}

void serve_log(struct serve *s, const char *fmt, ...)
{
	char line[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_line(s, false, line);
}

int serve_init(struct serve *s, const char *json_path)
{
	struct fsafe_err fe;
	int fd;

	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	clock_gettime(CLOCK_MONOTONIC, &s->t0);
	if (!json_path)
		return 0;
	/* Never through a symlink, only into a regular file (fsafe_open_log). */
	fd = fsafe_open_log(json_path, 0644, &fe);
	s->json = fd < 0 ? NULL : fdopen(fd, "w");
	if (!s->json) {
		if (fd >= 0)
			close(fd);
		if (fd < 0)
			fprintf(stderr, "tdxup: %s\n", fe.msg);
		else
			fprintf(stderr, "tdxup: %s: %s\n", json_path, strerror(errno));
		pthread_mutex_destroy(&s->lock);
		return -1;
	}
	return 0;
}

void serve_fini(struct serve *s)
{
	if (s->json)
		fclose(s->json);
	pthread_mutex_destroy(&s->lock);
}

const char *serve_fault_name(enum host_fault f)
{
	switch (f) {
	case HOST_FAULT_INSTALL_RECOVERABLE:	return "install-recoverable";
	case HOST_FAULT_INSTALL_UNRECOVERABLE:	return "install-unrecoverable";
	case HOST_FAULT_LP_INIT:		return "lp-init";
	case HOST_FAULT_SYS_UPDATE:		return "sys-update";
	case HOST_FAULT_RND_NO_ENTROPY:		return "no-entropy";
	case HOST_FAULT_MIG_INTERRUPTED:	return "mig-interrupted";
	}
	return "unknown";
}

/* "1.5.25", or "lost" when the kernel has no module. */
static void module_version(struct serve *s, char *buf, size_t len)
{
	uint16_t maj, min, upd;

	if (tdx_host_module_version(s->h, &maj, &min, &upd))
		snprintf(buf, len, "lost");
	else
		snprintf(buf, len, "%u.%u.%02u", maj, min, upd);
}

void serve_log_host(struct serve *s)
{
	const struct tdx_host_config *c = tdx_host_config(s->h);
	char ver[24];

	module_version(s, ver, sizeof(ver));
	serve_log(s, "host: %u CPUs in %u package(s), TDX module %s, P-SEAMLDR %u.%u.%02u "
		  "(%u updates left), profile %s, %s layout", c->nr_cpus, c->nr_packages, ver,
		  c->seamldr_major, c->seamldr_minor, c->seamldr_update,
		  c->num_remaining_updates, kernel_profile_name(c->profile),
		  c->layout == SYSFS_LAYOUT_LEGACY ? "legacy" : "final");
}

/* ---- hooks -------------------------------------------------------------- */

/*
 * --stw-delay: a large host's rendezvous takes long. Sleeping here, with
 * every CPU stopped, stretches the whole window in which fw_upload shows
 * "transferring", so that a client can watch an update in flight.
 */
static void stw_delay(uint64_t us)
{
	struct timespec ts = {
		.tv_sec = (time_t)(us / 1000000),
		.tv_nsec = (long)(us % 1000000) * 1000,
	};

	while (us && nanosleep(&ts, &ts) && errno == EINTR)
		;
}

void serve_host_event(void *ctx, const struct host_event *ev)
{
	struct serve *s = ctx;
	char line[640];

	switch (ev->kind) {
	case HOST_EV_LOG:
		snprintf(line, sizeof(line), "kernel: %s", ev->text);
		log_line(s, strstr(ev->text, "lost") != NULL, line);
		break;
	case HOST_EV_STW_BEGIN:
		s->stw_begin_us = ev->at_us;
		serve_log(s, "update: stop_machine: every CPU stopped");
		stw_delay(s->stw_delay_us);
		break;
	case HOST_EV_STW_ENTER:
		/*
		 * --stw-enter-delay: the rendezvous of a busy large host, before
		 * any CPU is stopped: the update is under way (fw_upload shows
		 * "transferring") while TD builds still run.
		 */
		if (s->stw_enter_delay_us)
			serve_log(s, "update: stop_machine: gathering the CPUs");
		stw_delay(s->stw_enter_delay_us);
		break;
	case HOST_EV_STW_END:
		serve_log(s, "update: stop_machine: CPUs released after %llu us (%s)",
			  (unsigned long long)(ev->at_us - s->stw_begin_us),
			  ev->value ? strerror(-ev->value) : "success");
		break;
	case HOST_EV_STAGE:
		break;
	}
}

void serve_workload_log(void *ctx, bool loud, const char *line)
{
	log_line(ctx, loud, line);
}

/* ---- the update monitor ---------------------------------------------- */

static bool upload_path(struct serve *s, unsigned int i, const char *attr, char *buf,
			size_t len)
{
	struct sysfs_stat st;

	snprintf(buf, len, FW_DIR "%s/%s", upload_names[i], attr);
	return !sysfs_stat(tdx_host_sysfs(s->h), buf, true, &st);
}

/* The worker records the error before it goes idle; wait for that. */
static void wait_uploads_idle(struct serve *s)
{
	struct timespec period = { 0, MONITOR_PERIOD_NS };
	char path[128], buf[64];

	for (unsigned int i = 0; i < sizeof(upload_names) / sizeof(upload_names[0]); i++) {
		if (!upload_path(s, i, "status", path, sizeof(path)))
			continue;
		for (int n = 0; n < IDLE_WAIT_POLLS && !atomic_load(&s->stop); n++) {
			if (sysfs_read_file(tdx_host_sysfs(s->h), path, &sysfs_cred_root, buf,
					    sizeof(buf)) >= 0 && !strcmp(buf, "idle\n"))
				break;
			nanosleep(&period, NULL);
		}
	}
}

/* "tdx_module 'transferring:device-busy'" for each fw_upload device. */
static void upload_errors(struct serve *s, char *out, size_t len, json_t *rec)
{
	char path[128], buf[128];
	size_t used = 0;

	out[0] = '\0';
	for (unsigned int i = 0; i < sizeof(upload_names) / sizeof(upload_names[0]); i++) {
		ssize_t n;

		if (!upload_path(s, i, "error", path, sizeof(path)))
			continue;
		n = sysfs_read_file(tdx_host_sysfs(s->h), path, &sysfs_cred_root, buf,
				    sizeof(buf));
		if (n < 0)
			snprintf(buf, sizeof(buf), "(%s)", strerror((int)-n));
		buf[strcspn(buf, "\n")] = '\0';
		json_object_set_new(rec, upload_names[i], json_string(buf));
		used += (size_t)snprintf(out + used, used < len ? len - used : 0, "%s%s '%s'",
					 used ? ", " : "", upload_names[i], buf);
	}
}

static const char *outcome(const struct tdx_host_stats *a, const struct tdx_host_stats *b)
{
	if (b->updates_applied != a->updates_applied)
		return "applied";
	if (b->busy_rejections != a->busy_rejections)
		return "refused: device-busy (a TD build in flight; nothing changed)";
	return "failed";
}

static void report_attempt(struct serve *s, const struct tdx_host_stats *before,
			   const struct tdx_host_stats *after)
{
	json_t *errs = json_object(), *rec;
	char ver[24], errors[256], line[512];
	bool lost;

	wait_uploads_idle(s);
	module_version(s, ver, sizeof(ver));
	lost = !strcmp(ver, "lost");
	upload_errors(s, errors, sizeof(errors), errs);
	if (after->updates_attempted - before->updates_attempted > 1)
		serve_log(s, "update: %u attempts since the last report",
			  after->updates_attempted - before->updates_attempted);
	snprintf(line, sizeof(line), "update attempt %u: %s; module %s%s; error: %s",
		 after->updates_attempted, outcome(before, after), ver,
		 lost ? " (the TDX module is LOST: every TD is dead)" : "", errors);
	log_line(s, lost, line);
	rec = json_pack("{s:i, s:s, s:s, s:b, s:o, s:i, s:i, s:i}", "attempt",
			(int)after->updates_attempted, "outcome",
			after->updates_applied != before->updates_applied ? "applied" :
			after->busy_rejections != before->busy_rejections ? "busy" : "failed",
			"module", ver, "module_lost", lost, "error", errs,
			"applied", (int)after->updates_applied, "busy", (int)after->busy_rejections,
			"failed", (int)after->updates_failed);
	json_emit(s, "update", rec);
}

static void *monitor_thread(void *arg)
{
	struct serve *s = arg;
	struct timespec period = { 0, MONITOR_PERIOD_NS };
	struct tdx_host_stats now;

	while (!atomic_load(&s->stop)) {
		tdx_host_get_stats(s->h, &now);
		if (now.updates_attempted != s->seen.updates_attempted) {
			report_attempt(s, &s->seen, &now);
			/* Attempts that came while reporting are reported next round. */
			s->seen = now;
		}
		nanosleep(&period, NULL);
	}
	return NULL;
}

int serve_monitor_start(struct serve *s)
{
	int ret;

	tdx_host_get_stats(s->h, &s->seen);
	ret = pthread_create(&s->monitor, NULL, monitor_thread, s);
	if (ret)
		return -ret;
	s->monitor_started = true;
	return 0;
}

void serve_monitor_stop(struct serve *s)
{
	struct tdx_host_stats now;

	if (!s->monitor_started)
		return;
	atomic_store(&s->stop, true);
	pthread_join(s->monitor, NULL);
	s->monitor_started = false;
	/* One last look, so that an attempt just before the stop is not lost. */
	tdx_host_get_stats(s->h, &now);
	atomic_store(&s->stop, false);
	if (now.updates_attempted != s->seen.updates_attempted)
		report_attempt(s, &s->seen, &now);
	s->seen = now;
}

/* ---- summary -------------------------------------------------------------- */

void serve_summary(struct serve *s)
{
	struct workload_stats ws = { 0 };
	struct tdx_host_stats hs;
	char ver[24];

	tdx_host_get_stats(s->h, &hs);
	if (s->wl)
		workload_get_stats(s->wl, &ws);
	module_version(s, ver, sizeof(ver));
	printf("tdxup serve: summary\n"
	       "  updates attempted:  %u\n"
	       "  updates applied:    %u\n"
	       "  busy rejections:    %u\n"
	       "  failed updates:     %u\n"
	       "  TD builds:          %llu (failed: %llu)\n"
	       "  wrong MRTDs:        %llu\n"
	       "  lost TDs:           %u\n"
	       "  module:             %s\n",
	       hs.updates_attempted, hs.updates_applied, hs.busy_rejections, hs.updates_failed,
	       (unsigned long long)ws.builds, (unsigned long long)ws.failed_builds,
	       (unsigned long long)ws.wrong_mrtds, ws.lost_tds, ver);
	fflush(stdout);
	json_emit(s, "summary",
		  json_pack("{s:i, s:i, s:i, s:i, s:I, s:I, s:I, s:i, s:i, s:s}",
			    "updates_attempted", (int)hs.updates_attempted,
			    "updates_applied", (int)hs.updates_applied,
			    "busy_rejections", (int)hs.busy_rejections,
			    "updates_failed", (int)hs.updates_failed,
			    "builds", (json_int_t)ws.builds,
			    "failed_builds", (json_int_t)ws.failed_builds,
			    "wrong_mrtds", (json_int_t)ws.wrong_mrtds,
			    "lost_tds", (int)ws.lost_tds,
			    "bad_memory", (int)ws.bad_memory, "module", ver));
}
