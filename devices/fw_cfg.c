/* SPDX-License-Identifier: MIT */
/*
 * QEMU fw_cfg, legacy I/O interface (interface and rules: fw_cfg.h; QEMU docs/specs/fw_cfg.rst).
 */
#include "fw_cfg.h"

#include "../lib/fmt.h"
#include "../lib/le.h"

/* Selector bits 13:0 index the item; bit 15 picks the architecture-specific set, bit 14 was the
 * write channel (docs/specs/fw_cfg.rst, "Selector (Control) Register"). */
#define FW_CFG_ENTRY_MASK 0x3fffu

/* File directory entry layout ("File Directory (Key 0x0019, FW_CFG_FILE_DIR)"). */
#define DIR_COUNT_SIZE 4
#define DIR_ENTRY_SIZE_FIELD 0     /* u32 big-endian */
#define DIR_ENTRY_SELECT 4         /* u16 big-endian */
#define DIR_ENTRY_NAME 8

_Static_assert(DIR_ENTRY_NAME + FW_CFG_FILE_NAME_SIZE == FW_CFG_DIR_ENTRY_SIZE,
	       "fw_cfg directory entry is 64 bytes");

static const uint8_t signature[4] = { 'Q', 'E', 'M', 'U' };

static void put_be(uint8_t *p, uint64_t value, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(value >> (8 * (bytes - 1 - i)));
}

/* Rewrites item 0x0019 from files[]: the count, then one entry per file in directory order. */
static void rebuild_directory(struct fw_cfg *fw)
{
	memset(fw->directory, 0, sizeof(fw->directory));
	put_be(fw->directory, fw->file_count, 4);
	for (unsigned i = 0; i < fw->file_count; i++) {
		uint8_t *entry = fw->directory + DIR_COUNT_SIZE + i * FW_CFG_DIR_ENTRY_SIZE;

		put_be(entry + DIR_ENTRY_SIZE_FIELD, fw->files[i].size, 4);
		put_be(entry + DIR_ENTRY_SELECT, FW_CFG_FILE_FIRST + i, 2);
		memcpy(entry + DIR_ENTRY_NAME, fw->files[i].name, FW_CFG_FILE_NAME_SIZE);
	}
}

void fw_cfg_init(struct fw_cfg *fw, uint64_t ram_bytes, uint16_t cpu_count, uint16_t max_cpus)
{
	memset(fw, 0, sizeof(*fw));
	fw->selector = FW_CFG_SIGNATURE;
	le_put(fw->id, FW_CFG_VERSION_TRADITIONAL, sizeof(fw->id));
	le_put(fw->ram_size, ram_bytes, sizeof(fw->ram_size));
	le_put(fw->nb_cpus, cpu_count, sizeof(fw->nb_cpus));
	le_put(fw->max_cpus, max_cpus, sizeof(fw->max_cpus));
	rebuild_directory(fw);
}

int fw_cfg_add_file(struct fw_cfg *fw, const char *name, const void *data, uint32_t size,
		    char *err, size_t err_len)
{
	size_t name_len = strnlen(name, FW_CFG_FILE_NAME_SIZE);
	unsigned index;

	if (name_len == 0) {
		fmt_error(err, err_len, "fw_cfg: empty file name");
		return -1;
	}
	if (name_len >= FW_CFG_FILE_NAME_SIZE) {
		fmt_error(err, err_len, "fw_cfg: file name '%.40s...' is longer than %d characters",
			  name, FW_CFG_FILE_NAME_SIZE - 1);
		return -1;
	}
	for (size_t i = 0; i < name_len; i++) {
		if (name[i] < 0x20 || name[i] > 0x7e) {
			fmt_error(err, err_len,
				  "fw_cfg: file name character 0x%02x at position %zu is not "
				  "printable ASCII",
				  (unsigned char)name[i], i + 1);
			return -1;
		}
	}
	if (size > 0 && data == NULL) {
		fmt_error(err, err_len, "fw_cfg: file '%s' has %u bytes but no data", name, size);
		return -1;
	}
	if (fw_cfg_file_selector(fw, name) != 0) {
		fmt_error(err, err_len, "fw_cfg: file '%s' already exists", name);
		return -1;
	}
	if (fw->file_count == FW_CFG_MAX_FILES) {
		fmt_error(err, err_len, "fw_cfg: no room for file '%s' (at most %d files)", name,
			  FW_CFG_MAX_FILES);
		return -1;
	}

	/* Sorted insert: QEMU keeps the directory in strcmp order and moves the items after. */
	index = fw->file_count;
	while (index > 0 && strcmp(name, fw->files[index - 1].name) < 0) {
		fw->files[index] = fw->files[index - 1];
		index--;
	}
	memset(&fw->files[index], 0, sizeof(fw->files[index]));
	memcpy(fw->files[index].name, name, name_len);
	fw->files[index].data = data;
	fw->files[index].size = size;
	fw->file_count++;
	rebuild_directory(fw);
	return 0;
}

