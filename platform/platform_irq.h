/* SPDX-License-Identifier: MIT */
/*
 * The guest's interrupt platform (platform/platform_irq.c): the vIOAPIC, the 8259 pair, the PIT, the
 * interrupt test device, fw_cfg and the ACPI PM timer, wired to each other and to the vCPU's
 * vLAPIC as on a QEMU pc machine. The models are plain C in devices/; this file only connects
 * them and turns their needs into VM-exit decisions. Delivery reaches it only through the
 * apic_platform_ops it registers (apicv/delivery.h).
 */
#ifndef APICVISOR_PLATFORM_IRQ_H
#define APICVISOR_PLATFORM_IRQ_H

#include "../vmx/vcpu.h"

/* Creates the devices for the vCPU (one vCPU: every interrupt targets it). */
/* testdev: the interrupt test device (include/apicvisor/testdev.h) is on the I/O bus. */
/* wall_clock: the time the RTC starts at, seconds since 1970 (UTC). */
void platform_irq_init(struct vcpu *v, uint64_t tsc_hz, bool testdev, unsigned cpus,
		       uint64_t wall_clock);
/* Puts vCPU 0's local APIC, the 8259s and the PIT in the state the BIOS leaves for the kernel
 * (boot/bios.h): after platform_irq_init (and platform_irq_housekeeping, with housekeeping=cpu0),
 * before vCPU 0 first enters the guest, on the CPU that built the platform. */
void platform_irq_bios_handoff(void);
/* On vCPU 0's CPU, asked for by another CPU (VCPU_EVENT_DEVICES): the 8259's INTR to its LINT0
 * and its timer re-armed for the devices' deadlines. */
void platform_irq_sync(struct vcpu *v);
/* housekeeping=cpu0: from now on the housekeeping CPU runs the device timers (PIT, the test
 * device's delayed raise), not vCPU 0's VMX-preemption timer. On that CPU,
 * platform_irq_housekeeping_timers runs what is due and returns the next device deadline (host
 * TSC, 0: none). */
void platform_irq_housekeeping(void);
uint64_t platform_irq_housekeeping_timers(void);
/* The device models' lock (the locking rule in platform_irq.c): for the devices platform.c
 * keeps (COM1). Re-entrant; nothing with one vCPU. */
void platform_lock(void);
void platform_unlock(void);
/* Takes the platform apart again (host tests create one per test). */
void platform_irq_destroy(void);

/* An access that ends the run: a reset (92H, CF9H, the 8042) or ACPI soft off (PM1a_CNT). */
struct platform_stop {
	enum guest_end end;           /* GUEST_END_RESET or GUEST_END_POWEROFF */
	const char *cause;            /* NULL: the run goes on */
};

/* Ports the devices answer: handled → true with *value for reads; *stop says whether the access
 * ended the run (cause NULL: it did not). */
bool platform_irq_io(struct vcpu *v, uint16_t port, unsigned size, bool in, uint32_t *value,
		     struct platform_stop *stop);

/* An EPT violation at `gpa`: true (with the action) when it was the IOAPIC page, the HPET page or
 * the test device's iomem window. */
bool platform_irq_mmio(struct vcpu *v, uint64_t gpa, bool write, enum exit_action *action);
/* One access of `size` bytes at guest-physical gpa to the device there (the IOAPIC, the HPET, the
 * test device's iomem window), under the devices' lock: for the other memory operand of a string
 * or stack instruction (vmx/mmio.c). False when no device is there. */
bool platform_irq_mmio_access(struct vcpu *v, uint64_t gpa, unsigned size, bool write,
			      uint64_t *value);

/* A platform device (COM1 on ISA IRQ 4) drives its interrupt line. */
void platform_irq_set_gsi(unsigned gsi, bool level);

/* An IOAPIC redirection entry as the guest would read it (tests and the fuzzer). */
uint64_t platform_irq_rte(unsigned pin);
/* Remote IRR bits the IOAPIC has cleared on EOIs so far (statistics). */
uint64_t platform_irq_remote_irr_clears(void);

#endif
