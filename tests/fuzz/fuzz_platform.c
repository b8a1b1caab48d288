/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the platform's port and MMIO dispatch with everything behind it (devices,
 * routing, vLAPIC, the four delivery modes), driven through the real exit handlers over the
 * fake CPU of tests/unit/fake_cpu.c. Each input is a sequence of guest actions: port I/O to
 * every device's ports, IOAPIC and APIC MMIO loads and stores decoded from guest code, MSR
 * accesses, mode switches, RFLAGS.IF changes, time passing, and the guest taking what was
 * injected. After every action the run loop's pre-entry work runs, then the invariants:
 *   - no out-of-bounds access or undefined behaviour (ASan/UBSan), no abort from the fake CPU
 *     (a hypervisor fault: root-mode #UD/#GP, a control word the CPU forbids);
 *   - PPR is what SDM Vol. 3A §11.8.3.1 says: TPR when TPR[7:4] >= ISRV[7:4], else ISRV[7:4]:0;
 *   - no remote IRR stuck with the pin low: a level pin with remote IRR set has its vector in
 *     the vLAPIC's IRR or ISR (or queued for injection), unless the fuzzer rewrote that RTE
 *     while remote IRR was set, a level EOI was kept local by EOI-broadcast suppression (SVR
 *     bit 12), or the local APIC was hardware-disabled (IA32_APIC_BASE.EN = 0 puts IRR and ISR
 *     in their power-up state, SDM Vol. 3A §11.4.3) while it was set, or the same vector was
 *     accepted as an edge interrupt (an IPI or edge MSI) while it was set: acceptance clears the
 *     vector's TMR bit for an edge interrupt, and an EOI with the TMR bit clear is not broadcast
 *     to the IOAPICs (SDM Vol. 3A §11.8.4), so the level source's EOI is lost. Real hardware
 *     keeps remote IRR in all these cases too, until the RTE's EOI register write or a new RTE;
 *   - the guest is never stopped by anything but its own doing: isa-debug-exit, a HLT nothing
 *     can wake, or an access where no RAM and no device is (today a clear stop; the `qemu
 *     -kernel` issue makes such memory read all ones as a PC's master abort does).
 */
#define FUZZ_NAME "fuzz_platform"

#include <string.h>

#include "apicv/apic_regs.h"
#include "apicv/delivery.h"
#include "apicv/vlapic.h"
#include "devices/vioapic.h"
#include "boot/x86.h"
#include "include/apicvisor/testdev.h"
#include "platform/platform_irq.h"
#include "tests/unit/fake_cpu.h"
#include "vmx/exit.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"

#include "fuzz_input.h"

#define RAM (64ull << 10)
#define CODE 0x1000u
#define IOAPIC 0xFEC00000u
#define APIC 0xFEE00000u
#define MAX_ACTIONS 256

/* The ports worth hitting: every device's, a few around them, and anything. */
static const uint16_t ports[] = {
	0x20, 0x21, 0xA0, 0xA1, 0x4D0, 0x4D1,            /* 8259 pair, ELCR */
	0x40, 0x41, 0x42, 0x43, 0x61,                    /* PIT */
	0x3F8, 0x3F9, 0x3FA, 0x3FB, 0x3FC, 0x3FD, 0x3FF, /* COM1 */
	0x510, 0x511,                                    /* fw_cfg */
	0x600, 0x602, 0x604, 0x608,                      /* ACPI PM1a, PM timer */
	0x80, 0x92, 0xCF8, 0xCFC,
};

static struct vcpu *v;
static bool tainted[24];          /* RTE rewritten, or an EOI suppressed, while remote IRR set */
static uint64_t suppressed_eois;  /* the vLAPIC's count of level EOIs kept local, last seen */
static bool line_high[24];        /* test-device line levels the fuzzer set */

static void io(uint16_t port, unsigned size, bool in, uint32_t value)
{
	/* Exit qualification for I/O (SDM Vol. 3C Table 28-5). */
	uint64_t qualification = (size - 1) | (in ? 8u : 0) | (uint64_t)port << 16;

	TRACE("%s%u %#x = %#x\n", in ? "IN" : "OUT", size * 8, port, value);
	v->gprs.rax = value;
	fake.vmcs[VMCS_EXIT_REASON] = EXIT_REASON_IO_INSTRUCTION;
	fake.vmcs[VMCS_EXIT_QUALIFICATION] = qualification;
	fake.vmcs[VMCS_EXIT_INSTRUCTION_LEN] = 1;
	vmx_handle_exit(v, EXIT_REASON_IO_INSTRUCTION);
}

/* The guest instruction behind an MMIO exit: MOV [EBX], EAX (a write) or MOV EAX, [EBX] at CODE,
 * with EBX = gpa (paging off). */
static void place_mov(bool write, uint64_t gpa, uint32_t value)
{
	static const uint8_t store[] = { 0x89, 0x03 }, load[] = { 0x8B, 0x03 };

	memcpy(v->guest->ram + CODE, write ? store : load, 2);
	fake.vmcs[VMCS_GUEST_RIP] = CODE;
	v->gprs.rbx = gpa;
	v->gprs.rax = value;
}

/* A 32-bit MOV between EAX and [EBX] at CODE, faulting on the page at `gpa` (paging off). */
static void mmio(uint64_t gpa, bool write, uint32_t value)
{
	TRACE("MMIO %s %#llx = %#x\n", write ? "write" : "read", (unsigned long long)gpa, value);
	place_mov(write, gpa, value);
	fake.vmcs[VMCS_GUEST_PHYSICAL_ADDRESS] = gpa;
	fake.vmcs[VMCS_EXIT_REASON] = EXIT_REASON_EPT_VIOLATION;
	fake.vmcs[VMCS_EXIT_QUALIFICATION] = write ? 2 : 1;
	vmx_handle_exit(v, EXIT_REASON_EPT_VIOLATION);
}

/* The same MOV on the APIC-access page (tpr-shadow and up): an APIC-access exit, linear access
 * type 0 (read) or 1 (write) with the offset (SDM Vol. 3C Table 28-6). */
static void apic_access(uint32_t offset, bool write, uint32_t value)
{
	TRACE("APIC_ACCESS %s %#x = %#x\n", write ? "write" : "read", offset, value);
	place_mov(write, APIC + offset, value);
	fake.vmcs[VMCS_EXIT_REASON] = EXIT_REASON_APIC_ACCESS;
	fake.vmcs[VMCS_EXIT_QUALIFICATION] = offset | (write ? 1u << 12 : 0);
	fake.vmcs[VMCS_EXIT_INSTRUCTION_LEN] = 2;
	vmx_handle_exit(v, EXIT_REASON_APIC_ACCESS);
}

/* A guest access to the APIC page, as the exit the CPU makes of it: an EPT violation in emulate
 * mode (nothing mapped there), APIC_ACCESS in tpr-shadow. None in apicv and posted: there the CPU
 * virtualizes the accesses itself (EOI, TPR, self-IPIs without an exit, APIC_WRITE traps), which
 * the fake CPU does not model; an exit it could never cause would make the model's state diverge
 * from the CPU's. The Bochs suites cover those modes. */
static void apic_page(uint32_t offset, bool write, uint32_t value)
{
	if (v->apic_mode == MODE_EMULATE)
		mmio(APIC + offset, write, value);
	else if (v->apic_mode == MODE_TPR_SHADOW)
		apic_access(offset, write, value);
}

static void msr(uint32_t index, bool write, uint64_t value)
{
	uint32_t reason = write ? EXIT_REASON_WRMSR : EXIT_REASON_RDMSR;

	TRACE("%s %#x = %#llx\n", write ? "WRMSR" : "RDMSR", index, (unsigned long long)value);
	v->gprs.rcx = index;
	v->gprs.rax = (uint32_t)value;
	v->gprs.rdx = value >> 32;
	fake.vmcs[VMCS_EXIT_REASON] = reason;
	fake.vmcs[VMCS_EXIT_INSTRUCTION_LEN] = 2;
	vmx_handle_exit(v, reason);
}

static uint32_t ioapic_select;

/* The IOAPIC through its two windows, tracking RTE rewrites of pins with remote IRR set. */
static void ioapic_write(uint32_t offset, uint32_t value)
{
	if (offset == 0)
		ioapic_select = value & 0xFF;
	if (offset == 0x10 && ioapic_select >= 0x10 && ioapic_select < 0x40) {
		unsigned pin = (ioapic_select - 0x10) / 2;

		if (platform_irq_rte(pin) & VIOAPIC_RTE_REMOTE_IRR)
			tainted[pin] = true;
	}
	mmio(IOAPIC + offset, true, value);
}

static bool page_bit(uint32_t base, unsigned vector)
{
	const uint8_t *page = vlapic_page(v->vlapic);

	return (*(const uint32_t *)(page + base + (vector / 32) * 16) >> (vector % 32)) & 1;
}

static uint64_t ept_entry(uint64_t gpa)
{
	return fake_ept_entry(v, gpa);
}

/* EPT: every RAM page maps its own host page, except the one the APIC base covers (the
 * APIC-access page there, or nothing in emulate mode); the APIC-access page appears at most at
 * the APIC base; nothing else of the host is ever mapped. */
static void check_ept(void)
{
	uint64_t access = (uint64_t)(uintptr_t)v->apic_pages.apic_access_page;
	uint64_t base = vlapic_mmio_base(v->vlapic);
	bool apic_over_ram = vlapic_hw_enabled(v->vlapic) && !vlapic_x2apic_mode(v->vlapic) &&
			     base < RAM;

	for (uint64_t gpa = 0; gpa < RAM; gpa += 4096) {
		uint64_t e = ept_entry(gpa) & ~0xFFFull;

		if (apic_over_ram && gpa == base)
			FUZZ_CHECK(e == 0 || e == access, "EPT at the APIC base %#llx: %#llx",
				   (unsigned long long)gpa, (unsigned long long)e);
		else
			FUZZ_CHECK(e == (uint64_t)(uintptr_t)v->guest->ram + gpa,
				   "EPT at RAM page %#llx maps %#llx", (unsigned long long)gpa,
				   (unsigned long long)e);
	}
	if (ept_entry(APIC) && (!apic_over_ram || base != APIC))
		FUZZ_CHECK((ept_entry(APIC) & ~0xFFFull) == access && base == APIC &&
				   v->apic_mode != MODE_EMULATE,
			   "EPT maps %#llx at 0xFEE00000 with the APIC base at %#llx",
			   (unsigned long long)ept_entry(APIC), (unsigned long long)base);
}

static void check_invariants(void)
{
	const uint8_t *page = vlapic_page(v->vlapic);
	uint32_t tpr = *(const uint32_t *)(page + APIC_TPR) & 0xFF;
	uint32_t ppr = *(const uint32_t *)(page + APIC_PPR) & 0xFF;
	int isrv = vlapic_highest_isr(v->vlapic);
	uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xF0;
	uint32_t want = (tpr & 0xF0) >= isr_class ? tpr : isr_class;
	uint32_t queued = (uint32_t)fake.vmcs[VMCS_ENTRY_INTR_INFO];

	/* In the APICv modes the CPU keeps PPR; the model's value is checked in the others. */
	if (v->apic_mode < MODE_APICV)
		FUZZ_CHECK(ppr == want, "PPR %#x, TPR %#x, highest ISR %d: want %#x", ppr, tpr,
			   isrv, want);
	/* A level EOI kept local by EOI-broadcast suppression leaves remote IRR set by design. */
	bool suppressed = vlapic_stats(v->vlapic)->suppressed_level_eois != suppressed_eois;

	suppressed_eois = vlapic_stats(v->vlapic)->suppressed_level_eois;
	for (unsigned pin = 0; pin < 24; pin++) {
		uint64_t rte = platform_irq_rte(pin);
		unsigned vector = rte & 0xFF;

		if (!(rte & VIOAPIC_RTE_REMOTE_IRR)) {
			tainted[pin] = false;
			continue;
		}
		/* The vector held (IRR or ISR) with its TMR bit clear: an edge acceptance. */
		bool edge_accepted = !page_bit(APIC_TMR0, vector) &&
				     (page_bit(APIC_IRR0, vector) || page_bit(APIC_ISR0, vector));

		if (suppressed || !vlapic_hw_enabled(v->vlapic) || edge_accepted)
			tainted[pin] = true;
		/* Pins 0, 2 and 4 have other drivers (8259 INTR, PIT, COM1). */
		if (tainted[pin] || pin == 0 || pin == 2 || pin == 4 || line_high[pin])
			continue;
		FUZZ_CHECK(page_bit(APIC_IRR0, vector) || page_bit(APIC_ISR0, vector) ||
				   ((queued & INTR_INFO_VALID) && (queued & 0xFF) == vector),
			   "pin %u: remote IRR stuck (vector %#x neither in IRR nor ISR, line low)",
			   pin, vector);
	}
	check_ept();
	FUZZ_CHECK(v->end == GUEST_END_RUNNING || v->end == GUEST_END_HALTED ||
			   v->end == GUEST_END_DEBUG_EXIT || v->end == GUEST_END_RESET ||
			   v->end == GUEST_END_POWEROFF ||
			   (v->end == GUEST_END_UNHANDLED &&
			    strstr(v->end_detail, "no RAM and no emulated device there")),
		   "guest stopped: %s", v->end_detail);
}

/* The guest takes what the entry injected (its handler runs; an EOI may follow). */
static void enter(void)
{
	apic_before_entry(v);
	if (fake.vmcs[VMCS_GUEST_ACTIVITY_STATE] == ACTIVITY_STATE_HLT)
		fake.vmcs[VMCS_GUEST_ACTIVITY_STATE] = ACTIVITY_STATE_ACTIVE;
}

static void delivered(void)
{
	fake.vmcs[VMCS_ENTRY_INTR_INFO] = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size, 0 };

	fake_cpu_reset();
	v = fake_vcpu_create(&vmx_caps_tigerlake, (enum apicvisor_mode)(input_u8(&in) % 4), RAM);
	fake.vmcs[VMCS_GUEST_RFLAGS] = 0x202;
	v->watchdog_deadline_tsc = 0; /* time passes fast here: no timeout= watchdog */
	memset(tainted, 0, sizeof(tainted));
	suppressed_eois = 0;
	memset(line_high, 0, sizeof(line_high));
	ioapic_select = 0;
	for (unsigned n = 0; n < MAX_ACTIONS && in.pos < in.size && v->end == GUEST_END_RUNNING; n++) {
		uint8_t op = input_u8(&in);
		uint32_t value = input_u32(&in);

		switch (op % 12) {
		case 0: { /* port I/O */
			uint8_t which = input_u8(&in);
			uint16_t port = which < 2 * ARRAY_SIZE(ports) ? ports[which % ARRAY_SIZE(ports)]
								      : input_u16(&in);

			/* Not isa-debug-exit (0xF4-0xF7): that ends the guest, as it should. */
			if (port >= 0xF4 && port <= 0xF7)
				break;
			static const unsigned sizes[] = { 1, 1, 2, 4 };

			io(port, sizes[(op >> 4) & 3], op & 0x80, value);
			break;
		}
		case 1: /* a test-device line */
			line_high[value % 24] = (op >> 4) & 1;
			io((uint16_t)TESTDEV_PORT_LINE(value % 24), 1, false, (op >> 4) & 1);
			break;
		case 2: /* a test-device pulse or MSI */
			if (op & 0x10) {
				io(TESTDEV_PORT_MSI_ADDRESS, 4, false, 0xFEE00000u | (value & 0xFF000));
				io(TESTDEV_PORT_MSI_DATA, 4, false, input_u32(&in) & 0xC7FF);
				io(TESTDEV_PORT_MSI_SEND, 1, false, 1);
			} else {
				io((uint16_t)TESTDEV_PORT_PULSE(value % 24), 1, false, 1);
			}
			break;
		case 3: /* IOAPIC: select, window, EOI */
			ioapic_write((op >> 4) % 3 == 0 ? 0 : (op >> 4) % 3 == 1 ? 0x10 : 0x40, value);
			break;
		case 4:
			mmio(IOAPIC + ((op >> 4) % 3 == 0 ? 0 : 0x10), false, 0);
			break;
		case 5: /* the APIC page */
			apic_page(value & 0x3F0, op & 0x10, input_u32(&in));
			break;
		case 6: { /* MSRs: x2APIC range, TSC, TSC deadline, APIC base, anything */
			static const uint32_t msrs[] = { MSR_IA32_APIC_BASE, 0x10, 0x6E0, 0x80B,
							 0x808, 0x830, 0x83F, 0x838, 0x1A0, 0x277 };
			uint32_t index = (op & 0x10) ? msrs[value % ARRAY_SIZE(msrs)]
						     : 0x800 + (value & 0xFF);

			msr(index, op & 0x20, input_u64(&in));
			break;
		}
		case 7: /* mode switch (the SET_MODE hypercall's work) */
			apic_set_mode(v, (enum apicvisor_mode)(value % 4));
			break;
		case 8: /* RFLAGS.IF */
			fake.vmcs[VMCS_GUEST_RFLAGS] = value & 1 ? 0x202 : 0x2;
			break;
		case 9: /* time passes; the preemption timer fires */
			fake.tsc += value & 0xFFFFF;
			fake.vmcs[VMCS_EXIT_REASON] = EXIT_REASON_PREEMPTION_TIMER;
			vmx_handle_exit(v, EXIT_REASON_PREEMPTION_TIMER);
			break;
		case 10: /* the guest took the injected event; its handler EOIs (or not) */
			delivered();
			if (op & 0x10)
				apic_page(APIC_EOI, true, 0);
			break;
		case 11: /* an interrupt-window exit */
			fake.vmcs[VMCS_EXIT_REASON] = EXIT_REASON_INTERRUPT_WINDOW;
			vmx_handle_exit(v, EXIT_REASON_INTERRUPT_WINDOW);
			break;
		}
		if (v->end != GUEST_END_RUNNING)
			break;
		enter();
		check_invariants();
	}
	check_invariants();
	fake_vcpu_destroy(v);
	return 0;
}
