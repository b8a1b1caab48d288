/* SPDX-License-Identifier: MIT */
#include "lapic.h"

#include <stddef.h>
#include <stdint.h>

#include "cpu.h"

/* IA32_APIC_BASE (SDM Vol. 3A Figure 11-26 "IA32_APIC_BASE MSR Supporting x2APIC"). */
#define LAPIC_BASE_EXTD (1u << 10)          /* x2APIC mode */
#define LAPIC_BASE_EN (1u << 11)            /* APIC global enable */
#define LAPIC_BASE_ADDRESS_MASK 0x000FFFFFFFFFF000ull
/* entry.asm identity-maps the first 4 GiB only. */
#define LAPIC_BASE_ADDRESS_LIMIT 0x100000000ull

#define LAPIC_SVR_APIC_ENABLED (1u << 8)    /* APIC software enable */
#define LAPIC_SVR_EOI_BROADCAST_SUPPRESSION (1u << 12)
#define LAPIC_LVT_TIMER_MODE_SHIFT 17
#define LAPIC_TIMER_DIVIDE_BY_1 0xBu        /* SDM Vol. 3A Figure 11-10 "Divide Configuration
					     * Register" */
#define LAPIC_XAPIC_ID_SHIFT 24             /* the xAPIC ID is bits 31:24 of the ID register */
#define LAPIC_X2APIC_MSR_ICR 0x830u

/* Set on first use by lapic_probe; the guest runs on one CPU, so these are all its state. */
static bool lapic_probed;
static uint32_t lapic_cpuid_ecx, lapic_cpuid_edx;
/* Kept by lapic_setup: the mode the APIC is in and, for xAPIC mode, where its page is. */
static enum lapic_mode lapic_current_mode;
static uint64_t lapic_base_msr;
static uintptr_t lapic_mmio_base;
static uint32_t lapic_current_id;

static void lapic_probe(void)
{
	if (lapic_probed)
		return;
	struct cpu_cpuid_result r = cpu_cpuid(CPUID_LEAF_FEATURES);

	lapic_cpuid_ecx = r.ecx;
	lapic_cpuid_edx = r.edx;
	lapic_probed = true;
}

bool lapic_present(void)
{
	lapic_probe();
	return (lapic_cpuid_edx & CPUID_FEATURES_EDX_APIC) != 0;
}

bool lapic_has_x2apic(void)
{
	lapic_probe();
	return (lapic_cpuid_ecx & CPUID_FEATURES_ECX_X2APIC) != 0;
}

bool lapic_has_tsc_deadline(void)
{
	lapic_probe();
	return (lapic_cpuid_ecx & CPUID_FEATURES_ECX_TSC_DEADLINE) != 0;
}

const char *lapic_mode_name(enum lapic_mode mode)
{
	switch (mode) {
	case LAPIC_MODE_DISABLED:
		return "disabled";
	case LAPIC_MODE_XAPIC:
		return "xAPIC";
	case LAPIC_MODE_X2APIC:
		return "x2APIC";
	}
	return "?";
}

static enum lapic_mode lapic_mode_of(uint64_t base_msr)
{
	if (!(base_msr & LAPIC_BASE_EN))
		return LAPIC_MODE_DISABLED;
	return (base_msr & LAPIC_BASE_EXTD) ? LAPIC_MODE_X2APIC : LAPIC_MODE_XAPIC;
}

static uint64_t lapic_base_for(uint64_t base_msr, enum lapic_mode mode)
{
	base_msr &= ~(uint64_t)(LAPIC_BASE_EN | LAPIC_BASE_EXTD);
	if (mode == LAPIC_MODE_XAPIC)
		base_msr |= LAPIC_BASE_EN;
	else if (mode == LAPIC_MODE_X2APIC)
		base_msr |= LAPIC_BASE_EN | LAPIC_BASE_EXTD;
	return base_msr;
}

/* One WRMSR to IA32_APIC_BASE; false when it faulted (an illegal transition). */
static bool lapic_write_base(enum lapic_mode mode)
{
	uint64_t value = lapic_base_for(lapic_base_msr, mode);

	if (cpu_wrmsr_safe(MSR_IA32_APIC_BASE, value).vector != IDT_NO_EXCEPTION)
		return false;
	lapic_base_msr = value;
	lapic_current_mode = mode;
	return true;
}

