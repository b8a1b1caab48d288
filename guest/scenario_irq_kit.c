/* SPDX-License-Identifier: MIT */
#include "scenario_irq_kit.h"

#include <stdint.h>

#include "cpu.h"
#include "interrupts.h"
#include "ioapic.h"
#include "lapic.h"
#include "pic.h"
#include "scenario_apic_kit.h"
#include "testdev.h"

/* The highest pin a scenario uses: VER must show at least this many entries. */
#define SCENARIO_IRQ_PINS_NEEDED (SCENARIO_IRQ_LEVEL_GSI + 1)
/* Versions 10H-1FH are the 82093AA's family (11H), 20H-2FH those with an EOI register; an
 * empty bus reads all ones, an unbacked page often 0. */
#define SCENARIO_IRQ_IOAPIC_VERSION_MIN 0x10u
#define SCENARIO_IRQ_IOAPIC_VERSION_MAX 0x2Fu

enum scenario_failure scenario_irq_devices_prepare(struct scenario_state *state)
{
	cpu_interrupts_disable();

	uint32_t version = ioapic_probe();
	uint32_t version_byte = version & 0xFFu;

	if (version_byte < SCENARIO_IRQ_IOAPIC_VERSION_MIN ||
	    version_byte > SCENARIO_IRQ_IOAPIC_VERSION_MAX ||
	    ioapic_pin_count() < SCENARIO_IRQ_PINS_NEEDED) {
		scenario_note(state, "the I/O APIC's VER at 0x%x reads 0x%x", IOAPIC_BASE, version);
		return scenario_skip(state, "no usable I/O APIC at 0xFEC00000");
	}
	ioapic_mask_all();
	pic_init(SCENARIO_IRQ_PIC_MASTER_BASE, SCENARIO_IRQ_PIC_SLAVE_BASE);
	testdev_set_line(SCENARIO_IRQ_EDGE_GSI, false);
	testdev_set_line(SCENARIO_IRQ_LEVEL_GSI, false);
	testdev_set_line(SCENARIO_IRQ_PIC_GSI, false);
	return SCENARIO_PASSED;
}

enum scenario_failure scenario_irq_prepare(struct scenario_state *state)
{
	enum scenario_failure failure = scenario_irq_devices_prepare(state);

	return failure != SCENARIO_PASSED ? failure
					  : scenario_apic_prepare(state, LAPIC_MODE_XAPIC);
}

unsigned scenario_irq_count(const struct scenario_state *state, unsigned max)
{
	uint64_t n = state->context->iterations;

	return n < max ? (unsigned)n : max;
}

uint64_t scenario_irq_rte(uint8_t vector, uint32_t flags)
{
	return ioapic_rte_fixed(vector, (uint8_t)lapic_id(), flags);
}

enum scenario_failure scenario_irq_expect_repeated(struct scenario_state *state, uint8_t vector,
						   unsigned count)
{
	uint8_t expected[SCENARIO_IRQ_MAX_EVENTS + 1];

	if (count > sizeof(expected))
		count = sizeof(expected);
	for (unsigned i = 0; i < count; i++)
		expected[i] = vector;
	return scenario_apic_expect_log(state, expected, count);
}

enum scenario_failure scenario_irq_mean_period(struct scenario_state *state, const char *device,
					       unsigned ticks, uint64_t expected,
					       unsigned tolerance_percent)
{
	const struct interrupts_arrival *first = interrupts_arrival(0);
	const struct interrupts_arrival *last = ticks ? interrupts_arrival(ticks - 1) : NULL;
	uint64_t slack = expected * tolerance_percent / 100u, period;

	if (ticks < 2 || !expected || !first || !last)
		return SCENARIO_PASSED;
	period = (last->tsc - first->tsc) / (ticks - 1);
	scenario_report(state, "cycles_per_tick", period);
	scenario_report(state, "expected_cycles_per_tick", expected);
	if (period + slack >= expected && period <= expected + slack)
		return SCENARIO_PASSED;
	scenario_note(state, "the %s ticked every %lu TSC cycles, expected %lu +- %u%%", device,
		      period, expected, tolerance_percent);
	return SCENARIO_FAILURE_RATE;
}

void scenario_irq_quiet(void)
{
	cpu_interrupts_enable();
	interrupts_idle(SCENARIO_APIC_QUIET_CYCLES);
	cpu_interrupts_disable();
}
