/* SPDX-License-Identifier: MIT */
/*
 * The four ways of delivering interrupts into the virtual LAPIC, and the VM exits each one
 * causes. This is the VMX side of apicv/: it programs the VMCS for a mode, injects or posts what
 * the vLAPIC model (apicv/vlapic.c, plain C) has pending, and turns APIC-related VM exits into
 * calls of the model. The model never sees a VMCS.
 *
 *   emulate     no APIC virtualization. The APIC page is absent from EPT: every access is an
 *               EPT violation decoded by vmx/x86_decode.c; x2APIC MSRs and CR8 exit; interrupts
 *               are injected at VM entry (interrupt-window exiting while the guest cannot take
 *               them).
 *   tpr-shadow  TPR shadow with the vLAPIC page as the virtual-APIC page, TPR threshold, and
 *               "virtualize APIC accesses": TPR reads and writes (MMIO, CR8, x2APIC MSR 0x808)
 *               do not exit, every other APIC access is an APIC_ACCESS exit; injection as above.
 *   apicv       + APIC-register virtualization and virtual-interrupt delivery: reads do not
 *               exit, TPR/EOI/SELF_IPI writes are virtualized, other writes are trap-like
 *               APIC_WRITE exits; pending interrupts are posted to RVI and the CPU delivers them;
 *               EOIs of vectors in the EOI-exit bitmap are EOI_INDUCED exits.
 *   posted      + posted-interrupt processing: interrupts for the vCPU go through its posted-
 *               interrupt descriptor (PIR, ON) and the notification vector; without the hardware
 *               feature the same descriptor is drained into vIRR/RVI at the next VM entry.
 */
#ifndef APICVISOR_DELIVERY_H
#define APICVISOR_DELIVERY_H

#include "../boot/config.h"
#include "../include/apicvisor/host_vectors.h"
#include "../lib/klib.h"

struct vcpu;
struct vmx_caps;

/* Posted-interrupt descriptor (SDM Vol. 3C §30.6 "Posted-Interrupt Processing", Table 30-1).
 * 64-byte aligned; the CPU reads and clears PIR and ON, senders set them with locked
 * operations. */
struct pi_desc {
	uint64_t pir[4];              /* bits 255:0, one per vector */
	uint16_t control;             /* bit 256 ON (outstanding notification), bit 257 SN */
	uint8_t notification_vector;  /* bits 279:272 */
	uint8_t reserved0;
	uint32_t notification_destination; /* bits 319:288; xAPIC: APIC ID << 8 */
	uint64_t reserved1[3];
} __attribute__((aligned(64)));
_Static_assert(sizeof(struct pi_desc) == 64, "posted-interrupt descriptor is 64 bytes");
_Static_assert(__builtin_offsetof(struct pi_desc, notification_vector) == 34, "NV at bit 272");
_Static_assert(__builtin_offsetof(struct pi_desc, notification_destination) == 36,
	       "NDST at bit 288");

#define PI_CONTROL_ON (1u << 0)
#define PI_CONTROL_SN (1u << 1)

/* The host vector that notifies a running vCPU of posted interrupts. */
#define POSTED_INTERRUPT_VECTOR HOST_VECTOR_POSTED

/* Pages the delivery modes need, allocated before ExitBootServices (physical == virtual). */
struct apic_pages {
	void *vlapic_page;            /* the vLAPIC registers = the virtual-APIC page */
	void *apic_access_page;       /* the page EPT maps at the APIC base in tpr-shadow+ modes */
	struct pi_desc *pi_desc;
	void *ept_pool;               /* spare pages for EPT structures above guest RAM */
	size_t ept_pool_pages;
};

/* Counters the ladder reports, per vCPU. Written on that vCPU's exit path only. */
struct apic_stats {
	uint64_t injected;            /* interrupts injected through the VM-entry interruption field */
	uint64_t nmis_injected;
	uint64_t posted_to_rvi;       /* times a new highest vector was written to RVI */
	uint64_t posted;              /* interrupts posted to the descriptor (posted mode) */
	uint64_t notifications;       /* notification IPIs sent (posted mode) */
	uint64_t notifications_coalesced; /* posts to another vCPU whose ON was already set */
	uint64_t posted_remote;       /* interrupts this vCPU posted into another vCPU's descriptor */
	uint64_t pir_drained;         /* vectors moved PIR → vIRR by software */
	uint64_t irq_window_exits;    /* interrupt-window exits */
	uint64_t nmi_window_exits;
	uint64_t apic_write[256];     /* APIC_WRITE exits by register (offset >> 4) */
	uint64_t apic_access[256];    /* APIC_ACCESS exits and emulated MMIO by register */
	uint64_t eoi_induced[256];    /* EOI_INDUCED exits by vector */
	uint64_t extint_injected;     /* 8259 interrupts injected (ExtINT: never virtual delivery) */
	uint64_t extint_window_exits; /* interrupt-window exits taken for an ExtINT */
	uint64_t ioapic_access[16];   /* IOAPIC MMIO exits by register (offset >> 4) */
};

/*
 * What delivery asks of the board below it, without including it: the platform (a floor
 * above, platform/) fills this in at start-up (apic_delivery_set_platform). Called on the
 * vCPU's exit path.
 */
