/* SPDX-License-Identifier: MIT */
/*
 * KVM's TDX TD-build interface (kernel.md 12), as the emulated host offers
 * it: KVM_MEMORY_ENCRYPT_OP commands on a VM or vCPU, taking struct
 * kvm_tdx_cmd. "Userspace pointers" are plain pointers cast to u64. Every
 * call names the host CPU the calling task runs on; SEAMCALLs hold that CPU
 * one at a time, so an update's stop_machine can fall between any two.
 */
#ifndef TDXUP_KVM_H
#define TDXUP_KVM_H

#include <stdbool.h>
#include <stdint.h>

#include "emu/host.h"

enum kvm_tdx_cmd_id {
	KVM_TDX_CAPABILITIES = 0,
	KVM_TDX_INIT_VM,
	KVM_TDX_INIT_VCPU,
	KVM_TDX_INIT_MEM_REGION,
	KVM_TDX_FINALIZE_VM,
	KVM_TDX_GET_CPUID,
	KVM_TDX_TERMINATE_VM,
	KVM_TDX_CMD_NR_MAX,
};

struct kvm_tdx_cmd {
	uint32_t id;
	uint32_t flags;
	uint64_t data;
	uint64_t hw_error;	/* must be 0 on input; a SEAMCALL status on some errors */
};

/* KVM_TDX_INIT_VM data (fields we model; reserved must be 0). */
struct kvm_tdx_init_vm {
	uint64_t attributes;
	uint64_t xfam;
	uint64_t mrconfigid[6];
	uint64_t mrowner[6];
	uint64_t mrownerconfig[6];
	uint64_t reserved[12];
};

#define KVM_TDX_MEASURE_MEMORY_REGION	(1u << 0)

/* KVM_TDX_INIT_MEM_REGION data; updated in place on -EINTR for resumption. */
struct kvm_tdx_init_mem_region {
	uint64_t source_addr;	/* pointer to nr_pages * PAGE_SIZE bytes */
	uint64_t gpa;
	uint64_t nr_pages;
};

/* KVM_TDX_CAPABILITIES data. */
struct kvm_tdx_capabilities {
	uint64_t supported_attrs;
	uint64_t supported_xfam;
	uint32_t nr_cpuid_configs;
	uint32_t padding;
};

struct kvm;
struct kvm_vcpu;

/* KVM_CREATE_VM(KVM_X86_TDX_VM); -ENODEV when TDX is not (or no longer) up. */
struct kvm *kvm_create_vm(struct tdx_host *h, unsigned int max_vcpus, int *err);
/* Tears the TD down (VP.FLUSH, VPFLUSHDONE, KEY.FREEID, page reclaim) and frees it. */
void kvm_destroy_vm(struct kvm *kvm, unsigned int cpu);

/* KVM_CREATE_VCPU; -EBUSY after FINALIZE. */
struct kvm_vcpu *kvm_create_vcpu(struct kvm *kvm, unsigned int id, int *err);

/* KVM_SET_USER_MEMORY_REGION + SET_MEMORY_ATTRIBUTES(private) for a GPA range. */
int kvm_set_private_memory(struct kvm *kvm, uint64_t gpa, uint64_t nr_pages);

/* KVM_MEMORY_ENCRYPT_OP on the VM (CAPABILITIES, INIT_VM, FINALIZE_VM). */
int kvm_vm_tdx_op(struct kvm *kvm, unsigned int cpu, struct kvm_tdx_cmd *cmd);
/* KVM_MEMORY_ENCRYPT_OP on a vCPU (INIT_VCPU: data = initial RCX, INIT_MEM_REGION). */
int kvm_vcpu_tdx_op(struct kvm_vcpu *vcpu, unsigned int cpu, struct kvm_tdx_cmd *cmd);

struct kvm_run_exit {
	uint64_t status;	/* TDH.VP.ENTER status */
	uint64_t counter;	/* guest's progress report (TDG.VP.VMCALL) */
	uint64_t checksum;
};

/* KVM_RUN: one TDH.VP.ENTER; -EIO (and the VM dead) when the module is gone. */
int kvm_vcpu_run(struct kvm_vcpu *vcpu, unsigned int cpu, struct kvm_run_exit *exit);

/* Emulator-only: the TD's MRTD as an attestation report would carry it. */
int kvm_tdx_get_mrtd(struct kvm *kvm, unsigned int cpu, uint8_t mrtd[48]);
/* Emulator-only: the VM is bugged/dead (KVM_BUG_ON or lost module). */
bool kvm_vm_dead(const struct kvm *kvm);

#endif /* TDXUP_KVM_H */
