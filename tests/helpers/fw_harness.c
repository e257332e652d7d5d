// SPDX-License-Identifier: MIT
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "fw_harness.h"
#include "tdxup/physmem.h"
#include "tdxup/seamldr_abi.h"
#include "tdxup/sigstruct.h"

uint64_t h_call(struct seam_platform *p, unsigned int lp, uint16_t leaf, uint8_t ver,
		struct seam_args *a)
{
	struct seam_args scratch = { 0 };

	return seamcall(p, lp, tdx_leaf(leaf, ver), a ? a : &scratch);
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

	assert_int_equal(physmem_alloc(seam_physmem(p), &pa), 0);
	return pa;
}

uint8_t *h_map(struct seam_platform *p, uint64_t pa)
{
	uint8_t *m = physmem_map(seam_physmem(p), pa & PAGE_MASK, PAGE_SIZE);

	assert_non_null(m);
	return m + (pa & (PAGE_SIZE - 1));
}

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

/* v0x100 layout: header page, sigstruct page(s), then module pages. */
uint64_t h_params(struct seam_platform *p, const uint8_t *img, size_t len, uint32_t scenario)
{
	uint32_t off = le32(img + TDX_BLOB_V1_OFFSET_OF_MODULE);
	size_t nr_mod = (len - off) / PAGE_SIZE;
	uint64_t params = h_page(p);
	uint8_t *prm = h_map(p, params);
	uint64_t sig = h_page(p);

	assert_int_equal(le16(img), TDX_BLOB_VERSION_1);
	memcpy(h_map(p, sig), img + TDX_BLOB_HEADER_SIZE, PAGE_SIZE);
	put_le32(prm + SEAMLDR_PARAMS_VERSION, 0);
	put_le32(prm + SEAMLDR_PARAMS_SCENARIO, scenario);
	put_le64(prm + SEAMLDR_PARAMS_SIGSTRUCT_PA, sig);
	put_le64(prm + SEAMLDR_PARAMS_NUM_MODULE_PAGES, nr_mod);
	for (size_t i = 0; i < nr_mod; i++) {
		uint64_t pa = h_page(p);

		memcpy(h_map(p, pa), img + off + i * PAGE_SIZE, PAGE_SIZE);
		put_le64(prm + SEAMLDR_PARAMS_MOD_PAGES_PA_LIST + 8 * i, pa);
	}
	return params;
}

uint64_t h_install_all(struct seam_platform *p, uint64_t params_pa, uint64_t *rdx)
{
	uint64_t ret = 0;

	for (unsigned int lp = 0; lp < seam_nr_lps(p); lp++) {
		struct seam_args a = { .rcx = params_pa };

		ret = seamcall(p, lp, SEAMLDR_INSTALL, &a);
		if (rdx)
			*rdx = a.rdx;
		if (ret)
			return ret;
	}
	return ret;
}

uint64_t h_init_module(struct seam_platform *p)
{
	unsigned int lps = seam_nr_lps(p), pkgs = seam_nr_packages(p);
	uint64_t tdmr = h_page(p), array = h_page(p), ret;
	struct seam_args a = { 0 };

	ret = h_call(p, 0, TDH_SYS_INIT, 0, NULL);
	if (ret)
		return ret;
	for (unsigned int lp = 0; lp < lps; lp++) {
		ret = h_call(p, lp, TDH_SYS_LP_INIT, 0, NULL);
		if (ret)
			return ret;
	}
	put_le64(h_map(p, tdmr), 0);
	put_le64(h_map(p, tdmr) + 8, 1ULL << 30);
	put_le64(h_map(p, array), tdmr);
	a.rcx = array;
	a.rdx = 1;
	a.r8 = 1;			/* global private HKID */
	ret = h_call(p, 0, TDH_SYS_CONFIG, 0, &a);
	if (ret)
		return ret;
	for (unsigned int pkg = 0; pkg < pkgs; pkg++) {
		for (unsigned int lp = 0; lp < lps; lp++) {
			if (seam_lp_package(p, lp) != pkg)
				continue;
			ret = h_call(p, lp, TDH_SYS_KEY_CONFIG, 0, NULL);
			if (ret)
				return ret;
			break;
		}
	}
	memset(&a, 0, sizeof(a));
	a.rcx = 0;
	return h_call(p, 0, TDH_SYS_TDMR_INIT, 0, &a);
}

