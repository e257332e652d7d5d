// SPDX-License-Identifier: MIT
/*
 * TDX-BLOB images as `tdxup image inspect|verify|convert` and the updater
 * read them: the header parse, the offline facts (checksum, sigstruct,
 * signature, seamhash), conversion to both versions, and the sigstruct
 * field parse and well-formedness rules on the input's first 2048 bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tdxup/catalog.h"
#include "tdxup/image.h"
#include "tdxup/seamldr_abi.h"
#include "tdxup/sigstruct.h"

static void fuzz_convert(const uint8_t *data, size_t size, unsigned int to)
{
	struct tdx_image_info info;
	char err[256];
	uint8_t *out = NULL;

	if (tdx_image_convert(data, size, to, &out, err, sizeof(err)))
		return;
	/* A converted image is the same pages under a new header: it must parse. */
	if (tdx_image_parse(out, size, &info, err, sizeof(err)) || info.version != to)
		abort();
	free(out);
}

static void fuzz_sigstruct(const uint8_t *data, size_t size)
{
	uint8_t raw[SIGSTRUCT_SIZE];
	struct sigstruct s;
	const char *why = NULL;

	if (size < SIGSTRUCT_SIZE)
		return;
	memcpy(raw, data, SIGSTRUCT_SIZE);
	sigstruct_parse(raw, &s);
	if (s.cpuid_table_size > SIGSTRUCT_CPUID_TABLE_MAX)
		abort();
	if (sigstruct_check_wellformed(&s, &why) && !why)
		abort();
	sigstruct_supports_fms(&s, 0x806f8);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tdx_image_info info;
	struct image_facts f;
	char err[256];

	if (!tdx_image_parse(data, size, &info, err, sizeof(err))) {
		fuzz_convert(data, size, TDX_BLOB_VERSION_1);
		fuzz_convert(data, size, TDX_IMAGE_VERSION_2);
	}
	image_facts_get(data, size, &f);
	/* intact implies parsed, and a damaged image says why. */
	if ((f.intact && !f.parsed) || (!f.intact && !f.problem[0]))
		abort();
	fuzz_sigstruct(data, size);
	return 0;
}
