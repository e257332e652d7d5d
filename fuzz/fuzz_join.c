// SPDX-License-Identifier: MIT
/*
 * `tdxup image join`: a module binary and its sigstruct (Intel's
 * separate_files/) into a TDX-BLOB. The input is
 *
 *   byte 0..1   little-endian split: the sigstruct's length (at most the rest)
 *   byte 2      bit 0 picks the output format (0x100 or 0x200)
 *   then        the sigstruct bytes, then the module binary
 */
#include <stdint.h>
#include <stdlib.h>

#include "tdxup/catalog.h"
#include "tdxup/image.h"
#include "tdxup/seamldr_abi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct image_facts f;
	size_t split, out_len = 0;
	unsigned int format;
	uint8_t *out = NULL;
	char err[256];

	if (size < 3)
		return 0;
	split = (size_t)data[0] | (size_t)data[1] << 8;
	format = data[2] & 1 ? TDX_IMAGE_VERSION_2 : TDX_BLOB_VERSION_1;
	data += 3;
	size -= 3;
	if (split > size)
		split = size;
	if (tdx_image_join(data + split, size - split, data, split, format, &out, &out_len, &f,
			   err, sizeof(err)))
		return 0;
	/* Handed back only if intact: the result must check out again. */
	if (image_facts_get(out, out_len, &f) || f.format != format)
		abort();
	free(out);
	return 0;
}
