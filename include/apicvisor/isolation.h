/* SPDX-License-Identifier: MIT */
/*
 * The isolation secret, shared by the hypervisor and the test guest's isolation probes.
 *
 * apicvisor fills a page of its own memory with APICVISOR_SECRET_WORDS 64-bit words, word i
 * being apicvisor_secret_word(i), and keeps guard words with the same values around its host
 * structures. A guest that could read hypervisor memory would find the sequence; the isolation
 * scenario looks for it everywhere it can reach and must never find it.
 *
 * The words are stored here XOR-ed with a mask, so that neither binary holds the sequence
 * itself as data (a guest scanning its own image would otherwise find its own copy): compute a
 * word when it is compared, never keep the sequence in memory.
 */
#ifndef APICVISOR_ISOLATION_H
#define APICVISOR_ISOLATION_H

#include <stdint.h>

#define APICVISOR_SECRET_WORDS 4u
#define APICVISOR_SECRET_MASK 0xA5C3F00F5A3C0FF0ull

static inline uint64_t apicvisor_secret_word(unsigned i)
{
	static const uint64_t masked[APICVISOR_SECRET_WORDS] = {
		0xD7B19A7E3F5B6F85ull, 0x16A38D7C39487BA0ull,
		0xC4F7C16B2E7C61D8ull, 0x31B9C4E6C1A60F17ull,
	};

	return masked[i % APICVISOR_SECRET_WORDS] ^ APICVISOR_SECRET_MASK;
}

#endif
