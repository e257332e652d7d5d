// SPDX-License-Identifier: MIT
/* The one duration parser (include/tdxup/duration.h). */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "tdxup/duration.h"

static const struct {
	const char *unit;
	uint64_t us;
} duration_units[] = {
	{ "us", 1 },
	{ "ms", 1000 },
	{ "s", 1000000 },
	{ "m", 60000000 },
	{ "h", 3600000000ULL },
	{ "", 1000000 },		/* bare number: seconds */
};

int parse_duration_us(const char *s, uint64_t *us)
{
	const char *p = s;
	uint64_t n = 0;

	if (!s || *p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		uint64_t d = (uint64_t)(*p - '0');

		if (n > (UINT64_MAX - d) / 10)
			return -ERANGE;
		n = n * 10 + d;
	}
	for (size_t i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]); i++) {
		if (strcmp(p, duration_units[i].unit))
			continue;
		if (n > UINT64_MAX / duration_units[i].us)
			return -ERANGE;
		*us = n * duration_units[i].us;
		return 0;
	}
	return -EINVAL;
}
