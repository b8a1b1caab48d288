/* SPDX-License-Identifier: MIT */
/* Loading a bzImage by the Linux x86 boot protocol (boot/linux.h). */
#include "linux.h"

#include "../lib/fmt.h"
#include "../lib/le.h"
#include "bios.h"

/* The setup header's fields: offsets in the file and in boot_params alike (boot.rst, "The Real-
 * Mode Kernel Header"). */
#define HDR_SETUP_SECTS 0x1F1u        /* u8: 0 means 4 */
#define HDR_SYSSIZE 0x1F4u            /* u32: the protected-mode kernel in 16-byte units */
#define HDR_BOOT_FLAG 0x1FEu          /* u16: 0xAA55 */
#define HDR_JUMP 0x200u               /* u16: its second byte is the header's length past 202H */
#define HDR_MAGIC 0x202u              /* u32: "HdrS" */
#define HDR_VERSION 0x206u            /* u16 */
#define HDR_TYPE_OF_LOADER 0x210u     /* u8 */
#define HDR_LOADFLAGS 0x211u          /* u8 */
#define HDR_CODE32_START 0x214u       /* u32 */
#define HDR_RAMDISK_IMAGE 0x218u      /* u32 */
#define HDR_RAMDISK_SIZE 0x21Cu       /* u32 */
#define HDR_HEAP_END_PTR 0x224u       /* u16 */
#define HDR_CMD_LINE_PTR 0x228u       /* u32 */
#define HDR_INITRD_ADDR_MAX 0x22Cu    /* u32 */
#define HDR_RELOCATABLE 0x234u        /* u8 */
#define HDR_XLOADFLAGS 0x236u         /* u16 */
#define HDR_CMDLINE_SIZE 0x238u       /* u32 */
#define HDR_PREF_ADDRESS 0x258u       /* u64 */
#define HDR_INIT_SIZE 0x260u          /* u32 */
#define HDR_MIN_END 0x264u            /* the fields above, all in a 2.12 header */

#define HDR_MAGIC_VALUE 0x53726448u   /* "HdrS" */
#define BOOT_FLAG_VALUE 0xAA55u
#define LOADFLAGS_LOADED_HIGH 0x01u   /* the protected-mode code goes to 100000H: a bzImage */
#define LOADFLAGS_CAN_USE_HEAP 0x80u
#define XLF_KERNEL_64 0x0001u         /* a 64-bit entry point at +200H: a 64-bit kernel */
#define TYPE_OF_LOADER_UNDEFINED 0xFFu /* "If your boot loader does not have an assigned id" */

/* boot_params fields outside the setup header (the kernel's arch/x86/include/uapi/asm/
 * bootparam.h, documented in Documentation/arch/x86/zero-page.rst). */
#define BP_ACPI_RSDP_ADDR 0x070u      /* u64, protocol 2.14 */
#define BP_EXT_RAMDISK_IMAGE 0x0C0u   /* u32: bits 63:32 of ramdisk_image */
#define BP_EXT_RAMDISK_SIZE 0x0C4u
#define BP_EXT_CMD_LINE_PTR 0x0C8u
#define BP_E820_ENTRIES 0x1E8u        /* u8 */
#define BP_E820_TABLE 0x2D0u          /* 128 entries of 20 bytes: u64 addr, u64 size, u32 type */
#define BP_SIZE 0x1000u
#define E820_ENTRY_BYTES 20u

#define PAGE_SIZE 0x1000u

static uint32_t get(const uint8_t *p, unsigned bytes)
{
	return (uint32_t)le_get(p, bytes);
}

bool linux_is_bzimage(const void *image, size_t size)
{
	return size >= HDR_MAGIC + 4 && get((const uint8_t *)image + HDR_MAGIC, 4) == HDR_MAGIC_VALUE;
}

