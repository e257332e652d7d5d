// SPDX-License-Identifier: MIT
/*
 * A minimal host-side driver of the emulated SEAM firmware (see
 * tests/helpers/fw_driver.h). Pages the driver gives to the firmware are never freed
 * here: they belong to the TD or the module until the platform goes away,
 * which is all the demo and the benchmarks need.
 */
#include <stdlib.h>
#include <string.h>

#include "helpers/fw_driver.h"
#include "tdxup/image.h"
#include "emu/physmem.h"
#include "tdxup/seamldr_abi.h"
#include "tdxup/td_abi.h"
#include "tdxup/tdx_abi.h"

#define TD_XFAM_X87_SSE		3
#define TD_MAX_VCPUS		4
#define TD_TDCS_PAGES		6
#define TD_TDVPX_PAGES		3
#define SEPT_TOP_LEVEL		3	/* the root (level 4) lives in a TDCS page */

uint64_t fwd_call(struct seam_platform *p, unsigned int lp, uint16_t leaf, uint8_t ver,
		  struct seam_args *a)
{
	struct seam_args scratch = { 0 };

	return seamcall(p, lp, tdx_leaf(leaf, ver), a ? a : &scratch);
}

uint64_t fwd_page(struct seam_platform *p, uint64_t *pa)
{
	return physmem_alloc(seam_physmem(p), pa) ? FWD_ENOMEM : 0;
}

static uint8_t *map_page(struct seam_platform *p, uint64_t pa)
{
	return physmem_map(seam_physmem(p), pa, PAGE_SIZE);
}

/* A fresh page holding a copy of 4 KiB at src. */
static uint64_t copy_page(struct seam_platform *p, const uint8_t *src, uint64_t *pa)
{
	uint64_t ret = fwd_page(p, pa);

	if (!ret)
		memcpy(map_page(p, *pa), src, PAGE_SIZE);
	return ret;
}

uint64_t fwd_params(struct seam_platform *p, const uint8_t *img, size_t len,
		    uint32_t scenario, uint64_t *params_pa)
{
	struct tdx_image_info info;
	uint64_t params, pa, ret;
	uint8_t *prm;

	if (tdx_image_parse(img, len, &info, NULL, 0) || info.sigstruct_pages != 1)
		return SEAMLDR_EBADPARAM;
	ret = fwd_page(p, &params);
	if (ret)
		return ret;
	prm = map_page(p, params);
	ret = copy_page(p, img + info.sigstruct_off, &pa);
	if (ret)
		return ret;
	put_le32(prm + SEAMLDR_PARAMS_VERSION, 0);
	put_le32(prm + SEAMLDR_PARAMS_SCENARIO, scenario);
	put_le64(prm + SEAMLDR_PARAMS_SIGSTRUCT_PA, pa);
	put_le64(prm + SEAMLDR_PARAMS_NUM_MODULE_PAGES, info.module_pages);
	for (size_t i = 0; i < info.module_pages; i++) {
		ret = copy_page(p, img + info.module_off + i * PAGE_SIZE, &pa);
		if (ret)
			return ret;
		put_le64(prm + SEAMLDR_PARAMS_MOD_PAGES_PA_LIST + 8 * i, pa);
	}
	*params_pa = params;
	return 0;
}

uint64_t fwd_install_all(struct seam_platform *p, uint64_t params_pa, uint64_t *rdx)
{
	for (unsigned int lp = 0; lp < seam_nr_lps(p); lp++) {
		struct seam_args a = { .rcx = params_pa };
		uint64_t ret = seamcall(p, lp, SEAMLDR_INSTALL, &a);

		if (rdx)
			*rdx = a.rdx;
		if (ret)
			return ret;
	}
	return 0;
}

uint64_t fwd_sys_init(struct seam_platform *p)
{
	uint64_t ret = fwd_call(p, 0, TDH_SYS_INIT, 0, NULL);

	for (unsigned int lp = 0; !ret && lp < seam_nr_lps(p); lp++)
		ret = fwd_call(p, lp, TDH_SYS_LP_INIT, 0, NULL);
	return ret;
}

/* The first LP of package pkg: per-package leaves run there. */
static unsigned int lp_of_package(struct seam_platform *p, unsigned int pkg)
{
	for (unsigned int lp = 0; lp < seam_nr_lps(p); lp++)
		if (seam_lp_package(p, lp) == pkg)
			return lp;
	return 0;
}

