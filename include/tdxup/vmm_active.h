/* SPDX-License-Identifier: MIT */
/*
 * Whether the VMMs declared in SYSROOT/etc/tdxup/lease.d/ really take build
 * leases now (docs/lease.md, "Declared is not protecting").
 *
 * A declaration says that an integration is installed; it protects only
 * once the program that runs it has loaded it. libvirt reads its hooks
 * when the daemon starts, so the libvirt declaration counts only when the
 * hook SYSROOT/etc/libvirt/hooks/qemu.d/tdxup is an executable file and
 * every root-owned libvirtd or virtqemud in SYSROOT/proc was started after
 * the hook was installed (its start time from /proc/PID/stat against the
 * later of the hook's mtime and ctime). No such daemon running: not
 * protecting. The QEMU wrapper is read at each QEMU start, and names this
 * file does not know have nothing to check: those count as declared.
 */
#ifndef TDXUP_VMM_ACTIVE_H
#define TDXUP_VMM_ACTIVE_H

#include <stdbool.h>
#include <stddef.h>

#include "tdxup/lease.h"

#define VMM_MAX		32
#define VMM_HOOK_REL	"etc/libvirt/hooks/qemu.d/tdxup"

struct vmm_state {
	char name[LEASE_ID_MAX + 1];
	bool protecting;
	char why[320];		/* what was found, and what to do if not protecting */
};

struct vmm_states {
	size_t nr;		/* declarations read (at most VMM_MAX kept) */
	size_t nr_protecting;
	struct vmm_state vmm[VMM_MAX];
};

/*
 * Read every declaration under sysroot and judge it. 0, or -errno with
 * e->msg (the declarations could not be read).
 */
int vmm_states_read(const char *sysroot, struct vmm_states *s, struct lease_err *e);

#endif /* TDXUP_VMM_ACTIVE_H */
