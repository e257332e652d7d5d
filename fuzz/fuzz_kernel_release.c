// SPDX-License-Identifier: MIT
/* /proc/sys/kernel/osrelease: merged (7.2+) or posted, and the image format. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "tdxup/seamldr_abi.h"
#include "tdxup/sysroot.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	unsigned int format = 0;
	int merged = kernel_release_merged(s);
	int ret = kernel_release_image_format(s, &format);

	if (merged != 0 && merged != 1 && merged != -EINVAL)
		abort();
	/* The two answers agree. */
	if (merged < 0 ? ret != merged :
	    ret || format != (merged ? TDX_IMAGE_VERSION_2 : TDX_BLOB_VERSION_1))
		abort();
	free(s);
	return 0;
}
