/* SPDX-License-Identifier: MIT */
/* Extended page tables for the guest's RAM (SDM Vol. 3C §29.3 "The Extended Page Table
 * Mechanism (EPT)"). Everything outside guest RAM is absent: an access there is an EPT
 * violation the exit handler reports (and, with later devices, emulates). */
#ifndef APICVISOR_EPT_H
#define APICVISOR_EPT_H

#include "../lib/klib.h"

/* Pages needed to map [0, ram_bytes) with 4 KiB leaves. */
size_t ept_pages_needed(uint64_t ram_bytes);
/* Maps guest-physical [0, ram_bytes) to host-physical ram_hpa + GPA, write-back, RWX, in the
 * zeroed-by-us `pages`. Returns the EPT pointer (SDM Vol. 3C §25.6.11 "Extended-Page-Table
 * Pointer (EPTP)"): PML4 address, 4-level walk, WB paging-structure memory type. */
uint64_t ept_build(void *pages, uint64_t ram_hpa, uint64_t ram_bytes);

/* Leaf entry flags for ept_map_page(). */
/* Guest-physical address bits a 4-level EPT walk translates. */
#define EPT_GUEST_PHYSICAL_BITS 48u

#define EPT_PAGE_RWX_WB ((1ull << 0) | (1ull << 1) | (1ull << 2) | (6ull << 3))

/* Spare zeroed pages for the paging structures ept_map_page() adds (outside guest RAM). */
struct ept_pool {
	uint8_t *pages;
	size_t count;
	size_t used;
};

/*
 * Maps one 4 KiB guest-physical page to `hpa` with leaf `flags` (EPT_PAGE_RWX_WB), or removes
 * the mapping when flags is 0, taking any missing paging structure from the pool. Returns false
 * when the pool is exhausted. The caller invalidates cached translations (INVEPT) after a
 * removal (SDM Vol. 3C §29.4.3.4 "Guidelines for Use of the INVEPT Instruction").
 */
bool ept_map_page(uint64_t eptp, struct ept_pool *pool, uint64_t gpa, uint64_t hpa,
		  uint64_t flags);

#endif
