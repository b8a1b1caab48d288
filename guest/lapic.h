/* SPDX-License-Identifier: MIT */
/*
 * A driver for the local APIC of the CPU the guest runs on, in xAPIC mode (registers in a 4 KiB
 * page at the base IA32_APIC_BASE gives, SDM Vol. 3A §11.4.1 "The Local APIC Block Diagram") or
 * x2APIC mode (MSR 800H + offset / 16, SDM Vol. 3A §11.12.1.2 "x2APIC Register Address
 * Space"), switchable at run time.
 *
 * Every function is one or a few register accesses, named so that a scenario's accesses, which
 * a hypervisor counts as exits, can be read off its code; each says which registers it touches.
 * xAPIC registers are read and written with a plain 32-bit MOV through a register
 * (8B /r and 89 /r), the simplest form a hypervisor's instruction decoder must handle.
 */
#ifndef GUEST_LAPIC_H
#define GUEST_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

/* Register offsets in the xAPIC page, as SDM Vol. 3A Table 11-1 "Local APIC Register Address
 * Map" names them. In x2APIC mode register R is MSR LAPIC_X2APIC_MSR_BASE + R / 16, except
 * that the ICR is one 64-bit MSR there (830H) and DFR does not exist. */
#define LAPIC_REG_ID 0x20u              /* xAPIC: bits 31:24; x2APIC: the 32-bit x2APIC ID */
#define LAPIC_REG_VERSION 0x30u
#define LAPIC_REG_TPR 0x80u             /* task priority */
#define LAPIC_REG_PPR 0xA0u             /* processor priority (read only) */
#define LAPIC_REG_EOI 0xB0u
#define LAPIC_REG_LDR 0xD0u             /* logical destination (xAPIC: bits 31:24 writable) */
#define LAPIC_REG_DFR 0xE0u             /* destination format (xAPIC only) */
#define LAPIC_REG_SVR 0xF0u             /* spurious-interrupt vector */
#define LAPIC_REG_ISR 0x100u            /* in-service, 8 registers of 32 vectors, 10H apart */
#define LAPIC_REG_TMR 0x180u            /* trigger mode, likewise */
#define LAPIC_REG_IRR 0x200u            /* interrupt request, likewise */
#define LAPIC_REG_ESR 0x280u            /* error status */
#define LAPIC_REG_ICR_LOW 0x300u        /* interrupt command, bits 31:0 */
#define LAPIC_REG_ICR_HIGH 0x310u       /* interrupt command, bits 63:32 (xAPIC only) */
#define LAPIC_REG_LVT_TIMER 0x320u
#define LAPIC_REG_LVT_LINT0 0x350u
#define LAPIC_REG_LVT_LINT1 0x360u
#define LAPIC_REG_LVT_ERROR 0x370u
#define LAPIC_REG_TIMER_INITIAL_COUNT 0x380u
#define LAPIC_REG_TIMER_CURRENT_COUNT 0x390u
#define LAPIC_REG_TIMER_DIVIDE 0x3E0u   /* divide configuration */

#define LAPIC_X2APIC_MSR_BASE 0x800u
#define LAPIC_X2APIC_MSR_SELF_IPI 0x83Fu /* x2APIC only: writing a vector sends it to self */

/* The spurious-interrupt vector the driver programs: the APIC delivers it, without setting an
 * ISR bit, when an interrupt it was about to deliver is masked by a raised TPR (SDM Vol. 3A
 * §11.9 "Spurious Interrupt"), so its handler must not write EOI. No IPI uses it. */
#define LAPIC_SPURIOUS_VECTOR 0xFFu

/* Vectors 0-15 are illegal for fixed interrupts: the APIC refuses them and logs an error
 * (SDM Vol. 3A §11.5.3 "Error Handling"). */
#define LAPIC_FIRST_LEGAL_VECTOR 16u

