// SPDX-License-Identifier: MIT
/*
 * Building signed images of the emulated module builds: the module binary
 * (descriptor + deterministic filler), its sigstruct signed with the
 * project's test key, and the TDX-BLOB around them. This is the vendor's
 * build-and-sign step, so it lives with the file tools, not in the
 * firmware (which only decodes the descriptor, src/image/module_desc.c).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "tdxup/image.h"
#include "emu/module_build.h"
#include "tdxup/seamldr_abi.h"
#include "emu/sign.h"
#include "tdxup/sigstruct.h"

/*
 * Filler after the descriptor: SHA-384(descriptor || le32 counter) blocks,
 * so that every build field changes the seamhash and the same build always
 * gives the same bytes.
 */
static int fill_module(const uint8_t desc[MODULE_DESC_SIZE], uint8_t *out, size_t len)
{
	uint8_t block[SHA384_DIGEST_SIZE], ctr[4];
	EVP_MD_CTX *ctx;
	uint32_t i = 0;
	size_t n;
	int ret = 0;

	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return -ENOMEM;
	while (len) {
		put_le32(ctr, i++);
		if (!EVP_DigestInit_ex(ctx, EVP_sha384(), NULL) ||
		    !EVP_DigestUpdate(ctx, desc, MODULE_DESC_SIZE) ||
		    !EVP_DigestUpdate(ctx, ctr, sizeof(ctr)) ||
		    !EVP_DigestFinal_ex(ctx, block, NULL)) {
			ret = -EIO;
			break;
		}
		n = len < sizeof(block) ? len : sizeof(block);
		memcpy(out, block, n);
		out += n;
		len -= n;
	}
	EVP_MD_CTX_free(ctx);
	return ret;
}

int module_binary_build(const struct module_build *b, uint8_t **bin, size_t *len)
{
	uint8_t desc[MODULE_DESC_SIZE];
	struct module_build check;
	uint8_t *buf;
	size_t size;
	int ret;

	if (!b)
		return -EINVAL;
	/* Build only what the emulator can load back. */
	module_desc_encode(b, desc);
	if (module_desc_decode(desc, sizeof(desc), &check))
		return -EINVAL;
	size = (size_t)b->nr_module_pages * PAGE_SIZE;
	buf = malloc(size);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, desc, sizeof(desc));
	ret = fill_module(desc, buf + MODULE_DESC_SIZE, size - MODULE_DESC_SIZE);
	if (ret) {
		free(buf);
		return ret;
	}
	*bin = buf;
	*len = size;
	return 0;
}

/* 20250219 -> 0x20250219 */
static uint32_t date_to_bcd(uint32_t d)
{
	uint32_t bcd = 0;

	for (int shift = 0; shift < 32; shift += 4) {
		bcd |= (d % 10) << shift;
		d /= 10;
	}
	return bcd;
}

/*
 * Sigstruct for a build. Layout fields that the emulator does not model
 * (stack, TLS, keyhole and global data pages, TDMR and PAMT sizes) get
 * plausible constants (inferred); rip_offset points just past the
 * descriptor, inside the module binary.
 */
static int sigstruct_for_build(const struct module_build *b, bool debug,
			       const uint8_t *bin, size_t len, struct sigstruct *s)
{
	memset(s, 0, sizeof(*s));
	s->header_type = SIGSTRUCT_HEADER_TYPE_VALUE;
	s->header_length = SIGSTRUCT_HEADER_LENGTH_VALUE;
	s->header_version = SIGSTRUCT_HEADER_VERSION_VALUE;
	s->module_type = debug ? SIGSTRUCT_MODULE_TYPE_DEBUG : 0;
	s->module_vendor = SIGSTRUCT_VENDOR_INTEL;
	s->date = date_to_bcd(b->build_date);
	s->size = SIGSTRUCT_SIZE_VALUE;
	s->key_size = SIGSTRUCT_KEY_SIZE_VALUE;
	s->modulus_size = SIGSTRUCT_MODULUS_SIZE_VALUE;
	s->exponent_size = SIGSTRUCT_EXPONENT_SIZE_VALUE;
	s->exponent = SIGSTRUCT_EXPONENT_VALUE;
	if (!EVP_Digest(bin, len, s->seamhash, NULL, EVP_sha384(), NULL))
		return -EIO;
	s->seamsvn_minor = b->seamsvn_minor;
	s->seamsvn_major = b->seamsvn_major;
	s->attributes = 0;
	s->rip_offset = MODULE_DESC_SIZE;
	s->num_stack_pages = 4;
	s->num_tls_pages = 1;
	s->num_keyhole_pages = 128;
	s->num_global_data_pages = 16;
	s->max_tdmrs = 64;
	s->max_rsvd_per_tdmr = 16;
	s->pamt_entry_size_4k = 16;
	s->pamt_entry_size_2m = 16;
	s->pamt_entry_size_1g = 16;
	s->module_hv = b->module_hv;
	s->min_update_hv = b->min_update_hv;
	s->no_downgrade = b->no_downgrade;
	s->num_handoff_pages = b->num_handoff_pages;
	s->cpuid_table_size = b->nr_cpu_fms;
	for (unsigned int i = 0; i < b->nr_cpu_fms && i < MODULE_BUILD_MAX_FMS; i++)
		s->cpuid_table[i] = b->cpu_fms[i];
	return 0;
}

