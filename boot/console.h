/* SPDX-License-Identifier: MIT */
/*
 * The hypervisor's console. Before ExitBootServices text goes through the firmware's ConOut
 * (which OVMF also mirrors to COM1); afterwards the hypervisor owns COM1 and polls the 16550
 * itself. Either way every line ends up on the serial port the hosts capture.
 */
#ifndef APICVISOR_CONSOLE_H
#define APICVISOR_CONSOLE_H

#include "../lib/fmt.h"
#include "config.h"

extern const struct fmt_sink console;
extern enum log_level console_level;

/* Firmware console: ConOut of the system table (an EFI_SIMPLE_TEXT_OUTPUT_PROTOCOL *). */
void console_use_firmware(void *con_out);
/* From now on, write COM1 directly (after ExitBootServices). */
void console_use_serial(void);

void kprintf(const char *format, ...) __attribute__((format(printf, 1, 2)));
/* kprintf with a va_list: one call's text is not interleaved with another CPU's. */
void console_vprint(const char *format, va_list ap);

#define log_info(...) do { if (console_level >= LOG_INFO) kprintf(__VA_ARGS__); } while (0)
#define log_debug(...) do { if (console_level >= LOG_DEBUG) kprintf(__VA_ARGS__); } while (0)

#endif
