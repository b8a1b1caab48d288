/* SPDX-License-Identifier: MIT */
/*
 * The interrupt test device (include/apicvisor/testdev.h): GSI lines the guest drives through
 * I/O ports. Its line ports are QEMU's pc-testdev ones, so the line functions work under plain
 * QEMU too; the pulse, delayed-raise and MSI ports are apicvisor's alone. Each function says
 * which port accesses it makes: each is an I/O exit to a hypervisor.
 */
#ifndef GUEST_TESTDEV_H
#define GUEST_TESTDEV_H

#include <stdbool.h>
#include <stdint.h>

/* GSI `gsi` (0-15 under QEMU, whose ISA bus has 16 lines) := level: 1 OUT8 to 2000H + gsi. */
void testdev_set_line(unsigned gsi, bool level);

/*
 * One edge on GSI `gsi`: with `pulse_port` (apicvisor) 1 OUT8 to 2100H + gsi; without it (QEMU's
 * pc-testdev) the line raised then lowered, 2 OUT8s to 2000H + gsi. Either way the line ends
 * low.
 */
void testdev_pulse(unsigned gsi, bool pulse_port);

/* apicvisor only: a pulse on GSI `gsi` once `cycles` TSC cycles have passed. OUT32 of the
 * delay to 2200H, then OUT8 of the GSI to 2204H. */
void testdev_raise_later(unsigned gsi, uint32_t cycles);

/* apicvisor only: the MSI address (low 32 bits) and data the device sends: OUT32 to 2210H and
 * 2214H. */
void testdev_msi_setup(uint32_t address, uint32_t data);
/* apicvisor only: sends the MSI set up last: 1 OUT8 to 2218H. */
void testdev_msi_send(void);
/* apicvisor only: `byte` arrives on COM1's receive line. */
void testdev_uart_receive(uint8_t byte);

#endif
