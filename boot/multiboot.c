/* SPDX-License-Identifier: MIT */
/*
 * Multiboot 1 loading over byte buffers (interface and rules: multiboot.h).
 *
 * Every field is read byte by byte as little-endian, so the image needs no alignment and a
 * malformed one cannot make us read past `size`: each offset is checked against the file size
 * in 64-bit arithmetic before it is used (32-bit offsets plus 32-bit sizes cannot overflow it).
 */
#include "multiboot.h"

#include "../lib/fmt.h"
#include "bios.h"

_Static_assert(sizeof(struct multiboot_info) == 88, "multiboot_info layout (spec §3.3)");
_Static_assert(sizeof(struct multiboot_mmap_entry) == 24, "mmap entry layout (spec §3.3)");
_Static_assert(sizeof(struct multiboot_mod_list) == 16, "module list entry layout (spec §3.3)");

/* The multiboot header (spec §3.1.1 "The layout of Multiboot header"), byte offsets. */
#define MB_HEADER_MAGIC 0
#define MB_HEADER_FLAGS 4
#define MB_HEADER_CHECKSUM 8
#define MB_HEADER_MIN_SIZE 12           /* magic, flags, checksum */
#define MB_HEADER_HEADER_ADDR 12        /* the a.out kludge address fields (flag 16) */
#define MB_HEADER_LOAD_ADDR 16
#define MB_HEADER_LOAD_END_ADDR 20
#define MB_HEADER_BSS_END_ADDR 24
#define MB_HEADER_ENTRY_ADDR 28
#define MB_HEADER_AOUT_SIZE 32

/* Required-feature flags we can honour: bit 0 (modules are always page aligned), bit 1 (the
 * memory information is always given) and bit 2 (video mode, ignored as QEMU ignores it). */
#define MB_FLAGS_REQUIRED_MASK 0x0000ffffu
#define MB_FLAGS_SUPPORTED (MULTIBOOT_FLAG_PAGE_ALIGN | MULTIBOOT_FLAG_MEMORY_INFO | \
			    MULTIBOOT_FLAG_VIDEO_MODE)

/* ELF32 ("Tool Interface Standard (TIS) ELF Specification" 1.2, Book I §1 "Object Files"),
 * byte offsets into the file header and a program header. */
#define ELF_IDENT_CLASS 4
#define ELF_IDENT_DATA 5
#define ELF_IDENT_SIZE 16
#define ELFCLASS32 1
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define EM_386 3
#define ELF32_E_MACHINE 18
#define ELF32_E_ENTRY 24
#define ELF32_E_PHOFF 28
#define ELF32_E_PHENTSIZE 42
#define ELF32_E_PHNUM 44
#define ELF32_EHDR_SIZE 52
#define ELF32_P_TYPE 0
#define ELF32_P_OFFSET 4
#define ELF32_P_VADDR 8
#define ELF32_P_PADDR 12
#define ELF32_P_FILESZ 16
#define ELF32_P_MEMSZ 20
#define ELF32_PHDR_SIZE 32
#define PT_LOAD 1

/* Guest-physical layout of the low megabyte as the memory map reports it (QEMU pc). */
#define MB_BDA_START 0x400u             /* the BIOS data area, which apicvisor fills in */
#define MB_BDA_END 0x500u
#define MB_LOW_RAM_END 0x9fc00u         /* the EBDA starts here */
#define MB_HIGH_RAM_START 0x100000u
#define MB_PAGE_SIZE 4096u
#define MB_MMAP_ENTRIES BIOS_MEMORY_MAP_ENTRIES /* the firmware's map (boot/bios.h) */
#define MB_BOOT_LOADER_NAME "apicvisor"

static uint32_t read_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t read_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* ---------------------------------------------------------------------------------------- */
/* Finding the header                                                                       */

static bool header_valid_at(const uint8_t *bytes, size_t offset)
{
	uint32_t magic = read_u32(bytes + offset + MB_HEADER_MAGIC);
	uint32_t flags = read_u32(bytes + offset + MB_HEADER_FLAGS);
	uint32_t checksum = read_u32(bytes + offset + MB_HEADER_CHECKSUM);

	return magic == MULTIBOOT_HEADER_MAGIC && (uint32_t)(magic + flags + checksum) == 0;
}