int linux_parse(const void *image, size_t size, uint64_t ram_bytes, struct linux_image *out,
		char *err, size_t err_len)
{
	const uint8_t *p = image;
	struct linux_image plan = { 0 };
	unsigned setup_sects;
	uint64_t run_at, syssize_bytes;

	if (size < HDR_MIN_END) {
		fmt_error(err, err_len, "bzImage of %zu bytes: shorter than a setup header (%u)",
			  size, HDR_MIN_END);
		return -1;
	}
	if (get(p + HDR_BOOT_FLAG, 2) != BOOT_FLAG_VALUE || get(p + HDR_MAGIC, 4) != HDR_MAGIC_VALUE) {
		fmt_error(err, err_len, "not a bzImage: boot flag %04x (expected aa55) and magic "
			  "%08x at 202H (expected 53726448, \"HdrS\")",
			  get(p + HDR_BOOT_FLAG, 2), get(p + HDR_MAGIC, 4));
		return -1;
	}
	plan.protocol = (uint16_t)get(p + HDR_VERSION, 2);
	if (plan.protocol < LINUX_MIN_PROTOCOL) {
		fmt_error(err, err_len, "boot protocol %u.%02u: apicvisor needs 2.12 or later (a 64-bit "
			  "kernel since Linux 3.8)", plan.protocol >> 8, plan.protocol & 0xFF);
		return -1;
	}
	plan.header_end = HDR_MAGIC + p[HDR_JUMP + 1];
	setup_sects = p[HDR_SETUP_SECTS] ? p[HDR_SETUP_SECTS] : 4;
	plan.setup_bytes = (setup_sects + 1) * 512u;
	/* At most 301H: always within the setup code, whose first sector holds it. */
	if (plan.header_end < HDR_MIN_END) {
		fmt_error(err, err_len, "setup header ends at %xH (the jump's length byte): before "
			  "the 2.12 fields end (%xH)", plan.header_end, HDR_MIN_END);
		return -1;
	}
	if (plan.setup_bytes >= size) {
		fmt_error(err, err_len, "setup_sects %u: the setup code (%u bytes) reaches past the "
			  "end of the %zu-byte file", p[HDR_SETUP_SECTS], plan.setup_bytes, size);
		return -1;
	}
	if (!(p[HDR_LOADFLAGS] & LOADFLAGS_LOADED_HIGH)) {
		fmt_error(err, err_len, "loadflags %02xH: LOADED_HIGH clear, a zImage (loaded at "
			  "10000H), not a bzImage", p[HDR_LOADFLAGS]);
		return -1;
	}
	plan.xloadflags = (uint16_t)get(p + HDR_XLOADFLAGS, 2);
	if (!(plan.xloadflags & XLF_KERNEL_64)) {
		fmt_error(err, err_len, "xloadflags %04xH: XLF_KERNEL_64 clear, not a 64-bit kernel",
			  plan.xloadflags);
		return -1;
	}
	/* The kernel is syssize paragraphs; a signed image (Secure Boot) carries its signature
	 * after them, which is not loaded. */
	syssize_bytes = (uint64_t)get(p + HDR_SYSSIZE, 4) * 16;
	if (syssize_bytes == 0 || syssize_bytes > size - plan.setup_bytes) {
		fmt_error(err, err_len, "syssize says %llu bytes of kernel, the file has %zu after the "
			  "setup code: a truncated image",
			  (unsigned long long)syssize_bytes, size - plan.setup_bytes);
		return -1;
	}
	plan.kernel_bytes = (uint32_t)syssize_bytes;
	plan.init_size = get(p + HDR_INIT_SIZE, 4);
	plan.pref_address = le_get(p + HDR_PREF_ADDRESS, 8);
	plan.relocatable = p[HDR_RELOCATABLE] != 0;
	plan.cmdline_size = get(p + HDR_CMDLINE_SIZE, 4);
	plan.initrd_addr_max = get(p + HDR_INITRD_ADDR_MAX, 4);
	/* The kernel decompresses itself at its run address: pref_address (LOAD_PHYSICAL_ADDR)
	 * when that is above where it was loaded, else where it was loaded; init_size from there
	 * ("init_size ... starting at the kernel runtime start address", boot.rst). */
	run_at = plan.pref_address > LINUX_KERNEL_GPA ? plan.pref_address : LINUX_KERNEL_GPA;
	plan.footprint_end = run_at + (plan.init_size > plan.kernel_bytes ? plan.init_size
									    : plan.kernel_bytes);
	if (plan.footprint_end > ram_bytes) {
		fmt_error(err, err_len, "the kernel needs RAM up to %#llx (run at %#llx, init_size "
			  "%#x): guest RAM is %#llx bytes (raise mem=)",
			  (unsigned long long)plan.footprint_end, (unsigned long long)run_at,
			  plan.init_size, (unsigned long long)ram_bytes);
		return -1;
	}
	*out = plan;
	return 0;
}

