/* SPDX-License-Identifier: MIT */
/*
 * A printf subset for a freestanding program (see fmt.h for the conversions). Integers are
 * converted through uint64_t, which x86-64 divides natively, so nothing here needs libgcc.
 *
 * Beyond the list in fmt.h, for robustness: '#' (0x/0X prefix for %x/%X, leading 0 for %o) and
 * a precision on integer conversions (minimum digit count, as in C) are honoured, since gcc's
 * format checking accepts them; an unknown conversion is printed as written.
 */
#include "fmt.h"

/* Width and precision digits stop accumulating here, so an absurd format cannot overflow. */
#define FMT_FIELD_MAX 100000

/* One conversion specification, as parsed from the format string. */
struct fmt_spec {
	bool left_align;      /* '-' */
	bool zero_pad;        /* '0' */
	bool plus_sign;       /* '+' */
	bool space_sign;      /* ' ' */
	bool alternate;       /* '#' */
	unsigned width;
	int precision;        /* -1: none given */
};

/* The writer state: the sink plus the count of characters produced so far. */
struct fmt_out {
	const struct fmt_sink *sink;
	size_t count;
};

static void out_text(struct fmt_out *out, const char *text, size_t len)
{
	if (len == 0)
		return;
	out->sink->write(out->sink->ctx, text, len);
	out->count += len;
}

static void out_repeat(struct fmt_out *out, char c, size_t n)
{
	static const char spaces[16] = "                ";
	static const char zeroes[16] = "0000000000000000";
	const char *run = c == '0' ? zeroes : spaces;

	while (n > 0) {
		size_t chunk = n < sizeof(spaces) ? n : sizeof(spaces);

		out_text(out, run, chunk);
		n -= chunk;
	}
}

/* Writes prefix (sign or 0x), then zeroes, then body, padded to the spec's width. */
static void out_padded(struct fmt_out *out, const struct fmt_spec *spec, const char *prefix,
		       size_t prefix_len, size_t zeroes, const char *body, size_t body_len)
{
	size_t total = prefix_len + zeroes + body_len;
	size_t pad = spec->width > total ? spec->width - total : 0;

	if (spec->left_align) {
		out_text(out, prefix, prefix_len);
		out_repeat(out, '0', zeroes);
		out_text(out, body, body_len);
		out_repeat(out, ' ', pad);
	} else if (spec->zero_pad) {
		out_text(out, prefix, prefix_len);
		out_repeat(out, '0', zeroes + pad);
		out_text(out, body, body_len);
	} else {
		out_repeat(out, ' ', pad);
		out_text(out, prefix, prefix_len);
		out_repeat(out, '0', zeroes);
		out_text(out, body, body_len);
	}
}

/*
 * Formats one integer. negative: the value is a magnitude that had a minus sign.
 * base: 8, 10 or 16; upper: digits A-F.
 */
static void out_integer(struct fmt_out *out, const struct fmt_spec *spec, uint64_t magnitude,
			bool negative, bool is_signed, unsigned base, bool upper)
{
	const char *digit_chars = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char digits[24];      /* 2^64 - 1 has 22 octal digits */
	size_t ndigits = 0;
	char prefix[2];
	size_t prefix_len = 0;
	size_t zeroes = 0;
	uint64_t v = magnitude;

	/* C: "The result of converting zero with an explicit precision of zero shall be no
	 * characters." */
	if (!(v == 0 && spec->precision == 0)) {
		do {
			digits[sizeof(digits) - 1 - ndigits] = digit_chars[v % base];
			ndigits++;
			v /= base;
		} while (v != 0);
	}

	if (negative)
		prefix[prefix_len++] = '-';
	else if (is_signed && spec->plus_sign)
		prefix[prefix_len++] = '+';
	else if (is_signed && spec->space_sign)
		prefix[prefix_len++] = ' ';

	if (spec->alternate && base == 16 && magnitude != 0) {
		prefix[prefix_len++] = '0';
		prefix[prefix_len++] = upper ? 'X' : 'x';
	}

	if (spec->precision >= 0 && (size_t)spec->precision > ndigits)
		zeroes = (size_t)spec->precision - ndigits;
	if (spec->alternate && base == 8 && zeroes == 0 &&
	    (ndigits == 0 || digits[sizeof(digits) - ndigits] != '0'))
		zeroes = 1;

	/* C: with a precision, the '0' flag is ignored for integer conversions. */
	struct fmt_spec effective = *spec;
	if (spec->precision >= 0)
		effective.zero_pad = false;

	out_padded(out, &effective, prefix, prefix_len, zeroes,
		   digits + sizeof(digits) - ndigits, ndigits);
}