/*
 * Spec §3.1.1: "The Multiboot header must be contained completely within the first 8192 bytes
 * of the OS image, and must be longword (32-bit) aligned." Returns its offset, or -1 with a
 * message that says why the nearest candidate does not count.
 */
static int64_t find_header(const uint8_t *bytes, size_t size, char *err, size_t err_len)
{
	size_t limit = size < MULTIBOOT_SEARCH_BYTES ? size : MULTIBOOT_SEARCH_BYTES;
	size_t offset;

	for (offset = 0; offset + MB_HEADER_MIN_SIZE <= limit; offset += 4) {
		if (header_valid_at(bytes, offset))
			return (int64_t)offset;
	}

	/* Not found: tell the near misses apart, most specific first. */
	for (offset = 0; offset + MB_HEADER_MIN_SIZE <= limit; offset += 4) {
		if (read_u32(bytes + offset) == MULTIBOOT_HEADER_MAGIC) {
			uint32_t sum = read_u32(bytes + offset) + read_u32(bytes + offset + 4) +
				       read_u32(bytes + offset + 8);

			fmt_error(err, err_len,
				  "multiboot header at offset 0x%zx: bad checksum (magic + flags + "
				  "checksum = 0x%08x, must be 0)",
				  offset, sum);
			return -1;
		}
	}
	for (offset = 0; offset + MB_HEADER_MIN_SIZE <= limit; offset++) {
		if (header_valid_at(bytes, offset)) {
			fmt_error(err, err_len,
				  "multiboot header at offset 0x%zx is not 32-bit aligned", offset);
			return -1;
		}
	}
	for (offset = 0; offset + MB_HEADER_MIN_SIZE <= size; offset += 4) {
		if (header_valid_at(bytes, offset)) {
			fmt_error(err, err_len,
				  "multiboot header at offset 0x%zx does not lie within the first %u "
				  "bytes",
				  offset, MULTIBOOT_SEARCH_BYTES);
			return -1;
		}
	}
	fmt_error(err, err_len, "no multiboot header (magic 0x%08x) in the first %u bytes%s",
		  MULTIBOOT_HEADER_MAGIC, MULTIBOOT_SEARCH_BYTES,
		  size < MB_HEADER_MIN_SIZE ? " (the file is too small to hold one)" : "");
	return -1;
}

/* ---------------------------------------------------------------------------------------- */
/* Load plan                                                                                */

/*
 * Checks that [start, start + mem_size) lies in guest RAM the kernel may use; what names the
 * piece. Not usable: the BIOS data area [0x400, 0x500) (apicvisor writes it after loading:
 * boot/bios.h) and [0x9fc00, 1 MiB): the EBDA and the BIOS area
 * that the memory map reserves (the ACPI tables go there) and the VGA/ROM hole it leaves out.
 * GRUB and QEMU do not load there either (the first over RAM that is not RAM, the second over
 * its own ROMs).
 */
static int check_in_ram(const char *what, uint32_t start, uint64_t mem_size, uint64_t ram_bytes,
			char *err, size_t err_len)
{
	uint64_t end = (uint64_t)start + mem_size;

	if (start < MB_BDA_END && end > MB_BDA_START) {
		fmt_error(err, err_len,
			  "%s: segment [0x%x, 0x%llx) overlaps the BIOS data area [0x%x, 0x%x), "
			  "which the loader fills in",
			  what, start, (unsigned long long)end, MB_BDA_START, MB_BDA_END);
		return -1;
	}
	if (start < MB_HIGH_RAM_START && end > MB_LOW_RAM_END) {
		fmt_error(err, err_len,
			  "%s: segment [0x%x, 0x%llx) overlaps [0x%x, 0x%x), which is not RAM for "
			  "the guest (EBDA, VGA, BIOS ROM and ACPI tables; the memory map reserves "
			  "it)",
			  what, start, (unsigned long long)end, MB_LOW_RAM_END, MB_HIGH_RAM_START);
		return -1;
	}

	/* load_end is a uint32_t: the end must stay below 4 GiB, not reach it. */
	if (end > UINT32_MAX) {
		fmt_error(err, err_len, "%s: segment [0x%x, 0x%llx) ends at or beyond 4 GiB", what,
			  start, (unsigned long long)end);
		return -1;
	}
	if (end > ram_bytes) {
		fmt_error(err, err_len,
			  "%s: segment [0x%x, 0x%llx) does not fit in guest RAM (0x%llx bytes)",
			  what, start, (unsigned long long)end, (unsigned long long)ram_bytes);
		return -1;
	}
	return 0;
}

