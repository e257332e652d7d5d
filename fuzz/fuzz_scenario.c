// SPDX-License-Identifier: MIT
/*
 * Lab scenario files (`tdxup lab --scenario FILE.json`), parsed from the
 * buffer as lab_scenario_load parses a file: a refused file must leave the
 * configuration exactly as it was.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lab/lab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lab_config cfg, before;
	json_t *root = NULL;
	char err[512] = "";

	lab_config_init(&cfg);
	memcpy(&before, &cfg, sizeof(cfg));	/* padding included */
	if (lab_scenario_parse("scenario.json", (const char *)data, size, &cfg, &root, err,
			       sizeof(err))) {
		if (!err[0] || root || memcmp(&cfg, &before, sizeof(cfg)))
			abort();
		return 0;
	}
	json_decref(root);
	return 0;
}
