/* SPDX-License-Identifier: MIT */
#include "scenarios.h"

#include "cpu.h"
#include "hypercall.h"
#include "idt.h"
#include "lib/string.h"
#include "scenario_kit.h"
#include "scenarios_hardening.h"
#include "scenarios_reliability.h"
#include "serial.h"
#include "smp.h"

/* A function number with apicvisor's signature that no hypercall uses. */
#define SCENARIO_UNKNOWN_FUNCTION (APICVISOR_HC_SIGNATURE | 0xFFFFu)

static const char *scenario_memory_type_name(uint32_t type)
{
	/* Multiboot passes the BIOS E820 types through. */
	switch (type) {
	case 1:
		return "available";
	case 2:
		return "reserved";
	case 3:
		return "ACPI reclaimable";
	case 4:
		return "ACPI NVS";
	case 5:
		return "bad";
	default:
		return "unknown";
	}
}

static enum scenario_failure scenario_hello_memory_map(struct scenario_state *state,
						       const struct multiboot_info *info)
{
	uintptr_t address = info->mmap_addr;
	uintptr_t end = address + (uintptr_t)info->mmap_length;
	uint64_t entries = 0;

	serial_printf("  memory map:\n");
	while (address < end) {
		const struct multiboot_mmap_entry *entry = (const void *)address;

		/* A short entry would also make the walk loop forever (size 0) or misread. */
		if (entry->size < MULTIBOOT_MMAP_ENTRY_MIN_SIZE) {
			scenario_note(state, "memory map entry %lu has size %u, less than %u",
				      entries, entry->size, MULTIBOOT_MMAP_ENTRY_MIN_SIZE);
			return SCENARIO_FAILURE_BAD_MEMORY_MAP;
		}
		serial_printf("    base 0x%016lx length 0x%016lx type %u (%s)\n", entry->addr,
			      entry->len, entry->type, scenario_memory_type_name(entry->type));
		address += sizeof(entry->size) + entry->size;
		entries++;
	}
	scenario_report(state, "mmap_entries", entries);
	return SCENARIO_PASSED;
}

/* Modules are page-aligned: the header's flag bit 0 asks for it (entry.asm sets it), and QEMU
 * and apicvisor place every module at a page boundary anyway. */
#define SCENARIO_MODULE_ALIGNMENT 4096u
/* A module string without a NUL in this many bytes is taken for a bad pointer. */
#define SCENARIO_MODULE_STRING_MAX 4096u

/* The length of the NUL-terminated string at `address`, every byte of it, the NUL included, in
 * memory the map reports available (where a loader's information lies); -1 when it is not, or
 * has no NUL within SCENARIO_MODULE_STRING_MAX bytes. Each page is checked before its first
 * byte is read, so that a wild pointer is not followed out of RAM. */
static int64_t scenario_hello_string_length(const struct multiboot_info *info, uint32_t address)
{
	for (uint64_t i = 0; i < SCENARIO_MODULE_STRING_MAX; i++) {
		uint64_t at = (uint64_t)address + i;

		if ((i == 0 || at % SCENARIO_MODULE_ALIGNMENT == 0) &&
		    multiboot_mmap_type_at(info, at, 1) != MULTIBOOT_MMAP_AVAILABLE)
			return -1;
		if (*(const char *)(uintptr_t)at == '\0')
			return (int64_t)i;
	}
	return -1;
}

/* One module: shown, then checked to lie in available RAM, start at a page boundary and have a
 * string. */
