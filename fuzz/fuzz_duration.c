// SPDX-License-Identifier: MIT
/* Durations of every command line and option string ("250us", "30s", "2m"). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "tdxup/duration.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	uint64_t us = 0xdeadbeef;
	int ret = parse_duration_us(s, &us);

	if (ret && ret != -EINVAL && ret != -ERANGE)
		abort();
	/* A refused value leaves the output alone. */
	if (ret && us != 0xdeadbeef)
		abort();
	free(s);
	return 0;
}