/*
 * The transitions SDM Vol. 3A §11.12.5 "x2APIC State Transitions" allows: xAPIC to x2APIC by
 * setting EXTD; x2APIC to xAPIC only through the disabled state ("A transition from the x2APIC
 * mode to xAPIC mode is not valid and the corresponding WRMSR to the IA32_APIC_BASE MSR will
 * raise a GP fault"); disabled to xAPIC by setting EN. The registers but the ID do not survive
 * the way back, which is why lapic_setup programs every register it relies on after any change.
 */
static bool lapic_change_mode(enum lapic_mode mode, const char **why)
{
	if (lapic_current_mode == LAPIC_MODE_X2APIC && mode == LAPIC_MODE_XAPIC &&
	    !lapic_write_base(LAPIC_MODE_DISABLED)) {
		*why = "disabling the x2APIC (EN = EXTD = 0) raised an exception";
		return false;
	}
	if (lapic_current_mode == LAPIC_MODE_DISABLED && !lapic_write_base(LAPIC_MODE_XAPIC)) {
		*why = "enabling the xAPIC (EN = 1) raised an exception";
		return false;
	}
	if (lapic_current_mode != mode && !lapic_write_base(mode)) {
		*why = "setting IA32_APIC_BASE.EXTD raised an exception";
		return false;
	}
	/* A CPU may also ignore the write: some emulators cannot re-enable a disabled APIC. */
	uint64_t actual = cpu_rdmsr(MSR_IA32_APIC_BASE);

	if (lapic_mode_of(actual) != mode) {
		*why = "IA32_APIC_BASE did not take the new mode";
		return false;
	}
	return true;
}

static bool lapic_locate(const char **why)
{
	if (!lapic_present()) {
		*why = "no local APIC (CPUID.1:EDX[9] = 0)";
		return false;
	}
	if (lapic_mmio_base == 0) {
		lapic_base_msr = cpu_rdmsr(MSR_IA32_APIC_BASE);
		lapic_current_mode = lapic_mode_of(lapic_base_msr);

		uint64_t address = lapic_base_msr & LAPIC_BASE_ADDRESS_MASK;

		if (address >= LAPIC_BASE_ADDRESS_LIMIT) {
			*why = "the xAPIC page is above 4 GiB, outside the guest's page tables";
			return false;
		}
		lapic_mmio_base = (uintptr_t)address;
	}
	return true;
}

bool lapic_setup(enum lapic_mode mode, const char **why)
{
	if (!lapic_locate(why))
		return false;
	if (mode == LAPIC_MODE_X2APIC && !lapic_has_x2apic()) {
		*why = "no x2APIC (CPUID.1:ECX[21] = 0)";
		return false;
	}
	if (lapic_current_mode != mode && !lapic_change_mode(mode, why))
		return false;

	uint32_t id = lapic_read(LAPIC_REG_ID);

	lapic_current_id = mode == LAPIC_MODE_X2APIC ? id : id >> LAPIC_XAPIC_ID_SHIFT;
	lapic_write(LAPIC_REG_SVR, LAPIC_SVR_APIC_ENABLED | LAPIC_SPURIOUS_VECTOR);
	lapic_write(LAPIC_REG_TPR, 0);
	lapic_write(LAPIC_REG_LVT_TIMER, LAPIC_LVT_MASKED);
	lapic_write(LAPIC_REG_TIMER_INITIAL_COUNT, 0);
	lapic_write(LAPIC_REG_TIMER_DIVIDE, LAPIC_TIMER_DIVIDE_BY_1);
	/* Firmware leaves LINT0 in ExtINT mode for the 8259 (QEMU's SeaBIOS does): masking it
	 * keeps the PIC's timer from arriving at the 8259's vectors, which are exceptions here. */
	lapic_write(LAPIC_REG_LVT_LINT0, LAPIC_LVT_MASKED);
	lapic_write(LAPIC_REG_LVT_LINT1, LAPIC_LVT_MASKED);
	lapic_write(LAPIC_REG_LVT_ERROR, LAPIC_LVT_MASKED);
	lapic_write(LAPIC_REG_ESR, 0);
	return true;
}

enum lapic_mode lapic_mode(void)
{
	return lapic_current_mode;
}

uint32_t lapic_id(void)
{
	return lapic_current_id;
}

static uint32_t lapic_x2apic_msr(uint32_t reg)
{
	return LAPIC_X2APIC_MSR_BASE + reg / 16;
}

uintptr_t lapic_xapic_register(uint32_t reg)
{
	return lapic_mmio_base + reg;
}

uint32_t lapic_read(uint32_t reg)
{
	if (lapic_current_mode == LAPIC_MODE_X2APIC)
		return (uint32_t)cpu_rdmsr(lapic_x2apic_msr(reg));

	uint32_t value;

	__asm__ volatile("movl (%1), %0"
			 : "=r"(value) : "r"(lapic_mmio_base + reg) : "memory");
	return value;
}