static bool scenario_hello_module(struct scenario_state *state,
				  const struct multiboot_info *info, unsigned index,
				  const struct multiboot_module *module)
{
	int64_t string_length = module->string != 0 ?
					scenario_hello_string_length(info, module->string) : -1;
	bool good = true;

	serial_printf("    module %u: 0x%08x-0x%08x '%s'\n", index, module->mod_start,
		      module->mod_end, string_length >= 0 ?
				       (const char *)(uintptr_t)module->string : "(no string)");
	if (module->mod_end < module->mod_start ||
	    multiboot_mmap_type_at(info, module->mod_start, module->mod_end - module->mod_start) !=
		    MULTIBOOT_MMAP_AVAILABLE) {
		scenario_note(state, "module %u [0x%x, 0x%x) is not inside available RAM", index,
			      module->mod_start, module->mod_end);
		good = false;
	}
	if (module->mod_start % SCENARIO_MODULE_ALIGNMENT != 0) {
		scenario_note(state, "module %u starts at 0x%x, not at a page boundary", index,
			      module->mod_start);
		good = false;
	}
	if (string_length < 0) {
		scenario_note(state, "module %u's string at 0x%x is not a NUL-terminated string in "
			      "available RAM", index, module->string);
		good = false;
	}
	return good;
}

/* The module list, where the loader passed one: each module shown and checked; figure
 * modules. The memory map is known to be there and well formed. */
static enum scenario_failure scenario_hello_modules(struct scenario_state *state,
						    const struct multiboot_info *info)
{
	const struct multiboot_module *modules = (const void *)(uintptr_t)info->mods_addr;
	uint64_t list_bytes = (uint64_t)info->mods_count * sizeof(*modules);
	bool good = true;

	serial_printf("  modules: %u\n", info->mods_count);
	scenario_report(state, "modules", info->mods_count);
	if (multiboot_mmap_type_at(info, info->mods_addr, list_bytes) != MULTIBOOT_MMAP_AVAILABLE) {
		scenario_note(state, "the module list [0x%x, 0x%lx) is not inside available RAM",
			      info->mods_addr, info->mods_addr + list_bytes);
		return SCENARIO_FAILURE_BAD_MODULE;
	}
	for (unsigned i = 0; i < info->mods_count; i++)
		good &= scenario_hello_module(state, info, i, &modules[i]);
	return good ? SCENARIO_PASSED : SCENARIO_FAILURE_BAD_MODULE;
}

/* Shows what the loader passed; passes when the memory information a multiboot loader must
 * give (the header asks for it) is there, and the modules, if any, are where they should be. */
static enum scenario_failure scenario_hello(struct scenario_state *state)
{
	const struct multiboot_info *info = state->context->boot_info;

	serial_printf("hello from the apicvisor test guest\n");
	serial_printf("  multiboot flags 0x%x\n", info->flags);
	if (info->flags & MULTIBOOT_INFO_CMDLINE)
		serial_printf("  command line '%s'\n", (const char *)(uintptr_t)info->cmdline);
	if (info->flags & MULTIBOOT_INFO_BOOT_LOADER_NAME)
		serial_printf("  boot loader '%s'\n",
			      (const char *)(uintptr_t)info->boot_loader_name);

	if (!(info->flags & MULTIBOOT_INFO_MEMORY))
		return SCENARIO_FAILURE_NO_MEMORY_INFO;
	scenario_report(state, "mem_lower_kib", info->mem_lower);
	scenario_report(state, "mem_upper_kib", info->mem_upper);

	if (!(info->flags & MULTIBOOT_INFO_MEM_MAP))
		return SCENARIO_FAILURE_NO_MEMORY_MAP;
	enum scenario_failure failure = scenario_hello_memory_map(state, info);

	if (failure != SCENARIO_PASSED)
		return failure;
	if (info->mem_upper == 0)
		return SCENARIO_FAILURE_NO_UPPER_MEMORY;
	/* QEMU sets the flag with no modules too: nothing is shown then. */
	if ((info->flags & MULTIBOOT_INFO_MODS) && info->mods_count != 0)
		return scenario_hello_modules(state, info);
	return SCENARIO_PASSED;
}

/*
 * Times `iterations` round trips of one hypercall the way kvm-unit-tests' x86/vmexit.c times
 * "vmcall": one fenced TSC read before the whole loop and one after, divided by the count, so
 * the cost of reading the TSC is not part of each round trip.
 */
