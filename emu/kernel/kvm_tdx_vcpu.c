// SPDX-License-Identifier: MIT
/*
 * KVM's TDX vCPUs (arch/x86/kvm/vmx/tdx.c; kernel.md 12): KVM_CREATE_VCPU,
 * KVM_TDX_INIT_VCPU (VP.CREATE, VP.ADDCX, VP.INIT), the vCPU ioctl entry,
 * KVM_RUN (one TDH.VP.ENTER) and the vCPU's share of teardown.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/kvm_tdx.h"

#define VMX_EXIT_REASON_BASIC_MASK	0xFFFFULL

/* ---- teardown ---------------------------------------------------------- */

uint64_t tdx_flush_vp(struct kvm_vcpu *vcpu)
{
	struct seam_args a = { .rcx = vcpu->tdvpr_pa };
	uint64_t status;

	/* VP.FLUSH must run on the LP the vCPU is associated with. */
	status = kvm_seamcall(vcpu->kvm, (unsigned int)vcpu->last_cpu, TDH_VP_FLUSH, 0, &a);
	if (!tdx_status_is_error(status))
		vcpu->last_cpu = -1;
	return status;
}

void tdx_vcpu_release(struct kvm_vcpu *vcpu, unsigned int cpu, bool reclaim)
{
	for (unsigned int i = 0; i < vcpu->tdcx_added; i++)
		tdx_release_page(vcpu->kvm, cpu, vcpu->tdcx_pa[i], reclaim);
	if (vcpu->tdvpr_pa)
		tdx_release_page(vcpu->kvm, cpu, vcpu->tdvpr_pa, reclaim);
	vcpu->tdcx_added = 0;
	vcpu->tdvpr_pa = 0;
	vcpu->initialized = false;
	vcpu->last_cpu = -1;
}

void kvm_vcpu_free(struct kvm_vcpu *vcpu)
{
	pthread_mutex_destroy(&vcpu->mutex);
	free(vcpu->tdcx_pa);
	free(vcpu);
}

/* ---- KVM_CREATE_VCPU -------------------------------------------------- */

static int kvm_vcpu_check_create(struct kvm *kvm, unsigned int id)
{
	if (atomic_load(&kvm->dead))
		return -EIO;
	if (atomic_load(&kvm->state) == TD_STATE_RUNNABLE)
		return -EBUSY;
	if (id >= kvm->max_vcpus || kvm->nr_vcpus >= kvm->max_vcpus)
		return -EINVAL;
	for (unsigned int i = 0; i < kvm->nr_vcpus; i++)
		if (kvm->vcpus[i]->id == id)
			return -EEXIST;
	return 0;
}

static int kvm_vcpu_alloc(struct kvm *kvm, unsigned int id, struct kvm_vcpu **out)
{
	struct kvm_vcpu **arr, *vcpu;

	arr = realloc(kvm->vcpus, (kvm->nr_vcpus + 1) * sizeof(*arr));
	if (!arr)
		return -ENOMEM;
	kvm->vcpus = arr;
	vcpu = calloc(1, sizeof(*vcpu));
	if (!vcpu)
		return -ENOMEM;
	vcpu->tdcx_pa = calloc(kvm->nr_tdcx ? kvm->nr_tdcx : 1, sizeof(*vcpu->tdcx_pa));
	if (!vcpu->tdcx_pa || pthread_mutex_init(&vcpu->mutex, NULL)) {
		free(vcpu->tdcx_pa);
		free(vcpu);
		return -ENOMEM;
	}
	vcpu->kvm = kvm;
	vcpu->id = id;
	vcpu->last_cpu = -1;
	kvm->vcpus[kvm->nr_vcpus++] = vcpu;
	*out = vcpu;
	return 0;
}

/*
 * No SEAMCALL here: the TDVPR is created by INIT_VCPU. Unlike Linux we let
 * userspace create vCPUs before INIT_VM, so that INIT_VM's -EBUSY and
 * INIT_VCPU's -EINVAL for an uninitialised TD can be reached.
 */
struct kvm_vcpu *kvm_create_vcpu(struct kvm *kvm, unsigned int id, int *err)
{
	struct kvm_vcpu *vcpu = NULL;
	int ret;

	kvm_mutex_lock(kvm->h, &kvm->lock);
	ret = kvm_vcpu_check_create(kvm, id);
	if (!ret)
		ret = kvm_vcpu_alloc(kvm, id, &vcpu);
	pthread_mutex_unlock(&kvm->lock);
	if (err)
		*err = ret;
	return vcpu;
}

/* ---- KVM_TDX_INIT_VCPU ------------------------------------------------ */

static int tdx_vcpu_init_err(struct kvm *kvm, uint16_t leaf, uint64_t status, int ret)
{
	if (ret == -EIO)
		kvm_bug(kvm, leaf, status);
	return ret;
}

