/* SPDX-License-Identifier: MIT */
/*
 * TDX-BLOB image files, versions 0x100 and 0x200 (seamldr.md 6): parse,
 * checksum, convert. The kernel layer has its own exact header checks
 * (emu/kernel/seamldr.c); this is the file-tool view, which explains every
 * field and every problem.
 */
#ifndef TDXUP_IMAGE_H
#define TDXUP_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tdx_image_info {
	unsigned int version;		/* 0x100 or 0x200 */
	size_t size;
	uint16_t checksum;		/* stored value */
	bool checksum_ok;		/* 16-bit LE word sum of the file is 0 */
	uint32_t length;		/* v0x100 header length field */
	size_t sigstruct_off, sigstruct_pages;
	size_t module_off, module_pages;
	size_t tail_bytes;		/* bytes past the last whole module page */
};

/*
 * Structural parse of either version. Returns 0, or -EINVAL with a
 * human-readable reason copied to err (if non-NULL).
 */
int tdx_image_parse(const uint8_t *buf, size_t len, struct tdx_image_info *info,
		    char *err, size_t errlen);

/* 16-bit little-endian word sum over the buffer (odd tail byte as low). */
uint16_t tdx_image_word_sum(const uint8_t *buf, size_t len);
/* Set the checksum field so the word sum is 0. */
void tdx_image_fix_checksum(uint8_t *buf, size_t len);

/*
 * Write a header page for the given version in front of sigstruct and
 * module bytes (each a whole number of pages); malloc'ed result.
 */
int tdx_image_assemble(unsigned int version, const uint8_t *sig, size_t sig_len,
		       const uint8_t *mod, size_t mod_len, uint8_t **out, size_t *out_len);

/* Convert to the other (or the same) version; only the header page changes. */
int tdx_image_convert(const uint8_t *in, size_t len, unsigned int to,
		      uint8_t **out, char *err, size_t errlen);

struct image_facts;	/* tdxup/catalog.h */

/*
 * Join a module binary and its sigstruct (Intel's separate_files/) into a
 * TDX-BLOB of format 0x100 (byte for byte what Intel's blob_join.sh writes)
 * or 0x200 (the same pages, the 0x200 header). sig is the 2048-byte
 * sigstruct, or a 4096-byte page whose second half is zero; bin is 1..496
 * whole 4 KiB pages. The result is verified with image_facts_get() (checksum,
 * sigstruct, RSA signature, seamhash) and only handed back if intact; facts
 * (may be NULL) receives what was found. Returns 0 with a malloc'ed image
 * in *out, -EINVAL with a reason in err (bad input, or the check that
 * failed), or -ENOMEM.
 */
int tdx_image_join(const uint8_t *bin, size_t bin_len, const uint8_t *sig, size_t sig_len,
		   unsigned int format, uint8_t **out, size_t *out_len,
		   struct image_facts *facts, char *err, size_t errlen);

/*
 * Read a whole regular file (malloc'ed), at most READ_FILE_MAX; -errno. Anything
 * else is refused without blocking: a directory is -EISDIR, any other
 * non-regular file (a FIFO, a device, a socket) -EINVAL, too large -EFBIG.
 */
int read_file(const char *path, uint8_t **buf, size_t *len);
/* Images are bounded lower (16 MiB); read_file also reads other inputs. */
#define READ_FILE_MAX		(64u << 20)
/*
 * Replace PATH atomically with buf (fsafe_write_output): never through a
 * symlink, never into a FIFO or device (-ELOOP, -EINVAL, PATH untouched).
 * A replaced file keeps its mode, a new one gets 0644 less the umask.
 * write_file_err also says why in err ("PATH: why"); err may be NULL.
 */
struct fsafe_err;
int write_file_err(const char *path, const uint8_t *buf, size_t len, struct fsafe_err *err);
int write_file(const char *path, const uint8_t *buf, size_t len);

#endif /* TDXUP_IMAGE_H */