static enum scenario_failure scenario_time_hypercall(struct scenario_state *state,
						     uint64_t function, const char *cycles_key)
{
	uint64_t iterations = state->context->iterations;
	uint64_t errors = 0;
	int64_t last_error = 0;
	uint64_t start = cpu_rdtsc_fenced();

	for (uint64_t i = 0; i < iterations; i++) {
		int64_t result = hypercall(function, 0, 0, 0);

		if (result != 0) {
			errors++;
			last_error = result;
		}
	}
	uint64_t cycles = cpu_rdtsc_fenced() - start;

	scenario_report(state, "iterations", iterations);
	scenario_report(state, cycles_key, cycles / iterations);
	if (errors != 0) {
		scenario_note(state, "%lu of %lu calls returned an error, the last %ld", errors,
			      iterations, last_error);
		return SCENARIO_FAILURE_HYPERCALL_ERROR;
	}
	return SCENARIO_PASSED;
}

/* The full exit path: C dispatch, statistics, a handler that does nothing. */
static enum scenario_failure scenario_vmcall(struct scenario_state *state)
{
	return scenario_time_hypercall(state, APICVISOR_HC_PING, "cycles_per_vmcall");
}

/* The bare VM exit / VM entry round trip: the exit stub turns HC_NULL around itself. */
static enum scenario_failure scenario_null(struct scenario_state *state)
{
	return scenario_time_hypercall(state, APICVISOR_HC_NULL, "cycles_per_null_exit");
}

/* An unknown function number must come back as -ENOSYS in all 64 bits of RAX. */
static enum scenario_failure scenario_bad_hypercall(struct scenario_state *state)
{
	int64_t result = hypercall(SCENARIO_UNKNOWN_FUNCTION, 0, 0, 0);

	if (result != APICVISOR_HC_ENOSYS) {
		scenario_note(state, "function 0x%x returned 0x%lx, not 0x%lx (%d, ENOSYS)",
			      SCENARIO_UNKNOWN_FUNCTION, (uint64_t)result,
			      (uint64_t)(int64_t)APICVISOR_HC_ENOSYS, APICVISOR_HC_ENOSYS);
		return SCENARIO_FAILURE_NOT_ENOSYS;
	}
	return SCENARIO_PASSED;
}

/* A bit of a CPUID register that must read as `expected`. */
static bool scenario_expect_cpuid_bit(struct scenario_state *state, const char *what,
				      uint32_t reg, uint32_t bit, bool expected)
{
	return scenario_expect(state, what, (reg & bit) != 0, expected);
}

/* A whole CPUID leaf (subleaf 0) that must read as `expected`. */
static bool scenario_expect_cpuid_leaf(struct scenario_state *state, uint32_t leaf,
				       struct cpu_cpuid_result expected)
{
	struct cpu_cpuid_result r = cpu_cpuid(leaf);

	if (r.eax == expected.eax && r.ebx == expected.ebx && r.ecx == expected.ecx &&
	    r.edx == expected.edx)
		return true;
	scenario_note(state, "CPUID.%xH EAX-EDX are %08x %08x %08x %08x, "
		      "expected %08x %08x %08x %08x", leaf, r.eax, r.ebx, r.ecx, r.edx,
		      expected.eax, expected.ebx, expected.ecx, expected.edx);
	return false;
}

/* VMX hidden (apicvisor does not nest), the hypervisor bit set, and the local APIC shown as the
 * virtual one presents itself: present, with x2APIC mode and the TSC-deadline timer. */
