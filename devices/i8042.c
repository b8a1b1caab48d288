/* SPDX-License-Identifier: MIT */
#include "i8042.h"

#define CMD_READ_CCB 0x20u
#define CMD_WRITE_CCB 0x60u
#define CMD_AUX_DISABLE 0xA7u
#define CMD_AUX_ENABLE 0xA8u
#define CMD_AUX_TEST 0xA9u
#define CMD_SELF_TEST 0xAAu
#define CMD_KBD_TEST 0xABu
#define CMD_KBD_DISABLE 0xADu
#define CMD_KBD_ENABLE 0xAEu
#define CMD_READ_INPUT_PORT 0xC0u
#define CMD_READ_OUTPUT_PORT 0xD0u
#define CMD_WRITE_OUTPUT_PORT 0xD1u
#define CMD_WRITE_KBD_BUFFER 0xD2u
#define CMD_WRITE_AUX_BUFFER 0xD3u
#define CMD_WRITE_AUX 0xD4u
#define CMD_PULSE_FIRST 0xF0u

#define SELF_TEST_PASSED 0x55u
#define INTERFACE_OK 0x00u
/* Input port: bit 7 keyboard not inhibited, bit 4 512 KiB or more on the system board (IBM AT):
 * what QEMU's controller returns. */
#define INPUT_PORT 0x80u
/* Output-port bits 2-3 and 6-7 (interrupt and clock lines on an AT) read as QEMU's do. */
#define OUTPUT_PORT_ONES 0xCCu

static void update_irqs(struct i8042 *k)
{
	bool full = k->status & I8042_STATUS_OBF, aux = k->status & I8042_STATUS_AUX;
	bool irq1 = full && !aux && (k->command_byte & I8042_CCB_KBD_INT);
	bool irq12 = full && aux && (k->command_byte & I8042_CCB_AUX_INT);

	if (irq1 != k->irq1 && k->ops.irq)
		k->ops.irq(k->ops.ctx, 1, irq1);
	if (irq12 != k->irq12 && k->ops.irq)
		k->ops.irq(k->ops.ctx, 12, irq12);
	k->irq1 = irq1;
	k->irq12 = irq12;
}

/* A byte into the output buffer, from the controller itself (aux false) or a device. */
static void output(struct i8042 *k, uint8_t value, bool aux)
{
	k->output = value;
	k->status = (uint8_t)((k->status & ~I8042_STATUS_AUX) | I8042_STATUS_OBF |
			      (aux ? I8042_STATUS_AUX : 0));
	update_irqs(k);
}

static void reset(struct i8042 *k, const char *cause)
{
	k->resets++;
	if (k->ops.reset)
		k->ops.reset(k->ops.ctx, cause);
}

void i8042_init(struct i8042 *k, const struct i8042_ops *ops)
{
	*k = (struct i8042){ .status = I8042_STATUS_SYS | I8042_STATUS_UNLOCKED,
			     .command_byte = I8042_CCB_KBD_INT | I8042_CCB_AUX_DISABLED |
					     I8042_CCB_TRANSLATE,
			     .output_port = OUTPUT_PORT_ONES | I8042_OUT_A20 | I8042_OUT_RESET,
			     .ops = *ops };
}

bool i8042_handles(uint16_t port, unsigned size)
{
	return size == 1 && (port == I8042_PORT_DATA || port == I8042_PORT_STATUS);
}

uint8_t i8042_read(struct i8042 *k, uint16_t port)
{
	if (port == I8042_PORT_STATUS)
		return k->status;
	/* The data port gives the output buffer and empties it; read again, the same byte. */
	k->status &= (uint8_t)~(I8042_STATUS_OBF | I8042_STATUS_AUX);
	update_irqs(k);
	return k->output;
}

static void command(struct i8042 *k, uint8_t cmd)
{
	k->pending = 0;
	switch (cmd) {
	case CMD_READ_CCB:
		output(k, k->command_byte, false);
		break;
	case CMD_WRITE_CCB:
	case CMD_WRITE_OUTPUT_PORT:
	case CMD_WRITE_KBD_BUFFER:
	case CMD_WRITE_AUX_BUFFER:
	case CMD_WRITE_AUX:
		k->pending = cmd;
		break;
	case CMD_AUX_DISABLE:
		k->command_byte |= I8042_CCB_AUX_DISABLED;
		break;
	case CMD_AUX_ENABLE:
		k->command_byte &= (uint8_t)~I8042_CCB_AUX_DISABLED;
		break;
	case CMD_AUX_TEST:
	case CMD_KBD_TEST:
		output(k, INTERFACE_OK, false);
		break;
	case CMD_SELF_TEST:
		k->status |= I8042_STATUS_SYS;
		output(k, SELF_TEST_PASSED, false);
		break;
	case CMD_KBD_DISABLE:
		k->command_byte |= I8042_CCB_KBD_DISABLED;
		break;
	case CMD_KBD_ENABLE:
		k->command_byte &= (uint8_t)~I8042_CCB_KBD_DISABLED;
		break;
	case CMD_READ_INPUT_PORT:
		output(k, INPUT_PORT, false);
		break;
	case CMD_READ_OUTPUT_PORT:
		output(k, k->output_port, false);
		break;
	default:
		/* F0H-FFH: a pulse on each output-port bit 0-3 whose command bit is 0. */
		if (cmd >= CMD_PULSE_FIRST && !(cmd & I8042_OUT_RESET))
			reset(k, "keyboard controller reset pulse (command FEH)");
		else if (cmd < CMD_PULSE_FIRST)
			k->unknown_commands++;
		break;
	}
}

static void data(struct i8042 *k, uint8_t value)
{
	uint8_t pending = k->pending;

	k->pending = 0;
	switch (pending) {
	case CMD_WRITE_CCB:
		k->command_byte = value;
		update_irqs(k);
		break;
	case CMD_WRITE_OUTPUT_PORT:
		k->output_port = value;
		if (!(value & I8042_OUT_RESET))
			reset(k, "keyboard controller output port reset (command D1H)");
		break;
	case CMD_WRITE_KBD_BUFFER:
		output(k, value, false);
		break;
	case CMD_WRITE_AUX_BUFFER:
		output(k, value, true);
		break;
	default:
		/* For the keyboard (no command pending) or the mouse (D4H): nobody is there. */
		k->device_bytes++;
		k->status |= I8042_STATUS_TIMEOUT;
		break;
	}
}

void i8042_write(struct i8042 *k, uint16_t port, uint8_t value)
{
	if (port == I8042_PORT_STATUS) {
		k->status |= I8042_STATUS_CMD;
		command(k, value);
	} else {
		k->status &= (uint8_t)~(I8042_STATUS_CMD | I8042_STATUS_TIMEOUT);
		data(k, value);
	}
}
