/* SPDX-License-Identifier: MIT */
#include "smp.h"

#include <efilib.h>

#include "../include/apicvisor/host_vectors.h"
#include "../vmx/host_apic.h"
#include "../vmx/vmx.h"
#include "console.h"
#include "efi_util.h"
#include "madt.h"
#include "x86.h"

/* EFI MP Services (PI Specification Vol. 2, §13.4): GNU-EFI does not define it. */
#define MP_SERVICES_GUID \
	{ 0x3fdda605, 0xa76e, 0x4f46, { 0xad, 0x29, 0x12, 0xf4, 0x53, 0x1b, 0x3d, 0x08 } }
#define MP_PROCESSOR_BSP (1u << 0)
#define MP_PROCESSOR_ENABLED (1u << 1)
#define MP_PROCESSOR_HEALTHY (1u << 2)

struct mp_processor_info {
	UINT64 processor_id;           /* the APIC ID */
	UINT32 status_flag;
	UINT32 location[3];            /* package, core, thread */
	UINT32 extended[6];            /* PI 1.7 ExtendedInformation: room only, never asked for */
};

struct mp_services;
typedef EFI_STATUS(EFIAPI *mp_get_number_of_processors)(struct mp_services *self, UINTN *count,
						       UINTN *enabled);
typedef EFI_STATUS(EFIAPI *mp_get_processor_info)(struct mp_services *self, UINTN number,
						 struct mp_processor_info *info);
struct mp_services {
	mp_get_number_of_processors get_number_of_processors;
	mp_get_processor_info get_processor_info;
	/* StartupAllAPs, StartupThisAP, SwitchBSP, EnableDisableAP, WhoAmI: not used */
};

/* The trampoline's parameter block (boot/trampoline.asm, P_*). */
struct ap_trampoline_params {
	uint8_t jump[8];
	uint32_t cr0, cr3, cr4, efer;
	uint64_t stack_top;
	uint64_t entry;
	uint64_t arg;
	volatile uint32_t stage;
	uint32_t reserved;
};
_Static_assert(__builtin_offsetof(struct ap_trampoline_params, cr0) == 0x08, "P_CR0");
_Static_assert(__builtin_offsetof(struct ap_trampoline_params, efer) == 0x14, "P_EFER");
_Static_assert(__builtin_offsetof(struct ap_trampoline_params, stack_top) == 0x18, "P_STACK");
_Static_assert(__builtin_offsetof(struct ap_trampoline_params, entry) == 0x20, "P_ENTRY");
_Static_assert(__builtin_offsetof(struct ap_trampoline_params, arg) == 0x28, "P_ARG");
_Static_assert(__builtin_offsetof(struct ap_trampoline_params, stage) == 0x30, "P_STAGE");
_Static_assert(sizeof(struct ap_trampoline_params) == 0x38, "P_END");

extern const uint8_t ap_trampoline_start[], ap_trampoline_end[];

/* Below the EBDA and the legacy video/BIOS areas; the SIPI vector is the page number. */
#define TRAMPOLINE_BELOW 0xA0000ull
#define INIT_DELAY_US 10000
#define STARTUP_DELAY_US 200
/* CR4 bits an AP starts with: the BSP's paging and SSE-enable bits; vmx_cpu_on adds VMXE and
 * OSXSAVE as on the BSP. */
#define AP_CR4_FROM_BSP (CR4_PAE | CR4_PGE | CR4_PSE | CR4_OSFXSR | CR4_OSXMMEXCPT)

static struct ap_trampoline_params *trampoline;

/* Each AP's outcome, written by the AP, read by the BSP. */
struct ap_status {
	volatile enum smp_ap_state state;
	struct percpu *cpu;
	unsigned vcpu;                 /* the vCPU it is to run */
	const struct smp_ap_ops *ops;
	const char *vcpu_error;
	void *vmxon_region;
	const struct vmx_caps *bsp_caps;
	struct vmx_caps caps;
	const char *vmx_error;
	char differences[320];
};
static struct ap_status ap_status[MAX_CPUS];

static unsigned from_mp_services(struct smp_plan *plan, uint32_t bsp_id)
{
	EFI_GUID guid = MP_SERVICES_GUID;
	struct mp_services *mp;
	UINTN count, enabled;

	if (EFI_ERROR(BS->LocateProtocol(&guid, NULL, (void **)&mp)) ||
	    EFI_ERROR(mp->get_number_of_processors(mp, &count, &enabled)))
		return 0;
	plan->source = "EFI MP services";
	plan->apic_ids[0] = bsp_id;
	plan->count = 1;
	plan->found = 0;
	for (UINTN i = 0; i < count; i++) {
		struct mp_processor_info info;
		uint32_t want = MP_PROCESSOR_ENABLED | MP_PROCESSOR_HEALTHY;

		memset(&info, 0, sizeof(info));
		if (EFI_ERROR(mp->get_processor_info(mp, i, &info)) ||
		    (info.status_flag & want) != want)
			continue;
		plan->found++;
		if ((uint32_t)info.processor_id != bsp_id && plan->count < MAX_CPUS)
			plan->apic_ids[plan->count++] = (uint32_t)info.processor_id;
	}
	return plan->found;
}

