/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for lib/fmt.c. The table's expected strings are also checked against the host's
 * snprintf, where ours promises the same output, so a wrong expectation cannot hide a bug.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lib/fmt.h"

/* How a case's argument(s) are passed. */
enum arg_kind {
	ARG_NONE,
	ARG_INT,
	ARG_UINT,
	ARG_LONG,
	ARG_ULONG,
	ARG_LLONG,
	ARG_ULLONG,
	ARG_SIZE,
	ARG_PTRDIFF,
	ARG_INTMAX,
	ARG_UINTMAX,
	ARG_CHAR,
	ARG_STR,
	ARG_PTR,
	ARG_STAR_INT,         /* int from .star, then int from .i */
	ARG_STAR_STR,         /* int from .star, then the string */
	ARG_STAR_STAR_INT,    /* width .star, precision .star2, then int */
};

struct fmt_case {
	const char *format;
	enum arg_kind kind;
	long long i;
	unsigned long long u;
	const char *s;
	int star;
	int star2;
	const char *expected;
	bool not_like_libc;   /* documented difference from glibc (e.g. NULL %p) */
};

static const struct fmt_case cases[] = {
	/* Plain text and %% */
	{ "hello", ARG_NONE, .expected = "hello" },
	{ "", ARG_NONE, .expected = "" },
	{ "100%%", ARG_NONE, .expected = "100%" },
	{ "%%d", ARG_NONE, .expected = "%d" },

	/* Signed decimal */
	{ "%d", ARG_INT, .i = 0, .expected = "0" },
	{ "%d", ARG_INT, .i = 42, .expected = "42" },
	{ "%d", ARG_INT, .i = -42, .expected = "-42" },
	{ "%i", ARG_INT, .i = -1, .expected = "-1" },
	{ "%d", ARG_INT, .i = INT_MAX, .expected = "2147483647" },
	{ "%d", ARG_INT, .i = INT_MIN, .expected = "-2147483648" },
	{ "%ld", ARG_LONG, .i = LONG_MIN, .expected = "-9223372036854775808" },
	{ "%lld", ARG_LLONG, .i = INT64_MIN, .expected = "-9223372036854775808" },
	{ "%lld", ARG_LLONG, .i = INT64_MAX, .expected = "9223372036854775807" },
	{ "%jd", ARG_INTMAX, .i = INTMAX_MIN, .expected = "-9223372036854775808" },
	{ "%td", ARG_PTRDIFF, .i = -12345, .expected = "-12345" },
	{ "%hhd", ARG_INT, .i = 200, .expected = "-56" },
	{ "%hd", ARG_INT, .i = 40000, .expected = "-25536" },

	/* Unsigned, hex, octal */
	{ "%u", ARG_UINT, .u = UINT_MAX, .expected = "4294967295" },
	{ "%hhu", ARG_UINT, .u = 261, .expected = "5" },
	{ "%hu", ARG_UINT, .u = 65537, .expected = "1" },
	{ "%lu", ARG_ULONG, .u = ULONG_MAX, .expected = "18446744073709551615" },
	{ "%llu", ARG_ULLONG, .u = UINT64_MAX, .expected = "18446744073709551615" },
	{ "%zu", ARG_SIZE, .u = SIZE_MAX, .expected = "18446744073709551615" },
	{ "%zx", ARG_SIZE, .u = 0x1000, .expected = "1000" },
	{ "%ju", ARG_UINTMAX, .u = 7, .expected = "7" },
	{ "%x", ARG_UINT, .u = 0xdeadbeef, .expected = "deadbeef" },
	{ "%X", ARG_UINT, .u = 0xdeadbeef, .expected = "DEADBEEF" },
	{ "%x", ARG_UINT, .u = 0, .expected = "0" },
	{ "%lx", ARG_ULONG, .u = 0xffffffff00000000ull, .expected = "ffffffff00000000" },
	{ "%llx", ARG_ULLONG, .u = UINT64_MAX, .expected = "ffffffffffffffff" },
	{ "%llX", ARG_ULLONG, .u = 0x123456789abcdefull, .expected = "123456789ABCDEF" },
	{ "%o", ARG_UINT, .u = 8, .expected = "10" },
	{ "%llo", ARG_ULLONG, .u = UINT64_MAX, .expected = "1777777777777777777777" },
	{ "%#x", ARG_UINT, .u = 255, .expected = "0xff" },
	{ "%#X", ARG_UINT, .u = 255, .expected = "0XFF" },
	{ "%#x", ARG_UINT, .u = 0, .expected = "0" },
	{ "%#o", ARG_UINT, .u = 8, .expected = "010" },
	{ "%#o", ARG_UINT, .u = 0, .expected = "0" },

	/* Width, flags, padding */
	{ "%5d", ARG_INT, .i = 42, .expected = "   42" },
	{ "%-5d|", ARG_INT, .i = 42, .expected = "42   |" },
	{ "%05d", ARG_INT, .i = 42, .expected = "00042" },
	{ "%05d", ARG_INT, .i = -42, .expected = "-0042" },
	{ "%-05d|", ARG_INT, .i = -42, .expected = "-42  |" },
	{ "%+d", ARG_INT, .i = 5, .expected = "+5" },
	{ "%+d", ARG_INT, .i = -5, .expected = "-5" },
	{ "% d", ARG_INT, .i = 5, .expected = " 5" },
	{ "%+ d", ARG_INT, .i = 5, .expected = "+5" },
	{ "%+05d", ARG_INT, .i = 5, .expected = "+0005" },
	{ "%+u", ARG_UINT, .u = 5, .expected = "5" },
	{ "%2d", ARG_INT, .i = 12345, .expected = "12345" },
	{ "%08x", ARG_UINT, .u = 0xbeef, .expected = "0000beef" },
	{ "%016llx", ARG_ULLONG, .u = 0xfee00000ull, .expected = "00000000fee00000" },
	{ "%#010x", ARG_UINT, .u = 255, .expected = "0x000000ff" },
	{ "%#10x", ARG_UINT, .u = 255, .expected = "      0xff" },
	{ "%-#10x|", ARG_UINT, .u = 255, .expected = "0xff      |" },
	{ "%20lld", ARG_LLONG, .i = INT64_MIN, .expected = "-9223372036854775808" },
	{ "%22lld", ARG_LLONG, .i = INT64_MIN, .expected = "  -9223372036854775808" },
	{ "%022lld", ARG_LLONG, .i = INT64_MIN, .expected = "-009223372036854775808" },
	{ "%*d", ARG_STAR_INT, .star = 6, .i = 42, .expected = "    42" },
	{ "%-*d|", ARG_STAR_INT, .star = 6, .i = 42, .expected = "42    |" },
	{ "%*d|", ARG_STAR_INT, .star = -6, .i = 42, .expected = "42    |" },
	{ "%0*d", ARG_STAR_INT, .star = 4, .i = 7, .expected = "0007" },

	/* Integer precision */
	{ "%.3d", ARG_INT, .i = 5, .expected = "005" },
	{ "%.3d", ARG_INT, .i = -5, .expected = "-005" },
	{ "%8.3d", ARG_INT, .i = 5, .expected = "     005" },
	{ "%08.3d", ARG_INT, .i = 5, .expected = "     005" },
	{ "%.0d", ARG_INT, .i = 0, .expected = "" },
	{ "%.0x|", ARG_UINT, .u = 0, .expected = "|" },
	{ "%*.*d", ARG_STAR_STAR_INT, .star = 6, .star2 = 4, .i = 42, .expected = "  0042" },

	/* Characters and strings */
	{ "%c", ARG_CHAR, .i = 'x', .expected = "x" },
	{ "%3c", ARG_CHAR, .i = 'x', .expected = "  x" },
	{ "%-3c|", ARG_CHAR, .i = 'x', .expected = "x  |" },
	{ "%s", ARG_STR, .s = "hello", .expected = "hello" },
	{ "%s", ARG_STR, .s = "", .expected = "" },
	{ "[%10s]", ARG_STR, .s = "hi", .expected = "[        hi]" },
	{ "[%-10s]", ARG_STR, .s = "hi", .expected = "[hi        ]" },
	{ "[%1s]", ARG_STR, .s = "hello", .expected = "[hello]" },
	{ "%.2s", ARG_STR, .s = "hello", .expected = "he" },
	{ "%.10s", ARG_STR, .s = "hello", .expected = "hello" },
	{ "%.0s|", ARG_STR, .s = "hello", .expected = "|" },
	{ "[%5.2s]", ARG_STR, .s = "hello", .expected = "[   he]" },
	{ "%.*s", ARG_STAR_STR, .star = 3, .s = "abcdef", .expected = "abc" },
	{ "%.*s", ARG_STAR_STR, .star = -1, .s = "abcdef", .expected = "abcdef" },
	{ "%s", ARG_STR, .s = NULL, .expected = "(null)" },
	{ "[%8s]", ARG_STR, .s = NULL, .expected = "[  (null)]" },

	/* Pointers: "0x" and lowercase hex; NULL is 0x0 (glibc writes "(nil)") */
	{ "%p", ARG_PTR, .u = 0x1234, .expected = "0x1234" },
	{ "%p", ARG_PTR, .u = 0xffff800000001000ull, .expected = "0xffff800000001000" },
	{ "[%10p]", ARG_PTR, .u = 0xabc, .expected = "[     0xabc]" },
	{ "[%-10p]", ARG_PTR, .u = 0xabc, .expected = "[0xabc     ]" },
	{ "%p", ARG_PTR, .u = 0, .expected = "0x0", .not_like_libc = true },

	/* Malformed specifications are written as they are */
	{ "%q", ARG_NONE, .expected = "%q", .not_like_libc = true },
	{ "abc%", ARG_NONE, .expected = "abc%", .not_like_libc = true },
};

