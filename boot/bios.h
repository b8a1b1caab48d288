/* SPDX-License-Identifier: MIT */
/*
 * The memory a PC BIOS leaves filled in for the kernel it boots, as QEMU's pc machine with
 * SeaBIOS leaves it for a `qemu -kernel` guest (measured with the test guest's bios-state probe;
 * docs/configuration.md, "What the BIOS leaves"):
 *
 *   0000:0000  the real-mode interrupt vector table: IRQ 0-7 at INT 08H-0FH and IRQ 8-15 at
 *              INT 70H-77H, pointing at handlers that acknowledge the 8259s (IRQ 0 counts the
 *              BIOS tick first, IRQ 1 reads the 8042's data port, IRQ 8 reads RTC register C);
 *              the BIOS services INT 10H-1AH answer "not supported" (CF = 1, AH = 86H); INT
 *              60H-66H (the user vectors) and 79H are 0, as SeaBIOS leaves them; every other
 *              vector points at an IRET.
 *   0040:0000  the BIOS data area: COM1 at 3F8H, the equipment word, 639 KiB of base memory,
 *              the EBDA's segment, the tick count since midnight, an empty keyboard buffer.
 *   9FC0:0000  the extended BIOS data area, 1 KiB (its first byte says so).
 *   F000:E000  the handlers (boot/bios_rom.asm).
 *
 * What is not there: no BIOS services (INT 10H video, 13H disk, 15H memory map: a multiboot
 * kernel has the memory map from its loader), no video adapter (the BDA's video fields are 0),
 * no parallel port, no floppy.
 *
 * Plain C (no UEFI, no VMX), unit-tested on the host (tests/unit/test_bios.c).
 */
#ifndef APICVISOR_BIOS_H
#define APICVISOR_BIOS_H

#include "../lib/klib.h"

/* The vector bases the BIOS programs into the 8259s (SeaBIOS's, the IBM PC/AT's). */
#define BIOS_PIC_MASTER_BASE 0x08u
#define BIOS_PIC_SLAVE_BASE 0x70u
/* The masks it leaves: IRQ 0 (timer), 1 (keyboard), 2 (cascade), 6 (floppy) open at the master;
 * 8 (RTC), 12 (mouse), 13 (FPU), 14 (disk) at the slave — QEMU 7.2 with SeaBIOS, measured. */
#define BIOS_PIC_MASTER_MASK 0xB8u
#define BIOS_PIC_SLAVE_MASK 0x8Eu

/* The local APIC's virtual-wire mode (Intel MultiProcessor Specification 1.4, §3.6.2.2): the
 * APIC software-enabled with spurious vector FFH, LINT0 ExtINT (the 8259's INTR) and LINT1 NMI,
 * both level-triggered, as SeaBIOS leaves the bootstrap processor's. */
#define BIOS_APIC_SVR 0x1FFu
#define BIOS_APIC_LVT_LINT0 0x8700u
#define BIOS_APIC_LVT_LINT1 0x8400u

/* The PIT's channel 0 as the BIOS leaves it: mode 2 (rate generator), LSB then MSB, binary,
 * count 0 (65536): IRQ 0 at 1193182 / 65536 = 18.2 Hz. */
#define BIOS_PIT_CONTROL_WORD 0x34u
#define BIOS_PIT_COUNT 0u

#define BIOS_IVT_ADDRESS 0x0u
#define BIOS_IVT_BYTES 0x400u
#define BIOS_DATA_AREA 0x400u
#define BIOS_DATA_AREA_BYTES 0x100u
#define BIOS_EBDA_ADDRESS 0x9FC00u
#define BIOS_EBDA_KIB 1u
#define BIOS_ROM_SEGMENT 0xF000u
#define BIOS_ROM_OFFSET 0xE000u      /* boot/bios_rom.asm's org */
#define BIOS_ROM_ADDRESS ((BIOS_ROM_SEGMENT << 4) + BIOS_ROM_OFFSET)
#define BIOS_ROM_MAX_BYTES 0x1000u