uint64_t h_boot(struct seam_platform *p, const char *version)
{
	size_t len;
	const uint8_t *img = h_image(version, 0x100, false, &len);
	uint64_t ret = h_install_all(p, h_params(p, img, len, SEAMLDR_SCENARIO_LOAD), NULL);

	return ret ? ret : h_init_module(p);
}

static unsigned int lp_of_package(struct seam_platform *p, unsigned int pkg)
{
	for (unsigned int lp = 0; lp < seam_nr_lps(p); lp++)
		if (seam_lp_package(p, lp) == pkg)
			return lp;
	return 0;
}

uint64_t h_td_create(struct seam_platform *p, struct h_td *td, uint16_t hkid)
{
	struct seam_args a = { 0 };
	uint64_t ret;

	memset(td, 0, sizeof(*td));
	td->hkid = hkid;
	td->tdr = h_page(p);
	a.rcx = td->tdr;
	a.rdx = hkid;
	ret = h_call(p, 0, TDH_MNG_CREATE, 0, &a);
	if (ret)
		return ret;
	for (unsigned int pkg = 0; pkg < seam_nr_packages(p); pkg++) {
		a = (struct seam_args){ .rcx = td->tdr };
		ret = h_call(p, lp_of_package(p, pkg), TDH_MNG_KEY_CONFIG, 0, &a);
		if (ret)
			return ret;
	}
	for (int i = 0; i < 6; i++) {
		td->tdcs[i] = h_page(p);
		a = (struct seam_args){ .rcx = td->tdcs[i], .rdx = td->tdr };
		ret = h_call(p, 0, TDH_MNG_ADDCX, 0, &a);
		if (ret)
			return ret;
	}
	return 0;
}

uint64_t h_td_init(struct seam_platform *p, struct h_td *td)
{
	struct seam_args a = { 0 };
	uint8_t *prm;

	td->params = h_page(p);
	prm = h_map(p, td->params);
	put_le64(prm + 8, 3);		/* XFAM: x87, SSE */
	put_le16(prm + 16, 4);		/* max_vcpus */
	a.rcx = td->tdr;
	a.rdx = td->params;
	return h_call(p, 0, TDH_MNG_INIT, 0, &a);
}

uint64_t h_td_vcpu(struct seam_platform *p, struct h_td *td, uint64_t guest_gpa)
{
	struct seam_args a = { 0 };
	uint64_t ret;

	td->guest_gpa = guest_gpa;
	td->tdvpr = h_page(p);
	a.rcx = td->tdvpr;
	a.rdx = td->tdr;
	ret = h_call(p, 0, TDH_VP_CREATE, 0, &a);
	if (ret)
		return ret;
	for (int i = 0; i < 3; i++) {
		td->tdvpx[i] = h_page(p);
		a = (struct seam_args){ .rcx = td->tdvpx[i], .rdx = td->tdvpr };
		ret = h_call(p, 0, TDH_VP_ADDCX, 0, &a);
		if (ret)
			return ret;
	}
	a = (struct seam_args){ .rcx = td->tdvpr, .rdx = guest_gpa, .r8 = 0 };
	return h_call(p, 0, TDH_VP_INIT, 1, &a);
}

static uint64_t ensure_sept(struct seam_platform *p, struct h_td *td, uint64_t gpa)
{
	for (int level = 3; level >= 1; level--) {
		uint64_t span = PAGE_SIZE << (9 * level);
		struct seam_args a = {
			.rcx = (gpa & ~(span - 1)) | (uint64_t)level,
			.rdx = td->tdr,
			.r8 = h_page(p),
		};
		uint64_t ret = h_call(p, 0, TDH_MEM_SEPT_ADD, 0, &a);

		if (ret == TDX_EPT_ENTRY_NOT_FREE) {
			physmem_free(seam_physmem(p), a.r8);
			continue;
		}
		if (ret)
			return ret;
	}
	return 0;
}

uint64_t h_td_extend_page(struct seam_platform *p, struct h_td *td, uint64_t gpa)
{
	for (int i = 0; i < 16; i++) {
		struct seam_args a = { .rcx = gpa + 256 * i, .rdx = td->tdr };
		uint64_t ret = h_call(p, 0, TDH_MR_EXTEND, 0, &a);

		if (ret)
			return ret;
	}
	return 0;
}

