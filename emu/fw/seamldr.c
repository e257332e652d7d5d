// SPDX-License-Identifier: MIT
/*
 * The P-SEAMLDR: SEAMLDR.INFO and SEAMLDR.INSTALL (seamldr.md 2-4), with the
 * per-LP install protocol, the last LP's checks in the spec's order,
 * recoverable and unrecoverable failures, the epilogue and the SEAMDB.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "fw/tdx_module.h"
#include "tdxup/sigstruct.h"

/* ---- SEAMLDR.INFO ---------------------------------------------------- */

/* The P-SEAMLDR's own build facts (inferred: the spec gives none). */
#define SEAMLDR_BUILD_DATE	0x20250310
#define SEAMLDR_BUILD_NUM	0x0150

static uint64_t seamldr_info(struct seam_platform *p, struct seam_args *a)
{
	uint8_t *info;

	/* An unaligned or unmapped buffer: EBADPARAM (inferred status). */
	if (a->rcx % SEAMLDR_INFO_ALIGN)
		return SEAMLDR_EBADPARAM;
	info = physmem_map(p->pm, a->rcx, SEAMLDR_INFO_SIZE);
	if (!info)
		return SEAMLDR_EBADPARAM;
	memset(info, 0, SEAMLDR_INFO_SIZE);
	put_le32(info + SEAMLDR_INFO_VERSION, 0);
	put_le32(info + SEAMLDR_INFO_ATTRIBUTES,
		 p->cfg.debug_platform ? SEAMLDR_INFO_ATTR_DEBUG : 0);
	put_le32(info + SEAMLDR_INFO_VENDOR_ID, SIGSTRUCT_VENDOR_INTEL);
	put_le32(info + SEAMLDR_INFO_BUILD_DATE, SEAMLDR_BUILD_DATE);
	put_le16(info + SEAMLDR_INFO_BUILD_NUM, SEAMLDR_BUILD_NUM);
	put_le16(info + SEAMLDR_INFO_MINOR_VERSION, p->cfg.seamldr_minor);
	put_le16(info + SEAMLDR_INFO_MAJOR_VERSION, p->cfg.seamldr_major);
	put_le16(info + SEAMLDR_INFO_UPDATE_VERSION, p->cfg.seamldr_update);
	put_le32(info + SEAMLDR_INFO_NUM_REMAINING_UPDATES, p->num_remaining_updates);
	memcpy(info + SEAMLDR_INFO_SEAMEXTEND, p->seamextend, SEAMEXTEND_SIZE);
	info[SEAMLDR_INFO_SEAMEXTEND + SEAMEXTEND_SEAM_READY] = p->seam_ready;
	return SEAMLDR_SUCCESS;
}

/* ---- SEAMLDR.INSTALL: parameters ------------------------------------- */

struct install_req {
	uint32_t scenario;
	uint8_t sigstruct[SIGSTRUCT_SIZE];
	struct sigstruct sig;
	uint64_t nr_pages;
	uint64_t page_pa[SEAMLDR_MAX_NR_MODULE_PAGES];
};

static bool pa_ok(struct seam_platform *p, uint64_t pa)
{
	return pa && page_aligned(pa) && physmem_map(p->pm, pa, PAGE_SIZE);
}

/* Step 1: SEAMLDR_PARAMS, either form of seamldr.md 3. */
static uint64_t read_params(struct seam_platform *p, uint64_t params_pa,
			    struct install_req *r)
{
	const uint8_t *prm = page_aligned(params_pa) ?
			     physmem_map(p->pm, params_pa, SEAMLDR_PARAMS_SIZE) : NULL;
	uint32_t version;
	unsigned int nr_sig = 1;