/* Appends a segment; load_end follows the highest end. Range checks are the caller's. */
static void add_segment(struct multiboot_image *plan, uint32_t file_offset, uint32_t file_size,
			uint32_t load_addr, uint32_t mem_size)
{
	struct multiboot_segment *seg = &plan->segments[plan->segment_count++];
	uint32_t end = load_addr + mem_size;

	seg->file_offset = file_offset;
	seg->file_size = file_size;
	seg->load_addr = load_addr;
	seg->mem_size = mem_size;
	if (end > plan->load_end)
		plan->load_end = end;
}

/* Whether a guest-physical address lies in the file-backed bytes of some segment. */
static bool entry_in_segments(const struct multiboot_image *plan, uint32_t entry)
{
	for (unsigned i = 0; i < plan->segment_count; i++) {
		const struct multiboot_segment *seg = &plan->segments[i];

		if (entry >= seg->load_addr && entry - seg->load_addr < seg->file_size)
			return true;
	}
	return false;
}

/*
 * The a.out kludge (spec §3.1.3 "The address fields of Multiboot header"): the file from
 * header_offset - (header_addr - load_addr) is loaded at load_addr up to load_end_addr (0: to
 * the end of the file), then zeroes up to bss_end_addr (0: none).
 */
static int parse_aout(const uint8_t *bytes, size_t size, uint64_t ram_bytes,
		      struct multiboot_image *plan, char *err, size_t err_len)
{
	uint32_t off = plan->header_offset;
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
	uint32_t file_offset, delta;
	uint64_t load_size, mem_size;

	if ((uint64_t)off + MB_HEADER_AOUT_SIZE > size ||
	    (uint64_t)off + MB_HEADER_AOUT_SIZE > MULTIBOOT_SEARCH_BYTES) {
		fmt_error(err, err_len,
			  "a.out kludge: the address fields of the multiboot header at offset 0x%x "
			  "end beyond %s",
			  off, size < MULTIBOOT_SEARCH_BYTES ? "the file" : "the first 8192 bytes");
		return -1;
	}
	header_addr = read_u32(bytes + off + MB_HEADER_HEADER_ADDR);
	load_addr = read_u32(bytes + off + MB_HEADER_LOAD_ADDR);
	load_end_addr = read_u32(bytes + off + MB_HEADER_LOAD_END_ADDR);
	bss_end_addr = read_u32(bytes + off + MB_HEADER_BSS_END_ADDR);
	entry_addr = read_u32(bytes + off + MB_HEADER_ENTRY_ADDR);

	if (header_addr < load_addr) {
		fmt_error(err, err_len, "a.out kludge: header_addr 0x%x is below load_addr 0x%x",
			  header_addr, load_addr);
		return -1;
	}
	delta = header_addr - load_addr;
	if (delta > off) {
		fmt_error(err, err_len,
			  "a.out kludge: header_addr 0x%x does not match the header's file offset "
			  "0x%x (header_addr - load_addr = 0x%x would start the load before the file)",
			  header_addr, off, delta);
		return -1;
	}
	file_offset = off - delta;

	if (load_end_addr == 0) {
		load_size = (uint64_t)size - file_offset;
	} else if (load_end_addr < load_addr) {
		fmt_error(err, err_len, "a.out kludge: load_end_addr 0x%x is below load_addr 0x%x",
			  load_end_addr, load_addr);
		return -1;
	} else {
		load_size = load_end_addr - load_addr;
		if ((uint64_t)file_offset + load_size > size) {
			fmt_error(err, err_len,
				  "a.out kludge: [load_addr 0x%x, load_end_addr 0x%x) needs file bytes "
				  "[0x%x, 0x%llx), beyond the file (size 0x%zx)",
				  load_addr, load_end_addr, file_offset,
				  (unsigned long long)(file_offset + load_size), size);
			return -1;
		}
	}

	if (bss_end_addr == 0) {
		mem_size = load_size;
	} else if ((uint64_t)bss_end_addr < (uint64_t)load_addr + load_size) {
		fmt_error(err, err_len,
			  "a.out kludge: bss_end_addr 0x%x is below the end of the loaded image "
			  "0x%llx",
			  bss_end_addr, (unsigned long long)((uint64_t)load_addr + load_size));
		return -1;
	} else {
		mem_size = bss_end_addr - load_addr;
	}

