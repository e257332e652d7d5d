// SPDX-License-Identifier: MIT
/*
 * vCPU leaves: VP.CREATE, VP.ADDCX, VP.INIT, VP.ENTER, VP.FLUSH. VP.ENTER
 * runs one step of the emulated guest (emu/include/emu/guest.h) and exits
 * with a TDG.VP.VMCALL that reports the guest's progress.
 */
#include <string.h>

#include "fw/td_struct.h"
#include "emu/guest.h"

#define VMX_EXIT_REASON_EPT_VIOLATION	48

struct vcpu_ref {
	uint64_t tdvpr_pa;
	uint8_t *tdvpr;
	struct td_ref td;
};

static uint64_t vcpu_lookup(struct tdx_module *m, uint64_t pa, enum tdx_operand_id op,
			    struct vcpu_ref *v)
{
	struct pamt_entry *pe;

	if (!page_aligned(pa))
		return tdx_operand(TDX_OPERAND_INVALID, op);
	if (!physmem_pa_in_range(m->plat->pm, pa))
		return tdx_operand(TDX_OPERAND_ADDR_RANGE_ERROR, op);
	pe = pamt_get(m->plat, pa);
	if (pe->type != PT_TDVPR)
		return tdx_operand(TDX_PAGE_METADATA_INCORRECT, op);
	v->tdvpr_pa = pa;
	v->tdvpr = physmem_map(m->plat->pm, pa, PAGE_SIZE);
	if (!v->tdvpr)
		return tdx_operand(TDX_OPERAND_ADDR_RANGE_ERROR, op);
	return td_lookup(m, pe->owner, op, &v->td);
}

uint64_t td_vp_create(struct tdx_module *m, unsigned int lp, struct seam_args *a)
{
	struct td_ref td;
	uint8_t *tdvpr, *tdcs;
	uint32_t n;
	uint64_t ret;

	ret = td_lookup(m, a->rdx, TDX_OPERAND_ID_RDX, &td);
	if (ret)
		return ret;
	ret = td_gate(m, &td, TDH_VP_CREATE);
	if (ret)
		return ret;
	tdcs = td.tdcs[0];
	n = le32(tdcs + TDCS_NUM_VCPUS);
	if (n >= le32(tdcs + TDCS_MAX_VCPUS))
		return TDX_MAX_VCPUS_EXCEEDED;
	ret = td_claim_page(m, a->rcx, TDX_OPERAND_ID_RCX, &tdvpr);
	if (ret)
		return ret;
	memset(tdvpr, 0, PAGE_SIZE);
	tdvpr[TDVPR_STATE] = VCPU_CREATED;
	put_le32(tdvpr + TDVPR_INDEX, n);
	put_le64(tdvpr + TDVPR_TDR, td.tdr_pa);
	put_le32(tdvpr + TDVPR_ASSOC_LP, TDVPR_NO_LP);
	td_own_page(m, &td, a->rcx, PT_TDVPR);
	put_le32(tdcs + TDCS_NUM_VCPUS, n + 1);
	return TDX_SUCCESS;
}

uint64_t td_vp_addcx(struct tdx_module *m, unsigned int lp, struct seam_args *a)
{
	struct vcpu_ref v;
	uint8_t *page, n;
	uint64_t ret;

	ret = vcpu_lookup(m, a->rdx, TDX_OPERAND_ID_RDX, &v);
	if (!ret)
		ret = td_gate(m, &v.td, TDH_VP_ADDCX);
	if (ret)
		return ret;
	if (v.tdvpr[TDVPR_STATE] != VCPU_CREATED)
		return TDX_VCPU_STATE_INCORRECT;
	n = v.tdvpr[TDVPR_NUM_TDCX];
	if (n >= TDX_TDVPS_PAGES - 1)
		return TDX_TDCX_NUM_INCORRECT;
	ret = td_claim_page(m, a->rcx, TDX_OPERAND_ID_RCX, &page);
	if (ret)
		return ret;
	memset(page, 0, PAGE_SIZE);
	put_le64(v.tdvpr + TDVPR_TDCX_PA + 8 * n, a->rcx);
	v.tdvpr[TDVPR_NUM_TDCX] = n + 1;
	td_own_page(m, &v.td, a->rcx, PT_TDCX);
	return TDX_SUCCESS;
}

static bool x2apic_in_use(const struct vcpu_ref *v, uint32_t id)
{
	const uint8_t *ids = v->td.tdcs[TDCS_X2APIC_PAGE];
	uint32_t n = le32(v->td.tdcs[0] + TDCS_NUM_INIT_VCPUS);

	for (uint32_t i = 0; i < n; i++)
		if (le32(ids + 4 * i) == id)
			return true;
	return false;
}

