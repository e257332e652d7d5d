// SPDX-License-Identifier: MIT
/*
 * Emulated physical memory (emu/include/emu/physmem.h): frame 0 is never
 * handed out, frames come back zeroed, mapping refuses anything outside an
 * allocated frame, and allocation of many frames is all or nothing.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "emu/physmem.h"

static void test_create_bounds(void **state)
{
	struct physmem *pm;

	assert_null(physmem_create(0));
	assert_null(physmem_create(1));
	assert_null(physmem_create((1ULL << 28) + 1));
	pm = physmem_create(2);
	assert_non_null(pm);
	assert_int_equal(physmem_nr_frames(pm), 2);
	/* Frame 0 is the null address and never free. */
	assert_int_equal(physmem_nr_free(pm), 1);
	physmem_destroy(pm);
	physmem_destroy(NULL);
}

static void test_frame0_never_allocated(void **state)
{
	struct physmem *pm = physmem_create(8);
	uint64_t pa;

	for (int i = 0; i < 7; i++) {
		assert_int_equal(physmem_alloc(pm, &pa), 0);
		assert_int_not_equal(pa, 0);
		assert_true(page_aligned(pa));
		assert_true(pa < 8 * PAGE_SIZE);
	}
	assert_int_equal(physmem_nr_free(pm), 0);
	assert_int_equal(physmem_alloc(pm, &pa), -ENOMEM);
	assert_null(physmem_map(pm, 0, 1));
	physmem_destroy(pm);
}

static void test_alloc_distinct_and_zeroed(void **state)
{
	struct physmem *pm = physmem_create(16);
	uint64_t pas[15];

	for (int i = 0; i < 15; i++) {
		uint8_t *m;

		assert_int_equal(physmem_alloc(pm, &pas[i]), 0);
		for (int j = 0; j < i; j++)
			assert_int_not_equal(pas[i], pas[j]);
		m = physmem_map(pm, pas[i], PAGE_SIZE);
		assert_non_null(m);
		for (size_t k = 0; k < PAGE_SIZE; k++)
			assert_int_equal(m[k], 0);
		memset(m, 0x5A, PAGE_SIZE);
	}
	physmem_destroy(pm);
}

static void test_free_then_realloc_is_zeroed(void **state)
{
	struct physmem *pm = physmem_create(2);
	uint64_t pa, pa2;
	uint8_t *m;

	assert_int_equal(physmem_alloc(pm, &pa), 0);
	m = physmem_map(pm, pa, PAGE_SIZE);
	memset(m, 0xEE, PAGE_SIZE);
	physmem_free(pm, pa);
	assert_int_equal(physmem_nr_free(pm), 1);
	assert_null(physmem_map(pm, pa, 1));
	assert_int_equal(physmem_alloc(pm, &pa2), 0);
	assert_int_equal(pa2, pa);
	m = physmem_map(pm, pa2, PAGE_SIZE);
	for (size_t k = 0; k < PAGE_SIZE; k++)
		assert_int_equal(m[k], 0);
	physmem_destroy(pm);
}

static void test_bad_free_ignored(void **state)
{
	struct physmem *pm = physmem_create(4);
	uint64_t pa;

	assert_int_equal(physmem_alloc(pm, &pa), 0);
	assert_int_equal(physmem_nr_free(pm), 2);
	physmem_free(pm, 0);			/* frame 0 */
	physmem_free(pm, pa + 8);		/* unaligned */
	physmem_free(pm, 100 * PAGE_SIZE);	/* out of range */
	assert_int_equal(physmem_nr_free(pm), 2);
	assert_non_null(physmem_map(pm, pa, PAGE_SIZE));
	physmem_free(pm, pa);
	physmem_free(pm, pa);			/* double free */
	assert_int_equal(physmem_nr_free(pm), 3);
	physmem_destroy(pm);
}

static void test_map_bounds(void **state)
{
	struct physmem *pm = physmem_create(4);
	uint64_t pa;

	assert_int_equal(physmem_alloc(pm, &pa), 0);
	assert_non_null(physmem_map(pm, pa, PAGE_SIZE));
	assert_non_null(physmem_map(pm, pa + PAGE_SIZE - 1, 1));
	assert_non_null(physmem_map(pm, pa + 256, 256));
	assert_null(physmem_map(pm, pa, 0));			/* empty */
	assert_null(physmem_map(pm, pa + 1, PAGE_SIZE));	/* crosses frame */
	assert_null(physmem_map(pm, pa + PAGE_SIZE - 1, 2));
	assert_null(physmem_map(pm, pa, PAGE_SIZE + 1));
	assert_null(physmem_map(pm, 4 * PAGE_SIZE, 1));	/* out of range */
	assert_null(physmem_map(pm, ~0ULL & PAGE_MASK, 1));
	/* In range but never allocated. */
	assert_null(physmem_map(pm, pa == PAGE_SIZE ? 2 * PAGE_SIZE : PAGE_SIZE, 1));
	assert_int_equal(physmem_map(pm, pa + 100, 4) - physmem_map(pm, pa, 4), 100);
	physmem_destroy(pm);
}