	if (check_in_ram("a.out kludge", load_addr, mem_size, ram_bytes, err, err_len) != 0)
		return -1;
	/* Both sizes now fit in 32 bits: load_addr + mem_size < 4 GiB and load_size <= mem_size. */
	add_segment(plan, file_offset, (uint32_t)load_size, load_addr, (uint32_t)mem_size);

	plan->entry = entry_addr;
	if (!entry_in_segments(plan, entry_addr)) {
		fmt_error(err, err_len,
			  "a.out kludge: entry point 0x%x lies outside every loaded segment "
			  "([0x%x, 0x%llx))",
			  entry_addr, load_addr, (unsigned long long)((uint64_t)load_addr + load_size));
		return -1;
	}
	return 0;
}

/* ELF32, EM_386: PT_LOAD segments at p_paddr, as QEMU's ELF loader does for -kernel. e_type is
 * not checked: whatever the type, the segments are loaded where they say, unrelocated. */
static int parse_elf(const uint8_t *bytes, size_t size, uint64_t ram_bytes,
		     struct multiboot_image *plan, char *err, size_t err_len)
{
	static const uint8_t elf_magic[4] = { 0x7f, 'E', 'L', 'F' };
	uint32_t vaddrs[MULTIBOOT_MAX_SEGMENTS];
	uint32_t e_entry, e_phoff;
	uint16_t e_machine, e_phentsize, e_phnum;
	uint64_t table_end;

	if (size < ELF_IDENT_SIZE || memcmp(bytes, elf_magic, sizeof(elf_magic)) != 0) {
		fmt_error(err, err_len,
			  "not an ELF file, and the multiboot header does not set the a.out kludge "
			  "flag (bit 16)");
		return -1;
	}
	if (bytes[ELF_IDENT_CLASS] == ELFCLASS64) {
		fmt_error(err, err_len, "ELF64 image: needs a 32-bit ELF, as qemu -kernel does");
		return -1;
	}
	if (bytes[ELF_IDENT_CLASS] != ELFCLASS32) {
		fmt_error(err, err_len, "ELF class %u is neither ELFCLASS32 nor ELFCLASS64",
			  bytes[ELF_IDENT_CLASS]);
		return -1;
	}
	if (bytes[ELF_IDENT_DATA] != ELFDATA2LSB) {
		fmt_error(err, err_len, "ELF data encoding %u is not little-endian (ELFDATA2LSB)",
			  bytes[ELF_IDENT_DATA]);
		return -1;
	}
	if (size < ELF32_EHDR_SIZE) {
		fmt_error(err, err_len, "truncated ELF header: the file has 0x%zx bytes, needs 0x%x",
			  size, ELF32_EHDR_SIZE);
		return -1;
	}
	e_machine = read_u16(bytes + ELF32_E_MACHINE);
	if (e_machine != EM_386) {
		fmt_error(err, err_len, "ELF machine %u is not EM_386 (%u)", e_machine, EM_386);
		return -1;
	}
	e_entry = read_u32(bytes + ELF32_E_ENTRY);
	e_phoff = read_u32(bytes + ELF32_E_PHOFF);
	e_phentsize = read_u16(bytes + ELF32_E_PHENTSIZE);
	e_phnum = read_u16(bytes + ELF32_E_PHNUM);

	if (e_phnum == 0) {
		fmt_error(err, err_len, "ELF has no program headers");
		return -1;
	}
	if (e_phentsize < ELF32_PHDR_SIZE) {
		fmt_error(err, err_len, "ELF e_phentsize %u is smaller than a program header (%u)",
			  e_phentsize, ELF32_PHDR_SIZE);
		return -1;
	}
	table_end = (uint64_t)e_phoff + (uint64_t)e_phnum * e_phentsize;
	if (table_end > size) {
		fmt_error(err, err_len,
			  "ELF program headers [0x%x, 0x%llx) extend beyond the file (size 0x%zx)",
			  e_phoff, (unsigned long long)table_end, size);
		return -1;
	}