static unsigned from_madt(EFI_SYSTEM_TABLE *st, struct smp_plan *plan, uint32_t bsp_id)
{
	EFI_GUID acpi20 = ACPI_20_TABLE_GUID;
	static struct madt_cpus cpus;
	uint64_t madt;
	uint32_t length;
	char err[160];

	for (UINTN i = 0; i < st->NumberOfTableEntries; i++) {
		EFI_CONFIGURATION_TABLE *t = &st->ConfigurationTable[i];

		if (CompareGuid(&t->VendorGuid, &acpi20) != 0)
			continue;
		madt = acpi_find_table(NULL, (uint64_t)(uintptr_t)t->VendorTable, "APIC", &length,
				       err, sizeof(err));
		if (!madt || madt_parse_cpus(NULL, madt, length, &cpus, err, sizeof(err))) {
			log_info("apicvisor: firmware ACPI tables: %s\n", err);
			return 0;
		}
		plan->source = "the ACPI MADT";
		plan->apic_ids[0] = bsp_id;
		plan->count = 1;
		plan->found = cpus.count + cpus.overflow;
		for (unsigned c = 0; c < cpus.count; c++)
			if (cpus.cpus[c].apic_id != bsp_id && plan->count < MAX_CPUS)
				plan->apic_ids[plan->count++] = cpus.cpus[c].apic_id;
		return plan->found;
	}
	return 0;
}

void smp_discover(EFI_SYSTEM_TABLE *system_table, unsigned wanted, struct smp_plan *plan)
{
	uint32_t bsp_id = host_apic_id();

	memset(plan, 0, sizeof(*plan));
	if (!from_mp_services(plan, bsp_id) && !from_madt(system_table, plan, bsp_id)) {
		plan->source = "none (the firmware lists no processors: the BSP alone)";
		plan->found = 1;
		plan->apic_ids[0] = bsp_id;
		plan->count = 1;
	}
	if (wanted > plan->found)
		boot_fail("cpus=%u, but %s lists %u usable processor%s", wanted, plan->source,
			  plan->found, plan->found == 1 ? "" : "s");
	if (wanted)
		plan->count = wanted;
	else if (plan->found > MAX_CPUS)
		log_info("apicvisor: %u processors; using %u (the most this build supports)\n",
			 plan->found, MAX_CPUS);
	kprintf("apicvisor: CPUs: %u found (%s), using %u: APIC IDs", plan->found, plan->source,
		plan->count);
	for (unsigned i = 0; i < plan->count; i++)
		kprintf(" %u%s", plan->apic_ids[i], i == 0 ? " (BSP)" : "");
	kprintf("\n");
}

void smp_reserve_trampoline(const struct smp_plan *plan)
{
	size_t size = (size_t)(ap_trampoline_end - ap_trampoline_start);
	EFI_STATUS status;

	if (plan->count < 2)
		return;
	trampoline = efi_try_alloc_pages(1, TRAMPOLINE_BELOW, &status);
	if (!trampoline)
		boot_fail("no free page below %#llx for the AP start-up code: %s",
			  (unsigned long long)TRAMPOLINE_BELOW, efi_status_name(status));
	memcpy(trampoline, ap_trampoline_start, size);
}

/* The busy wait the start-up sequence needs; nothing else runs in root mode meanwhile. */
static void delay_us(uint64_t tsc_hz, uint64_t us)
{
	uint64_t end = rdtsc() + tsc_hz / 1000000 * us;

	while (rdtsc() < end)
		__asm__ volatile("pause");
}

/* An AP that cannot be used waits here, halted with interrupts off. */
static __attribute__((noreturn)) void ap_park(void)
{
	for (;;)
		__asm__ volatile("cli; hlt" : : : "memory");
}

/* The AP's first C code, on its own stack: its tables, its VT-x features against the BSP's,
 * VMX on, its local APIC enabled for kicks, its vCPU set up; then it runs the vCPU (or parks
 * when something failed). */
static __attribute__((noreturn, used)) void ap_entry(void *arg)
{
	struct ap_status *s = arg;

	cpu_load_tables(s->cpu);
	s->state = SMP_AP_STARTED;
	vmx_probe(&s->caps);
	if (vmx_caps_differences(&s->caps, s->bsp_caps, s->differences, sizeof(s->differences))) {
		s->state = SMP_AP_FEATURES_DIFFER;
		ap_park();
	}
	s->vmx_error = vmx_cpu_on(s->bsp_caps, s->vmxon_region);
	if (s->vmx_error) {
		s->state = SMP_AP_VMX_FAILED;
		ap_park();
	}
	host_apic_software_enable(HOST_VECTOR_SPURIOUS);
	s->vcpu_error = s->ops->setup(s->vcpu, s->cpu->id);
	if (s->vcpu_error) {
		s->state = SMP_AP_VCPU_FAILED;
		ap_park();
	}
	s->state = SMP_AP_READY;
	s->ops->run(s->vcpu);
}

