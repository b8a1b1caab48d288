/* SPDX-License-Identifier: MIT */
/*
 * The interrupt test device's I/O interface, shared by the hypervisor (devices/) and the test
 * guest. Ports 0x2000–0x2017 behave as QEMU's pc-testdev ("-device pc-testdev"): a 1-byte OUT
 * of v to 0x2000 + n sets GSI n to !!v, so a guest written for it runs unchanged. The rest are
 * apicvisor's additions. An interrupt raised by an OUT reaches the guest before the instruction
 * after the OUT completes (when the guest can take it then).
 */
#ifndef APICVISOR_TESTDEV_H
#define APICVISOR_TESTDEV_H

#define TESTDEV_GSI_COUNT 24

/* OUT8 v: GSI n (0–23) level := !!v (pc-testdev compatible). */
#define TESTDEV_PORT_LINE(n) (0x2000 + (n))
/* OUT8 any: a pulse on GSI n: raised, then lowered (one edge for an edge-triggered pin). */
#define TESTDEV_PORT_PULSE(n) (0x2100 + (n))
/* OUT32 cycles: the delay for the next TESTDEV_PORT_RAISE_LATER, in TSC cycles. */
#define TESTDEV_PORT_DELAY 0x2200
/* OUT8 n: pulse GSI n once the delay has passed (one pending at a time; a new one replaces
 * it). */
#define TESTDEV_PORT_RAISE_LATER 0x2204
/* OUT32: MSI address (low 32 bits; the high bits are 0) and data; OUT8 any to 0x2218 sends the
 * message. */
#define TESTDEV_PORT_MSI_ADDRESS 0x2210
#define TESTDEV_PORT_MSI_DATA 0x2214
#define TESTDEV_PORT_MSI_SEND 0x2218
/* OUT8 byte: the byte arrives on COM1's receive line (the 16550's RX interrupt can be tested
 * without a host console). */
#define TESTDEV_PORT_UART_RX 0x2220

#endif
