// SPDX-License-Identifier: MIT
/*
 * Secure EPT, minimal: a real 4-level radix tree of 512-entry pages in host
 * memory, rooted in a TDCS page, so that the mapping of private TD memory
 * survives a module update exactly as the TD's pages do. Entries hold the
 * HPA of the next table (or of the TD page) and a present bit (inferred
 * encoding; no permissions, no large pages, no blocking).
 */
#include <string.h>

#include "fw/physmem_internal.h"
#include "fw/td_struct.h"

static unsigned int sept_index(uint64_t gpa, int level)
{
	return (gpa >> (PAGE_SHIFT + 9 * (level - 1))) & 511;
}

/*
 * Find the entry for gpa in the level-`level` table (1 = the PT that maps
 * 4 KiB pages, 4 = the root). A missing table on the way is
 * TDX_EPT_WALK_FAILED with the failing entry in RCX and its level in RDX.
 */
uint64_t sept_walk(struct tdx_module *m, struct td_ref *td, uint64_t gpa, int level,
		   uint8_t **entry, struct seam_args *a)
{
	uint8_t *table = td->tdcs[TDCS_SEPT_ROOT_PAGE];

	for (int l = SEPT_LEVELS; l > level; l--) {
		uint8_t *e = table + 8 * sept_index(gpa, l);
		uint64_t v = le64(e);

		if (!(v & SEPT_PRESENT)) {
			a->rcx = v;
			a->rdx = (uint64_t)l;
			return TDX_EPT_WALK_FAILED;
		}
		table = pm_map(m->plat->pm, v & PAGE_MASK, PAGE_SIZE);
		if (!table)
			return TDX_EPT_WALK_FAILED;
	}
	*entry = table + 8 * sept_index(gpa, level);
	return TDX_SUCCESS;
}

/* The bytes of private TD memory at gpa (256-byte granularity suffices). */
uint64_t sept_map_gpa(struct tdx_module *m, struct td_ref *td, uint64_t gpa, uint8_t **data)
{
	struct seam_args scratch;
	uint8_t *entry, *page;
	uint64_t v, ret;

	ret = sept_walk(m, td, gpa, 1, &entry, &scratch);
	if (ret)
		return ret;
	v = le64(entry);
	if (!(v & SEPT_PRESENT))
		return TDX_EPT_ENTRY_NOT_PRESENT;
	page = pm_map(m->plat->pm, v & PAGE_MASK, PAGE_SIZE);
	if (!page)
		return TDX_EPT_ENTRY_NOT_PRESENT;
	*data = page + (gpa & (PAGE_SIZE - 1));
	return TDX_SUCCESS;
}

/*
 * TDH.MEM.SEPT.ADD: RCX = level (2:0) | GPA, RDX = TDR (low bits: flags,
 * ignored), R8 = the new table page. Level L is the new table's level
 * (1..3), so the GPA must be aligned to the span that table maps.
 */
uint64_t td_mem_sept_add(struct tdx_module *m, unsigned int lp, struct seam_args *a)
{
	int level = a->rcx & 7;
	uint64_t gpa = a->rcx & PAGE_MASK;
	uint8_t *entry, *page;
	struct td_ref td;
	uint64_t ret;

	ret = td_lookup(m, a->rdx & PAGE_MASK, TDX_OPERAND_ID_RDX, &td);
	if (ret)
		return ret;
	ret = td_gate(m, &td, TDH_MEM_SEPT_ADD);
	if (ret)
		return ret;
	if (level < 1 || level >= SEPT_LEVELS || (a->rcx & 0xFF8) || gpa >= GPA_MAX ||
	    (gpa & GPA_SHARED_BIT) || gpa & ((PAGE_SIZE << (9 * level)) - 1))
		return tdx_operand(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	ret = td_claim_page(m, a->r8, TDX_OPERAND_ID_R8, &page);
	if (ret)
		return ret;
	ret = sept_walk(m, &td, gpa, level + 1, &entry, a);
	if (ret)
		return ret;
	if (le64(entry) & SEPT_PRESENT) {
		a->rcx = le64(entry);
		a->rdx = (uint64_t)(level + 1);
		return TDX_EPT_ENTRY_NOT_FREE;
	}
	memset(page, 0, PAGE_SIZE);
	put_le64(entry, a->r8 | SEPT_PRESENT);
	td_own_page(m, &td, a->r8, PT_EPT);
	pamt_get(m->plat, a->r8)->level = (uint8_t)level;
	a->rcx = 0;
	a->rdx = 0;
	return TDX_SUCCESS;
}
