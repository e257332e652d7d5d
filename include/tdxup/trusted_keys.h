/* SPDX-License-Identifier: MIT */
/*
 * The signing keys a target declares trusted: SYSROOT/etc/tdxup/
 * trusted-keys.d/, root's configuration on a real host (the emulator's
 * `serve` writes its test key's hash into its mount). Each regular file
 * holds key hashes, one per line: the SHA-384 of the sigstruct's 384-byte
 * modulus as stored, 96 hex digits (`tdxup image inspect` prints it);
 * blank lines and lines starting with '#' are ignored. Files whose names
 * start with '.' or end in '~' are skipped, as editors leave them.
 */
#ifndef TDXUP_TRUSTED_KEYS_H
#define TDXUP_TRUSTED_KEYS_H

#include <stddef.h>
#include <stdint.h>

#define TRUSTED_KEYS_DIR	"etc/tdxup/trusted-keys.d"
#define TRUSTED_KEYS_MAX	64

struct trusted_keys {
	uint8_t hash[TRUSTED_KEYS_MAX][48];
	size_t nr;
};

/*
 * Load every file of dir into tk (appending). A missing directory is no
 * error (nothing declared). A malformed line, a file that is not regular
 * or too many keys: -EINVAL with "FILE:LINE: why" in err.
 */
int trusted_keys_load(const char *dir, struct trusted_keys *tk, char *err, size_t errlen);

/*
 * One file's text (len bytes, NUL-terminated at text[len], split in place),
 * appended to tk; errors named "name:LINE". 0 or -EINVAL.
 */
int trusted_keys_parse(const char *name, char *text, size_t len, struct trusted_keys *tk,
		       char *err, size_t errlen);
/* "sysroot/etc/tdxup/trusted-keys.d" into out; 0 or -ENAMETOOLONG. */
int trusted_keys_dir(const char *sysroot, char *out, size_t size);

#endif /* TDXUP_TRUSTED_KEYS_H */