static void test_pa_in_range(void **state)
{
	struct physmem *pm = physmem_create(4);

	assert_true(physmem_pa_in_range(pm, 0));
	assert_true(physmem_pa_in_range(pm, 4 * PAGE_SIZE - 1));
	assert_false(physmem_pa_in_range(pm, 4 * PAGE_SIZE));
	assert_false(physmem_pa_in_range(pm, 1ULL << 52));
	physmem_destroy(pm);
}

static void test_alloc_n_all_or_nothing(void **state)
{
	struct physmem *pm = physmem_create(8);
	uint64_t pas[8];

	assert_int_equal(physmem_alloc_n(pm, 8, pas), -ENOMEM);
	assert_int_equal(physmem_nr_free(pm), 7);
	assert_int_equal(physmem_alloc_n(pm, 5, pas), 0);
	assert_int_equal(physmem_nr_free(pm), 2);
	for (int i = 0; i < 5; i++)
		assert_non_null(physmem_map(pm, pas[i], PAGE_SIZE));
	assert_int_equal(physmem_alloc_n(pm, 3, pas + 5), -ENOMEM);
	assert_int_equal(physmem_nr_free(pm), 2);
	physmem_free_n(pm, 5, pas);
	assert_int_equal(physmem_nr_free(pm), 7);
	for (int i = 0; i < 5; i++)
		assert_null(physmem_map(pm, pas[i], 1));
	assert_int_equal(physmem_alloc_n(pm, 0, pas), 0);
	physmem_destroy(pm);
}

static void test_load_copies_and_pads(void **state)
{
	struct physmem *pm = physmem_create(16);
	size_t len = 2 * PAGE_SIZE + 100, n = 0;
	uint8_t *buf = malloc(len);
	uint64_t pas[4];
	const uint8_t *m;

	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	assert_int_equal(physmem_load(pm, buf, len, pas, 4, &n), 0);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < 3; i++) {
		m = physmem_map(pm, pas[i], PAGE_SIZE);
		assert_non_null(m);
		if (i < 2) {
			assert_memory_equal(m, buf + i * PAGE_SIZE, PAGE_SIZE);
			continue;
		}
		assert_memory_equal(m, buf + 2 * PAGE_SIZE, 100);
		for (size_t k = 100; k < PAGE_SIZE; k++)
			assert_int_equal(m[k], 0);
	}
	assert_int_equal(physmem_nr_free(pm), 12);
	free(buf);
	physmem_destroy(pm);
}

static void test_load_limits(void **state)
{
	struct physmem *pm = physmem_create(4);
	uint8_t buf[3 * PAGE_SIZE] = { 1 };
	uint64_t pas[4];
	size_t n = 99;

	assert_int_equal(physmem_load(pm, buf, sizeof(buf), pas, 2, &n), -E2BIG);
	assert_int_equal(n, 99);
	assert_int_equal(physmem_nr_free(pm), 3);
	assert_int_equal(physmem_load(pm, buf, sizeof(buf) + 1, pas, 4, &n), -ENOMEM);
	assert_int_equal(physmem_nr_free(pm), 3);
	assert_int_equal(physmem_load(pm, buf, sizeof(buf), pas, 4, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(physmem_nr_free(pm), 0);
	physmem_destroy(pm);
}

/* A pointer from physmem_map stays backed after the frame is freed. */
static void test_map_pointer_survives_free(void **state)
{
	struct physmem *pm = physmem_create(4);
	uint64_t pa;
	volatile uint8_t *m;

	assert_int_equal(physmem_alloc(pm, &pa), 0);
	m = physmem_map(pm, pa, PAGE_SIZE);
	physmem_free(pm, pa);
	m[0] = 1;			/* ASan would report a use-after-free */
	assert_int_equal(m[0], 1);
	physmem_destroy(pm);
}

static void test_large_sparse_space(void **state)
{
	struct physmem *pm = physmem_create(1ULL << 24);	/* 64 GiB of PA space */
	uint64_t pa;

	assert_non_null(pm);
	assert_int_equal(physmem_nr_free(pm), (1ULL << 24) - 1);
	assert_int_equal(physmem_alloc(pm, &pa), 0);
	assert_true(physmem_pa_in_range(pm, (1ULL << 36) - 1));
	assert_false(physmem_pa_in_range(pm, 1ULL << 36));
	physmem_destroy(pm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_bounds),
		cmocka_unit_test(test_frame0_never_allocated),
		cmocka_unit_test(test_alloc_distinct_and_zeroed),
		cmocka_unit_test(test_free_then_realloc_is_zeroed),
		cmocka_unit_test(test_bad_free_ignored),
		cmocka_unit_test(test_map_bounds),
		cmocka_unit_test(test_pa_in_range),
		cmocka_unit_test(test_alloc_n_all_or_nothing),
		cmocka_unit_test(test_load_copies_and_pads),
		cmocka_unit_test(test_load_limits),
		cmocka_unit_test(test_map_pointer_survives_free),
		cmocka_unit_test(test_large_sparse_space),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