static bool scenario_cpuid_features(struct scenario_state *state)
{
	struct cpu_cpuid_result r = cpu_cpuid(CPUID_LEAF_FEATURES);
	bool vmx = scenario_expect_cpuid_bit(state, "CPUID.1:ECX[5] (VMX)", r.ecx,
					     CPUID_FEATURES_ECX_VMX, false);
	bool hypervisor = scenario_expect_cpuid_bit(state, "CPUID.1:ECX[31] (hypervisor)", r.ecx,
						    CPUID_FEATURES_ECX_HYPERVISOR, true);
	bool apic = scenario_expect_cpuid_bit(state, "CPUID.1:EDX[9] (APIC)", r.edx,
					      CPUID_FEATURES_EDX_APIC, true);
	bool x2apic = scenario_expect_cpuid_bit(state, "CPUID.1:ECX[21] (x2APIC)", r.ecx,
						CPUID_FEATURES_ECX_X2APIC, true);
	bool tsc_deadline = scenario_expect_cpuid_bit(state, "CPUID.1:ECX[24] (TSC-deadline)",
						      r.ecx, CPUID_FEATURES_ECX_TSC_DEADLINE, true);

	return vmx && hypervisor && apic && x2apic && tsc_deadline;
}

/* No performance counters: leaf 0xA all zero. A CPU whose highest basic leaf is below 0xA has
 * none either, and would answer leaf 0xA with its highest leaf's data (SDM Vol. 2A "CPUID"),
 * so the leaf is read only where it exists. */
static bool scenario_cpuid_pmu(struct scenario_state *state)
{
	if (cpu_cpuid(CPUID_LEAF_BASIC_MAX).eax < CPUID_LEAF_PMU)
		return true;
	return scenario_expect_cpuid_leaf(state, CPUID_LEAF_PMU, (struct cpu_cpuid_result){ 0 });
}

/* Leaf 0x40000000 exactly as include/apicvisor/hypercall.h gives it: hypercall_detect accepts
 * any highest leaf from 0x40000000 up, this wants 0x40000000 itself. */
static bool scenario_cpuid_signature(struct scenario_state *state)
{
	static const struct cpu_cpuid_result signature = {
		.eax = APICVISOR_CPUID_LEAF,
		.ebx = APICVISOR_CPUID_EBX,
		.ecx = APICVISOR_CPUID_ECX,
		.edx = APICVISOR_CPUID_EDX,
	};

	return scenario_expect_cpuid_leaf(state, APICVISOR_CPUID_LEAF, signature);
}

/* CPUID as apicvisor presents it; every difference is noted, not only the first. */
static enum scenario_failure scenario_cpuid_filter(struct scenario_state *state)
{
	bool features = scenario_cpuid_features(state);
	bool pmu = scenario_cpuid_pmu(state);
	bool signature = scenario_cpuid_signature(state);

	if (!(features && pmu && signature))
		return SCENARIO_FAILURE_CPUID_NOT_FILTERED;
	return SCENARIO_PASSED;
}

#define SCENARIO_MSR_EXPECTED_FAULTS 2u

/* The two MSR accesses of msr-gp that must raise #GP(0); returns how many did. */
static unsigned scenario_msr_faults(struct scenario_state *state)
{
	uint64_t unused;
	unsigned faults = 0;

	/* An x2APIC register while the local APIC is in xAPIC mode (the state after reset):
	 * #GP (SDM Vol. 3A §11.12.1.2 "x2APIC Register Address Space"). */
	faults += scenario_expect_gp(state, "RDMSR of the x2APIC ID (0x802) in xAPIC mode",
				     cpu_rdmsr_safe(0x802, &unused));
	/* IA32_MTRRCAP: CPUID.1:EDX.MTRR[12] is 0 under apicvisor (MTRRs are not emulated), and
	 * on a CPU without MTRRs the MSR does not exist: #GP. */
	faults += scenario_expect_gp(state, "RDMSR of IA32_MTRRCAP (0xFE) without CPUID MTRR",
				     cpu_rdmsr_safe(0xFE, &unused));
	return faults;
}

/* EFER must read as the CPU has it: the guest runs in 64-bit mode, so LME (set by entry.asm)
 * and LMA (set by the CPU) are both 1. */
