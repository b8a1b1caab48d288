/* SPDX-License-Identifier: MIT */
#include "host_guard.h"

#include "../include/apicvisor/isolation.h"
#include "../lib/fmt.h"

#define WORDS (HOST_GUARD_PAGE_SIZE / 8)
#define NEAR_WORDS 32u

struct guard {
	const char *what;
	uint64_t *before, *after;
};

static struct guard guards[HOST_GUARD_MAX];
static unsigned guard_count;
static uint64_t checks;
static char broken[96];

void host_guard_fill(void *page)
{
	uint64_t *w = page;

	for (unsigned i = 0; i < WORDS; i++)
		w[i] = apicvisor_secret_word(i);
}

bool host_guard_register(const char *what, void *before, void *after)
{
	if (guard_count == HOST_GUARD_MAX)
		return false;
	host_guard_fill(before);
	host_guard_fill(after);
	guards[guard_count++] = (struct guard){ what, before, after };
	return true;
}

/* Words [first, first + n) of a guard page. */
static bool intact(const uint64_t *page, unsigned first, unsigned n)
{
	for (unsigned i = first; i < first + n; i++) {
		if (page[i] != apicvisor_secret_word(i))
			return false;
	}
	return true;
}

const char *host_guard_check(bool thorough)
{
	checks++;
	for (unsigned g = 0; g < guard_count; g++) {
		const struct guard *guard = &guards[g];
		/* The structure follows `before` and precedes `after`: the words next to it are
		 * the end of one and the start of the other. */
		bool before_ok = thorough ? intact(guard->before, 0, WORDS)
					  : intact(guard->before, WORDS - NEAR_WORDS, NEAR_WORDS);
		bool after_ok = thorough ? intact(guard->after, 0, WORDS)
					 : intact(guard->after, 0, NEAR_WORDS);

		if (!before_ok || !after_ok) {
			fmt_snprintf(broken, sizeof(broken), "guard page %s %s", before_ok ? "after"
				     : "before", guard->what);
			return broken;
		}
	}
	return NULL;
}

unsigned host_guard_count(void)
{
	return 2 * guard_count;
}

uint64_t host_guard_checks(void)
{
	return checks;
}
