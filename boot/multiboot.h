/* SPDX-License-Identifier: MIT */
/*
 * Multiboot 1 loading, as QEMU's `-kernel` (and `-initrd` for boot modules) does it, so that a
 * kernel written for `qemu -kernel` runs unchanged. Plain C over byte buffers: unit-tested on the host with malformed images.
 *
 * Specification: "Multiboot Specification version 0.6.96" (GNU GRUB), §3.1 "OS image format",
 * §3.2 "Machine state", §3.3 "Boot information format".
 */
#ifndef APICVISOR_MULTIBOOT_H
#define APICVISOR_MULTIBOOT_H

#include "../lib/klib.h"

#define MULTIBOOT_HEADER_MAGIC 0x1BADB002u
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002u /* in EAX at entry */
#define MULTIBOOT_SEARCH_BYTES 8192            /* header lies within the first 8 KiB */

/* Header flags (§3.1.2). */
#define MULTIBOOT_FLAG_PAGE_ALIGN (1u << 0)    /* modules page aligned */
#define MULTIBOOT_FLAG_MEMORY_INFO (1u << 1)   /* mem_* and mmap_* required */
#define MULTIBOOT_FLAG_VIDEO_MODE (1u << 2)    /* video mode table required */
#define MULTIBOOT_FLAG_AOUT_KLUDGE (1u << 16)  /* address fields valid */

/* Info flags (§3.3). */
#define MULTIBOOT_INFO_MEMORY (1u << 0)
#define MULTIBOOT_INFO_CMDLINE (1u << 2)
#define MULTIBOOT_INFO_MODS (1u << 3)
#define MULTIBOOT_INFO_MEM_MAP (1u << 6)
#define MULTIBOOT_INFO_BOOT_LOADER_NAME (1u << 9)

/* The boot information structure, §3.3 (offsets fixed by the specification). */
struct multiboot_info {
	uint32_t flags;
	uint32_t mem_lower;          /* KiB below 1 MiB (at most 640) */
	uint32_t mem_upper;          /* KiB from 1 MiB to the first hole */
	uint32_t boot_device;
	uint32_t cmdline;            /* physical address of a NUL-terminated string */
	uint32_t mods_count;
	uint32_t mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length;        /* bytes */
	uint32_t mmap_addr;
	uint32_t drives_length;
	uint32_t drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;
	uint32_t apm_table;
	uint32_t vbe_control_info;
	uint32_t vbe_mode_info;
	uint16_t vbe_mode;
	uint16_t vbe_interface_seg;
	uint16_t vbe_interface_off;
	uint16_t vbe_interface_len;
} __attribute__((packed));

/* One memory map entry; `size` counts the bytes after itself (20). */
struct multiboot_mmap_entry {
	uint32_t size;
	uint64_t addr;
	uint64_t len;
	uint32_t type;               /* 1: available RAM, 2: reserved */
} __attribute__((packed));

/* One boot module in the list at mods_addr (§3.3): [mod_start, mod_end) holds the module, string
 * the physical address of its NUL-terminated string. */
struct multiboot_mod_list {
	uint32_t mod_start;
	uint32_t mod_end;            /* first byte after the module, as GRUB and QEMU set it */
	uint32_t string;
	uint32_t reserved;           /* 0 */
} __attribute__((packed));

#define MULTIBOOT_MAX_SEGMENTS 16

/* A piece of the image to copy: file bytes [file_offset, +file_size) to guest-physical
 * load_addr, then zeroes up to load_addr + mem_size. */
struct multiboot_segment {
	uint32_t file_offset;
	uint32_t file_size;
	uint32_t load_addr;
	uint32_t mem_size;
};

