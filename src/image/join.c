// SPDX-License-Identifier: MIT
/*
 * Join a module binary and its sigstruct, as Intel publishes them under
 * separate_files/, into a TDX-BLOB image (seamldr.md 6).
 *
 * For format 0x100 the result is what Intel's blob_join.sh writes (read for
 * its facts only): a 4 KiB header page { version 0x100, checksum, offset_of_
 * module 0x2000, "TDX-BLOB", length = 0x2000 + module size, zeros }, the
 * 2048-byte sigstruct, 2048 zero bytes, then the module binary unchanged;
 * the checksum makes the 16-bit little-endian word sum of the whole file 0.
 * The script agrees with seamldr.md 6.1 on every offset. Two things it does
 * not do, which we do: it neither pads nor checks the module size (a binary
 * that is not a whole number of pages would give a blob with a partial tail
 * page, which the v8 kernel drops and the 0x200 header cannot describe), and
 * it never verifies the result. For format 0x200 the same pages get the
 * 0x200 header instead (seamldr.md 6.2).
 *
 * One reading differs: Intel's blob_structure.txt calls any pages between
 * the sigstruct page and the module "reserved3" (N pages, N = 0 so far),
 * while seamldr.md 6.1 and the v8 kernel count them as sigstruct pages.
 * A join always writes N = 0, where the two agree.
 *
 * The joined image is verified like any other (image_facts_get) before it
 * is handed back: an image that cannot verify is never produced.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tdxup/catalog.h"
#include "tdxup/image.h"
#include "tdxup/seamldr_abi.h"
#include "tdxup/sigstruct.h"
#include "updater/errmsg.h"

#define PAGE_4K		4096u

/*
 * blob_join.sh accepts exactly 2048 bytes, the size of every published
 * .sigstruct file. A whole sigstruct page (2048 bytes and 2048 zeros, as
 * cut from a blob) is accepted too, since it joins to the same bytes
 * (inferred).
 */
static int check_sigstruct(const uint8_t *sig, size_t sig_len, char *err, size_t errlen)
{
	struct sigstruct s;
	const char *why;

	if (sig_len != SIGSTRUCT_SIZE && sig_len != PAGE_4K)
		return fail(err, errlen,
			    "sigstruct is %zu bytes: expected %u (or a %u-byte page ending in zeros)",
			    sig_len, SIGSTRUCT_SIZE, PAGE_4K);
	if (sig_len == PAGE_4K && !all_zero(sig + SIGSTRUCT_SIZE, PAGE_4K - SIGSTRUCT_SIZE))
		return fail(err, errlen,
			    "sigstruct page has nonzero bytes past the %u-byte sigstruct",
			    SIGSTRUCT_SIZE);
	sigstruct_parse(sig, &s);
	if (sigstruct_check_wellformed(&s, &why))
		return fail(err, errlen, "sigstruct is malformed: %s", why);
	return 0;
}

static int check_module(size_t bin_len, char *err, size_t errlen)
{
	if (!bin_len)
		return fail(err, errlen, "module binary is empty");
	if (bin_len % PAGE_4K)
		return fail(err, errlen,
			    "module binary is %zu bytes, not a whole number of 4 KiB pages",
			    bin_len);
	/* SEAMLDR_PARAMS has room for no more (seamldr.md 3). */
	if (bin_len / PAGE_4K > SEAMLDR_MAX_NR_MODULE_PAGES)
		return fail(err, errlen, "module binary is %zu pages, more than P-SEAMLDR accepts (%d)",
			    bin_len / PAGE_4K, SEAMLDR_MAX_NR_MODULE_PAGES);
	return 0;
}

int tdx_image_join(const uint8_t *bin, size_t bin_len, const uint8_t *sig, size_t sig_len,
		   unsigned int format, uint8_t **out, size_t *out_len,
		   struct image_facts *facts, char *err, size_t errlen)
{
	struct image_facts local;
	uint8_t *page, *img = NULL;
	size_t img_len;
	int ret;

	if (err && errlen)
		err[0] = '\0';
	if (!facts)
		facts = &local;
	memset(facts, 0, sizeof(*facts));
	if (format != TDX_BLOB_VERSION_1 && format != TDX_IMAGE_VERSION_2)
		return fail(err, errlen, "unknown format 0x%x (expected 0x100 or 0x200)", format);
	ret = check_module(bin_len, err, errlen);
	if (!ret)
		ret = check_sigstruct(sig, sig_len, err, errlen);
	if (ret)
		return ret;

	/* The one sigstruct page: the sigstruct, then zeros (blob_join.sh's resv2). */
	page = calloc(1, PAGE_4K);
	if (!page)
		return -ENOMEM;
	memcpy(page, sig, SIGSTRUCT_SIZE);
	ret = tdx_image_assemble(format, page, PAGE_4K, bin, bin_len, &img, &img_len);
	free(page);
	if (ret) {
		set_err(err, errlen, "cannot assemble the image: %s", strerror(-ret));
		return ret;
	}

	if (image_facts_get(img, img_len, facts)) {
		set_err(err, errlen, "joined image does not verify: %s", facts->problem);
		free(img);
		return -EINVAL;
	}
	*out = img;
	*out_len = img_len;
	return 0;
}