/* Formats one case with our fmt_snprintf (host == false) or the host's snprintf. */
static size_t format_case(char *buf, size_t size, const struct fmt_case *c, bool host)
{
#define CALL(...) (host ? (size_t)snprintf(buf, size, c->format, __VA_ARGS__) : \
			  fmt_snprintf(buf, size, c->format, __VA_ARGS__))
	/* The format is not a literal here: gcc cannot check it, the table's kinds do. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#pragma GCC diagnostic ignored "-Wformat-security"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
	switch (c->kind) {
	case ARG_NONE:
		return CALL(0);
	case ARG_INT:
	case ARG_CHAR:
		return CALL((int)c->i);
	case ARG_UINT:
		return CALL((unsigned int)c->u);
	case ARG_LONG:
		return CALL((long)c->i);
	case ARG_ULONG:
		return CALL((unsigned long)c->u);
	case ARG_LLONG:
		return CALL((long long)c->i);
	case ARG_ULLONG:
		return CALL((unsigned long long)c->u);
	case ARG_SIZE:
		return CALL((size_t)c->u);
	case ARG_PTRDIFF:
		return CALL((ptrdiff_t)c->i);
	case ARG_INTMAX:
		return CALL((intmax_t)c->i);
	case ARG_UINTMAX:
		return CALL((uintmax_t)c->u);
	case ARG_STR:
		return CALL(c->s);
	case ARG_PTR:
		return CALL((void *)(uintptr_t)c->u);
	case ARG_STAR_INT:
		return CALL(c->star, (int)c->i);
	case ARG_STAR_STR:
		return CALL(c->star, c->s);
	case ARG_STAR_STAR_INT:
		return CALL(c->star, c->star2, (int)c->i);
	}
#pragma GCC diagnostic pop
#undef CALL
	return 0;
}

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct fmt_case *c = &cases[i];
		char ours[128], theirs[128];
		size_t n;

		memset(ours, 0x5a, sizeof(ours));
		n = format_case(ours, sizeof(ours), c, false);
		if (strcmp(ours, c->expected) != 0 || n != strlen(c->expected))
			fail_msg("case %zu: format \"%s\": got \"%s\" (%zu), want \"%s\"", i,
				 c->format, ours, n, c->expected);
		if (!c->not_like_libc) {
			format_case(theirs, sizeof(theirs), c, true);
			if (strcmp(theirs, c->expected) != 0)
				fail_msg("case %zu: format \"%s\": host snprintf gives \"%s\", the "
					 "table expects \"%s\"",
					 i, c->format, theirs, c->expected);
		}
	}
}

static void test_several_conversions(void **state)
{
	char buf[128];
	size_t n;

	(void)state;
	n = fmt_snprintf(buf, sizeof(buf), "vector %u (0x%02x) pin %d: %s%c %-4s|%5zu", 32u, 32u,
			 -3, "edge", '!', "ok", (size_t)17);
	assert_string_equal(buf, "vector 32 (0x20) pin -3: edge! ok  |   17");
	assert_int_equal(n, strlen(buf));
}

static void test_snprintf_truncates(void **state)
{
	char buf[8];
	size_t n;

	(void)state;
	memset(buf, 'x', sizeof(buf));
	n = fmt_snprintf(buf, 5, "hello world");
	assert_int_equal(n, 11);
	assert_string_equal(buf, "hell");
	assert_int_equal(buf[5], 'x');        /* nothing written beyond size */

	memset(buf, 'x', sizeof(buf));
	n = fmt_snprintf(buf, 1, "%d", 12345);
	assert_int_equal(n, 5);
	assert_int_equal(buf[0], '\0');
	assert_int_equal(buf[1], 'x');

	memset(buf, 'x', sizeof(buf));
	n = fmt_snprintf(buf, 0, "%s", "abc");
	assert_int_equal(n, 3);
	assert_int_equal(buf[0], 'x');        /* size 0: untouched */

	n = fmt_snprintf(NULL, 0, "%llx", 0x123ull);
	assert_int_equal(n, 3);

	n = fmt_snprintf(buf, sizeof(buf), "%07d", -5);
	assert_int_equal(n, 7);
	assert_string_equal(buf, "-000005");

	n = fmt_snprintf(buf, sizeof(buf), "%20s", "x");
	assert_int_equal(n, 20);
	assert_string_equal(buf, "       ");
}

