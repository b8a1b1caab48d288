/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for vmx/ept.c. ept_build() stores the host addresses of the table pages it is given
 * (the hypervisor runs identity-mapped), so the test walks the tables as the CPU would (SDM
 * Vol. 3C §29.3.2 "EPT Translation Mechanism") by dereferencing those addresses directly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vmx/ept.h"

#define PAGE_SIZE 4096ull
#define MIB (1ull << 20)
#define GIB (1ull << 30)

#define EPT_RWX 0x7ull                      /* bits 2:0: read, write, execute */
#define EPT_LEAF_MEMTYPE_WB (6ull << 3)     /* bits 5:3 of a 4 KiB leaf */
#define EPT_NON_LEAF_RESERVED 0xF8ull       /* bits 7:3 of a PML4E, PDPTE, PDE (7: page size) */
#define EPT_ADDRESS_MASK 0x000FFFFFFFFFF000ull /* bits 51:12 */

/* A page-aligned, 4 KiB-aligned host address for guest RAM: above 4 GiB, odd bits set. */
#define FAKE_RAM_HPA 0x0000001234567000ull

static void test_pages_needed(void **state)
{
	static const struct {
		uint64_t ram_bytes;
		size_t pages;           /* PML4 + PDPTs + PDs + PTs */
	} cases[] = {
		{ PAGE_SIZE, 1 + 1 + 1 + 1 },
		{ 2 * MIB, 1 + 1 + 1 + 1 },
		{ 2 * MIB + PAGE_SIZE, 1 + 1 + 1 + 2 },
		{ 128 * MIB, 1 + 1 + 1 + 64 },
		{ GIB, 1 + 1 + 1 + 512 },
		{ GIB + PAGE_SIZE, 1 + 1 + 2 + 513 },
		{ 3 * GIB, 1 + 1 + 3 + 1536 },
		{ 512 * GIB, 1 + 1 + 512 + 262144 },
		{ 512 * GIB + 1, 1 + 2 + 513 + 262145 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t pages = ept_pages_needed(cases[i].ram_bytes);

		if (pages != cases[i].pages)
			fail_msg("%llu bytes: %zu pages, want %zu",
				 (unsigned long long)cases[i].ram_bytes, pages, cases[i].pages);
	}
}

/* The table pages handed to ept_build(). */
struct ept_buffer {
	uint64_t *pages;
	size_t count;
};

static struct ept_buffer ept_buffer_alloc(uint64_t ram_bytes)
{
	struct ept_buffer b;

	b.count = ept_pages_needed(ram_bytes);
	b.pages = aligned_alloc(PAGE_SIZE, b.count * PAGE_SIZE);
	assert_non_null(b.pages);
	/* Garbage, so that an entry ept_build() forgets to clear shows. */
	memset(b.pages, 0xA5, b.count * PAGE_SIZE);
	return b;
}

/*
 * The table a non-leaf entry points to, after checking the entry as the CPU would: present with
 * RWX, reserved bits 7:3 clear (bit 7 of a PDPTE or PDE would make it a 1 GiB / 2 MiB leaf), and
 * the address a page inside the buffer. NULL when the entry is not present (0).
 */
static const uint64_t *next_table(const struct ept_buffer *b, uint64_t entry, const char *level,
				  uint64_t gpa)
{
	uintptr_t address = (uintptr_t)(entry & EPT_ADDRESS_MASK);
	uintptr_t start = (uintptr_t)b->pages;

	if (entry == 0)
		return NULL;
	if ((entry & EPT_RWX) != EPT_RWX || (entry & EPT_NON_LEAF_RESERVED) ||
	    (entry & ~(EPT_ADDRESS_MASK | EPT_RWX)))
		fail_msg("GPA %llx: %s entry %llx is not a plain RWX table pointer",
			 (unsigned long long)gpa, level, (unsigned long long)entry);
	if (address < start || address >= start + b->count * PAGE_SIZE)
		fail_msg("GPA %llx: %s entry %llx points outside the table pages",
			 (unsigned long long)gpa, level, (unsigned long long)entry);
	return (const uint64_t *)address;
}

/* The 4 KiB leaf entry for gpa, or 0 when some level is not present. */
static uint64_t ept_walk(const struct ept_buffer *b, uint64_t eptp, uint64_t gpa)
{
	const uint64_t *pml4 = (const uint64_t *)(uintptr_t)(eptp & EPT_ADDRESS_MASK);
	const uint64_t *pdpt, *pd, *pt;

	pdpt = next_table(b, pml4[(gpa >> 39) & 511], "PML4", gpa);
	if (!pdpt)
		return 0;
	pd = next_table(b, pdpt[(gpa >> 30) & 511], "PDPT", gpa);
	if (!pd)
		return 0;
	pt = next_table(b, pd[(gpa >> 21) & 511], "PD", gpa);
	if (!pt)
		return 0;
	return pt[(gpa >> 12) & 511];
}

static void check_mapped(const struct ept_buffer *b, uint64_t eptp, uint64_t gpa)
{
	uint64_t leaf = ept_walk(b, eptp, gpa);
	uint64_t want = (FAKE_RAM_HPA + (gpa & ~(PAGE_SIZE - 1))) | EPT_RWX | EPT_LEAF_MEMTYPE_WB;

	if (leaf != want)
		fail_msg("GPA %llx: leaf %llx, want %llx", (unsigned long long)gpa,
			 (unsigned long long)leaf, (unsigned long long)want);
}

static void check_absent(const struct ept_buffer *b, uint64_t eptp, uint64_t gpa)
{
	uint64_t leaf = ept_walk(b, eptp, gpa);

	if (leaf != 0)
		fail_msg("GPA %llx: beyond RAM but mapped (%llx)", (unsigned long long)gpa,
			 (unsigned long long)leaf);
}

/* Nonzero 64-bit words in the buffer: exactly one per present entry at every level. */
static uint64_t count_nonzero(const struct ept_buffer *b)
{
	uint64_t n = 0;

	for (size_t i = 0; i < b->count * 512; i++)
		n += b->pages[i] != 0;
	return n;
}

static uint64_t div_round_up(uint64_t a, uint64_t d)
{
	return (a + d - 1) / d;
}

static void test_build_and_walk(void **state)
{
	static const uint64_t sizes[] = { 2 * MIB, 128 * MIB, GIB, GIB + PAGE_SIZE, 3 * GIB,
					  2 * MIB + 100 };

	(void)state;
	for (size_t s = 0; s < ARRAY_SIZE(sizes); s++) {
		uint64_t ram = sizes[s];
		uint64_t mapped = div_round_up(ram, PAGE_SIZE) * PAGE_SIZE; /* whole pages */
		const uint64_t inside[] = { 0, 1, 4095, 4096, 0x100000, 0x1FFFFF, ram / 2,
					    ram - 1, mapped - 1 };
		const uint64_t outside[] = { mapped, mapped + PAGE_SIZE, mapped + 2 * MIB,
					     div_round_up(mapped, 2 * MIB) * 2 * MIB,
					     div_round_up(mapped, GIB) * GIB, 4 * GIB, 512 * GIB,
					     (1ull << 48) - 1 };
		struct ept_buffer b = ept_buffer_alloc(ram);
		uint64_t eptp = ept_build(b.pages, FAKE_RAM_HPA, ram);

		/* EPTP: memory type WB (bits 2:0 = 6), walk length 4 (bits 5:3 = 3), no A/D flags
		 * (bit 6), the PML4's address. */
		assert_int_equal(eptp & 7, 6);
		assert_int_equal((eptp >> 3) & 7, 3);
		assert_int_equal(eptp & (1u << 6), 0);
		assert_int_equal(eptp & ~0xFFFull, (uint64_t)(uintptr_t)b.pages);

		for (size_t i = 0; i < ARRAY_SIZE(inside); i++)
			check_mapped(&b, eptp, inside[i]);
		for (size_t i = 0; i < ARRAY_SIZE(outside); i++)
			check_absent(&b, eptp, outside[i]);
		/* Every page, for the sizes up to a few hundred MiB. */
		if (ram <= 128 * MIB) {
			for (uint64_t gpa = 0; gpa < mapped; gpa += PAGE_SIZE)
				check_mapped(&b, eptp, gpa + (gpa >> 12) % PAGE_SIZE);
		}
		/* Nothing but the entries needed: one PML4E, the PDPTEs, PDEs and PTEs. */
		{
			uint64_t want = div_round_up(ram, 512 * GIB) + div_round_up(ram, GIB) +
					div_round_up(ram, 2 * MIB) + div_round_up(ram, PAGE_SIZE);
			uint64_t have = count_nonzero(&b);

			if (have != want)
				fail_msg("%llu bytes: %llu entries, want %llu",
					 (unsigned long long)ram, (unsigned long long)have,
					 (unsigned long long)want);
		}
		free(b.pages);
	}
}

/* Another RAM address gives the same tables but for the leaf addresses. */
static void test_build_other_hpa(void **state)
{
	struct ept_buffer b = ept_buffer_alloc(4 * MIB);
	uint64_t eptp;

	(void)state;
	eptp = ept_build(b.pages, 0, 4 * MIB);
	assert_int_equal(ept_walk(&b, eptp, 0), EPT_RWX | EPT_LEAF_MEMTYPE_WB);
	assert_int_equal(ept_walk(&b, eptp, 3 * MIB + 5),
			 (3 * MIB) | EPT_RWX | EPT_LEAF_MEMTYPE_WB);
	eptp = ept_build(b.pages, 0x000FFFFFFF000000ull, 4 * MIB);
	assert_int_equal(ept_walk(&b, eptp, 4 * MIB - 1),
			 (0x000FFFFFFF000000ull + 4 * MIB - PAGE_SIZE) | EPT_RWX |
				 EPT_LEAF_MEMTYPE_WB);
	check_absent(&b, eptp, 4 * MIB);
	free(b.pages);
}

/* ---- a vCPU's own root: its APIC page is its own, RAM stays shared ------------------------- */

#define APIC_GPA 0xFEE00000ull
#define APIC_HPA 0x0000000ABCDE0000ull
#define POOL_PAGES 4

/* The shared tables for `ram`, then a pool of POOL_PAGES, in one buffer the walker accepts. */
static struct ept_buffer private_setup(uint64_t ram, uint64_t *shared, struct ept_pool *pool)
{
	struct ept_buffer b;
	size_t tables = ept_pages_needed(ram);

	b.count = tables + POOL_PAGES;
	b.pages = aligned_alloc(PAGE_SIZE, b.count * PAGE_SIZE);
	assert_non_null(b.pages);
	*shared = ept_build(b.pages, FAKE_RAM_HPA, ram);
	*pool = (struct ept_pool){ (uint8_t *)b.pages + tables * PAGE_SIZE, POOL_PAGES, 0 };
	return b;
}

static void test_private_root(void **state)
{
	struct ept_pool pool;
	uint64_t shared, own;
	struct ept_buffer b = private_setup(128 * MIB, &shared, &pool);

	(void)state;
	own = ept_private_root(shared, &pool);
	assert_int_equal(pool.used, 1);
	assert_int_equal(own & 0xFFF, shared & 0xFFF); /* walk length, memory type */
	assert_int_not_equal(own & ~0xFFFull, shared & ~0xFFFull);
	/* At first it sees what the shared root sees. */
	check_mapped(&b, own, 0x123456);
	check_absent(&b, own, APIC_GPA);
	/* The APIC page at its default base: a path of its own (PDPT copied, PD and PT new). */
	assert_true(ept_map_page(own, &pool, APIC_GPA, APIC_HPA, EPT_PAGE_RWX_WB));
	assert_int_equal(pool.used, 4);
	assert_int_equal(ept_walk(&b, own, APIC_GPA), APIC_HPA | EPT_RWX | EPT_LEAF_MEMTYPE_WB);
	check_absent(&b, shared, APIC_GPA);
	check_mapped(&b, own, 0x123456);
	/* Again on the same path: no new table. */
	assert_true(ept_map_page(own, &pool, APIC_GPA, 0, 0));
	assert_int_equal(pool.used, 4);
	check_absent(&b, own, APIC_GPA);
	/* A base in RAM needs a PD and a PT of its own: the pool is out, nothing changes. */
	assert_false(ept_map_page(own, &pool, 0x200000, APIC_HPA, EPT_PAGE_RWX_WB));
	check_mapped(&b, own, 0x200000);
	check_mapped(&b, shared, 0x200000);
	/* A fresh root from the same pool: room for it. Unmapping a RAM page hides it from this
	 * root only. */
	pool.used = 0;
	own = ept_private_root(shared, &pool);
	assert_true(ept_map_page(own, &pool, 0x200000, 0, 0));
	assert_int_equal(pool.used, 4);
	check_absent(&b, own, 0x200000);
	check_mapped(&b, own, 0x201000);
	check_mapped(&b, shared, 0x200000);
	/* An empty pool has no root. */
	pool.used = POOL_PAGES;
	assert_int_equal(ept_private_root(shared, &pool), 0);
	free(b.pages);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pages_needed),
		cmocka_unit_test(test_build_and_walk),
		cmocka_unit_test(test_build_other_hpa),
		cmocka_unit_test(test_private_root),
	};

	return cmocka_run_group_tests_name("ept", tests, NULL, NULL);
}