/* BIOS data area fields (offsets from 0x400; IBM PC/AT Technical Reference layout). */
#define BDA_COM_PORTS 0x00u          /* 4 words: COM1-COM4 I/O bases */
#define BDA_LPT_PORTS 0x08u          /* 3 words: LPT1-LPT3 */
#define BDA_EBDA_SEGMENT 0x0Eu       /* word */
#define BDA_EQUIPMENT 0x10u          /* word */
#define BDA_BASE_MEMORY_KIB 0x13u    /* word */
#define BDA_KBD_HEAD 0x1Au           /* word: keyboard buffer head (offset in segment 40H) */
#define BDA_KBD_TAIL 0x1Cu
#define BDA_TICKS 0x6Cu              /* dword: timer ticks since midnight */
#define BDA_KBD_START 0x80u          /* word: keyboard buffer start */
#define BDA_KBD_END 0x82u

/* The equipment word: bit 1 math coprocessor, bits 11:9 the number of serial ports (1). */
#define BIOS_EQUIPMENT_WORD ((1u << 1) | (1u << 9))
#define BIOS_COM1_PORT 0x3F8u
#define BIOS_BASE_MEMORY_KIB (BIOS_EBDA_ADDRESS >> 10)

/* The handlers boot/bios_rom.asm's offset table lists, in its order. */
enum bios_handler {
	BIOS_HANDLER_IRQ0,
	BIOS_HANDLER_KEYBOARD_IRQ,
	BIOS_HANDLER_MASTER_IRQ,
	BIOS_HANDLER_RTC_IRQ,
	BIOS_HANDLER_SLAVE_IRQ,
	BIOS_HANDLER_IRET,
	BIOS_HANDLER_NO_SERVICE,
	BIOS_HANDLER_COUNT,
};
#define BIOS_ROM_TABLE_END 0x55AAu

/* The firmware's memory map, as INT 15H E820H would give it, the multiboot memory map and the
 * Linux e820 table both copy: RAM below the EBDA, the EBDA and the BIOS area (the ACPI tables and
 * these handlers) reserved, RAM from 1 MiB to the end of guest RAM. The VGA/ROM hole between
 * them is left out, as SeaBIOS leaves it. */
#define BIOS_MEMORY_MAP_ENTRIES 4u
#define BIOS_MEMORY_AVAILABLE 1u     /* the e820 and multiboot type numbers */
#define BIOS_MEMORY_RESERVED 2u
#define BIOS_BIOS_AREA 0xF0000u
#define BIOS_HIGH_RAM 0x100000u
struct bios_memory_range {
	uint64_t address, length;
	uint32_t type;
};
/* Fills map[BIOS_MEMORY_MAP_ENTRIES] for guest RAM of ram_bytes (more than 1 MiB). */
void bios_memory_map(uint64_t ram_bytes, struct bios_memory_range map[BIOS_MEMORY_MAP_ENTRIES]);

/* Ticks of the BIOS clock (1193182 / 65536 Hz) in `seconds_since_midnight` seconds. */
uint32_t bios_ticks_since_midnight(uint32_t seconds_since_midnight);

/*
 * Writes the interrupt vector table into guest RAM (at least 1 MiB) for the handlers in `rom`
 * (boot/bios_rom.asm's flat image of rom_len bytes). Called before the kernel image is loaded,
 * so that an image which covers the table wins. Returns 0, or -1 with the reason in err when
 * `rom` is not a well-formed handler image.
 */
int bios_write_vector_table(uint8_t *ram, const uint8_t *rom, size_t rom_len, char *err,
			    size_t err_len);

/* Writes the BIOS data area (tick count 0), the EBDA and the handlers (`rom`, checked by the call
 * above) into guest RAM. */
void bios_write_data_areas(uint8_t *ram, const uint8_t *rom, size_t rom_len);

/* Sets the BIOS data area's tick count, as the BIOS does from the RTC's time of day just before
 * it boots the kernel. */
void bios_write_ticks(uint8_t *ram, uint32_t ticks);

#endif
