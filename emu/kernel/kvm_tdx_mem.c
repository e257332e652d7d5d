// SPDX-License-Identifier: MIT
/*
 * KVM TDX private memory (arch/x86/kvm/vmx/tdx.c, virt/kvm/guest_memfd.c;
 * kernel.md 12): private GPA ranges, KVM's record of the Secure EPT tables
 * it gave the module, and KVM_TDX_INIT_MEM_REGION, which adds each page with
 * TDH.MEM.PAGE.ADD and, when measured, 16 TDH.MR.EXTEND (add-then-extend
 * per page: the order decides the MRTD).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/kvm_tdx.h"

/* GPAW 48: the shared bit is GPA bit 47; private memory lies below it. */
#define TDX_GPA_SHARED_BIT	(1ULL << 47)
#define TDX_EXTENDMR_CHUNKSIZE	256
#define SEPT_TOP_LEVEL		3	/* the root (level 4) is a TDCS page */

/* ---- private GPA ranges (KVM_SET_MEMORY_ATTRIBUTES) ------------------- */

int kvm_set_private_memory(struct kvm *kvm, uint64_t gpa, uint64_t nr_pages)
{
	struct kvm_gpa_range *r;
	int ret = 0;

	if (!page_aligned(gpa) || !nr_pages || gpa >= TDX_GPA_SHARED_BIT ||
	    nr_pages > (TDX_GPA_SHARED_BIT - gpa) >> PAGE_SHIFT)
		return -EINVAL;
	kvm_mutex_lock(kvm->h, &kvm->lock);
	r = kvm_grow(kvm->priv, &kvm->cap_priv, kvm->nr_priv, sizeof(*r));
	if (r) {
		kvm->priv = r;
		r[kvm->nr_priv++] = (struct kvm_gpa_range){
			.start = gpa,
			.end = gpa + (nr_pages << PAGE_SHIFT),
		};
	} else {
		ret = -ENOMEM;
	}
	pthread_mutex_unlock(&kvm->lock);
	return ret;
}

/* Is all of [start, end) private? Ranges may overlap or abut. */
static bool kvm_range_private(const struct kvm *kvm, uint64_t start, uint64_t end)
{
	while (start < end) {
		bool found = false;

		for (size_t i = 0; i < kvm->nr_priv; i++) {
			if (kvm->priv[i].start <= start && start < kvm->priv[i].end) {
				start = kvm->priv[i].end;
				found = true;
				break;
			}
		}
		if (!found)
			return false;
	}
	return true;
}

/* ---- Secure EPT: KVM's own record of the tables ---------------------- */

static uint64_t sept_span(int level)
{
	return PAGE_SIZE << (9 * level);
}

static bool tdx_sept_present(const struct kvm *kvm, int level, uint64_t gpa)
{
	for (size_t i = 0; i < kvm->nr_sept; i++)
		if (kvm->sept[i].level == level && kvm->sept[i].gpa == gpa)
			return true;
	return false;
}

/* TDH.MEM.SEPT.ADD of the level-`level` table that maps gpa. */
static int tdx_sept_add(struct kvm *kvm, unsigned int cpu, int level, uint64_t gpa,
			uint64_t *hw_error)
{
	struct kvm_sept_page *rec;
	struct seam_args a = { 0 };
	uint64_t pa, status;

	/* Room for the record first: a table the module took must never be lost. */
	rec = kvm_grow(kvm->sept, &kvm->cap_sept, kvm->nr_sept, sizeof(*rec));
	if (!rec)
		return -ENOMEM;
	kvm->sept = rec;
	if (physmem_alloc(kvm->h->pm, &pa))
		return -ENOMEM;
	a.rcx = gpa | (uint64_t)level;
	a.rdx = kvm->tdr_pa;
	a.r8 = pa;
	status = kvm_seamcall(kvm, cpu, TDH_MEM_SEPT_ADD, 0, &a);
	if (tdx_status_is_error(status)) {
		physmem_free(kvm->h->pm, pa);
		if (tdx_operand_busy(status))
			return -EBUSY;
		*hw_error = status;
		kvm_bug(kvm, TDH_MEM_SEPT_ADD, status);
		return -EIO;
	}
	kvm->sept[kvm->nr_sept++] = (struct kvm_sept_page){ .gpa = gpa, .level = level, .pa = pa };
	return 0;
}

