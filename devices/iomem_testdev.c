/* SPDX-License-Identifier: MIT */
/*
 * The pc-testdev iomem window (see iomem_testdev.h).
 */
#include "iomem_testdev.h"

void iomem_testdev_reset(struct iomem_testdev *dev)
{
	memset(dev->bytes, 0, sizeof(dev->bytes));
}

uint64_t iomem_testdev_read(const struct iomem_testdev *dev, uint32_t offset, unsigned size)
{
	uint64_t value = 0;

	for (unsigned i = 0; i < size && i < 8; i++) {
		uint64_t at = (uint64_t)offset + i;
		uint64_t byte = at < IOMEM_TESTDEV_SIZE ? dev->bytes[at] : 0xFF;

		value |= byte << (8 * i);
	}
	return value;
}

void iomem_testdev_write(struct iomem_testdev *dev, uint32_t offset, unsigned size, uint64_t value)
{
	for (unsigned i = 0; i < size && i < 8; i++) {
		uint64_t at = (uint64_t)offset + i;

		if (at < IOMEM_TESTDEV_SIZE)
			dev->bytes[at] = (uint8_t)(value >> (8 * i));
	}
}