	if (!prm)
		return SEAMLDR_EBADPARAM;
	version = le32(prm + SEAMLDR_PARAMS_VERSION);
	r->scenario = le32(prm + SEAMLDR_PARAMS_SCENARIO);
	/*
	 * Version 1 (v8 kernels, unpublished larger sigstruct) lists 2-4
	 * sigstruct pages; we read the 2048-byte sigstruct from the first.
	 * A strict (2023) P-SEAMLDR knows only version 0.
	 */
	if (version > 1 || (version == 1 && p->cfg.seamldr_strict))
		return SEAMLDR_EBADPARAM;
	if (version == 1) {
		nr_sig = 0;
		while (nr_sig < SEAMLDR_MAX_NR_SIG_PAGES &&
		       le64(prm + SEAMLDR_PARAMS_SIGSTRUCT_PA + 8 * nr_sig))
			nr_sig++;
		if (nr_sig < 2)
			return SEAMLDR_EBADPARAM;
	}
	for (unsigned int i = 0; i < nr_sig; i++)
		if (!pa_ok(p, le64(prm + SEAMLDR_PARAMS_SIGSTRUCT_PA + 8 * i)))
			return SEAMLDR_EBADPARAM;
	/* Unused sigstruct slots and the reserved bytes must be zero. */
	if (!all_zero(prm + SEAMLDR_PARAMS_SIGSTRUCT_PA + 8 * nr_sig,
		      SEAMLDR_PARAMS_NUM_MODULE_PAGES - SEAMLDR_PARAMS_SIGSTRUCT_PA - 8 * nr_sig))
		return SEAMLDR_EBADPARAM;
	if (r->scenario != SEAMLDR_SCENARIO_LOAD && r->scenario != SEAMLDR_SCENARIO_UPDATE)
		return SEAMLDR_EBADPARAM;
	r->nr_pages = le64(prm + SEAMLDR_PARAMS_NUM_MODULE_PAGES);
	if (!r->nr_pages || r->nr_pages > SEAMLDR_MAX_NR_MODULE_PAGES)
		return SEAMLDR_EBADPARAM;
	for (uint64_t i = 0; i < r->nr_pages; i++) {
		r->page_pa[i] = le64(prm + SEAMLDR_PARAMS_MOD_PAGES_PA_LIST + 8 * i);
		if (!pa_ok(p, r->page_pa[i]))
			return SEAMLDR_EBADPARAM;
	}
	memcpy(r->sigstruct,
	       physmem_map(p->pm, le64(prm + SEAMLDR_PARAMS_SIGSTRUCT_PA), SIGSTRUCT_SIZE),
	       SIGSTRUCT_SIZE);
	sigstruct_parse(r->sigstruct, &r->sig);
	return SEAMLDR_SUCCESS;
}

static bool key_trusted(const struct seam_platform *p, const uint8_t hash[48])
{
	if (!memcmp(hash, tdxup_test_key_hash(), 48))
		return true;
	for (unsigned int i = 0; i < p->cfg.nr_trusted_keys; i++)
		if (!memcmp(hash, p->cfg.trusted_key_hash[i], 48))
			return true;
	return false;
}

/* Step 2: the manifest. */
static uint64_t check_manifest(struct seam_platform *p, struct install_req *r)
{
	uint8_t key_hash[48];
	const char *why;

	if (sigstruct_check_wellformed(&r->sig, &why))
		return SEAMLDR_EBADSIG;
	sigstruct_key_hash(r->sigstruct, key_hash);
	if (!key_trusted(p, key_hash))
		return SEAMLDR_EBADSIG;
	if ((r->sig.module_type & SIGSTRUCT_MODULE_TYPE_DEBUG) && !p->cfg.debug_platform)
		return SEAMLDR_EBADSIG;
	if (sigstruct_verify_signature(r->sigstruct))
		return SEAMLDR_EBADSIG;
	return SEAMLDR_SUCCESS;
}

/* Steps 1b-12: everything that fails before module memory is touched. */
static uint64_t check_recoverable(struct seam_platform *p, unsigned int lp,
				  struct install_req *r)
{
	const struct install_flow *f = &p->install;
	const uint8_t *svn = f->seamextend_snapshot + SEAMEXTEND_TEE_TCB_SVN;
	bool update = r->scenario == SEAMLDR_SCENARIO_UPDATE;
	uint8_t valid;
	uint16_t hv;
	uint32_t size;
	uint64_t ret;

