/* SPDX-License-Identifier: MIT */
/*
 * Little-endian fields in byte buffers (guest memory, firmware tables, boot headers), whatever
 * their alignment: what the boot loaders (boot/bios.c, boot/linux.c), fw_cfg and the MADT reader
 * share.
 */
#ifndef APICVISOR_LE_H
#define APICVISOR_LE_H

#include "klib.h"

/* The `bytes`-byte (at most 8) little-endian value at p. */
static inline uint64_t le_get(const uint8_t *p, unsigned bytes)
{
	uint64_t value = 0;

	for (unsigned i = 0; i < bytes; i++)
		value |= (uint64_t)p[i] << (8 * i);
	return value;
}

/* Stores the low `bytes` (at most 8) bytes of value at p, lowest first. */
static inline void le_put(uint8_t *p, uint64_t value, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(value >> (8 * i));
}

#endif