	for (unsigned i = 0; i < e_phnum; i++) {
		const uint8_t *ph = bytes + e_phoff + (size_t)i * e_phentsize;
		uint32_t p_offset, p_vaddr, p_paddr, p_filesz, p_memsz;
		uint64_t file_end;
		char what[32];

		if (read_u32(ph + ELF32_P_TYPE) != PT_LOAD)
			continue;
		p_offset = read_u32(ph + ELF32_P_OFFSET);
		p_vaddr = read_u32(ph + ELF32_P_VADDR);
		p_paddr = read_u32(ph + ELF32_P_PADDR);
		p_filesz = read_u32(ph + ELF32_P_FILESZ);
		p_memsz = read_u32(ph + ELF32_P_MEMSZ);

		file_end = (uint64_t)p_offset + p_filesz;
		if (file_end > size) {
			fmt_error(err, err_len,
				  "ELF program header %u: segment file range [0x%x, 0x%llx) ends "
				  "beyond the file (size 0x%zx)",
				  i, p_offset, (unsigned long long)file_end, size);
			return -1;
		}
		if (p_filesz > p_memsz) {
			fmt_error(err, err_len,
				  "ELF program header %u: p_filesz 0x%x is larger than p_memsz 0x%x",
				  i, p_filesz, p_memsz);
			return -1;
		}
		/* Segments of size zero load nothing; QEMU skips them too. */
		if (p_memsz == 0)
			continue;
		fmt_snprintf(what, sizeof(what), "ELF program header %u", i);
		if (check_in_ram(what, p_paddr, p_memsz, ram_bytes, err, err_len) != 0)
			return -1;
		if (plan->segment_count == MULTIBOOT_MAX_SEGMENTS) {
			fmt_error(err, err_len, "ELF has more than %u non-empty PT_LOAD segments",
				  MULTIBOOT_MAX_SEGMENTS);
			return -1;
		}
		/* Overlapping segments would overwrite each other (QEMU refuses overlapping ROM
		 * blobs for the same reason). Both ends are < 4 GiB; compared in 64 bits. */
		for (unsigned j = 0; j < plan->segment_count; j++) {
			const struct multiboot_segment *other = &plan->segments[j];

			if ((uint64_t)p_paddr < (uint64_t)other->load_addr + other->mem_size &&
			    (uint64_t)other->load_addr < (uint64_t)p_paddr + p_memsz) {
				fmt_error(err, err_len,
					  "ELF program header %u: segment [0x%x, 0x%llx) overlaps "
					  "another PT_LOAD segment [0x%x, 0x%llx)",
					  i, p_paddr, (unsigned long long)((uint64_t)p_paddr + p_memsz),
					  other->load_addr,
					  (unsigned long long)((uint64_t)other->load_addr +
							       other->mem_size));
				return -1;
			}
		}
		vaddrs[plan->segment_count] = p_vaddr;
		add_segment(plan, p_offset, p_filesz, p_paddr, p_memsz);
	}
	if (plan->segment_count == 0) {
		fmt_error(err, err_len, "ELF has no non-empty PT_LOAD segment");
		return -1;
	}

	/* e_entry is virtual: where a segment's p_vaddr differs from its p_paddr and holds the
	 * entry, translate it (QEMU's ELF loader does the same for -kernel). */
	plan->entry = e_entry;
	for (unsigned i = 0; i < plan->segment_count; i++) {
		const struct multiboot_segment *seg = &plan->segments[i];

		if (vaddrs[i] != seg->load_addr && e_entry >= vaddrs[i] &&
		    e_entry - vaddrs[i] < seg->file_size) {
			plan->entry = seg->load_addr + (e_entry - vaddrs[i]);
			break;
		}
	}
	if (!entry_in_segments(plan, plan->entry)) {
		fmt_error(err, err_len,
			  "ELF entry point 0x%x lies outside every loaded segment", e_entry);
		return -1;
	}
	return 0;
}

int multiboot_parse(const void *image, size_t size, uint64_t ram_bytes,
		    struct multiboot_image *out, char *err, size_t err_len)
{
	const uint8_t *bytes = image;
	struct multiboot_image plan;
	uint32_t required;
	int64_t header_offset;
	int rc;

	memset(&plan, 0, sizeof(plan));
	header_offset = find_header(bytes, size, err, err_len);
	if (header_offset < 0)
		return -1;
	plan.header_offset = (uint32_t)header_offset;
	plan.header_flags = read_u32(bytes + header_offset + MB_HEADER_FLAGS);

