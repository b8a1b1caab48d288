/* SPDX-License-Identifier: MIT */
#include "platform_irq.h"

#include "../apicv/apic_regs.h"
#include "../apicv/vlapic.h"
#include "../boot/console.h"
#include "../boot/x86.h"
#include "../devices/acpi_tables.h"
#include "../devices/fw_cfg.h"
#include "../devices/irq_routing.h"
#include "../devices/pit.h"
#include "../devices/pm_timer.h"
#include "../devices/vioapic.h"
#include "../devices/vpic.h"
#include "../include/apicvisor/testdev.h"
#include "../apicv/delivery.h"
#include "../vmx/mmio.h"
#include "../vmx/vmx.h"

/*
 * The wiring, as on a PC: the 8259's INTR output goes to LINT0 of every local APIC and to
 * IOAPIC pin 0; ISA IRQ n goes to 8259 pin n and IOAPIC pin n, except IRQ0 (the PIT) on IOAPIC
 * pin 2 (the MADT's interrupt source override); IOAPIC messages and MSIs go to the local APICs
 * whose destination matches. One vCPU: "the local APICs" is this vCPU's vLAPIC.
 */
static struct {
	struct vcpu *vcpu;
	struct vioapic *ioapic;
	struct vpic *pic;
	struct pit *pit;
	struct irq_router *router;
	struct fw_cfg fw_cfg;
	struct pm_timer pm_timer;
	struct {
		bool present;                   /* testdev=on (the default) */
		uint32_t delay;                 /* TSC cycles for the next delayed raise */
		int pending_gsi;                /* -1: none */
		uint64_t deadline;
		uint32_t msi_address, msi_data;
	} testdev;
} platform;

static uint64_t platform_now(void *ctx)
{
	(void)ctx;
	return rdtsc();
}

/* Whether an IOAPIC or MSI message's destination names the vCPU's local APIC. The message
 * carries an 8-bit destination: 0xFF is the xAPIC broadcast, and stays a broadcast for a local
 * APIC in x2APIC mode, whose own broadcast ID is 0xFFFFFFFF (SDM Vol. 3A §11.12.9 "ICR
 * Operation in x2APIC Mode"; KVM treats it the same way). */
static bool message_reaches(const struct vcpu *v, uint32_t destination, bool logical)
{
	if (destination == 0xFF && vlapic_x2apic_mode(v->vlapic))
		destination = 0xFFFFFFFFu;
	return vlapic_match_destination(v->vlapic, destination, logical);
}

/* A message for the local APICs (IOAPIC RTE or MSI). */
static bool deliver_to_vcpu(void *ctx, uint32_t destination, bool logical, uint8_t mode,
			    uint8_t vector, bool level)
{
	struct vcpu *v = ctx;

	if (!message_reaches(v, destination, logical))
		return false;
	switch (mode) {
	case VIOAPIC_DELIVERY_FIXED:
	case VIOAPIC_DELIVERY_LOWEST_PRIORITY:
		return vlapic_set_irq(v->vlapic, vector, level);
	case VIOAPIC_DELIVERY_NMI:
		v->nmi_pending = true;
		return true;
	case VIOAPIC_DELIVERY_EXTINT:
		/* The vector comes from the 8259 at injection (platform_extint_pending). */
		return true;
	default:
		/* SMI, INIT: nothing to do for a single vCPU without SMM; counted by the IOAPIC. */
		return false;
	}
}

static void pic_int_changed(void *ctx, bool asserted)
{
	struct vcpu *v = ctx;

	vioapic_set_pin(platform.ioapic, 0, asserted);
	vlapic_set_lint(v->vlapic, 0, asserted);
}

static void router_pic(void *ctx, unsigned pin, bool level)
{
	(void)ctx;
	vpic_set_irq(platform.pic, pin, level);
}

static void router_ioapic(void *ctx, unsigned pin, bool level)
{
	(void)ctx;
	vioapic_set_pin(platform.ioapic, pin, level);
}

static void pit_irq(void *ctx, bool level)
{
	(void)ctx;
	irq_route_set_gsi(platform.router, 0, level);
}

static void pit_timer_changed(void *ctx)
{
	struct vcpu *v = ctx;

	v->timer_dirty = true;
}

/* No rte_changed: the EOI-exit bitmap is recomputed before every VM entry in the APICv modes
 * (apicv/delivery.c), from the IOAPIC's level vectors and the vLAPIC's TMR. */
static const struct vioapic_ops ioapic_ops = { deliver_to_vcpu, NULL };
static const struct vpic_ops pic_ops = { pic_int_changed };
static const struct irq_router_ops router_ops = { router_pic, router_ioapic, deliver_to_vcpu };
static const struct pit_ops pit_ops = { .now = platform_now, .irq = pit_irq,
					.timer_changed = pit_timer_changed };
static const struct pm_timer_ops pm_timer_ops = { platform_now, NULL };

static const struct apic_platform_ops board_ops;

