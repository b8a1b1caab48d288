/* SPDX-License-Identifier: MIT */
/*
 * Checks shared by the host unit tests. Self-contained: it includes the headers <cmocka.h>
 * needs before it, so a test may include this alone or after its own cmocka includes.
 */
#ifndef APICVISOR_TESTS_UNIT_TEST_UTIL_H
#define APICVISOR_TESTS_UNIT_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

/* Fails the test, printing `text`, unless `text` contains `want`. */
static inline void assert_has(const char *text, const char *want)
{
	if (!strstr(text, want))
		fail_msg("output lacks \"%s\":\n%s", want, text);
}

/* Fails the test, printing `text`, if `text` contains `unwanted`. */
static inline void assert_lacks(const char *text, const char *unwanted)
{
	if (strstr(text, unwanted))
		fail_msg("output has \"%s\":\n%s", unwanted, text);
}

#endif
