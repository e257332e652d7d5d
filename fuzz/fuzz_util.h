/* SPDX-License-Identifier: MIT */
/* What several fuzz targets share. */
#ifndef TDXUP_FUZZ_UTIL_H
#define TDXUP_FUZZ_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * The input as a C string in its own allocation, sized exactly, so that
 * ASan catches a parser reading one byte past the terminator. An embedded
 * NUL ends the string early, as it would for the real caller.
 */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif /* TDXUP_FUZZ_UTIL_H */