	/* Spec §3.1.2: "If the boot loader does not understand all the requirements in the mode
	 * bits of the flags field (0-15), it must fail." */
	required = plan.header_flags & MB_FLAGS_REQUIRED_MASK & ~MB_FLAGS_SUPPORTED;
	if (required != 0) {
		unsigned bit = 0;

		while (!(required & (1u << bit)))
			bit++;
		fmt_error(err, err_len,
			  "multiboot header flags 0x%08x: requires unsupported multiboot feature "
			  "bit %u",
			  plan.header_flags, bit);
		return -1;
	}

	plan.aout_kludge = (plan.header_flags & MULTIBOOT_FLAG_AOUT_KLUDGE) != 0;
	if (plan.aout_kludge)
		rc = parse_aout(bytes, size, ram_bytes, &plan, err, err_len);
	else
		rc = parse_elf(bytes, size, ram_bytes, &plan, err, err_len);
	if (rc != 0)
		return -1;
	*out = plan;
	return 0;
}

void multiboot_load(const void *image, const struct multiboot_image *plan, void *guest_ram)
{
	const uint8_t *bytes = image;
	uint8_t *ram = guest_ram;

	for (unsigned i = 0; i < plan->segment_count; i++) {
		const struct multiboot_segment *seg = &plan->segments[i];

		memcpy(ram + seg->load_addr, bytes + seg->file_offset, seg->file_size);
		memset(ram + seg->load_addr + seg->file_size, 0, seg->mem_size - seg->file_size);
	}
}

/* ---------------------------------------------------------------------------------------- */
/* Boot information (spec §3.3)                                                             */

/*
 * Where a piece of `size` bytes goes when the previous one ended at `cursor`: the next page, or 1
 * MiB if from there it would run out of the available low memory into the reserved EBDA.
 */
static uint64_t place_after(uint64_t cursor, uint64_t size)
{
	uint64_t start = (cursor + MB_PAGE_SIZE - 1) & ~(uint64_t)(MB_PAGE_SIZE - 1);

	if (start < MB_HIGH_RAM_START && start + size > MB_LOW_RAM_END)
		start = MB_HIGH_RAM_START;
	return start;
}