static void test_buffer_sink(void **state)
{
	char storage[10];
	struct fmt_buffer b;
	struct fmt_sink sink;
	size_t n;

	(void)state;
	fmt_buffer_init(&b, storage, sizeof(storage));
	assert_int_equal(b.len, 0);
	assert_false(b.truncated);
	assert_string_equal(storage, "");

	sink = fmt_buffer_sink(&b);
	n = fmt_print(&sink, "abc%d", 1);
	assert_int_equal(n, 4);
	assert_string_equal(storage, "abc1");
	assert_false(b.truncated);

	n = fmt_print(&sink, "%s", "defgh");   /* 9 of 9 usable bytes */
	assert_int_equal(n, 5);
	assert_string_equal(storage, "abc1defgh");
	assert_int_equal(b.len, 9);
	assert_false(b.truncated);

	n = fmt_print(&sink, "!");
	assert_int_equal(n, 1);
	assert_string_equal(storage, "abc1defgh");
	assert_true(b.truncated);

	fmt_buffer_init(&b, storage, 0);
	sink = fmt_buffer_sink(&b);
	fmt_print(&sink, "x");
	assert_true(b.truncated);
	assert_int_equal(b.len, 0);
}

/* A sink that records every write, to see the chunks fmt_vprint produces. */
struct recording {
	char text[256];
	size_t len;
	unsigned writes;
	unsigned empty_writes;
};