static bool scenario_msr_efer(struct scenario_state *state)
{
	uint64_t efer;
	struct idt_exception_record raised = cpu_rdmsr_safe(MSR_IA32_EFER, &efer);

	if (raised.vector != IDT_NO_EXCEPTION) {
		scenario_note(state, "RDMSR of IA32_EFER raised vector %u with error code 0x%lx",
			      raised.vector, raised.error_code);
		return false;
	}
	return scenario_expect(state, "IA32_EFER & (LME | LMA)", efer & (EFER_LME | EFER_LMA),
			       EFER_LME | EFER_LMA);
}

/* MSR accesses apicvisor does not emulate raise #GP(0), as on a CPU without those MSRs;
 * EFER, which a 64-bit guest needs, reads as the CPU has it. */
static enum scenario_failure scenario_msr_gp(struct scenario_state *state)
{
	unsigned gp_faults = scenario_msr_faults(state);
	bool efer = scenario_msr_efer(state);

	scenario_report(state, "gp_faults", gp_faults);
	if (gp_faults != SCENARIO_MSR_EXPECTED_FAULTS)
		return SCENARIO_FAILURE_NO_GP;
	return efer ? SCENARIO_PASSED : SCENARIO_FAILURE_EFER;
}

/* CR4.VMXE as on a CPU without VMX: it reads as 0 (apicvisor owns the bit and shows the guest
 * its read shadow), and setting it raises #GP(0) and leaves CR4 as it was. */
static enum scenario_failure scenario_cr4_vmxe(struct scenario_state *state)
{
	uint64_t cr4 = cpu_read_cr4();

	if (!scenario_expect(state, "CR4.VMXE", (cr4 & CR4_VMXE) != 0, 0))
		return SCENARIO_FAILURE_CR4_VMXE_VISIBLE;

	bool faulted = scenario_expect_gp(state, "MOV to CR4 setting VMXE",
					  cpu_write_cr4_safe(cr4 | CR4_VMXE));

	if (!scenario_expect(state, "CR4 after that MOV", cpu_read_cr4(), cr4))
		return SCENARIO_FAILURE_CR4_CHANGED;
	return faulted ? SCENARIO_PASSED : SCENARIO_FAILURE_NO_GP;
}

/* RFLAGS.RF in the image a fault pushes: the CPU sets it for every fault-class exception it
 * delivers, so that IRET back to the faulting instruction does not trip an instruction
 * breakpoint again (SDM Vol. 3A §18.3.1.1 "Instruction-Breakpoint Exception Condition"; §6.6
 * "Exception Classifications"). Compared between a #UD the CPU raises itself (UD2) and the
 * #GP(0) for an MSR no CPU has, which apicvisor injects (the RDMSR exits): an injected fault
 * must look like a delivered one. Figures rf_native, rf_injected (1: set). apicvisor only: QEMU's
 * TCG sets RF for no fault and reads an MSR no CPU has as 0 (docs/test-hosts.md). */
#define SCENARIO_RFLAGS_RF (1ull << 16)
#define SCENARIO_NO_SUCH_MSR 0x12345678u

static enum scenario_failure scenario_fault_rf(struct scenario_state *state)
{
	uint64_t unused;
	struct idt_exception_record native = cpu_ud2_safe();
	struct idt_exception_record injected = cpu_rdmsr_safe(SCENARIO_NO_SUCH_MSR, &unused);
	bool rf_native = native.rflags & SCENARIO_RFLAGS_RF;
	bool rf_injected = injected.rflags & SCENARIO_RFLAGS_RF;

	scenario_report(state, "rf_native", rf_native);
	scenario_report(state, "rf_injected", rf_injected);
	if (native.vector != 6 || injected.vector != IDT_VECTOR_GP) {
		scenario_note(state, "UD2 raised vector %u, RDMSR 0x%x vector %u", native.vector,
			      SCENARIO_NO_SUCH_MSR, injected.vector);
		return SCENARIO_FAILURE_NO_GP;
	}
	return scenario_expect(state, "RF in the #GP frame as in the #UD one", rf_injected,
			       rf_native) ? SCENARIO_PASSED : SCENARIO_FAILURE_CPU_STATE;
}

