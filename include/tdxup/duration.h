/* SPDX-License-Identifier: MIT */
/*
 * Durations on every command line and in every option string of both
 * programs: a decimal number with a unit, us, ms, s, m or h ("250us",
 * "30s", "2m"). A bare number means seconds everywhere, as sleep(1) and
 * systemd read it. Values that do not fit in 64-bit microseconds are
 * refused, not wrapped.
 */
#ifndef TDXUP_DURATION_H
#define TDXUP_DURATION_H

#include <stdint.h>

/* 0, or -EINVAL (malformed) / -ERANGE (too large). */
int parse_duration_us(const char *s, uint64_t *us);

#endif /* TDXUP_DURATION_H */
