// SPDX-License-Identifier: MIT
/*
 * Emulated physical memory. Frames are backed on first allocation and kept
 * (zeroed on reuse), so a pointer obtained from physmem_map() stays valid
 * for the platform's lifetime even if the frame is freed concurrently: the
 * emulator must not turn a host bug into a use-after-free of its own.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fw/physmem_internal.h"

struct physmem *physmem_create(uint64_t nr_frames)
{
	struct physmem *pm;

	if (nr_frames < 2 || nr_frames > (1ULL << 28))
		return NULL;
	pm = calloc(1, sizeof(*pm));
	if (!pm)
		return NULL;
	pm->frames = calloc(nr_frames, sizeof(*pm->frames));
	pm->allocated = calloc(nr_frames, sizeof(*pm->allocated));
	if (!pm->frames || !pm->allocated)
		goto err;
	pthread_mutex_init(&pm->lock, NULL);
	pm->nr_frames = nr_frames;
	pm->next = 1;			/* frame 0 is the null address */
	pm->nr_free = nr_frames - 1;
	return pm;
err:
	free(pm->frames);
	free(pm->allocated);
	free(pm);
	return NULL;
}

void physmem_destroy(struct physmem *pm)
{
	if (!pm)
		return;
	for (uint64_t i = 0; i < pm->nr_frames; i++)
		free(atomic_load(&pm->frames[i]));
	pthread_mutex_destroy(&pm->lock);
	free(pm->frames);
	free(pm->allocated);
	free(pm);
}

static int alloc_one_locked(struct physmem *pm, uint64_t *pa)
{
	for (uint64_t n = 0; n < pm->nr_frames; n++) {
		uint64_t i = pm->next;
		uint8_t *frame;

		pm->next = pm->next + 1 < pm->nr_frames ? pm->next + 1 : 1;
		if (i == 0 || atomic_load(&pm->allocated[i]))
			continue;
		frame = atomic_load(&pm->frames[i]);
		if (!frame) {
			frame = calloc(1, PAGE_SIZE);
			if (!frame)
				return -ENOMEM;
			atomic_store(&pm->frames[i], frame);
		} else {
			memset(frame, 0, PAGE_SIZE);
		}
		atomic_store(&pm->allocated[i], 1);
		pm->nr_free--;
		if (pm->nr_frames - 1 - pm->nr_free > pm->peak_used)
			pm->peak_used = pm->nr_frames - 1 - pm->nr_free;
		*pa = i << PAGE_SHIFT;
		return 0;
	}
	return -ENOMEM;
}

int physmem_alloc(struct physmem *pm, uint64_t *pa)
{
	int ret;

	pthread_mutex_lock(&pm->lock);
	ret = pm->nr_free ? alloc_one_locked(pm, pa) : -ENOMEM;
	pthread_mutex_unlock(&pm->lock);
	return ret;
}

static void free_one_locked(struct physmem *pm, uint64_t pa)
{
	uint64_t i = pa >> PAGE_SHIFT;

	if (!page_aligned(pa) || i == 0 || i >= pm->nr_frames || !atomic_load(&pm->allocated[i]))
		return;
	atomic_store(&pm->allocated[i], 0);
	pm->nr_free++;
}

int physmem_alloc_n(struct physmem *pm, size_t n, uint64_t *pas)
{
	size_t i;
	int ret = 0;

	pthread_mutex_lock(&pm->lock);
	if (n > pm->nr_free) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		ret = alloc_one_locked(pm, &pas[i]);
		if (ret)
			break;
	}
	if (ret)
		while (i--)
			free_one_locked(pm, pas[i]);
out:
	pthread_mutex_unlock(&pm->lock);
	return ret;
}

void physmem_free(struct physmem *pm, uint64_t pa)
{
	pthread_mutex_lock(&pm->lock);
	free_one_locked(pm, pa);
	pthread_mutex_unlock(&pm->lock);
}

void physmem_free_n(struct physmem *pm, size_t n, const uint64_t *pas)
{
	pthread_mutex_lock(&pm->lock);
	for (size_t i = 0; i < n; i++)
		free_one_locked(pm, pas[i]);
	pthread_mutex_unlock(&pm->lock);
}

void *physmem_map(struct physmem *pm, uint64_t pa, size_t len)
{
	return pm_map(pm, pa, len);
}

int physmem_pa_in_range(const struct physmem *pm, uint64_t pa)
{
	return pm_pa_in_range(pm, pa);
}

uint64_t physmem_nr_frames(const struct physmem *pm)
{
	return pm->nr_frames;
}

uint64_t physmem_nr_free(struct physmem *pm)
{
	uint64_t n;

	pthread_mutex_lock(&pm->lock);
	n = pm->nr_free;
	pthread_mutex_unlock(&pm->lock);
	return n;
}

uint64_t physmem_peak_used(struct physmem *pm)
{
	uint64_t n;

	pthread_mutex_lock(&pm->lock);
	n = pm->peak_used;
	pthread_mutex_unlock(&pm->lock);
	return n;
}

int physmem_load(struct physmem *pm, const void *buf, size_t len, uint64_t *pas,
		 size_t max_pages, size_t *nr_pages)
{
	size_t n = (len + PAGE_SIZE - 1) / PAGE_SIZE;
	const uint8_t *src = buf;
	int ret;

	if (n > max_pages)
		return -E2BIG;
	ret = physmem_alloc_n(pm, n, pas);
	if (ret)
		return ret;
	for (size_t i = 0; i < n; i++) {
		size_t chunk = len - i * PAGE_SIZE < PAGE_SIZE ? len - i * PAGE_SIZE : PAGE_SIZE;

		memcpy(physmem_map(pm, pas[i], PAGE_SIZE), src + i * PAGE_SIZE, chunk);
	}
	*nr_pages = n;
	return 0;
}
