/* SPDX-License-Identifier: MIT */
/*
 * The machine state the BIOS left at the kernel's entry (what SeaBIOS leaves a `qemu -kernel`
 * guest; what apicvisor reproduces: boot/bios.h), read once before the guest touches any device,
 * then quiesced so that the scenarios start from a still machine; the bios-state and
 * realmode-sti-hlt scenarios (scenarios_bios.c) check what was read and put it back.
 */
#ifndef GUEST_BIOS_STATE_H
#define GUEST_BIOS_STATE_H

#include <stdbool.h>
#include <stdint.h>

/* What SeaBIOS leaves (QEMU 7.2's pc machine, measured; boot/bios.h has apicvisor's copy). */
#define BIOS_PIC_MASTER_BASE 0x08u
#define BIOS_PIC_SLAVE_BASE 0x70u
#define BIOS_APIC_SVR 0x1FFu
#define BIOS_APIC_LINT0 0x8700u          /* ExtINT, level */
#define BIOS_APIC_LINT1 0x8400u          /* NMI, level */
#define BIOS_TICKS_PER_DAY 0x1800B0u     /* the BDA tick count wraps at midnight */

struct bios_state {
	uint8_t pic_master_mask, pic_slave_mask;  /* IMRs (in 21H, A1H) */
	uint8_t pit0_status;            /* read-back status of channel 0 */
	bool pit0_running;              /* two latched counts of channel 0 differed */
	uint32_t apic_svr, apic_lint0, apic_lint1;  /* xAPIC registers (0 without an xAPIC) */
	uint16_t com1_port, lpt1_port, ebda_segment, equipment, base_memory_kib;
	uint8_t ebda_kib;               /* the EBDA's first byte: its size */
	uint32_t ticks;                 /* 40:6C */
	uint32_t rtc_seconds;           /* the RTC's time of day, in seconds since midnight */
	uint32_t hardware_vectors_set;  /* bit n: IVT entry of IRQ n (08H-0FH, 70H-77H) not 0 */
	uint16_t cmos_base_kib, cmos_extended_kib, cmos_extended_kib_copy, cmos_above_16m;
};

/* Reads the state (guest_main, first thing); then quiesces (below), as a kernel that takes over
 * the machine does. */
void bios_state_capture(void);
const struct bios_state *bios_state(void);

/* Puts the interrupt path back as the BIOS left it: the 8259s initialised at vectors 08H/70H
 * with the masks read, the PIT's channel 0 in mode 2 with count 0 (18.2 Hz), the local APIC's
 * LINT0 ExtINT and LINT1 NMI, the APIC software-enabled. */
void bios_state_restore(void);
/* Masks both 8259s and holds the PIT's channel 0 in mode 2 without a count (pit_hold): it stops
 * under apicvisor and on an 8254; QEMU's 8254 keeps counting after a control word
 * (docs/test-hosts.md), where the masks alone keep its ticks out. */
void bios_state_quiesce(void);

#endif
