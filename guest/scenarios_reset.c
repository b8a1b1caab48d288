/* SPDX-License-Identifier: MIT */
/*
 * The PC's reset paths, as kernels written for QEMU's pc machine use them to reboot: port 92H
 * (System Control Port A, bit 0: fast reset), the Reset Control Register at CF9H (RST_CPU,
 * bit 2, with SYS_RST, bit 1) and the keyboard controller's pulse-reset command (FEH to port
 * 64H). Each scenario first prints what the register reads (a line on COM1, since a reset ends
 * the run before any scenario's conclusion), then resets the machine: under QEMU with
 * -no-reboot QEMU exits, under apicvisor the run ends as a guest reset with its statistics.
 * If the machine is still running a while after the write, the scenario fails.
 */
#include <stdbool.h>
#include <stdint.h>

#include "cpu.h"
#include "scenario_kit.h"
#include "serial.h"

#define PORT_SYSTEM_CONTROL_A 0x92u
#define SYSTEM_CONTROL_A_FAST_RESET 0x01u
#define PORT_RESET_CONTROL 0xCF9u
#define RESET_CONTROL_SYS_RST 0x02u   /* a full (cold) reset rather than a CPU (warm) one */
#define RESET_CONTROL_RST_CPU 0x04u   /* its 0 -> 1 transition starts the reset */
#define PORT_KBC_STATUS 0x64u
#define PORT_KBC_COMMAND 0x64u
#define PORT_KBC_DATA 0x60u
#define KBC_STATUS_OUTPUT_FULL 0x01u
#define KBC_STATUS_INPUT_FULL 0x02u
#define KBC_COMMAND_READ_COMMAND_BYTE 0x20u
#define KBC_COMMAND_READ_OUTPUT_PORT 0xD0u
#define KBC_COMMAND_PULSE_RESET 0xFEu /* pulse output-port bit 0, the CPU's reset line, low */

/* How long a reset may take to end the run: QEMU's and apicvisor's take effect at the write. */
#define RESET_WAIT_PAUSES 10000000u
/* How long the controller may keep its input buffer full before the command is written anyway. */
#define KBC_WAIT_READS 100000u

static enum scenario_failure reset_expected(struct scenario_state *state, const char *how)
{
	for (unsigned i = 0; i < RESET_WAIT_PAUSES; i++)
		cpu_pause();
	scenario_note(state, "still running after %s", how);
	return SCENARIO_FAILURE_NO_RESET;
}

/* Before the write: the register as this machine left it, on the console and as a figure. */
static uint8_t reset_register(struct scenario_state *state, const char *key, uint16_t port)
{
	uint8_t value = cpu_inb(port);

	serial_printf("reset: port %xH reads 0x%02x\n", port, value);
	scenario_report(state, key, value);
	return value;
}

/* reset-92: bit 0 of System Control Port A written 0 -> 1 (the other bits kept: A20 stays). */
static enum scenario_failure scenario_reset_92(struct scenario_state *state)
{
	uint8_t value = reset_register(state, "port92", PORT_SYSTEM_CONTROL_A);

	cpu_outb(PORT_SYSTEM_CONTROL_A, (uint8_t)(value & ~SYSTEM_CONTROL_A_FAST_RESET));
	cpu_outb(PORT_SYSTEM_CONTROL_A, (uint8_t)(value | SYSTEM_CONTROL_A_FAST_RESET));
	return reset_expected(state, "setting port 92H bit 0");
}

/* reset-cf9: SYS_RST, then SYS_RST | RST_CPU, as Linux's reboot=pci writes them. */
static enum scenario_failure scenario_reset_cf9(struct scenario_state *state)
{
	(void)reset_register(state, "cf9", PORT_RESET_CONTROL);
	cpu_outb(PORT_RESET_CONTROL, RESET_CONTROL_SYS_RST);
	cpu_outb(PORT_RESET_CONTROL, RESET_CONTROL_SYS_RST | RESET_CONTROL_RST_CPU);
	return reset_expected(state, "writing 06H to port CF9H");
}

/* A controller command that answers one byte: -1 when nothing comes (bounded wait). */
static int kbc_ask(uint8_t command)
{
	cpu_outb(PORT_KBC_COMMAND, command);
	for (unsigned i = 0; i < KBC_WAIT_READS; i++) {
		if (cpu_inb(PORT_KBC_STATUS) & KBC_STATUS_OUTPUT_FULL)
			return cpu_inb(PORT_KBC_DATA);
	}
	return -1;
}

/* reset-kbc: the controller's command byte (20H) and output port (D0H) as found, then the
 * input buffer awaited empty (bounded) and command FEH. */
static enum scenario_failure scenario_reset_kbc(struct scenario_state *state)
{
	int command_byte = kbc_ask(KBC_COMMAND_READ_COMMAND_BYTE);
	int output_port = kbc_ask(KBC_COMMAND_READ_OUTPUT_PORT);
	uint8_t status = reset_register(state, "kbc_status", PORT_KBC_STATUS);

	if (command_byte < 0 || output_port < 0) {
		scenario_note(state, "the keyboard controller did not answer command %xH",
			      command_byte < 0 ? KBC_COMMAND_READ_COMMAND_BYTE
					       : KBC_COMMAND_READ_OUTPUT_PORT);
		return SCENARIO_FAILURE_DEVICE_REGISTER;
	}
	serial_printf("reset: 8042 command byte 0x%02x, output port 0x%02x\n", command_byte,
		      output_port);
	scenario_report(state, "kbc_command_byte", (uint64_t)command_byte);
	scenario_report(state, "kbc_output_port", (uint64_t)output_port);
	for (unsigned i = 0; i < KBC_WAIT_READS && (status & KBC_STATUS_INPUT_FULL); i++)
		status = cpu_inb(PORT_KBC_STATUS);
	if (status & KBC_STATUS_INPUT_FULL) {
		scenario_note(state, "the keyboard controller's input buffer stayed full");
		return SCENARIO_FAILURE_DEVICE_REGISTER;
	}
	cpu_outb(PORT_KBC_COMMAND, KBC_COMMAND_PULSE_RESET);
	return reset_expected(state, "command FEH to port 64H");
}

static const struct scenario scenario_reset_table[] = {
	{ "reset-92", false, NULL, scenario_reset_92 },
	{ "reset-cf9", false, NULL, scenario_reset_cf9 },
	{ "reset-kbc", false, NULL, scenario_reset_kbc },
};

const struct scenario_list scenario_reset_list = {
	scenario_reset_table, sizeof(scenario_reset_table) / sizeof(scenario_reset_table[0])
};
