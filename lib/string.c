/* SPDX-License-Identifier: MIT */
/*
 * The C library's memory and string functions for the EFI build (lib/klib.h declares them; host
 * unit tests use the host's libc instead, so this file is not part of them).
 *
 * Why every function carries KLIB_NO_LIBCALL_LOOPS: gcc's loop-distribution pass
 * (-ftree-loop-distribute-patterns, on at -O2 and above) recognises byte-copy and byte-fill loops
 * and replaces them with calls to memcpy/memset (gcc 12 also knows strlen-like loops). Inside
 * memset itself that is infinite recursion (gcc bug 56888). gcc 12 with -ffreestanding happens
 * not to do it for these loops, but older releases did, and without -ffreestanding gcc 12 turns
 * a plain fill loop named memset into `call memset`; nothing promises the behaviour across
 * versions and flags. glibc guards its C fallbacks the same way (inhibit_loop_to_libcall). The
 * attribute turns off only that pass, only in this file; `nm` on the object shows no undefined
 * symbol at -O2, -O3 and -Os.
 *
 * memcpy and memset are not here: GNU-EFI's libefi (init.o, which InitializeLib pulls in) already
 * defines both, and two definitions would not link.
 *
 * The forward case of memmove uses REP MOVSB: short, correct on every x86-64 CPU and fast on
 * those with ERMSB (Intel 64 and IA-32 Architectures Optimization Reference Manual, "Enhanced REP
 * MOVSB and STOSB Operation"), and gcc cannot rewrite inline assembly into a call. The direction
 * flag is clear on entry to every function under both the UEFI and the System V calling
 * conventions, so the copy runs upward.
 */
#include "klib.h"

#if defined(__clang__)
/* clang has no optimize attribute; with -ffreestanding (implying -fno-builtin) its loop-idiom
 * pass treats memset/memcpy as unavailable and does not create calls to them. */
#define KLIB_NO_LIBCALL_LOOPS
#else
#define KLIB_NO_LIBCALL_LOOPS __attribute__((optimize("no-tree-loop-distribute-patterns")))
#endif

KLIB_NO_LIBCALL_LOOPS
void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d == s || n == 0)
		return dst;
	/* Copying upward is safe unless the destination starts inside the source. */
	if (d < s || d >= s + n) {
		__asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
		return dst;
	}
	while (n > 0) {
		n--;
		d[n] = s[n];
	}
	return dst;
}

KLIB_NO_LIBCALL_LOOPS
int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a;
	const unsigned char *y = b;

	for (size_t i = 0; i < n; i++) {
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	}
	return 0;
}

KLIB_NO_LIBCALL_LOOPS
size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n] != '\0')
		n++;
	return n;
}

KLIB_NO_LIBCALL_LOOPS
size_t strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n] != '\0')
		n++;
	return n;
}

KLIB_NO_LIBCALL_LOOPS
int strcmp(const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *)a;
	const unsigned char *y = (const unsigned char *)b;

	while (*x != '\0' && *x == *y) {
		x++;
		y++;
	}
	return (*x > *y) - (*x < *y);
}

KLIB_NO_LIBCALL_LOOPS
int strncmp(const char *a, const char *b, size_t n)
{
	const unsigned char *x = (const unsigned char *)a;
	const unsigned char *y = (const unsigned char *)b;

	for (size_t i = 0; i < n; i++) {
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
		if (x[i] == '\0')
			return 0;
	}
	return 0;
}
