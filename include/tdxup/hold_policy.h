/* SPDX-License-Identifier: MIT */
/*
 * Whether `tdxup update` holds TD builds (safety rule 3: TD builds stay out
 * of the update window), from what the target shows and what the operator
 * states.
 *
 * Two things keep a TD build out of the update window: the kernel's busy
 * rejection (the v8 posting's AVOID_COMPAT_SENSITIVE: TDH.SYS.SHUTDOWN
 * refuses while a build is in flight and userspace sees device-busy), and
 * the build lease (docs/lease.md), which works only where the VMMs take
 * leases. Linux 7.2 as merged has no rejection, and distributions backport
 * it into older releases, so no release number proves a rejection and
 * nothing in sysfs shows one: only the operator's declaration counts
 * (--kernel-busy yes), and it is reported as such, never as established.
 *
 *   --hold-builds  kernel rejects (declared)  VMMs take leases  decision
 *   auto           any                        yes               hold
 *   auto           yes                        no                no hold (device-busy is the truth)
 *   auto           no / not declared          no                refuse, saying why and what to do
 *   on             any                        any               hold (warned if no VMM declared)
 *   off            any                        any               no hold (warned unless declared yes)
 *
 * Where the kernel rejects, its device-busy stays the ground truth; the
 * hold only spares the updater from starving behind a stream of builds.
 */
#ifndef TDXUP_HOLD_POLICY_H
#define TDXUP_HOLD_POLICY_H

#include <stdbool.h>

enum hold_mode { HOLD_AUTO, HOLD_ON, HOLD_OFF };
/* What the operator declares of the kernel's busy rejection; UNKNOWN: nothing. */
enum kernel_busy { KERNEL_BUSY_UNKNOWN, KERNEL_BUSY_YES, KERNEL_BUSY_NO };

struct hold_decision {
	bool hold;			/* take the lease's hold around the upload */
	bool refuse;			/* refuse the update (why says why) */
	bool kernel_rejects;		/* declared so (--kernel-busy yes); never inferred */
	char why[512];			/* the reasoning, one sentence or two */
	char warning[256];		/* "" or a warning for the operator */
	char note[256];			/* "" or the operator's declaration, to be logged */
};

/* "auto" / "on" / "off"; -EINVAL otherwise. */
int hold_mode_parse(const char *s, enum hold_mode *m);
/* "unknown" (or its former spelling "auto") / "yes" / "no"; -EINVAL otherwise. */
int kernel_busy_parse(const char *s, enum kernel_busy *k);
/* "unknown", "yes" or "no". */
const char *kernel_busy_name(enum kernel_busy k);

/*
 * release: the target's osrelease ("" or NULL: unknown), only to name the
 * kernel in the words; participants: how many VMMs declare that they take
 * leases (lease_participating()).
 */
void hold_decide(enum hold_mode mode, enum kernel_busy kb, const char *release,
		 int participants, struct hold_decision *d);

#endif /* TDXUP_HOLD_POLICY_H */
