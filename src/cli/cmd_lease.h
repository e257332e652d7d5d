/* SPDX-License-Identifier: MIT */
/* `tdxup lease end --after-qmp` (cmd_lease_qmp.c), used by cmd_lease.c. */
#ifndef TDXUP_CLI_CMD_LEASE_H
#define TDXUP_CLI_CMD_LEASE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Wait until the QEMU whose QMP socket is `sock` has built its machine:
 * query-status answers the status of a built machine (qmp_status_built();
 * "preconfig" is asked again) and query-kvm, refused until machine
 * initialization (and so KVM_TDX_FINALIZE_VM) has completed, succeeds. Returns 0 then, 1 if process `pid` (0: not
 * watched) exits first, -ETIMEDOUT after timeout_us (UINT64_MAX: none),
 * -EPROTO for an error reply, -EBADMSG for a reply that is not QMP, -errno.
 */
int lease_wait_qmp(const char *sock, pid_t pid, uint64_t timeout_us);

/* Whether a query-status "status" (QEMU's RunState) means the machine is built. */
bool qmp_status_built(const char *status);

#endif /* TDXUP_CLI_CMD_LEASE_H */
