/* SPDX-License-Identifier: MIT */
/*
 * The 8042 keyboard controller at 60H/64H as a PC kernel finds it: the status register, the
 * one-byte output buffer, the controller command byte and output port, and the controller's
 * own commands (IBM PS/2 Hardware Interface Technical Reference, "Keyboard/Auxiliary Device
 * Controller"). No keyboard or mouse sits behind it: a byte sent to either sets the time-out
 * bit and nothing answers, as a controller with nothing plugged in does.
 *
 *   20H read the command byte      60H write it (next byte at 60H)
 *   A7H/A8H disable/enable the auxiliary interface (command byte bit 5)
 *   A9H/ABH test the auxiliary/keyboard interface: 00H (no error)
 *   AAH self-test: 55H           ADH/AEH disable/enable the keyboard (bit 4)
 *   C0H read the input port      D0H read the output port
 *   D1H write the output port (next byte): bit 0 low resets the CPU, bit 1 is the A20 gate
 *   D2H/D3H put the next byte in the output buffer as if from the keyboard/auxiliary device
 *   D4H send the next byte to the auxiliary device (none: time-out)
 *   F0H-FFH pulse the output-port bits whose command bits are 0: FEH pulses bit 0, a reset
 *
 * The status register's system flag is set by the self-test and stays: the command byte's bit 2
 * is only stored, as in QEMU's controller (IBM's copies it to the status; SeaBIOS writes 61H and
 * QEMU still shows the flag, so a kernel finds status 1CH and command byte 61H in both).
 * Other commands are ignored and counted. The input buffer is never full (every write is taken
 * at once), so status bit 1 always reads 0. IRQ 1 follows a full output buffer holding a
 * keyboard byte while command-byte bit 0 is set, IRQ 12 one holding an auxiliary byte while
 * bit 1 is. A20 stays enabled whatever the output port says (see sysctl.h); a reset ends the run.
 *
 * Plain C, no VMX or UEFI; unit-tested on the host. One per VM, under the devices' lock.
 */
#ifndef APICVISOR_I8042_H
#define APICVISOR_I8042_H

#include "../lib/klib.h"

#define I8042_PORT_DATA 0x60u
#define I8042_PORT_STATUS 0x64u        /* reads: status; writes: a controller command */

#define I8042_STATUS_OBF 0x01u         /* output buffer full */
#define I8042_STATUS_SYS 0x04u         /* system flag: command byte bit 2 */
#define I8042_STATUS_CMD 0x08u         /* the last write was to 64H */
#define I8042_STATUS_UNLOCKED 0x10u    /* keyboard not inhibited by the key lock */
#define I8042_STATUS_AUX 0x20u         /* the output buffer holds an auxiliary-device byte */
#define I8042_STATUS_TIMEOUT 0x40u

#define I8042_CCB_KBD_INT 0x01u
#define I8042_CCB_AUX_INT 0x02u
#define I8042_CCB_SYS 0x04u
#define I8042_CCB_KBD_DISABLED 0x10u
#define I8042_CCB_AUX_DISABLED 0x20u
#define I8042_CCB_TRANSLATE 0x40u

#define I8042_OUT_RESET 0x01u          /* the CPU's reset line, active low */
#define I8042_OUT_A20 0x02u

struct i8042_ops {
	void (*irq)(void *ctx, unsigned isa_irq, bool level);     /* IRQ 1 or IRQ 12 */
	void (*reset)(void *ctx, const char *cause);
	void *ctx;
};

struct i8042 {
	uint8_t status;
	uint8_t output;              /* the output buffer (valid while status has OBF) */
	uint8_t command_byte;
	uint8_t output_port;
	uint8_t pending;             /* a command waiting for its byte at 60H, or 0 */
	bool irq1, irq12;            /* the levels last given to ops->irq */
	struct i8042_ops ops;
	uint64_t unknown_commands;   /* commands it does not have, ignored */
	uint64_t device_bytes;       /* bytes for the absent keyboard or mouse (time-outs) */
	uint64_t resets;
};

/* The state SeaBIOS leaves under QEMU: self-test passed (status SYS), command byte 61H (keyboard
 * interrupt and translation on, auxiliary interface disabled), output port CFH (reset high, A20
 * enabled). */
void i8042_init(struct i8042 *k, const struct i8042_ops *ops);

/* Whether a byte access at `port` is the controller's (wider ones are not decoded). */
bool i8042_handles(uint16_t port, unsigned size);

uint8_t i8042_read(struct i8042 *k, uint16_t port);
void i8042_write(struct i8042 *k, uint16_t port, uint8_t value);

#endif
