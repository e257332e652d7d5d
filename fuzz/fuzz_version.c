// SPDX-License-Identifier: MIT
/*
 * "X.Y.Z" versions as sysfs (version, seamldr_version) and Intel's
 * mapping_file.json write them: parse, and print back what was parsed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tdxup/catalog.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), buf[TDX_VERSION_STR_LEN];
	struct tdx_version v, w;

	if (!tdx_version_parse(s, &v)) {
		/* What is printed parses back to the same version. */
		if (tdx_version_parse(tdx_version_str(&v, buf), &w) || tdx_version_cmp(&v, &w))
			abort();
	}
	free(s);
	return 0;
}
