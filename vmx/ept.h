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

#endif
