// SPDX-License-Identifier: MIT
/*
 * The module update (arch/x86/virt/vmx/tdx/seamldr.c): P-SEAMLDR info,
 * image parsing with exactly the kernel's checks per posting, the
 * SEAMLDR_PARAMS page, and the lockstep state machine under
 * cpus_read_lock() and stop_machine.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/kernel.h"
#include "tdxup/seamldr_abi.h"

/* ---- P-SEAMLDR info -------------------------------------------------- */

int seamldr_get_info(struct tdx_host *h, struct seamldr_info *info)
{
	struct seam_args a = { 0 };
	const uint8_t *b;
	uint64_t pa;
	int cpu, ret;

	/* Linux passes a buffer on the reader's stack; any page will do here. */
	ret = physmem_alloc(h->pm, &pa);
	if (ret)
		return ret;
	cpu = first_online_cpu(h);
	ret = cpu < 0 ? cpu : cpu_hold(h, (unsigned int)cpu);
	if (ret)
		goto out;
	a.rcx = pa;
	ret = seamldr_call(h, (unsigned int)cpu, SEAMLDR_INFO, &a);
	cpu_release(h, (unsigned int)cpu);
	if (ret)
		goto out;
	b = physmem_map(h->pm, pa, SEAMLDR_INFO_SIZE);
	info->version = le32(b + SEAMLDR_INFO_VERSION);
	info->attributes = le32(b + SEAMLDR_INFO_ATTRIBUTES);
	info->vendor_id = le32(b + SEAMLDR_INFO_VENDOR_ID);
	info->build_date = le32(b + SEAMLDR_INFO_BUILD_DATE);
	info->build_num = le16(b + SEAMLDR_INFO_BUILD_NUM);
	info->minor_version = le16(b + SEAMLDR_INFO_MINOR_VERSION);
	info->major_version = le16(b + SEAMLDR_INFO_MAJOR_VERSION);
	info->update_version = le16(b + SEAMLDR_INFO_UPDATE_VERSION);
	info->acm_x2apicid = le32(b + SEAMLDR_INFO_ACM_X2APICID);
	info->num_remaining_updates = le32(b + SEAMLDR_INFO_NUM_REMAINING_UPDATES);
out:
	physmem_free(h->pm, pa);
	return ret;
}

/* ---- image -> SEAMLDR_PARAMS ---------------------------------------- */

struct update_request {
	uint64_t params_pa;
	uint64_t pages[1 + SEAMLDR_MAX_NR_SIG_PAGES + SEAMLDR_MAX_NR_MODULE_PAGES];
	size_t nr_pages;
	unsigned int lead_cpu;
};

/* v8 get_and_check_blob(): v0x100 only; counts are clamped, not refused. */
static int check_blob_v1(const uint8_t *data, size_t len, size_t *sig_off, size_t *nr_sig,
			 size_t *mod_off, size_t *nr_mod)
{
	uint32_t off;

	if (len <= TDX_BLOB_HEADER_SIZE)
		return -EINVAL;
	if (memcmp(data + TDX_BLOB_V1_SIGNATURE, TDX_BLOB_SIGNATURE, TDX_BLOB_SIGNATURE_LEN))
		return -EINVAL;
	off = le32(data + TDX_BLOB_V1_OFFSET_OF_MODULE);
	if (off <= TDX_BLOB_HEADER_SIZE || off >= len || off % PAGE_SIZE)
		return -EINVAL;
	if (le16(data + TDX_BLOB_V1_VERSION) != TDX_BLOB_VERSION_1)
		return -EINVAL;
	if (le32(data + TDX_BLOB_V1_RESERVED0) ||
	    !all_zero(data + TDX_BLOB_V1_RESERVED1, TDX_BLOB_V1_RESERVED1_LEN))
		return -EINVAL;
	*sig_off = TDX_BLOB_HEADER_SIZE;
	*nr_sig = (off - TDX_BLOB_HEADER_SIZE) / PAGE_SIZE;
	if (*nr_sig > SEAMLDR_MAX_NR_SIG_PAGES)
		*nr_sig = SEAMLDR_MAX_NR_SIG_PAGES;
	*mod_off = off;
	/* A partial tail page is dropped by the integer division. */
	*nr_mod = (len - off) / PAGE_SIZE;
	if (*nr_mod > SEAMLDR_MAX_NR_MODULE_PAGES)
		*nr_mod = SEAMLDR_MAX_NR_MODULE_PAGES;
	return 0;
}

