/* SPDX-License-Identifier: MIT */
/*
 * Guard pages around the hypervisor's own structures: each structure allocated at boot sits
 * between two pages filled with the isolation secret (include/apicvisor/isolation.h). An
 * overflow out of a structure changes a guard; a guest that could read hypervisor memory would
 * find the secret. Plain C: the pages come from the caller (boot/main.c), the unit tests use
 * their own.
 */
#ifndef APICVISOR_HOST_GUARD_H
#define APICVISOR_HOST_GUARD_H

#include "../lib/klib.h"

#define HOST_GUARD_PAGE_SIZE 4096u
#define HOST_GUARD_MAX 96u

/* Fills one guard page with the secret, word i = apicvisor_secret_word(i). */
void host_guard_fill(void *page);

/* Registers the guard pages before and after the structure `what` (filled here). Returns false
 * when the table is full (the structure then goes unguarded). */
bool host_guard_register(const char *what, void *before, void *after);

/* Checks every registered guard page: `thorough` compares every word, otherwise the 32 words
 * next to the structure on each side (where an overflow lands first). Returns NULL when all
 * are intact, else a description of the first broken one ("guard page after the VMCS"). */
const char *host_guard_check(bool thorough);

/* How many guard pages are registered, and how many checks ran. */
unsigned host_guard_count(void);
uint64_t host_guard_checks(void);

#endif
