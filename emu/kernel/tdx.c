// SPDX-License-Identifier: MIT
/*
 * TDX host core (arch/x86/virt/vmx/tdx/tdx.c): boot-time enable, per-CPU
 * init, the cached module info, and the update's shutdown, software-state
 * reset, run_update and version refresh, per kernel profile.
 */
#include <errno.h>
#include <string.h>

#include "kernel/kernel.h"
#include "tdxup/seamldr_abi.h"
#include "tdxup/status_name.h"
#include "tdxup/td_abi.h"

#define TDX_GLOBAL_HKID		1
#define TDX_FIRST_TD_HKID	2
#define TDX_NR_HKIDS		64

/* tdx_status_name() is NULL for a status it does not know; %s must not get NULL. */
static const char *status_name(uint64_t status)
{
	const char *name = tdx_status_name(status);

	return name ? name : "unknown status";
}

/* ---- per-CPU init: TDH.SYS.INIT once, TDH.SYS.LP.INIT per CPU ------- */

static int try_init_module_global(struct tdx_host *h, unsigned int cpu)
{
	struct tdx_state *t = &h->tdx;
	struct seam_args a = { 0 };
	int ret;

	pthread_mutex_lock(&t->lock);
	if (t->sysinit_done) {
		ret = t->sysinit_ret;
		goto out;
	}
	ret = seamcall_prerr(h, cpu, tdx_leaf(TDH_SYS_INIT, 0), &a);
	t->sysinit_done = true;
	t->sysinit_ret = ret;
out:
	pthread_mutex_unlock(&t->lock);
	return ret;
}

/* Runs on cpu, which the caller holds (or stop_machine does). */
int tdx_cpu_enable(struct tdx_host *h, unsigned int cpu)
{
	struct seam_args a = { 0 };
	int ret;

	if (h->tdx.lp_initialized[cpu])
		return 0;
	ret = try_init_module_global(h, cpu);
	if (ret)
		return ret;
	ret = seamcall_prerr(h, cpu, tdx_leaf(TDH_SYS_LP_INIT, 0), &a);
	if (ret)
		return ret;
	h->tdx.lp_initialized[cpu] = true;
	return 0;
}

int tdx_online_cpu(struct tdx_host *h, unsigned int cpu)
{
	int ret = cpu_hold(h, cpu);

	if (ret)
		return ret;
	ret = h->tdx.initialized ? tdx_cpu_enable(h, cpu) : 0;
	cpu_release(h, cpu);
	if (ret)
		host_log(h, "tdx: CPU %u: TDX LP init failed (%d)", cpu, ret);
	return ret;
}

/* ---- metadata ------------------------------------------------------ */

static int read_sys_field(struct tdx_host *h, unsigned int cpu, uint64_t id, uint64_t *val)
{
	struct seam_args a = { .rdx = id };
	int ret = seamcall_prerr(h, cpu, tdx_leaf(TDH_SYS_RD, 0), &a);

	if (!ret)
		*val = a.r8;
	return ret;
}

static int get_sys_info_version(struct tdx_host *h, unsigned int cpu, struct tdx_sys_info *si)
{
	uint64_t major, minor, update;
	int ret;

	ret = read_sys_field(h, cpu, MD_FIELD_MAJOR_VERSION, &major);
	if (!ret)
		ret = read_sys_field(h, cpu, MD_FIELD_MINOR_VERSION, &minor);
	if (!ret)
		ret = read_sys_field(h, cpu, MD_FIELD_UPDATE_VERSION, &update);
	if (ret)
		return ret;
	si->major = (uint16_t)major;
	si->minor = (uint16_t)minor;
	si->update = (uint16_t)update;
	return 0;
}

