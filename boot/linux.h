/* SPDX-License-Identifier: MIT */
/*
 * Loading a Linux bzImage as the guest, by the Linux x86 boot protocol (the kernel's
 * Documentation/arch/x86/boot.rst, cited as "boot.rst"; protocol 2.12 or later: what every 64-bit
 * kernel since 3.8 has). apicvisor is the boot loader and enters the kernel's 32-bit entry point
 * ("32-bit Boot Protocol"): protected mode, paging off, flat __BOOT_CS (10H) and __BOOT_DS (18H)
 * segments, interrupts off, ESI = the boot_params ("zero page"), EBP = EDI = EBX = 0.
 *
 * Where things go in guest RAM, as QEMU's -kernel puts them for a bzImage:
 *   10000H  boot_params: zeroed, the image's setup header copied in at 1F1H, then the fields a
 *           loader fills (type_of_loader, command line, initrd, the e820 map, the RSDP)
 *   20000H  the command line (at most the kernel's cmdline_size bytes, NUL-terminated)
 *   100000H the protected-mode kernel (the file from (setup_sects + 1) * 512 on); code32_start
 *   the initrd, page-aligned at the top of RAM below initrd_addr_max, above the memory the
 *           kernel decompresses into (its pref_address, or 1 MiB, plus init_size)
 *
 * Plain C (no UEFI, no VMX), unit-tested on the host (tests/unit/test_linux.c).
 */
#ifndef APICVISOR_LINUX_H
#define APICVISOR_LINUX_H

#include "../lib/klib.h"

#define LINUX_BOOT_PARAMS_GPA 0x10000u
#define LINUX_CMDLINE_GPA 0x20000u
#define LINUX_KERNEL_GPA 0x100000u
#define LINUX_MIN_PROTOCOL 0x020Cu       /* 2.12: xloadflags, 64-bit kernels */

/* What linux_parse found in the setup header and how the kernel will be placed. */
struct linux_image {
	uint16_t protocol;            /* header version: 0x020F is 2.15 */
	uint32_t setup_bytes;         /* (setup_sects + 1) * 512: where the kernel starts in the file */
	uint32_t header_end;          /* the setup header is [1F1H, header_end) of the file */
	uint32_t kernel_bytes;        /* the protected-mode kernel: syssize * 16 bytes */
	uint32_t init_size;           /* bytes the kernel needs at its run address to decompress */
	uint64_t pref_address;        /* where a relocatable kernel prefers to run */
	uint64_t footprint_end;       /* the end of the memory the kernel may use while booting */
	uint32_t cmdline_size;        /* longest command line, NUL not counted */
	uint32_t initrd_addr_max;     /* highest address the initrd's last byte may have */
	uint16_t xloadflags;
	bool relocatable;
};

/* Whether the file is a bzImage ("HdrS" at 202H), to tell it from a multiboot kernel. */
bool linux_is_bzimage(const void *image, size_t size);

/*
 * Validates a bzImage for a guest with ram_bytes of RAM. Refused, with a message naming the
 * field: a file too short for its setup header or its setup sectors, no 55AAH boot flag or HdrS
 * magic, a protocol older than 2.12, a kernel that is not a bzImage (LOADED_HIGH clear), not
 * 64-bit capable (XLF_KERNEL_64 clear), a syssize of 0 or past the end of the file (bytes after
 * it, a Secure Boot signature, are not loaded), a kernel that does not fit in RAM with its
 * init_size.
 */
int linux_parse(const void *image, size_t size, uint64_t ram_bytes, struct linux_image *out,
		char *err, size_t err_len);

/* What linux_load wrote, for the entry state and the log. */
struct linux_boot {
	uint32_t boot_params_gpa;     /* ESI at entry */
	uint32_t entry;               /* code32_start: the 32-bit entry point */
	uint32_t initrd_gpa, initrd_size;
	uint32_t cmdline_gpa;
};

/*
 * Writes the kernel, its command line (NULL: empty), the initrd (NULL or size 0: none) and the
 * boot_params into guest RAM (host pointer to guest-physical 0, ram_bytes long). The e820 map
 * is the firmware's memory map (bios_memory_map); rsdp_gpa goes to acpi_rsdp_addr (protocol
 * 2.14 and later; older kernels scan for it, as the BIOS area holds it). Returns -1 with a
 * message, having written nothing, when the command line is longer than the kernel takes or the
 * initrd does not fit between the kernel's footprint and its initrd_addr_max.
 */
int linux_load(const void *image, const struct linux_image *plan, void *guest_ram,
	       uint64_t ram_bytes, const char *cmdline, const void *initrd, size_t initrd_size,
	       uint64_t rsdp_gpa, struct linux_boot *out, char *err, size_t err_len);

#endif