	if (update && !f->seam_ready_snapshot)
		return SEAMLDR_EBADPARAM;
	ret = check_manifest(p, r);
	if (ret)
		return ret;
	if (!r->sig.seamsvn_major)
		return SEAMLDR_EUNSUPPORTED;
	if (update && r->sig.seamsvn_major != svn[1])
		return SEAMLDR_EUNSUPPORTED;
	if (update && r->sig.seamsvn_minor < svn[0])
		return SEAMLDR_EBADSIG;
	/* Without a valid SEAMEXTEND (after an unrecoverable failure) there is
	 * no module to compare with, and LOAD must be able to recover. */
	if (!update && p->keys_dirty && le64(f->seamextend_snapshot + SEAMEXTEND_VALID) &&
	    (r->sig.seamsvn_major != svn[1] || r->sig.seamsvn_minor < svn[0]))
		return SEAMLDR_ECLEANUPREQ;
	if (r->sig.cpuid_table_size && !sigstruct_supports_fms(&r->sig, p->cfg.cpu_fms))
		return SEAMLDR_EUNSUPCPU;
	if (!(r->sig.module_type & SIGSTRUCT_MODULE_TYPE_DEBUG) && !r->sig.cpuid_table_size)
		return SEAMLDR_EBADSIG;
	if (seam_install_fault_hit(p, SEAM_FAULT_INSTALL_RECOVERABLE))
		return SEAMLDR_ENOENTROPY;
	if (r->sig.num_handoff_pages + 1 > SEAM_DATA_RGN_PAGES)
		return SEAMLDR_ENOMEM;
	if (update && !p->num_remaining_updates)
		return SEAMLDR_EBADCALL;
	if (!update)
		return SEAMLDR_SUCCESS;
	handoff_header(p, &valid, &hv, &size);
	if (!valid || 8ULL + size > (uint64_t)(r->sig.num_handoff_pages + 1) * PAGE_SIZE ||
	    hv < r->sig.min_update_hv || hv > r->sig.module_hv)
		return SEAMLDR_EBADHANDOFF;
	return SEAMLDR_SUCCESS;
}

/* Step 14: the image, page by page; SHA-384 must equal seamhash. */
static bool image_hash_ok(struct seam_platform *p, const struct install_req *r,
			  uint8_t *first_page)
{
	uint8_t digest[48];
	unsigned int dlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok = false;

	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha384(), NULL))
		goto out;
	for (uint64_t i = 0; i < r->nr_pages; i++)
		if (!EVP_DigestUpdate(ctx, physmem_map(p->pm, r->page_pa[i], PAGE_SIZE),
				      PAGE_SIZE))
			goto out;
	if (!EVP_DigestFinal_ex(ctx, digest, &dlen))
		goto out;
	memcpy(first_page, physmem_map(p->pm, r->page_pa[0], PAGE_SIZE), PAGE_SIZE);
	ok = !memcmp(digest, r->sig.seamhash, 48);
out:
	EVP_MD_CTX_free(ctx);
	return ok;
}

static void unrecoverable(struct seam_platform *p)
{
	tdx_module_destroy(p->mod);
	p->mod = NULL;
	p->seam_ready = false;
	memset(p->seamextend, 0, SEAMEXTEND_SIZE);
	p->seamextend[SEAMEXTEND_P_SEAM_READY] = 1;
	p->seamextend[SEAMEXTEND_SEAM_DEBUG] = p->cfg.debug_platform;
}

static void epilogue(struct seam_platform *p, struct install_req *r, struct tdx_module *mod)
{
	struct seamdb_entry *e = &p->seamdb[p->nr_seamdb++ % SEAM_SEAMDB_LOG];

	put_le64(p->seamextend + SEAMEXTEND_VALID, SEAMEXTEND_VALID_ON_INSTALL);
	memset(p->seamextend + SEAMEXTEND_TEE_TCB_SVN, 0, 16);
	p->seamextend[SEAMEXTEND_TEE_TCB_SVN] = r->sig.seamsvn_minor;
	p->seamextend[SEAMEXTEND_TEE_TCB_SVN + 1] = r->sig.seamsvn_major;
	memcpy(p->seamextend + SEAMEXTEND_MRSEAM, r->sig.seamhash, 48);
	memset(p->seamextend + SEAMEXTEND_MRSIGNER, 0, 48);
	e->major = mod->build.major;
	e->minor = mod->build.minor;
	e->update = mod->build.update;
	memcpy(e->seamhash, r->sig.seamhash, 48);
	p->mod = mod;
	p->seam_ready = true;
	/* Each UPDATE uses up one entry; a LOAD refilled the count at step 13. */
	if (r->scenario == SEAMLDR_SCENARIO_UPDATE)
		p->num_remaining_updates--;
	p->keys_dirty = true;
}

