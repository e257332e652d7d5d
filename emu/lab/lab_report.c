// SPDX-License-Identifier: MIT
/*
 * Lab reports: the text timeline and verdict, one JSON object for scripts,
 * and the profile comparison. Nothing here reads a wall clock, so reports
 * of a serial run are identical for the same seed.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "lab/lab.h"

static const char *td_mrtd_str(const struct lab_td *td)
{
	if (td->running)
		return td->mrtd_ok ? "ok" : "WRONG";
	if (td->built)
		return td->mrtd_ok ? "ok" : "WRONG (silent)";
	return td->build_failed ? "build failed" : "not built";
}

static const char *td_memory_str(const struct lab_td *td)
{
	if (td->lost)
		return "LOST";
	if (!td->running)
		return "-";
	if (!td->memory_ok)
		return "CORRUPT";
	return td->steps_after ? "intact, kept running" : "intact, did not run after";
}

void lab_print_text(FILE *f, const struct lab_config *cfg, const struct lab_result *res)
{
	if (!cfg->quiet && res->timeline && !cfg->live)
		fputs(res->timeline, f);
	fprintf(f, "\nverdict for %s (profile %s, seed %llu):\n", cfg->name,
		kernel_profile_name(cfg->profile), (unsigned long long)cfg->seed);
	fprintf(f, "  %-8s  %-8s  %-16s  %-26s  %s\n", "TD", "kind", "MRTD vs offline",
		"memory", "steps before/after update");
	for (unsigned int i = 0; i < res->nr_tds; i++) {
		const struct lab_td *td = &res->tds[i];

		fprintf(f, "  %-8s  %-8s  %-16s  ", td->name, td->running ? "running" : "built",
			td_mrtd_str(td));
		if (td->running)
			fprintf(f, "%-26s  %llu / %llu\n", td_memory_str(td),
				(unsigned long long)td->steps_before,
				(unsigned long long)td->steps_after);
		else
			fprintf(f, "%s\n", td_memory_str(td));
	}
	fprintf(f, "  module version: %s -> %s\n", res->version_before, res->version_after);
	fprintf(f, "  updates applied %u, busy rejections %u, failed builds %u, wrong MRTDs %u, "
		"TDs lost %u\n", res->updates_applied, res->busy_rejections, res->failed_builds,
		res->wrong_mrtds, res->tds_lost);
	fprintf(f, "  stop-the-world %llu us (%s), %llu SEAMCALLs, run ended at %.3f ms\n",
		(unsigned long long)res->stop_the_world_us,
		cfg->driver == LOCKSTEP_SERIAL ? "virtual time" : "wall clock",
		(unsigned long long)res->seamcalls, res->end_us / 1e3);
	fprintf(f, "VERDICT: %s (%s)\n", res->pass ? "PASS" : "FAIL", res->verdict_reason);
}

static json_t *counters(const struct lab_result *res)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:I, s:b, s:I}",
			 "verdict", res->pass ? "pass" : "fail", "reason", res->verdict_reason,
			 "outcome", res->outcome, "version_after", res->version_after,
			 "updates_applied", res->updates_applied,
			 "busy_rejections", res->busy_rejections,
			 "failed_builds", res->failed_builds, "wrong_mrtds", res->wrong_mrtds,
			 "tds_lost", res->tds_lost, "builds_completed", res->builds_completed,
			 "stop_the_world_us", (json_int_t)res->stop_the_world_us,
			 "held_builds", res->held_builds, "update_us", (json_int_t)res->update_us);
}

static json_t *td_array(const struct lab_result *res)
{
	json_t *a = json_array();

	for (unsigned int i = 0; i < res->nr_tds; i++) {
		const struct lab_td *td = &res->tds[i];

		json_array_append_new(a, json_pack("{s:s, s:s, s:b, s:b, s:b, s:b, s:b, s:I, s:I}",
						   "name", td->name,
						   "kind", td->running ? "running" : "built",
						   "crashed", td->crashed,
						   "mrtd_ok", td->mrtd_ok, "memory_ok", td->memory_ok,
						   "build_failed", td->build_failed, "lost", td->lost,
						   "steps_before", (json_int_t)td->steps_before,
						   "steps_after", (json_int_t)td->steps_after));
	}
	return a;
}

static json_t *attempt_array(const struct lab_result *res)
{
	json_t *a = json_array();

	for (unsigned int i = 0; i < res->nr_attempts; i++)
		json_array_append_new(a, json_pack("{s:I, s:s}", "at_us",
						   (json_int_t)res->attempts[i].at_us, "error",
						   res->attempts[i].error));
	return a;
}

static int dump(FILE *f, json_t *root)
{
	int ret;

	if (!root)
		return -1;
	ret = json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', f);
	json_decref(root);
	return ret;
}

/* Wall-clock figures stay out: a serial run's JSON depends on the seed only. */
int lab_print_json(FILE *f, const struct lab_config *cfg, const struct lab_result *res)
{
	json_t *root = counters(res);

	json_object_set_new(root, "scenario", json_string(cfg->name));
	json_object_set_new(root, "profile", json_string(kernel_profile_name(cfg->profile)));
	json_object_set_new(root, "seed", json_integer((json_int_t)cfg->seed));
	json_object_set_new(root, "driver",
			    json_string(cfg->driver == LOCKSTEP_SERIAL ? "serial" : "threads"));
	json_object_set_new(root, "version_before", json_string(res->version_before));
	json_object_set_new(root, "seamcalls", json_integer((json_int_t)res->seamcalls));
	json_object_set_new(root, "tds", td_array(res));
	json_object_set_new(root, "attempts", attempt_array(res));
	return dump(f, root);
}