/* Mainline: struct tdx_image v0x200, exact size, explicit -EINVAL on limits. */
static int check_image_v2(const uint8_t *data, size_t len, size_t *sig_off, size_t *nr_sig,
			  size_t *mod_off, size_t *nr_mod)
{
	uint32_t sig, mod;

	if (len < TDX_BLOB_HEADER_SIZE)
		return -EINVAL;
	sig = le32(data + TDX_IMAGE_V2_SIGSTRUCT_NR_PAGES);
	mod = le32(data + TDX_IMAGE_V2_MODULE_NR_PAGES);
	if (TDX_BLOB_HEADER_SIZE + ((uint64_t)sig + mod) * PAGE_SIZE != len)
		return -EINVAL;
	if (le16(data + TDX_IMAGE_V2_VERSION) != TDX_IMAGE_VERSION_2)
		return -EINVAL;
	if (sig > 1 || mod > SEAMLDR_MAX_NR_MODULE_PAGES)
		return -EINVAL;
	if (memcmp(data + TDX_IMAGE_V2_SIGNATURE, TDX_BLOB_SIGNATURE, TDX_BLOB_SIGNATURE_LEN))
		return -EINVAL;
	if (!all_zero(data + TDX_IMAGE_V2_RESERVED, TDX_IMAGE_V2_RESERVED_LEN))
		return -EINVAL;
	*sig_off = TDX_BLOB_HEADER_SIZE;
	*nr_sig = sig;
	*mod_off = TDX_BLOB_HEADER_SIZE + (size_t)sig * PAGE_SIZE;
	*nr_mod = mod;
	return 0;
}

static int copy_page(struct tdx_host *h, struct update_request *r, const uint8_t *src,
		     uint64_t *pa)
{
	int ret = physmem_alloc(h->pm, pa);

	if (ret)
		return ret;
	r->pages[r->nr_pages++] = *pa;
	memcpy(physmem_map(h->pm, *pa, PAGE_SIZE), src, PAGE_SIZE);
	return 0;
}

static void free_request(struct tdx_host *h, struct update_request *r)
{
	physmem_free_n(h->pm, r->nr_pages, r->pages);
	free(r);
}

/* Errors here return before anything touches the module. */
static int alloc_request(struct tdx_host *h, const uint8_t *data, size_t len,
			 struct update_request **out)
{
	size_t sig_off, nr_sig, mod_off, nr_mod;
	struct update_request *r;
	uint8_t *prm;
	uint64_t pa;
	int ret;

	if (h->profile->image_version == TDX_BLOB_VERSION_1)
		ret = check_blob_v1(data, len, &sig_off, &nr_sig, &mod_off, &nr_mod);
	else
		ret = check_image_v2(data, len, &sig_off, &nr_sig, &mod_off, &nr_mod);
	if (ret)
		return ret;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	ret = copy_page(h, r, (const uint8_t[PAGE_SIZE]){ 0 }, &r->params_pa);
	if (ret)
		goto err;
	prm = physmem_map(h->pm, r->params_pa, PAGE_SIZE);
	/* v8: version 1 when the sigstruct spans several pages; mainline: 0. */
	put_le32(prm + SEAMLDR_PARAMS_VERSION,
		 h->profile->params_v8_form && nr_sig > 1 ? 1 : 0);
	put_le32(prm + SEAMLDR_PARAMS_SCENARIO, SEAMLDR_SCENARIO_UPDATE);
	for (size_t i = 0; i < nr_sig; i++) {
		ret = copy_page(h, r, data + sig_off + i * PAGE_SIZE, &pa);
		if (ret)
			goto err;
		put_le64(prm + SEAMLDR_PARAMS_SIGSTRUCT_PA + 8 * i, pa);
	}
	put_le64(prm + SEAMLDR_PARAMS_NUM_MODULE_PAGES, nr_mod);
	for (size_t i = 0; i < nr_mod; i++) {
		ret = copy_page(h, r, data + mod_off + i * PAGE_SIZE, &pa);
		if (ret)
			goto err;
		put_le64(prm + SEAMLDR_PARAMS_MOD_PAGES_PA_LIST + 8 * i, pa);
	}
	*out = r;
	return 0;
err:
	free_request(h, r);
	return ret;
}

