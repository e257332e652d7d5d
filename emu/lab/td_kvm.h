/* SPDX-License-Identifier: MIT */
/*
 * One TD as a VMM holds it: built, measured, run and torn down through
 * KVM's TD-build interface (emu/kvm.h). The lab's actors (lab.c) and the
 * serving host's workload (workload.c) share it and keep their own logging
 * and accounting around the calls. Each call makes exactly the SEAMCALLs
 * its ioctls make, on vmm->cpu, and draws no random numbers, so a caller's
 * sequence of calls is its sequence of SEAMCALLs: the lab's deterministic
 * scheduler interleaves the same way whoever makes them.
 */
#ifndef TDXUP_LAB_TD_KVM_H
#define TDXUP_LAB_TD_KVM_H

#include <stdint.h>

#include "emu/kvm.h"
#include "tdxup/page.h"

/* The first page is the guest's work page: the vCPU's initial RCX. */
#define TD_KVM_GPA_BASE		0x100000ULL
#define TD_KVM_CHUNK_PAGES	16	/* pages per INIT_MEM_REGION call */

struct td_kvm {
	struct tdx_host *h;
	unsigned int cpu;		/* the host CPU the VMM's thread runs on */
	struct kvm *vm;
	struct kvm_vcpu *vcpu;
	uint8_t *pages;			/* the TD's initial memory, page-aligned */
	unsigned int nr_pages;
	uint8_t replay[PAGE_SIZE];		/* the guest's work page, replayed */
};

/* No VM yet; allocates the pages. 0 or -ENOMEM. */
int td_kvm_init(struct td_kvm *vmm, struct tdx_host *h, unsigned int cpu, unsigned int nr_pages);
/* Tears the VM down if there is one, and frees the pages. */
void td_kvm_fini(struct td_kvm *vmm);

/*
 * Deterministic contents from seed, the replay starting from them. Word i
 * is mix64(seed + 8 * i): two seeds 8 * k apart give copies shifted by k
 * words, so a caller that wants unrelated contents spreads its seeds.
 */
void td_kvm_fill(struct td_kvm *vmm, uint64_t seed);

/*
 * KVM_CREATE_VM, INIT_VM, the vCPU, INIT_VCPU and the private memory: the
 * TD-build window opens at INIT_VM. 0 or -errno, with the failing
 * command's hw_error. A VM created before a failure stays for destroy.
 */
int td_kvm_create(struct td_kvm *vmm, uint64_t *hw_error);
/* INIT_MEM_REGION (measured) chunk by chunk, then FINALIZE_VM; as create. */
int td_kvm_measure(struct td_kvm *vmm, uint64_t *hw_error);
/* Its two halves: every INIT_MEM_REGION; FINALIZE_VM. */
int td_kvm_add_pages(struct td_kvm *vmm, uint64_t *hw_error);
int td_kvm_finalize(struct td_kvm *vmm, uint64_t *hw_error);
/*
 * 1 when the module's MRTD (read into mrtd) matches the offline measurement
 * of the pages, 0 when it differs, -errno when either could not be had.
 */
int td_kvm_mrtd_matches(struct td_kvm *vmm, uint8_t mrtd[48]);

/* One KVM_RUN, unchecked; -errno when the TD is dead. */
int td_kvm_run(struct td_kvm *vmm);
/*
 * One KVM_RUN checked against the replay of the guest: 1 the guest's report
 * matches, 0 it differs, -errno when the run failed (the replay is not
 * stepped then). ex is the guest's report, counter (if not NULL) the
 * replay's step counter.
 */
int td_kvm_step(struct td_kvm *vmm, struct kvm_run_exit *ex, uint64_t *counter);

/* KVM's teardown of the VM, if any; the pages stay for a rebuild. */
void td_kvm_destroy(struct td_kvm *vmm);

#endif /* TDXUP_LAB_TD_KVM_H */