static const char *const compare_rows[][2] = {
	{ "updates applied", "updates_applied" },
	{ "busy rejections", "busy_rejections" },
	{ "failed builds", "failed_builds" },
	{ "silently wrong MRTDs", "wrong_mrtds" },
	{ "TDs lost", "tds_lost" },
	{ "stop-the-world (us)", "stop_the_world_us" },
};

static uint64_t row_value(const struct lab_result *r, unsigned int row)
{
	switch (row) {
	case 0: return r->updates_applied;
	case 1: return r->busy_rejections;
	case 2: return r->failed_builds;
	case 3: return r->wrong_mrtds;
	case 4: return r->tds_lost;
	}
	return r->stop_the_world_us;
}

const struct lab_compare_run lab_compare_runs[LAB_COMPARE_RUNS] = {
	{ "v8", KERNEL_PROFILE_V8, false },
	{ "mainline", KERNEL_PROFILE_MAINLINE, false },
	{ "detect", KERNEL_PROFILE_DETECT, false },
	{ "v8+hold", KERNEL_PROFILE_V8, true },
	{ "mainline+hold", KERNEL_PROFILE_MAINLINE, true },
};

void lab_print_compare(FILE *f, const struct lab_config *cfg,
		       const struct lab_result res[LAB_COMPARE_RUNS])
{
	fprintf(f, "%s, seed %llu: update %s -> %s while %u TDs build and %u run\n\n", cfg->name,
		(unsigned long long)cfg->seed, cfg->from, cfg->to, cfg->builders, cfg->running);
	fprintf(f, "  %-22s", "");
	for (int p = 0; p < LAB_COMPARE_RUNS; p++)
		fprintf(f, " %13s", lab_compare_runs[p].label);
	fputc('\n', f);
	for (unsigned int row = 0; row < 6; row++) {
		fprintf(f, "  %-22s", compare_rows[row][0]);
		for (int p = 0; p < LAB_COMPARE_RUNS; p++)
			fprintf(f, " %13llu", (unsigned long long)row_value(&res[p], row));
		fputc('\n', f);
	}
	fprintf(f, "  %-22s", "verdict");
	for (int p = 0; p < LAB_COMPARE_RUNS; p++)
		fprintf(f, " %13s", res[p].pass ? "pass" : "FAIL");
	fputs("\n\n", f);
	fputs("v8 (the seed change) refuses the update while a TD is being built: the operator\n"
	      "sees device-busy and retries, builds finish untouched, and the update lands once\n"
	      "no build is in flight. mainline (Linux 7.2 as merged) lets the update land\n"
	      "mid-build: every TD whose build straddled it gets a wrong MRTD and nothing says\n"
	      "so until its attestation fails. detect (TDH.SYS.UPDATE v1 with bit 47) lands the\n"
	      "update at once and fails the straddling builds with TDX_INCOMPATIBLE_MRTD_CONTEXT\n"
	      "instead, so the VMM must tear them down and build them again. +hold: the\n"
	      "operator holds TD builds through the build lease (update --hold-builds on):\n"
	      "new builds wait, the ones in flight finish, the update lands between builds, so\n"
	      "mainline keeps every MRTD right and v8 needs no busy rejection.\n", f);
}

int lab_print_compare_json(FILE *f, const struct lab_config *cfg,
			   const struct lab_result res[LAB_COMPARE_RUNS])
{
	json_t *root = json_pack("{s:s, s:I}", "scenario", cfg->name, "seed",
				 (json_int_t)cfg->seed);
	json_t *profiles = json_array();

	for (int p = 0; p < LAB_COMPARE_RUNS; p++) {
		json_t *o = counters(&res[p]);

		json_object_set_new(o, "profile",
				    json_string(kernel_profile_name(lab_compare_runs[p].profile)));
		json_object_set_new(o, "policy", json_string(lab_compare_runs[p].hold ? "hold" :
								"retry"));
		json_object_set_new(o, "label", json_string(lab_compare_runs[p].label));
		json_array_append_new(profiles, o);
	}
	json_object_set_new(root, "profiles", profiles);
	return dump(f, root);
}
