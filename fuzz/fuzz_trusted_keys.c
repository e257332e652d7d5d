// SPDX-License-Identifier: MIT
/*
 * One file of SYSROOT/etc/tdxup/trusted-keys.d/: key hashes one per line,
 * comments and blank lines, at most TRUSTED_KEYS_MAX keys in all.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tdxup/trusted_keys.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trusted_keys *tk = calloc(1, sizeof(*tk));
	char *s = fuzz_cstr(data, size), err[512] = "";
	int ret;

	if (!tk)
		abort();
	ret = trusted_keys_parse("keys", s, size, tk, err, sizeof(err));
	if ((ret && !err[0]) || tk->nr > TRUSTED_KEYS_MAX)
		abort();
	free(s);
	free(tk);
	return 0;
}
