/* SPDX-License-Identifier: MIT */
/*
 * The part of the Multiboot 1 boot information the test guest reads ("Multiboot Specification
 * version 0.6.96", §3.2 "Machine state" and §3.3 "Boot information format"). The guest is a
 * stand-alone multiboot kernel, so it keeps its own copy of these few definitions rather than
 * using the hypervisor's loader header; multiboot.c walks the memory map.
 */
#ifndef GUEST_MULTIBOOT_H
#define GUEST_MULTIBOOT_H

#include <stddef.h>
#include <stdint.h>

#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002u /* in EAX at entry */

/* Which fields of struct multiboot_info are valid. */
#define MULTIBOOT_INFO_MEMORY (1u << 0)           /* mem_lower, mem_upper */
#define MULTIBOOT_INFO_CMDLINE (1u << 2)          /* cmdline */
#define MULTIBOOT_INFO_MODS (1u << 3)             /* mods_count, mods_addr */
#define MULTIBOOT_INFO_MEM_MAP (1u << 6)          /* mmap_length, mmap_addr */
#define MULTIBOOT_INFO_BOOT_LOADER_NAME (1u << 9) /* boot_loader_name */

/* Addresses are physical; the guest maps the first 4 GiB 1:1, so they are usable as pointers. */
struct multiboot_info {
	uint32_t flags;
	uint32_t mem_lower;          /* KiB of RAM below 1 MiB */
	uint32_t mem_upper;          /* KiB of RAM from 1 MiB to the first hole */
	uint32_t boot_device;
	uint32_t cmdline;            /* NUL-terminated string */
	uint32_t mods_count;
	uint32_t mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length;        /* bytes of memory map */
	uint32_t mmap_addr;
	uint32_t drives_length;
	uint32_t drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;   /* NUL-terminated string */
} __attribute__((packed));

_Static_assert(offsetof(struct multiboot_info, cmdline) == 16, "multiboot_info layout");
_Static_assert(offsetof(struct multiboot_info, mmap_length) == 44, "multiboot_info layout");
_Static_assert(offsetof(struct multiboot_info, boot_loader_name) == 64, "multiboot_info layout");

/* One memory map entry. `size` counts the bytes after itself: the next entry starts at
 * (char *)entry + entry->size + 4. */
struct multiboot_mmap_entry {
	uint32_t size;
	uint64_t addr;
	uint64_t len;
	uint32_t type;               /* 1: available RAM; anything else is not */
} __attribute__((packed));

#define MULTIBOOT_MMAP_ENTRY_MIN_SIZE 20 /* addr, len and type */
#define MULTIBOOT_MMAP_AVAILABLE 1u
#define MULTIBOOT_MMAP_NONE 0u           /* multiboot_mmap_type_at: no entry holds the range */

/* One entry of the module list at mods_addr: the module occupies [mod_start, mod_end). */
struct multiboot_module {
	uint32_t mod_start;
	uint32_t mod_end;
	uint32_t string;             /* NUL-terminated string the loader was given for it */
	uint32_t reserved;
} __attribute__((packed));

_Static_assert(sizeof(struct multiboot_module) == 16, "multiboot_module layout");

/* Walks the memory map (the caller checks MULTIBOOT_INFO_MEM_MAP): the entry after `entry`, the
 * first for NULL; NULL at the end of the map or at an entry shorter than
 * MULTIBOOT_MMAP_ENTRY_MIN_SIZE, past which the walk cannot go. Reads memory only. */
const struct multiboot_mmap_entry *multiboot_mmap_next(const struct multiboot_info *info,
						       const struct multiboot_mmap_entry *entry);

/* The type of the first memory map entry that holds all of [base, base + length), or
 * MULTIBOOT_MMAP_NONE (also without a memory map). */
uint32_t multiboot_mmap_type_at(const struct multiboot_info *info, uint64_t base,
				uint64_t length);

#endif