/* fault=ap-silent: this AP reaches 64-bit mode and stops there, as a broken one would. */
static __attribute__((noreturn, used)) void ap_entry_silent(void *arg)
{
	(void)arg;
	ap_park();
}

static const char *stage_name(uint32_t stage)
{
	static const char *const names[] = {
		"never ran the start-up code", "stopped in real mode", "stopped in protected mode",
		"reached 64-bit mode and stopped",
	};

	return stage < ARRAY_SIZE(names) ? names[stage] : "unknown";
}

/* Starts one AP; returns whether it is ready. */
static bool start_ap(unsigned index, uint32_t apic_id, struct ap_status *s, uint64_t tsc_hz,
		     bool silent)
{
	uint64_t start, deadline;
	uint8_t vector = (uint8_t)((uintptr_t)trampoline >> 12);

	trampoline->stage = 0;
	trampoline->stack_top = (uint64_t)(uintptr_t)s->cpu->stack_top;
	trampoline->entry = (uint64_t)(uintptr_t)(silent ? ap_entry_silent : ap_entry);
	trampoline->arg = (uint64_t)(uintptr_t)s;
	__asm__ volatile("mfence" : : : "memory");

	start = rdtsc();
	host_apic_send_init(apic_id);
	delay_us(tsc_hz, INIT_DELAY_US);
	host_apic_send_startup(apic_id, vector);
	delay_us(tsc_hz, STARTUP_DELAY_US);
	if (trampoline->stage == 0)
		host_apic_send_startup(apic_id, vector);
	deadline = start + tsc_hz / 1000 * SMP_AP_TIMEOUT_MS;
	while (s->state < SMP_AP_READY && rdtsc() < deadline)
		__asm__ volatile("pause");

	switch (s->state) {
	case SMP_AP_READY:
		kprintf("apicvisor: CPU %u (APIC ID %u): up in %llu us, VT-x features as CPU 0's, "
			"VMX on, runs vCPU %u\n", index, apic_id,
			(unsigned long long)((rdtsc() - start) * 1000000 / tsc_hz), s->vcpu);
		return true;
	case SMP_AP_VCPU_FAILED:
		kprintf("apicvisor: CPU %u (APIC ID %u): not used: vCPU %u: %s\n", index, apic_id,
			s->vcpu, s->vcpu_error);
		return false;
	case SMP_AP_FEATURES_DIFFER:
		kprintf("apicvisor: CPU %u (APIC ID %u): not used: its VT-x features differ from "
			"CPU 0's: %s\n", index, apic_id, s->differences);
		return false;
	case SMP_AP_VMX_FAILED:
		kprintf("apicvisor: CPU %u (APIC ID %u): not used: %s\n", index, apic_id,
			s->vmx_error);
		return false;
	default:
		/* Hold it in wait-for-SIPI, so that it cannot wake later and run stale code (an AP
		 * that has not reached VMXON: INIT is blocked in VMX root operation, SDM Vol. 3C
		 * §24.8; this one never set its state past "started", which is before VMXON). */
		host_apic_send_init(apic_id);
		kprintf("apicvisor: CPU %u (APIC ID %u): did not come up within %u ms (it %s)\n",
			index, apic_id, SMP_AP_TIMEOUT_MS,
			s->state == SMP_AP_STARTED ? "loaded its tables and stopped before VMX"
						   : stage_name(trampoline->stage));
		return false;
	}
}

unsigned smp_start_aps(const struct smp_plan *plan, struct percpu *cpus, void *const *vmxon_regions,
		       const struct vmx_caps *bsp_caps, uint64_t tsc_hz, uint64_t cr3,
		       const struct smp_ap_ops *ops, unsigned first_vcpu, bool required,
		       bool silent_last_ap)
{
	unsigned vcpu_total = first_vcpu;

	if (plan->count < 2)
		return first_vcpu;
	trampoline->cr0 = (uint32_t)read_cr0();
	trampoline->cr3 = (uint32_t)cr3;
	trampoline->cr4 = (uint32_t)(read_cr4() & AP_CR4_FROM_BSP) | CR4_PAE;
	trampoline->efer = (uint32_t)(EFER_LME | (rdmsr(MSR_IA32_EFER) & EFER_NXE));
	for (unsigned i = 1; i < plan->count; i++) {
		struct ap_status *s = &ap_status[i];

		*s = (struct ap_status){
			.cpu = &cpus[i],
			.vcpu = vcpu_total,
			.ops = ops,
			.vmxon_region = vmxon_regions[i],
			.bsp_caps = bsp_caps,
		};
		if (start_ap(i, plan->apic_ids[i], s, tsc_hz, silent_last_ap && i == plan->count - 1))
			vcpu_total++;
		else if (required)
			boot_fail("cpus=%u: CPU %u (APIC ID %u) cannot be used", plan->count, i,
				  plan->apic_ids[i]);
	}
	return vcpu_total;
}
