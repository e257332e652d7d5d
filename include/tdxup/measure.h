/* SPDX-License-Identifier: MIT */
/*
 * Offline MRTD calculation (tdx-module.md 5.1): an independent
 * implementation, with OpenSSL's EVP SHA-384, of what the module hashes.
 * It shares no code with the firmware's running hash in emu/fw/measure.c,
 * so that one can check the other.
 */
#ifndef TDXUP_MEASURE_H
#define TDXUP_MEASURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tdxup/page.h"

#define MRTD_RECORD_SIZE	128
#define MR_EXTEND_CHUNK		256

struct mrtd_calc;

struct mrtd_calc *mrtd_calc_new(void);
void mrtd_calc_free(struct mrtd_calc *c);
/* One MEM.PAGE.ADD record. */
int mrtd_calc_page_add(struct mrtd_calc *c, uint64_t gpa);
/* One MR.EXTEND record and its 256 data bytes. */
int mrtd_calc_extend(struct mrtd_calc *c, uint64_t gpa, const uint8_t data[MR_EXTEND_CHUNK]);
/* A page the way KVM adds it: PAGE.ADD, then 16 EXTENDs if measured. */
int mrtd_calc_add_page(struct mrtd_calc *c, uint64_t gpa, const uint8_t page[PAGE_SIZE], bool measure);
int mrtd_calc_final(struct mrtd_calc *c, uint8_t mrtd[48]);

/* Build the 128-byte records (also used by tests against vectors.md). */
void mrtd_record_page_add(uint8_t rec[MRTD_RECORD_SIZE], uint64_t gpa);
void mrtd_record_extend(uint8_t rec[MRTD_RECORD_SIZE], uint64_t gpa);

/* RTMR[i] = SHA-384(RTMR[i] || data48) */
void rtmr_extend_calc(uint8_t rtmr[48], const uint8_t data[48]);

/*
 * MRTD of a TD built from TDVF/OVMF firmware: sections of the TDVF metadata
 * whose attributes include PAGE.AUG are skipped, every other section's pages
 * are added, and MR_EXTEND sections are extended one page at a time.
 * Returns 0 or -EINVAL with a reason in err.
 */
int mrtd_of_tdvf(const uint8_t *fw, size_t len, uint8_t mrtd[48], char *err, size_t errlen);

void hex_encode(const uint8_t *buf, size_t len, char *out);	/* out: 2*len+1 */
int hex_decode(const char *hex, uint8_t *buf, size_t len);	/* exactly 2*len digits */

#endif /* TDXUP_MEASURE_H */
