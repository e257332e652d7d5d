// SPDX-License-Identifier: MIT
/*
 * KVM's TDX VMs (arch/x86/kvm/vmx/tdx.c; kernel.md 12-13): VM creation,
 * KVM_TDX_CAPABILITIES, INIT_VM, FINALIZE_VM, the MRTD read and teardown.
 * vCPUs and KVM_RUN are in kvm_tdx_vcpu.c; private memory and
 * INIT_MEM_REGION in kvm_tdx_mem.c.
 *
 * Every SEAMCALL holds its CPU on its own (kvm_seamcall), so an update's
 * stop_machine can land between any two SEAMCALLs of a TD build, never
 * inside one, and never while this code reads the module's cached info.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/kvm_tdx.h"
#include "tdxup/seamldr_abi.h"
#include "tdxup/status_name.h"

#define TDX_MAX_VCPUS			0xFFFFu	/* TD_PARAMS.max_vcpus is a u16 */
#define KVM_DEFAULT_TSC_KHZ		2500000u
#define TDX_TSC_KHZ_TO_25MHZ(khz)	((khz) / 25000u)
#define ARRAY_SIZE(a)			(sizeof(a) / sizeof((a)[0]))

/* ---- helpers shared with kvm_tdx_vcpu.c and kvm_tdx_mem.c ------------- */

void kvm_mutex_lock(struct tdx_host *h, pthread_mutex_t *m)
{
	/* Under the lab's token scheduler a blocking lock would stall every actor. */
	if (!h->kt->cooperative) {
		pthread_mutex_lock(m);
		return;
	}
	while (pthread_mutex_trylock(m))
		h->kt->relax(h->kt->ctx);
}

/*
 * The calling task runs on cpu. Should that CPU have gone offline the
 * scheduler has moved the task; CPU 0 never goes offline.
 */
unsigned int kvm_cpu_hold(struct tdx_host *h, unsigned int cpu)
{
	while (cpu_hold(h, cpu)) {
		int first = first_online_cpu(h);

		cpu = first < 0 ? 0 : (unsigned int)first;
	}
	return cpu;
}

uint64_t kvm_seamcall(struct kvm *kvm, unsigned int cpu, uint16_t leaf, uint8_t ver,
		      struct seam_args *a)
{
	struct tdx_host *h = kvm->h;
	uint64_t status;

	cpu = kvm_cpu_hold(h, cpu);
	status = sc_retry(h, cpu, tdx_leaf(leaf, ver), a);
	cpu_release(h, cpu);
	return status;
}

void tdx_log_err(struct kvm *kvm, const char *what, uint64_t leaf, uint64_t status)
{
	char buf[TDX_STATUS_STR_LEN];

	host_log(kvm->h, "kvm: %s%s failed: %s", what, seamcall_leaf_name(leaf),
		 tdx_status_str(status, buf, sizeof(buf)));
}

/* KVM_BUG_ON(): the VM is dead; every later ioctl but teardown gets -EIO. */
void kvm_bug(struct kvm *kvm, uint16_t leaf, uint64_t status)
{
	tdx_log_err(kvm, "KVM_BUG_ON: ", leaf, status);
	atomic_store(&kvm->dead, true);
}

void *kvm_grow(void *arr, size_t *cap, size_t nr, size_t elem)
{
	size_t ncap;
	void *p;

	if (nr < *cap)
		return arr;
	ncap = *cap ? *cap * 2 : 16;
	p = realloc(arr, ncap * elem);
	if (p)
		*cap = ncap;
	return p;
}

bool tdx_operand_busy(uint64_t status)
{
	return (status & TDX_SEAMCALL_STATUS_MASK) == TDX_OPERAND_BUSY;
}

static bool tdx_status_is(uint64_t status, uint64_t code)
{
	return (status & TDX_SEAMCALL_STATUS_MASK) == code;
}