/* Length modifiers. */
enum fmt_length {
	LENGTH_INT,
	LENGTH_CHAR,          /* hh */
	LENGTH_SHORT,         /* h */
	LENGTH_LONG,          /* l */
	LENGTH_LONG_LONG,     /* ll */
	LENGTH_SIZE,          /* z */
	LENGTH_PTRDIFF,       /* t */
	LENGTH_INTMAX,        /* j */
};

/* Fetches a signed argument of the given length, widened to int64_t. */
static int64_t fetch_signed(va_list *ap, enum fmt_length length)
{
	switch (length) {
	case LENGTH_CHAR:
		return (signed char)va_arg(*ap, int);
	case LENGTH_SHORT:
		return (short)va_arg(*ap, int);
	case LENGTH_LONG:
		return va_arg(*ap, long);
	case LENGTH_LONG_LONG:
		return va_arg(*ap, long long);
	case LENGTH_SIZE:
		/* The signed type corresponding to size_t: same width on every ABI we build for. */
		return (int64_t)va_arg(*ap, size_t);
	case LENGTH_PTRDIFF:
		return va_arg(*ap, ptrdiff_t);
	case LENGTH_INTMAX:
		return va_arg(*ap, intmax_t);
	case LENGTH_INT:
	default:
		return va_arg(*ap, int);
	}
}

/* Fetches an unsigned argument of the given length, widened to uint64_t. */
static uint64_t fetch_unsigned(va_list *ap, enum fmt_length length)
{
	switch (length) {
	case LENGTH_CHAR:
		return (unsigned char)va_arg(*ap, unsigned int);
	case LENGTH_SHORT:
		return (unsigned short)va_arg(*ap, unsigned int);
	case LENGTH_LONG:
		return va_arg(*ap, unsigned long);
	case LENGTH_LONG_LONG:
		return va_arg(*ap, unsigned long long);
	case LENGTH_SIZE:
		return va_arg(*ap, size_t);
	case LENGTH_PTRDIFF:
		return (uint64_t)va_arg(*ap, ptrdiff_t);
	case LENGTH_INTMAX:
		return va_arg(*ap, uintmax_t);
	case LENGTH_INT:
	default:
		return va_arg(*ap, unsigned int);
	}
}

/*
 * The argument list is used through a pointer so that helpers can consume arguments: C11
 * §7.16 allows passing a pointer to a va_list, whose use is then visible to the caller.
 */
