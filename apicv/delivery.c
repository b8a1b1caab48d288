/* SPDX-License-Identifier: MIT */
/*
 * Delivery modes: the VMX side of the virtual LAPIC (see delivery.h). Citations are to the SDM
 * Vol. 3C chapter 30 "APIC Virtualization and Virtual Interrupts" unless they say otherwise.
 */
#include "delivery.h"

#include "../boot/console.h"
#include "../boot/x86.h"
#include "../vmx/ept.h"
#include "../vmx/guest_walk.h"
#include "../vmx/host_apic.h"
#include "../vmx/vmcs.h"
#include "../vmx/vmx.h"
#include "../vmx/x86_decode.h"
#include "apic_bus.h"
#include "apic_regs.h"
#include "timer_offload.h"
#include "vlapic.h"

#define APIC_DEFAULT_BASE 0xFEE00000ull
#define X2APIC_MSR_FIRST 0x800u
#define X2APIC_MSR_LAST 0x8FFu


/* The board, set at start-up; nothing by default (a platform with no devices). */
static bool no_extint(struct vcpu *v)
{
	(void)v;
	return false;
}

static int no_acknowledge(void)
{
	return -1;
}

static void no_level_vectors(uint64_t bitmap[4])
{
	memset(bitmap, 0, 4 * sizeof(bitmap[0]));
}

static void no_eoi(uint8_t vector)
{
	(void)vector;
}

static uint64_t no_deadline(void)
{
	return 0;
}

static void no_timers(void)
{
}

static const struct apic_platform_ops no_platform = {
	no_extint, no_acknowledge, no_level_vectors, no_eoi, no_deadline, no_timers,
};
static const struct apic_platform_ops *board = &no_platform;

void apic_delivery_set_platform(const struct apic_platform_ops *ops)
{
	__atomic_store_n(&board, ops ? ops : &no_platform, __ATOMIC_RELEASE);
}

bool apic_extint_pending(struct vcpu *v)
{
	return board->extint_pending(v);
}

/* ---- vLAPIC callbacks ------------------------------------------------------------------------ */

/* The vLAPIC runs on the guest's TSC: its TSC-deadline MSR holds guest TSC values. */
static uint64_t vlapic_now(void *ctx)
{
	struct vcpu *v = ctx;

	return rdtsc() + v->tsc_offset;
}

static void vlapic_timer_changed(void *ctx)
{
	struct vcpu *v = ctx;

	v->timer_dirty = true;
}

static void vlapic_nmi(void *ctx)
{
	struct vcpu *v = ctx;

	/* One NMI can be pending while another is blocked; more collapse into it (SDM Vol. 3A
	 * §7.7 "Nonmaskable Interrupt (NMI)": "the processor ... latches one more"). */
	v->nmi_pending = true;
}

/* ---- between vCPUs ---------------------------------------------------------------------------
 *
 * The rule: a vLAPIC is read and written by its own vCPU's CPU only. Another CPU that delivers
 * to it (an IPI, an IOAPIC or MSI message raised on that CPU) leaves the interrupt where the
 * target takes it before its next VM entry, and kicks the target's CPU when the target would
 * not look soon enough:
 *   posted mode    the target's posted-interrupt descriptor: PIR bit and ON (locked), then,
 *                  if ON was clear and SN is clear (the target is in non-root operation), the
 *                  notification vector to its CPU (SDM Vol. 3C §30.6): with posted-interrupt
 *                  processing the CPU moves PIR into vIRR with no VM exit; without it (Bochs
 *                  2.7) the same IPI is an external-interrupt exit and the descriptor is
 *                  drained in software at the next entry;
 *   other modes    the target's inbox (vcpu.inbox: edge and level bitmaps), then
 *                  HOST_VECTOR_KICK to its CPU if it is in non-root operation or waiting.
 * NMI, INIT and SIPI are inbox events in every mode. The target sets `where` (and SN) before
 * it checks its inbox and descriptor for the last time before VM entry, and a sender sets the
 * bits before it reads `where` (and SN): one of the two always sees the other's write, so
 * nothing waits for an unrelated exit (the protocol of KVM's kvm_vcpu_kick).
 */

static struct apic_bus *bus;

/* Sends `vector` to the physical CPU of `target`, if that CPU is where a kick is needed. */
static void kick(struct vcpu *target, uint8_t vector)
{
	uint32_t where = __atomic_load_n(&target->where, __ATOMIC_SEQ_CST);

	if (where == VCPU_IN_GUEST || where == VCPU_WAITING)
		host_apic_send_fixed(target->host_apic_id, vector);
}

static void post_remote(struct vcpu *target, uint8_t vector)
{
	struct pi_desc *pi = target->apic_pages.pi_desc;
	uint16_t control;

	__atomic_fetch_or(&pi->pir[vector / 64], 1ull << (vector % 64), __ATOMIC_SEQ_CST);
	control = __atomic_fetch_or(&pi->control, (uint16_t)PI_CONTROL_ON, __ATOMIC_SEQ_CST);
	vcpu_current()->apic_stats.posted_remote++;
	if (control & PI_CONTROL_ON) {
		vcpu_current()->apic_stats.notifications_coalesced++;
		return;
	}
	if (!(control & PI_CONTROL_SN)) {
		host_apic_send_fixed(target->host_apic_id, POSTED_INTERRUPT_VECTOR);
		vcpu_current()->apic_stats.notifications++;
	} else if (__atomic_load_n(&target->where, __ATOMIC_SEQ_CST) == VCPU_WAITING) {
		host_apic_send_fixed(target->host_apic_id, HOST_VECTOR_KICK);
	}
}

