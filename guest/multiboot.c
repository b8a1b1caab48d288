/* SPDX-License-Identifier: MIT */
#include "multiboot.h"

#include <stddef.h>
#include <stdint.h>

const struct multiboot_mmap_entry *multiboot_mmap_next(const struct multiboot_info *info,
						       const struct multiboot_mmap_entry *entry)
{
	uintptr_t end = (uintptr_t)info->mmap_addr + info->mmap_length;
	uintptr_t next = entry == NULL ? info->mmap_addr :
					 (uintptr_t)entry + sizeof(entry->size) + entry->size;
	const struct multiboot_mmap_entry *candidate = (const void *)next;

	if (next + sizeof(candidate->size) + MULTIBOOT_MMAP_ENTRY_MIN_SIZE > end ||
	    candidate->size < MULTIBOOT_MMAP_ENTRY_MIN_SIZE)
		return NULL;
	return candidate;
}

uint32_t multiboot_mmap_type_at(const struct multiboot_info *info, uint64_t base,
				uint64_t length)
{
	if (!(info->flags & MULTIBOOT_INFO_MEM_MAP))
		return MULTIBOOT_MMAP_NONE;
	for (const struct multiboot_mmap_entry *entry = multiboot_mmap_next(info, NULL);
	     entry != NULL; entry = multiboot_mmap_next(info, entry)) {
		/* Written so that no sum can wrap: base + length may not fit in 64 bits. */
		if (base >= entry->addr && base - entry->addr <= entry->len &&
		    length <= entry->len - (base - entry->addr))
			return entry->type;
	}
	return MULTIBOOT_MMAP_NONE;
}