static bool tdx_reclaim_page(struct kvm *kvm, unsigned int cpu, uint64_t pa)
{
	struct seam_args a = { .rcx = pa };
	uint64_t status = kvm_seamcall(kvm, cpu, TDH_PHYMEM_PAGE_RECLAIM, 0, &a);

	if (tdx_status_is_error(status)) {
		tdx_log_err(kvm, "", TDH_PHYMEM_PAGE_RECLAIM, status);
		return false;
	}
	physmem_free(kvm->h->pm, pa);
	return true;
}

/*
 * A page the module owns goes back to the host only through
 * PHYMEM.PAGE.RECLAIM. When the module cannot reclaim it any more (it was
 * lost in a failed update), the page is leaked on purpose, as Linux does.
 */
void tdx_release_page(struct kvm *kvm, unsigned int cpu, uint64_t pa, bool reclaim)
{
	if (!reclaim || !tdx_reclaim_page(kvm, cpu, pa))
		kvm->nr_leaked++;
}

/* Allocate a page and hand it to the module: RCX = page, RDX = owner. */
int tdx_give_page(struct kvm *kvm, unsigned int cpu, uint16_t leaf, uint64_t owner,
			 uint64_t *pa, uint64_t *status)
{
	struct seam_args a = { .rdx = owner };

	*status = TDX_SUCCESS;
	if (physmem_alloc(kvm->h->pm, pa))
		return -ENOMEM;
	a.rcx = *pa;
	*status = kvm_seamcall(kvm, cpu, leaf, 0, &a);
	if (!tdx_status_is_error(*status))
		return 0;
	physmem_free(kvm->h->pm, *pa);
	*pa = 0;
	return -EIO;
}

/* ---- teardown: tdx_mmu_release_hkid(), tdx_vcpu_free(), tdx_vm_free() - */

/* VPFLUSHDONE and KEY.FREEID; false when the HKID (and so every page) leaks. */
static bool tdx_release_hkid(struct kvm *kvm, unsigned int cpu)
{
	struct seam_args a = { .rcx = kvm->tdr_pa };
	uint64_t status;

	for (unsigned int i = 0; i < kvm->nr_vcpus; i++) {
		struct kvm_vcpu *vcpu = kvm->vcpus[i];

		if (vcpu->tdvpr_pa && vcpu->last_cpu >= 0) {
			status = tdx_flush_vp(vcpu);
			if (tdx_status_is_error(status))
				tdx_log_err(kvm, "", TDH_VP_FLUSH, status);
		}
	}
	status = kvm_seamcall(kvm, cpu, TDH_MNG_VPFLUSHDONE, 0, &a);
	if (!tdx_status_is_error(status)) {
		a = (struct seam_args){ .rcx = kvm->tdr_pa };
		status = kvm_seamcall(kvm, cpu, TDH_MNG_KEY_FREEID, 0, &a);
		if (!tdx_status_is_error(status)) {
			tdx_hkid_free(kvm->h, kvm->hkid);
			kvm->hkid = -1;
			return true;
		}
		tdx_log_err(kvm, "", TDH_MNG_KEY_FREEID, status);
	} else {
		tdx_log_err(kvm, "", TDH_MNG_VPFLUSHDONE, status);
	}
	host_log(kvm->h, "kvm: HKID %d is leaked", kvm->hkid);
	kvm->hkid = -1;
	return false;
}

/*
 * Everything the TD holds, in the order the module accepts it back: TD
 * pages, Secure EPT, TDVPX/TDVPR, TDCS and the TDR last. Used on INIT_VM
 * failure too, after which the VM is uninitialised again.
 */
static void tdx_td_teardown(struct kvm *kvm, unsigned int cpu)
{
	bool reclaim = true;

	if (kvm->tdr_pa)
		reclaim = tdx_release_hkid(kvm, cpu);
	else if (kvm->hkid >= 0)
		tdx_hkid_free(kvm->h, kvm->hkid);
	kvm->hkid = -1;
	tdx_mem_release(kvm, cpu, reclaim);
	for (unsigned int i = 0; i < kvm->nr_vcpus; i++)
		tdx_vcpu_release(kvm->vcpus[i], cpu, reclaim);
	for (unsigned int i = 0; i < kvm->tdcs_added; i++)
		tdx_release_page(kvm, cpu, kvm->tdcs_pa[i], reclaim);
	if (kvm->tdr_pa)
		tdx_release_page(kvm, cpu, kvm->tdr_pa, reclaim);
	kvm->tdcs_added = 0;
	kvm->tdr_pa = 0;
	atomic_store(&kvm->state, TD_STATE_UNINITIALIZED);
	if (kvm->nr_leaked)
		host_log(kvm->h, "kvm: TD teardown: %zu page(s) leaked; the TDX module cannot "
			 "reclaim them", kvm->nr_leaked);
}

