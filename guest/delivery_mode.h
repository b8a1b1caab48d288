/* SPDX-License-Identifier: MIT */
/*
 * apicvisor's interrupt delivery modes (APICVISOR_MODE_* in include/apicvisor/hypercall.h) by
 * name, for the command line's modes=LIST and the guest's output, and the hypercall that
 * switches between them.
 */
#ifndef GUEST_DELIVERY_MODE_H
#define GUEST_DELIVERY_MODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* At most this many modes in one modes=LIST (a mode may be named more than once). */
#define DELIVERY_MODE_LIST_MAX 16

struct delivery_mode_list {
	unsigned modes[DELIVERY_MODE_LIST_MAX]; /* APICVISOR_MODE_* values, in the order named */
	unsigned count;
};

/* The name of an APICVISOR_MODE_* value ("emulate", "tpr-shadow", "apicv", "posted"), or NULL
 * for any other value. */
const char *delivery_mode_name(int64_t mode);

/* Parses a comma-separated list of mode names, text[0..len); false, with the offending item
 * in *bad and *bad_len, for an unknown or empty name or too many names. */
bool delivery_mode_parse_list(const char *text, size_t len, struct delivery_mode_list *list,
			      const char **bad, size_t *bad_len);

/* HC_SET_MODE: the mode in effect afterwards (which may be lower than the one asked for), or
 * a negative APICVISOR_HC_E* value. Only under apicvisor. */
int64_t delivery_mode_set(unsigned mode);

#endif