/* Steps 13-16 and the epilogue: the last LP's work past the point of no return. */
static uint64_t install_module(struct seam_platform *p, unsigned int lp, struct install_req *r,
			       uint64_t *rdx)
{
	struct tdx_sysinfo_table si = {
		.module_hv = r->sig.module_hv,
		.min_update_hv = r->sig.min_update_hv,
		.no_downgrade = r->sig.no_downgrade,
		.num_handoff_pages = r->sig.num_handoff_pages,
	};
	uint8_t *first = malloc(PAGE_SIZE);
	struct module_build build;
	struct tdx_module *mod;

	if (!first)
		return SEAMLDR_ENOMEM;	/* nothing touched yet: recoverable */
	/* Step 13: the old module is gone; only the handoff area survives UPDATE. */
	tdx_module_destroy(p->mod);
	p->mod = NULL;
	if (r->scenario == SEAMLDR_SCENARIO_LOAD) {
		/* Step 13, before the point of no return: a LOAD failing later has done it. */
		memset(p->data_rgn, 0, sizeof(p->data_rgn));
		p->nr_seamdb = 0;
		p->num_remaining_updates = p->cfg.num_remaining_updates;
	} else {
		size_t keep = (size_t)(r->sig.num_handoff_pages + 1) * PAGE_SIZE;

		memset(p->data_rgn + keep, 0, sizeof(p->data_rgn) - keep);
	}
	*rdx = SEAMLDR_UNRECOVERABLE;
	if (!image_hash_ok(p, r, first))
		goto fail_hash;
	if (module_desc_decode(first, PAGE_SIZE, &build))
		goto fail_reloc;
	if (seam_install_fault_hit(p, SEAM_FAULT_INSTALL_UNRECOVERABLE))
		goto fail_seamdb;
	mod = tdx_module_create(p, &build, &si, p->nr_seamdb);
	if (!mod)
		goto fail_seamdb;
	free(first);
	epilogue(p, r, mod);
	*rdx = 0;
	return SEAMLDR_SUCCESS;

fail_hash:
	free(first);
	unrecoverable(p);
	return SEAMLDR_EBADHASH;
fail_reloc:
	free(first);
	unrecoverable(p);
	return SEAMLDR_EBADPARAM;
fail_seamdb:
	free(first);
	unrecoverable(p);
	return SEAMLDR_ENOENTROPY;
}

static uint64_t install_last_lp(struct seam_platform *p, unsigned int lp, uint64_t params_pa,
				uint64_t *rdx)
{
	struct install_req *r = calloc(1, sizeof(*r));
	uint64_t ret;

	*rdx = SEAMLDR_RECOVERABLE;
	if (!r)
		return SEAMLDR_ENOMEM;
	ret = read_params(p, params_pa, r);
	if (!ret)
		ret = check_recoverable(p, lp, r);
	if (ret) {
		/* Recoverable: the old module is reachable again, still shut down. */
		memcpy(p->seamextend, p->install.seamextend_snapshot, SEAMEXTEND_SIZE);
		p->seam_ready = p->install.seam_ready_snapshot;
		goto out;
	}
	ret = install_module(p, lp, r, rdx);
out:
	free(r);
	return ret;
}

static uint64_t seamldr_install(struct seam_platform *p, unsigned int lp, struct seam_args *a)
{
	struct install_flow *f = &p->install;
	uint64_t ret;

	a->rdx = SEAMLDR_RECOVERABLE;
	if (f->active && f->called[lp])
		return SEAMLDR_EBADCALL;
	if (!f->active) {
		/* First LP: snapshot SEAMEXTEND and block the old module. */
		memset(f, 0, sizeof(*f));
		f->active = true;
		f->seam_ready_snapshot = p->seam_ready;
		memcpy(f->seamextend_snapshot, p->seamextend, SEAMEXTEND_SIZE);
		p->seam_ready = false;
	}
	f->called[lp] = true;
	/* tot_num_lps counts every LP, online or not (seamldr.md 4.1). */
	if (++f->nr_called < p->cfg.nr_lps)
		return SEAMLDR_SUCCESS;
	ret = install_last_lp(p, lp, a->rcx, &a->rdx);
	f->active = false;
	return ret;
}

uint64_t seamldr_dispatch(struct seam_platform *p, unsigned int lp, uint64_t rax,
			  struct seam_args *a)
{
	switch (rax) {
	case SEAMLDR_INFO:
		return seamldr_info(p, a);
	case SEAMLDR_INSTALL:
		return seamldr_install(p, lp, a);
	}
	/* SHUTDOWN, SEAMINFO and CLEANUP are not part of a module update (inferred status). */
	return SEAMLDR_EBADPARAM;
}
