/* SPDX-License-Identifier: MIT */
/*
 * The emulated TD guest: each TDH.VP.ENTER runs one deterministic step over
 * the guest's work page (private TD memory at the GPA the vCPU's initial RCX
 * names). A host that knows the page's initial bytes can replay the steps
 * and so check that a TD survived an update with its memory intact.
 */
#ifndef TDXUP_GUEST_H
#define TDXUP_GUEST_H

#include <stdint.h>

#include "tdxup/page.h"

/* Page layout: +0 step counter u64, +8 checksum u64, the rest is data. */
#define GUEST_PAGE_COUNTER	0
#define GUEST_PAGE_CHECKSUM	8

void tdx_guest_step(uint8_t page[PAGE_SIZE], uint64_t *counter, uint64_t *checksum);

#endif /* TDXUP_GUEST_H */
