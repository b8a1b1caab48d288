/* SPDX-License-Identifier: MIT */
#include "platform_irq.h"

#include "../apicv/apic_regs.h"
#include "../apicv/vlapic.h"
#include "../boot/bios.h"
#include "../boot/console.h"
#include "../boot/x86.h"
#include "../devices/acpi_pm1.h"
#include "../devices/acpi_tables.h"
#include "../devices/iomem_testdev.h"
#include "../devices/fw_cfg.h"
#include "../devices/hpet.h"
#include "../devices/i8042.h"
#include "../devices/irq_routing.h"
#include "../devices/pit.h"
#include "../devices/pm_timer.h"
#include "../devices/sysctl.h"
#include "../devices/rtc.h"
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
	struct vcpu *vcpu;            /* vCPU 0: its CPU runs the device timers, its LINT0 the 8259 */
	bool housekeeping;            /* the housekeeping CPU runs the device timers instead */
	bool lint0;                   /* the 8259's INTR output, as last seen */
	struct vioapic *ioapic;
	struct vpic *pic;
	struct pit *pit;
	struct rtc *rtc;
	struct hpet *hpet;
	struct irq_router *router;
	/* The PC's IRQ0 and IRQ8 wires (legacy_wires): what each source asks for, and the level
	 * last driven. */
	struct {
		bool pit, rtc, hpet0, hpet8;
		bool wire0, wire8;
	} legacy;
	struct fw_cfg fw_cfg;
	struct pm_timer pm_timer;
	struct sysctl sysctl;         /* 92H and CF9H */
	struct i8042 kbc;
	struct acpi_pm1 pm1;          /* PM1a_STS, PM1a_EN, PM1a_CNT */
	struct platform_stop stop;    /* a reset or power-off the guest asked for, until
				       * platform_irq_io's caller takes it */
	struct {
		bool present;                   /* testdev=on (the default) */
		uint32_t delay;                 /* TSC cycles for the next delayed raise */
		int pending_gsi;                /* -1: none */
		uint64_t deadline;
		uint32_t msi_address, msi_data;
		struct iomem_testdev iomem;     /* its iomem window (pc-testdev's), with present */
	} testdev;
} platform;

/*
 * The locking rule (docs/design.md, "SMP"): the device models and the wiring between them are
 * one unit, entered by one CPU at a time under this lock: a port or MMIO exit, a device timer,
 * the 8259's acknowledge, an EOI reaching the IOAPIC. The models call each other synchronously
 * (PIT → router → 8259/IOAPIC → a message to the local APICs), so one lock for the unit has no
 * ordering to get wrong; what leaves it for another vCPU goes through that vCPU's inbox or
 * posted-interrupt descriptor (lock-free). Re-entered by the CPU that holds it (an EOI caused
 * while the unit runs), so it counts depth.
 */
static struct {
	uint32_t taken;
	int owner;                    /* the holder's vCPU id, -1: none */
	unsigned depth;
	uint64_t contended;           /* acquisitions that had to wait */
} unit_lock = { 0, -1, 0, 0 };

/* With one vCPU and no housekeeping CPU there is no other CPU to keep out: the single-vCPU exit
 * path stays as cheap as before SMP (the 1 ms PIT scenario measures it). vcpus_concurrent is
 * final before the guest runs. */
static void unit_lock_take(void)
{
	int me = (int)vcpu_current()->id;

	if (__atomic_load_n(&unit_lock.owner, __ATOMIC_RELAXED) == me) {
		unit_lock.depth++;
		return;
	}
	if (__atomic_exchange_n(&unit_lock.taken, 1, __ATOMIC_ACQUIRE)) {
		__atomic_fetch_add(&unit_lock.contended, 1, __ATOMIC_RELAXED);
		while (__atomic_exchange_n(&unit_lock.taken, 1, __ATOMIC_ACQUIRE))
			__builtin_ia32_pause();
	}
	__atomic_store_n(&unit_lock.owner, me, __ATOMIC_RELAXED);
	unit_lock.depth = 1;
}

