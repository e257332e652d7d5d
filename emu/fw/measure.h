/* SPDX-License-Identifier: MIT */
/*
 * The module's running MRTD hash (tdx-module.md 5). The SHA-384 state lives
 * in TDCS bytes (td_sha_ctx.buffer[256]), packed in the layout of the module
 * build that wrote it; every leaf unpacks it, updates, and packs it back.
 * A build whose layout differs unpacks a foreign blob blindly: the MRTD
 * comes out silently wrong, which is the update erratum, from the data.
 */
#ifndef TDXUP_FW_MEASURE_H
#define TDXUP_FW_MEASURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TD_SHA_CTX_BUFFER_SIZE	256

/* Is this a layout the emulator knows (enum crypto_layout)? */
bool td_sha_layout_known(uint16_t layout);

/* MNG.INIT: an empty SHA-384 state packed into buf. */
void td_sha_init(uint16_t layout, uint8_t buf[TD_SHA_CTX_BUFFER_SIZE]);
/* MEM.PAGE.ADD: hash one 128-byte PAGE.ADD record for gpa. */
void td_sha_page_add(uint16_t layout, uint8_t buf[TD_SHA_CTX_BUFFER_SIZE], uint64_t gpa);
/* MR.EXTEND: hash the EXTEND record for gpa and the 256 bytes of data. */
void td_sha_extend(uint16_t layout, uint8_t buf[TD_SHA_CTX_BUFFER_SIZE], uint64_t gpa,
		   const uint8_t data[256]);
/* MR.FINALIZE: the 48-byte digest. The buffer is left as it was. */
void td_sha_final(uint16_t layout, const uint8_t buf[TD_SHA_CTX_BUFFER_SIZE], uint8_t mrtd[48]);

/* TDG.MR.RTMR.EXTEND: rtmr = SHA-384(rtmr || data48). */
void td_rtmr_extend(uint8_t rtmr[48], const uint8_t data[48]);

#endif /* TDXUP_FW_MEASURE_H */
