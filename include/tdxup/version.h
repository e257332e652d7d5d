/* SPDX-License-Identifier: MIT */
/* TDX module and P-SEAMLDR versions as sysfs and Intel's files write them. */
#ifndef TDXUP_VERSION_H
#define TDXUP_VERSION_H

#include <stdint.h>

/* "X.Y.Z" (decimal, each at most 65535) -> numbers; -EINVAL when malformed. */
int module_version_parse(const char *s, uint16_t *major, uint16_t *minor, uint16_t *update);

#endif /* TDXUP_VERSION_H */