static void unit_lock_release(void)
{
	if (--unit_lock.depth)
		return;
	__atomic_store_n(&unit_lock.owner, -1, __ATOMIC_RELAXED);
	__atomic_store_n(&unit_lock.taken, 0, __ATOMIC_RELEASE);
}

void platform_lock(void)
{
	if (vcpus_concurrent)
		unit_lock_take();
}

void platform_unlock(void)
{
	if (vcpus_concurrent)
		unit_lock_release();
}

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

	switch (mode) {
	case VIOAPIC_DELIVERY_FIXED:
	case VIOAPIC_DELIVERY_LOWEST_PRIORITY:
	case VIOAPIC_DELIVERY_NMI:
	case VIOAPIC_DELIVERY_INIT:
		/* The APIC bus routes, every target takes it on its own CPU (apicv/delivery.c,
		 * "between vCPUs"); a fixed interrupt counts as accepted where an APIC is enabled. */
		return apic_deliver_message(destination, logical, mode, vector, level);
	case VIOAPIC_DELIVERY_EXTINT:
		/* The vector comes from the 8259 at injection (platform_extint_pending). */
		return message_reaches(v, destination, logical);
	default:
		return false; /* SMI: no SMM; counted by the IOAPIC */
	}
}

static void pic_int_changed(void *ctx, bool asserted)
{
	struct vcpu *v = ctx;

	vioapic_set_pin(platform.ioapic, 0, asserted);
	platform.lint0 = asserted;
	/* vCPU 0's LINT0, on vCPU 0's CPU (its vLAPIC is touched there only). */
	if (vcpu_current() == v)
		vlapic_set_lint(v->vlapic, 0, asserted);
	else
		apic_request_device_sync(v);
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

/*
 * ISA IRQ0 and IRQ8: the 8254 and the RTC drive them, unless the HPET's LEG_RT_CNF mutes them
 * ("Legacy Replacement Option", IA-PC HPET Specification 1.0a); HPET timers 0 and 1 drive them
 * under LegacyReplacement. Each wire is the OR of what its sources ask for now, so a handover
 * either way leaves it at the level its new owner holds (an RTC IRQF still high when the
 * muting ends is seen again; one high when it starts is dropped, and the HPET's first pulse
 * makes an edge).
 */
static void legacy_wires(void)
{
	bool muted = platform.hpet && hpet_legacy_replacement(platform.hpet);
	bool wire0 = (!muted && platform.legacy.pit) || platform.legacy.hpet0;
	bool wire8 = (!muted && platform.legacy.rtc) || platform.legacy.hpet8;

	if (wire0 != platform.legacy.wire0) {
		platform.legacy.wire0 = wire0;
		irq_route_set_gsi(platform.router, 0, wire0);
	}
	if (wire8 != platform.legacy.wire8) {
		platform.legacy.wire8 = wire8;
		irq_route_set_gsi(platform.router, 8, wire8);
	}
}

static void pit_irq(void *ctx, bool level)
{
	(void)ctx;
	platform.legacy.pit = level;
	legacy_wires();
}

/* A device deadline moved: the CPU that runs the device timers re-arms its own (the
 * housekeeping CPU looks again; vCPU 0's CPU reloads its VMX-preemption timer). */
static void device_timer_changed(struct vcpu *v)
{
	if (platform.housekeeping)
		apic_housekeeper_wake();
	else if (vcpu_current() == v)
		v->timer_dirty = true;
	else
		apic_request_device_sync(v);
}

/* The PIT's and the RTC's timer_changed. */
static void model_timer_changed(void *ctx)
{
	device_timer_changed(ctx);
}

/* The RTC's IRQF: ISA IRQ 8 (8259 slave pin 0, IOAPIC pin 8), active high on the ISA side. */
static void rtc_irq(void *ctx, bool level)
{
	(void)ctx;
	platform.legacy.rtc = level;
	legacy_wires();
}

/* An HPET line by its GSI: GSI 2 (legacy timer 0) is the PC's ISA IRQ0 through the override and
 * GSI 8 ISA IRQ8, both shared with the 8254 and the RTC (legacy_wires); the others are I/O APIC
 * pins of its own. */
static void hpet_irq(void *ctx, unsigned gsi, bool level)
{
	(void)ctx;
	if (gsi == HPET_LEGACY_GSI_TIMER0 || gsi == HPET_LEGACY_GSI_TIMER1) {
		*(gsi == HPET_LEGACY_GSI_TIMER0 ? &platform.legacy.hpet0 : &platform.legacy.hpet8) =
			level;
		legacy_wires();
		return;
	}
	irq_route_set_gsi(platform.router, gsi, level);
}

void platform_irq_sync(struct vcpu *v)
{
	platform_lock();
	bool lint0 = platform.lint0;

	platform_unlock();
	vlapic_set_lint(v->vlapic, 0, lint0);
	v->timer_dirty = true;
}

/* No rte_changed: the EOI-exit bitmap is recomputed before every VM entry in the APICv modes
 * (apicv/delivery.c), from the IOAPIC's level vectors and the vLAPIC's TMR. */
static const struct vioapic_ops ioapic_ops = { deliver_to_vcpu, NULL };
static const struct vpic_ops pic_ops = { pic_int_changed };
static const struct irq_router_ops router_ops = { router_pic, router_ioapic, deliver_to_vcpu };
static const struct pit_ops pit_ops = { .now = platform_now, .irq = pit_irq,
					.timer_changed = model_timer_changed };
static const struct pm_timer_ops pm_timer_ops = { platform_now, NULL };
static const struct rtc_ops rtc_ops = { .now = platform_now, .irq = rtc_irq,
					.timer_changed = model_timer_changed };
static const struct hpet_ops hpet_ops = { .now = platform_now, .irq = hpet_irq,
					  .timer_changed = model_timer_changed };

/* A reset from 92H, CF9H or the 8042, or ACPI soft off: the run ends at this access (one
 * machine, no reboot). */
static void guest_stop(enum guest_end end, const char *cause)
{
	if (!platform.stop.cause)
		platform.stop = (struct platform_stop){ end, cause };
}

static void guest_reset(void *ctx, const char *cause)
{
	(void)ctx;
	guest_stop(GUEST_END_RESET, cause);
}

static void guest_power_off(void *ctx, const char *cause)
{
	(void)ctx;
	guest_stop(GUEST_END_POWEROFF, cause);
}

static const struct acpi_pm1_ops pm1_ops = { guest_power_off, NULL };

/* The 8042's IRQ 1 (keyboard) and IRQ 12 (auxiliary device), active high on the ISA side. */
static void kbc_irq(void *ctx, unsigned isa_irq, bool level)
{
	(void)ctx;
	irq_route_set_gsi(platform.router, isa_irq, level);
}

static const struct sysctl_ops sysctl_ops = { guest_reset, NULL };
static const struct i8042_ops kbc_ops = { kbc_irq, guest_reset, NULL };

static const struct apic_platform_ops board_ops;

/* What PC firmware leaves in CMOS RAM for the memory sizes (the IBM PC/AT BIOS layout SeaBIOS
 * and QEMU keep): base memory in KiB (0x15-0x16), extended memory above 1 MiB in KiB, at most
 * FFFFH as QEMU writes it (0x17-0x18, again at 0x30-0x31), memory above 16 MiB in 64 KiB units
 * (0x34-0x35); the processor count less one at 0x5F as QEMU keeps it. */
static void cmos_memory_sizes(uint64_t ram_bytes, unsigned cpus)
{
	uint64_t extended_kib = ram_bytes > (1u << 20) ? (ram_bytes >> 10) - 1024 : 0;
	uint64_t above_16m = ram_bytes > (16u << 20) ? (ram_bytes - (16u << 20)) >> 16 : 0;

	if (extended_kib > 0xFFFF)
		extended_kib = 0xFFFF;
	if (above_16m > 0xFFFF)
		above_16m = 0xFFFF;
	rtc_cmos_set(platform.rtc, 0x15, 640 & 0xFF);
	rtc_cmos_set(platform.rtc, 0x16, 640 >> 8);
	rtc_cmos_set(platform.rtc, 0x17, (uint8_t)extended_kib);
	rtc_cmos_set(platform.rtc, 0x18, (uint8_t)(extended_kib >> 8));
	rtc_cmos_set(platform.rtc, 0x30, (uint8_t)extended_kib);
	rtc_cmos_set(platform.rtc, 0x31, (uint8_t)(extended_kib >> 8));
	rtc_cmos_set(platform.rtc, 0x34, (uint8_t)above_16m);
	rtc_cmos_set(platform.rtc, 0x35, (uint8_t)(above_16m >> 8));
	rtc_cmos_set(platform.rtc, 0x5F, (uint8_t)(cpus - 1));
}

void platform_irq_init(struct vcpu *v, uint64_t tsc_hz, bool testdev, unsigned cpus,
		       uint64_t wall_clock)
{
	char err[128];

	platform.vcpu = v;
	platform.ioapic = vioapic_create(&ioapic_ops, v);
	platform.pic = vpic_create(&pic_ops, v);
	platform.pit = pit_create(tsc_hz, &pit_ops, v);
	platform.router = irq_router_create(&router_ops, v);
	platform.rtc = rtc_create(tsc_hz, wall_clock, &rtc_ops, v);
	platform.hpet = hpet_create(tsc_hz, &hpet_ops, v);
	if (!platform.hpet)
		kprintf("apicvisor: HPET: a TSC of %llu Hz is outside what the model takes: no HPET\n",
			(unsigned long long)tsc_hz);
	sysctl_init(&platform.sysctl, &sysctl_ops);
	i8042_init(&platform.kbc, &kbc_ops);
	acpi_pm1_init(&platform.pm1, &pm1_ops);
	cmos_memory_sizes(v->guest->ram_bytes, cpus);
	platform.testdev.present = testdev;
	platform.testdev.pending_gsi = -1;
	iomem_testdev_reset(&platform.testdev.iomem);
	fw_cfg_init(&platform.fw_cfg, v->guest->ram_bytes, cpus, cpus);
	if (pm_timer_init(&platform.pm_timer, ACPI_DEFAULT_PM_TIMER_PORT, PM_TIMER_BITS_EXTENDED,
			  tsc_hz, &pm_timer_ops, err, sizeof(err)))
		kprintf("apicvisor: PM timer: %s\n", err);
	/* Last: APs may already run their vCPUs and call the board as soon as it is there. */
	apic_delivery_set_platform(&board_ops);
}

/* The state SeaBIOS leaves the devices in for a -kernel guest (boot/bios.h), reached the way the
 * BIOS reaches it, through the registers: so the models' own rules apply (an ICW sequence
 * clears the IRR, a control word starts the counter afresh) and their statistics count these
 * writes like any other. The boot processor's local APIC in virtual-wire mode, then both 8259s
 * initialised (edge-triggered, cascade on master input 2, 8086 mode) with the BIOS's masks, then
 * the PIT's channel 0 ticking at 18.2 Hz. */
void platform_irq_bios_handoff(void)
{
	static const struct { uint16_t port; uint8_t value; } pic_writes[] = {
		{ 0x20, 0x11 }, { 0x21, BIOS_PIC_MASTER_BASE }, { 0x21, 0x04 }, { 0x21, 0x01 },
		{ 0xA0, 0x11 }, { 0xA1, BIOS_PIC_SLAVE_BASE }, { 0xA1, 0x02 }, { 0xA1, 0x01 },
		{ 0x21, BIOS_PIC_MASTER_MASK }, { 0xA1, BIOS_PIC_SLAVE_MASK },
	};
	struct vlapic *bsp = platform.vcpu->vlapic;

	platform_lock();
	vlapic_mmio_write(bsp, APIC_SVR, 4, BIOS_APIC_SVR);
	vlapic_mmio_write(bsp, APIC_LVT_LINT0, 4, BIOS_APIC_LVT_LINT0);
	vlapic_mmio_write(bsp, APIC_LVT_LINT1, 4, BIOS_APIC_LVT_LINT1);
	for (size_t i = 0; i < sizeof(pic_writes) / sizeof(pic_writes[0]); i++)
		vpic_write(platform.pic, pic_writes[i].port, pic_writes[i].value);
	pit_write(platform.pit, 0x43, BIOS_PIT_CONTROL_WORD);
	pit_write(platform.pit, 0x40, BIOS_PIT_COUNT & 0xFF);
	pit_write(platform.pit, 0x40, BIOS_PIT_COUNT >> 8);
	platform_unlock();
}

void platform_irq_destroy(void)
{
	apic_delivery_set_platform(NULL);
	irq_router_destroy(platform.router);
	rtc_destroy(platform.rtc);
	hpet_destroy(platform.hpet);
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
			device_timer_changed(platform.vcpu);
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

static bool unit_io(uint16_t port, unsigned size, bool in, uint32_t *value);

bool platform_irq_io(struct vcpu *v, uint16_t port, unsigned size, bool in, uint32_t *value,
		     struct platform_stop *stop)
{
	bool handled;

	(void)v;
	platform_lock();
	handled = unit_io(port, size, in, value);
	*stop = platform.stop;
	platform.stop = (struct platform_stop){ GUEST_END_RUNNING, NULL };
	platform_unlock();
	return handled;
}

/* Devices with byte-wide registers at consecutive ports (the 8259 pair, the RTC). */
struct byte_device {
	bool (*handles)(uint16_t port);
	uint8_t (*read)(uint16_t port);
	void (*write)(uint16_t port, uint8_t value);
};

static uint8_t pic_read(uint16_t port)
{
	return vpic_read(platform.pic, port);
}

static void pic_write(uint16_t port, uint8_t value)
{
	vpic_write(platform.pic, port, value);
}

static uint8_t rtc_port_read(uint16_t port)
{
	return rtc_read(platform.rtc, port);
}

static void rtc_port_write(uint16_t port, uint8_t value)
{
	rtc_write(platform.rtc, port, value);
}

static uint8_t pm1_read(uint16_t port)
{
	return acpi_pm1_read(&platform.pm1, port);
}

static void pm1_write(uint16_t port, uint8_t value)
{
	acpi_pm1_write(&platform.pm1, port, value);
}

static const struct byte_device pic_ports = { vpic_handles_port, pic_read, pic_write };
static const struct byte_device pm1_ports = { acpi_pm1_handles, pm1_read, pm1_write };
static const struct byte_device rtc_ports = { rtc_handles_port, rtc_port_read, rtc_port_write };

/* A wider access to such a device covers the next ports, lowest first, as the bus splits it; a
 * port past the device's is an empty bus (all ones, writes dropped). */
static bool byte_ports(const struct byte_device *dev, uint16_t port, unsigned size, bool in,
		       uint32_t *value)
{
	uint32_t result = 0;

	for (unsigned i = 0; i < size; i++) {
		uint16_t p = (uint16_t)(port + i);
		bool here = dev->handles(p);

		if (in)
			result |= (uint32_t)(here ? dev->read(p) : 0xFF) << (8 * i);
		else if (here)
			dev->write(p, (uint8_t)(*value >> (8 * i)));
	}
	if (in)
		*value = result;
	return true;
}

static bool unit_io(uint16_t port, unsigned size, bool in, uint32_t *value)
{
	if (vpic_handles_port(port))
		return byte_ports(&pic_ports, port, size, in, value);
	if (rtc_handles_port(port))
		return byte_ports(&rtc_ports, port, size, in, value);
	if (sysctl_handles(port, size)) {
		if (in)
			*value = sysctl_read(&platform.sysctl, port);
		else
			sysctl_write(&platform.sysctl, port, (uint8_t)*value);
		return true;
	}
	if (i8042_handles(port, size)) {
		if (in)
			*value = i8042_read(&platform.kbc, port);
		else
			i8042_write(&platform.kbc, port, (uint8_t)*value);
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
	if (acpi_pm1_handles(port))
		return byte_ports(&pm1_ports, port, size, in, value);
	return testdev_io(port, size, in, value);
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

static uint32_t hpet_mmio_read(void *ctx, uint32_t offset, unsigned size)
{
	(void)ctx;
	return (uint32_t)hpet_read(platform.hpet, offset, size);
}

/* A write may set or clear LEG_RT_CNF: the wires it hands over follow (legacy_wires). */
static void hpet_mmio_write(void *ctx, uint32_t offset, unsigned size, uint32_t value)
{
	(void)ctx;
	hpet_write(platform.hpet, offset, size, value);
	legacy_wires();
}

/* Its registers are 64 bits wide: an 8-byte access reaches it whole (a comparator write with
 * Tn_VAL_SET_CNF sets the accumulator in one go, as on hardware). */
static uint64_t hpet_mmio_read64(void *ctx, uint32_t offset)
{
	(void)ctx;
	return hpet_read(platform.hpet, offset, 8);
}

static void hpet_mmio_write64(void *ctx, uint32_t offset, uint64_t value)
{
	(void)ctx;
	hpet_write(platform.hpet, offset, 8, value);
	legacy_wires();
}

_Static_assert(ACPI_HPET_BLOCK_ID == (uint32_t)HPET_CAPABILITIES_VALUE,
	       "the ACPI HPET table's Event Timer Block ID is the model's GCAP_ID low half");
_Static_assert(ACPI_HPET_ADDRESS == HPET_MMIO_BASE, "the ACPI HPET table names the model's page");

/* The HPET's 4 KiB page: its registers in the first 1 KiB, the rest reads 0 (the model's). */
#define HPET_PAGE_SIZE 0x1000u

/* The test device's iomem window (devices/iomem_testdev.h), a byte store of any access size. */
static uint32_t iomem_mmio_read(void *ctx, uint32_t offset, unsigned size)
{
	(void)ctx;
	return (uint32_t)iomem_testdev_read(&platform.testdev.iomem, offset, size);
}

static void iomem_mmio_write(void *ctx, uint32_t offset, unsigned size, uint32_t value)
{
	(void)ctx;
	iomem_testdev_write(&platform.testdev.iomem, offset, size, value);
}

static uint64_t iomem_mmio_read64(void *ctx, uint32_t offset)
{
	(void)ctx;
	return iomem_testdev_read(&platform.testdev.iomem, offset, 8);
}

static void iomem_mmio_write64(void *ctx, uint32_t offset, uint64_t value)
{
	(void)ctx;
	iomem_testdev_write(&platform.testdev.iomem, offset, 8, value);
}

/* The device at guest-physical gpa, if any: *dev and its range's start. */
static bool mmio_device_at(struct vcpu *v, uint64_t gpa, struct mmio_device *dev, uint64_t *base)
{
	const struct mmio_device ioapic = { "IOAPIC", ioapic_mmio_read, ioapic_mmio_write, v, NULL,
					    NULL };
	const struct mmio_device hpet = { "HPET", hpet_mmio_read, hpet_mmio_write, v,
					  hpet_mmio_read64, hpet_mmio_write64 };
	const struct mmio_device iomem = { "test device iomem", iomem_mmio_read, iomem_mmio_write,
					   v, iomem_mmio_read64, iomem_mmio_write64 };

	if (gpa >= VIOAPIC_DEFAULT_BASE && gpa < VIOAPIC_DEFAULT_BASE + VIOAPIC_MMIO_SIZE) {
		*dev = ioapic;
		*base = VIOAPIC_DEFAULT_BASE;
	} else if (platform.hpet && gpa >= HPET_MMIO_BASE && gpa < HPET_MMIO_BASE + HPET_PAGE_SIZE) {
		*dev = hpet;
		*base = HPET_MMIO_BASE;
	} else if (platform.testdev.present && gpa >= IOMEM_TESTDEV_BASE &&
		   gpa < IOMEM_TESTDEV_BASE + IOMEM_TESTDEV_SIZE) {
		*dev = iomem;
		*base = IOMEM_TESTDEV_BASE;
	} else {
		return false;
	}
	return true;
}

bool platform_irq_mmio(struct vcpu *v, uint64_t gpa, bool write, enum exit_action *action)
{
	struct mmio_device dev;
	uint64_t base;

	if (!mmio_device_at(v, gpa, &dev, &base))
		return false;
	platform_lock();
	*action = mmio_emulate(v, &dev, (uint32_t)(gpa - base), write);
	platform_unlock();
	return true;
}

bool platform_irq_mmio_access(struct vcpu *v, uint64_t gpa, unsigned size, bool write,
			      uint64_t *value)
{
	struct mmio_device dev;
	uint64_t base;

	if (!mmio_device_at(v, gpa, &dev, &base))
		return false;
	platform_lock();
	if (write)
		mmio_device_write(&dev, (uint32_t)(gpa - base), size, *value);
	else
		*value = mmio_device_read(&dev, (uint32_t)(gpa - base), size);
	platform_unlock();
	return true;
}

/* ---- timers ---------------------------------------------------------------------------------- */

/* The devices' timers run on one CPU: vCPU 0's (its VMX-preemption timer), or the housekeeping
 * CPU's (platform_irq_housekeeping_timers). */
static bool runs_device_timers(void)
{
	return !platform.housekeeping && (vcpu_count == 1 || vcpu_current()->id == 0);
}

static uint64_t unit_deadline(void)
{
	uint64_t deadline = tsc_earlier(pit_next_event(platform.pit), rtc_next_event(platform.rtc));

	if (platform.hpet)
		deadline = tsc_earlier(deadline, hpet_next_event(platform.hpet));

	if (platform.testdev.pending_gsi >= 0)
		deadline = tsc_earlier(deadline, platform.testdev.deadline);
	return deadline;
}

static uint64_t platform_irq_deadline(void)
{
	uint64_t deadline;

	if (!runs_device_timers())
		return 0;
	platform_lock();
	deadline = unit_deadline();
	platform_unlock();
	return deadline;
}

static void unit_timers(void);

static void platform_irq_timers(void)
{
	if (!runs_device_timers())
		return;
	platform_lock();
	unit_timers();
	platform_unlock();
}

void platform_irq_housekeeping(void)
{
	platform.housekeeping = true;
}

uint64_t platform_irq_housekeeping_timers(void)
{
	uint64_t deadline;

	platform_lock();
	unit_timers();
	deadline = unit_deadline();
	platform_unlock();
	return deadline;
}

static void unit_timers(void)
{
	uint64_t now = rdtsc();
	uint64_t pit_event = pit_next_event(platform.pit);
	uint64_t rtc_event = rtc_next_event(platform.rtc);

	if (pit_event && now >= pit_event)
		pit_advance(platform.pit);
	if (rtc_event && now >= rtc_event)
		rtc_advance(platform.rtc);
	if (platform.hpet) {
		uint64_t hpet_event = hpet_next_event(platform.hpet);

		if (hpet_event && now >= hpet_event)
			hpet_advance(platform.hpet);
	}
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
	uint64_t rte0;
	bool pin0_extint;

	/* The 8259's INTR reaches vCPU 0's LINT0 (virtual wire, as firmware sets it up). */
	if (v->id != 0)
		return false;
	platform_lock();
	rte0 = vioapic_rte(platform.ioapic, 0);
	if (!vpic_output(platform.pic)) {
		platform_unlock();
		return false;
	}
	/* IOAPIC pin 0 in ExtINT mode, unmasked and addressed to this vCPU (as for any RTE:
	 * 82093AA datasheet §3.2.4). */
	pin0_extint = (rte0 & VIOAPIC_RTE_DELIVERY_MODE_MASK) >> VIOAPIC_RTE_DELIVERY_MODE_SHIFT ==
			      VIOAPIC_DELIVERY_EXTINT &&
		      !(rte0 & VIOAPIC_RTE_MASKED) &&
		      message_reaches(v, (uint32_t)(rte0 >> VIOAPIC_RTE_DESTINATION_SHIFT),
				      rte0 & VIOAPIC_RTE_LOGICAL);
	platform_unlock();
	return vlapic_lint0_extint(v->vlapic) || pin0_extint;
}

static int platform_extint_acknowledge(void)
{
	int vector;

	platform_lock();
	vector = vpic_acknowledge(platform.pic);
	platform_unlock();
	return vector;
}

void platform_irq_set_gsi(unsigned gsi, bool level)
{
	platform_lock();
	irq_route_set_gsi(platform.router, gsi, level);
	platform_unlock();
}

static void platform_irq_level_vectors(uint64_t bitmap[4])
{
	platform_lock();
	vioapic_level_vectors(platform.ioapic, NULL, NULL, bitmap);
	platform_unlock();
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
	platform_lock();
	vioapic_eoi(platform.ioapic, vector);
	platform_unlock();
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
