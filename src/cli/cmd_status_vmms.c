// SPDX-License-Identifier: MIT
/*
 * The VMMs declared in lease.d/ and whether each really takes build leases
 * now (tdxup/vmm_active.h), for `status` and `update` (--check included).
 */
#include "cli/vmm_report.h"

json_t *cli_json_vmms(const struct vmm_states *s)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < s->nr && i < VMM_MAX; i++)
		json_array_append_new(arr, json_pack("{s:s, s:b, s:s}",
			"name", s->vmm[i].name, "protecting", s->vmm[i].protecting,
			"why", s->vmm[i].why));
	return arr ? arr : json_null();
}

void cli_print_vmms(FILE *f, const char *prefix, const struct vmm_states *s)
{
	if (!s->nr)
		fprintf(f, "%snone declared (etc/tdxup/lease.d/ is empty)\n", prefix);
	for (size_t i = 0; i < s->nr && i < VMM_MAX; i++)
		fprintf(f, "%s%s: %s: %s\n", prefix, s->vmm[i].name,
			s->vmm[i].protecting ? "protecting" : "declared, NOT protecting",
			s->vmm[i].why);
	if (s->nr > VMM_MAX)
		fprintf(f, "%s... and %zu more, not judged\n", prefix, s->nr - VMM_MAX);
}
