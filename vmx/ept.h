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

/* Pages for a vCPU's own root and the tables ept_map_page() makes its own (outside guest RAM). */
struct ept_pool {
	uint8_t *pages;
	size_t count;
	size_t used;
};

/*
 * A vCPU's own EPT root (SDM Vol. 3C §29.3): a copy of the shared PML4 in a page of `pool`,
 * walking the shared tables below it, with the shared EPTP's walk length and memory type.
 * Returns its EPTP, or 0 when the pool is empty. Used only by that vCPU, on its CPU, so a
 * single-context INVEPT there is enough after a change.
 */
uint64_t ept_private_root(uint64_t shared_eptp, struct ept_pool *pool);
/*
 * Maps one 4 KiB guest-physical page to `hpa` with leaf `flags` (EPT_PAGE_RWX_WB), or removes
 * the mapping when flags is 0, in the root `eptp` made by ept_private_root from `pool`: every
 * table on the page's path becomes the root's own (a copy from the pool of the shared one, or a
 * new one), so no other root sees the change. The vCPUs' APIC pages (each vCPU's own APIC base
 * and mode) are mapped this way. Returns false when the pool runs out. The caller invalidates
 * cached translations (INVEPT) after the change (SDM Vol. 3C §29.4.3.4 "Guidelines for Use of
 * the INVEPT Instruction").
 */
bool ept_map_page(uint64_t eptp, struct ept_pool *pool, uint64_t gpa, uint64_t hpa,
		  uint64_t flags);
#endif
