// SPDX-License-Identifier: MIT
/*
 * TDX-BLOB image files (seamldr.md 6), the file-tool view: explain every
 * field and every problem. Unlike the kernel, the parser reports a bad
 * checksum instead of failing on it, but anything that leaves the layout
 * ambiguous or not installable (truncation, unknown version, unaligned
 * offset, reserved bytes, sizes that disagree) is an error with a reason.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tdxup/fsafe.h"
#include "tdxup/image.h"
#include "tdxup/seamldr_abi.h"
#include "updater/errmsg.h"

/* Published blobs are under 1 MiB; 16 MiB bounds a bad file cheaply (inferred). */
#define TDX_IMAGE_MAX_SIZE	(16u << 20)

uint16_t tdx_image_word_sum(const uint8_t *buf, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += le16(buf + i);
	if (len & 1)
		sum += buf[len - 1];
	return (uint16_t)sum;
}

void tdx_image_fix_checksum(uint8_t *buf, size_t len)
{
	/* Both versions keep the checksum at offset 2. */
	if (len < TDX_BLOB_V1_CHECKSUM + 2)
		return;
	put_le16(buf + TDX_BLOB_V1_CHECKSUM, 0);
	put_le16(buf + TDX_BLOB_V1_CHECKSUM, (uint16_t)(0x10000u - tdx_image_word_sum(buf, len)));
}

/* First nonzero byte in [off, off+len) as an offset, or -1. */
static long first_nonzero(const uint8_t *buf, size_t off, size_t len)
{
	for (size_t i = off; i < off + len; i++)
		if (buf[i])
			return (long)i;
	return -1;
}

static int parse_v1(const uint8_t *buf, size_t len, struct tdx_image_info *info,
		    char *err, size_t errlen)
{
	uint32_t off = le32(buf + TDX_BLOB_V1_OFFSET_OF_MODULE);
	long nz;

	info->length = le32(buf + TDX_BLOB_V1_LENGTH);
	if (memcmp(buf + TDX_BLOB_V1_SIGNATURE, TDX_BLOB_SIGNATURE, TDX_BLOB_SIGNATURE_LEN))
		return fail(err, errlen, "bad signature at offset 8: expected \"TDX-BLOB\"");
	nz = first_nonzero(buf, TDX_BLOB_V1_RESERVED0, 4 + TDX_BLOB_V1_RESERVED1_LEN);
	if (nz >= 0)
		return fail(err, errlen, "nonzero reserved header byte at offset %ld (0x%02x)",
			    nz, buf[nz]);
	if (off % PAGE_SIZE)
		return fail(err, errlen, "offset_of_module 0x%x is not 4 KiB-aligned", off);
	if (off <= TDX_BLOB_HEADER_SIZE)
		return fail(err, errlen, "offset_of_module 0x%x leaves no sigstruct page", off);
	if (off >= len)
		return fail(err, errlen,
			    "offset_of_module 0x%x is at or past the end of the %zu-byte file",
			    off, len);

	info->sigstruct_off = TDX_BLOB_HEADER_SIZE;
	info->sigstruct_pages = (off - TDX_BLOB_HEADER_SIZE) / PAGE_SIZE;
	info->module_off = off;
	info->module_pages = (len - off) / PAGE_SIZE;
	info->tail_bytes = (len - off) % PAGE_SIZE;

	/* A length that disagrees usually means a truncated or padded download. */
	if (info->length != len)
		return fail(err, errlen, "length field %u does not match the file size %zu",
			    info->length, len);
	if (info->tail_bytes)
		return fail(err, errlen,
			    "module is not a whole number of pages: %zu bytes past page %zu",
			    info->tail_bytes, info->module_pages);
	return 0;
}

static int parse_v2(const uint8_t *buf, size_t len, struct tdx_image_info *info,
		    char *err, size_t errlen)
{
	uint32_t sig_pages = le32(buf + TDX_IMAGE_V2_SIGSTRUCT_NR_PAGES);
	uint32_t mod_pages = le32(buf + TDX_IMAGE_V2_MODULE_NR_PAGES);
	uint64_t expect;
	long nz;

	if (memcmp(buf + TDX_IMAGE_V2_SIGNATURE, TDX_BLOB_SIGNATURE, TDX_BLOB_SIGNATURE_LEN))
		return fail(err, errlen, "bad signature at offset 4: expected \"TDX-BLOB\"");
	nz = first_nonzero(buf, TDX_IMAGE_V2_RESERVED, TDX_IMAGE_V2_RESERVED_LEN);
	if (nz >= 0)
		return fail(err, errlen, "nonzero reserved header byte at offset %ld (0x%02x)",
			    nz, buf[nz]);
	if (!sig_pages)
		return fail(err, errlen, "sigstruct_nr_pages is 0");
	if (!mod_pages)
		return fail(err, errlen, "module_nr_pages is 0");

	/* 64-bit arithmetic: the counts come from the file. */
	expect = TDX_BLOB_HEADER_SIZE + ((uint64_t)sig_pages + mod_pages) * PAGE_SIZE;
	info->sigstruct_off = TDX_BLOB_HEADER_SIZE;
	info->sigstruct_pages = sig_pages;
	info->module_off = TDX_BLOB_HEADER_SIZE + (size_t)sig_pages * PAGE_SIZE;
	info->module_pages = mod_pages;
	if (len > expect)
		info->tail_bytes = len - expect;
	if (expect != len)
		return fail(err, errlen,
			    "size %zu does not match the header: 4096 + (%u + %u) x 4096 = %llu",
			    len, sig_pages, mod_pages, (unsigned long long)expect);
	return 0;
}

