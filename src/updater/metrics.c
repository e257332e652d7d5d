// SPDX-License-Identifier: MIT
/*
 * Prometheus textfile and NFD feature file (tdxup/metrics.h). Names follow
 * the Prometheus conventions: a tdxup_ prefix, base units (_seconds),
 * _total on counters and on nothing else, versions as labels of an _info
 * gauge whose value is 1, and beside it the same version as one number
 * (_version) that PromQL can compare and aggregate (min() over a fleet is
 * its oldest module; per-part gauges would mix parts of different hosts),
 * and the last result as one series per possible result (1 for the one
 * that happened), so an alert on `== 1` never sees a series vanish.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tdxup/metrics.h"

/* The results a recorded run can have (a dry run is never recorded). */
static const char *const results[] = {
	"updated", "current", "refused", "busy", "failed", "lost", "error",
};

static void head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

unsigned long long metrics_version_number(const struct tdx_version *v)
{
	return (v->major * 100000ULL + v->minor) * 100000ULL + v->update;
}

/* NAME_info{version,major,minor,update} 1 and NAME_version NUMBER. */
static void version(FILE *f, const char *name, const char *what, const struct tdx_version *v)
{
	char s[TDX_VERSION_STR_LEN];

	fprintf(f, "# HELP %s_info %s's version.\n# TYPE %s_info gauge\n", name, what, name);
	fprintf(f, "%s_info{version=\"%s\",major=\"%u\",minor=\"%u\",update=\"%u\"} 1\n", name,
		tdx_version_str(v, s), v->major, v->minor, v->update);
	fprintf(f, "# HELP %s_version %s's version as one number, five digits a part "
		"(major*1e10 + minor*1e5 + update: 1.5.25 is 10000500025).\n"
		"# TYPE %s_version gauge\n", name, what, name);
	fprintf(f, "%s_version %llu\n", name, metrics_version_number(v));
}

static void host_metrics(FILE *f, const struct tdx_sysfs_state *st)
{
	bool up = st && !st->version_err;

	head(f, "tdxup_tdx_module_up", "gauge",
	     "1 if the TDX module's version is readable; 0 if not (no tdx_host device, or "
	     "ENXIO: the module is lost and the TDs with it).");
	fprintf(f, "tdxup_tdx_module_up %d\n", up);
	if (up)
		version(f, "tdxup_tdx_module", "The running TDX module", &st->module);
	if (st && !st->seamldr_err)
		version(f, "tdxup_seamldr", "The P-SEAMLDR", &st->seamldr);
	if (st && !st->remaining_err) {
		head(f, "tdxup_tdx_module_remaining_updates", "gauge",
		     "Runtime module updates the P-SEAMLDR still allows (num_remaining_updates).");
		fprintf(f, "tdxup_tdx_module_remaining_updates %u\n", st->remaining);
	}
	head(f, "tdxup_runtime_update_possible", "gauge",
	     "1 if the kernel offers a runtime module update now (fw_upload device present, "
	     "updates left).");
	fprintf(f, "tdxup_runtime_update_possible %d\n", st && st->update_available);
}

static void last_metrics(FILE *f, const struct last_update *lu)
{
	head(f, "tdxup_update_runs_total", "counter",
	     "tdxup update runs recorded since the record was created (dry runs excluded).");
	fprintf(f, "tdxup_update_runs_total %llu\n",
		(unsigned long long)(lu ? lu->runs_total : 0));
	head(f, "tdxup_update_busy_rejections_total", "counter",
	     "device-busy answers (a TD build or migration in flight) met by tdxup update runs.");
	fprintf(f, "tdxup_update_busy_rejections_total %llu\n",
		(unsigned long long)(lu ? lu->busy_rejections_total : 0));
	if (!lu)
		return;
	head(f, "tdxup_last_update_result", "gauge",
	     "Result of the last tdxup update run: 1 for the result it had.");
	for (size_t i = 0; i < sizeof(results) / sizeof(results[0]); i++)
		fprintf(f, "tdxup_last_update_result{result=\"%s\"} %d\n", results[i],
			!strcmp(lu->result, results[i]));
	head(f, "tdxup_last_update_timestamp_seconds", "gauge",
	     "When the last tdxup update run ended, in seconds since the epoch.");
	fprintf(f, "tdxup_last_update_timestamp_seconds %lld\n", (long long)lu->timestamp);
}

char *metrics_textfile(const struct metrics_input *in)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	host_metrics(f, in->st);
	if (in->catalog_checked) {
		head(f, "tdxup_tdx_module_update_available", "gauge",
		     "1 if the catalogue's choice for this host is newer than the running module.");
		fprintf(f, "tdxup_tdx_module_update_available %d\n", in->update_available);
	}
	last_metrics(f, in->last);
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	return text;
}

char *metrics_nfd_features(const struct tdx_sysfs_state *st, time_t expiry)
{
	const struct tdx_version *v = st ? &st->module : NULL;
	char s[TDX_VERSION_STR_LEN], when[32], *text = NULL;
	size_t len = 0;
	struct tm tm;
	FILE *f;

	/* NFD takes RFC 3339; UTC with Z whatever the host's TZ. */
	if (!gmtime_r(&expiry, &tm) || !strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm))
		return NULL;
	f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	/* The directive covers the lines after it, so it comes first. */
	if (st && !st->version_err)
		fprintf(f, "# +expiry-time=%s\n"
			METRICS_NFD_PREFIX "tdx-module-version.full=%s\n"
			METRICS_NFD_PREFIX "tdx-module-version.major=%u\n"
			METRICS_NFD_PREFIX "tdx-module-version.minor=%u\n"
			METRICS_NFD_PREFIX "tdx-module-version.revision=%u\n",
			when, tdx_version_str(v, s), v->major, v->minor, v->update);
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	return text;
}
