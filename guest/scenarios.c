/* SPDX-License-Identifier: MIT */
#include "scenarios.h"

#include "cpu.h"
#include "hypercall.h"
#include "lib/string.h"
#include "serial.h"

/* Why a scenario failed. The value is also HC_SCENARIO_END's argument, so the hypervisor's
 * report and the guest's "FAIL (reason)" line name the same cause. */
enum scenario_failure {
	SCENARIO_PASSED = 0,
	SCENARIO_FAILURE_NO_MEMORY_INFO,
	SCENARIO_FAILURE_NO_MEMORY_MAP,
	SCENARIO_FAILURE_BAD_MEMORY_MAP,
	SCENARIO_FAILURE_NO_UPPER_MEMORY,
	SCENARIO_FAILURE_HYPERCALL_ERROR,
	SCENARIO_FAILURE_NOT_ENOSYS,
	SCENARIO_FAILURE_HYPERCALL_REFUSED,
};

static const char *const scenario_failure_reasons[] = {
	[SCENARIO_FAILURE_NO_MEMORY_INFO] = "boot information has no mem_lower/mem_upper",
	[SCENARIO_FAILURE_NO_MEMORY_MAP] = "boot information has no memory map",
	[SCENARIO_FAILURE_BAD_MEMORY_MAP] = "memory map entry too short",
	[SCENARIO_FAILURE_NO_UPPER_MEMORY] = "mem_upper is 0",
	[SCENARIO_FAILURE_HYPERCALL_ERROR] = "hypercall returned an error",
	[SCENARIO_FAILURE_NOT_ENOSYS] = "unknown hypercall did not return ENOSYS",
	[SCENARIO_FAILURE_HYPERCALL_REFUSED] = "hypervisor refused BEGIN, REPORT or END",
};

/* A function number with apicvisor's signature that no hypercall uses. */
#define SCENARIO_UNKNOWN_FUNCTION (APICVISOR_HC_SIGNATURE | 0xFFFFu)

/* One scenario in progress. */
struct scenario_state {
	const struct scenario_context *context;
	unsigned refused_hypercalls; /* BEGIN, REPORT or END calls that returned an error */
};

struct scenario {
	const char *name;            /* also HC_SCENARIO_BEGIN's argument: at most 64 bytes */
	bool needs_hypervisor;       /* skipped without apicvisor */
	enum scenario_failure (*run)(struct scenario_state *state);
};

/* BEGIN, REPORT and END: the hypervisor's per-scenario figures depend on each succeeding. */
static void scenario_protocol_call(struct scenario_state *state, const char *what,
				   uint64_t function, uint64_t arg1, uint64_t arg2)
{
	int64_t result = hypercall(function, arg1, arg2, 0);

	if (result != 0) {
		serial_printf("  apicvisor refused %s: %ld\n", what, result);
		state->refused_hypercalls++;
	}
}

/* A figure of the current scenario: printed, and sent to the hypervisor when there is one. */
static void scenario_report(struct scenario_state *state, const char *key, uint64_t value)
{
	serial_printf("  %s = %lu\n", key, value);
	if (state->context->hypervisor)
		scenario_protocol_call(state, "REPORT", APICVISOR_HC_REPORT, (uintptr_t)key, value);
}

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
			serial_printf("  entry %lu has size %u, less than %u\n", entries,
				      entry->size, MULTIBOOT_MMAP_ENTRY_MIN_SIZE);
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

/* Shows what the loader passed; passes when the memory information a multiboot loader must
 * give (the header asks for it) is there. */
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
		serial_printf("  %lu of %lu calls returned an error, the last %ld\n", errors,
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
	(void)state;
	int64_t result = hypercall(SCENARIO_UNKNOWN_FUNCTION, 0, 0, 0);

	if (result != APICVISOR_HC_ENOSYS) {
		serial_printf("  function 0x%x returned 0x%lx, not 0x%lx (%d, ENOSYS)\n",
			      SCENARIO_UNKNOWN_FUNCTION, (uint64_t)result,
			      (uint64_t)(int64_t)APICVISOR_HC_ENOSYS, APICVISOR_HC_ENOSYS);
		return SCENARIO_FAILURE_NOT_ENOSYS;
	}
	return SCENARIO_PASSED;
}

static const struct scenario scenario_table[] = {
	{ "hello", false, scenario_hello },
	{ "vmcall", true, scenario_vmcall },
	{ "null", true, scenario_null },
	{ "bad-hypercall", true, scenario_bad_hypercall },
};

static const struct scenario *scenario_find(const char *name, size_t name_len)
{
	for (size_t i = 0; i < sizeof(scenario_table) / sizeof(scenario_table[0]); i++) {
		const struct scenario *scenario = &scenario_table[i];

		if (strlen(scenario->name) == name_len &&
		    memcmp(scenario->name, name, name_len) == 0)
			return scenario;
	}
	return NULL;
}

/* Figures the hypervisor refused are figures lost: that fails a scenario that otherwise passed. */
static enum scenario_failure scenario_verdict(const struct scenario_state *state,
					      enum scenario_failure failure)
{
	if (failure == SCENARIO_PASSED && state->refused_hypercalls != 0)
		return SCENARIO_FAILURE_HYPERCALL_REFUSED;
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

	if (context->hypervisor)
		scenario_protocol_call(&state, "SCENARIO_BEGIN", APICVISOR_HC_SCENARIO_BEGIN,
				       (uintptr_t)scenario->name, 0);
	enum scenario_failure failure = scenario_verdict(&state, scenario->run(&state));

	if (context->hypervisor) {
		scenario_protocol_call(&state, "SCENARIO_END", APICVISOR_HC_SCENARIO_END, failure,
				       0);
		failure = scenario_verdict(&state, failure);
	}

	if (failure == SCENARIO_PASSED) {
		serial_printf("scenario %s: pass\n", scenario->name);
		tally->passed++;
	} else {
		serial_printf("scenario %s: FAIL (%s)\n", scenario->name,
			      scenario_failure_reasons[failure]);
		tally->failed++;
	}
}