/* Limits of SEAMLDR_PARAMS: larger images can never be installed. */
static int check_page_counts(const struct tdx_image_info *info, char *err, size_t errlen)
{
	if (info->sigstruct_pages > SEAMLDR_MAX_NR_SIG_PAGES)
		return fail(err, errlen, "%zu sigstruct pages, more than P-SEAMLDR accepts (%d)",
			    info->sigstruct_pages, SEAMLDR_MAX_NR_SIG_PAGES);
	if (info->module_pages > SEAMLDR_MAX_NR_MODULE_PAGES)
		return fail(err, errlen, "%zu module pages, more than P-SEAMLDR accepts (%d)",
			    info->module_pages, SEAMLDR_MAX_NR_MODULE_PAGES);
	return 0;
}

int tdx_image_parse(const uint8_t *buf, size_t len, struct tdx_image_info *info,
		    char *err, size_t errlen)
{
	int ret;

	memset(info, 0, sizeof(*info));
	info->size = len;
	if (err && errlen)
		err[0] = '\0';
	if (len < TDX_BLOB_HEADER_SIZE)
		return fail(err, errlen, "truncated: %zu bytes, the header page alone is 4096", len);
	if (len > TDX_IMAGE_MAX_SIZE)
		return fail(err, errlen, "too large: %zu bytes (limit %u)", len, TDX_IMAGE_MAX_SIZE);

	info->version = le16(buf + TDX_BLOB_V1_VERSION);
	info->checksum = le16(buf + TDX_BLOB_V1_CHECKSUM);
	info->checksum_ok = tdx_image_word_sum(buf, len) == 0;

	switch (info->version) {
	case TDX_BLOB_VERSION_1:
		ret = parse_v1(buf, len, info, err, errlen);
		break;
	case TDX_IMAGE_VERSION_2:
		ret = parse_v2(buf, len, info, err, errlen);
		break;
	default:
		if (memcmp(buf + TDX_BLOB_V1_SIGNATURE, TDX_BLOB_SIGNATURE, TDX_BLOB_SIGNATURE_LEN) &&
		    memcmp(buf + TDX_IMAGE_V2_SIGNATURE, TDX_BLOB_SIGNATURE, TDX_BLOB_SIGNATURE_LEN))
			return fail(err, errlen, "bad signature: not a TDX-BLOB image");
		return fail(err, errlen, "unknown version 0x%x (expected 0x100 or 0x200)",
			    info->version);
	}
	if (ret)
		return ret;
	return check_page_counts(info, err, errlen);
}

/* Header page for version with the given page counts; page must be zeroed. */
static void write_header(uint8_t *page, unsigned int version, size_t sig_pages,
			 size_t mod_pages, size_t total)
{
	if (version == TDX_BLOB_VERSION_1) {
		put_le16(page + TDX_BLOB_V1_VERSION, TDX_BLOB_VERSION_1);
		put_le32(page + TDX_BLOB_V1_OFFSET_OF_MODULE,
			 (uint32_t)(TDX_BLOB_HEADER_SIZE + sig_pages * PAGE_SIZE));
		memcpy(page + TDX_BLOB_V1_SIGNATURE, TDX_BLOB_SIGNATURE, TDX_BLOB_SIGNATURE_LEN);
		put_le32(page + TDX_BLOB_V1_LENGTH, (uint32_t)total);
	} else {
		put_le16(page + TDX_IMAGE_V2_VERSION, TDX_IMAGE_VERSION_2);
		memcpy(page + TDX_IMAGE_V2_SIGNATURE, TDX_BLOB_SIGNATURE, TDX_BLOB_SIGNATURE_LEN);
		put_le32(page + TDX_IMAGE_V2_SIGSTRUCT_NR_PAGES, (uint32_t)sig_pages);
		put_le32(page + TDX_IMAGE_V2_MODULE_NR_PAGES, (uint32_t)mod_pages);
	}
}

static bool version_known(unsigned int v)
{
	return v == TDX_BLOB_VERSION_1 || v == TDX_IMAGE_VERSION_2;
}