/* ---- VM creation ------------------------------------------------------ */

/*
 * tdx_get_sysinfo() with a CPU held: stop_machine is not running then, so
 * we never see the window between TDH.SYS.SHUTDOWN and TDH.SYS.UPDATE,
 * which no task sees on a real host (every CPU is stopped during it).
 */
static int kvm_get_sysinfo(struct tdx_host *h, struct tdx_sys_info *si)
{
	unsigned int cpu = kvm_cpu_hold(h, 0);
	bool ok = tdx_get_sysinfo(h, si);

	cpu_release(h, cpu);
	return ok ? 0 : -ENODEV;
}

static int kvm_init_tdx(struct kvm *kvm, struct tdx_host *h, unsigned int max_vcpus)
{
	int ret = kvm_get_sysinfo(h, &kvm->sysinfo);

	if (ret)
		return ret;
	kvm->h = h;
	kvm->max_vcpus = max_vcpus;
	kvm->hkid = -1;
	kvm->nr_tdcs = kvm->sysinfo.tdcs_base_size / PAGE_SIZE;
	kvm->nr_tdcx = kvm->sysinfo.tdvps_base_size / PAGE_SIZE;
	/* The TDVPS is the TDVPR plus TDCX pages. */
	if (!kvm->nr_tdcs || !kvm->nr_tdcx)
		return -EIO;
	kvm->nr_tdcx--;
	kvm->tdcs_pa = calloc(kvm->nr_tdcs, sizeof(*kvm->tdcs_pa));
	if (!kvm->tdcs_pa)
		return -ENOMEM;
	atomic_init(&kvm->state, TD_STATE_UNINITIALIZED);
	atomic_init(&kvm->dead, false);
	return pthread_mutex_init(&kvm->lock, NULL) ? -ENOMEM : 0;
}

struct kvm *kvm_create_vm(struct tdx_host *h, unsigned int max_vcpus, int *err)
{
	struct kvm *kvm = NULL;
	int ret = -EINVAL;

	if (!h || !max_vcpus || max_vcpus > TDX_MAX_VCPUS)
		goto out;
	ret = -ENOMEM;
	kvm = calloc(1, sizeof(*kvm));
	if (!kvm)
		goto out;
	ret = kvm_init_tdx(kvm, h, max_vcpus);
	if (ret) {
		free(kvm->tdcs_pa);
		free(kvm);
		kvm = NULL;
	}
out:
	if (err)
		*err = ret;
	return kvm;
}

void kvm_destroy_vm(struct kvm *kvm, unsigned int cpu)
{
	if (!kvm)
		return;
	kvm_mutex_lock(kvm->h, &kvm->lock);
	tdx_td_teardown(kvm, cpu);
	pthread_mutex_unlock(&kvm->lock);
	for (unsigned int i = 0; i < kvm->nr_vcpus; i++)
		kvm_vcpu_free(kvm->vcpus[i]);
	free(kvm->vcpus);
	free(kvm->priv);
	free(kvm->tdcs_pa);
	pthread_mutex_destroy(&kvm->lock);
	free(kvm);
}

bool kvm_vm_dead(const struct kvm *kvm)
{
	return atomic_load(&kvm->dead);
}

/* ---- KVM_TDX_CAPABILITIES --------------------------------------------- */

static int tdx_get_capabilities(struct kvm *kvm, struct kvm_tdx_cmd *cmd)
{
	struct kvm_tdx_capabilities *caps = (void *)(uintptr_t)cmd->data;

	if (cmd->flags)
		return -EINVAL;
	if (!caps)
		return -EFAULT;
	caps->supported_attrs = kvm->sysinfo.attributes_fixed0;
	caps->supported_xfam = kvm->sysinfo.xfam_fixed0;
	caps->nr_cpuid_configs = 0;	/* the emulated module has no CPUID configs */
	caps->padding = 0;
	return 0;
}