uint64_t fwd_sys_config(struct seam_platform *p)
{
	uint64_t tdmr, array, ret;
	struct seam_args a = { 0 };

	/* One 1 GiB TDMR at 0, described by a one-entry pointer array. */
	ret = fwd_page(p, &tdmr);
	if (!ret)
		ret = fwd_page(p, &array);
	if (ret)
		return ret;
	put_le64(map_page(p, tdmr) + TDMR_INFO_BASE, 0);
	put_le64(map_page(p, tdmr) + TDMR_INFO_SIZE, TDMR_GRANULE);
	put_le64(map_page(p, array), tdmr);
	a.rcx = array;
	a.rdx = 1;
	a.r8 = 1;			/* global private HKID */
	ret = fwd_call(p, 0, TDH_SYS_CONFIG, 0, &a);
	for (unsigned int pkg = 0; !ret && pkg < seam_nr_packages(p); pkg++)
		ret = fwd_call(p, lp_of_package(p, pkg), TDH_SYS_KEY_CONFIG, 0, NULL);
	if (ret)
		return ret;
	memset(&a, 0, sizeof(a));
	return fwd_call(p, 0, TDH_SYS_TDMR_INIT, 0, &a);
}

uint64_t fwd_boot(struct seam_platform *p, const struct module_build *b)
{
	struct module_image_opts opts = { .format = TDX_BLOB_VERSION_1 };
	uint64_t params, ret;
	uint8_t *img;
	size_t len;

	if (module_image_build(b, &opts, &img, &len))
		return FWD_ENOMEM;
	ret = fwd_params(p, img, len, SEAMLDR_SCENARIO_LOAD, &params);
	free(img);
	if (!ret)
		ret = fwd_install_all(p, params, NULL);
	if (!ret)
		ret = fwd_sys_init(p);
	if (!ret)
		ret = fwd_sys_config(p);
	return ret;
}

uint64_t fwd_read_md(struct seam_platform *p, unsigned int lp, uint64_t field, uint64_t *val)
{
	struct seam_args a = { .rdx = field };
	uint64_t ret = fwd_call(p, lp, TDH_SYS_RD, 0, &a);

	*val = a.r8;
	return ret;
}

uint64_t fwd_shutdown(struct seam_platform *p, bool avoid_compat_sensitive)
{
	struct seam_args a = { 0 };
	uint64_t hv, ret;

	ret = fwd_read_md(p, 0, MD_FIELD_MODULE_HV, &hv);
	if (ret)
		return ret;
	a.rcx = hv;
	if (avoid_compat_sensitive)
		a.rcx |= TDX_SYS_SHUTDOWN_AVOID_COMPAT_SENSITIVE;
	return fwd_call(p, 0, TDH_SYS_SHUTDOWN, 0, &a);
}

uint64_t fwd_sys_update(struct seam_platform *p, uint8_t version, uint64_t r9)
{
	struct seam_args a = { .r9 = r9 };

	return fwd_call(p, 0, TDH_SYS_UPDATE, version, &a);
}

uint64_t fwd_td_create(struct seam_platform *p, struct fwd_td *td, uint16_t hkid)
{
	struct seam_args a = { 0 };
	uint64_t ret;

	memset(td, 0, sizeof(*td));
	td->hkid = hkid;
	ret = fwd_page(p, &td->tdr);
	if (ret)
		return ret;
	a.rcx = td->tdr;
	a.rdx = hkid;
	ret = fwd_call(p, 0, TDH_MNG_CREATE, 0, &a);
	for (unsigned int pkg = 0; !ret && pkg < seam_nr_packages(p); pkg++) {
		a = (struct seam_args){ .rcx = td->tdr };
		ret = fwd_call(p, lp_of_package(p, pkg), TDH_MNG_KEY_CONFIG, 0, &a);
	}
	for (int i = 0; !ret && i < TD_TDCS_PAGES; i++) {
		ret = fwd_page(p, &td->tdcs[i]);
		if (ret)
			break;
		a = (struct seam_args){ .rcx = td->tdcs[i], .rdx = td->tdr };
		ret = fwd_call(p, 0, TDH_MNG_ADDCX, 0, &a);
	}
	return ret;
}

uint64_t fwd_td_init(struct seam_platform *p, struct fwd_td *td)
{
	struct seam_args a = { 0 };
	uint64_t ret;
	uint8_t *prm;

	ret = fwd_page(p, &td->params);
	if (ret)
		return ret;
	prm = map_page(p, td->params);
	put_le64(prm + TD_PARAMS_XFAM, TD_XFAM_X87_SSE);
	put_le16(prm + TD_PARAMS_MAX_VCPUS, TD_MAX_VCPUS);
	a.rcx = td->tdr;
	a.rdx = td->params;
	return fwd_call(p, 0, TDH_MNG_INIT, 0, &a);
}