/* Error status register bits (SDM Vol. 3A Figure 11-9 "Error Status Register (ESR)"). */
#define LAPIC_ESR_SEND_ILLEGAL_VECTOR (1u << 5)
#define LAPIC_ESR_RECEIVE_ILLEGAL_VECTOR (1u << 6)

/* Interrupt command register, low half (SDM Vol. 3A Figure 11-12 "Interrupt Command Register
 * (ICR)"). The level bit "must be set to 1" for every delivery mode but INIT de-assert. */
#define LAPIC_ICR_DELIVERY_FIXED (0u << 8)
#define LAPIC_ICR_DELIVERY_NMI (4u << 8)
#define LAPIC_ICR_DESTINATION_PHYSICAL (0u << 11)
#define LAPIC_ICR_DESTINATION_LOGICAL (1u << 11)
#define LAPIC_ICR_LEVEL_ASSERT (1u << 14)
#define LAPIC_ICR_SHORTHAND_NONE (0u << 18)
#define LAPIC_ICR_SHORTHAND_SELF (1u << 18)
#define LAPIC_ICR_SHORTHAND_ALL_INCLUDING_SELF (2u << 18)
#define LAPIC_ICR_SHORTHAND_ALL_EXCLUDING_SELF (3u << 18)

/* xAPIC logical destinations (SDM Vol. 3A §11.6.2.2 "Logical Destination Mode"): the logical
 * APIC ID is LDR bits 31:24; DFR bits 31:28 pick the model, 1111b flat (an 8-bit member
 * bitmap), 0000b cluster (cluster in bits 7:4 of the ID, member bitmap in bits 3:0); bits 27:0
 * are reserved, all ones. */
#define LAPIC_LDR_SHIFT 24
#define LAPIC_DFR_FLAT 0xFFFFFFFFu
#define LAPIC_DFR_CLUSTER 0x0FFFFFFFu

/* Version register bit 24: EOI-broadcast suppression is supported, and SVR bit 12 then turns
 * it on: the EOI of a level-triggered interrupt is not broadcast to the I/O APICs (SDM Vol. 3A
 * §11.4.8 "Local APIC Version Register", §11.8.5 "Signaling Interrupt Servicing Completion").
 */
#define LAPIC_VERSION_EOI_BROADCAST_SUPPRESSION (1u << 24)

/* LVT bits (SDM Vol. 3A Figure 11-8 "Local Vector Table (LVT)"). ExtINT, for LINT0 only here:
 * the processor "respond[s] to the interrupt as if the interrupt originated in an externally
 * connected (8259A-compatible) interrupt controller", which supplies the vector in an INTA
 * cycle; the trigger mode is then always level (SDM Vol. 3A §11.5.1 "Local Vector Table"). */
#define LAPIC_LVT_DELIVERY_EXTINT (7u << 8)
#define LAPIC_LVT_MASKED (1u << 16)

/* LVT timer modes, bits 18:17 (SDM Vol. 3A Table 11-2 "Local APIC Timer Modes"). */
enum lapic_timer_mode {
	LAPIC_TIMER_ONE_SHOT = 0,
	LAPIC_TIMER_PERIODIC = 1,
	LAPIC_TIMER_TSC_DEADLINE = 2,   /* only where CPUID.1:ECX[24] = 1 */
};

enum lapic_mode {
	LAPIC_MODE_DISABLED,            /* IA32_APIC_BASE.EN = 0 */
	LAPIC_MODE_XAPIC,               /* EN = 1, EXTD = 0 */
	LAPIC_MODE_X2APIC,              /* EN = 1, EXTD = 1 */
};

/* What CPUID.1 says; read once, on first use. */
bool lapic_present(void);               /* EDX[9] */
bool lapic_has_x2apic(void);            /* ECX[21] */
bool lapic_has_tsc_deadline(void);      /* ECX[24] */

const char *lapic_mode_name(enum lapic_mode mode);

