/* SPDX-License-Identifier: MIT */
#include "testdev.h"

#include "apicvisor/testdev.h"
#include "cpu.h"

void testdev_set_line(unsigned gsi, bool level)
{
	cpu_outb((uint16_t)TESTDEV_PORT_LINE(gsi), level ? 1 : 0);
}

void testdev_pulse(unsigned gsi, bool pulse_port)
{
	if (pulse_port) {
		cpu_outb((uint16_t)TESTDEV_PORT_PULSE(gsi), 1);
		return;
	}
	testdev_set_line(gsi, true);
	testdev_set_line(gsi, false);
}

void testdev_raise_later(unsigned gsi, uint32_t cycles)
{
	cpu_outl(TESTDEV_PORT_DELAY, cycles);
	cpu_outb(TESTDEV_PORT_RAISE_LATER, (uint8_t)gsi);
}

void testdev_msi_setup(uint32_t address, uint32_t data)
{
	cpu_outl(TESTDEV_PORT_MSI_ADDRESS, address);
	cpu_outl(TESTDEV_PORT_MSI_DATA, data);
}

void testdev_msi_send(void)
{
	cpu_outb(TESTDEV_PORT_MSI_SEND, 1);
}

void testdev_uart_receive(uint8_t byte)
{
	cpu_outb(TESTDEV_PORT_UART_RX, byte);
}
