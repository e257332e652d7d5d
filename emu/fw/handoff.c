// SPDX-License-Identifier: MIT
/*
 * Handoff data (tdx-module.md 6.4): written by the old module at
 * TDH.SYS.SHUTDOWN at the start of the SEAM data region, checked by
 * P-SEAMLDR at INSTALL and consumed by the new module at TDH.SYS.UPDATE.
 *
 * Header: +0 valid u8, +1 reserved, +2 hv u16, +4 size u32 (payload bytes).
 * Payload (our serialisation; only the header, HV rules and counters are
 * specified): KOT, WBT, TDMR table, num_of_tdmr_entries, global HKID,
 * pkg_config_bitmap, dynamic_pamt_enabled; then, for HV >= 1 only,
 * td_build_count and mig_interrupted_count.
 */
#include <string.h>

#include "fw/tdx_module.h"

#define HANDOFF_HDR_SIZE	8
#define TDMR_REC_SIZE		17	/* base u64, size u64, initialized u8 */

static size_t handoff_buffer_size(uint16_t num_handoff_pages)
{
	return (size_t)(num_handoff_pages + 1) * PAGE_SIZE - HANDOFF_HDR_SIZE;
}

void handoff_header(const struct seam_platform *p, uint8_t *valid, uint16_t *hv, uint32_t *size)
{
	*valid = p->data_rgn[0];
	*hv = le16(p->data_rgn + 2);
	*size = le32(p->data_rgn + 4);
}

/* SYS.UPDATE step 7 clears valid and size only; hv stays readable. */
void handoff_clear(struct seam_platform *p)
{
	p->data_rgn[0] = 0;
	put_le32(p->data_rgn + 4, 0);
}

static uint8_t *put_bytes(uint8_t *w, const void *src, size_t n)
{
	memcpy(w, src, n);
	return w + n;
}

void handoff_write(struct tdx_module *m, uint16_t hv)
{
	uint8_t *base = m->plat->data_rgn;
	uint8_t *w = base + HANDOFF_HDR_SIZE;
	const struct tdx_globals *g = &m->g;

	w = put_bytes(w, g->kot, sizeof(g->kot));
	w = put_bytes(w, g->wbt, sizeof(g->wbt));
	for (unsigned int i = 0; i < TDX_MAX_TDMRS; i++) {
		put_le64(w, g->tdmr[i].base);
		put_le64(w + 8, g->tdmr[i].size);
		w[16] = g->tdmr[i].initialized;
		w += TDMR_REC_SIZE;
	}
	put_le32(w, g->num_of_tdmr_entries);
	put_le16(w + 4, g->global_hkid);
	put_le32(w + 6, g->pkg_config_bitmap);
	w[10] = g->dynamic_pamt_enabled;
	w += 11;
	if (hv >= MIN_UPDATE_COMPATIBILITY_HV) {
		put_le16(w, g->td_build_count);
		put_le16(w + 2, g->mig_interrupted_count);
		w += 4;
	}
	base[0] = 1;
	base[1] = 0;
	put_le16(base + 2, hv);
	put_le32(base + 4, (uint32_t)(w - base - HANDOFF_HDR_SIZE));
}

/*
 * TDH.SYS.UPDATE steps 3 and 4's size check, against this build's values;
 * the buffer size uses the build's num_handoff_pages (inferred).
 */
uint64_t handoff_check(struct tdx_module *m)
{
	uint8_t valid;
	uint16_t hv;
	uint32_t size;

	handoff_header(m->plat, &valid, &hv, &size);
	if (!valid || hv < m->build.min_update_hv || hv > m->build.module_hv)
		return TDX_SYS_INVALID_HANDOFF;
	if (!size || size > handoff_buffer_size(m->build.num_handoff_pages) ||
	    size > SEAM_DATA_RGN_SIZE - HANDOFF_HDR_SIZE)
		return TDX_SYS_INVALID_HANDOFF;
	return TDX_SUCCESS;
}

void handoff_restore(struct tdx_module *m)
{
	const uint8_t *base = m->plat->data_rgn;
	const uint8_t *r = base + HANDOFF_HDR_SIZE;
	struct tdx_globals *g = &m->g;
	uint16_t hv = le16(base + 2);

	memcpy(g->kot, r, sizeof(g->kot));
	r += sizeof(g->kot);
	memcpy(g->wbt, r, sizeof(g->wbt));
	r += sizeof(g->wbt);
	for (unsigned int i = 0; i < TDX_MAX_TDMRS; i++) {
		g->tdmr[i].base = le64(r);
		g->tdmr[i].size = le64(r + 8);
		g->tdmr[i].initialized = r[16];
		r += TDMR_REC_SIZE;
	}
	g->num_of_tdmr_entries = le32(r);
	if (g->num_of_tdmr_entries > TDX_MAX_TDMRS)
		g->num_of_tdmr_entries = TDX_MAX_TDMRS;
	g->global_hkid = le16(r + 4);
	g->pkg_config_bitmap = le32(r + 6);
	g->dynamic_pamt_enabled = r[10];
	r += 11;
	/* Restore rule: counters travel only from HV >= 1, else they are 0. */
	if (hv >= MIN_UPDATE_COMPATIBILITY_HV) {
		g->td_build_count = le16(r);
		g->mig_interrupted_count = le16(r + 2);
	} else {
		g->td_build_count = 0;
		g->mig_interrupted_count = 0;
	}
}