void platform_irq_init(struct vcpu *v, uint64_t tsc_hz, bool testdev)
{
	char err[128];

	apic_delivery_set_platform(&board_ops);
	platform.vcpu = v;
	platform.ioapic = vioapic_create(&ioapic_ops, v);
	platform.pic = vpic_create(&pic_ops, v);
	platform.pit = pit_create(tsc_hz, &pit_ops, v);
	platform.router = irq_router_create(&router_ops, v);
	platform.testdev.present = testdev;
	platform.testdev.pending_gsi = -1;
	fw_cfg_init(&platform.fw_cfg, v->guest->ram_bytes, 1, 1);
	if (pm_timer_init(&platform.pm_timer, ACPI_DEFAULT_PM_TIMER_PORT, PM_TIMER_BITS_EXTENDED,
			  tsc_hz, &pm_timer_ops, err, sizeof(err)))
		kprintf("apicvisor: PM timer: %s\n", err);
}

void platform_irq_destroy(void)
{
	apic_delivery_set_platform(NULL);
	irq_router_destroy(platform.router);
	pit_destroy(platform.pit);
	vpic_destroy(platform.pic);
	vioapic_destroy(platform.ioapic);
	memset(&platform, 0, sizeof(platform));
}

/* ---- the interrupt test device (include/apicvisor/testdev.h) --------------------------------- */

static bool testdev_io(uint16_t port, unsigned size, bool in, uint32_t *value)
{
	if (!platform.testdev.present)
		return false; /* testdev=off: its ports are as empty as any other */
	if (port >= TESTDEV_PORT_LINE(0) && port < TESTDEV_PORT_LINE(TESTDEV_GSI_COUNT)) {
		if (in)
			*value = 0;
		else
			irq_route_set_gsi(platform.router, port - TESTDEV_PORT_LINE(0), *value & 0xFF);
		return true;
	}
	if (port >= TESTDEV_PORT_PULSE(0) && port < TESTDEV_PORT_PULSE(TESTDEV_GSI_COUNT)) {
		if (!in) {
			irq_route_set_gsi(platform.router, port - TESTDEV_PORT_PULSE(0), true);
			irq_route_set_gsi(platform.router, port - TESTDEV_PORT_PULSE(0), false);
		} else {
			*value = 0;
		}
		return true;
	}
	if (port < TESTDEV_PORT_DELAY || port > TESTDEV_PORT_UART_RX)
		return false;
	if (in) {
		*value = 0;
		return true;
	}
	switch (port) {
	case TESTDEV_PORT_DELAY:
		platform.testdev.delay = *value;
		break;
	case TESTDEV_PORT_RAISE_LATER:
		if ((*value & 0xFF) < TESTDEV_GSI_COUNT) {
			platform.testdev.pending_gsi = (int)(*value & 0xFF);
			platform.testdev.deadline = rdtsc() + platform.testdev.delay;
			platform.vcpu->timer_dirty = true;
		}
		break;
	case TESTDEV_PORT_MSI_ADDRESS:
		platform.testdev.msi_address = *value;
		break;
	case TESTDEV_PORT_MSI_DATA:
		platform.testdev.msi_data = *value;
		break;
	case TESTDEV_PORT_MSI_SEND:
		irq_route_msi(platform.router, platform.testdev.msi_address,
			      platform.testdev.msi_data);
		break;
	case TESTDEV_PORT_UART_RX:
		uart16550_receive(&platform.vcpu->uart, (uint8_t)*value);
		break;
	}
	(void)size;
	return true;
}

/* ACPI PM1a event (status, enable) and control blocks: an OS that finds SMI_CMD = 0 in the
 * FADT takes the system as already in ACPI mode (SCI_EN set); nothing raises PM events. */
static bool pm1_io(uint16_t port, bool in, uint32_t *value)
{
	if (port >= ACPI_DEFAULT_PM1A_EVENT_PORT && port < ACPI_DEFAULT_PM1A_EVENT_PORT + 4) {
		if (in)
			*value = 0;
		return true;
	}
	if (port >= ACPI_DEFAULT_PM1A_CONTROL_PORT && port < ACPI_DEFAULT_PM1A_CONTROL_PORT + 2) {
		if (in)
			*value = port == ACPI_DEFAULT_PM1A_CONTROL_PORT ? 1 /* SCI_EN */ : 0;
		return true;
	}
	return false;
}

bool platform_irq_io(struct vcpu *v, uint16_t port, unsigned size, bool in, uint32_t *value)
{
	(void)v;
	if (vpic_handles_port(port)) {
		/* Wider accesses cover consecutive byte ports, lowest first. */
		uint32_t result = 0;

		for (unsigned i = 0; i < size; i++) {
			if (in)
				result |= (uint32_t)vpic_read(platform.pic, (uint16_t)(port + i)) << (8 * i);
			else
				vpic_write(platform.pic, (uint16_t)(port + i), (uint8_t)(*value >> (8 * i)));
		}
		if (in)
			*value = result;
		return true;
	}
	if (pit_handles_port(port)) {
		if (in)
			*value = pit_read(platform.pit, port);
		else
			pit_write(platform.pit, port, (uint8_t)*value);
		return true;
	}
	if (fw_cfg_handles_port(port)) {
		if (in)
			*value = fw_cfg_read(&platform.fw_cfg, port, size);
		else
			fw_cfg_write(&platform.fw_cfg, port, size, *value);
		return true;
	}
	if (pm_timer_handles_port(&platform.pm_timer, port)) {
		if (in)
			*value = pm_timer_read(&platform.pm_timer, port, size);
		else
			pm_timer_write(&platform.pm_timer, port, size, *value);
		return true;
	}
	return pm1_io(port, in, value) || testdev_io(port, size, in, value);
}

