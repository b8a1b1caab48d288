/* SPDX-License-Identifier: MIT */
/*
 * Ending the run through QEMU's isa-debug-exit device, which apicvisor also models.
 */
#ifndef GUEST_DEBUG_EXIT_H
#define GUEST_DEBUG_EXIT_H

#include <stdint.h>

/* Values written to the device; QEMU then exits with status (value << 1) | 1. */
#define DEBUG_EXIT_SUCCESS 0u /* every scenario passed or was skipped */
#define DEBUG_EXIT_FAILURE 1u

/* Does not return: without the device, it prints why and halts with interrupts off. */
__attribute__((noreturn)) void debug_exit(uint32_t value);

#endif
