/* SPDX-License-Identifier: MIT */
/*
 * Test harness for KVM's TDX interface: an emulated host, a TD built through
 * the ioctls with its offline MRTD reference and a replay copy of the guest's
 * work page, and the SEAMCALL trace. Helpers assert on failure.
 */
#ifndef TDXUP_TESTS_KVM_HARNESS_H
#define TDXUP_TESTS_KVM_HARNESS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu/host.h"
#include "emu/kvm.h"
#include "tdxup/measure.h"

#define GPA_BASE	0x100000ULL
#define MAX_PAGES	16

struct trace {
	pthread_mutex_t lock;
	uint16_t leaf[4096];
	unsigned int cpu[4096];
	size_t n;
};

struct td {
	struct tdx_host *h;
	unsigned int cpu;
	struct kvm *kvm;
	struct kvm_vcpu *vcpu;
	uint8_t *mem;		/* MAX_PAGES source pages, page-aligned */
	uint8_t work[PAGE_SIZE];	/* replay copy of the guest's work page */
	struct mrtd_calc *ref;
	uint8_t want[48];	/* the reference MRTD, once final */
	bool final;
};

/* An 8-CPU, 2-package host booted with 1.5.25; t (optional) records SEAMCALLs. */
struct tdx_host *kh_host_new(enum kernel_profile prof, enum lockstep_driver drv,
			     struct trace *t);
uint64_t kh_nr_free(struct tdx_host *h);		/* free physmem frames */
uint64_t kh_hkids_in_use(struct tdx_host *h);	/* the kernel's HKID bitmap */
/* Nothing leaked since free0 = kh_nr_free(h): every frame back, no HKID held. */
void kh_assert_clean(struct tdx_host *h, uint64_t free0);
/* An update to a catalogue version, in the image format of the host's profile. */
int kh_update_to(struct tdx_host *h, const char *version);
void kh_assert_update_version(struct tdx_host *h, uint16_t update);

void kh_fill_page(uint8_t *p, uint64_t seed);
int kh_vm_op(struct td *td, uint32_t id, uint32_t flags, uint64_t data, uint64_t *hw);
int kh_vcpu_op(struct td *td, uint32_t id, uint32_t flags, uint64_t data, uint64_t *hw);
int kh_init_vm(struct td *td, uint64_t *hw);
/* A VM (max 4 vCPUs) with MAX_PAGES private pages at GPA_BASE and their contents. */
void kh_td_new(struct td *td, struct tdx_host *h, unsigned int cpu, uint64_t seed);
/* vCPU 0, initialised with its work page at GPA_BASE. */
void kh_td_vcpu(struct td *td);
/* INIT_MEM_REGION of pages [first, first + n); the reference follows on success. */
int kh_td_region(struct td *td, unsigned int first, unsigned int n, bool measure,
		 uint64_t *hw);
void kh_td_finalize(struct td *td);
bool kh_td_mrtd_matches(struct td *td);
/* n KVM_RUNs, each checked against a replay of the guest's step. */
void kh_td_run(struct td *td, unsigned int n);
void kh_td_free(struct td *td);
/* INIT_VM, vCPU, pages measured in two regions; kh_td_build also finalizes. */
void kh_td_build_pages(struct td *td, struct tdx_host *h, unsigned int cpu, uint64_t seed,
		       unsigned int pages);
void kh_td_build(struct td *td, struct tdx_host *h, unsigned int cpu, uint64_t seed,
		 unsigned int pages);

#endif