/* ---- KVM_TDX_INIT_VM -------------------------------------------------- */

static bool tdx_fixed_ok(uint64_t val, uint64_t fixed0, uint64_t fixed1)
{
	return !(val & ~fixed0) && (val & fixed1) == fixed1;
}

static int tdx_check_init_vm(struct kvm *kvm, const struct kvm_tdx_init_vm *init)
{
	const struct tdx_sys_info *si = &kvm->sysinfo;

	for (size_t i = 0; i < ARRAY_SIZE(init->reserved); i++)
		if (init->reserved[i])
			return -EINVAL;
	if (!tdx_fixed_ok(init->attributes, si->attributes_fixed0, si->attributes_fixed1) ||
	    !tdx_fixed_ok(init->xfam, si->xfam_fixed0, si->xfam_fixed1))
		return -EINVAL;
	return 0;
}

static void put_le64_array(uint8_t *p, const uint64_t v[6])
{
	for (int i = 0; i < 6; i++)
		put_le64(p + 8 * i, v[i]);
}

/* setup_tdparams(): TD_PARAMS in a shared page; GPAW 48, no CPUID configs. */
static int tdx_td_params(struct kvm *kvm, const struct kvm_tdx_init_vm *init, uint64_t *pa)
{
	uint8_t *p;

	if (physmem_alloc(kvm->h->pm, pa))
		return -ENOMEM;
	p = physmem_map(kvm->h->pm, *pa, PAGE_SIZE);
	put_le64(p + TD_PARAMS_ATTRIBUTES, init->attributes);
	put_le64(p + TD_PARAMS_XFAM, init->xfam);
	put_le16(p + TD_PARAMS_MAX_VCPUS, (uint16_t)kvm->max_vcpus);
	if (kvm->sysinfo.features0 & TDX_FEATURES0_NO_RBP_MOD)
		put_le64(p + TD_PARAMS_CONFIG_FLAGS, TD_CONFIG_FLAGS_NO_RBP_MOD);
	put_le16(p + TD_PARAMS_TSC_FREQUENCY, TDX_TSC_KHZ_TO_25MHZ(KVM_DEFAULT_TSC_KHZ));
	put_le64_array(p + TD_PARAMS_MRCONFIGID, init->mrconfigid);
	put_le64_array(p + TD_PARAMS_MROWNER, init->mrowner);
	put_le64_array(p + TD_PARAMS_MROWNERCONFIG, init->mrownerconfig);
	return 0;
}

/* Errors of INIT_VM's SEAMCALLs other than MNG.INIT's OPERAND_INVALID. */
static int tdx_init_vm_err(struct kvm *kvm, uint16_t leaf, uint64_t status)
{
	if (tdx_status_is(status, TDX_RND_NO_ENTROPY))
		return -EAGAIN;
	tdx_log_err(kvm, "WARNING: INIT_VM: ", leaf, status);
	return -EIO;
}

/* A CPU of pkg: the caller's own if it is there, else the first online one. */
static int tdx_package_cpu(struct tdx_host *h, unsigned int pkg, unsigned int cpu)
{
	if (cpu < h->cpus.nr && h->cpus.cpu[cpu].package == pkg && cpu_online(h, cpu))
		return (int)cpu;
	for (unsigned int i = 0; i < h->cpus.nr; i++)
		if (h->cpus.cpu[i].package == pkg && cpu_online(h, i))
			return (int)i;
	return -1;
}

