/* SPDX-License-Identifier: MIT */
/* Unit tests for boot/host_guard.c: guard pages filled with the secret, overflows found on
 * either side, the quick check looking only next to the structure. */
#include <stdlib.h>

#include "boot/host_guard.h"
#include "include/apicvisor/isolation.h"

#include "test_util.h"

static uint8_t pages[4][HOST_GUARD_PAGE_SIZE] __attribute__((aligned(4096)));

static void test_guards(void **state)
{
	uint64_t *before = (uint64_t *)pages[0], *after = (uint64_t *)pages[2];

	(void)state;
	assert_true(host_guard_register("the test structure", pages[0], pages[2]));
	assert_int_equal(host_guard_count(), 2);
	for (unsigned i = 0; i < HOST_GUARD_PAGE_SIZE / 8; i++) {
		assert_int_equal(before[i], apicvisor_secret_word(i));
		assert_int_equal(after[i], apicvisor_secret_word(i));
	}
	assert_null(host_guard_check(true));
	assert_null(host_guard_check(false));
	/* An overflow off the end of the structure: the first word of the page after. */
	after[0] ^= 1;
	assert_string_equal(host_guard_check(false), "guard page after the test structure");
	after[0] ^= 1;
	/* An underflow: the last word of the page before. */
	before[511] = 0;
	assert_string_equal(host_guard_check(false), "guard page before the test structure");
	host_guard_fill(before);
	/* Far from the structure: only the thorough check sees it. */
	after[300] = 0;
	assert_null(host_guard_check(false));
	assert_string_equal(host_guard_check(true), "guard page after the test structure");
	assert_int_equal(host_guard_checks(), 6);
}

/* The secret is never stored as a sequence in the image: its words are computed. */
static void test_secret_words(void **state)
{
	(void)state;
	for (unsigned i = 0; i < APICVISOR_SECRET_WORDS; i++) {
		assert_int_not_equal(apicvisor_secret_word(i), 0);
		assert_int_equal(apicvisor_secret_word(i),
				 apicvisor_secret_word(i + APICVISOR_SECRET_WORDS));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guards),
		cmocka_unit_test(test_secret_words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
