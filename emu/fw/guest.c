// SPDX-License-Identifier: MIT
/* The emulated TD guest's step (see emu/include/emu/guest.h). */
#include "emu/guest.h"
#include "tdxup/seamldr_abi.h"

static uint64_t rotl64(uint64_t v, unsigned int r)
{
	return v << r | v >> (64 - r);
}

void tdx_guest_step(uint8_t page[PAGE_SIZE], uint64_t *counter, uint64_t *checksum)
{
	uint64_t n = le64(page + GUEST_PAGE_COUNTER) + 1;
	unsigned int idx = 2 + (unsigned int)((n * 7) % 510);
	uint64_t w = le64(page + idx * 8) * 6364136223846793005ULL + n;
	uint64_t sum = rotl64(le64(page + GUEST_PAGE_CHECKSUM) ^ w, 13) * 0x9E3779B97F4A7C15ULL;

	/* Reads and writes data across the page, so a lost page shows. */
	put_le64(page + idx * 8, w);
	put_le64(page + GUEST_PAGE_COUNTER, n);
	put_le64(page + GUEST_PAGE_CHECKSUM, sum);
	*counter = n;
	*checksum = sum;
}
