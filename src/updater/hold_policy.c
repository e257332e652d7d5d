// SPDX-License-Identifier: MIT
/* The build-hold decision (include/tdxup/hold_policy.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tdxup/hold_policy.h"
#include "tdxup/sysroot.h"

int hold_mode_parse(const char *s, enum hold_mode *m)
{
	if (!strcmp(s, "auto"))
		*m = HOLD_AUTO;
	else if (!strcmp(s, "on"))
		*m = HOLD_ON;
	else if (!strcmp(s, "off"))
		*m = HOLD_OFF;
	else
		return -EINVAL;
	return 0;
}

int kernel_busy_parse(const char *s, enum kernel_busy *k)
{
	if (!strcmp(s, "auto"))
		*k = KERNEL_BUSY_AUTO;
	else if (!strcmp(s, "yes"))
		*k = KERNEL_BUSY_YES;
	else if (!strcmp(s, "no"))
		*k = KERNEL_BUSY_NO;
	else
		return -EINVAL;
	return 0;
}

/*
 * From the release (inferred from the history of the series): kernels
 * before 7.2 run runtime update only with the posted series applied, and
 * the postings up to v8 carry the busy rejection; 7.2 as merged dropped it.
 * A 7.2+ kernel carrying the reworked standalone patch is the operator's
 * to state (--kernel-busy yes): nothing in sysfs tells it apart.
 */
static void kernel_side(enum kernel_busy kb, const char *release, struct hold_decision *d)
{
	int merged;

	d->kernel_known = true;
	if (kb != KERNEL_BUSY_AUTO) {
		d->kernel_rejects = kb == KERNEL_BUSY_YES;
		return;
	}
	merged = release && *release ? kernel_release_merged(release) : -EINVAL;
	d->kernel_known = merged >= 0;
	d->kernel_rejects = merged == 0;
}

static const char *kernel_words(const struct hold_decision *d, const char *release, char *buf,
				size_t len)
{
	if (!d->kernel_known)
		snprintf(buf, len, "the target's kernel release is unknown, so it may be one "
			 "that cannot refuse an update during a TD build");
	else if (d->kernel_rejects)
		snprintf(buf, len, "the kernel%s%s refuses an update during a TD build "
			 "(device-busy)", release && *release ? " " : "", release ? release : "");
	else
		snprintf(buf, len, "the kernel%s%s cannot refuse an update during a TD build "
			 "(Linux 7.2 as merged has no busy rejection)",
			 release && *release ? " " : "", release ? release : "");
	return buf;
}

void hold_decide(enum hold_mode mode, enum kernel_busy kb, const char *release,
		 int participants, struct hold_decision *d)
{
	char k[200];

	memset(d, 0, sizeof(*d));
	kernel_side(kb, release, d);
	kernel_words(d, release, k, sizeof(k));
	switch (mode) {
	case HOLD_ON:
		d->hold = true;
		snprintf(d->why, sizeof(d->why), "holding TD builds (--hold-builds on); %s", k);
		if (participants <= 0)
			snprintf(d->warning, sizeof(d->warning), "no VMM on the target declares "
				 "that it takes build leases: the hold keeps out only builds "
				 "that do");
		return;
	case HOLD_OFF:
		snprintf(d->why, sizeof(d->why), "not holding TD builds (--hold-builds off); %s",
			 k);
		if (!d->kernel_rejects)
			snprintf(d->warning, sizeof(d->warning), "nothing keeps TD builds out of "
				 "the update window: a build it crosses may end with a wrong MRTD");
		return;
	case HOLD_AUTO:
		break;
	}
	if (participants > 0) {
		d->hold = true;
		snprintf(d->why, sizeof(d->why), "holding TD builds: %d VMM(s) on the target "
			 "take build leases; %s", participants, k);
	} else if (d->kernel_rejects) {
		snprintf(d->why, sizeof(d->why), "not holding TD builds: no VMM on the target "
			 "takes build leases, and %s", k);
	} else {
		d->refuse = true;
		snprintf(d->why, sizeof(d->why), "%s, and no VMM on the target takes build "
			 "leases (etc/tdxup/lease.d/ declares none): an update now could "
			 "silently corrupt the MRTD of a TD being built. Install the VMM "
			 "hooks (contrib/) so builds take leases, or make sure no TD is being "
			 "built and accept the risk with --hold-builds off", k);
	}
}
