// SPDX-License-Identifier: MIT
/*
 * The firmware test harness (see fw_harness.h): each h_* helper is the
 * fw_driver call of the same name, plus the assertions that turn a host-side
 * failure into a test failure. Only what tests alone need lives here: the
 * image cache and sigstruct surgery.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "fw_harness.h"
#include "emu/physmem.h"
#include "tdxup/seamldr_abi.h"
#include "emu/sign.h"
#include "tdxup/sigstruct.h"
#include "tdxup/td_abi.h"

/*
 * The driver's own failures are not firmware statuses: no test expects one,
 * so one is a broken test setup, reported where it happened.
 */
static uint64_t host_ok(uint64_t ret)
{
	assert_int_not_equal(ret, FWD_ENOMEM);
	return ret;
}

uint64_t h_call(struct seam_platform *p, unsigned int lp, uint16_t leaf, uint8_t ver,
		struct seam_args *a)
{
	return fwd_call(p, lp, leaf, ver, a);
}

struct seam_platform *h_platform(unsigned int lps, unsigned int pkgs)
{
	struct seam_platform_config cfg;
	struct seam_platform *p;

	seam_platform_config_init(&cfg);
	cfg.nr_lps = lps;
	cfg.nr_packages = pkgs;
	p = seam_platform_create(&cfg);
	assert_non_null(p);
	return p;
}

uint64_t h_page(struct seam_platform *p)
{
	uint64_t pa;

	assert_int_equal(fwd_page(p, &pa), 0);
	return pa;
}

uint8_t *h_map(struct seam_platform *p, uint64_t pa)
{
	uint8_t *m = physmem_map(seam_physmem(p), pa & PAGE_MASK, PAGE_SIZE);

	assert_non_null(m);
	return m + (pa & (PAGE_SIZE - 1));
}

/* RSA-3072 signing is the slow part of a test: sign each image once. */
struct cached_image {
	char version[16];
	unsigned int format;
	bool debug;
	uint8_t *img;
	size_t len;
};

static struct cached_image cache[16];

static void free_cache(void)
{
	for (size_t i = 0; i < 16; i++)
		free(cache[i].img);
}

const uint8_t *h_image(const char *version, unsigned int format, bool debug, size_t *len)
{
	struct module_image_opts opts = { .format = format, .debug = debug };
	const struct module_build *b;
	size_t i;

	for (i = 0; i < 16 && cache[i].img; i++) {
		if (!strcmp(cache[i].version, version) && cache[i].format == format &&
		    cache[i].debug == debug) {
			*len = cache[i].len;
			return cache[i].img;
		}
	}
	assert_true(i < 16);
	if (i == 0)
		atexit(free_cache);
	b = module_build_find(version);
	assert_non_null(b);
	assert_int_equal(module_image_build(b, &opts, &cache[i].img, &cache[i].len), 0);
	strncpy(cache[i].version, version, sizeof(cache[i].version) - 1);
	cache[i].format = format;
	cache[i].debug = debug;
	*len = cache[i].len;
	return cache[i].img;
}

/* The v8 kernel hands P-SEAMLDR v0x100 images only: tests of it use no other. */
uint64_t h_params(struct seam_platform *p, const uint8_t *img, size_t len, uint32_t scenario)
{
	uint64_t params;

	assert_int_equal(le16(img), TDX_BLOB_VERSION_1);
	assert_int_equal(fwd_params(p, img, len, scenario, &params), 0);
	return params;
}

uint64_t h_install_all(struct seam_platform *p, uint64_t params_pa, uint64_t *rdx)
{
	return fwd_install_all(p, params_pa, rdx);
}

uint64_t h_init_module(struct seam_platform *p)
{
	uint64_t ret = fwd_sys_init(p);

	return ret ? ret : host_ok(fwd_sys_config(p));
}

uint64_t h_boot(struct seam_platform *p, const char *version)
{
	size_t len;
	const uint8_t *img = h_image(version, 0x100, false, &len);
	uint64_t ret = h_install_all(p, h_params(p, img, len, SEAMLDR_SCENARIO_LOAD), NULL);

	return ret ? ret : h_init_module(p);
}

uint64_t h_td_create(struct seam_platform *p, struct h_td *td, uint16_t hkid)
{
	return host_ok(fwd_td_create(p, td, hkid));
}