uint64_t fwd_td_vcpu(struct seam_platform *p, struct fwd_td *td, uint64_t guest_gpa)
{
	struct seam_args a = { 0 };
	uint64_t ret;

	td->guest_gpa = guest_gpa;
	ret = fwd_page(p, &td->tdvpr);
	if (ret)
		return ret;
	a.rcx = td->tdvpr;
	a.rdx = td->tdr;
	ret = fwd_call(p, 0, TDH_VP_CREATE, 0, &a);
	for (int i = 0; !ret && i < TD_TDVPX_PAGES; i++) {
		ret = fwd_page(p, &td->tdvpx[i]);
		if (ret)
			break;
		a = (struct seam_args){ .rcx = td->tdvpx[i], .rdx = td->tdvpr };
		ret = fwd_call(p, 0, TDH_VP_ADDCX, 0, &a);
	}
	if (ret)
		return ret;
	a = (struct seam_args){ .rcx = td->tdvpr, .rdx = guest_gpa, .r8 = 0 };
	return fwd_call(p, 0, TDH_VP_INIT, 1, &a);
}

uint64_t fwd_td_sept(struct seam_platform *p, struct fwd_td *td, uint64_t gpa)
{
	for (int level = SEPT_TOP_LEVEL; level >= 1; level--) {
		uint64_t span = PAGE_SIZE << (9 * level);
		struct seam_args a = { .rcx = (gpa & ~(span - 1)) | (uint64_t)level,
				       .rdx = td->tdr };
		uint64_t ret = fwd_page(p, &a.r8);
		uint64_t table = a.r8;

		if (ret)
			return ret;
		ret = fwd_call(p, 0, TDH_MEM_SEPT_ADD, 0, &a);
		/* Already there: the common case once a table covers gpa. */
		if (ret == TDX_EPT_ENTRY_NOT_FREE) {
			physmem_free(seam_physmem(p), table);
			continue;
		}
		if (ret)
			return ret;
	}
	return 0;
}

uint64_t fwd_td_add_page(struct seam_platform *p, struct fwd_td *td, uint64_t gpa,
			 const uint8_t page[PAGE_SIZE], bool measure)
{
	struct seam_args a = { .rcx = gpa, .rdx = td->tdr };
	uint64_t src, ret;

	ret = fwd_td_sept(p, td, gpa);
	if (!ret)
		ret = copy_page(p, page, &src);
	if (ret)
		return ret;
	ret = fwd_page(p, &a.r8);
	if (!ret) {
		a.r9 = src;
		ret = fwd_call(p, 0, TDH_MEM_PAGE_ADD, 0, &a);
	}
	physmem_free(seam_physmem(p), src);
	if (ret || !measure)
		return ret;
	return fwd_td_extend_page(p, td, gpa);
}

uint64_t fwd_td_extend_page(struct seam_platform *p, struct fwd_td *td, uint64_t gpa)
{
	for (int i = 0; i < (int)(PAGE_SIZE / 256); i++) {
		struct seam_args a = { .rcx = gpa + 256 * (uint64_t)i, .rdx = td->tdr };
		uint64_t ret = fwd_call(p, 0, TDH_MR_EXTEND, 0, &a);

		if (ret)
			return ret;
	}
	return 0;
}

uint64_t fwd_td_finalize(struct seam_platform *p, struct fwd_td *td)
{
	struct seam_args a = { .rcx = td->tdr };

	return fwd_call(p, 0, TDH_MR_FINALIZE, 0, &a);
}

uint64_t fwd_td_rd(struct seam_platform *p, struct fwd_td *td, uint64_t field, uint64_t *val)
{
	struct seam_args a = { .rcx = td->tdr, .rdx = field };
	uint64_t ret = fwd_call(p, 0, TDH_MNG_RD, 0, &a);

	*val = a.r8;
	return ret;
}

uint64_t fwd_td_mrtd(struct seam_platform *p, struct fwd_td *td, uint8_t mrtd[48])
{
	for (int i = 0; i < 6; i++) {
		uint64_t v, ret = fwd_td_rd(p, td, TD_MD_FIELD_MRTD0 + i, &v);

		if (ret)
			return ret;
		put_le64(mrtd + 8 * i, v);
	}
	return 0;
}

uint64_t fwd_td_enter(struct seam_platform *p, struct fwd_td *td, unsigned int lp,
		      uint64_t *counter, uint64_t *checksum)
{
	struct seam_args a = { .rcx = td->tdvpr };
	uint64_t ret = fwd_call(p, lp, TDH_VP_ENTER, 0, &a);

	if (counter)
		*counter = a.r12;
	if (checksum)
		*checksum = a.r13;
	return ret;
}

void fwd_fill_page(uint8_t page[PAGE_SIZE], uint64_t seed)
{
	uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;

	/* xorshift64: any deterministic content will do */
	for (size_t i = 0; i < PAGE_SIZE; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		put_le64(page + i, x);
	}
}
