// SPDX-License-Identifier: MIT
/* /proc/cpuinfo text: the first processor's family, model and stepping. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "tdxup/sysroot.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	uint32_t fms = 0;
	int ret = cpuinfo_parse_fms(s, &fms);

	if (ret && ret != -EINVAL && ret != -ENODATA)
		abort();
	/* CPUID.1.EAX bits 31:28 and 15:14 are reserved: never set. */
	if (!ret && (fms & 0xf000c000u))
		abort();
	free(s);
	return 0;
}