int multiboot_build_info_modules(void *guest_ram, uint64_t ram_bytes,
				 const struct multiboot_image *plan, const char *cmdline,
				 const struct multiboot_module *modules, unsigned module_count,
				 uint32_t *info_gpa, char *err, size_t err_len)
{
	struct bios_memory_range memory_map[MB_MMAP_ENTRIES];
	uint8_t *ram = guest_ram;
	size_t cmdline_size, name_size = sizeof(MB_BOOT_LOADER_NAME);
	uint64_t cursor, base, mmap_at, mods_at, cmdline_at, name_at, strings_at, end;
	uint64_t strings_size = 0;
	struct multiboot_info info;

	if (cmdline == NULL)
		cmdline = "";
	cmdline_size = strlen(cmdline) + 1;

	if (ram_bytes <= MB_HIGH_RAM_START) {
		fmt_error(err, err_len,
			  "guest RAM of 0x%llx bytes is too small: the multiboot memory map needs "
			  "RAM above 1 MiB",
			  (unsigned long long)ram_bytes);
		return -1;
	}
	bios_memory_map(ram_bytes, memory_map);
	if (module_count > 0 && modules == NULL) {
		fmt_error(err, err_len, "%u multiboot modules but no module list", module_count);
		return -1;
	}

	/* First pass: place every module and check it, writing nothing yet. Module i goes at
	 * place_after(end of module i - 1); mod_end is a 32-bit address, so the end of each must
	 * stay below 4 GiB. */
	cursor = plan->load_end;
	for (unsigned i = 0; i < module_count; i++) {
		const char *string = modules[i].string != NULL ? modules[i].string : "";
		uint64_t start = place_after(cursor, modules[i].size);
		uint64_t mod_end = start + modules[i].size;

		/* (A size beyond RAM is refused before start + size could wrap.) */
		if (modules[i].size > ram_bytes || mod_end > ram_bytes || mod_end > UINT32_MAX) {
			fmt_error(err, err_len,
				  "multiboot module %u ('%.60s', 0x%llx bytes) at [0x%llx, 0x%llx) "
				  "does not fit in guest RAM (0x%llx bytes)%s",
				  i + 1, string, (unsigned long long)modules[i].size,
				  (unsigned long long)start, (unsigned long long)mod_end,
				  (unsigned long long)ram_bytes,
				  mod_end > UINT32_MAX ? " below 4 GiB" : "");
			return -1;
		}
		strings_size += strlen(string) + 1;
		cursor = mod_end;
	}

	/* The boot information, page-aligned after the last module (or the kernel). */
	{
		uint64_t info_size = sizeof(info) +
				     MB_MMAP_ENTRIES * sizeof(struct multiboot_mmap_entry) +
				     (uint64_t)module_count * sizeof(struct multiboot_mod_list) +
				     cmdline_size + name_size + strings_size;

		base = place_after(cursor, info_size);
		mmap_at = base + sizeof(info);
		mods_at = mmap_at + MB_MMAP_ENTRIES * sizeof(struct multiboot_mmap_entry);
		cmdline_at = mods_at + (uint64_t)module_count * sizeof(struct multiboot_mod_list);
		name_at = cmdline_at + cmdline_size;
		strings_at = name_at + name_size;
		end = base + info_size;
	}
	if (end > ram_bytes || end > (uint64_t)UINT32_MAX + 1) {
		fmt_error(err, err_len,
			  "multiboot boot information [0x%llx, 0x%llx) does not fit in guest RAM "
			  "(0x%llx bytes)",
			  (unsigned long long)base, (unsigned long long)end,
			  (unsigned long long)ram_bytes);
		return -1;
	}

	/* Second pass: the modules and their list entries. */
	cursor = plan->load_end;
	for (unsigned i = 0; i < module_count; i++) {
		const char *string = modules[i].string != NULL ? modules[i].string : "";
		size_t string_size = strlen(string) + 1;
		uint64_t start = place_after(cursor, modules[i].size);
		struct multiboot_mod_list entry = {
			.mod_start = (uint32_t)start,
			.mod_end = (uint32_t)(start + modules[i].size),
			.string = (uint32_t)strings_at,
			.reserved = 0,
		};

		if (modules[i].size > 0)
			memcpy(ram + start, modules[i].data, modules[i].size);
		memcpy(ram + mods_at + i * sizeof(entry), &entry, sizeof(entry));
		memcpy(ram + strings_at, string, string_size);
		strings_at += string_size;
		cursor = start + modules[i].size;
	}

	memset(&info, 0, sizeof(info));
	info.flags = MULTIBOOT_INFO_MEMORY | MULTIBOOT_INFO_CMDLINE | MULTIBOOT_INFO_MEM_MAP |
		     MULTIBOOT_INFO_BOOT_LOADER_NAME;
	if (module_count > 0) {
		info.flags |= MULTIBOOT_INFO_MODS;
		info.mods_count = module_count;
		info.mods_addr = (uint32_t)mods_at;
	}
	info.mem_lower = MB_LOW_RAM_END / 1024;
	info.mem_upper = (ram_bytes - MB_HIGH_RAM_START) / 1024 > UINT32_MAX ?
				 UINT32_MAX :
				 (uint32_t)((ram_bytes - MB_HIGH_RAM_START) / 1024);
	info.cmdline = (uint32_t)cmdline_at;
	info.mmap_length = MB_MMAP_ENTRIES * sizeof(struct multiboot_mmap_entry);
	info.mmap_addr = (uint32_t)mmap_at;
	info.boot_loader_name = (uint32_t)name_at;
	memcpy(ram + base, &info, sizeof(info));

	for (unsigned i = 0; i < MB_MMAP_ENTRIES; i++) {
		struct multiboot_mmap_entry entry = {
			.size = sizeof(struct multiboot_mmap_entry) - sizeof(uint32_t),
			.addr = memory_map[i].address,
			.len = memory_map[i].length,
			.type = memory_map[i].type,
		};

		memcpy(ram + mmap_at + i * sizeof(entry), &entry, sizeof(entry));
	}
	memcpy(ram + cmdline_at, cmdline, cmdline_size);
	memcpy(ram + name_at, MB_BOOT_LOADER_NAME, name_size);

	*info_gpa = (uint32_t)base;
	return 0;
}

int multiboot_build_info(void *guest_ram, uint64_t ram_bytes, const struct multiboot_image *plan,
			 const char *cmdline, uint32_t *info_gpa, char *err, size_t err_len)
{
	return multiboot_build_info_modules(guest_ram, ram_bytes, plan, cmdline, NULL, 0, info_gpa,
					    err, err_len);
}