static int image_build_uncached(const struct module_build *b, unsigned int format, bool debug,
				uint8_t **img, size_t *len);

/* Only the catalogue's own entries: a caller's modified copy is built afresh. */
static bool in_catalogue(const struct module_build *b)
{
	size_t nr;
	const struct module_build *cat = module_build_catalogue(&nr);

	for (size_t i = 0; i < nr; i++)
		if (b == &cat[i])
			return true;
	return false;
}

/*
 * Images are a pure function of (build, format, debug): signing one costs
 * an RSA-3072 private-key operation, and every emulated host boot and every
 * lab run builds one. Keep each built image for the process's life and
 * hand out copies (callers corrupt and free theirs).
 */
#define IMAGE_CACHE_SIZE	32

static struct {
	const struct module_build *b;
	unsigned int format;
	bool debug;
	uint8_t *img;
	size_t len;
} image_cache[IMAGE_CACHE_SIZE];
static unsigned int image_cache_nr;
static pthread_mutex_t image_cache_lock = PTHREAD_MUTEX_INITIALIZER;

static int image_copy(const uint8_t *src, size_t src_len, uint8_t **img, size_t *len)
{
	*img = malloc(src_len);
	if (!*img)
		return -ENOMEM;
	memcpy(*img, src, src_len);
	*len = src_len;
	return 0;
}

int module_image_build(const struct module_build *b, const struct module_image_opts *opts,
		       uint8_t **img, size_t *len)
{
	unsigned int format = opts && opts->format ? opts->format : TDX_BLOB_VERSION_1;
	bool debug = opts && opts->debug;
	int ret;

	if (!in_catalogue(b))
		return image_build_uncached(b, format, debug, img, len);
	pthread_mutex_lock(&image_cache_lock);
	for (unsigned int i = 0; i < image_cache_nr; i++) {
		if (image_cache[i].b == b && image_cache[i].format == format &&
		    image_cache[i].debug == debug) {
			ret = image_copy(image_cache[i].img, image_cache[i].len, img, len);
			pthread_mutex_unlock(&image_cache_lock);
			return ret;
		}
	}
	ret = image_build_uncached(b, format, debug, img, len);
	if (!ret && image_cache_nr < IMAGE_CACHE_SIZE &&
	    !image_copy(*img, *len, &image_cache[image_cache_nr].img,
			&image_cache[image_cache_nr].len)) {
		image_cache[image_cache_nr].b = b;
		image_cache[image_cache_nr].format = format;
		image_cache[image_cache_nr].debug = debug;
		image_cache_nr++;
	}
	pthread_mutex_unlock(&image_cache_lock);
	return ret;
}

static int image_build_uncached(const struct module_build *b, unsigned int format, bool debug,
				uint8_t **img, size_t *len)
{
	uint8_t *bin = NULL, *sigpage = NULL;
	struct sigstruct s;
	size_t bin_len;
	int ret;

	if (format != TDX_BLOB_VERSION_1 && format != TDX_IMAGE_VERSION_2)
		return -EINVAL;
	ret = module_binary_build(b, &bin, &bin_len);
	if (ret)
		return ret;
	/* One sigstruct page: the 2 KiB sigstruct, then 2 KiB of zeros. */
	sigpage = calloc(1, PAGE_SIZE);
	if (!sigpage) {
		ret = -ENOMEM;
		goto out;
	}
	ret = sigstruct_for_build(b, debug, bin, bin_len, &s);
	if (ret)
		goto out;
	sigstruct_serialize(&s, sigpage);
	ret = sigstruct_sign_test_key(sigpage);
	if (ret)
		goto out;
	ret = tdx_image_assemble(format, sigpage, PAGE_SIZE, bin, bin_len, img, len);
out:
	free(sigpage);
	free(bin);
	return ret;
}
