/* SPDX-License-Identifier: MIT */
/*
 * What every libFuzzer harness here shares: the invariant check, the FUZZ_TRACE printout and the
 * input read as a stream of little-endian operands. Define FUZZ_NAME (the target's name, a
 * string literal) before including this; it starts every invariant message, as
 * tests/fuzz/run-brief.sh expects.
 */
#ifndef APICVISOR_FUZZ_INPUT_H
#define APICVISOR_FUZZ_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef FUZZ_NAME
#error "define FUZZ_NAME (the fuzz target's name) before including fuzz_input.h"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant prints one line and aborts, which libFuzzer records as a crash. */
#define FUZZ_CHECK(condition, ...)                                                            \
	do {                                                                                  \
		if (!(condition)) {                                                           \
			fprintf(stderr, FUZZ_NAME ": invariant broken: " __VA_ARGS__);        \
			fprintf(stderr, "\n");                                                \
			abort();                                                              \
		}                                                                             \
	} while (0)

/* FUZZ_TRACE set in the environment: every operation is printed (to replay a crash file). */
static inline bool fuzz_trace_enabled(void)
{
	static int enabled = -1;    /* -1 until the environment has been read */

	if (enabled < 0)
		enabled = getenv("FUZZ_TRACE") != NULL;
	return enabled;
}

#define TRACE(...)                                                                            \
	do {                                                                                  \
		if (fuzz_trace_enabled())                                                     \
			fprintf(stderr, __VA_ARGS__);                                         \
	} while (0)

/* ---- the input as a stream of operands ------------------------------------------------------ */

struct fuzz_input {
	const uint8_t *data;
	size_t size, pos;
};

/* The next byte; 0 once the input is used up (operations then see zeros and the loop ends). */
static inline uint8_t input_u8(struct fuzz_input *in)
{
	return in->pos < in->size ? in->data[in->pos++] : 0;
}

static inline uint16_t input_u16(struct fuzz_input *in)
{
	uint16_t low = input_u8(in);

	return (uint16_t)(low | input_u8(in) << 8);
}

static inline uint32_t input_u32(struct fuzz_input *in)
{
	uint32_t low = input_u16(in);

	return low | (uint32_t)input_u16(in) << 16;
}

static inline uint64_t input_u64(struct fuzz_input *in)
{
	uint64_t low = input_u32(in);

	return low | (uint64_t)input_u32(in) << 32;
}

#endif