/* ---- the IOAPIC page ------------------------------------------------------------------------- */

static uint32_t ioapic_mmio_read(void *ctx, uint32_t offset, unsigned size)
{
	struct vcpu *v = ctx;

	v->apic_stats.ioapic_access[(offset >> 4) & 0xF]++;
	return vioapic_mmio_read(platform.ioapic, offset, size);
}

static void ioapic_mmio_write(void *ctx, uint32_t offset, unsigned size, uint32_t value)
{
	struct vcpu *v = ctx;

	v->apic_stats.ioapic_access[(offset >> 4) & 0xF]++;
	vioapic_mmio_write(platform.ioapic, offset, size, value);
}

bool platform_irq_mmio(struct vcpu *v, uint64_t gpa, bool write, enum exit_action *action)
{
	const struct mmio_device ioapic = { "IOAPIC", ioapic_mmio_read, ioapic_mmio_write, v };

	if (gpa < VIOAPIC_DEFAULT_BASE || gpa >= VIOAPIC_DEFAULT_BASE + VIOAPIC_MMIO_SIZE)
		return false;
	*action = mmio_emulate(v, &ioapic, (uint32_t)(gpa - VIOAPIC_DEFAULT_BASE), write);
	return true;
}

/* ---- timers ---------------------------------------------------------------------------------- */

static uint64_t platform_irq_deadline(void)
{
	uint64_t deadline = pit_next_event(platform.pit);

	if (platform.testdev.pending_gsi >= 0)
		deadline = tsc_earlier(deadline, platform.testdev.deadline);
	return deadline;
}

static void platform_irq_timers(void)
{
	uint64_t now = rdtsc();
	uint64_t pit_event = pit_next_event(platform.pit);

	if (pit_event && now >= pit_event)
		pit_advance(platform.pit);
	if (platform.testdev.pending_gsi >= 0 && now >= platform.testdev.deadline) {
		unsigned gsi = (unsigned)platform.testdev.pending_gsi;

		platform.testdev.pending_gsi = -1;
		irq_route_set_gsi(platform.router, gsi, true);
		irq_route_set_gsi(platform.router, gsi, false);
	}
}

/* ---- ExtINT and level EOIs ------------------------------------------------------------------- */

static bool platform_extint_pending(struct vcpu *v)
{
	uint64_t rte0 = vioapic_rte(platform.ioapic, 0);
	bool pin0_extint;

	if (!vpic_output(platform.pic))
		return false;
	/* IOAPIC pin 0 in ExtINT mode, unmasked and addressed to this vCPU (as for any RTE:
	 * 82093AA datasheet §3.2.4). */
	pin0_extint = (rte0 & VIOAPIC_RTE_DELIVERY_MODE_MASK) >> VIOAPIC_RTE_DELIVERY_MODE_SHIFT ==
			      VIOAPIC_DELIVERY_EXTINT &&
		      !(rte0 & VIOAPIC_RTE_MASKED) &&
		      message_reaches(v, (uint32_t)(rte0 >> VIOAPIC_RTE_DESTINATION_SHIFT),
				      rte0 & VIOAPIC_RTE_LOGICAL);
	return vlapic_lint0_extint(v->vlapic) || pin0_extint;
}

static int platform_extint_acknowledge(void)
{
	return vpic_acknowledge(platform.pic);
}

void platform_irq_set_gsi(unsigned gsi, bool level)
{
	irq_route_set_gsi(platform.router, gsi, level);
}

static void platform_irq_level_vectors(uint64_t bitmap[4])
{
	vioapic_level_vectors(platform.ioapic, NULL, NULL, bitmap);
}

uint64_t platform_irq_rte(unsigned pin)
{
	return vioapic_rte(platform.ioapic, pin);
}

uint64_t platform_irq_remote_irr_clears(void)
{
	return vioapic_stats(platform.ioapic)->remote_irr_clears;
}

static void platform_irq_eoi(uint8_t vector)
{
	vioapic_eoi(platform.ioapic, vector);
}

/* What delivery (a floor below) asks of this board. */
static const struct apic_platform_ops board_ops = {
	.extint_pending = platform_extint_pending,
	.extint_acknowledge = platform_extint_acknowledge,
	.level_vectors = platform_irq_level_vectors,
	.eoi = platform_irq_eoi,
	.deadline = platform_irq_deadline,
	.run_timers = platform_irq_timers,
};