static int get_sys_info(struct tdx_host *h, unsigned int cpu, struct tdx_sys_info *si)
{
	uint64_t v[8];
	static const uint64_t ids[8] = {
		MD_FIELD_BUILD_DATE, MD_FIELD_BUILD_NUM, MD_FIELD_TDX_FEATURES0,
		MD_FIELD_TDCS_BASE_SIZE, MD_FIELD_TDVPS_BASE_SIZE, MD_FIELD_ATTRIBUTES_FIXED0,
		MD_FIELD_ATTRIBUTES_FIXED1, MD_FIELD_XFAM_FIXED0,
	};
	uint64_t xfam1;
	int ret = get_sys_info_version(h, cpu, si);

	for (int i = 0; !ret && i < 8; i++)
		ret = read_sys_field(h, cpu, ids[i], &v[i]);
	if (!ret)
		ret = read_sys_field(h, cpu, MD_FIELD_XFAM_FIXED1, &xfam1);
	if (ret)
		return ret;
	si->build_date = (uint32_t)v[0];
	si->build_num = (uint16_t)v[1];
	si->features0 = v[2];
	si->tdcs_base_size = (uint16_t)v[3];
	si->tdvps_base_size = (uint16_t)v[4];
	si->attributes_fixed0 = v[5];
	si->attributes_fixed1 = v[6];
	si->xfam_fixed0 = v[7];
	si->xfam_fixed1 = xfam1;
	return 0;
}

bool tdx_get_sysinfo(struct tdx_host *h, struct tdx_sys_info *out)
{
	bool valid;

	pthread_mutex_lock(&h->tdx.lock);
	valid = h->tdx.sysinfo_valid;
	if (valid && out)
		*out = h->tdx.sysinfo;
	pthread_mutex_unlock(&h->tdx.lock);
	return valid;
}

/* v8 19/21: runtime update needs TD_PRESERVING. */
bool tdx_supports_runtime_update(struct tdx_host *h)
{
	struct tdx_sys_info si;

	return tdx_get_sysinfo(h, &si) && (si.features0 & TDX_FEATURES0_TD_PRESERVING);
}

/* ---- boot-time enable ---------------------------------------------- */

/* One TDMR covering all emulated memory, rounded up to 1 GiB. */
static int config_tdmrs(struct tdx_host *h, unsigned int cpu)
{
	uint64_t mem = physmem_nr_frames(h->pm) << PAGE_SHIFT;
	uint64_t size = (mem + TDMR_GRANULE - 1) & ~(TDMR_GRANULE - 1);
	struct seam_args a = { 0 };
	uint8_t *info, *array;
	int ret;

	ret = physmem_alloc_n(h->pm, 2, h->tdx.tdmr_pages);
	if (ret)
		return ret;
	info = physmem_map(h->pm, h->tdx.tdmr_pages[0], PAGE_SIZE);
	array = physmem_map(h->pm, h->tdx.tdmr_pages[1], PAGE_SIZE);
	put_le64(info + TDMR_INFO_BASE, 0);
	put_le64(info + TDMR_INFO_SIZE, size);
	put_le64(array, h->tdx.tdmr_pages[0]);
	a.rcx = h->tdx.tdmr_pages[1];
	a.rdx = 1;
	a.r8 = TDX_GLOBAL_HKID;
	h->tdx.global_hkid = TDX_GLOBAL_HKID;
	return seamcall_prerr(h, cpu, tdx_leaf(TDH_SYS_CONFIG, 0), &a);
}

static int config_global_keyid(struct tdx_host *h)
{
	for (unsigned int pkg = 0; pkg < h->cfg.nr_packages; pkg++) {
		for (unsigned int cpu = 0; cpu < h->cpus.nr; cpu++) {
			struct seam_args a = { 0 };
			uint64_t status;

			if (h->cpus.cpu[cpu].package != pkg)
				continue;
			status = seamcall_on(h, cpu, tdx_leaf(TDH_SYS_KEY_CONFIG, 0), &a);
			if (seamcall_status_errno(status)) {
				host_log(h, "tdx: TDH.SYS.KEY.CONFIG failed: %s (0x%016llx)",
					 status_name(status), (unsigned long long)status);
				return -EIO;
			}
			break;
		}
	}
	return 0;
}

static int init_tdmrs(struct tdx_host *h, unsigned int cpu)
{
	struct seam_args a = { .rcx = 0 };

	return seamcall_prerr(h, cpu, tdx_leaf(TDH_SYS_TDMR_INIT, 0), &a);
}

