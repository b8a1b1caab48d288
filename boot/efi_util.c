/* SPDX-License-Identifier: MIT */
#include "efi_util.h"

#include <efilib.h>

#include "console.h"
#include "cpu.h"
#include "x86.h"

void boot_fail(const char *format, ...)
{
	va_list ap;

	kprintf("apicvisor: error: ");
	va_start(ap, format);
	console_vprint(format, ap);
	va_end(ap);
	kprintf("\napicvisor: stopping (power off)\n");
	platform_power_off(false);
}

void platform_power_off(bool success)
{
	/* Runtime services stay callable after ExitBootServices: their regions are inside the
	 * identity map and SetVirtualAddressMap was never called (UEFI spec §8.1). */
	RT->ResetSystem(EfiResetShutdown, success ? EFI_SUCCESS : EFI_ABORTED, 0, NULL);
	kprintf("apicvisor: ResetSystem returned; halting\n");
	cpu_halt_forever();
	__builtin_unreachable();
}

const char *efi_status_name(EFI_STATUS status)
{
	switch (status) {
	case EFI_SUCCESS: return "success";
	case EFI_NOT_FOUND: return "not found";
	case EFI_OUT_OF_RESOURCES: return "out of resources";
	case EFI_INVALID_PARAMETER: return "invalid parameter";
	case EFI_UNSUPPORTED: return "unsupported";
	case EFI_DEVICE_ERROR: return "device error";
	case EFI_VOLUME_CORRUPTED: return "volume corrupted";
	case EFI_ACCESS_DENIED: return "access denied";
	case EFI_NO_MEDIA: return "no media";
	case EFI_BUFFER_TOO_SMALL: return "buffer too small";
	}
	return "firmware error";
}

void *efi_try_alloc_pages(size_t pages, uint64_t below, EFI_STATUS *status)
{
	EFI_PHYSICAL_ADDRESS address = below - 1;

	*status = BS->AllocatePages(below ? AllocateMaxAddress : AllocateAnyPages, EfiLoaderData,
				    pages, &address);
	return EFI_ERROR(*status) ? NULL : (void *)(uintptr_t)address;
}

void *efi_alloc_pages(size_t pages, const char *what, bool zero)
{
	EFI_PHYSICAL_ADDRESS address = 0;
	EFI_STATUS status = BS->AllocatePages(AllocateAnyPages, EfiLoaderData, pages, &address);

	if (EFI_ERROR(status))
		boot_fail("cannot allocate %zu KiB for %s: %s", pages * 4, what,
			  efi_status_name(status));
	if (zero)
		BS->SetMem((void *)(uintptr_t)address, pages * 4096, 0);
	return (void *)(uintptr_t)address;
}

EFI_STATUS efi_read_file(EFI_HANDLE image, const char *path, uint8_t **data, size_t *size)
{
	EFI_LOADED_IMAGE *loaded;
	EFI_FILE_HANDLE root, file;
	EFI_FILE_INFO *info;
	CHAR16 path16[CONFIG_PATH_MAX];
	EFI_STATUS status;
	UINTN length;
	size_t i;

	for (i = 0; path[i] && i + 1 < ARRAY_SIZE(path16); i++)
		path16[i] = (CHAR16)(unsigned char)path[i];
	path16[i] = 0;

	status = BS->HandleProtocol(image, &LoadedImageProtocol, (void **)&loaded);
	if (EFI_ERROR(status))
		return status;
	root = LibOpenRoot(loaded->DeviceHandle);
	if (!root)
		return EFI_NOT_FOUND;
	status = root->Open(root, &file, path16, EFI_FILE_MODE_READ, 0);
	root->Close(root);
	if (EFI_ERROR(status))
		return status;
	info = LibFileInfo(file);
	if (!info) {
		file->Close(file);
		return EFI_DEVICE_ERROR;
	}
	length = info->FileSize;
	FreePool(info);
	status = BS->AllocatePool(EfiLoaderData, length + 1, (void **)data);
	if (!EFI_ERROR(status)) {
		status = file->Read(file, &length, *data);
		(*data)[EFI_ERROR(status) ? 0 : length] = 0;
		*size = length;
	}
	file->Close(file);
	return status;
}

void efi_load_options(EFI_HANDLE image, char *out, size_t size)
{
	EFI_LOADED_IMAGE *loaded;
	const CHAR16 *options;
	size_t count, n = 0;

	out[0] = '\0';
	if (EFI_ERROR(BS->HandleProtocol(image, &LoadedImageProtocol, (void **)&loaded)) ||
	    !loaded->LoadOptions || loaded->LoadOptionsSize < sizeof(CHAR16))
		return;
	options = loaded->LoadOptions;
	count = loaded->LoadOptionsSize / sizeof(CHAR16);
	for (size_t i = 0; i < count && options[i]; i++) {
		if (options[i] < 0x20 || options[i] > 0x7E || n + 1 >= size) {
			out[0] = '\0'; /* not text (or too long to be ours): ignore it all */
			return;
		}
		out[n++] = (char)options[i];
	}
	out[n] = '\0';
}

/* GetMemoryMap into a pool buffer with room to spare (allocating the buffer can add entries). */
static EFI_MEMORY_DESCRIPTOR *memory_map(UINTN *size, UINTN *key, UINTN *descriptor_size)
{
	EFI_MEMORY_DESCRIPTOR *map = NULL;
	UINT32 version;
	EFI_STATUS status;

	*size = 0;
	status = BS->GetMemoryMap(size, NULL, key, descriptor_size, &version);
	if (status != EFI_BUFFER_TOO_SMALL)
		boot_fail("GetMemoryMap: %s", efi_status_name(status));
	*size += 8 * *descriptor_size;
	status = BS->AllocatePool(EfiLoaderData, *size, (void **)&map);
	if (EFI_ERROR(status))
		boot_fail("memory map buffer: %s", efi_status_name(status));
	status = BS->GetMemoryMap(size, map, key, descriptor_size, &version);
	if (EFI_ERROR(status))
		boot_fail("GetMemoryMap: %s", efi_status_name(status));
	return map;
}

uint64_t efi_physical_top(void)
{
	UINTN size, key, descriptor_size;
	EFI_MEMORY_DESCRIPTOR *map = memory_map(&size, &key, &descriptor_size);
	uint64_t top = 4ull << 30;

	for (UINTN offset = 0; offset < size; offset += descriptor_size) {
		EFI_MEMORY_DESCRIPTOR *d = (void *)((uint8_t *)map + offset);
		uint64_t end = d->PhysicalStart + d->NumberOfPages * 4096;

		if (end > top)
			top = end;
	}
	FreePool(map);
	return (top + (1ull << 30) - 1) & ~((1ull << 30) - 1);
}

void efi_exit_boot_services(EFI_HANDLE image)
{
	/* The map key changes whenever the map does; a failed ExitBootServices may have changed
	 * it, so take the map again (UEFI spec §7.4 "ExitBootServices()"). Nothing may print in
	 * between: console output can allocate. */
	for (int attempt = 0; attempt < 4; attempt++) {
		UINTN size, key, descriptor_size;

		memory_map(&size, &key, &descriptor_size);
		if (!EFI_ERROR(BS->ExitBootServices(image, key)))
			return;
	}
	boot_fail("ExitBootServices kept failing");
}