/*
 * The scenarios below never return: the hypervisor must end the run, and the integration tests
 * check how it did. They begin like any other, so the hypervisor knows which one was running.
 */

/* Busy-waits with interrupts off, for the hypervisor's timeout watchdog. Without a hypervisor
 * it spins until whoever started the run stops it. */
static enum scenario_failure scenario_spin(struct scenario_state *state)
{
	(void)state;
	cpu_spin_forever();
}

/* Reads of an empty port forever with interrupts off, as a kernel waiting for absent hardware
 * does: every read is an exit, so the guest itself runs only a sliver of the time. The `timeout=`
 * watchdog must still stop it at its wall-clock deadline. */
static enum scenario_failure scenario_port_spin(struct scenario_state *state)
{
	(void)state;
	cpu_interrupts_disable();
	for (;;)
		(void)cpu_inb(0x80);
	__builtin_unreachable();
}

/* HLT with interrupts off: nothing can wake the guest. */
static enum scenario_failure scenario_halt(struct scenario_state *state)
{
	(void)state;
	cpu_halt_forever();
}

/* INT3 with an IDT of limit 0: #BP, the #GP its delivery raises and the #DF after that cannot be
 * delivered, and the CPU shuts down, which in VMX non-root operation is a triple-fault VM exit. */
static enum scenario_failure scenario_triple_fault(struct scenario_state *state)
{
	idt_load_empty();
	__asm__ volatile("int3");
	/* Only something that made the INT3 return gets here. */
	idt_reload();
	scenario_note(state, "INT3 with an IDT of limit 0 returned");
	return SCENARIO_FAILURE_NOT_STOPPED;
}

/* The TPM's customary address, inside the guest's identity map (entry.asm maps the fourth GiB
 * uncached, as device memory), where apicvisor has neither RAM nor a device. */
#define SCENARIO_UNMAPPED_ADDRESS 0xFED40000u

/* A 32-bit read of guest-physical memory that is not there: with strict=on the run stops (with
 * strict=off it would read all ones: unbacked-memory checks that). */
static enum scenario_failure scenario_unmapped_access(struct scenario_state *state)
{
	uint32_t value = *(const volatile uint32_t *)(uintptr_t)SCENARIO_UNMAPPED_ADDRESS;

	scenario_note(state, "read 0x%x from 0x%x", value, SCENARIO_UNMAPPED_ADDRESS);
	return SCENARIO_FAILURE_NOT_STOPPED;
}

static const struct scenario scenario_table[] = {
	{ "hello", false, NULL, scenario_hello },
	{ "vmcall", true, NULL, scenario_vmcall },
	{ "null", true, NULL, scenario_null },
	{ "bad-hypercall", true, NULL, scenario_bad_hypercall },
	{ "cpuid-filter", true, NULL, scenario_cpuid_filter },
	{ "msr-gp", true, NULL, scenario_msr_gp },
	{ "cr4-vmxe", true, NULL, scenario_cr4_vmxe },
	{ "fault-rf", true, NULL, scenario_fault_rf },
	{ "spin", false, NULL, scenario_spin },
	{ "port-spin", true, NULL, scenario_port_spin },
	{ "halt", true, NULL, scenario_halt },
	{ "triple-fault", true, NULL, scenario_triple_fault },
	{ "unmapped-access", true, NULL, scenario_unmapped_access },
};

static const struct scenario_list scenario_basic_list = {
	scenario_table, sizeof(scenario_table) / sizeof(scenario_table[0])
};

static const struct scenario_list *const scenario_lists[] = {
	&scenario_basic_list,
	&scenario_apic_list,
	&scenario_timer_list,
	&scenario_ioapic_list,
	&scenario_isa_list,
	&scenario_platform_list,
	&scenario_reset_list,
	&scenario_hpet_list,
	&scenario_mmio_list,
	&scenario_bios_list,
	&scenario_access_list,
	&scenario_chaos_list,
	&scenario_isolation_list,
	&scenario_hardening_list,
	&scenario_smp_list,
};