static int enable_on_all_cpus(struct tdx_host *h)
{
	for (unsigned int cpu = 0; cpu < h->cpus.nr; cpu++) {
		int ret = cpu_hold(h, cpu);

		if (ret)
			continue;	/* offline: its online callback will init it */
		ret = tdx_cpu_enable(h, cpu);
		cpu_release(h, cpu);
		if (ret)
			return ret;
	}
	return 0;
}

int tdx_enable(struct tdx_host *h)
{
	struct tdx_state *t = &h->tdx;
	struct tdx_sys_info si;
	int ret;

	ret = enable_on_all_cpus(h);
	if (ret)
		goto fail;
	ret = cpu_hold(h, 0);
	if (ret)
		goto fail;
	ret = config_tdmrs(h, 0);
	cpu_release(h, 0);
	if (!ret)
		ret = config_global_keyid(h);
	if (!ret && !(ret = cpu_hold(h, 0))) {
		ret = init_tdmrs(h, 0);
		if (!ret)
			ret = get_sys_info(h, 0, &si);
		cpu_release(h, 0);
	}
	if (ret)
		goto fail;
	pthread_mutex_lock(&t->lock);
	t->sysinfo = si;
	t->sysinfo_valid = true;
	t->initialized = true;
	pthread_mutex_unlock(&t->lock);
	host_log(h, "virt/tdx: TDX module %u.%u.%02u initialized", si.major, si.minor, si.update);
	return 0;
fail:
	host_log(h, "virt/tdx: module initialization failed (%d)", ret);
	return ret;
}

void tdx_exit(struct tdx_host *h)
{
	physmem_free_n(h->pm, 2, h->tdx.tdmr_pages);
}

/* ---- the update's module side -------------------------------------- */

/*
 * The line names the module's cause, so that an operator knows whether to
 * wait for TD builds or for a migration to finish. The wording is ours
 * (inferred); v8 prints nothing here.
 */
static void log_compat_sensitive(struct tdx_host *h, uint64_t status)
{
	unsigned int count = TDX_COMPAT_SENSITIVE_COUNT(status);

	switch (TDX_COMPAT_SENSITIVE_CAUSE(status)) {
	case TDX_COMPAT_SENSITIVE_CAUSE_TD_BUILD:
		host_log(h, "tdx: module update rejected: %u TD build(s) in progress", count);
		break;
	case TDX_COMPAT_SENSITIVE_CAUSE_MIGRATION:
		host_log(h, "tdx: module update rejected: %u interrupted migration(s) in progress",
			 count);
		break;
	default:
		/* Future modules may add causes (kernel.md 13). */
		host_log(h, "tdx: module update rejected: update-sensitive operation %u in progress "
			 "(count %u)", TDX_COMPAT_SENSITIVE_CAUSE(status), count);
		break;
	}
}

/*
 * v8 patches 10, 11, 16. Requests the module's own highest HV (upgrades
 * only) and, in v8, AVOID_COMPAT_SENSITIVE: the module then refuses while a
 * TD build is in flight, and the update fails with -EBUSY before anything
 * changed. No pre-check of support: a module without it rejects the flag
 * with OPERAND_INVALID(RCX), which fails just as safely.
 */
