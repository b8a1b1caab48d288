/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for devices/iomem_testdev.c, the pc-testdev iomem window: every size at every
 * alignment near both ends reads back what was written, little-endian, with neighbours kept;
 * bytes past the end read all ones and keep nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "devices/iomem_testdev.h"

static struct iomem_testdev dev;

static void test_reset_reads_zero(void **state)
{
	(void)state;
	memset(&dev, 0x5A, sizeof(dev));
	iomem_testdev_reset(&dev);
	for (uint32_t offset = 0; offset < IOMEM_TESTDEV_SIZE; offset += 8)
		assert_int_equal(iomem_testdev_read(&dev, offset, 8), 0);
}

/* A write of each size at each offset near the start, the middle and the end: the bytes land
 * little-endian, the reads of every size see them, and the bytes around are untouched. */
static void test_sizes_and_offsets(void **state)
{
	static const unsigned sizes[] = { 1, 2, 4, 8 };
	static const uint32_t starts[] = { 0, 0x7FF8, IOMEM_TESTDEV_SIZE - 16 };
	const uint64_t value = 0x8877665544332211ull;

	(void)state;
	for (size_t s = 0; s < 3; s++) {
		for (uint32_t offset = starts[s]; offset < starts[s] + 8; offset++) {
			for (size_t z = 0; z < 4; z++) {
				unsigned size = sizes[z];

				iomem_testdev_reset(&dev);
				iomem_testdev_write(&dev, offset, size, value);
				for (unsigned i = 0; i < size; i++)
					assert_int_equal(dev.bytes[offset + i], (value >> (8 * i)) & 0xFF);
				if (offset > 0)
					assert_int_equal(dev.bytes[offset - 1], 0);
				assert_int_equal(dev.bytes[offset + size], 0);
				for (size_t r = 0; r < 4; r++) {
					unsigned rsize = sizes[r];
					uint64_t want = 0;

					for (unsigned i = 0; i < rsize && i < size; i++)
						want |= ((value >> (8 * i)) & 0xFF) << (8 * i);
					assert_int_equal(iomem_testdev_read(&dev, offset, rsize), want);
				}
			}
		}
	}
}

/* The last bytes: a wider access straddling the end keeps the part inside; the part outside
 * reads as all ones (nobody answers there). */
static void test_window_end(void **state)
{
	(void)state;
	iomem_testdev_reset(&dev);
	iomem_testdev_write(&dev, IOMEM_TESTDEV_SIZE - 2, 4, 0xDDCCBBAA);
	assert_int_equal(dev.bytes[IOMEM_TESTDEV_SIZE - 2], 0xAA);
	assert_int_equal(dev.bytes[IOMEM_TESTDEV_SIZE - 1], 0xBB);
	assert_int_equal(iomem_testdev_read(&dev, IOMEM_TESTDEV_SIZE - 2, 4), 0xFFFFBBAA);
	assert_int_equal(iomem_testdev_read(&dev, IOMEM_TESTDEV_SIZE, 8), ~0ull);
	assert_int_equal(iomem_testdev_read(&dev, IOMEM_TESTDEV_SIZE - 1, 1), 0xBB);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reset_reads_zero),
		cmocka_unit_test(test_sizes_and_offsets),
		cmocka_unit_test(test_window_end),
	};

	return cmocka_run_group_tests_name("iomem_testdev", tests, NULL, NULL);
}