int linux_load(const void *image, const struct linux_image *plan, void *guest_ram,
	       uint64_t ram_bytes, const char *cmdline, const void *initrd, size_t initrd_size,
	       uint64_t rsdp_gpa, struct linux_boot *out, char *err, size_t err_len)
{
	const uint8_t *p = image;
	uint8_t *ram = guest_ram, *bp = ram + LINUX_BOOT_PARAMS_GPA;
	struct bios_memory_range map[BIOS_MEMORY_MAP_ENTRIES];
	size_t cmdline_len = cmdline ? strlen(cmdline) : 0;
	uint64_t initrd_gpa = 0;

	if (cmdline_len > plan->cmdline_size) {
		fmt_error(err, err_len, "command line of %zu bytes: the kernel takes %u at most",
			  cmdline_len, plan->cmdline_size);
		return -1;
	}
	if (initrd && initrd_size) {
		/* At the top of RAM the kernel may reach, clear of what it decompresses into. */
		uint64_t top = (uint64_t)plan->initrd_addr_max + 1;

		if (top > ram_bytes)
			top = ram_bytes;
		if (initrd_size > top || ((top - initrd_size) & ~(uint64_t)(PAGE_SIZE - 1)) <
						 plan->footprint_end) {
			fmt_error(err, err_len, "initrd of %zu bytes does not fit between the kernel "
				  "(up to %#llx) and %#llx (the end of RAM or initrd_addr_max)",
				  initrd_size, (unsigned long long)plan->footprint_end,
				  (unsigned long long)top);
			return -1;
		}
		initrd_gpa = (top - initrd_size) & ~(uint64_t)(PAGE_SIZE - 1);
		memcpy(ram + initrd_gpa, initrd, initrd_size);
	}
	memcpy(ram + LINUX_KERNEL_GPA, p + plan->setup_bytes, plan->kernel_bytes);
	memset(ram + LINUX_CMDLINE_GPA, 0, plan->cmdline_size + 1);
	if (cmdline_len)
		memcpy(ram + LINUX_CMDLINE_GPA, cmdline, cmdline_len);

	/* boot_params: zeroed, the setup header as the image has it, then what a loader writes
	 * (boot.rst, "Details of Header Fields": "obligatory" and "write" fields). */
	memset(bp, 0, BP_SIZE);
	memcpy(bp + HDR_SETUP_SECTS, p + HDR_SETUP_SECTS, plan->header_end - HDR_SETUP_SECTS);
	bp[HDR_TYPE_OF_LOADER] = TYPE_OF_LOADER_UNDEFINED;
	bp[HDR_LOADFLAGS] &= (uint8_t)~LOADFLAGS_CAN_USE_HEAP; /* no real-mode setup runs: no heap */
	le_put(bp + HDR_HEAP_END_PTR, 0, 2);
	le_put(bp + HDR_CODE32_START, LINUX_KERNEL_GPA, 4);
	le_put(bp + HDR_CMD_LINE_PTR, LINUX_CMDLINE_GPA, 4);
	le_put(bp + BP_EXT_CMD_LINE_PTR, 0, 4);
	le_put(bp + HDR_RAMDISK_IMAGE, (uint32_t)initrd_gpa, 4);
	le_put(bp + HDR_RAMDISK_SIZE, initrd_gpa ? initrd_size : 0, 4);
	le_put(bp + BP_EXT_RAMDISK_IMAGE, initrd_gpa >> 32, 4);
	le_put(bp + BP_EXT_RAMDISK_SIZE, 0, 4);
	if (plan->protocol >= 0x020E)
		le_put(bp + BP_ACPI_RSDP_ADDR, rsdp_gpa, 8);
	bios_memory_map(ram_bytes, map);
	bp[BP_E820_ENTRIES] = BIOS_MEMORY_MAP_ENTRIES;
	for (unsigned i = 0; i < BIOS_MEMORY_MAP_ENTRIES; i++) {
		uint8_t *e = bp + BP_E820_TABLE + i * E820_ENTRY_BYTES;

		le_put(e, map[i].address, 8);
		le_put(e + 8, map[i].length, 8);
		le_put(e + 16, map[i].type, 4);
	}
	*out = (struct linux_boot){
		.boot_params_gpa = LINUX_BOOT_PARAMS_GPA,
		.entry = LINUX_KERNEL_GPA,
		.initrd_gpa = (uint32_t)initrd_gpa,
		.initrd_size = initrd_gpa ? (uint32_t)initrd_size : 0,
		.cmdline_gpa = LINUX_CMDLINE_GPA,
	};
	return 0;
}
