/* SPDX-License-Identifier: MIT */
/* The few UEFI boot services apicvisor uses before ExitBootServices, each reporting failures
 * in words. */
#ifndef APICVISOR_EFI_UTIL_H
#define APICVISOR_EFI_UTIL_H

#include <efi.h>

#include "../lib/klib.h"

/* Prints "apicvisor: error: ..." and powers off with a failure status. */
__attribute__((noreturn, format(printf, 1, 2))) void boot_fail(const char *format, ...);

/* Pages from the firmware (EfiLoaderData, physical == virtual), zeroed unless `zero` is
 * false; stops the boot with a message naming `what` if there are not enough. */
void *efi_alloc_pages(size_t pages, const char *what, bool zero);
/* The same without stopping: NULL, with the firmware's status, when it cannot. With `below`
 * non-zero the pages end below that physical address (the AP start-up page below 1 MiB, page
 * tables a 32-bit CR3 load can reach below 4 GiB). */
void *efi_try_alloc_pages(size_t pages, uint64_t below, EFI_STATUS *status);

/* Reads a whole file from the volume apicvisor was loaded from. Returns EFI_SUCCESS with a
 * pool buffer (one spare byte, NUL-terminated), or the firmware's status. */
EFI_STATUS efi_read_file(EFI_HANDLE image, const char *path, uint8_t **data, size_t *size);

/* A readable name for an EFI_STATUS ("not found", "out of resources"...). */
const char *efi_status_name(EFI_STATUS status);

/* The load options as ASCII, or an empty string when there are none or they are not text
 * (a boot manager may pass binary data). */
void efi_load_options(EFI_HANDLE image, char *out, size_t size);

/* Highest physical address in the firmware's memory map, rounded up to 1 GiB, at least 4 GiB
 * (so MMIO below 4 GiB is covered by the identity map). */
uint64_t efi_physical_top(void);

/* Takes the final memory map and leaves boot services. */
void efi_exit_boot_services(EFI_HANDLE image);

#endif
