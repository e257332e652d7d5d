/* SPDX-License-Identifier: MIT */
/*
 * KVM's TDX state (arch/x86/kvm/vmx/tdx.h): struct kvm and struct kvm_vcpu
 * for TD VMs, shared by kvm_tdx.c (VM ioctls, teardown), kvm_tdx_vcpu.c
 * (vCPU ioctls, KVM_RUN) and kvm_tdx_mem.c (private memory, Secure EPT,
 * KVM_TDX_INIT_MEM_REGION).
 *
 * Locking, as in KVM: vcpu->mutex (vCPU ioctls, KVM_RUN) nests outside
 * kvm->lock (VM state, the page records; it also plays slots_lock). The
 * state and the dead flag are atomics so that KVM_RUN can read them
 * without the VM lock. Neither lock is held by the updater: stop_machine
 * only waits for held CPUs, and every SEAMCALL holds its CPU by itself.
 */
#ifndef TDXUP_KERNEL_KVM_TDX_H
#define TDXUP_KERNEL_KVM_TDX_H

#include <stdatomic.h>
#include <stddef.h>

#include "kernel/kernel.h"
#include "emu/kvm.h"
#include "tdxup/td_abi.h"

enum kvm_tdx_state {
	TD_STATE_UNINITIALIZED,
	TD_STATE_INITIALIZED,	/* MNG.INIT done: the TD-build window is open */
	TD_STATE_RUNNABLE,	/* MR.FINALIZE done */
};

struct kvm_gpa_range {
	uint64_t start, end;		/* [start, end), private */
};

struct kvm_sept_page {
	uint64_t gpa;			/* aligned to the span the table maps */
	int level;			/* 1..3 */
	uint64_t pa;
};

struct kvm_td_page {
	uint64_t gpa;
	uint64_t pa;
};

struct kvm {
	struct tdx_host *h;
	pthread_mutex_t lock;
	struct tdx_sys_info sysinfo;	/* KVM's copy, taken at VM creation */
	unsigned int max_vcpus;
	unsigned int nr_tdcs;		/* TDCS pages the module wants */
	unsigned int nr_tdcx;		/* TDVPS pages besides the TDVPR */
	atomic_int state;		/* enum kvm_tdx_state */
	atomic_bool dead;		/* KVM_BUG_ON, or the module was lost */

	int hkid;			/* -1 when none */
	uint64_t tdr_pa;		/* 0 when MNG.CREATE has not succeeded */
	uint64_t *tdcs_pa;		/* pages the module accepted (ADDCX) */
	unsigned int tdcs_added;
	uint64_t tsc_offset, tsc_multiplier;

	struct kvm_vcpu **vcpus;
	unsigned int nr_vcpus;

	struct kvm_gpa_range *priv;
	size_t nr_priv, cap_priv;
	struct kvm_sept_page *sept;	/* KVM's own record of Secure EPT tables */
	size_t nr_sept, cap_sept;
	struct kvm_td_page *pages;	/* private pages added with PAGE.ADD */
	size_t nr_pages, cap_pages;
	size_t nr_leaked;		/* pages the module could not take back */
};

struct kvm_vcpu {
	struct kvm *kvm;
	unsigned int id;
	pthread_mutex_t mutex;
	bool initialized;		/* VP.INIT done */
	uint64_t tdvpr_pa;		/* 0 when VP.CREATE has not succeeded */
	uint64_t *tdcx_pa;
	unsigned int tdcx_added;
	int last_cpu;			/* LP the vCPU is associated with, or -1 */
};

/* kvm_tdx.c */
void kvm_mutex_lock(struct tdx_host *h, pthread_mutex_t *m);
/* Hold cpu (or, if it went offline, the CPU the task moved to); returns it. */
unsigned int kvm_cpu_hold(struct tdx_host *h, unsigned int cpu);
uint64_t kvm_seamcall(struct kvm *kvm, unsigned int cpu, uint16_t leaf, uint8_t ver,
		      struct seam_args *a);
/* KVM_BUG_ON(): log the failed leaf and mark the VM dead. */
void kvm_bug(struct kvm *kvm, uint16_t leaf, uint64_t status);
/* Room for element nr in a growable array: the (new) array, NULL on ENOMEM. */
void *kvm_grow(void *arr, size_t *cap, size_t nr, size_t elem);
bool tdx_operand_busy(uint64_t status);
/* PHYMEM.PAGE.RECLAIM and free, or count the page leaked (!reclaim, or failure). */
void tdx_release_page(struct kvm *kvm, unsigned int cpu, uint64_t pa, bool reclaim);
/* Allocate a page and give it to the module (RCX = page, RDX = owner): 0, -ENOMEM or -EIO. */
int tdx_give_page(struct kvm *kvm, unsigned int cpu, uint16_t leaf, uint64_t owner,
		  uint64_t *pa, uint64_t *status);
void tdx_log_err(struct kvm *kvm, const char *what, uint64_t leaf, uint64_t status);

/* kvm_tdx_vcpu.c */
uint64_t tdx_flush_vp(struct kvm_vcpu *vcpu);
/* Reclaim (or leak) the TDVPR and TDCX pages. */
void tdx_vcpu_release(struct kvm_vcpu *vcpu, unsigned int cpu, bool reclaim);
void kvm_vcpu_free(struct kvm_vcpu *vcpu);

/* kvm_tdx_mem.c */
int tdx_vcpu_init_mem_region(struct kvm_vcpu *vcpu, unsigned int cpu, struct kvm_tdx_cmd *cmd);
/* Reclaim (or knowingly leak) the private and Secure EPT pages; frees the records. */
void tdx_mem_release(struct kvm *kvm, unsigned int cpu, bool reclaim);

#endif /* TDXUP_KERNEL_KVM_TDX_H */
