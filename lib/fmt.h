/* SPDX-License-Identifier: MIT */
/*
 * Formatted output for a freestanding program: a printf subset writing through a sink.
 *
 * Conversions: %d %i %u %x %X %o %c %s %p %% with flags '-', '0', '+', ' ', field width
 * (digits or '*'), precision for %s (".N" or ".*") and length modifiers hh h l ll z t j.
 * No floating point (the hypervisor is built with -mgeneral-regs-only).
 */
#ifndef APICVISOR_FMT_H
#define APICVISOR_FMT_H

#include "klib.h"

/* Where formatted text goes: write(ctx, text, length). */
struct fmt_sink {
	void (*write)(void *ctx, const char *text, size_t len);
	void *ctx;
};

/* Returns the number of characters produced. */
size_t fmt_vprint(const struct fmt_sink *sink, const char *format, va_list ap);
size_t fmt_print(const struct fmt_sink *sink, const char *format, ...)
	__attribute__((format(printf, 2, 3)));

/* snprintf semantics: always NUL-terminates when size > 0; returns the untruncated length. */
size_t fmt_snprintf(char *buf, size_t size, const char *format, ...)
	__attribute__((format(printf, 3, 4)));
size_t fmt_vsnprintf(char *buf, size_t size, const char *format, va_list ap);

/*
 * Writes an error message into a caller's buffer, for functions that take "char *err,
 * size_t err_len" to explain a failure. Does nothing when err is NULL or err_len is 0 (the
 * caller wants no message); otherwise as fmt_snprintf: truncated to fit, always NUL-terminated.
 */
void fmt_error(char *err, size_t err_len, const char *format, ...)
	__attribute__((format(printf, 3, 4)));

/* A sink that appends to a fixed buffer, truncating (and remembering that it did). */
struct fmt_buffer {
	char *buf;
	size_t size;      /* capacity including the NUL */
	size_t len;       /* characters stored, excluding the NUL */
	bool truncated;
};
void fmt_buffer_init(struct fmt_buffer *b, char *buf, size_t size);
struct fmt_sink fmt_buffer_sink(struct fmt_buffer *b);

#endif
