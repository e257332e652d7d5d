// SPDX-License-Identifier: MIT
/* The lab's verdict over every TD, and the trace file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab/lab_internal.h"
#include "tdxup/fsafe.h"

static bool running_ok(const struct lab_td *td)
{
	return td->memory_ok && !td->lost && td->steps_after > 0;
}

static void count(struct lab *lab)
{
	struct lab_result *res = lab->res;

	res->tds_lost = 0;
	for (unsigned int i = 0; i < res->nr_tds; i++)
		res->tds_lost += res->tds[i].lost;
}

static bool default_checks(struct lab *lab, char *why, size_t len)
{
	const struct lab_config *cfg = lab->cfg;
	struct lab_result *res = lab->res;

	if (res->wrong_mrtds) {
		snprintf(why, len, "%u TD(s) finished their build with a wrong MRTD",
			 res->wrong_mrtds);
		return false;
	}
	if (res->tds_lost) {
		snprintf(why, len, "%u TD(s) lost", res->tds_lost);
		return false;
	}
	for (unsigned int i = 0; i < res->nr_tds; i++) {
		const struct lab_td *td = &res->tds[i];

		if (td->running && !running_ok(td)) {
			snprintf(why, len, "%s did not keep running with its memory intact",
				 td->name);
			return false;
		}
		if (!td->running && !td->built && !td->crashed) {
			snprintf(why, len, "%s never finished its build", td->name);
			return false;
		}
	}
	if (res->updates_applied != cfg->updates) {
		snprintf(why, len, "%u of %u update(s) applied (%s)", res->updates_applied,
			 cfg->updates, res->outcome);
		return false;
	}
	snprintf(why, len, "every check holds");
	return true;
}

/*
 * Scenario files name the outcome they provoke ("lost", "failed",
 * "refused"...). They pass when the operator saw exactly that and no TD
 * got a wrong MRTD; TDs may die only where the module is expected lost.
 */
static bool expected_checks(struct lab *lab, char *why, size_t len)
{
	struct lab_result *res = lab->res;
	const char *expect = lab->cfg->expect;

	/* The erratum reproduced: a silently wrong MRTD, nothing lost. */
	if (!strcmp(expect, "erratum")) {
		if (!res->wrong_mrtds || res->tds_lost) {
			snprintf(why, len, "expected the erratum: %u wrong MRTD(s), %u TD(s) lost",
				 res->wrong_mrtds, res->tds_lost);
			return false;
		}
		snprintf(why, len, "erratum reproduced: %u TD(s) with a wrong MRTD",
			 res->wrong_mrtds);
		return true;
	}
	if (strcmp(res->outcome, expect)) {
		snprintf(why, len, "expected outcome \"%s\", got \"%s\"", expect, res->outcome);
		return false;
	}
	if (res->wrong_mrtds) {
		snprintf(why, len, "%u wrong MRTD(s)", res->wrong_mrtds);
		return false;
	}
	if (strcmp(expect, "lost") && res->tds_lost) {
		snprintf(why, len, "%u TD(s) lost although the module should survive",
			 res->tds_lost);
		return false;
	}
	if (!strcmp(expect, "lost") && res->tds_lost < lab->cfg->running) {
		snprintf(why, len, "module lost but %u running TD(s) still ran",
			 lab->cfg->running - res->tds_lost);
		return false;
	}
	snprintf(why, len, "outcome \"%s\" as expected", expect);
	return true;
}

void lab_verdict(struct lab *lab)
{
	struct lab_result *res = lab->res;

	count(lab);
	if (lab->cfg->expect && lab->cfg->expect[0] && strcmp(lab->cfg->expect, "pass"))
		res->pass = expected_checks(lab, res->verdict_reason, sizeof(res->verdict_reason));
	else
		res->pass = default_checks(lab, res->verdict_reason, sizeof(res->verdict_reason));
}

/* Built in memory, then replaced in one rename, never through a symlink (fsafe). */
int write_trace(struct lab *lab)
{
	struct lab_result *res = lab->res;
	struct fsafe_err fe;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int err;

	if (!f)
		return -errno;
	for (unsigned int i = 0; i < res->nr_tds; i++)
		trace_name_thread(lab->trace, TRACE_PID_TDS, (int)i, res->tds[i].name);
	err = trace_write(lab->trace, f);
	if (fclose(f) && !err)
		err = -ENOMEM;
	if (!err) {
		err = fsafe_write_output(lab->cfg->trace_path, buf, len, 0644, &fe);
		if (err)
			snprintf(res->verdict_reason, sizeof(res->verdict_reason), "--trace %.*s",
				 (int)sizeof(res->verdict_reason) - 9, fe.msg);
	}
	free(buf);
	return err;
}