uint16_t fw_cfg_file_selector(const struct fw_cfg *fw, const char *name)
{
	for (unsigned i = 0; i < fw->file_count; i++) {
		if (strncmp(fw->files[i].name, name, FW_CFG_FILE_NAME_SIZE) == 0)
			return (uint16_t)(FW_CFG_FILE_FIRST + i);
	}
	return 0;
}

/* The bytes of the selected item, or NULL (length 0) for a selector with no item. */
static const uint8_t *selected_item(const struct fw_cfg *fw, uint32_t *len)
{
	unsigned key = fw->selector & FW_CFG_ENTRY_MASK;

	*len = 0;
	if (fw->selector & FW_CFG_ARCH_LOCAL)
		return NULL;                    /* no architecture-specific items */
	switch (key) {
	case FW_CFG_SIGNATURE:
		*len = sizeof(signature);
		return signature;
	case FW_CFG_ID:
		*len = sizeof(fw->id);
		return fw->id;
	case FW_CFG_RAM_SIZE:
		*len = sizeof(fw->ram_size);
		return fw->ram_size;
	case FW_CFG_NB_CPUS:
		*len = sizeof(fw->nb_cpus);
		return fw->nb_cpus;
	case FW_CFG_MAX_CPUS:
		*len = sizeof(fw->max_cpus);
		return fw->max_cpus;
	case FW_CFG_FILE_DIR:
		*len = DIR_COUNT_SIZE + fw->file_count * FW_CFG_DIR_ENTRY_SIZE;
		return fw->directory;
	default:
		if (key >= FW_CFG_FILE_FIRST && key - FW_CFG_FILE_FIRST < fw->file_count) {
			const struct fw_cfg_file *file = &fw->files[key - FW_CFG_FILE_FIRST];

			*len = file->size;
			return file->data;
		}
		return NULL;
	}
}

bool fw_cfg_handles_port(uint16_t port)
{
	return port == FW_CFG_PORT_SELECTOR || port == FW_CFG_PORT_DATA;
}

/* docs/specs/fw_cfg.rst, "Data Register": "After the data offset has passed the end of this
 * maximum data length, then any reads will return a data value of 0x00". */
static uint8_t read_data_byte(struct fw_cfg *fw)
{
	uint32_t len;
	const uint8_t *item = selected_item(fw, &len);

	if (item == NULL || fw->offset >= len)
		return 0;
	return item[fw->offset++];
}

uint32_t fw_cfg_read(struct fw_cfg *fw, uint16_t port, unsigned size)
{
	if (!fw_cfg_handles_port(port) || size != 1) {
		fw->ignored_accesses++;
		return 0;
	}
	return read_data_byte(fw);
}

void fw_cfg_write(struct fw_cfg *fw, uint16_t port, unsigned size, uint32_t value)
{
	if (!fw_cfg_handles_port(port) || size != 2) {
		fw->ignored_accesses++;     /* data writes (ignored since QEMU 2.4), odd widths */
		return;
	}
	/* "Setting the selector register will cause the data offset to be set to zero." */
	fw->selector = (uint16_t)value;
	fw->offset = 0;
	fw->selects++;
}
