/* SPDX-License-Identifier: MIT */
#include "fw_cfg.h"

#include <stddef.h>
#include <stdint.h>

#include "cpu.h"

#define FW_CFG_PORT_SELECTOR 0x510u
#define FW_CFG_PORT_DATA 0x511u

void fw_cfg_select(uint16_t key)
{
	cpu_outw(FW_CFG_PORT_SELECTOR, key);
}

void fw_cfg_read(void *buffer, size_t size)
{
	uint8_t *bytes = buffer;

	for (size_t i = 0; i < size; i++)
		bytes[i] = cpu_inb(FW_CFG_PORT_DATA);
}

uint64_t fw_cfg_read_le(size_t size)
{
	uint64_t value = 0;

	for (size_t i = 0; i < size; i++)
		value |= (uint64_t)cpu_inb(FW_CFG_PORT_DATA) << (8 * i);
	return value;
}

uint64_t fw_cfg_read_be(size_t size)
{
	uint64_t value = 0;

	for (size_t i = 0; i < size; i++)
		value = value << 8 | cpu_inb(FW_CFG_PORT_DATA);
	return value;
}