static const struct scenario *scenario_find(const char *name, size_t name_len)
{
	for (size_t l = 0; l < sizeof(scenario_lists) / sizeof(scenario_lists[0]); l++) {
		const struct scenario_list *list = scenario_lists[l];

		for (size_t i = 0; i < list->count; i++) {
			const struct scenario *scenario = &list->scenarios[i];

			if (strlen(scenario->name) == name_len &&
			    memcmp(scenario->name, name, name_len) == 0)
				return scenario;
		}
	}
	return NULL;
}

/* Figures the hypervisor refused or the scenario had no room for are figures lost: that fails
 * a scenario that otherwise passed. */
static enum scenario_failure scenario_verdict(const struct scenario_state *state,
					      enum scenario_failure failure)
{
	if (failure != SCENARIO_PASSED)
		return failure;
	if (state->refused_hypercalls != 0)
		return SCENARIO_FAILURE_HYPERCALL_REFUSED;
	if (state->dropped_figures != 0)
		return SCENARIO_FAILURE_TOO_MANY_FIGURES;
	return SCENARIO_PASSED;
}

/* After SCENARIO_END: the outcome line, then what the scenario kept for it, figures first. */
static void scenario_conclude(const struct scenario *scenario, const struct scenario_state *state,
			      enum scenario_failure failure, struct scenario_tally *tally)
{
	if (failure == SCENARIO_PASSED) {
		serial_printf("scenario %s: pass\n", scenario->name);
		tally->passed++;
	} else if (failure == SCENARIO_SKIPPED) {
		serial_printf("scenario %s: skipped (%s)\n", scenario->name, state->skip_reason);
		tally->skipped++;
	} else {
		serial_printf("scenario %s: FAIL (%s)\n", scenario->name,
			      scenario_failure_reason(failure));
		tally->failed++;
	}
	for (unsigned i = 0; i < state->figure_count; i++)
		serial_printf("  %s = %lu\n", state->figures[i].key, state->figures[i].value);
	serial_printf("%.*s", (int)state->notes.len, state->notes.text);
	if (state->notes.dropped != 0)
		serial_printf("  (%u more notes did not fit)\n", state->notes.dropped);
}

/* BEGIN, the scenario, END; a failed or refused preparation runs neither. */
static enum scenario_failure scenario_execute(const struct scenario *scenario,
					      struct scenario_state *state)
{
	const struct scenario_context *context = state->context;

	if (scenario->prepare != NULL) {
		enum scenario_failure prepared = scenario->prepare(state);

		if (prepared != SCENARIO_PASSED)
			return prepared;
	}
	if (context->hypervisor)
		scenario_protocol_call(state, "SCENARIO_BEGIN", APICVISOR_HC_SCENARIO_BEGIN,
				       (uintptr_t)scenario->name, 0);
	enum scenario_failure failure = scenario_verdict(state, scenario->run(state));

	if (context->hypervisor) {
		scenario_protocol_call(state, "SCENARIO_END", APICVISOR_HC_SCENARIO_END, failure,
				       0);
		failure = scenario_verdict(state, failure);
	}
	return failure;
}

void scenario_run(const char *name, size_t name_len, const struct scenario_context *context,
		  struct scenario_tally *tally)
{
	const struct scenario *scenario = scenario_find(name, name_len);

	tally->total++;
	if (scenario == NULL) {
		serial_printf("unknown scenario '%.*s'\n", (int)name_len, name);
		tally->failed++;
		return;
	}
	if (scenario->needs_hypervisor && !context->hypervisor) {
		serial_printf("scenario %s: skipped (no apicvisor)\n", scenario->name);
		tally->skipped++;
		return;
	}

	struct scenario_state state = { .context = context };
	enum scenario_failure failure = scenario_execute(scenario, &state);

	/* An SMP scenario's APs are parked before anything else runs (nothing for the others). */
	smp_scenario_ended();
	scenario_conclude(scenario, &state, failure, tally);
}
