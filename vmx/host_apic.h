/* SPDX-License-Identifier: MIT */
/*
 * The physical local APIC of the CPU root mode runs on, in xAPIC or x2APIC mode as firmware left
 * it: register offsets from apicv/apic_regs.h (the same architectural layout), x2APIC MSR =
 * 0x800 + offset / 16 (SDM Vol. 3A §11.12.1.2 "x2APIC Register Address Space").
 */
#ifndef APICVISOR_HOST_APIC_H
#define APICVISOR_HOST_APIC_H

#include "../lib/klib.h"

/* End of interrupt for the vector in service (one acknowledged on a VM exit). */
void host_apic_eoi(void);
/* A fixed interrupt with `vector` to this CPU (the "self" shorthand / SELF IPI). */
void host_apic_send_self(uint8_t vector);
/* An NMI to this CPU (no shorthand: "self" allows fixed delivery only, SDM Vol. 3A §11.6.1). */
void host_apic_send_self_nmi(void);
/* Whether this CPU's local APIC is in x2APIC mode. */
bool host_apic_x2apic(void);
/* This CPU's APIC ID (8-bit in xAPIC mode, 32-bit in x2APIC mode). */
uint32_t host_apic_id(void);
/* INIT (assert, edge) to the CPU with `apic_id`: it resets and waits for a start-up IPI. */
void host_apic_send_init(uint32_t apic_id);
/* A start-up IPI: the CPU with `apic_id`, waiting after INIT, starts in real mode at
 * CS:IP = vector << 8 : 0 (SDM Vol. 3A §11.6.1, §9.4.4.1). */
void host_apic_send_startup(uint32_t apic_id, uint8_t vector);
/* A fixed, edge-triggered interrupt with `vector` to the CPU with `apic_id` (kicks, posted-
 * interrupt notifications). */
void host_apic_send_fixed(uint32_t apic_id, uint8_t vector);
/* Software-enables this CPU's local APIC (SVR bit 8) with `spurious_vector`. */
void host_apic_software_enable(uint8_t spurious_vector);
/* Masks the LAPIC timer (firmware may have left it running). */
void host_apic_mask_timer(void);
/* Whether this CPU's LAPIC timer has TSC-deadline mode (CPUID.01H:ECX[24], SDM Vol. 3A
 * §11.5.4.1). */
bool host_apic_tsc_deadline(void);
/* Puts the LAPIC timer in TSC-deadline mode with `vector` (needs host_apic_tsc_deadline()),
 * then arms it for host TSC `deadline` (0: disarm). */
void host_apic_timer_deadline_mode(uint8_t vector);
void host_apic_arm_deadline(uint64_t deadline);

#endif
