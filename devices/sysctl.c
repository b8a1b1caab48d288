/* SPDX-License-Identifier: MIT */
#include "sysctl.h"

void sysctl_init(struct sysctl *s, const struct sysctl_ops *ops)
{
	*s = (struct sysctl){ .port_a = SYSCTL_PORT_A_A20, .ops = *ops };
}

bool sysctl_handles(uint16_t port, unsigned size)
{
	return size == 1 && (port == SYSCTL_PORT_A || port == SYSCTL_RESET_CONTROL);
}

uint8_t sysctl_read(struct sysctl *s, uint16_t port)
{
	return port == SYSCTL_PORT_A ? s->port_a : s->reset_control;
}

static void reset(struct sysctl *s, const char *cause)
{
	s->resets++;
	if (s->ops.reset)
		s->ops.reset(s->ops.ctx, cause);
}

void sysctl_write(struct sysctl *s, uint16_t port, uint8_t value)
{
	if (port == SYSCTL_PORT_A) {
		bool rising = (value & ~s->port_a) & SYSCTL_PORT_A_FAST_RESET;

		s->port_a = value;
		if (rising)
			reset(s, "port 92H fast reset");
		return;
	}
	/* RST_CPU self-clears, so every write with it set is a 0 -> 1 transition. */
	s->reset_control = value & SYSCTL_RESET_CONTROL_SYS_RST;
	if (value & SYSCTL_RESET_CONTROL_RST_CPU)
		reset(s, value & SYSCTL_RESET_CONTROL_SYS_RST ? "CF9H full reset (SYS_RST, RST_CPU)"
							       : "CF9H CPU reset (RST_CPU)");
}