/*
 * Puts the APIC in `mode` (xAPIC or x2APIC) and into a known state: software-enabled with
 * spurious vector LAPIC_SPURIOUS_VECTOR, TPR 0, timer stopped and masked with divide by 1,
 * LINT0, LINT1 and error LVTs masked, errors cleared. Returns false, with the reason in *why,
 * when the CPU refused a transition (the APIC is then in whatever mode it stopped at).
 *
 * Accesses: a first call reads IA32_APIC_BASE; a change of mode writes it once (xAPIC to
 * x2APIC, SDM Vol. 3A §11.12.1 "Detecting and Enabling x2APIC Mode") or twice (x2APIC to
 * xAPIC through the disabled state) and reads it back; then ID read, and SVR, TPR, LVT timer,
 * initial count, divide configuration, LVT LINT0, LVT LINT1, LVT error and ESR written once
 * each.
 */
bool lapic_setup(enum lapic_mode mode, const char **why);

enum lapic_mode lapic_mode(void);
/* The APIC ID read by the last lapic_setup (no access). */
uint32_t lapic_id(void);

/* xAPIC mode: the address of register `reg`, for code that must place the access itself
 * (in an STI shadow, say). */
uintptr_t lapic_xapic_register(uint32_t reg);

/* One register access each, MMIO or RDMSR/WRMSR by the current mode. */
uint32_t lapic_read(uint32_t reg);
void lapic_write(uint32_t reg, uint32_t value);

/* Writes SVR as lapic_setup does (software-enabled, spurious vector LAPIC_SPURIOUS_VECTOR),
 * with EOI-broadcast suppression (bit 12) on or off: one SVR write. */
void lapic_set_eoi_broadcast_suppression(bool suppress);

/* Writes EOI (0, which x2APIC mode requires). */
void lapic_eoi(void);
void lapic_set_tpr(uint32_t tpr);

/* Whether IRR or ISR has `vector`: reads one of the 8 IRR or ISR registers. */
bool lapic_irr_has(uint8_t vector);
bool lapic_isr_has(uint8_t vector);

/* Sends an IPI: xAPIC writes ICR high (destination in bits 31:24) then ICR low, which sends;
 * x2APIC writes the ICR MSR once (destination in bits 63:32). */
void lapic_send_ipi(uint32_t command, uint32_t destination);
/* A fixed IPI with shorthand self: the ICR low (xAPIC) or ICR MSR (x2APIC) written once. The
 * destination field is ignored with a shorthand, so xAPIC leaves ICR high alone. */
void lapic_send_self_ipi(uint8_t vector);
/* x2APIC only: writes the SELF IPI MSR once. */
void lapic_send_x2apic_self_ipi(uint8_t vector);

/* The error status after the write-before-read the SDM asks for ("Before attempt to read from
 * the ESR, software should first write to it", SDM Vol. 3A §11.5.3 "Error Handling"): one ESR
 * write of 0, then one ESR read. The value read holds the errors since the previous write. */
uint32_t lapic_read_esr(void);

/* The LVT timer value for `mode` and `vector`, unmasked (no access). */
uint32_t lapic_lvt_timer(enum lapic_timer_mode mode, uint8_t vector);

/* Starts the timer in one-shot or periodic mode: writes the LVT timer, then the initial count
 * (which starts it). The divide configuration stays at divide by 1 from lapic_setup. */
void lapic_timer_start(enum lapic_timer_mode mode, uint8_t vector, uint32_t initial_count);
/* A write of 0 to the initial count "effectively stops the local APIC timer, in both one-shot
 * and periodic mode" (SDM Vol. 3A §11.5.4 "APIC Timer"): one write. */
void lapic_timer_stop(void);
/* Arms the TSC-deadline timer: writes the LVT timer, then IA32_TSC_DEADLINE (one WRMSR). */
void lapic_timer_start_tsc_deadline(uint8_t vector, uint64_t deadline);

#endif
