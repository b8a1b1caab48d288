/* SPDX-License-Identifier: MIT */
/*
 * The few C library functions the hypervisor's plain-C modules use. In the EFI build they come
 * from lib/string.c (freestanding); in host unit tests from the host's libc.
 */
#ifndef APICVISOR_KLIB_H
#define APICVISOR_KLIB_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef APICVISOR_HOSTED
#include <string.h>
#else
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