/* VP.CREATE, VP.ADDCX for each TDCX page, VP.INIT v1 (RDX: guest RCX, R8: x2APIC ID). */
static int tdx_vcpu_init(struct kvm_vcpu *vcpu, unsigned int cpu, struct kvm_tdx_cmd *cmd)
{
	struct kvm *kvm = vcpu->kvm;
	struct seam_args a;
	uint64_t status;
	int ret;

	if (cmd->flags || vcpu->initialized || vcpu->tdvpr_pa)
		return -EINVAL;
	ret = tdx_give_page(kvm, cpu, TDH_VP_CREATE, kvm->tdr_pa, &vcpu->tdvpr_pa, &status);
	if (ret)
		return tdx_vcpu_init_err(kvm, TDH_VP_CREATE, status, ret);
	while (vcpu->tdcx_added < kvm->nr_tdcx) {
		ret = tdx_give_page(kvm, cpu, TDH_VP_ADDCX, vcpu->tdvpr_pa,
				    &vcpu->tdcx_pa[vcpu->tdcx_added], &status);
		if (ret)
			return tdx_vcpu_init_err(kvm, TDH_VP_ADDCX, status, ret);
		vcpu->tdcx_added++;
	}
	a = (struct seam_args){ .rcx = vcpu->tdvpr_pa, .rdx = cmd->data, .r8 = vcpu->id };
	status = kvm_seamcall(kvm, cpu, TDH_VP_INIT, 1, &a);
	if (tdx_status_is_error(status))
		return tdx_vcpu_init_err(kvm, TDH_VP_INIT, status, -EIO);
	vcpu->initialized = true;
	return 0;
}

int kvm_vcpu_tdx_op(struct kvm_vcpu *vcpu, unsigned int cpu, struct kvm_tdx_cmd *cmd)
{
	struct kvm *kvm = vcpu->kvm;
	int ret;

	if (!cmd)
		return -EFAULT;
	if (atomic_load(&kvm->dead))
		return -EIO;
	if (cmd->hw_error)
		return -EINVAL;
	kvm_mutex_lock(kvm->h, &vcpu->mutex);
	kvm_mutex_lock(kvm->h, &kvm->lock);
	/* Before INIT_VM there is no TD; once RUNNABLE its image is fixed. */
	if (atomic_load(&kvm->state) != TD_STATE_INITIALIZED)
		ret = -EINVAL;
	else if (cmd->id == KVM_TDX_INIT_VCPU)
		ret = tdx_vcpu_init(vcpu, cpu, cmd);
	else if (cmd->id == KVM_TDX_INIT_MEM_REGION)
		ret = tdx_vcpu_init_mem_region(vcpu, cpu, cmd);
	else
		ret = -EINVAL;
	pthread_mutex_unlock(&kvm->lock);
	pthread_mutex_unlock(&vcpu->mutex);
	return ret;
}

/* ---- KVM_RUN ---------------------------------------------------------- */

static int tdx_vcpu_pre_run(struct kvm_vcpu *vcpu)
{
	if (atomic_load(&vcpu->kvm->dead))
		return -EIO;
	if (atomic_load(&vcpu->kvm->state) != TD_STATE_RUNNABLE || !vcpu->initialized)
		return -EINVAL;
	return 0;
}

/* tdx_vcpu_load(): a vCPU moving to another LP is first flushed from the old one. */
static int tdx_vcpu_load(struct kvm_vcpu *vcpu, unsigned int cpu)
{
	uint64_t status;

	if (vcpu->last_cpu < 0 || (unsigned int)vcpu->last_cpu == cpu)
		return 0;
	status = tdx_flush_vp(vcpu);
	if (!tdx_status_is_error(status))
		return 0;
	kvm_bug(vcpu->kvm, TDH_VP_FLUSH, status);
	return -EIO;
}

/* One TDH.VP.ENTER; it is never retried, so no sc_retry. */
static int tdx_vcpu_enter(struct kvm_vcpu *vcpu, unsigned int cpu, struct kvm_run_exit *exit)
{
	struct tdx_host *h = vcpu->kvm->h;
	struct seam_args a = { .rcx = vcpu->tdvpr_pa };
	uint64_t status;

	cpu = kvm_cpu_hold(h, cpu);
	status = seamcall_raw(h, cpu, tdx_leaf(TDH_VP_ENTER, 0), &a);
	cpu_release(h, cpu);
	exit->status = status;
	/* VMfailInvalid, TDX_SYS_SHUTDOWN...: the module is gone, and the TD with it. */
	if (tdx_status_is_error(status)) {
		kvm_bug(vcpu->kvm, TDH_VP_ENTER, status);
		return -EIO;
	}
	vcpu->last_cpu = (int)cpu;
	if ((status & VMX_EXIT_REASON_BASIC_MASK) == VMX_EXIT_REASON_TDCALL && !a.r10 &&
	    a.r11 == TDXUP_VMCALL_PROGRESS) {
		exit->counter = a.r12;
		exit->checksum = a.r13;
	}
	return 0;
}

int kvm_vcpu_run(struct kvm_vcpu *vcpu, unsigned int cpu, struct kvm_run_exit *exit)
{
	int ret;

	if (!exit)
		return -EFAULT;
	memset(exit, 0, sizeof(*exit));
	kvm_mutex_lock(vcpu->kvm->h, &vcpu->mutex);
	ret = tdx_vcpu_pre_run(vcpu);
	if (!ret)
		ret = tdx_vcpu_load(vcpu, cpu);
	if (!ret)
		ret = tdx_vcpu_enter(vcpu, cpu, exit);
	pthread_mutex_unlock(&vcpu->mutex);
	return ret;
}
