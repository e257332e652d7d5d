// SPDX-License-Identifier: MIT
/*
 * Kernel behaviour profiles: which posting of the series the host behaves
 * as (kernel.md 1-2, 10; docs/architecture.md, 7 "Kernel profiles").
 *
 * Each names itself in osrelease as such a kernel would (inferred: the
 * strings are ours): v8 was posted on v7.1-rc1, so "7.1.0-tdx-v8";
 * mainline is 7.2 as merged, "7.2.0"; detect is option 2 carried on
 * mainline, "7.2.0-tdx-detect". The updater picks the image version from
 * the release (7.2 and later: 0x200), which matches image_version here.
 */
#include <errno.h>
#include <string.h>

#include "kernel/kernel.h"

static const struct profile_desc profiles[] = {
	[KERNEL_PROFILE_V8] = {
		.name = "v8",
		.release = "7.1.0-tdx-v8",
		.shutdown_avoid_compat = true,
		.image_version = 0x100,
		.busy_is_device_busy = true,
		.params_v8_form = true,
	},
	[KERNEL_PROFILE_MAINLINE] = {
		.name = "mainline",
		.release = "7.2.0",
		.image_version = 0x200,
		.lead_is_cpu0 = true,
		.refresh_in_stop_machine = true,
		.handoff_read_fatal = true,
	},
	/*
	 * Option 2 of the series' discussion on top of the mainline code: no
	 * flag at shutdown, TDH.SYS.UPDATE v1 enabling UPDATE_COMPATIBILITY so
	 * that builds straddling an update fail instead of measuring garbage.
	 * fw_upload mapping as v8 (docs/architecture.md, 7 "Kernel profiles").
	 */
	[KERNEL_PROFILE_DETECT] = {
		.name = "detect",
		.release = "7.2.0-tdx-detect",
		.image_version = 0x200,
		.busy_is_device_busy = true,
		.update_v1_compat = true,
		.lead_is_cpu0 = true,
		.refresh_in_stop_machine = true,
		.handoff_read_fatal = true,
	},
};

const struct profile_desc *profile_get(enum kernel_profile p)
{
	if ((unsigned int)p >= sizeof(profiles) / sizeof(profiles[0]))
		return &profiles[KERNEL_PROFILE_V8];
	return &profiles[p];
}

const char *kernel_profile_name(enum kernel_profile p)
{
	return profile_get(p)->name;
}

const char *kernel_profile_release(enum kernel_profile p)
{
	return profile_get(p)->release;
}

int kernel_profile_parse(const char *s, enum kernel_profile *p)
{
	for (unsigned int i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
		if (!strcmp(s, profiles[i].name)) {
			*p = (enum kernel_profile)i;
			return 0;
		}
	}
	return -EINVAL;
}