/* What multiboot_parse() found: everything needed to load, checked against the guest's RAM. */
struct multiboot_image {
	uint32_t header_offset;      /* where the multiboot header sits in the file */
	uint32_t header_flags;
	bool aout_kludge;            /* loaded by the header's address fields, not as ELF */
	uint32_t entry;              /* guest-physical entry point */
	unsigned segment_count;
	struct multiboot_segment segments[MULTIBOOT_MAX_SEGMENTS];
	uint32_t load_end;           /* first byte after everything loaded (including bss) */
};

/*
 * Validates a multiboot kernel and computes its load plan, for a guest with ram_bytes of RAM
 * starting at guest-physical 0. Accepts the a.out kludge (header flag 16) and ELF32 (EM_386,
 * PT_LOAD segments at p_paddr, entry e_entry translated from virtual to physical when it lies in
 * a segment whose p_vaddr differs). Rejects, with a message naming the defect: an image without
 * a valid header in its first 8 KiB (bad checksum included), unsupported required flags (bit 2
 * video mode is accepted and ignored, as QEMU does), ELF64 ("needs a 32-bit ELF, as qemu -kernel
 * does"), truncated ELF/program headers, segments outside the file, segments that do not fit in
 * guest RAM or overlap what is not the kernel's to use (the BIOS data area [0x400, 0x500), and
 * [0x9fc00, 1 MiB): EBDA, VGA/ROM hole, BIOS area with the ACPI tables), overlapping segments,
 * an entry point outside every loaded segment, more than
 * MULTIBOOT_MAX_SEGMENTS segments, and a.out kludge address fields that are inconsistent
 * (load_end_addr < load_addr, header_addr not matching the header's file offset).
 */
int multiboot_parse(const void *image, size_t size, uint64_t ram_bytes,
		    struct multiboot_image *out, char *err, size_t err_len);

/* Copies the segments into guest RAM (host pointer to guest-physical 0) and zeroes each bss. */
void multiboot_load(const void *image, const struct multiboot_image *plan, void *guest_ram);

/* A boot module to pass to the kernel: its bytes (host memory, the caller's) and its string. */
struct multiboot_module {
	const void *data;
	size_t size;
	const char *string;          /* QEMU -initrd passes "path args"; NULL: "" */
};

/*
 * Writes the boot modules and the boot information for a loaded kernel into guest RAM (host
 * pointer to guest-physical 0), as QEMU's -kernel/-initrd does:
 *
 *   - each module page-aligned after the kernel (plan->load_end), one after the other in list
 *     order (QEMU aligns every module to 4 KiB, which also honours header flag bit 0);
 *   - then, page-aligned after the last module (or the kernel), the multiboot_info, the memory
 *     map (0..0x9FC00 available, 0x9FC00..0xA0000 and 0xF0000..0x100000 reserved, 1 MiB..ram_bytes
 *     available), the module list (multiboot_mod_list, mods_count/mods_addr, info flag bit 3
 *     when there is at least one module), the command line, the boot loader name ("apicvisor")
 *     and the module strings.
 *
 * mem_lower = 639, mem_upper = (ram_bytes - 1 MiB) / 1 KiB. A piece that would start below
 * 640 KiB and run into the reserved EBDA moves to 1 MiB (above every segment of such a low
 * kernel). Sets *info_gpa to the structure's address (the EBX value at entry). Returns -1 with a
 * message, leaving guest RAM and *info_gpa untouched, if RAM is no larger than 1 MiB, or a module
 * (named by number and string) or the boot information does not fit in RAM below 4 GiB.
 */
int multiboot_build_info_modules(void *guest_ram, uint64_t ram_bytes,
				 const struct multiboot_image *plan, const char *cmdline,
				 const struct multiboot_module *modules, unsigned module_count,
				 uint32_t *info_gpa, char *err, size_t err_len);

/* multiboot_build_info_modules without modules (mods_count 0, info flag bit 3 clear). */
int multiboot_build_info(void *guest_ram, uint64_t ram_bytes, const struct multiboot_image *plan,
			 const char *cmdline, uint32_t *info_gpa, char *err, size_t err_len);

#endif
