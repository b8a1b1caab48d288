/* SPDX-License-Identifier: MIT */
#include "printf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where the characters go: printf_format's callback and its context. */
struct printf_sink {
	printf_output_fn output;
	void *context;
};

static void printf_emit(const struct printf_sink *sink, char c)
{
	sink->output(sink->context, c);
}

/* What one conversion specification asked for. */
struct printf_spec {
	bool zero_pad;
	bool left_justify;
	unsigned width;
	int precision;          /* -1: none given */
	unsigned length;        /* number of 'l's: 0, 1 or 2 */
};

static void printf_padding(const struct printf_sink *sink, char pad, unsigned count)
{
	while (count-- > 0)
		printf_emit(sink, pad);
}

/* Writes text[0..len) in a field of spec->width characters. */
static void printf_field(const struct printf_sink *sink, const struct printf_spec *spec,
			 const char *text, size_t len)
{
	unsigned pad = spec->width > len ? spec->width - (unsigned)len : 0;

	if (!spec->left_justify)
		printf_padding(sink, ' ', pad);
	for (size_t i = 0; i < len; i++)
		printf_emit(sink, text[i]);
	if (spec->left_justify)
		printf_padding(sink, ' ', pad);
}

static void printf_number(const struct printf_sink *sink, const struct printf_spec *spec,
			  uint64_t magnitude, bool negative, unsigned base)
{
	char digits[20];        /* 2^64 - 1 has 20 decimal digits */
	size_t count = 0;

	do {
		digits[count++] = "0123456789abcdef"[magnitude % base];
		magnitude /= base;
	} while (magnitude != 0);

	unsigned len = (unsigned)count + (negative ? 1 : 0);
	unsigned pad = spec->width > len ? spec->width - len : 0;

	/* Zeros go between the sign and the digits ("-0042"); '-' overrides '0', as in C. */
	if (spec->zero_pad && !spec->left_justify) {
		if (negative)
			printf_emit(sink, '-');
		printf_padding(sink, '0', pad);
	} else {
		if (!spec->left_justify)
			printf_padding(sink, ' ', pad);
		if (negative)
			printf_emit(sink, '-');
	}
	while (count > 0)
		printf_emit(sink, digits[--count]);
	if (spec->left_justify)
		printf_padding(sink, ' ', pad);
}

/* Reads the argument of a %d by its length modifier, widened to 64 bits. */
static int64_t printf_signed_arg(const struct printf_spec *spec, va_list *ap)
{
	if (spec->length == 2)
		return va_arg(*ap, long long);
	if (spec->length == 1)
		return va_arg(*ap, long);
	return va_arg(*ap, int);
}

static uint64_t printf_unsigned_arg(const struct printf_spec *spec, va_list *ap)
{
	if (spec->length == 2)
		return va_arg(*ap, unsigned long long);
	if (spec->length == 1)
		return va_arg(*ap, unsigned long);
	return va_arg(*ap, unsigned int);
}

/* Parses the flags, width, precision and length after a '%'; returns the conversion character's
 * position. */
static const char *printf_parse_spec(const char *p, struct printf_spec *spec, va_list *ap)
{
	*spec = (struct printf_spec){ .precision = -1 };

	for (;; p++) {
		if (*p == '0')
			spec->zero_pad = true;
		else if (*p == '-')
			spec->left_justify = true;
		else
			break;
	}
	while (*p >= '0' && *p <= '9')
		spec->width = spec->width * 10 + (unsigned)(*p++ - '0');
	if (*p == '.') {
		p++;
		spec->precision = 0;
		if (*p == '*') {
			spec->precision = va_arg(*ap, int);
			p++;
		} else {
			while (*p >= '0' && *p <= '9')
				spec->precision = spec->precision * 10 + (*p++ - '0');
		}
	}
	while (*p == 'l' && spec->length < 2) {
		spec->length++;
		p++;
	}
	return p;
}

void printf_format(printf_output_fn output, void *context, const char *format, va_list ap)
{
	const struct printf_sink sink = { .output = output, .context = context };

	/* va_list is an array type on x86-64: work on a copy so its address can be passed down. */
	va_list args;

	va_copy(args, ap);
	for (const char *p = format; *p != '\0'; p++) {
		if (*p != '%') {
			printf_emit(&sink, *p);
			continue;
		}
		const char *start = p;
		struct printf_spec spec;

		p = printf_parse_spec(p + 1, &spec, &args);
		switch (*p) {
		case 'd': {
			int64_t value = printf_signed_arg(&spec, &args);
			uint64_t magnitude = value < 0 ? -(uint64_t)value : (uint64_t)value;

			printf_number(&sink, &spec, magnitude, value < 0, 10);
			break;
		}
		case 'u':
			printf_number(&sink, &spec, printf_unsigned_arg(&spec, &args), false, 10);
			break;
		case 'x':
			printf_number(&sink, &spec, printf_unsigned_arg(&spec, &args), false, 16);
			break;
		case 'c': {
			char c = (char)va_arg(args, int);

			printf_field(&sink, &spec, &c, 1);
			break;
		}
		case 's': {
			const char *s = va_arg(args, const char *);
			size_t len = 0;

			if (s == NULL)
				s = "(null)";
			while (s[len] != '\0' && (spec.precision < 0 || len < (size_t)spec.precision))
				len++;
			printf_field(&sink, &spec, s, len);
			break;
		}
		case '%':
			printf_emit(&sink, '%');
			break;
		default:
			/* Unsupported: echo the specification itself so the mistake shows. */
			while (start < p)
				printf_emit(&sink, *start++);
			if (*p == '\0')
				p--;    /* the format ended inside it: let the loop see the NUL */
			else
				printf_emit(&sink, *p);
			break;
		}
	}
	va_end(args);
}