/* MNG.KEY.CONFIG once per package, on a CPU of that package. */
static int tdx_key_config(struct kvm *kvm, unsigned int cpu)
{
	struct tdx_host *h = kvm->h;

	for (unsigned int pkg = 0; pkg < h->cfg.nr_packages; pkg++) {
		struct seam_args a = { .rcx = kvm->tdr_pa };
		int target = tdx_package_cpu(h, pkg, cpu);
		uint64_t status;

		if (target < 0) {
			host_log(h, "kvm: All packages need to have online CPU to create TD. "
				 "Online CPU and retry.");
			return -EIO;
		}
		status = kvm_seamcall(kvm, (unsigned int)target, TDH_MNG_KEY_CONFIG, 0, &a);
		if (tdx_status_is_error(status))
			return tdx_init_vm_err(kvm, TDH_MNG_KEY_CONFIG, status);
	}
	return 0;
}

/* MNG.CREATE and the keys; the hotplug lock keeps the chosen CPUs online. */
static int tdx_td_create(struct kvm *kvm, unsigned int cpu)
{
	struct tdx_host *h = kvm->h;
	uint64_t status;
	int ret;

	cpus_read_lock(h);
	for (unsigned int pkg = 0; pkg < h->cfg.nr_packages; pkg++) {
		if (tdx_package_cpu(h, pkg, cpu) < 0) {
			host_log(h, "kvm: All packages need to have online CPU to create TD. "
				 "Online CPU and retry.");
			ret = -EIO;
			goto out;
		}
	}
	ret = tdx_give_page(kvm, cpu, TDH_MNG_CREATE, (uint64_t)kvm->hkid, &kvm->tdr_pa, &status);
	if (ret == -EIO)
		ret = tdx_init_vm_err(kvm, TDH_MNG_CREATE, status);
	if (!ret)
		ret = tdx_key_config(kvm, cpu);
out:
	cpus_read_unlock(h);
	return ret;
}

static int tdx_td_addcx(struct kvm *kvm, unsigned int cpu)
{
	while (kvm->tdcs_added < kvm->nr_tdcs) {
		uint64_t status;
		int ret = tdx_give_page(kvm, cpu, TDH_MNG_ADDCX, kvm->tdr_pa,
					&kvm->tdcs_pa[kvm->tdcs_added], &status);

		if (ret == -EIO)
			return tdx_init_vm_err(kvm, TDH_MNG_ADDCX, status);
		if (ret)
			return ret;
		kvm->tdcs_added++;
	}
	return 0;
}

/* MNG.INIT opens the TD-build window; operands came from userspace. */
static int tdx_mng_init(struct kvm *kvm, unsigned int cpu, uint64_t params_pa,
			uint64_t *hw_error)
{
	struct seam_args a = { .rcx = kvm->tdr_pa, .rdx = params_pa };
	uint64_t status = kvm_seamcall(kvm, cpu, TDH_MNG_INIT, 0, &a);

	if (!tdx_status_is_error(status))
		return 0;
	if (tdx_status_is(status, TDX_OPERAND_INVALID)) {
		*hw_error = status;
		return -EINVAL;
	}
	return tdx_init_vm_err(kvm, TDH_MNG_INIT, status);
}

static int tdx_mng_rd(struct kvm *kvm, unsigned int cpu, uint64_t field, uint64_t *val)
{
	struct seam_args a = { .rcx = kvm->tdr_pa, .rdx = field };
	uint64_t status = kvm_seamcall(kvm, cpu, TDH_MNG_RD, 0, &a);

	if (tdx_status_is_error(status))
		return tdx_init_vm_err(kvm, TDH_MNG_RD, status);
	*val = a.r8;
	return 0;
}

static int __tdx_td_init(struct kvm *kvm, unsigned int cpu, uint64_t params_pa,
			 uint64_t *hw_error)
{
	int ret;

	kvm->hkid = tdx_hkid_alloc(kvm->h);
	if (kvm->hkid < 0) {
		ret = kvm->hkid;
		kvm->hkid = -1;
		return ret;
	}
	ret = tdx_td_create(kvm, cpu);
	if (!ret)
		ret = tdx_td_addcx(kvm, cpu);
	if (!ret)
		ret = tdx_mng_init(kvm, cpu, params_pa, hw_error);
	if (!ret)
		ret = tdx_mng_rd(kvm, cpu, TD_MD_FIELD_TSC_OFFSET, &kvm->tsc_offset);
	if (!ret)
		ret = tdx_mng_rd(kvm, cpu, TD_MD_FIELD_TSC_MULTIPLIER, &kvm->tsc_multiplier);
	if (ret) {
		tdx_td_teardown(kvm, cpu);
		return ret;
	}
	atomic_store(&kvm->state, TD_STATE_INITIALIZED);
	return 0;
}

