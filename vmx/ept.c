/* SPDX-License-Identifier: MIT */
#include "ept.h"

#define PAGE_SIZE 4096ull
#define EPT_READ (1ull << 0)
#define EPT_WRITE (1ull << 1)
#define EPT_EXECUTE (1ull << 2)
#define EPT_RWX (EPT_READ | EPT_WRITE | EPT_EXECUTE)
#define EPT_MEMTYPE_WB (6ull << 3)    /* leaf entries: bits 5:3 */
#define EPTP_MEMTYPE_WB 6ull
#define EPTP_WALK_LENGTH_4 (3ull << 3) /* walk length minus one */

static uint64_t div_round_up(uint64_t a, uint64_t b)
{
	return (a + b - 1) / b;
}

size_t ept_pages_needed(uint64_t ram_bytes)
{
	uint64_t pts = div_round_up(ram_bytes, 2ull << 20);
	uint64_t pds = div_round_up(ram_bytes, 1ull << 30);
	uint64_t pdpts = div_round_up(ram_bytes, 512ull << 30);

	return 1 + pdpts + pds + pts;
}

uint64_t ept_build(void *pages, uint64_t ram_hpa, uint64_t ram_bytes)
{
	uint64_t page_count = div_round_up(ram_bytes, PAGE_SIZE);
	uint64_t pt_count = div_round_up(ram_bytes, 2ull << 20);
	uint64_t pd_count = div_round_up(ram_bytes, 1ull << 30);
	uint64_t pdpt_count = div_round_up(ram_bytes, 512ull << 30);
	uint64_t *pml4 = pages;
	uint64_t *pdpts = pml4 + 512;
	uint64_t *pds = pdpts + 512 * pdpt_count;
	uint64_t *pts = pds + 512 * pd_count;

	memset(pages, 0, ept_pages_needed(ram_bytes) * PAGE_SIZE);
	for (uint64_t i = 0; i < pdpt_count; i++)
		pml4[i] = (uint64_t)(uintptr_t)(pdpts + 512 * i) | EPT_RWX;
	for (uint64_t i = 0; i < pd_count; i++)
		pdpts[i] = (uint64_t)(uintptr_t)(pds + 512 * i) | EPT_RWX;
	for (uint64_t i = 0; i < pt_count; i++)
		pds[i] = (uint64_t)(uintptr_t)(pts + 512 * i) | EPT_RWX;
	for (uint64_t i = 0; i < page_count; i++)
		pts[i] = (ram_hpa + i * PAGE_SIZE) | EPT_RWX | EPT_MEMTYPE_WB;
	return (uint64_t)(uintptr_t)pml4 | EPTP_WALK_LENGTH_4 | EPTP_MEMTYPE_WB;
}

/* ---- a vCPU's own root over the shared tables ----------------------------------------------- */

static bool in_pool(const struct ept_pool *pool, const uint64_t *table)
{
	const uint8_t *p = (const uint8_t *)table;

	return p >= pool->pages && p < pool->pages + pool->count * PAGE_SIZE;
}

static uint64_t *pool_page(struct ept_pool *pool)
{
	uint8_t *page;

	if (pool->used == pool->count)
		return NULL;
	page = pool->pages + pool->used++ * PAGE_SIZE;
	memset(page, 0, PAGE_SIZE);
	return (uint64_t *)page;
}

uint64_t ept_private_root(uint64_t shared_eptp, struct ept_pool *pool)
{
	uint64_t *root = pool_page(pool);

	if (!root)
		return 0;
	memcpy(root, (const void *)(uintptr_t)(shared_eptp & 0x000FFFFFFFFFF000ull), PAGE_SIZE);
	return (uint64_t)(uintptr_t)root | (shared_eptp & 0xFFFull);
}

/* The next-level table for a private walk: a pool page of its own, copied from the shared table
 * the entry pointed to (or zeroed where it pointed nowhere), so that a change below it is seen
 * by this root only. */
static uint64_t *next_private_table(uint64_t *entry, struct ept_pool *pool)
{
	uint64_t *shared = (uint64_t *)(uintptr_t)(*entry & 0x000FFFFFFFFFF000ull);
	uint64_t *own;

	if ((*entry & EPT_RWX) && in_pool(pool, shared))
		return shared;
	own = pool_page(pool);
	if (!own)
		return NULL;
	if (*entry & EPT_RWX)
		memcpy(own, shared, PAGE_SIZE);
	*entry = (uint64_t)(uintptr_t)own | EPT_RWX;
	return own;
}

bool ept_map_page(uint64_t eptp, struct ept_pool *pool, uint64_t gpa, uint64_t hpa,
			  uint64_t flags)
{
	uint64_t *table = (uint64_t *)(uintptr_t)(eptp & 0x000FFFFFFFFFF000ull);

	/* Walk PML4 → PDPT → PD (bits 47:39, 38:30, 29:21), then the PT entry (20:12). A pool that
	 * runs dry midway leaves only full copies linked, which change nothing. */
	for (int shift = 39; shift >= 21; shift -= 9) {
		table = next_private_table(&table[(gpa >> shift) & 511], pool);
		if (!table)
			return false;
	}
	table[(gpa >> 12) & 511] = flags ? (hpa & ~(PAGE_SIZE - 1)) | flags : 0;
	return true;
}