uint64_t td_vp_init(struct tdx_module *m, unsigned int lp, struct seam_args *a,
		    unsigned int ver)
{
	struct vcpu_ref v;
	uint32_t x2apic, n;
	uint64_t ret;

	ret = vcpu_lookup(m, a->rcx, TDX_OPERAND_ID_RCX, &v);
	if (!ret)
		ret = td_gate(m, &v.td, TDH_VP_INIT);
	if (ret)
		return ret;
	if (v.tdvpr[TDVPR_STATE] != VCPU_CREATED)
		return TDX_VCPU_STATE_INCORRECT;
	if (v.tdvpr[TDVPR_NUM_TDCX] != TDX_TDVPS_PAGES - 1)
		return TDX_TDCX_NUM_INCORRECT;
	if (ver == 1 && a->r8 >> 32)
		return tdx_operand(TDX_OPERAND_INVALID, TDX_OPERAND_ID_R8);
	/* Version 0 has no x2APIC input; the vCPU index stands in (inferred). */
	x2apic = ver == 1 ? (uint32_t)a->r8 : le32(v.tdvpr + TDVPR_INDEX);
	n = le32(v.td.tdcs[0] + TDCS_NUM_INIT_VCPUS);
	if (x2apic_in_use(&v, x2apic))
		return TDX_X2APIC_ID_NOT_UNIQUE;
	put_le32(v.td.tdcs[TDCS_X2APIC_PAGE] + 4 * n, x2apic);
	put_le32(v.td.tdcs[0] + TDCS_NUM_INIT_VCPUS, n + 1);
	put_le32(v.tdvpr + TDVPR_X2APIC_ID, x2apic);
	put_le64(v.tdvpr + TDVPR_GUEST_RCX, a->rdx);
	v.tdvpr[TDVPR_STATE] = VCPU_INITIALIZED;
	return TDX_SUCCESS;
}

static void associate(struct vcpu_ref *v, unsigned int lp)
{
	uint8_t *tdcs = v->td.tdcs[0];

	/*
	 * The real module wants VP.FLUSH on the old LP before a vCPU moves;
	 * the emulated host migrates vCPUs freely, so we re-associate (inferred).
	 */
	if (le32(v->tdvpr + TDVPR_ASSOC_LP) == TDVPR_NO_LP)
		put_le32(tdcs + TDCS_NUM_ASSOC_VCPUS, le32(tdcs + TDCS_NUM_ASSOC_VCPUS) + 1);
	put_le32(v->tdvpr + TDVPR_ASSOC_LP, lp);
}

uint64_t td_vp_enter(struct tdx_module *m, unsigned int lp, struct seam_args *a)
{
	uint64_t gpa, counter, checksum;
	struct vcpu_ref v;
	uint8_t *data;
	uint64_t ret;

	ret = vcpu_lookup(m, a->rcx, TDX_OPERAND_ID_RCX, &v);
	if (!ret)
		ret = td_gate(m, &v.td, TDH_VP_ENTER);
	if (ret)
		return ret;
	if (v.tdvpr[TDVPR_STATE] != VCPU_INITIALIZED)
		return TDX_VCPU_STATE_INCORRECT;
	associate(&v, lp);
	gpa = le64(v.tdvpr + TDVPR_GUEST_RCX) & PAGE_MASK;
	if (sept_map_gpa(m, &v.td, gpa, &data)) {
		a->rcx = gpa;
		return TDX_SUCCESS | VMX_EXIT_REASON_EPT_VIOLATION;
	}
	tdx_guest_step(data, &counter, &checksum);
	a->r10 = 0;			/* TDG.VP.VMCALL */
	a->r11 = TDXUP_VMCALL_PROGRESS;
	a->r12 = counter;
	a->r13 = checksum;
	a->r14 = gpa;
	return TDX_SUCCESS | VMX_EXIT_REASON_TDCALL;
}

uint64_t td_vp_flush(struct tdx_module *m, unsigned int lp, struct seam_args *a)
{
	struct vcpu_ref v;
	uint8_t *tdcs;
	uint64_t ret;

	ret = vcpu_lookup(m, a->rcx, TDX_OPERAND_ID_RCX, &v);
	if (!ret)
		ret = td_gate(m, &v.td, TDH_VP_FLUSH);
	if (ret)
		return ret;
	if (le32(v.tdvpr + TDVPR_ASSOC_LP) == TDVPR_NO_LP)
		return TDX_SUCCESS;
	tdcs = v.td.tdcs[0];
	put_le32(v.tdvpr + TDVPR_ASSOC_LP, TDVPR_NO_LP);
	put_le32(tdcs + TDCS_NUM_ASSOC_VCPUS, le32(tdcs + TDCS_NUM_ASSOC_VCPUS) - 1);
	return TDX_SUCCESS;
}