static int tdx_td_init(struct kvm *kvm, unsigned int cpu, struct kvm_tdx_cmd *cmd)
{
	const struct kvm_tdx_init_vm *init = (const void *)(uintptr_t)cmd->data;
	uint64_t params_pa;
	int ret;

	if (cmd->flags || atomic_load(&kvm->state) != TD_STATE_UNINITIALIZED)
		return -EINVAL;
	if (!init)
		return -EFAULT;
	if (kvm->nr_vcpus)
		return -EBUSY;
	ret = tdx_check_init_vm(kvm, init);
	if (ret)
		return ret;
	ret = tdx_td_params(kvm, init, &params_pa);
	if (ret)
		return ret;
	ret = __tdx_td_init(kvm, cpu, params_pa, &cmd->hw_error);
	physmem_free(kvm->h->pm, params_pa);
	return ret;
}

/* ---- KVM_TDX_FINALIZE_VM ---------------------------------------------- */

static int tdx_td_finalize(struct kvm *kvm, unsigned int cpu, struct kvm_tdx_cmd *cmd)
{
	struct seam_args a = { .rcx = kvm->tdr_pa };

	if (cmd->flags)
		return -EINVAL;
	if (kvm->hkid < 0 || atomic_load(&kvm->state) != TD_STATE_INITIALIZED)
		return -EINVAL;
	cmd->hw_error = kvm_seamcall(kvm, cpu, TDH_MR_FINALIZE, 0, &a);
	if (tdx_operand_busy(cmd->hw_error))
		return -EBUSY;
	if (tdx_status_is_error(cmd->hw_error)) {
		kvm_bug(kvm, TDH_MR_FINALIZE, cmd->hw_error);
		return -EIO;
	}
	atomic_store(&kvm->state, TD_STATE_RUNNABLE);
	return 0;
}

int kvm_vm_tdx_op(struct kvm *kvm, unsigned int cpu, struct kvm_tdx_cmd *cmd)
{
	int ret;

	if (!cmd)
		return -EFAULT;
	if (atomic_load(&kvm->dead))
		return -EIO;
	if (cmd->hw_error)
		return -EINVAL;
	if (cmd->id == KVM_TDX_CAPABILITIES)
		return tdx_get_capabilities(kvm, cmd);
	kvm_mutex_lock(kvm->h, &kvm->lock);
	switch (cmd->id) {
	case KVM_TDX_INIT_VM:
		ret = tdx_td_init(kvm, cpu, cmd);
		break;
	case KVM_TDX_FINALIZE_VM:
		ret = tdx_td_finalize(kvm, cpu, cmd);
		break;
	default:
		ret = -EINVAL;
		break;
	}
	pthread_mutex_unlock(&kvm->lock);
	return ret;
}

/* ---- attestation stand-in --------------------------------------------- */

int kvm_tdx_get_mrtd(struct kvm *kvm, unsigned int cpu, uint8_t mrtd[48])
{
	int ret = 0;

	kvm_mutex_lock(kvm->h, &kvm->lock);
	if (atomic_load(&kvm->dead))
		ret = -EIO;
	else if (atomic_load(&kvm->state) != TD_STATE_RUNNABLE)
		ret = -EINVAL;	/* MRTD is final only after MR.FINALIZE */
	for (int i = 0; !ret && i < 6; i++) {
		struct seam_args a = { .rcx = kvm->tdr_pa, .rdx = TD_MD_FIELD_MRTD0 + i };
		uint64_t status = kvm_seamcall(kvm, cpu, TDH_MNG_RD, 0, &a);

		if (tdx_status_is_error(status)) {
			tdx_log_err(kvm, "", TDH_MNG_RD, status);
			ret = -EIO;
			break;
		}
		put_le64(mrtd + 8 * i, a.r8);
	}
	pthread_mutex_unlock(&kvm->lock);
	return ret;
}
