// SPDX-License-Identifier: MIT
/* The build-hold decision (include/tdxup/hold_policy.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tdxup/hold_policy.h"

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
	/* "auto" is the former spelling: it never inferred anything safe to rely on. */
	if (!strcmp(s, "unknown") || !strcmp(s, "auto"))
		*k = KERNEL_BUSY_UNKNOWN;
	else if (!strcmp(s, "yes"))
		*k = KERNEL_BUSY_YES;
	else if (!strcmp(s, "no"))
		*k = KERNEL_BUSY_NO;
	else
		return -EINVAL;
	return 0;
}

const char *kernel_busy_name(enum kernel_busy k)
{
	switch (k) {
	case KERNEL_BUSY_YES:
		return "yes";
	case KERNEL_BUSY_NO:
		return "no";
	case KERNEL_BUSY_UNKNOWN:
		break;
	}
	return "unknown";
}

/*
 * What is known of the kernel's busy rejection, in words. Only the
 * operator's declaration counts: a release number proves nothing, since
 * distributions backport the merged series (which has no rejection) into
 * older releases, and nothing in sysfs tells the kernels apart.
 */
static void kernel_words(enum kernel_busy kb, const char *release, char *buf, size_t len)
{
	const char *sp = release && *release ? " " : "";
	const char *rel = release ? release : "";

	switch (kb) {
	case KERNEL_BUSY_YES:
		snprintf(buf, len, "the operator declares (--kernel-busy yes) that the kernel%s%s "
			 "refuses an update during a TD build (device-busy)", sp, rel);
		return;
	case KERNEL_BUSY_NO:
		snprintf(buf, len, "the operator declares (--kernel-busy no) that the kernel%s%s "
			 "does not refuse an update during a TD build", sp, rel);
		return;
	case KERNEL_BUSY_UNKNOWN:
		break;
	}
	snprintf(buf, len, "whether the kernel%s%s refuses an update during a TD build is not "
		 "established (a release number proves nothing)", sp, rel);
}

/* auto, and no VMM takes leases: only a declared busy rejection keeps builds out. */
static void decide_alone(enum kernel_busy kb, const char *k, struct hold_decision *d)
{
	if (kb == KERNEL_BUSY_YES) {
		snprintf(d->why, sizeof(d->why), "not holding TD builds: no VMM on the target "
			 "takes build leases, and %s", k);
		return;
	}
	d->refuse = true;
	/*
	 * Never suggest a way out that can lose TDs: only the hooks. Not even
	 * --kernel-busy yes: on Linux 7.2 as merged it would be false, and
	 * nothing on the host can tell (the help documents it for the kernels
	 * that carry the rejection).
	 */
	snprintf(d->why, sizeof(d->why), "%s, and no VMM on the target takes build leases "
		 "(etc/tdxup/lease.d/ declares none): an update now could silently corrupt the "
		 "MRTD of a TD being built. Install the VMM hooks (contrib/) so builds take "
		 "leases", k);
}

void hold_decide(enum hold_mode mode, enum kernel_busy kb, const char *release,
		 int participants, struct hold_decision *d)
{
	char k[200];

	memset(d, 0, sizeof(*d));
	d->kernel_rejects = kb == KERNEL_BUSY_YES;
	kernel_words(kb, release, k, sizeof(k));
	if (kb != KERNEL_BUSY_UNKNOWN)
		snprintf(d->note, sizeof(d->note), "%s; tdxup has not established it", k);
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
		return;
	}
	decide_alone(kb, k, d);
}