static size_t format_list(const struct fmt_sink *sink, const char *format, va_list *ap)
{
	struct fmt_out out = { .sink = sink, .count = 0 };
	const char *p = format;

	while (*p != '\0') {
		if (*p != '%') {
			const char *run = p;

			while (*p != '\0' && *p != '%')
				p++;
			out_text(&out, run, (size_t)(p - run));
			continue;
		}

		const char *spec_start = p;
		struct fmt_spec spec = { .precision = -1 };
		enum fmt_length length = LENGTH_INT;

		p++;
		for (;; p++) {
			if (*p == '-')
				spec.left_align = true;
			else if (*p == '0')
				spec.zero_pad = true;
			else if (*p == '+')
				spec.plus_sign = true;
			else if (*p == ' ')
				spec.space_sign = true;
			else if (*p == '#')
				spec.alternate = true;
			else
				break;
		}

		if (*p == '*') {
			int w = va_arg(*ap, int);

			/* C: "A negative field width argument is taken as a - flag followed by a
			 * positive field width." */
			if (w < 0) {
				spec.left_align = true;
				spec.width = 0u - (unsigned)w;
			} else {
				spec.width = (unsigned)w;
			}
			p++;
		} else {
			while (*p >= '0' && *p <= '9') {
				if (spec.width < FMT_FIELD_MAX)
					spec.width = spec.width * 10 + (unsigned)(*p - '0');
				p++;
			}
		}

		if (*p == '.') {
			p++;
			if (*p == '*') {
				int prec = va_arg(*ap, int);

				/* C: a negative precision argument is taken as if it were omitted. */
				spec.precision = prec < 0 ? -1 : prec;
				p++;
			} else {
				int prec = 0;

				while (*p >= '0' && *p <= '9') {
					if (prec < FMT_FIELD_MAX)
						prec = prec * 10 + (*p - '0');
					p++;
				}
				spec.precision = prec;
			}
		}

		switch (*p) {
		case 'h':
			p++;
			if (*p == 'h') {
				length = LENGTH_CHAR;
				p++;
			} else {
				length = LENGTH_SHORT;
			}
			break;
		case 'l':
			p++;
			if (*p == 'l') {
				length = LENGTH_LONG_LONG;
				p++;
			} else {
				length = LENGTH_LONG;
			}
			break;
		case 'z':
			length = LENGTH_SIZE;
			p++;
			break;
		case 't':
			length = LENGTH_PTRDIFF;
			p++;
			break;
		case 'j':
			length = LENGTH_INTMAX;
			p++;
			break;
		default:
			break;
		}

		switch (*p) {
		case 'd':
		case 'i': {
			int64_t v = fetch_signed(ap, length);
			bool negative = v < 0;
			/* Negate in unsigned arithmetic: INT64_MIN has no positive int64_t. */
			uint64_t magnitude = negative ? 0 - (uint64_t)v : (uint64_t)v;

			out_integer(&out, &spec, magnitude, negative, true, 10, false);
			break;
		}
		case 'u':
			out_integer(&out, &spec, fetch_unsigned(ap, length), false, false, 10, false);
			break;
		case 'x':
			out_integer(&out, &spec, fetch_unsigned(ap, length), false, false, 16, false);
			break;
		case 'X':
			out_integer(&out, &spec, fetch_unsigned(ap, length), false, false, 16, true);
			break;
		case 'o':
			out_integer(&out, &spec, fetch_unsigned(ap, length), false, false, 8, false);
			break;
		case 'p': {
			/* Always "0x" and lowercase hex digits, so NULL prints as 0x0. */
			struct fmt_spec pointer_spec = spec;

			pointer_spec.alternate = false;
			pointer_spec.precision = -1;
			uint64_t v = (uint64_t)(uintptr_t)va_arg(*ap, void *);
			char digits[16];
			size_t ndigits = 0;

			do {
				digits[sizeof(digits) - 1 - ndigits] = "0123456789abcdef"[v & 0xf];
				ndigits++;
				v >>= 4;
			} while (v != 0);
			out_padded(&out, &pointer_spec, "0x", 2, 0,
				   digits + sizeof(digits) - ndigits, ndigits);
			break;
		}
		case 'c': {
			char c = (char)va_arg(*ap, int);
			struct fmt_spec char_spec = spec;

			char_spec.zero_pad = false;
			out_padded(&out, &char_spec, "", 0, 0, &c, 1);
			break;
		}
		case 's': {
			const char *s = va_arg(*ap, const char *);
			struct fmt_spec string_spec = spec;
			size_t len;

			if (s == NULL)
				s = "(null)";
			/* With a precision, the string need not be NUL-terminated within it. */
			if (spec.precision >= 0) {
				len = 0;
				while (len < (size_t)spec.precision && s[len] != '\0')
					len++;
			} else {
				len = 0;
				while (s[len] != '\0')
					len++;
			}
			string_spec.zero_pad = false;
			out_padded(&out, &string_spec, "", 0, 0, s, len);
			break;
		}
		case '%':
			out_text(&out, "%", 1);
			break;
		case '\0':
			/* A lone '%' at the end: print what was there. */
			out_text(&out, spec_start, (size_t)(p - spec_start));
			continue;
		default:
			/* Unknown conversion: print the specification as written. */
			out_text(&out, spec_start, (size_t)(p + 1 - spec_start));
			break;
		}
		p++;
	}
	return out.count;
}

size_t fmt_vprint(const struct fmt_sink *sink, const char *format, va_list ap)
{
	va_list copy;
	size_t n;

	va_copy(copy, ap);
	n = format_list(sink, format, &copy);
	va_end(copy);
	return n;
}

size_t fmt_print(const struct fmt_sink *sink, const char *format, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, format);
	n = fmt_vprint(sink, format, ap);
	va_end(ap);
	return n;
}

static void fmt_buffer_write(void *ctx, const char *text, size_t len)
{
	struct fmt_buffer *b = ctx;
	size_t room;

	if (b->size == 0) {
		b->truncated = b->truncated || len > 0;
		return;
	}
	room = b->size - 1 - b->len;
	if (len > room) {
		len = room;
		b->truncated = true;
	}
	memcpy(b->buf + b->len, text, len);
	b->len += len;
	b->buf[b->len] = '\0';
}

void fmt_buffer_init(struct fmt_buffer *b, char *buf, size_t size)
{
	b->buf = buf;
	b->size = size;
	b->len = 0;
	b->truncated = false;
	if (size > 0)
		buf[0] = '\0';
}

struct fmt_sink fmt_buffer_sink(struct fmt_buffer *b)
{
	struct fmt_sink sink = { .write = fmt_buffer_write, .ctx = b };

	return sink;
}

size_t fmt_vsnprintf(char *buf, size_t size, const char *format, va_list ap)
{
	struct fmt_buffer b;
	struct fmt_sink sink;

	fmt_buffer_init(&b, buf, size);
	sink = fmt_buffer_sink(&b);
	return fmt_vprint(&sink, format, ap);
}

size_t fmt_snprintf(char *buf, size_t size, const char *format, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, format);
	n = fmt_vsnprintf(buf, size, format, ap);
	va_end(ap);
	return n;
}

void fmt_error(char *err, size_t err_len, const char *format, ...)
{
	va_list ap;

	if (err == NULL || err_len == 0)
		return;
	va_start(ap, format);
	fmt_vsnprintf(err, err_len, format, ap);
	va_end(ap);
}
