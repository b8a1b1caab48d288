/* SPDX-License-Identifier: MIT */
/*
 * The C library string functions of a freestanding program. GCC may emit calls to memcpy,
 * memmove, memset and memcmp on its own, even with -ffreestanding ("GCC requires the
 * freestanding environment provide memcpy, memmove, memset and memcmp", GCC manual, "C
 * Language"), so these four exist whether or not the guest's own code calls them.
 */
#ifndef GUEST_STRING_H
#define GUEST_STRING_H

#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#endif
