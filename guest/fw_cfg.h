/* SPDX-License-Identifier: MIT */
/*
 * QEMU's firmware configuration device through its legacy x86 I/O interface (QEMU
 * docs/specs/fw_cfg.rst, "QEMU Firmware Configuration (fw_cfg) Device"): a 16-bit write of an
 * item's key to the selector port 510H selects it and rewinds it to its first byte, and each
 * 8-bit read of the data port 511H returns the next byte ("Reading from the data port returns
 * a byte of the selected item ... past the end ... 0x00"). apicvisor's devices/fw_cfg.c
 * answers the same ports. The DMA interface is not used. Each function says which port
 * accesses it makes: each is an I/O exit to a hypervisor.
 */
#ifndef GUEST_FW_CFG_H
#define GUEST_FW_CFG_H

#include <stddef.h>
#include <stdint.h>

/* Item keys (fw_cfg.rst "Selector (Control) Register", QEMU's FW_CFG_* names). */
#define FW_CFG_SIGNATURE 0x0000u         /* "QEMU" */
#define FW_CFG_RAM_SIZE 0x0003u          /* u64, little-endian */
#define FW_CFG_NB_CPUS 0x0005u           /* u16, little-endian */
#define FW_CFG_FILE_DIR 0x0019u          /* u32 big-endian count, then 64-byte entries */

#define FW_CFG_SIGNATURE_TEXT "QEMU"
#define FW_CFG_SIGNATURE_SIZE 4u

/* 1 OUT16 of `key` to 510H. */
void fw_cfg_select(uint16_t key);

/* The next `size` bytes of the selected item: `size` IN8s from 511H. */
void fw_cfg_read(void *buffer, size_t size);

/* The next `size` (1 to 8) bytes as a number, the first the least significant (the
 * little-endian items) or the most significant (the file directory's big-endian fields):
 * `size` IN8s from 511H. */
uint64_t fw_cfg_read_le(size_t size);
uint64_t fw_cfg_read_be(size_t size);

#endif