/*
 * Deliberately looser than the parser (no SEAMLDR_PARAMS page limits), so
 * that tests can build the oversized images the kernel must clamp or refuse.
 */
int tdx_image_assemble(unsigned int version, const uint8_t *sig, size_t sig_len,
		       const uint8_t *mod, size_t mod_len, uint8_t **out, size_t *out_len)
{
	size_t total;
	uint8_t *img;

	if (!version_known(version) || !sig || !mod)
		return -EINVAL;
	if (!sig_len || !mod_len || sig_len % PAGE_SIZE || mod_len % PAGE_SIZE)
		return -EINVAL;
	if (sig_len > TDX_IMAGE_MAX_SIZE || mod_len > TDX_IMAGE_MAX_SIZE - sig_len ||
	    sig_len + mod_len > TDX_IMAGE_MAX_SIZE - TDX_BLOB_HEADER_SIZE)
		return -EFBIG;

	total = TDX_BLOB_HEADER_SIZE + sig_len + mod_len;
	img = calloc(1, total);
	if (!img)
		return -ENOMEM;
	write_header(img, version, sig_len / PAGE_SIZE, mod_len / PAGE_SIZE, total);
	memcpy(img + TDX_BLOB_HEADER_SIZE, sig, sig_len);
	memcpy(img + TDX_BLOB_HEADER_SIZE + sig_len, mod, mod_len);
	/* The v0x200 kernel ignores it, but a zero word sum costs nothing (inferred). */
	tdx_image_fix_checksum(img, total);
	*out = img;
	*out_len = total;
	return 0;
}

int tdx_image_convert(const uint8_t *in, size_t len, unsigned int to,
		      uint8_t **out, char *err, size_t errlen)
{
	struct tdx_image_info info;
	uint8_t *img;
	int ret;

	if (!version_known(to))
		return fail(err, errlen, "cannot convert to unknown version 0x%x", to);
	/* The parser refuses unaligned offsets and partial module pages (6.3). */
	ret = tdx_image_parse(in, len, &info, err, errlen);
	if (ret)
		return ret;

	img = malloc(len);
	if (!img)
		return -ENOMEM;
	memcpy(img, in, len);
	memset(img, 0, TDX_BLOB_HEADER_SIZE);
	write_header(img, to, info.sigstruct_pages, info.module_pages, len);
	tdx_image_fix_checksum(img, len);
	*out = img;
	return 0;
}

static int read_fd(int fd, uint8_t **buf, size_t *len)
{
	size_t cap = 0, n = 0;
	struct stat st;
	uint8_t *p = NULL, *q;
	ssize_t r;

	if (fstat(fd, &st))
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	/* A FIFO or a terminal could block forever, a device never end. */
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	/* st_size is a hint only: procfs reports 0 and the file may grow. */
	if (st.st_size > 0) {
		if ((uint64_t)st.st_size > READ_FILE_MAX)
			return -EFBIG;
		cap = (size_t)st.st_size + 1;
	}
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			if (cap > READ_FILE_MAX + 1)
				cap = READ_FILE_MAX + 1;
			if (n == cap)
				goto too_big;
			q = realloc(p, cap);
			if (!q)
				goto nomem;
			p = q;
		} else if (!p) {
			p = malloc(cap);
			if (!p)
				goto nomem;
		}
		r = read(fd, p + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			r = -errno;
			free(p);
			return (int)r;
		}
		if (!r)
			break;
		n += (size_t)r;
	}
	*buf = p;
	*len = n;
	return 0;
too_big:
	free(p);
	return -EFBIG;
nomem:
	free(p);
	return -ENOMEM;
}

int read_file(const char *path, uint8_t **buf, size_t *len)
{
	int fd, ret;

	/*
	 * O_NONBLOCK: opening a FIFO with no writer would otherwise wait for
	 * one; O_NOCTTY: a terminal must not become our controlling one. A
	 * regular file reads the same either way.
	 */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -errno;
	ret = read_fd(fd, buf, len);
	close(fd);
	return ret;
}

/*
 * Outputs never follow a symlink and are replaced atomically (fsafe's
 * rules): a temporary file beside PATH, fsync, rename. A symlink, a FIFO or
 * a device at PATH is refused and left untouched, so that `ln -s
 * /etc/hostname out.blob` cannot make a conversion overwrite what it names.
 * A replaced file keeps its mode; a new one gets 0644 less the umask.
 */
int write_file_err(const char *path, const uint8_t *buf, size_t len, struct fsafe_err *err)
{
	mode_t mask, mode = 0644;
	struct stat st;

	if (!lstat(path, &st) && S_ISREG(st.st_mode)) {
		mode = st.st_mode & 07777;
	} else {
		mask = umask(0);
		umask(mask);
		mode &= ~mask;
	}
	return fsafe_write_output(path, buf, len, mode, err);
}

int write_file(const char *path, const uint8_t *buf, size_t len)
{
	return write_file_err(path, buf, len, NULL);
}
