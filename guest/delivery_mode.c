/* SPDX-License-Identifier: MIT */
#include "delivery_mode.h"

#include "hypercall.h"
#include "lib/string.h"

/* Indexed by APICVISOR_MODE_*; the names the command line and the integration tests use. */
static const char *const delivery_mode_names[] = {
	[APICVISOR_MODE_EMULATE] = "emulate",
	[APICVISOR_MODE_TPR_SHADOW] = "tpr-shadow",
	[APICVISOR_MODE_APICV] = "apicv",
	[APICVISOR_MODE_POSTED] = "posted",
};

#define DELIVERY_MODE_COUNT (sizeof(delivery_mode_names) / sizeof(delivery_mode_names[0]))

const char *delivery_mode_name(int64_t mode)
{
	if (mode < 0 || (uint64_t)mode >= DELIVERY_MODE_COUNT)
		return NULL;
	return delivery_mode_names[mode];
}

static bool delivery_mode_lookup(const char *name, size_t len, unsigned *mode)
{
	for (unsigned i = 0; i < DELIVERY_MODE_COUNT; i++) {
		if (strlen(delivery_mode_names[i]) == len &&
		    memcmp(delivery_mode_names[i], name, len) == 0) {
			*mode = i;
			return true;
		}
	}
	return false;
}

bool delivery_mode_parse_list(const char *text, size_t len, struct delivery_mode_list *list,
			      const char **bad, size_t *bad_len)
{
	size_t start = 0;

	list->count = 0;
	for (;;) {
		size_t end = start;

		while (end < len && text[end] != ',')
			end++;

		unsigned mode;

		if (list->count == DELIVERY_MODE_LIST_MAX ||
		    !delivery_mode_lookup(text + start, end - start, &mode)) {
			*bad = text + start;
			*bad_len = end - start;
			return false;
		}
		list->modes[list->count++] = mode;
		if (end == len)
			return true;
		start = end + 1;
	}
}

int64_t delivery_mode_set(unsigned mode)
{
	return hypercall(APICVISOR_HC_SET_MODE, mode, 0, 0);
}
