// SPDX-License-Identifier: MIT
/* Atomic file replacement (tdxup/atomic_file.h), by fsafe's rules. */
#include "tdxup/atomic_file.h"
#include "tdxup/fsafe.h"

int atomic_write_file(const char *path, const void *buf, size_t len, unsigned int mode)
{
	return fsafe_write_output(path, buf, len, mode, NULL);
}
