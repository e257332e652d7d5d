// SPDX-License-Identifier: MIT
/*
 * The catalogue's mapping_file.json (Intel's release metadata), parsed as
 * catalog_load parses it, from the buffer: every field checked, duplicates
 * refused, everything freed on every path.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tdxup/catalog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct catalog *cat = calloc(1, sizeof(*cat));
	char err[512] = "";
	int ret;

	if (!cat)
		return 0;
	ret = catalog_parse_mapping(cat, "mapping_file.json", (const char *)data, size, err,
				    sizeof(err));
	/* A refusal names its reason; an accepted file has its releases. */
	if (ret && !err[0])
		abort();
	for (size_t i = 0; !ret && i < cat->nr_releases; i++)
		if (!cat->releases[i].nr_min_seamldr || !cat->releases[i].min_seamldr)
			abort();
	catalog_free(cat);
	return 0;
}