struct apic_platform_ops {
	/* An 8259 interrupt waits for this vCPU (ExtINT through LINT0 or IOAPIC pin 0). */
	bool (*extint_pending)(struct vcpu *v);
	/* The INTA cycle: the 8259's vector, or -1 when nothing is pending any more. */
	int (*extint_acknowledge)(void);
	/* The vectors of level-triggered IOAPIC pins, for the EOI-exit bitmap. */
	void (*level_vectors)(uint64_t bitmap[4]);
	/* A level-triggered vector's EOI reached the IOAPIC (it clears remote IRR). */
	void (*eoi)(uint8_t vector);
	/* The devices' next timer event (host TSC, 0: none), and running those that are due. */
	uint64_t (*deadline)(void);
	void (*run_timers)(void);
};
void apic_delivery_set_platform(const struct apic_platform_ops *ops);

/* maxphyaddr: the physical-address width the guest is told (the vLAPIC checks the APIC base
 * against it). */
void apic_delivery_init(struct vcpu *v, const struct apic_pages *pages, uint64_t tsc_hz,
			unsigned maxphyaddr);

/* An 8259 interrupt waits for this vCPU (apic_platform_ops.extint_pending). */
bool apic_extint_pending(struct vcpu *v);

/*
 * Delivery to any vCPU from the CPU this runs on (see "between vCPUs" in delivery.c): the
 * current vCPU's own vLAPIC directly, another's through its posted-interrupt descriptor or
 * inbox and a kick. `delivery_mode` in ICR/RTE encoding (fixed, lowest priority, NMI, INIT,
 * start-up; SMI and ExtINT do nothing here).
 */
void apic_deliver_to(struct vcpu *target, unsigned delivery_mode, uint8_t vector, bool level);
/* An IOAPIC or MSI message: routed by the APIC bus to its vCPUs. Returns whether any took it. */
bool apic_deliver_message(uint32_t destination, bool logical, unsigned delivery_mode,
			  uint8_t vector, bool level);
/* The run is over: `target` leaves its run loop at its next look at the inbox. */
void apic_stop_vcpu(struct vcpu *target);
/* Device state that lives with `target` changed on another CPU: it syncs before its next
 * entry (platform_irq_sync; it is kicked). */
void apic_request_device_sync(struct vcpu *target);
/* The guest chose a delivery mode on another vCPU: `target` switches to it before its next
 * entry (it is kicked). A mode applies to the whole VM: the vCPUs share the MSR bitmap and the
 * EPT entry at the APIC base. */
void apic_request_mode(struct vcpu *target, enum apicvisor_mode mode);
/* Whether another CPU left something in this vCPU's inbox. */
bool apic_inbox_pending(const struct vcpu *v);
/* Right before VM entry: this vCPU is going into non-root operation (senders kick it from now
 * on; SN clear). Returns false, back in root mode, when something arrived meanwhile: the entry
 * is prepared again. Only where other CPUs deliver (the callers check vcpus_concurrent: the
 * single-vCPU exit path pays nothing for SMP). */
bool apic_announce_entry(struct vcpu *v);
/* Right after VM exit: in root mode (SN set: senders post without notifying). The same. */
void apic_announce_exit(struct vcpu *v);

/* Switches the vCPU to a delivery mode (lowered to what the CPU allows); returns the mode in
 * effect. Called before the first entry and for the SET_MODE hypercall. */
enum apicvisor_mode apic_set_mode(struct vcpu *v, enum apicvisor_mode requested);

/* Run before every VM entry: injects or posts what the vLAPIC has pending, arms the windows,
 * folds the LAPIC timer into the VMX-preemption timer deadline. */
void apic_before_entry(struct vcpu *v);

/* housekeeping=cpu0 (see "the housekeeping CPU" in delivery.c). On the housekeeping CPU:
 * apic_housekeeping_enable names it (its host APIC ID, where wake-ups go); apic_housekeeper_idle
 * brackets its look at the deadlines before HLT; apic_housekeeping_timers fires the vLAPIC
 * timers due at host TSC `now` and returns the earliest deadline left (0: none). On a vCPU's
 * CPU: apic_offload_timer hands its vLAPIC timer over (at set-up); apic_housekeeper_wake kicks
 * the housekeeping CPU when something it keeps changed. */
void apic_housekeeping_enable(uint32_t host_apic_id);
void apic_housekeeper_idle(bool idle);
uint64_t apic_housekeeping_timers(uint64_t now);
uint64_t apic_housekeeper_wakeups(void);
void apic_offload_timer(struct vcpu *v);
void apic_housekeeper_wake(void);
/* An offloaded timer's programming to the housekeeping CPU, if it changed (apic_before_entry
 * does this; INIT, which holds the vCPU in root mode, does it at once). */
void apic_publish_timer(struct vcpu *v);

/* The earliest TSC at which the vLAPIC needs the CPU back (its timer), 0 for none. */
uint64_t apic_timer_deadline(struct vcpu *v);
/* The VMX-preemption timer fired: run the vLAPIC timer if it is due. */
void apic_timer_check(struct vcpu *v);

/* Whether an interrupt or NMI could be delivered now or later without an outside event: a HLT
 * with IF = 1 resumes at once when this holds (Bochs 2.7 does not wake a halted guest on a
 * pending virtual interrupt, and a real hypervisor decides this before blocking anyway). */
bool apic_has_deliverable_event(struct vcpu *v);

#endif