/* Map gpa down to the 4K level: the missing tables, top-down. */
static int tdx_sept_map(struct kvm *kvm, unsigned int cpu, uint64_t gpa, uint64_t *hw_error)
{
	for (int level = SEPT_TOP_LEVEL; level >= 1; level--) {
		uint64_t base = gpa & ~(sept_span(level) - 1);
		int ret;

		if (tdx_sept_present(kvm, level, base))
			continue;
		ret = tdx_sept_add(kvm, cpu, level, base, hw_error);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- KVM_TDX_INIT_MEM_REGION ---------------------------------------- */

static bool tdx_page_added(const struct kvm *kvm, uint64_t gpa)
{
	for (size_t i = 0; i < kvm->nr_pages; i++)
		if (kvm->pages[i].gpa == gpa)
			return true;
	return false;
}

static int tdx_page_add(struct kvm *kvm, unsigned int cpu, uint64_t gpa, uint64_t src_pa,
			uint64_t *hw_error)
{
	struct kvm_td_page *rec;
	struct seam_args a = { 0 };
	uint64_t pa, status;

	rec = kvm_grow(kvm->pages, &kvm->cap_pages, kvm->nr_pages, sizeof(*rec));
	if (!rec)
		return -ENOMEM;
	kvm->pages = rec;
	if (physmem_alloc(kvm->h->pm, &pa))
		return -ENOMEM;
	a.rcx = gpa;
	a.rdx = kvm->tdr_pa;
	a.r8 = pa;
	a.r9 = src_pa;
	status = kvm_seamcall(kvm, cpu, TDH_MEM_PAGE_ADD, 0, &a);
	if (tdx_status_is_error(status)) {
		/* The module checks everything before it takes the page. */
		physmem_free(kvm->h->pm, pa);
		if (tdx_operand_busy(status))
			return -EBUSY;
		/* -EIO per kernel.md 12; that it also kills the VM is ours (inferred). */
		*hw_error = status;
		kvm_bug(kvm, TDH_MEM_PAGE_ADD, status);
		return -EIO;
	}
	kvm->pages[kvm->nr_pages++] = (struct kvm_td_page){ .gpa = gpa, .pa = pa };
	return 0;
}

/* Each chunk is its own SEAMCALL: an update may fall between two of them. */
static int tdx_extend_page(struct kvm *kvm, unsigned int cpu, uint64_t gpa, uint64_t *hw_error)
{
	for (uint64_t off = 0; off < PAGE_SIZE; off += TDX_EXTENDMR_CHUNKSIZE) {
		struct seam_args a = { .rcx = gpa + off, .rdx = kvm->tdr_pa };
		uint64_t status = kvm_seamcall(kvm, cpu, TDH_MR_EXTEND, 0, &a);

		if (tdx_status_is_error(status)) {
			*hw_error = status;
			kvm_bug(kvm, TDH_MR_EXTEND, status);
			return -EIO;
		}
	}
	return 0;
}

/* tdx_gmem_post_populate() for one page; src_pa is a shared bounce page. */
static int tdx_populate_page(struct kvm *kvm, unsigned int cpu, uint64_t src_pa,
			     const struct kvm_tdx_init_mem_region *r, bool measure,
			     uint64_t *hw_error)
{
	int ret;

	/* guest_memfd refuses to populate a page twice. */
	if (tdx_page_added(kvm, r->gpa))
		return -EEXIST;
	ret = tdx_sept_map(kvm, cpu, r->gpa, hw_error);
	if (ret)
		return ret;
	memcpy(physmem_map(kvm->h->pm, src_pa, PAGE_SIZE),
	       (const void *)(uintptr_t)r->source_addr, PAGE_SIZE);
	ret = tdx_page_add(kvm, cpu, r->gpa, src_pa, hw_error);
	if (ret || !measure)
		return ret;
	return tdx_extend_page(kvm, cpu, r->gpa, hw_error);
}

static int tdx_check_region(const struct kvm *kvm, const struct kvm_tdx_init_mem_region *r)
{
	uint64_t len;

	if (!page_aligned(r->source_addr) || !page_aligned(r->gpa) || !r->nr_pages ||
	    r->nr_pages > UINT64_MAX >> PAGE_SHIFT)
		return -EINVAL;
	len = r->nr_pages << PAGE_SHIFT;
	if (r->gpa + len <= r->gpa || !kvm_range_private(kvm, r->gpa, r->gpa + len))
		return -EINVAL;
	if (!r->source_addr || r->source_addr + len <= r->source_addr)
		return -EFAULT;
	return 0;
}

/*
 * Called with vcpu->mutex and kvm->lock held, the TD INITIALIZED. The
 * region is advanced in place page by page, so after an error it names the
 * first page not added, as KVM copies it back to userspace.
 */
int tdx_vcpu_init_mem_region(struct kvm_vcpu *vcpu, unsigned int cpu, struct kvm_tdx_cmd *cmd)
{
	struct kvm_tdx_init_mem_region *r = (void *)(uintptr_t)cmd->data;
	bool measure = cmd->flags & KVM_TDX_MEASURE_MEMORY_REGION;
	struct kvm *kvm = vcpu->kvm;
	uint64_t src_pa;
	int ret;

	if (!vcpu->initialized || (cmd->flags & ~KVM_TDX_MEASURE_MEMORY_REGION))
		return -EINVAL;
	if (!r)
		return -EFAULT;
	ret = tdx_check_region(kvm, r);
	if (ret)
		return ret;
	if (physmem_alloc(kvm->h->pm, &src_pa))
		return -ENOMEM;
	while (r->nr_pages) {
		ret = tdx_populate_page(kvm, cpu, src_pa, r, measure, &cmd->hw_error);
		if (ret)
			break;
		r->source_addr += PAGE_SIZE;
		r->gpa += PAGE_SIZE;
		r->nr_pages--;
	}
	physmem_free(kvm->h->pm, src_pa);
	return ret;
}

/* ---- teardown --------------------------------------------------------- */

void tdx_mem_release(struct kvm *kvm, unsigned int cpu, bool reclaim)
{
	for (size_t i = 0; i < kvm->nr_pages; i++)
		tdx_release_page(kvm, cpu, kvm->pages[i].pa, reclaim);
	/* Leaf tables before the tables that point at them. */
	for (size_t i = kvm->nr_sept; i-- > 0;)
		tdx_release_page(kvm, cpu, kvm->sept[i].pa, reclaim);
	free(kvm->pages);
	free(kvm->sept);
	kvm->pages = NULL;
	kvm->sept = NULL;
	kvm->nr_pages = kvm->cap_pages = 0;
	kvm->nr_sept = kvm->cap_sept = 0;
}