static void inbox_event(struct vcpu *target, uint32_t event, uint8_t sipi_vector)
{
	uint32_t old = __atomic_load_n(&target->inbox.events, __ATOMIC_SEQ_CST);

	if (event == VCPU_EVENT_SIPI)
		__atomic_store_n(&target->inbox.sipi_vector, sipi_vector, __ATOMIC_SEQ_CST);
	/* INIT takes away a start-up IPI still pending: one sent before it found the CPU
	 * running and was ignored (SDM Vol. 3A §11.6.1), and must not start it after the INIT. */
	while (!__atomic_compare_exchange_n(&target->inbox.events, &old,
					    event == VCPU_EVENT_INIT ? (old & ~VCPU_EVENT_SIPI) | event
								 : old | event,
					    false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		;
	kick(target, HOST_VECTOR_KICK);
}

void apic_deliver_to(struct vcpu *target, unsigned delivery_mode, uint8_t vector, bool level)
{
	if (target == vcpu_current()) {
		switch (delivery_mode) {
		case APIC_DELIVERY_FIXED:
		case APIC_DELIVERY_LOWEST_PRIORITY:
			vlapic_set_irq(target->vlapic, vector, level);
			return;
		case APIC_DELIVERY_NMI:
			target->nmi_pending = true;
			return;
		}
	}
	switch (delivery_mode) {
	case APIC_DELIVERY_FIXED:
	case APIC_DELIVERY_LOWEST_PRIORITY:
		/* Posted mode takes edge interrupts only (§30.6: the descriptor has no TMR), and
		 * legal vectors only: the vLAPIC reports an illegal one in its ESR (§11.5.3). */
		if (target->apic_mode == MODE_POSTED && !level && vector >= 16) {
			post_remote(target, vector);
			return;
		}
		__atomic_fetch_or(level ? &target->inbox.level[vector / 64]
					: &target->inbox.edge[vector / 64],
				  1ull << (vector % 64), __ATOMIC_SEQ_CST);
		kick(target, HOST_VECTOR_KICK);
		return;
	case APIC_DELIVERY_NMI:
		inbox_event(target, VCPU_EVENT_NMI, 0);
		return;
	case APIC_DELIVERY_INIT:
		inbox_event(target, VCPU_EVENT_INIT, 0);
		return;
	case APIC_DELIVERY_STARTUP:
		inbox_event(target, VCPU_EVENT_SIPI, vector);
		return;
	default:
		return; /* SMI: no SMM (counted by the sender) */
	}
}

void apic_stop_vcpu(struct vcpu *target)
{
	inbox_event(target, VCPU_EVENT_STOP, 0);
}

void apic_request_device_sync(struct vcpu *target)
{
	inbox_event(target, VCPU_EVENT_DEVICES, 0);
}

void apic_request_mode(struct vcpu *target, enum apicvisor_mode mode)
{
	__atomic_store_n(&target->inbox.mode, (uint32_t)mode, __ATOMIC_SEQ_CST);
	inbox_event(target, VCPU_EVENT_MODE, 0);
}

bool apic_deliver_message(uint32_t destination, bool logical, unsigned delivery_mode,
			  uint8_t vector, bool level)
{
	uint32_t targets = apic_bus_route_message(bus, destination, logical,
						  (uint8_t)delivery_mode);

	bool fixed = delivery_mode == APIC_DELIVERY_FIXED ||
		     delivery_mode == APIC_DELIVERY_LOWEST_PRIORITY;
	bool accepted = false;

	/* Accepted (a level RTE then sets remote IRR, SDM Vol. 3A §11.6.3): a fixed interrupt by
	 * a software-enabled APIC (§11.4.7.2: a software-disabled one discards it). The current
	 * vCPU's vLAPIC says so itself; another's enable is read as the message goes out (the APIC
	 * bus's reads, see apic_bus.h), and its vLAPIC takes the interrupt on its own CPU. */
	for (uint32_t left = targets, i = 0; left; i++, left >>= 1) {
		struct vcpu *target = &vcpus[i];

		if (!(left & 1))
			continue;
		if (fixed && target == vcpu_current()) {
			accepted |= vlapic_set_irq(target->vlapic, vector, level);
			continue;
		}
		accepted |= !fixed || vlapic_sw_enabled(target->vlapic);
		apic_deliver_to(target, delivery_mode, vector, level);
	}
	return accepted;
}

/* Takes what other CPUs left for this vCPU (on its own CPU): NMIs and fixed interrupts into the
 * vLAPIC, as if they had just been accepted. INIT, SIPI and STOP are the run loop's. */
static void take_inbox(struct vcpu *v)
{
	struct vcpu_inbox *in = &v->inbox;

	if (__atomic_load_n(&in->events, __ATOMIC_ACQUIRE) & VCPU_EVENT_NMI) {
		__atomic_fetch_and(&in->events, ~VCPU_EVENT_NMI, __ATOMIC_SEQ_CST);
		v->nmi_pending = true;
	}
	for (unsigned word = 0; word < 4; word++) {
		uint64_t level = __atomic_exchange_n(&in->level[word], 0, __ATOMIC_SEQ_CST);
		uint64_t edge = __atomic_exchange_n(&in->edge[word], 0, __ATOMIC_SEQ_CST);

		for (; level; level &= level - 1)
			vlapic_set_irq(v->vlapic, (uint8_t)(word * 64 + __builtin_ctzll(level)), true);
		for (; edge; edge &= edge - 1)
			vlapic_set_irq(v->vlapic, (uint8_t)(word * 64 + __builtin_ctzll(edge)), false);
	}
}

bool apic_inbox_pending(const struct vcpu *v)
{
	const struct vcpu_inbox *in = &v->inbox;
	uint64_t any = __atomic_load_n(&in->events, __ATOMIC_SEQ_CST);

	for (unsigned word = 0; word < 4; word++)
		any |= __atomic_load_n(&in->edge[word], __ATOMIC_SEQ_CST) |
		       __atomic_load_n(&in->level[word], __ATOMIC_SEQ_CST);
	return any != 0;
}

bool apic_announce_entry(struct vcpu *v)
{
	struct pi_desc *pi = v->apic_pages.pi_desc;

	__atomic_store_n(&v->where, VCPU_IN_GUEST, __ATOMIC_SEQ_CST);
	__atomic_fetch_and(&pi->control, (uint16_t)~PI_CONTROL_SN, __ATOMIC_SEQ_CST);
	if (apic_inbox_pending(v)) {
		apic_announce_exit(v);
		return false;
	}
	/* Posted by a sender that still saw SN set, so it sent no notification: drain it in
	 * software (prepare the entry again), or with the CPU's posted-interrupt processing make
	 * sure a notification is pending (apic_before_entry sent one unless the guest could not
	 * take interrupts: then draining is right, as there). */
	if (__atomic_load_n(&pi->control, __ATOMIC_SEQ_CST) & PI_CONTROL_ON) {
		if (v->apic_mode == MODE_POSTED && v->pi_hardware && v->pi_notified)
			return true;
		apic_announce_exit(v);
		return false;
	}
	return true;
}

void apic_announce_exit(struct vcpu *v)
{
	v->pi_notified = false;
	__atomic_fetch_or(&v->apic_pages.pi_desc->control, (uint16_t)PI_CONTROL_SN,
			  __ATOMIC_SEQ_CST);
	__atomic_store_n(&v->where, VCPU_IN_ROOT, __ATOMIC_SEQ_CST);
}

/* An IPI the vLAPIC model hands on (the part for other vLAPICs, vlapic_ops.send_ipi). */
static void vlapic_send_ipi(void *ctx, uint32_t icr_low, uint32_t destination)
{
	struct vcpu *v = ctx;
	uint32_t targets = apic_bus_route_ipi(bus, v->id, icr_low, destination);
	unsigned mode = (icr_low >> APIC_ICR_DELIVERY_MODE_SHIFT) & 7;

	for (unsigned i = 0; targets; i++, targets >>= 1)
		if (targets & 1)
			apic_deliver_to(&vcpus[i], mode, icr_low & APIC_ICR_VECTOR_MASK, false);
}

/* Posted mode: interrupts raised in root mode (timer, IPIs the hypervisor emulated) go through
 * the posted-interrupt descriptor as a device or another CPU would post them (§30.6). */
static bool vlapic_post(void *ctx, uint8_t vector)
{
	struct vcpu *v = ctx;
	struct pi_desc *pi = v->apic_pages.pi_desc;

	/* Not in posted mode, and not while the descriptor itself is being drained into vIRR. */
	if (v->apic_mode != MODE_POSTED || v->pir_draining)
		return false;
	__atomic_fetch_or(&pi->pir[vector / 64], 1ull << (vector % 64), __ATOMIC_ACQ_REL);
	__atomic_fetch_or(&pi->control, (uint16_t)PI_CONTROL_ON, __ATOMIC_ACQ_REL);
	v->apic_stats.posted++;
	return true;
}

/* A level-triggered vector's EOI (emulated, or EOI_INDUCED): the IOAPIC clears remote IRR. */
static void vlapic_eoi_level(void *ctx, uint8_t vector)
{
	(void)ctx;
	board->eoi(vector);
}

static const struct vlapic_ops vcpu_vlapic_ops = {
	.post = vlapic_post,
	.eoi_level = vlapic_eoi_level,
	.now = vlapic_now,
	.timer_changed = vlapic_timer_changed,
	.nmi = vlapic_nmi,
	.send_ipi = vlapic_send_ipi,
};

void apic_delivery_init(struct vcpu *v, const struct apic_pages *pages, uint64_t tsc_hz,
			unsigned maxphyaddr)
{
	v->apic_pages = *pages;
	v->ept_pool = (struct ept_pool){ pages->ept_pool, pages->ept_pool_pages, 0 };
	/* Its own EPT root over the shared tables: its APIC page is its own (map_apic_page). */
	v->eptp = ept_private_root(v->guest->ept_pointer, &v->ept_pool);
	vmcs_write(VMCS_EPT_POINTER, v->eptp);
	v->vlapic = vlapic_create(v->id, v->id == 0, pages->vlapic_page, tsc_hz, &vcpu_vlapic_ops, v);
	if (!bus)
		bus = apic_bus_create();
	apic_bus_detach(bus, v->id); /* a vCPU set up again (host tests) */
	apic_bus_attach(bus, v->id, v->vlapic);
	/* One physical-address width everywhere: the one CPUID tells the guest. */
	vlapic_set_maxphyaddr(v->vlapic, maxphyaddr);
	memset(pages->pi_desc, 0, sizeof(*pages->pi_desc));
	pages->pi_desc->notification_vector = POSTED_INTERRUPT_VECTOR;
	/* NDST: where a notification goes, in the physical APIC's format (SDM Vol. 3C Table 30-1:
	 * xAPIC ID in bits 15:8; an IOMMU posting here reads it, a CPU does not). SN stays set
	 * while the vCPU is outside non-root operation; apic_announce_entry clears it. */
	pages->pi_desc->notification_destination =
		host_apic_x2apic() ? v->host_apic_id : v->host_apic_id << 8;
	pages->pi_desc->control = PI_CONTROL_SN;
	v->apic_page_changed = false;
	v->timer_dirty = true;
}

/* ---- mode programming ------------------------------------------------------------------------ */

/* What EPT maps at the guest's xAPIC base. */
enum apic_page_map {
	APIC_PAGE_NONE,               /* the APIC is not in xAPIC mode: RAM or nothing, as usual */
	APIC_PAGE_TRAP,               /* nothing: every access exits and is emulated (emulate mode) */
	APIC_PAGE_ACCESS,             /* the APIC-access page (tpr-shadow and up) */
};

/* Sets EPT at the guest's APIC base for `how`, first giving the page the hypervisor changed
 * last back what it normally holds. A base the guest moved onto its RAM must not reach that RAM
 * while the APIC is there: "the APIC registers are mapped over the memory" (SDM Vol. 3A §11.4.5
 * "Relocating the Local APIC Registers"), so the RAM page is unmapped (trap) or replaced by the
 * APIC-access page. */
static void map_own_page(struct vcpu *v, uint64_t gpa, uint64_t hpa, uint64_t flags);

static void map_apic_page(struct vcpu *v, enum apic_page_map how)
{
	uint64_t base = vlapic_mmio_base(v->vlapic);
	bool in_ram = base < v->guest->ram_bytes;

	if (v->apic_page_changed && ((int)how != v->apic_page_map || v->apic_mapped_base != base)) {
		uint64_t old = v->apic_mapped_base;

		if (old < v->guest->ram_bytes)
			map_own_page(v, old, (uint64_t)(uintptr_t)v->guest->ram + old,
				     EPT_PAGE_RWX_WB);
		else
			map_own_page(v, old, 0, 0);
		v->apic_page_changed = false;
	}
	v->apic_page_map = (int)how;
	if (how == APIC_PAGE_NONE || v->apic_page_changed)
		return;
	if (how == APIC_PAGE_ACCESS) {
		map_own_page(v, base, (uint64_t)(uintptr_t)v->apic_pages.apic_access_page,
			     EPT_PAGE_RWX_WB);
		v->apic_mapped_base = base;
		v->apic_page_changed = true;
		return;
	}
	/* Trap: outside RAM nothing is mapped there anyway; a RAM page is unmapped. */
	if (in_ram) {
		map_own_page(v, base, 0, 0);
		v->apic_mapped_base = base;
		v->apic_page_changed = true;
	}
}

/* A change to this vCPU's own EPT root (ept_private_root; the vCPUs' APIC pages differ with
 * their APIC bases and modes, so each has its own, and a single-context INVEPT on its own CPU
 * is all a change needs). When the root's pool of table pages runs out (a guest moving its
 * APIC base around), the root starts again from the shared tables, which hold RAM and no APIC
 * page, and the change is made there: a new root needs 4 pages at most (itself and a private
 * path), and the pool has more. */
static void map_own_page(struct vcpu *v, uint64_t gpa, uint64_t hpa, uint64_t flags)
{
	if (!ept_map_page(v->eptp, &v->ept_pool, gpa, hpa, flags)) {
		v->ept_pool.used = 0;
		v->eptp = ept_private_root(v->guest->ept_pointer, &v->ept_pool);
		vmcs_write(VMCS_EPT_POINTER, v->eptp);
		ept_map_page(v->eptp, &v->ept_pool, gpa, hpa, flags);
	}
	vmx_invept(v->eptp);
}

/* x2APIC MSRs whose reads the CPU may serve from the virtual-APIC page under APIC-register
 * virtualization (§30.5 "Virtualizing MSR-Based APIC Accesses"): every register the page holds
 * the architectural value of. Not the current count (it is computed), not write-only or
 * reserved MSRs (their #GP comes from the model). */
static bool x2apic_read_virtualizable(uint32_t msr)
{
	uint32_t offset = (msr - X2APIC_MSR_FIRST) << 4;

	switch (offset) {
	case APIC_ID: case APIC_VERSION: case APIC_TPR: case APIC_PPR: case APIC_LDR:
	case APIC_SVR: case APIC_ESR: case APIC_ICR_LOW: case APIC_LVT_CMCI:
	case APIC_LVT_TIMER: case APIC_LVT_THERMAL: case APIC_LVT_PMC: case APIC_LVT_LINT0:
	case APIC_LVT_LINT1: case APIC_LVT_ERROR: case APIC_TIMER_INITIAL_COUNT:
	case APIC_TIMER_DIVIDE:
		return true;
	}
	return (offset >= APIC_ISR0 && offset <= APIC_ISR7) ||
	       (offset >= APIC_TMR0 && offset <= APIC_TMR7) ||
	       (offset >= APIC_IRR0 && offset <= APIC_IRR7);
}

static void program_x2apic_msrs(struct vcpu *v, enum apicvisor_mode mode, bool x2apic_virtualized)
{
	uint8_t *bitmap = v->msr_bitmap;

	for (uint32_t msr = X2APIC_MSR_FIRST; msr <= X2APIC_MSR_LAST; msr++) {
		uint32_t offset = (msr - X2APIC_MSR_FIRST) << 4;
		bool read_exits = true, write_exits = true;

		/* Only "virtualize x2APIC mode" makes these MSRs reach the virtual-APIC page; without
		 * it (the guest in xAPIC mode, or a CPU lacking the control) an MSR that did not exit
		 * would reach the physical APIC. */
		if (!x2apic_virtualized) {
			read_exits = write_exits = true;
		} else if (mode >= MODE_APICV) {
			read_exits = !x2apic_read_virtualizable(msr);
			/* TPR, EOI and SELF_IPI writes are virtualized (§30.5). */
			write_exits = !(offset == APIC_TPR || offset == APIC_EOI ||
					offset == APIC_SELF_IPI);
		} else if (mode == MODE_TPR_SHADOW) {
			/* With a TPR shadow only the TPR is virtualized (§30.5). */
			read_exits = write_exits = offset != APIC_TPR;
		}
		vmx_msr_intercept(bitmap, msr, read_exits, write_exits);
	}
}

static void write_eoi_exit_bitmap(struct vcpu *v)
{
	uint64_t bitmap[4], ioapic[4];

	/* The level-triggered vectors: those in the vLAPIC's TMR and those of the IOAPIC's level
	 * pins (remote IRR must be cleared by their EOI, §30.1.4 "EOI Virtualization"). */
	vlapic_eoi_exit_bitmap(v->vlapic, bitmap);
	board->level_vectors(ioapic);
	for (unsigned i = 0; i < 4; i++)
		bitmap[i] |= ioapic[i];
	for (unsigned i = 0; i < 4; i++) {
		if (bitmap[i] != v->eoi_exit_bitmap[i]) {
			v->eoi_exit_bitmap[i] = bitmap[i];
			vmcs_write(VMCS_EOI_EXIT_BITMAP0 + 2 * i, bitmap[i]);
		}
	}
}

static void write_guest_interrupt_status(struct vcpu *v)
{
	int rvi = vlapic_highest_irr(v->vlapic);
	int svi = vlapic_highest_isr(v->vlapic);
	uint16_t status = (uint16_t)((rvi < 0 ? 0 : rvi) | (svi < 0 ? 0 : svi) << 8);

	if (status != (uint16_t)vmcs_read(VMCS_GUEST_INTR_STATUS)) {
		if ((status & 0xFF) > (vmcs_read(VMCS_GUEST_INTR_STATUS) & 0xFF))
			v->apic_stats.posted_to_rvi++;
		vmcs_write(VMCS_GUEST_INTR_STATUS, status);
	}
}

static void drain_pir(struct vcpu *v);

enum apicvisor_mode apic_set_mode(struct vcpu *v, enum apicvisor_mode requested)
{
	/* Leaving posted mode: what the descriptor holds goes into vIRR first (posted before the
	 * switch, by this CPU or another), or it would wait there for good. */
	if (v->apic_mode == MODE_POSTED)
		drain_pir(v);
	const char *missing;
	bool x2apic = vlapic_x2apic_mode(v->vlapic);
	enum apicvisor_mode mode = vmx_caps_degrade_mode(vmx_active_caps, requested, x2apic,
							  &missing);
	/* x2APIC MSRs reach the virtual-APIC page only through "virtualize x2APIC mode"; without
	 * it (tpr-shadow on such a CPU) every x2APIC MSR exits and is emulated. */
	bool x2apic_virtualized = x2apic && mode >= MODE_TPR_SHADOW &&
				  vmx_control_allowed(vmx_active_caps, VMX_CTL_SECONDARY,
						      PROC2_VIRTUALIZE_X2APIC_MODE);
	uint32_t pin = (uint32_t)vmcs_read(VMCS_PIN_BASED_CONTROLS);
	uint32_t primary = (uint32_t)vmcs_read(VMCS_PRIMARY_CONTROLS);
	uint32_t secondary = (uint32_t)vmcs_read(VMCS_SECONDARY_CONTROLS);

	pin &= ~PIN_POSTED_INTERRUPTS;
	primary &= ~(PROC_USE_TPR_SHADOW | PROC_CR8_LOAD_EXITING | PROC_CR8_STORE_EXITING);
	secondary &= ~(PROC2_VIRTUALIZE_APIC_ACCESSES | PROC2_VIRTUALIZE_X2APIC_MODE |
		       PROC2_APIC_REGISTER_VIRTUALIZATION | PROC2_VIRTUAL_INTERRUPT_DELIVERY);

	if (mode == MODE_EMULATE) {
		/* CR8 is the TPR: without a TPR shadow every access must exit (§30.1.1). */
		primary |= PROC_CR8_LOAD_EXITING | PROC_CR8_STORE_EXITING;
		map_apic_page(v, vlapic_hw_enabled(v->vlapic) && !x2apic ? APIC_PAGE_TRAP
									 : APIC_PAGE_NONE);
	} else {
		primary |= PROC_USE_TPR_SHADOW;
		vmcs_write(VMCS_VIRTUAL_APIC_PAGE_ADDR, (uint64_t)(uintptr_t)vlapic_page(v->vlapic));
		/* "Virtualize x2APIC mode" and "virtualize APIC accesses" exclude each other
		 * (SDM Vol. 3C §26.2.1.1): follow the guest's APIC mode. */
		if (x2apic) {
			if (x2apic_virtualized)
				secondary |= PROC2_VIRTUALIZE_X2APIC_MODE;
			map_apic_page(v, APIC_PAGE_NONE);
		} else {
			secondary |= PROC2_VIRTUALIZE_APIC_ACCESSES;
			vmcs_write(VMCS_APIC_ACCESS_ADDR,
				   (uint64_t)(uintptr_t)v->apic_pages.apic_access_page);
			map_apic_page(v, vlapic_hw_enabled(v->vlapic) ? APIC_PAGE_ACCESS
								      : APIC_PAGE_NONE);
		}
		if (mode >= MODE_APICV)
			secondary |= PROC2_APIC_REGISTER_VIRTUALIZATION |
				     PROC2_VIRTUAL_INTERRUPT_DELIVERY;
	}
	v->pi_hardware = mode == MODE_POSTED &&
			 vmx_control_allowed(vmx_active_caps, VMX_CTL_PIN, PIN_POSTED_INTERRUPTS);
	if (v->pi_hardware) {
		pin |= PIN_POSTED_INTERRUPTS;
		vmcs_write(VMCS_POSTED_INTR_NV, POSTED_INTERRUPT_VECTOR);
		vmcs_write(VMCS_POSTED_INTR_DESC_ADDR, (uint64_t)(uintptr_t)v->apic_pages.pi_desc);
	}
	program_x2apic_msrs(v, mode, x2apic_virtualized);
	if (v->launched && mode != requested &&
	    (mode != v->apic_mode || requested != v->apic_mode_requested))
		log_info("apicvisor: vCPU %u: mode %s requested, lowered to %s: this CPU has no %s\n",
			 v->id, config_mode_name(requested), config_mode_name(mode), missing);
	vmx_write_controls(VMX_CTL_PIN, pin);
	vmx_write_controls(VMX_CTL_PRIMARY, primary);
	vmx_write_controls(VMX_CTL_SECONDARY, secondary);
	vmcs_write(VMCS_TPR_THRESHOLD, 0);
	if (mode >= MODE_APICV) {
		for (unsigned i = 0; i < 4; i++) {
			v->eoi_exit_bitmap[i] = ~0ull; /* force the rewrite */
		}
		write_eoi_exit_bitmap(v);
		write_guest_interrupt_status(v);
	}
	v->apic_mode_requested = requested;
	v->apic_mode = mode;
	return mode;
}

/* ---- injection ------------------------------------------------------------------------------- */

/* Whether the guest can take an external interrupt at this entry (SDM Vol. 3A §7.8.3 and
 * Vol. 3C §27.2 "Event Blocking"). */
static bool interrupt_window_open(void)
{
	return (vmcs_read(VMCS_GUEST_RFLAGS) & RFLAGS_IF) &&
	       !(vmcs_read(VMCS_GUEST_INTERRUPTIBILITY) &
		 (INTERRUPTIBILITY_STI_BLOCKING | INTERRUPTIBILITY_MOV_SS_BLOCKING));
}

static bool nmi_window_open(void)
{
	return !(vmcs_read(VMCS_GUEST_INTERRUPTIBILITY) &
		 (INTERRUPTIBILITY_STI_BLOCKING | INTERRUPTIBILITY_MOV_SS_BLOCKING |
		  INTERRUPTIBILITY_NMI_BLOCKING));
}

static void set_primary_bit(uint32_t bit, bool on)
{
	uint32_t primary = (uint32_t)vmcs_read(VMCS_PRIMARY_CONTROLS);
	uint32_t wanted = on ? primary | bit : primary & ~bit;

	if (wanted != primary)
		vmx_write_controls(VMX_CTL_PRIMARY, wanted);
}

static void inject(uint32_t type, uint8_t vector)
{
	vmcs_write(VMCS_ENTRY_INTR_INFO, INTR_INFO_VALID | type << INTR_INFO_TYPE_SHIFT | vector);
	/* An event delivered to a halted guest ends the HLT (SDM Vol. 3C §27.6.2). */
	vmcs_write(VMCS_GUEST_ACTIVITY_STATE, ACTIVITY_STATE_ACTIVE);
}

/* The TPR threshold for tpr-shadow mode: a TPR-below-threshold exit as soon as the guest lowers
 * its TPR under the class of the highest interrupt the TPR holds back (§30.1.2). */
static void update_tpr_threshold(struct vcpu *v)
{
	int irr = vlapic_highest_irr(v->vlapic);
	uint32_t tpr_class = vlapic_tpr(v->vlapic) >> 4;
	uint32_t threshold = irr < 0 || (uint32_t)irr >> 4 > tpr_class ? 0 : (uint32_t)irr >> 4;

	vmcs_write(VMCS_TPR_THRESHOLD, threshold);
}

/* Posted mode without the hardware feature: the descriptor is drained in software at entry
 * (PIR → vIRR, then RVI), as the CPU would on the notification (§30.6). */
static void drain_pir(struct vcpu *v)
{
	struct pi_desc *pi = v->apic_pages.pi_desc;

	if (!(__atomic_load_n(&pi->control, __ATOMIC_ACQUIRE) & PI_CONTROL_ON))
		return;
	__atomic_fetch_and(&pi->control, (uint16_t)~PI_CONTROL_ON, __ATOMIC_ACQ_REL);
	v->pir_draining = true;
	for (unsigned word = 0; word < 4; word++) {
		uint64_t bits = __atomic_exchange_n(&pi->pir[word], 0, __ATOMIC_ACQ_REL);

		while (bits) {
			unsigned bit = (unsigned)__builtin_ctzll(bits);

			bits &= bits - 1;
			vlapic_set_irq(v->vlapic, (uint8_t)(word * 64 + bit), false);
			v->apic_stats.pir_drained++;
		}
	}
	v->pir_draining = false;
}

/* Posted mode with the CPU's posted-interrupt processing: notify the physical LAPIC with the
 * notification vector; root mode runs with IF = 0, so it stays pending until VM entry, where the
 * CPU takes it as a notification and moves PIR into vIRR with no VM exit (§30.6). */
static void notify_posted(struct vcpu *v)
{
	struct pi_desc *pi = v->apic_pages.pi_desc;

	if (!(__atomic_load_n(&pi->control, __ATOMIC_ACQUIRE) & PI_CONTROL_ON))
		return;
	host_apic_send_self(POSTED_INTERRUPT_VECTOR);
	v->pi_notified = true;
	v->apic_stats.notifications++;
}

void apic_before_entry(struct vcpu *v)
{
	bool event_queued = vmcs_read(VMCS_ENTRY_INTR_INFO) & INTR_INFO_VALID;
	int vector;

	if (vcpus_concurrent)
		take_inbox(v);
	if (v->timer_offloaded)
		apic_publish_timer(v);

	/* Posted mode. With the CPU feature, a notification makes the CPU itself move PIR into
	 * vIRR at VM entry. Only while the guest can take the interrupt, though: with IF = 0 or in
	 * an STI/MOV-SS shadow the SDM would still process the notification at once (external
	 * interrupts are not blocked by RFLAGS.IF in VMX non-root operation with external-interrupt
	 * exiting), but Bochs defers it to the next STI and then delivers inside the STI shadow
	 * (docs/test-hosts.md), and it would not wake a vCPU halted in non-root operation on the
	 * resulting RVI. Syncing PIR into vIRR in software, as KVM does for a vCPU that is not
	 * running, is correct everywhere. */
	if (v->apic_mode == MODE_POSTED) {
		if (v->pi_hardware && interrupt_window_open() &&
		    vmcs_read(VMCS_GUEST_ACTIVITY_STATE) == ACTIVITY_STATE_ACTIVE)
			notify_posted(v);
		else
			drain_pir(v);
	} else if (vcpus_concurrent) {
		/* Another CPU posted while this vCPU was switching away from posted mode. */
		drain_pir(v);
	}

	/* NMIs are injected in every mode: APICv has no virtual NMI delivery. */
	if (v->nmi_pending && !event_queued) {
		if (nmi_window_open()) {
			inject(INTR_TYPE_NMI, 2);
			v->nmi_pending = false;
			v->apic_stats.nmis_injected++;
			event_queued = true;
		}
	}
	/* NMI-window exiting requires virtual NMIs (SDM Vol. 3C §26.2.1.1); without them a pending
	 * NMI waits for the next exit. */
	set_primary_bit(PROC_NMI_WINDOW_EXITING,
			v->nmi_pending &&
				(vmcs_read(VMCS_PIN_BASED_CONTROLS) & PIN_VIRTUAL_NMIS) &&
				vmx_control_allowed(vmx_active_caps, VMX_CTL_PRIMARY,
						    PROC_NMI_WINDOW_EXITING));

	/* An 8259 interrupt (ExtINT through LINT0 or IOAPIC pin 0) is injected in every mode:
	 * virtual-interrupt delivery cannot deliver it, its vector comes from the INTA cycle
	 * (SDM Vol. 3A §11.5.1; Vol. 3C §30.2 applies to vectors in vIRR only). */
	bool extint = board->extint_pending(v);

	if (extint && !event_queued && interrupt_window_open()) {
		int vector_8259 = board->extint_acknowledge();

		if (vector_8259 >= 0) {
			inject(INTR_TYPE_EXTERNAL, (uint8_t)vector_8259);
			v->apic_stats.extint_injected++;
			event_queued = true;
		}
		extint = board->extint_pending(v);
	}

	if (v->apic_mode >= MODE_APICV) {
		/* The CPU evaluates and delivers pending virtual interrupts itself from RVI at VM
		 * entry (§30.2.1 "Evaluation of Pending Virtual Interrupts"). */
		set_primary_bit(PROC_INTERRUPT_WINDOW_EXITING, extint);
		write_eoi_exit_bitmap(v);
		write_guest_interrupt_status(v);
		if (vlapic_pending_interrupt(v->vlapic) >= 0 &&
		    vmcs_read(VMCS_GUEST_ACTIVITY_STATE) == ACTIVITY_STATE_HLT &&
		    (vmcs_read(VMCS_GUEST_RFLAGS) & RFLAGS_IF))
			/* A deliverable interrupt ends HLT; Bochs 2.7 would not wake the guest
			 * from RVI alone (../docs/test-hosts.md). */
			vmcs_write(VMCS_GUEST_ACTIVITY_STATE, ACTIVITY_STATE_ACTIVE);
		return;
	}

	vector = vlapic_pending_interrupt(v->vlapic);
	if (vector >= 0 && !event_queued && interrupt_window_open()) {
		int acknowledged = vlapic_acknowledge(v->vlapic);

		if (acknowledged >= 0) {
			inject(INTR_TYPE_EXTERNAL, (uint8_t)acknowledged);
			v->apic_stats.injected++;
		}
		vector = vlapic_pending_interrupt(v->vlapic);
		event_queued = true;
	}
	/* Still something pending: exit as soon as the guest can take it. */
	set_primary_bit(PROC_INTERRUPT_WINDOW_EXITING, vector >= 0 || extint);
	if (v->apic_mode == MODE_TPR_SHADOW)
		update_tpr_threshold(v);
}

bool apic_has_deliverable_event(struct vcpu *v)
{
	/* What is posted but not yet processed counts too: before deciding to block, move the
	 * descriptor into vIRR in software, as KVM's sync_pir_to_irr does; a pending notification
	 * then finds ON clear and nothing to do (§30.6). */
	if (v->apic_mode == MODE_POSTED)
		drain_pir(v);
	return v->nmi_pending || vlapic_pending_interrupt(v->vlapic) >= 0 ||
	       board->extint_pending(v);
}

/* The vLAPIC's deadline is guest TSC; the preemption timer and the housekeeping CPU run on
 * host TSC. Convert the time left, not the absolute value (the offset may be anything the guest
 * wrote): a deadline already reached is due now. 0 stays 0 (none). */
static uint64_t host_deadline(const struct vcpu *v, uint64_t guest_deadline)
{
	uint64_t host_now, guest_now, host;

	if (!guest_deadline)
		return 0;
	host_now = rdtsc();
	guest_now = host_now + v->tsc_offset;
	host = guest_deadline > guest_now ? host_now + (guest_deadline - guest_now) : host_now;
	return host < host_now ? ~0ull : host; /* the sum wrapped: as far as the TSC goes */
}

uint64_t apic_timer_deadline(struct vcpu *v)
{
	uint64_t lapic = v->timer_offloaded ? 0 : host_deadline(v, vlapic_timer_deadline(v->vlapic));
	uint64_t devices = board->deadline();

	return tsc_earlier(lapic, devices);
}

/* ---- the housekeeping CPU (housekeeping=cpu0) -------------------------------------------------
 *
 * CPU 0 runs no vCPU. It keeps the time of the device models (platform/platform_irq.c) and of
 * every vCPU's vLAPIC timer, and delivers what they raise from root mode with apic_deliver_to:
 * by posting in posted mode — with posted-interrupt processing a running vCPU takes the tick
 * with no VM exit at all, where it would otherwise exit for its own VMX-preemption timer (KVM's
 * pi_inject_timer does the same with an hrtimer on a housekeeping CPU) — and through the inbox
 * and a kick in the other modes. A vCPU publishes its timer's programming before VM entry when
 * the guest changed it (the timer itself stays in the vLAPIC model for what the guest reads);
 * the housekeeping CPU sleeps until its earliest deadline and is kicked awake when something
 * it keeps changed, with the announce-then-check order of the vCPUs' own kicks.
 */
static struct {
	bool on;
	uint32_t host_apic_id;
	uint32_t idle;                /* set before its last look ahead of HLT, cleared on wake */
	uint64_t wakeups_sent;        /* kicks sent to it (counted by their senders) */
} housekeeper;

void apic_housekeeping_enable(uint32_t host_apic_id)
{
	housekeeper.host_apic_id = host_apic_id;
	housekeeper.on = true;
}

void apic_offload_timer(struct vcpu *v)
{
	v->timer_offloaded = true;
	vlapic_timer_offload(v->vlapic, true);
}

void apic_housekeeper_wake(void)
{
	/* The caller's store (a deadline, the end of the run) before the load of `idle`: x86 lets
	 * a load pass an earlier store to another address, and the housekeeping CPU does the
	 * mirror image (idle, then the deadlines), so without the fence both could miss the other.
	 * The housekeeping CPU's own device work needs no kick: it looks again before it halts. */
	if (!housekeeper.on || vcpu_current()->host_apic_id == housekeeper.host_apic_id)
		return;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&housekeeper.idle, __ATOMIC_SEQ_CST)) {
		__atomic_fetch_add(&housekeeper.wakeups_sent, 1, __ATOMIC_RELAXED);
		host_apic_send_fixed(housekeeper.host_apic_id, HOST_VECTOR_KICK);
	}
}