/* ---- the lockstep update -------------------------------------------- */

static int do_seamldr_install_module(struct tdx_host *h, unsigned int cpu,
				     enum module_update_state state, void *data)
{
	struct update_request *r = data;
	struct seam_args a = { 0 };

	switch (state) {
	case MODULE_UPDATE_SHUTDOWN:
		if (cpu != r->lead_cpu)
			return 0;
		host_event(h, HOST_EV_STAGE, (int)cpu, state);
		return tdx_module_shutdown(h, cpu);
	case MODULE_UPDATE_CPU_INSTALL:
		host_event(h, HOST_EV_STAGE, (int)cpu, state);
		a.rcx = r->params_pa;
		return seamldr_call(h, cpu, SEAMLDR_INSTALL, &a);
	case MODULE_UPDATE_CPU_INIT:
		host_event(h, HOST_EV_STAGE, (int)cpu, state);
		return tdx_cpu_enable(h, cpu);
	case MODULE_UPDATE_RUN_UPDATE:
		if (cpu != r->lead_cpu)
			return 0;
		host_event(h, HOST_EV_STAGE, (int)cpu, state);
		return tdx_module_run_update(h, cpu);
	default:
		return 0;
	}
}

static void account(struct tdx_host *h, int ret)
{
	pthread_mutex_lock(&h->stats_lock);
	h->stats.updates_attempted++;
	if (!ret)
		h->stats.updates_applied++;
	else if (ret == -EBUSY)
		h->stats.busy_rejections++;
	else
		h->stats.updates_failed++;
	pthread_mutex_unlock(&h->stats_lock);
}

static void refresh_after_update(struct tdx_host *h, unsigned int cpu)
{
	if (h->profile->refresh_in_stop_machine || cpu_hold(h, cpu))
		return;
	tdx_module_refresh_version(h, cpu);
	cpu_release(h, cpu);
}

int seamldr_install_module(struct tdx_host *h, const uint8_t *data, size_t len)
{
	struct update_request *r;
	int ret, lead;

	pthread_mutex_lock(&h->update_lock);
	ret = alloc_request(h, data, len, &r);
	if (ret)
		goto out;
	cpus_read_lock(h);
	lead = h->profile->lead_is_cpu0 ? 0 : first_online_cpu(h);
	r->lead_cpu = lead < 0 ? 0 : (unsigned int)lead;
	ret = stop_machine_lockstep(h, do_seamldr_install_module, r);
	if (!ret)
		refresh_after_update(h, r->lead_cpu);
	cpus_read_unlock(h);
	if (ret && !tdx_get_sysinfo(h, NULL)) {
		pthread_mutex_lock(&h->tdx.lock);
		h->tdx.lost = true;
		pthread_mutex_unlock(&h->tdx.lock);
		host_log(h, "tdx: module update failed after shutdown (%d): the TDX module is lost, "
			 "all TDs are dead; reboot to recover", ret);
	}
	free_request(h, r);
out:
	account(h, ret);
	pthread_mutex_unlock(&h->update_lock);
	return ret;
}
