/* SPDX-License-Identifier: MIT */
/*
 * The signing keys a target declares trusted: SYSROOT/etc/tdxup/
 * trusted-keys.d/NAME.sha384, root's configuration on a real host (the
 * emulator's `serve` shows its test key's hash in its mount); docs/trust.md.
 * Each such file holds key hashes, one per line: the SHA-384 of the
 * sigstruct's 384-byte modulus as stored, 96 hex digits (`tdxup image
 * inspect` prints it); blank lines and lines starting with '#' are ignored.
 * A file named otherwise is not read (README, dpkg's leftovers, editors'
 * backups, dot-files). Trust follows fsafe's rules (tdxup/fsafe.h): the
 * directory and every parent root's and not writable by group or others,
 * each key list a regular file, root's, not writable by others, never
 * reached through a symlink.
 */
#ifndef TDXUP_TRUSTED_KEYS_H
#define TDXUP_TRUSTED_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRUSTED_KEYS_DIR	"etc/tdxup/trusted-keys.d"
#define TRUSTED_KEYS_MAX	64
#define TRUSTED_KEYS_SUFFIX	".sha384"

struct trusted_keys {
	uint8_t hash[TRUSTED_KEYS_MAX][48];
	size_t nr;
};

/*
 * Load every key list of dir into tk (appending), in name order. A missing
 * directory is no error (nothing declared). Anything trust cannot rest on
 * (the directory or a parent writable by others or not root's, a key list
 * that is a symlink, a FIFO, another user's or writable by others), a
 * malformed line or too many keys: -EINVAL, with "PATH: why" or
 * "FILE:LINE: why" in err. Nothing is read past the first refusal.
 */
int trusted_keys_load(const char *dir, struct trusted_keys *tk, char *err, size_t errlen);

/*
 * One file's text (len bytes, NUL-terminated at text[len], split in place),
 * appended to tk; errors named "name:LINE". 0 or -EINVAL.
 */
int trusted_keys_parse(const char *name, char *text, size_t len, struct trusted_keys *tk,
		       char *err, size_t errlen);
/* Whether a file of the directory is read: "NAME.sha384", NAME not starting with '.'. */
bool trusted_keys_name(const char *name);
/* "sysroot/etc/tdxup/trusted-keys.d" into out; 0 or -ENAMETOOLONG. */
int trusted_keys_dir(const char *sysroot, char *out, size_t size);

#endif /* TDXUP_TRUSTED_KEYS_H */