uint64_t h_td_init(struct seam_platform *p, struct h_td *td)
{
	return host_ok(fwd_td_init(p, td));
}

uint64_t h_td_vcpu(struct seam_platform *p, struct h_td *td, uint64_t guest_gpa)
{
	return host_ok(fwd_td_vcpu(p, td, guest_gpa));
}

uint64_t h_td_extend_page(struct seam_platform *p, struct h_td *td, uint64_t gpa)
{
	return fwd_td_extend_page(p, td, gpa);
}

uint64_t h_td_add_page(struct seam_platform *p, struct h_td *td, uint64_t gpa,
		       const uint8_t page[PAGE_SIZE], bool measure)
{
	return host_ok(fwd_td_add_page(p, td, gpa, page, measure));
}

uint64_t h_td_finalize(struct seam_platform *p, struct h_td *td)
{
	return fwd_td_finalize(p, td);
}

uint64_t h_td_mrtd(struct seam_platform *p, struct h_td *td, uint8_t mrtd[48])
{
	return fwd_td_mrtd(p, td, mrtd);
}

uint16_t h_td_ctx_version(struct seam_platform *p, struct h_td *td)
{
	uint64_t v;

	assert_int_equal(fwd_td_rd(p, td, TD_MD_FIELD_MRTD_CONTEXT_VERSION, &v), 0);
	return (uint16_t)v;
}

uint64_t h_td_enter(struct seam_platform *p, struct h_td *td, unsigned int lp,
		    uint64_t *counter, uint64_t *checksum)
{
	return fwd_td_enter(p, td, lp, counter, checksum);
}

uint64_t h_read_md(struct seam_platform *p, unsigned int lp, uint64_t field, uint64_t *val)
{
	return fwd_read_md(p, lp, field, val);
}

uint64_t h_shutdown(struct seam_platform *p, bool avoid_compat_sensitive)
{
	return fwd_shutdown(p, avoid_compat_sensitive);
}

uint64_t h_install_and_update(struct seam_platform *p, const char *version,
			      unsigned int update_ver, uint64_t r9)
{
	size_t len;
	const uint8_t *img = h_image(version, 0x100, false, &len);
	uint64_t ret;

	ret = h_install_all(p, h_params(p, img, len, SEAMLDR_SCENARIO_UPDATE), NULL);
	if (!ret)
		ret = fwd_sys_init(p);
	return ret ? ret : fwd_sys_update(p, (uint8_t)update_ver, r9);
}

void h_fill_page(uint8_t page[PAGE_SIZE], uint64_t seed)
{
	fwd_fill_page(page, seed);
}

uint8_t *h_params_sigstruct(struct seam_platform *p, uint64_t params_pa)
{
	return h_map(p, le64(h_map(p, params_pa) + SEAMLDR_PARAMS_SIGSTRUCT_PA));
}

void h_params_resign(struct seam_platform *p, uint64_t params_pa)
{
	assert_int_equal(sigstruct_sign_test_key(h_params_sigstruct(p, params_pa)), 0);
}

uint8_t *h_params_module_page(struct seam_platform *p, uint64_t params_pa, unsigned int i)
{
	const uint8_t *prm = h_map(p, params_pa);

	assert_true(i < le64(prm + SEAMLDR_PARAMS_NUM_MODULE_PAGES));
	return h_map(p, le64(prm + SEAMLDR_PARAMS_MOD_PAGES_PA_LIST + 8 * i));
}

void h_params_rehash(struct seam_platform *p, uint64_t params_pa)
{
	uint64_t n = le64(h_map(p, params_pa) + SEAMLDR_PARAMS_NUM_MODULE_PAGES);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int dlen = 0;

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha384(), NULL), 1);
	for (unsigned int i = 0; i < n; i++)
		assert_int_equal(EVP_DigestUpdate(ctx, h_params_module_page(p, params_pa, i),
						  PAGE_SIZE), 1);
	assert_int_equal(EVP_DigestFinal_ex(ctx, h_params_sigstruct(p, params_pa) +
					    SIGSTRUCT_SEAMHASH, &dlen), 1);
	assert_int_equal(dlen, 48);
	EVP_MD_CTX_free(ctx);
}
