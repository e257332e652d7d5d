// SPDX-License-Identifier: MIT
/*
 * A TD through KVM, as a VMM builds and runs one (td_kvm.h). The lab and the
 * serving host's workload both go through here; the lab's outputs are
 * byte-for-byte functions of what these calls do, so any change to the
 * SEAMCALLs they make, or to the contents td_kvm_fill writes, changes every
 * lab trace.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lab/td_kvm.h"
#include "emu/guest.h"
#include "tdxup/measure.h"
#include "tdxup/seamldr_abi.h"

int td_kvm_init(struct td_kvm *vmm, struct tdx_host *h, unsigned int cpu, unsigned int nr_pages)
{
	*vmm = (struct td_kvm){ .h = h, .cpu = cpu, .nr_pages = nr_pages };
	/* KVM takes page-aligned source memory, as a VMM mmap()s it. */
	vmm->pages = aligned_alloc(PAGE_SIZE, (size_t)nr_pages * PAGE_SIZE);
	return vmm->pages ? 0 : -ENOMEM;
}

void td_kvm_fini(struct td_kvm *vmm)
{
	td_kvm_destroy(vmm);
	free(vmm->pages);
	vmm->pages = NULL;
}

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

void td_kvm_fill(struct td_kvm *vmm, uint64_t seed)
{
	size_t len = (size_t)vmm->nr_pages * PAGE_SIZE;

	for (size_t i = 0; i + 8 <= len; i += 8)
		put_le64(vmm->pages + i, mix64(seed + i));
	memcpy(vmm->replay, vmm->pages, sizeof(vmm->replay));
}

/* hw_error is the command's alone: KVM wants it 0 on input. */
static int vm_op(struct td_kvm *vmm, struct kvm_tdx_cmd *cmd, uint64_t *hw_error)
{
	int ret;

	cmd->hw_error = 0;
	ret = kvm_vm_tdx_op(vmm->vm, vmm->cpu, cmd);
	*hw_error = cmd->hw_error;
	return ret;
}

static int vcpu_op(struct td_kvm *vmm, struct kvm_tdx_cmd *cmd, uint64_t *hw_error)
{
	int ret;

	cmd->hw_error = 0;
	ret = kvm_vcpu_tdx_op(vmm->vcpu, vmm->cpu, cmd);
	*hw_error = cmd->hw_error;
	return ret;
}

int td_kvm_create(struct td_kvm *vmm, uint64_t *hw_error)
{
	struct kvm_tdx_init_vm init = { .xfam = 3 };
	struct kvm_tdx_cmd cmd = { .id = KVM_TDX_INIT_VM, .data = (uintptr_t)&init };
	int ret = 0;

	vmm->vm = kvm_create_vm(vmm->h, 1, &ret);
	if (!vmm->vm)
		return ret;
	ret = vm_op(vmm, &cmd, hw_error);
	if (ret)
		return ret;
	vmm->vcpu = kvm_create_vcpu(vmm->vm, 0, &ret);
	if (!vmm->vcpu)
		return ret;
	cmd = (struct kvm_tdx_cmd){ .id = KVM_TDX_INIT_VCPU, .data = TD_KVM_GPA_BASE };
	ret = vcpu_op(vmm, &cmd, hw_error);
	if (ret)
		return ret;
	return kvm_set_private_memory(vmm->vm, TD_KVM_GPA_BASE, vmm->nr_pages);
}

int td_kvm_add_pages(struct td_kvm *vmm, uint64_t *hw_error)
{
	struct kvm_tdx_cmd cmd;
	int ret;

	for (unsigned int i = 0; i < vmm->nr_pages; i += TD_KVM_CHUNK_PAGES) {
		unsigned int left = vmm->nr_pages - i;
		struct kvm_tdx_init_mem_region r = {
			.source_addr = (uintptr_t)(vmm->pages + (size_t)i * PAGE_SIZE),
			.gpa = TD_KVM_GPA_BASE + (uint64_t)i * PAGE_SIZE,
			.nr_pages = left < TD_KVM_CHUNK_PAGES ? left : TD_KVM_CHUNK_PAGES,
		};

		cmd = (struct kvm_tdx_cmd){ .id = KVM_TDX_INIT_MEM_REGION,
					    .flags = KVM_TDX_MEASURE_MEMORY_REGION,
					    .data = (uintptr_t)&r };
		ret = vcpu_op(vmm, &cmd, hw_error);
		if (ret)
			return ret;
	}
	return 0;
}

int td_kvm_finalize(struct td_kvm *vmm, uint64_t *hw_error)
{
	struct kvm_tdx_cmd cmd = { .id = KVM_TDX_FINALIZE_VM };

	return vm_op(vmm, &cmd, hw_error);
}

int td_kvm_measure(struct td_kvm *vmm, uint64_t *hw_error)
{
	int ret = td_kvm_add_pages(vmm, hw_error);

	return ret ? ret : td_kvm_finalize(vmm, hw_error);
}

int td_kvm_mrtd_matches(struct td_kvm *vmm, uint8_t mrtd[48])
{
	struct mrtd_calc *c = mrtd_calc_new();
	uint8_t expect[48];
	int ret = -ENOMEM;

	if (!c)
		return ret;
	for (unsigned int i = 0; i < vmm->nr_pages; i++) {
		ret = mrtd_calc_add_page(c, TD_KVM_GPA_BASE + (uint64_t)i * PAGE_SIZE,
					 vmm->pages + (size_t)i * PAGE_SIZE, true);
		if (ret)
			goto out;
	}
	ret = mrtd_calc_final(c, expect);
	if (!ret)
		ret = kvm_tdx_get_mrtd(vmm->vm, vmm->cpu, mrtd);
	if (!ret)
		ret = !memcmp(expect, mrtd, sizeof(expect));
out:
	mrtd_calc_free(c);
	return ret;
}

int td_kvm_run(struct td_kvm *vmm)
{
	struct kvm_run_exit ex;

	return kvm_vcpu_run(vmm->vcpu, vmm->cpu, &ex);
}

int td_kvm_step(struct td_kvm *vmm, struct kvm_run_exit *ex, uint64_t *counter)
{
	uint64_t c, sum;
	int ret = kvm_vcpu_run(vmm->vcpu, vmm->cpu, ex);

	if (ret)
		return ret;
	tdx_guest_step(vmm->replay, &c, &sum);
	if (counter)
		*counter = c;
	return ex->counter == c && ex->checksum == sum;
}

void td_kvm_destroy(struct td_kvm *vmm)
{
	if (vmm->vm)
		kvm_destroy_vm(vmm->vm, vmm->cpu);
	vmm->vm = NULL;
	vmm->vcpu = NULL;
}
