/* SPDX-License-Identifier: MIT */
/*
 * The guest's interrupt platform (vmx/platform_irq.c): the vIOAPIC, the 8259 pair, the PIT, the
 * interrupt test device, fw_cfg and the ACPI PM timer, wired to each other and to the vCPU's
 * vLAPIC as on a QEMU pc machine. The models are plain C in devices/; this file only connects
 * them and turns their needs into VM-exit decisions.
 */
#ifndef APICVISOR_PLATFORM_IRQ_H
#define APICVISOR_PLATFORM_IRQ_H

#include "vmx.h"

/* Creates the devices for the vCPU (one vCPU: every interrupt targets it). */
/* testdev: the interrupt test device (include/apicvisor/testdev.h) is on the I/O bus. */
void platform_irq_init(struct vcpu *v, uint64_t tsc_hz, bool testdev);
/* Takes the platform apart again (host tests create one per test). */
void platform_irq_destroy(void);

/* Ports the devices answer: handled → true with *value for reads. */
bool platform_irq_io(struct vcpu *v, uint16_t port, unsigned size, bool in, uint32_t *value);

/* An EPT violation at `gpa`: true (with the action) when it was the IOAPIC page. */
bool platform_irq_mmio(struct vcpu *v, uint64_t gpa, bool write, enum exit_action *action);

/* The earliest TSC a device (PIT, delayed test-device raise) needs the CPU back; 0: none. */
uint64_t platform_irq_deadline(void);
/* Runs the device timers that are due. */
void platform_irq_timers(void);

/* Whether the 8259 has an interrupt for the vCPU through LINT0 or IOAPIC pin 0 set to ExtINT. */
bool platform_extint_pending(struct vcpu *v);
/* The INTA cycle of an ExtINT: the vector from the 8259 (SDM Vol. 3A §11.5.1: "the processor
 * ... the vector is supplied by the external interrupt controller"). */
int platform_extint_acknowledge(void);

/* A platform device (COM1 on ISA IRQ 4) drives its interrupt line. */
void platform_irq_set_gsi(unsigned gsi, bool level);

/* The vectors whose EOI the IOAPIC must see: level-triggered pins (remote IRR). */
void platform_irq_level_vectors(uint64_t bitmap[4]);
/* Remote IRR bits the IOAPIC has cleared on EOIs so far (statistics). */
uint64_t platform_irq_remote_irr_clears(void);

/* A level-triggered EOI reached the vLAPIC: the IOAPIC clears remote IRR. */
void platform_irq_eoi(uint8_t vector);

#endif
