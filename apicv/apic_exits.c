/* SPDX-License-Identifier: MIT */
/*
 * The VM exits the virtual LAPIC causes, decoded and handed to the model (apicv/vlapic.c):
 * APIC-access and EPT-violation MMIO (through the instruction decoder), APIC-write,
 * EOI-induced, TPR-below-threshold, the interrupt and NMI windows, x2APIC and APIC MSRs, CR8.
 * Citations are to SDM Vol. 3C chapter 30 "APIC Virtualization and Virtual Interrupts" unless
 * they say otherwise.
 */
#include "apic_exits.h"

#include "../boot/console.h"
#include "../boot/x86.h"
#include "../vmx/mmio.h"
#include "../vmx/vmcs.h"
#include "../vmx/vmx.h"
#include "apic_regs.h"
#include "delivery.h"
#include "vlapic.h"


/* ---- MMIO ------------------------------------------------------------------------------------ */

/* The APIC page as an MMIO device. Reads of a page that is not the APIC (x2APIC mode) float
 * high; every emulated access is counted by register. */
static uint32_t apic_mmio_read(void *ctx, uint32_t offset, unsigned size)
{
	struct vcpu *v = ctx;
	uint32_t value = 0;

	v->apic_stats.apic_access[(offset >> 4) & 0xFF]++;
	if (vlapic_mmio_read(v->vlapic, offset, size, &value) == VLAPIC_NOT_APIC)
		value = 0xFFFFFFFFu;
	return value;
}

static void apic_mmio_write(void *ctx, uint32_t offset, unsigned size, uint32_t value)
{
	struct vcpu *v = ctx;

	v->apic_stats.apic_access[(offset >> 4) & 0xFF]++;
	vlapic_mmio_write(v->vlapic, offset, size, value);
}

static enum exit_action emulate_apic_mmio(struct vcpu *v, uint32_t offset, bool write)
{
	const struct mmio_device apic = { "APIC", apic_mmio_read, apic_mmio_write, v, NULL, NULL };

	return mmio_emulate(v, &apic, offset, write);
}

bool apic_handle_ept_violation(struct vcpu *v, uint64_t gpa, uint64_t qualification,
			       enum exit_action *action)
{
	uint64_t base = vlapic_mmio_base(v->vlapic);

	if (gpa < base || gpa >= base + 4096)
		return false;
	/* EPT-violation qualification bit 1: the access was a write (Table 28-7). */
	*action = emulate_apic_mmio(v, (uint32_t)(gpa - base), qualification & 2);
	return true;
}

enum exit_action apic_handle_apic_access(struct vcpu *v, uint64_t qualification)
{
	/* Exit qualification for APIC-access VM exits (SDM Vol. 3C §28.2.1, Table 28-6): bits 11:0
	 * offset, bits 15:12 access type (0 linear read, 1 linear write, 2 fetch, 3 during event
	 * delivery, 10/15 guest-physical). */
	uint32_t offset = qualification & 0xFFF;
	unsigned type = (qualification >> 12) & 0xF;

	if (type > 1)
		return vcpu_stop(v, GUEST_END_UNHANDLED, "APIC-access exit of type %u at offset %#x "
				 "(RIP %#llx): only data reads and writes are emulated",
				 type, offset, (unsigned long long)vmcs_read(VMCS_GUEST_RIP));
	return emulate_apic_mmio(v, offset, type == 1);
}

enum exit_action apic_handle_apic_write(struct vcpu *v, uint64_t qualification)
{
	/* Trap-like: the write is already in the virtual-APIC page (§30.4.3.3 "APIC-Write VM
	 * Exits"); the model applies its side effects with the same handler every path uses. */
	uint32_t offset = qualification & 0xFFF;

	v->apic_stats.apic_write[(offset >> 4) & 0xFF]++;
	vlapic_apic_write_done(v->vlapic, offset);
	return EXIT_ACTION_RESUME;
}

enum exit_action apic_handle_eoi_induced(struct vcpu *v, uint64_t qualification)
{
	/* The CPU has done the virtual EOI (ISR, SVI, PPR) and exits because the vector is in
	 * the EOI-exit bitmap (§30.1.4 "EOI Virtualization"); the rest is the model's. */
	uint8_t vector = qualification & 0xFF;

	v->apic_stats.eoi_induced[vector]++;
	vlapic_virtual_eoi_done(v->vlapic, vector);
	return EXIT_ACTION_RESUME;
}

enum exit_action apic_handle_tpr_below_threshold(struct vcpu *v, uint64_t qualification)
{
	/* Trap-like after the TPR write (§30.1.2); the next entry injects what is now allowed. */
	(void)v;
	(void)qualification;
	return EXIT_ACTION_RESUME;
}

enum exit_action apic_handle_interrupt_window(struct vcpu *v, uint64_t qualification)
{
	(void)qualification;
	v->apic_stats.irq_window_exits++;
	if (apic_extint_pending(v))
		v->apic_stats.extint_window_exits++;
	return EXIT_ACTION_RESUME; /* apic_before_entry() injects now */
}

enum exit_action apic_handle_nmi_window(struct vcpu *v, uint64_t qualification)
{
	(void)qualification;
	v->apic_stats.nmi_window_exits++;
	return EXIT_ACTION_RESUME;
}

/* ---- MSRs and CR8 ---------------------------------------------------------------------------- */

static bool is_apic_msr(uint32_t msr)
{
	return (msr >= 0x800 && msr <= 0x8FF) || msr == MSR_IA32_TSC_DEADLINE ||
	       msr == MSR_IA32_APIC_BASE;
}

bool apic_rdmsr(struct vcpu *v, uint32_t msr, uint64_t *value, bool *gp)
{
	if (!is_apic_msr(msr))
		return false;
	if (msr == MSR_IA32_APIC_BASE) {
		*value = vlapic_apic_base(v->vlapic);
		*gp = false;
	} else {
		*gp = vlapic_msr_read(v->vlapic, msr, value) != VLAPIC_OK;
	}
	return true;
}

bool apic_wrmsr(struct vcpu *v, uint32_t msr, uint64_t value, bool *gp)
{
	if (!is_apic_msr(msr))
		return false;
	if (msr == MSR_IA32_APIC_BASE) {
		bool was_x2apic = vlapic_x2apic_mode(v->vlapic);
		bool was_enabled = vlapic_hw_enabled(v->vlapic);
		uint64_t old_base = vlapic_mmio_base(v->vlapic);

		*gp = !vlapic_set_apic_base(v->vlapic, value);
		/* The VMCS follows the guest's APIC state and base: x2APIC virtualization or the
		 * APIC-access page (none while the APIC is disabled), and where EPT puts it. */
		if (!*gp && (was_x2apic != vlapic_x2apic_mode(v->vlapic) ||
			     was_enabled != vlapic_hw_enabled(v->vlapic) ||
			     old_base != vlapic_mmio_base(v->vlapic)))
			apic_set_mode(v, v->apic_mode_requested);
	} else {
		*gp = vlapic_msr_write(v->vlapic, msr, value) != VLAPIC_OK;
	}
	return true;
}

/* CR8 is TPR[7:4] (SDM Vol. 3A §11.8.6 "Task Priority in IA-32e Mode"); it exits only in emulate
 * mode, where there is no TPR shadow. */
uint64_t apic_read_cr8(struct vcpu *v)
{
	return vlapic_tpr(v->vlapic) >> 4;
}

void apic_write_cr8(struct vcpu *v, uint64_t value)
{
	vlapic_set_tpr(v->vlapic, (uint8_t)((value & 0xF) << 4));
}
