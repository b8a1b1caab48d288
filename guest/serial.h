/* SPDX-License-Identifier: MIT */
/*
 * Polled output on COM1, the guest's only console.
 */
#ifndef GUEST_SERIAL_H
#define GUEST_SERIAL_H

void serial_putc(char c);
void serial_printf(const char *format, ...) __attribute__((format(printf, 1, 2)));

#endif
