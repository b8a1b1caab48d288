/* SPDX-License-Identifier: MIT */
/*
 * A printf subset for the freestanding guest, writing one character at a time through a
 * callback, which also gets the caller's context pointer (the console ignores it; a buffer
 * being filled needs it).
 *
 * Conversions: %d %u %x %c %s %%, length modifiers l and ll for d/u/x, flags '0' (pad numbers
 * with zeros) and '-' (left-justify), a decimal field width, and a precision for %s (".N" or
 * ".*": at most that many characters, for strings that are not NUL-terminated). Anything else
 * after a '%' is printed as it stands, so a mistake shows in the output.
 */
#ifndef GUEST_PRINTF_H
#define GUEST_PRINTF_H

#include <stdarg.h>

typedef void (*printf_output_fn)(void *context, char c);

void printf_format(printf_output_fn output, void *context, const char *format, va_list ap);

#endif
