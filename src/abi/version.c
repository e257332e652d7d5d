// SPDX-License-Identifier: MIT
/* Version strings (include/tdxup/version.h). */
#include <errno.h>
#include <stdint.h>

#include "tdxup/version.h"

int module_version_parse(const char *s, uint16_t *major, uint16_t *minor, uint16_t *update)
{
	uint16_t v[3];

	if (!s)
		return -EINVAL;
	for (int i = 0; i < 3; i++) {
		uint32_t n = 0;
		const char *start = s;

		/* Decimal digits only: no sign, no spaces, no hex. */
		while (*s >= '0' && *s <= '9') {
			n = n * 10 + (uint32_t)(*s - '0');
			if (n > UINT16_MAX)
				return -EINVAL;
			s++;
		}
		if (s == start)
			return -EINVAL;
		if (*s != (i < 2 ? '.' : '\0'))
			return -EINVAL;
		if (i < 2)
			s++;
		v[i] = (uint16_t)n;
	}
	if (major)
		*major = v[0];
	if (minor)
		*minor = v[1];
	if (update)
		*update = v[2];
	return 0;
}
