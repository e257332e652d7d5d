/* SPDX-License-Identifier: MIT */
/*
 * The build lease's upload probe (tdxup/lease.h) over an emulated host's
 * in-process sysfs tree, for the emulator's VMMs (the lab's builders and
 * serve's workload): what lease_upload_busy_sysfs reads on a real host.
 */
#ifndef TDXUP_LAB_UPLOAD_PROBE_H
#define TDXUP_LAB_UPLOAD_PROBE_H

#include <stddef.h>

#include "emu/host.h"
#include "tdxup/lease.h"

/* ctx is the struct tdx_host *. */
int emu_upload_busy(void *host, char *why, size_t len);

static inline struct lease_upload_probe emu_upload_probe(struct tdx_host *h)
{
	return (struct lease_upload_probe){ emu_upload_busy, h };
}

#endif /* TDXUP_LAB_UPLOAD_PROBE_H */