void apic_housekeeper_idle(bool idle)
{
	__atomic_store_n(&housekeeper.idle, idle, __ATOMIC_SEQ_CST);
}

uint64_t apic_housekeeper_wakeups(void)
{
	return __atomic_load_n(&housekeeper.wakeups_sent, __ATOMIC_RELAXED);
}

/* The vCPU's side, before VM entry and after INIT: the guest programmed its timer (or changed
 * the LVT, or its TSC offset): hand the new programming to the housekeeping CPU. */
void apic_publish_timer(struct vcpu *v)
{
	struct vlapic_timer_programming p;

	vlapic_timer_program(v->vlapic, &p);
	if (!timer_offload_stale(&v->timer_offload, p.programmed, p.lvt, v->tsc_offset))
		return;
	timer_offload_publish(&v->timer_offload, p.programmed, host_deadline(v, p.deadline),
			      p.period, p.lvt, v->tsc_offset);
	apic_housekeeper_wake();
}

uint64_t apic_housekeeping_timers(uint64_t now)
{
	uint64_t earliest = 0;

	for (unsigned i = 0; i < vcpu_count; i++) {
		struct vcpu *v = &vcpus[i];
		uint64_t next;
		int vector;

		if (!v->timer_offloaded)
			continue;
		vector = timer_offload_fire(&v->timer_offload, now, &next);
		/* The timer interrupt is edge-triggered and fixed (§11.5.1). */
		if (vector >= 0)
			apic_deliver_to(v, APIC_DELIVERY_FIXED, (uint8_t)vector, false);
		earliest = tsc_earlier(earliest, next);
	}
	return earliest;
}

void apic_timer_check(struct vcpu *v)
{
	uint64_t deadline = vlapic_timer_deadline(v->vlapic);

	if (deadline && vlapic_now(v) >= deadline)
		vlapic_timer_expired(v->vlapic);
	board->run_timers();
}
