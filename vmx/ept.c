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
