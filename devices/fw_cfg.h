/* SPDX-License-Identifier: MIT */
/*
 * QEMU's firmware configuration device (fw_cfg), legacy I/O interface only, as QEMU's
 * docs/specs/fw_cfg.rst ("QEMU Firmware Configuration (fw_cfg) Device") describes it for x86:
 *
 *   0x510  selector: a 16-bit write selects an item and sets the data offset to 0
 *   0x511  data: each 8-bit read returns the next byte of the item; past its end, 0x00
 *
 * The two ports are one region in QEMU (hw/nvram/fw_cfg.c, "comb" I/O ops): an 8-bit read at
 * either returns the next data byte, a 16-bit write at either selects; 8-bit writes are
 * ignored (data writes are not supported since QEMU 2.4); every other width is ignored on
 * write and reads 0. Ignored accesses are counted. No DMA interface: the feature bitmap (item
 * 0x0001) has only bit 0 set, and port 0x514 is not handled.
 *
 * Items: 0x0000 signature "QEMU"; 0x0001 ID (feature bitmap, u32 LE = 1); 0x0003 RAM size
 * (u64 LE); 0x0005 number of CPUs (u16 LE); 0x000f maximum CPUs (u16 LE); 0x0019 the file
 * directory (u32 big-endian count, then 64-byte entries: u32 BE size, u16 BE selector, u16
 * reserved, 56-byte NUL-terminated name), kept sorted by name as QEMU does, file i (in that
 * order) at selector 0x0020 + i. Any other selector, including every architecture-specific one
 * (bit 15 set), reads 0. Bit 14 of the selector (the old write channel) is ignored for reads, as
 * in QEMU.
 *
 * Plain C, no VMX or UEFI: unit-tested on the host with the sequences SeaBIOS and Linux's
 * qemu_fw_cfg driver use.
 */
#ifndef APICVISOR_FW_CFG_H
#define APICVISOR_FW_CFG_H

#include "../lib/klib.h"

#define FW_CFG_PORT_SELECTOR 0x510u
#define FW_CFG_PORT_DATA 0x511u

/* Selector keys (QEMU include/standard-headers/linux/qemu_fw_cfg.h names). */
#define FW_CFG_SIGNATURE 0x0000u
#define FW_CFG_ID 0x0001u
#define FW_CFG_RAM_SIZE 0x0003u
#define FW_CFG_NB_CPUS 0x0005u
#define FW_CFG_MAX_CPUS 0x000fu
#define FW_CFG_FILE_DIR 0x0019u
#define FW_CFG_FILE_FIRST 0x0020u
#define FW_CFG_WRITE_CHANNEL 0x4000u
#define FW_CFG_ARCH_LOCAL 0x8000u

#define FW_CFG_VERSION_TRADITIONAL 0x1u  /* FW_CFG_ID bit 0 */

#define FW_CFG_MAX_FILES 16
#define FW_CFG_FILE_NAME_SIZE 56          /* including the NUL */
#define FW_CFG_DIR_ENTRY_SIZE 64

/* A named file item; the data stays the caller's and must outlive the device. */
struct fw_cfg_file {
	char name[FW_CFG_FILE_NAME_SIZE];
	const uint8_t *data;
	uint32_t size;
};

/*
 * Set up by fw_cfg_init and fw_cfg_add_file (before the guest runs); afterwards only the
 * selector, offset and counters change, on guest port accesses from the vCPU that exits on them.
 */
struct fw_cfg {
	uint16_t selector;            /* as the guest last wrote it */
	uint32_t offset;              /* next byte of the selected item */
	uint8_t id[4];                /* item 0x0001 */
	uint8_t ram_size[8];          /* item 0x0003 */
	uint8_t nb_cpus[2];           /* item 0x0005 */
	uint8_t max_cpus[2];          /* item 0x000f */
	unsigned file_count;
	struct fw_cfg_file files[FW_CFG_MAX_FILES];     /* sorted by name */
	uint8_t directory[4 + FW_CFG_DIR_ENTRY_SIZE * FW_CFG_MAX_FILES];  /* item 0x0019 */
	uint64_t selects;             /* selector writes */
	uint64_t ignored_accesses;    /* data writes, odd widths */
};

/* An empty file directory; the selector starts at the signature (as QEMU's reset does). */
void fw_cfg_init(struct fw_cfg *fw, uint64_t ram_bytes, uint16_t cpu_count, uint16_t max_cpus);

/*
 * Adds a file item. name: 1..55 printable ASCII characters, unique. Keeps the directory sorted
 * by name (strcmp order), so selectors of files after the new one move up by one, as in QEMU.
 * Returns 0, or -1 with a message (name empty, too long or duplicate; directory full).
 */
int fw_cfg_add_file(struct fw_cfg *fw, const char *name, const void *data, uint32_t size,
		    char *err, size_t err_len);

/* The selector key of a file, or 0 if there is none of that name. */
uint16_t fw_cfg_file_selector(const struct fw_cfg *fw, const char *name);

/* Ports 0x510 and 0x511. */
bool fw_cfg_handles_port(uint16_t port);

/* A guest IN of size 1, 2 or 4 at a port fw_cfg_handles_port accepts. */
uint32_t fw_cfg_read(struct fw_cfg *fw, uint16_t port, unsigned size);

/* A guest OUT of size 1, 2 or 4 at a port fw_cfg_handles_port accepts. */
void fw_cfg_write(struct fw_cfg *fw, uint16_t port, unsigned size, uint32_t value);

#endif
