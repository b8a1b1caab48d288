/* SPDX-License-Identifier: MIT */
/* The memory the BIOS leaves for the kernel (boot/bios.h). */
#include "bios.h"

#include "../lib/fmt.h"
#include "../lib/le.h"

static void put16(uint8_t *p, uint16_t value)
{
	le_put(p, value, 2);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)le_get(p, 2);
}

uint32_t bios_ticks_since_midnight(uint32_t seconds_since_midnight)
{
	/* 1193182 / 65536 ticks per second, rounded down as the BIOS's own count would be. */
	return (uint32_t)((uint64_t)seconds_since_midnight * 1193182u / 65536u);
}

/* The vector of each handler, per the vector's number (boot/bios.h's table). */
static int handler_of(unsigned vector)
{
	if (vector == 0x08)
		return BIOS_HANDLER_IRQ0;
	if (vector == 0x09)
		return BIOS_HANDLER_KEYBOARD_IRQ;
	if (vector >= 0x0A && vector <= 0x0F)
		return BIOS_HANDLER_MASTER_IRQ;
	if (vector >= 0x10 && vector <= 0x1A)
		return BIOS_HANDLER_NO_SERVICE;
	if (vector == 0x70)
		return BIOS_HANDLER_RTC_IRQ;
	if (vector >= 0x71 && vector <= 0x77)
		return BIOS_HANDLER_SLAVE_IRQ;
	if ((vector >= 0x60 && vector <= 0x66) || vector == 0x79)
		return -1; /* user vectors (and 79H): left 0 for programs, as SeaBIOS leaves them */
	return BIOS_HANDLER_IRET;
}

static int check_rom(const uint8_t *rom, size_t rom_len, char *err, size_t err_len)
{
	size_t table_bytes = 2 * (BIOS_HANDLER_COUNT + 1);

	if (!rom || rom_len < table_bytes || rom_len > BIOS_ROM_MAX_BYTES) {
		fmt_snprintf(err, err_len, "BIOS handler image of %zu bytes (expected %zu to %u)",
			     rom_len, table_bytes, BIOS_ROM_MAX_BYTES);
		return -1;
	}
	if (get16(rom + 2 * BIOS_HANDLER_COUNT) != BIOS_ROM_TABLE_END) {
		fmt_snprintf(err, err_len, "BIOS handler image: no end mark after %u handlers",
			     BIOS_HANDLER_COUNT);
		return -1;
	}
	for (unsigned h = 0; h < BIOS_HANDLER_COUNT; h++) {
		uint16_t offset = get16(rom + 2 * h);

		if (offset < BIOS_ROM_OFFSET + table_bytes || offset >= BIOS_ROM_OFFSET + rom_len) {
			fmt_snprintf(err, err_len, "BIOS handler %u at F000:%04X is outside the image",
				     h, offset);
			return -1;
		}
	}
	return 0;
}

int bios_write_vector_table(uint8_t *ram, const uint8_t *rom, size_t rom_len, char *err,
			    size_t err_len)
{
	if (check_rom(rom, rom_len, err, err_len))
		return -1;
	for (unsigned vector = 0; vector < BIOS_IVT_BYTES / 4; vector++) {
		int h = handler_of(vector);
		uint8_t *entry = ram + BIOS_IVT_ADDRESS + 4 * vector;

		/* An entry is offset then segment. */
		put16(entry, h < 0 ? 0 : get16(rom + 2 * (unsigned)h));
		put16(entry + 2, h < 0 ? 0 : BIOS_ROM_SEGMENT);
	}
	return 0;
}

void bios_write_data_areas(uint8_t *ram, const uint8_t *rom, size_t rom_len)
{
	uint8_t *bda = ram + BIOS_DATA_AREA;

	memset(bda, 0, BIOS_DATA_AREA_BYTES);
	put16(bda + BDA_COM_PORTS, BIOS_COM1_PORT);
	put16(bda + BDA_EBDA_SEGMENT, BIOS_EBDA_ADDRESS >> 4);
	put16(bda + BDA_EQUIPMENT, BIOS_EQUIPMENT_WORD);
	put16(bda + BDA_BASE_MEMORY_KIB, BIOS_BASE_MEMORY_KIB);
	/* The keyboard buffer: 16 words at 40:1E, empty (head = tail). */
	put16(bda + BDA_KBD_HEAD, 0x1E);
	put16(bda + BDA_KBD_TAIL, 0x1E);
	put16(bda + BDA_KBD_START, 0x1E);
	put16(bda + BDA_KBD_END, 0x3E);

	memset(ram + BIOS_EBDA_ADDRESS, 0, BIOS_EBDA_KIB << 10);
	ram[BIOS_EBDA_ADDRESS] = BIOS_EBDA_KIB;

	memcpy(ram + BIOS_ROM_ADDRESS, rom, rom_len);
}

void bios_write_ticks(uint8_t *ram, uint32_t ticks)
{
	le_put(ram + BIOS_DATA_AREA + BDA_TICKS, ticks, 4);
}

void bios_memory_map(uint64_t ram_bytes, struct bios_memory_range map[BIOS_MEMORY_MAP_ENTRIES])
{
	map[0] = (struct bios_memory_range){ 0, BIOS_EBDA_ADDRESS, BIOS_MEMORY_AVAILABLE };
	map[1] = (struct bios_memory_range){ BIOS_EBDA_ADDRESS, 0xA0000u - BIOS_EBDA_ADDRESS,
					     BIOS_MEMORY_RESERVED };
	map[2] = (struct bios_memory_range){ BIOS_BIOS_AREA, BIOS_HIGH_RAM - BIOS_BIOS_AREA,
					     BIOS_MEMORY_RESERVED };
	map[3] = (struct bios_memory_range){ BIOS_HIGH_RAM, ram_bytes - BIOS_HIGH_RAM,
					     BIOS_MEMORY_AVAILABLE };
}
