/* SPDX-License-Identifier: MIT */
/*
 * Replace a file so that a reader sees the old contents or the new ones,
 * never half of either: node_exporter's textfile collector, NFD's local
 * source and the next updater run all read while we may be writing.
 */
#ifndef TDXUP_ATOMIC_FILE_H
#define TDXUP_ATOMIC_FILE_H

#include <stddef.h>

/*
 * Write len bytes to a temporary ".NAME.XXXXXX" in path's directory (so
 * that no collector globbing "*.prom" picks it up, and rename(2) stays in
 * one file system), fsync it, give it mode, rename it over path, fsync the
 * directory. 0, or -errno with the temporary file removed.
 */
int atomic_write_file(const char *path, const void *buf, size_t len, unsigned int mode);

#endif /* TDXUP_ATOMIC_FILE_H */