int tdx_module_shutdown(struct tdx_host *h, unsigned int cpu)
{
	struct seam_args a = { 0 };
	uint64_t module_hv = 0, status;
	int ret;

	ret = read_sys_field(h, cpu, MD_FIELD_MODULE_HV, &module_hv);
	if (ret) {
		if (h->profile->handoff_read_fatal)
			return ret;
		host_log(h, "WARNING: tdx: cannot read the handoff version (%d)", ret);
	}
	a.rcx = module_hv & TDX_SYS_SHUTDOWN_HV_MASK;
	if (h->profile->shutdown_avoid_compat) {
		a.rcx |= TDX_SYS_SHUTDOWN_AVOID_COMPAT_SENSITIVE;
		status = seamcall_raw(h, cpu, tdx_leaf(TDH_SYS_SHUTDOWN, 0), &a);
		if ((status & TDX_SEAMCALL_STATUS_MASK) == TDX_UPDATE_COMPAT_SENSITIVE) {
			log_compat_sensitive(h, status);
			return -EBUSY;
		}
		if (status) {
			host_log(h, "tdx: TDH.SYS.SHUTDOWN failed: %s (0x%016llx)",
				 status_name(status), (unsigned long long)status);
			return -EIO;
		}
	} else {
		ret = seamcall_prerr(h, cpu, tdx_leaf(TDH_SYS_SHUTDOWN, 0), &a);
		if (ret)
			return ret;
	}
	/* v8 11/21: reset the software state; tdx_get_sysinfo() is NULL now. */
	pthread_mutex_lock(&h->tdx.lock);
	h->tdx.initialized = false;
	h->tdx.sysinit_done = false;
	h->tdx.sysinit_ret = 0;
	h->tdx.sysinfo_valid = false;
	for (unsigned int i = 0; i < h->cpus.nr; i++)
		h->tdx.lp_initialized[i] = false;
	pthread_mutex_unlock(&h->tdx.lock);
	return 0;
}

int tdx_module_run_update(struct tdx_host *h, unsigned int cpu)
{
	struct seam_args a = { 0 };
	uint8_t ver = 0;
	int ret;

	/* detect: ask the new module to fail builds whose hash it cannot continue. */
	if (h->profile->update_v1_compat) {
		ver = 1;
		a.r9 = TDX_SYS_UPDATE_ENABLE_UPDATE_COMPAT;
	}
	ret = seamcall_prerr(h, cpu, tdx_leaf(TDH_SYS_UPDATE, ver), &a);
	if (ret)
		return ret;
	pthread_mutex_lock(&h->tdx.lock);
	h->tdx.initialized = true;
	h->tdx.sysinfo_valid = true;
	h->tdx.lost = false;
	pthread_mutex_unlock(&h->tdx.lock);
	if (h->profile->refresh_in_stop_machine)
		return tdx_module_refresh_version(h, cpu);
	return 0;
}

/*
 * v8 15/21: only the version changes; every other cached field stays as
 * at boot, since consumers configured themselves from it.
 */
int tdx_module_refresh_version(struct tdx_host *h, unsigned int cpu)
{
	struct tdx_sys_info fresh;
	struct tdx_sys_info old;
	int ret = get_sys_info_version(h, cpu, &fresh);

	if (ret) {
		host_log(h, "WARNING: tdx: cannot read the new module version (%d)", ret);
		return h->profile->refresh_in_stop_machine ? 0 : ret;
	}
	pthread_mutex_lock(&h->tdx.lock);
	old = h->tdx.sysinfo;
	if (h->profile->refresh_in_stop_machine) {
		h->tdx.sysinfo.major = fresh.major;
		h->tdx.sysinfo.minor = fresh.minor;
	}
	h->tdx.sysinfo.update = fresh.update;
	pthread_mutex_unlock(&h->tdx.lock);
	if (!h->profile->refresh_in_stop_machine)
		host_log(h, "virt/tdx: version %u.%u.%02u -> %u.%u.%02u", old.major, old.minor,
			 old.update, fresh.major, fresh.minor, fresh.update);
	return 0;
}

/* ---- HKIDs for KVM ------------------------------------------------- */

int tdx_hkid_alloc(struct tdx_host *h)
{
	int hkid = -ENOSPC;

	pthread_mutex_lock(&h->tdx.lock);
	for (int i = TDX_FIRST_TD_HKID; i < TDX_NR_HKIDS; i++) {
		if (!(h->tdx.hkid_bitmap & (1ULL << i))) {
			h->tdx.hkid_bitmap |= 1ULL << i;
			hkid = i;
			break;
		}
	}
	pthread_mutex_unlock(&h->tdx.lock);
	return hkid;
}

void tdx_hkid_free(struct tdx_host *h, int hkid)
{
	if (hkid < TDX_FIRST_TD_HKID || hkid >= TDX_NR_HKIDS)
		return;
	pthread_mutex_lock(&h->tdx.lock);
	h->tdx.hkid_bitmap &= ~(1ULL << hkid);
	pthread_mutex_unlock(&h->tdx.lock);
}