void lapic_write(uint32_t reg, uint32_t value)
{
	if (lapic_current_mode == LAPIC_MODE_X2APIC) {
		cpu_wrmsr(lapic_x2apic_msr(reg), value);
		return;
	}
	__asm__ volatile("movl %0, (%1)"
			 : : "r"(value), "r"(lapic_mmio_base + reg) : "memory");
}

void lapic_set_eoi_broadcast_suppression(bool suppress)
{
	lapic_write(LAPIC_REG_SVR, LAPIC_SVR_APIC_ENABLED | LAPIC_SPURIOUS_VECTOR |
					   (suppress ? LAPIC_SVR_EOI_BROADCAST_SUPPRESSION : 0));
}

void lapic_eoi(void)
{
	lapic_write(LAPIC_REG_EOI, 0);
}

void lapic_set_tpr(uint32_t tpr)
{
	lapic_write(LAPIC_REG_TPR, tpr);
}

/* IRR, ISR and TMR hold vector v in bit v % 32 of their register v / 32 (SDM Vol. 3A Figure
 * 11-20 "IRR, ISR and TMR Registers"). */
static bool lapic_vector_bit(uint32_t first_reg, uint8_t vector)
{
	uint32_t reg = first_reg + (uint32_t)(vector / 32) * 0x10u;

	return (lapic_read(reg) >> (vector % 32)) & 1u;
}

bool lapic_irr_has(uint8_t vector)
{
	return lapic_vector_bit(LAPIC_REG_IRR, vector);
}

bool lapic_isr_has(uint8_t vector)
{
	return lapic_vector_bit(LAPIC_REG_ISR, vector);
}

void lapic_send_ipi(uint32_t command, uint32_t destination)
{
	if (lapic_current_mode == LAPIC_MODE_X2APIC) {
		cpu_wrmsr(LAPIC_X2APIC_MSR_ICR, ((uint64_t)destination << 32) | command);
		return;
	}
	lapic_write(LAPIC_REG_ICR_HIGH, destination << LAPIC_XAPIC_ID_SHIFT);
	lapic_write(LAPIC_REG_ICR_LOW, command);
}

void lapic_send_self_ipi(uint8_t vector)
{
	uint32_t command = LAPIC_ICR_SHORTHAND_SELF | LAPIC_ICR_LEVEL_ASSERT |
			   LAPIC_ICR_DELIVERY_FIXED | vector;

	if (lapic_current_mode == LAPIC_MODE_X2APIC)
		cpu_wrmsr(LAPIC_X2APIC_MSR_ICR, command);
	else
		lapic_write(LAPIC_REG_ICR_LOW, command);
}

void lapic_send_x2apic_self_ipi(uint8_t vector)
{
	cpu_wrmsr(LAPIC_X2APIC_MSR_SELF_IPI, vector);
}

uint32_t lapic_read_esr(void)
{
	lapic_write(LAPIC_REG_ESR, 0);
	return lapic_read(LAPIC_REG_ESR);
}

uint32_t lapic_lvt_timer(enum lapic_timer_mode mode, uint8_t vector)
{
	return ((uint32_t)mode << LAPIC_LVT_TIMER_MODE_SHIFT) | vector;
}

void lapic_timer_start(enum lapic_timer_mode mode, uint8_t vector, uint32_t initial_count)
{
	lapic_write(LAPIC_REG_LVT_TIMER, lapic_lvt_timer(mode, vector));
	lapic_write(LAPIC_REG_TIMER_INITIAL_COUNT, initial_count);
}

void lapic_timer_stop(void)
{
	lapic_write(LAPIC_REG_TIMER_INITIAL_COUNT, 0);
}

void lapic_timer_start_tsc_deadline(uint8_t vector, uint64_t deadline)
{
	lapic_write(LAPIC_REG_LVT_TIMER, lapic_lvt_timer(LAPIC_TIMER_TSC_DEADLINE, vector));
	/* "In xAPIC mode ... software must order the memory-mapped write to the LVT entry that
	 * enables TSC-deadline mode and any subsequent WRMSR to the IA32_TSC_DEADLINE MSR ...
	 * by executing the MFENCE instruction" (SDM Vol. 3A §11.5.4.1 "TSC-Deadline Mode"). */
	if (lapic_current_mode == LAPIC_MODE_XAPIC)
		cpu_mfence();
	cpu_wrmsr(MSR_IA32_TSC_DEADLINE, deadline);
}