static void record_write(void *ctx, const char *text, size_t len)
{
	struct recording *r = ctx;

	r->writes++;
	if (len == 0)
		r->empty_writes++;
	assert_true(r->len + len < sizeof(r->text));
	memcpy(r->text + r->len, text, len);
	r->len += len;
	r->text[r->len] = '\0';
}

static size_t vprint_helper(const struct fmt_sink *sink, const char *format, ...)
	__attribute__((format(printf, 2, 3)));

static size_t vprint_helper(const struct fmt_sink *sink, const char *format, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, format);
	n = fmt_vprint(sink, format, ap);
	va_end(ap);
	return n;
}

static void test_sink_writes(void **state)
{
	struct recording r = { .len = 0 };
	struct fmt_sink sink = { .write = record_write, .ctx = &r };
	size_t n;

	(void)state;
	n = vprint_helper(&sink, "[%s][%40d][%-3s]%s", "", 1, "ab", "");
	assert_int_equal(n, r.len);
	assert_int_equal(n, 2 + 2 + 40 + 2 + 3 + 0);
	assert_int_equal(r.empty_writes, 0);
	assert_string_equal(r.text, "[][                                       1][ab ]");
}

/* fmt_error: nothing written without a buffer, otherwise fmt_snprintf's truncation. */
static void test_error_message(void **state)
{
	char buf[16];

	(void)state;
	fmt_error(NULL, sizeof(buf), "no buffer %d", 1);

	memset(buf, 'x', sizeof(buf));
	fmt_error(buf, 0, "no room %d", 2);
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 'x');

	memset(buf, 'x', sizeof(buf));
	fmt_error(buf, 8, "port 0x%x is out of range", 0x2220);
	assert_string_equal(buf, "port 0x");
	for (size_t i = 8; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 'x');

	fmt_error(buf, sizeof(buf), "%s: %u", "cpus", 4u);
	assert_string_equal(buf, "cpus: 4");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_several_conversions),
		cmocka_unit_test(test_snprintf_truncates),
		cmocka_unit_test(test_buffer_sink),
		cmocka_unit_test(test_sink_writes),
		cmocka_unit_test(test_error_message),
	};

	return cmocka_run_group_tests_name("fmt", tests, NULL, NULL);
}
