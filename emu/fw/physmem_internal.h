/* SPDX-License-Identifier: MIT */
/*
 * Firmware-private view of emulated physical memory. The layout is here,
 * not in physmem.c, only so that the SEAMCALL hot paths (TD lookup, SEPT
 * walk: about ten mappings per TDH.MR.EXTEND) can map frames inline instead
 * of through an out-of-line call each. The checks are physmem_map()'s, one
 * for one; outside emu/fw, emu/physmem.h is the interface.
 */
#ifndef TDXUP_FW_PHYSMEM_INTERNAL_H
#define TDXUP_FW_PHYSMEM_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "emu/physmem.h"

struct physmem {
	uint64_t nr_frames;
	_Atomic(uint8_t *) *frames;	/* backing store, NULL until first use */
	atomic_uchar *allocated;	/* 1 while handed out */
	pthread_mutex_t lock;		/* serialises alloc/free */
	uint64_t next;			/* allocation cursor */
	uint64_t nr_free;
	uint64_t peak_used;		/* most frames ever handed out at once */
};

/* physmem_map(), inline. */
static inline void *pm_map(struct physmem *pm, uint64_t pa, size_t len)
{
	uint64_t i = pa >> PAGE_SHIFT;
	uint64_t off = pa & (PAGE_SIZE - 1);
	uint8_t *frame;

	if (!len || i >= pm->nr_frames || off + len > PAGE_SIZE)
		return NULL;
	if (!atomic_load(&pm->allocated[i]))
		return NULL;
	frame = atomic_load(&pm->frames[i]);
	return frame ? frame + off : NULL;
}

/* physmem_pa_in_range(), inline. */
static inline int pm_pa_in_range(const struct physmem *pm, uint64_t pa)
{
	return (pa >> PAGE_SHIFT) < pm->nr_frames;
}

#endif /* TDXUP_FW_PHYSMEM_INTERNAL_H */
