/* SPDX-License-Identifier: MIT */
/*
 * Emulated physical memory: 4 KiB frames addressed by physical address.
 * Frame 0 is never handed out, so PA 0 is the null address. Frames are
 * backed lazily, so a platform may have a large physical address space.
 */
#ifndef TDXUP_PHYSMEM_H
#define TDXUP_PHYSMEM_H

#include <stddef.h>
#include <stdint.h>

#include "tdxup/page.h"

static inline int page_aligned(uint64_t pa)
{
	return (pa & (PAGE_SIZE - 1)) == 0;
}

struct physmem;

struct physmem *physmem_create(uint64_t nr_frames);
void physmem_destroy(struct physmem *pm);

/* Allocate one zeroed frame; -ENOMEM when none is free. */
int physmem_alloc(struct physmem *pm, uint64_t *pa);
/* Allocate n frames (not necessarily contiguous); all or nothing. */
int physmem_alloc_n(struct physmem *pm, size_t n, uint64_t *pas);
void physmem_free(struct physmem *pm, uint64_t pa);
void physmem_free_n(struct physmem *pm, size_t n, const uint64_t *pas);

/*
 * Bytes at [pa, pa + len): NULL if the range leaves physical memory, touches
 * a frame that is not allocated, or crosses a frame boundary. Firmware maps
 * every operand through this, so a bad PA can never become a wild pointer.
 */
void *physmem_map(struct physmem *pm, uint64_t pa, size_t len);

/* Whether pa is inside physical memory at all (allocated or not). */
int physmem_pa_in_range(const struct physmem *pm, uint64_t pa);

uint64_t physmem_nr_frames(const struct physmem *pm);
uint64_t physmem_nr_free(struct physmem *pm);
/* The most frames allocated at once so far (what a size check must cover). */
uint64_t physmem_peak_used(struct physmem *pm);

/* Copy a buffer into freshly allocated frames (for images, TD_PARAMS...). */
int physmem_load(struct physmem *pm, const void *buf, size_t len, uint64_t *pas,
		 size_t max_pages, size_t *nr_pages);

#endif /* TDXUP_PHYSMEM_H */