uint64_t h_td_add_page(struct seam_platform *p, struct h_td *td, uint64_t gpa,
		       const uint8_t page[4096], bool measure)
{
	uint64_t src = h_page(p), ret;
	struct seam_args a;

	ret = ensure_sept(p, td, gpa);
	if (ret)
		return ret;
	memcpy(h_map(p, src), page, PAGE_SIZE);
	a = (struct seam_args){ .rcx = gpa, .rdx = td->tdr, .r8 = h_page(p), .r9 = src };
	ret = h_call(p, 0, TDH_MEM_PAGE_ADD, 0, &a);
	physmem_free(seam_physmem(p), src);
	if (ret || !measure)
		return ret;
	return h_td_extend_page(p, td, gpa);
}

uint64_t h_td_finalize(struct seam_platform *p, struct h_td *td)
{
	struct seam_args a = { .rcx = td->tdr };

	return h_call(p, 0, TDH_MR_FINALIZE, 0, &a);
}

uint64_t h_td_mrtd(struct seam_platform *p, struct h_td *td, uint8_t mrtd[48])
{
	for (int i = 0; i < 6; i++) {
		struct seam_args a = { .rcx = td->tdr, .rdx = 0x1310000300000000ULL + i };
		uint64_t ret = h_call(p, 0, TDH_MNG_RD, 0, &a);

		if (ret)
			return ret;
		put_le64(mrtd + 8 * i, a.r8);
	}
	return 0;
}

uint16_t h_td_ctx_version(struct seam_platform *p, struct h_td *td)
{
	struct seam_args a = { .rcx = td->tdr, .rdx = 0x9310000100000030ULL };

	assert_int_equal(h_call(p, 0, TDH_MNG_RD, 0, &a), 0);
	return (uint16_t)a.r8;
}

uint64_t h_td_enter(struct seam_platform *p, struct h_td *td, unsigned int lp,
		    uint64_t *counter, uint64_t *checksum)
{
	struct seam_args a = { .rcx = td->tdvpr };
	uint64_t ret = h_call(p, lp, TDH_VP_ENTER, 0, &a);

	if (counter)
		*counter = a.r12;
	if (checksum)
		*checksum = a.r13;
	return ret;
}

uint64_t h_read_md(struct seam_platform *p, unsigned int lp, uint64_t field, uint64_t *val)
{
	struct seam_args a = { .rdx = field };
	uint64_t ret = h_call(p, lp, TDH_SYS_RD, 0, &a);

	*val = a.r8;
	return ret;
}

uint64_t h_shutdown(struct seam_platform *p, bool avoid_compat_sensitive)
{
	struct seam_args a = { 0 };
	uint64_t hv, ret;

	ret = h_read_md(p, 0, MD_FIELD_MODULE_HV, &hv);
	if (ret)
		return ret;
	a.rcx = hv | (avoid_compat_sensitive ? TDX_SYS_SHUTDOWN_AVOID_COMPAT_SENSITIVE : 0);
	return h_call(p, 0, TDH_SYS_SHUTDOWN, 0, &a);
}

uint64_t h_install_and_update(struct seam_platform *p, const char *version,
			      unsigned int update_ver, uint64_t r9)
{
	size_t len;
	const uint8_t *img = h_image(version, 0x100, false, &len);
	struct seam_args a = { .r9 = r9 };
	uint64_t ret;

	ret = h_install_all(p, h_params(p, img, len, SEAMLDR_SCENARIO_UPDATE), NULL);
	if (ret)
		return ret;
	ret = h_call(p, 0, TDH_SYS_INIT, 0, NULL);
	if (ret)
		return ret;
	for (unsigned int lp = 0; lp < seam_nr_lps(p); lp++) {
		ret = h_call(p, lp, TDH_SYS_LP_INIT, 0, NULL);
		if (ret)
			return ret;
	}
	return h_call(p, 0, TDH_SYS_UPDATE, (uint8_t)update_ver, &a);
}

void h_fill_page(uint8_t page[4096], uint64_t seed)
{
	uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;

	for (size_t i = 0; i < 4096; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		put_le64(page + i, x);
	}
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
