/* SPDX-License-Identifier: MIT */
/*
 * The chipset's reset registers a PC kernel reboots through, as QEMU's pc machine has them:
 *
 *   92H  System Control Port A (PS/2 "fast A20 and reset"): bit 0 FAST_RESET — a write that
 *        takes it from 0 to 1 resets the CPUs; bit 1 A20 gate. The rest read back as written.
 *        apicvisor keeps A20 enabled whatever bit 1 says (as CPUs since Haswell, which have no
 *        A20M# pin, do); the bit still reads back.
 *   CF9H Reset Control Register (PIIX3/ICH "RST_CNT"): bit 1 SYS_RST selects a full reset,
 *        bit 2 RST_CPU starts the reset on its 0 -> 1 transition; bit 1 reads back, bit 2 does
 *        not (it self-clears). Only a byte access at CF9H itself: wider ones belong to PCI
 *        configuration mechanism #1 at CF8H-CFFH.
 *
 * A reset ends an apicvisor run (one machine, no reboot): ops->reset says which register asked.
 *
 * Plain C, no VMX or UEFI; unit-tested on the host. One per VM, under the devices' lock.
 */
#ifndef APICVISOR_SYSCTL_H
#define APICVISOR_SYSCTL_H

#include "../lib/klib.h"

#define SYSCTL_PORT_A 0x92u
#define SYSCTL_PORT_A_FAST_RESET 0x01u
#define SYSCTL_PORT_A_A20 0x02u
#define SYSCTL_RESET_CONTROL 0xCF9u
#define SYSCTL_RESET_CONTROL_SYS_RST 0x02u
#define SYSCTL_RESET_CONTROL_RST_CPU 0x04u

struct sysctl_ops {
	/* The machine resets; `cause` is a constant phrase ("port 92H fast reset"). */
	void (*reset)(void *ctx, const char *cause);
	void *ctx;
};

struct sysctl {
	uint8_t port_a;              /* as last written, FAST_RESET included */
	uint8_t reset_control;       /* SYS_RST as last written */
	struct sysctl_ops ops;
	uint64_t resets;             /* resets requested */
};

/* Power-on state: A20 enabled (bit 1 set, as SeaBIOS leaves it), no reset pending. */
void sysctl_init(struct sysctl *s, const struct sysctl_ops *ops);

/* Whether a `size`-byte access at `port` is one of these registers. */
bool sysctl_handles(uint16_t port, unsigned size);

uint8_t sysctl_read(struct sysctl *s, uint16_t port);
void sysctl_write(struct sysctl *s, uint16_t port, uint8_t value);

#endif
