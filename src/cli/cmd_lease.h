/* SPDX-License-Identifier: MIT */
/* `tdxup lease end --after-qmp` (cmd_lease_qmp.c), used by cmd_lease.c. */
#ifndef TDXUP_CLI_CMD_LEASE_H
#define TDXUP_CLI_CMD_LEASE_H

#include <stdint.h>
#include <sys/types.h>

/*
 * Wait until the QEMU whose QMP socket is `sock` has initialised its
 * machine: it answers query-status, which QEMU runs in its main loop, after
 * machine-init-done and so after KVM_TDX_FINALIZE_VM. Returns 0 then,
 * 1 if process `pid` (0: not watched) exits first, -ETIMEDOUT after
 * timeout_us (UINT64_MAX: none), -errno.
 */
int lease_wait_qmp(const char *sock, pid_t pid, uint64_t timeout_us);

#endif /* TDXUP_CLI_CMD_LEASE_H */
