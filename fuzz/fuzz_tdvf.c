// SPDX-License-Identifier: MIT
/*
 * `tdxup measure --tdvf`: the OVMF footer GUID table, the TDX metadata
 * offset entry, the TDVF descriptor and its sections, then the MRTD of
 * the pages they describe.
 */
#include <stdint.h>
#include <stdlib.h>

#include "tdxup/measure.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t mrtd[48];
	char err[256] = "";

	if (mrtd_of_tdvf(data, size, mrtd, err, sizeof(err)) && !err[0])
		abort();	/* every refusal says why */
	return 0;
}
