/* SPDX-License-Identifier: MIT */
/*
 * The iomem window of QEMU's pc-testdev ("-device pc-testdev"), which instruction-emulation tests
 * (kvm-unit-tests' emulator test among them) use as an MMIO operand of every instruction form:
 * 64 KiB of plain byte store at guest-physical 0xFF000000. A write of 1, 2, 4 or 8 bytes stores
 * them little-endian at the offset; a read returns what was last written there (0 after reset).
 * Bytes past the window's end belong to nobody: they read as all ones and writes to them are
 * dropped (apicvisor's empty bus).
 *
 * Plain C: no VMX, no UEFI; unit-tested on the host (tests/unit/test_iomem_testdev.c).
 */
#ifndef APICVISOR_IOMEM_TESTDEV_H
#define APICVISOR_IOMEM_TESTDEV_H

#include "../lib/klib.h"

#define IOMEM_TESTDEV_BASE 0xFF000000u
#define IOMEM_TESTDEV_SIZE 0x10000u

/* The window's contents. Touched only under the devices' lock (platform_irq.c). */
struct iomem_testdev {
	uint8_t bytes[IOMEM_TESTDEV_SIZE];
};

/* Every byte 0, as at power-on. */
void iomem_testdev_reset(struct iomem_testdev *dev);

/* `size` (1, 2, 4 or 8) bytes at `offset` from the window's start, little-endian. */
uint64_t iomem_testdev_read(const struct iomem_testdev *dev, uint32_t offset, unsigned size);
void iomem_testdev_write(struct iomem_testdev *dev, uint32_t offset, unsigned size, uint64_t value);

#endif
