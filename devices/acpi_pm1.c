/* SPDX-License-Identifier: MIT */
/* The ACPI PM1a registers (devices/acpi_pm1.h). */
#include "acpi_pm1.h"

void acpi_pm1_init(struct acpi_pm1 *pm, const struct acpi_pm1_ops *ops)
{
	*pm = (struct acpi_pm1){ .ops = *ops };
}

bool acpi_pm1_handles(uint16_t port)
{
	return port >= ACPI_PM1_STS && port < ACPI_PM1_STS + ACPI_PM1_PORTS;
}

/* The 16-bit register a port's byte belongs to, and which byte. */
static uint16_t register_value(const struct acpi_pm1 *pm, uint16_t reg)
{
	switch (reg) {
	case ACPI_PM1_EN:
		return pm->enable;
	case ACPI_PM1_CNT:
		return pm->control | ACPI_PM1_CNT_SCI_EN;
	case ACPI_PM1_STS:
	default:
		return 0;
	}
}

uint8_t acpi_pm1_read(const struct acpi_pm1 *pm, uint16_t port)
{
	uint16_t reg = port & ~1u;

	if (!acpi_pm1_handles(port))
		return 0xFF;
	return (uint8_t)(register_value(pm, reg) >> (8 * (port & 1)));
}

void acpi_pm1_write(struct acpi_pm1 *pm, uint16_t port, uint8_t value)
{
	uint16_t reg = port & ~1u, shift = (uint16_t)(8 * (port & 1));
	uint16_t byte_mask = (uint16_t)(0xFFu << shift), written = (uint16_t)(value << shift);

	switch (reg) {
	case ACPI_PM1_EN:
		pm->enable = (uint16_t)((pm->enable & ~byte_mask) |
					(written & ACPI_PM1_EN_WRITABLE));
		break;
	case ACPI_PM1_CNT: {
		uint16_t kept = ACPI_PM1_CNT_BM_RLS | ACPI_PM1_CNT_SLP_TYP_MASK;

		pm->control = (uint16_t)((pm->control & ~(byte_mask & kept)) | (written & kept));
		if (!(written & ACPI_PM1_CNT_SLP_EN))
			break;
		/* SLP_EN and SLP_TYP share the high byte: the type is the one just written. */
		if (((pm->control & ACPI_PM1_CNT_SLP_TYP_MASK) >> ACPI_PM1_CNT_SLP_TYP_SHIFT) ==
		    ACPI_PM1_S5_SLP_TYP) {
			if (pm->ops.power_off)
				pm->ops.power_off(pm->ops.ctx, "ACPI soft off (PM1a_CNT SLP_EN, S5)");
		} else {
			pm->other_sleeps++;
		}
		break;
	}
	case ACPI_PM1_STS:
	default:
		break; /* no status bit is ever set: nothing to clear */
	}
}
