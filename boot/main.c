/* SPDX-License-Identifier: MIT */
/*
 * apicvisor's entry point: a UEFI application that reads its configuration, loads the guest,
 * checks VT-x, takes every page it will need from the firmware, leaves boot services and from
 * then on is the only software in VMX root operation.
 */
#include <efi.h>
#include <efilib.h>

#include "../apicv/delivery.h"
#include "../apicv/vlapic.h"
#include "../devices/acpi_tables.h"
#include "../devices/rtc.h"
#include "../lib/fmt.h"
#include "../vmx/ept.h"
#include "../vmx/host_apic.h"
#include "../platform/platform.h"
#include "../platform/platform_irq.h"
#include "../vmx/vmcs.h"
#include "../vmx/exit.h"
#include "../vmx/vmx.h"
#include "bios.h"
#include "config.h"
#include "console.h"
#include "cpu.h"
#include "efi_util.h"
#include "host_guard.h"
#include "housekeeping.h"
#include "linux.h"
#include "multiboot.h"
#include "smp.h"
#include "x86.h"

#include "version.h" /* generated: APICVISOR_VERSION, `git describe` of the build */

/* boot/bios_rom_blob.asm: the BIOS's real-mode handlers (boot/bios_rom.asm). */
extern const uint8_t bios_rom_start[], bios_rom_end[];

#define CONFIG_FILE "\\apicvisor.cfg"
#define MIB (1ull << 20)
#define TSC_CALIBRATION_US 100000
/* A vCPU's own EPT root and the tables on the path to its APIC page (ept_private_root,
 * apicv/delivery.c map_own_page): 4 pages at least; more before its root has to start again. */
#define APIC_EPT_POOL_PAGES 8

/* What efi_main prepares for the hypervisor proper; read-only once it runs. */
static struct config config;
static struct vmx_caps caps;
static struct vmx_config vmx_config;
static struct guest guest;
static struct smp_plan smp;
static struct percpu percpus[MAX_CPUS];
static void *vmxon_regions[MAX_CPUS];
static void *vmcs_pages[MAX_CPUS];
static void *msr_bitmaps[MAX_CPUS];
static struct apic_pages apic_pages[MAX_CPUS];
static struct scenario_result *scenario_records[MAX_CPUS];
static const char *mode_reason;
static enum apicvisor_mode mode;

static void read_configuration(EFI_HANDLE image)
{
	char err[160];
	char options[2048];
	uint8_t *text;
	size_t size;
	EFI_STATUS status;

	config_defaults(&config);
	status = efi_read_file(image, CONFIG_FILE, &text, &size);
	if (status == EFI_SUCCESS) {
		if (config_parse_text(&config, (const char *)text, size, "apicvisor.cfg", err,
				      sizeof(err)))
			boot_fail("%s", err);
		FreePool(text);
	} else if (status != EFI_NOT_FOUND) {
		boot_fail("cannot read %s: %s", CONFIG_FILE, efi_status_name(status));
	}
	efi_load_options(image, options, sizeof(options));
	if (config_parse_cmdline(&config, options, strlen(options), err, sizeof(err)))
		boot_fail("%s", err);
	console_level = config.log;
	log_info("apicvisor: config: guest=%s mode=%s timeout=%u log=%s mem=%u testdev=%s "
		 "args='%s'\n", config.guest, config_mode_name(config.mode), config.timeout_s,
		 config_log_name(config.log), config.mem_mib, config.testdev ? "on" : "off",
		 config.guest_args);
	if (config.fault != FAULT_NONE)
		kprintf("apicvisor: fault=%s: this run fails on purpose (a test of how failures are "
			"reported)\n", config_fault_name(config.fault));
}

/* Every structure the hypervisor keeps for itself (and guest RAM) is allocated between two guard
 * pages holding the isolation secret (boot/host_guard.c): checked at each scenario's end and at
 * the end of the run, and what the guest's isolation probes must never find. */
static void *alloc_guarded_below(size_t pages, const char *what, bool zero, uint64_t below)
{
	EFI_STATUS status;
	uint8_t *block = efi_try_alloc_pages(pages + 2, below, &status);
	uint8_t *inside = block + HOST_GUARD_PAGE_SIZE;

	if (!block)
		boot_fail("cannot allocate %zu KiB for %s: %s", pages * 4, what,
			  efi_status_name(status));
	if (!host_guard_register(what, block, inside + pages * HOST_GUARD_PAGE_SIZE))
		boot_fail("more than %u guarded structures (%s)", HOST_GUARD_MAX, what);
	if (zero)
		memset(inside, 0, pages * HOST_GUARD_PAGE_SIZE);
	return inside;
}

static void *alloc_guarded(size_t pages, const char *what, bool zero)
{
	return alloc_guarded_below(pages, what, zero, 0);
}

/* REP STOSQ over whole pages: the fastest plain store loop on every x86-64 CPU, and one
 * instruction an emulator can run as a block (Bochs does 128 MiB in well under a second). */
static void zero_guest_ram(void *ram, uint64_t bytes)
{
	uint64_t start = rdtsc();
	void *dst = ram;
	uint64_t count = bytes / 8;

	__asm__ volatile("rep stosq" : "+D"(dst), "+c"(count) : "a"(0ull) : "memory");
	log_info("apicvisor: guest RAM cleared: %llu MiB in %llu TSC cycles\n",
		 (unsigned long long)(bytes >> 20), (unsigned long long)(rdtsc() - start));
}

/* One vCPU per CPU the plan names, but for the housekeeping CPU. */
static unsigned planned_vcpus(void)
{
	return config.housekeeping ? smp.count - 1 : smp.count;
}

/* The guest's ACPI tables (QEMU pc's layout) for `cpus` vCPUs, APIC IDs 0..cpus-1: built before
 * the APs start for every vCPU the plan names, again afterwards when one did not come up.
 * Returns the RSDP's address. */
static uint32_t build_guest_acpi(unsigned cpus)
{
	struct acpi_platform acpi;
	char err[160];

	acpi_platform_defaults(&acpi, cpus);
	if (acpi_build_tables(guest.ram, guest.ram_bytes, &acpi, err, sizeof(err)))
		boot_fail("ACPI tables for %u vCPU%s: %s", cpus, cpus == 1 ? "" : "s", err);
	return acpi.rsdp_gpa;
}

/* Reads and checks the guest before anything else, so a wrong image is reported even on a
 * machine without VT-x. */
/* A Linux bzImage (boot/linux.h): the kernel, its command line (the arguments alone, as QEMU's
 * -append gives them to a bzImage) and the initrd. */
static void load_linux(EFI_HANDLE image, const uint8_t *file, size_t size, uint32_t rsdp_gpa)
{
	struct linux_image plan;
	struct linux_boot boot;
	uint8_t *initrd = NULL;
	size_t initrd_size = 0;
	char err[200];

	if (linux_parse(file, size, guest.ram_bytes, &plan, err, sizeof(err)))
		boot_fail("guest image %s: %s", config.guest, err);
	if (config.module_count)
		boot_fail("guest image %s: a bzImage takes an initrd (initrd=), not multiboot "
			  "modules (modules=)", config.guest);
	if (config.initrd[0]) {
		EFI_STATUS status = efi_read_file(image, config.initrd, &initrd, &initrd_size);

		if (EFI_ERROR(status))
			boot_fail("initrd %s: %s on the boot volume", config.initrd,
				  status == EFI_NOT_FOUND ? "not found" : efi_status_name(status));
	}
	if (linux_load(file, &plan, guest.ram, guest.ram_bytes, config.guest_args, initrd,
		       initrd_size, rsdp_gpa, &boot, err, sizeof(err)))
		boot_fail("guest image %s: %s", config.guest, err);
	if (initrd)
		FreePool(initrd);
	guest.entry = boot.entry;
	guest.boot_params_gpa = boot.boot_params_gpa;
	log_info("apicvisor: guest %s: Linux bzImage, boot protocol %u.%02u, entry %#x, %u MiB "
		 "RAM, initrd %u bytes at %#x, ACPI RSDP at %#x\n", config.guest,
		 plan.protocol >> 8, plan.protocol & 0xFF, boot.entry, config.mem_mib,
		 boot.initrd_size, boot.initrd_gpa, rsdp_gpa);
}

/* A multiboot kernel (boot/multiboot.h) and its modules. */
static void load_multiboot(EFI_HANDLE image, const uint8_t *file, size_t size, uint32_t rsdp_gpa)
{
	struct multiboot_module modules[CONFIG_MAX_MODULES];
	uint8_t *module_files[CONFIG_MAX_MODULES];
	/* The kernel's command line as QEMU's -kernel and GRUB pass it: the kernel's path, a
	 * space, the arguments (the space stays when there are none, as in QEMU); kernels take
	 * the first word as their program name. */
	static char cmdline[CONFIG_PATH_MAX + 1 + CONFIG_ARGS_MAX];
	struct multiboot_image plan;
	char err[200];
	size_t module_size;

	if (multiboot_parse(file, size, guest.ram_bytes, &plan, err, sizeof(err)))
		boot_fail("guest image %s: %s", config.guest, err);
	if (config.initrd[0])
		boot_fail("guest image %s: initrd= is for a Linux bzImage; a multiboot kernel takes "
			  "modules (modules=)", config.guest);
	for (unsigned i = 0; i < config.module_count; i++) {
		EFI_STATUS status = efi_read_file(image, config.modules[i].path, &module_files[i],
						  &module_size);

		if (EFI_ERROR(status))
			boot_fail("multiboot module %s: %s on the boot volume", config.modules[i].path,
				  status == EFI_NOT_FOUND ? "not found" : efi_status_name(status));
		modules[i] = (struct multiboot_module){ module_files[i], module_size,
							config.modules[i].string };
	}
	multiboot_load(file, &plan, guest.ram);
	fmt_snprintf(cmdline, sizeof(cmdline), "%s %s", config.guest, config.guest_args);
	if (multiboot_build_info_modules(guest.ram, guest.ram_bytes, &plan, cmdline,
					 modules, config.module_count, &guest.info_gpa, err,
					 sizeof(err)))
		boot_fail("guest image %s: %s", config.guest, err);
	for (unsigned i = 0; i < config.module_count; i++)
		FreePool(module_files[i]);
	guest.entry = plan.entry;
	log_info("apicvisor: guest %s: %s, %u segment(s), entry %#x, %u MiB RAM, %u module(s), "
		 "info at %#x, ACPI RSDP at %#x\n",
		 config.guest, plan.aout_kludge ? "multiboot a.out kludge" : "multiboot ELF32",
		 plan.segment_count, plan.entry, config.mem_mib, config.module_count,
		 guest.info_gpa, rsdp_gpa);
}

/* Reads the guest image, tells a bzImage from a multiboot kernel by its contents, and builds
 * guest RAM: the BIOS's memory (boot/bios.h), the ACPI tables, the kernel. */
static void load_guest(EFI_HANDLE image)
{
	uint32_t rsdp_gpa;
	char err[200];
	uint8_t *file;
	size_t size;
	EFI_STATUS status = efi_read_file(image, config.guest, &file, &size);

	if (EFI_ERROR(status))
		boot_fail("guest image %s: %s on the boot volume", config.guest,
			  status == EFI_NOT_FOUND ? "not found" : efi_status_name(status));
	guest.ram_bytes = (uint64_t)config.mem_mib * MIB;
	guest.is_linux = linux_is_bzimage(file, size);
	/* Guest RAM is cleared before anything is loaded into it: the guest must never read what
	 * the firmware or an earlier boot left in those pages. */
	guest.ram = alloc_guarded(guest.ram_bytes / 4096, "guest RAM (mem=)", false);
	zero_guest_ram(guest.ram, guest.ram_bytes);
	/* What the BIOS leaves (boot/bios.h): the vector table, the data area, the EBDA and its
	 * handlers in the BIOS area, which also holds the ACPI tables (the RSDP is found by
	 * scanning 0xE0000-0xFFFFF, ACPI §5.2.5.1). The memory map reports all but the vector
	 * table and the data area reserved; a kernel image that covers the vector table, loaded
	 * next, wins. */
	if (bios_write_vector_table(guest.ram, bios_rom_start,
				    (size_t)(bios_rom_end - bios_rom_start), err, sizeof(err)))
		boot_fail("%s", err);
	rsdp_gpa = build_guest_acpi(planned_vcpus());
	bios_write_data_areas(guest.ram, bios_rom_start, (size_t)(bios_rom_end - bios_rom_start));
	if (guest.is_linux)
		load_linux(image, file, size, rsdp_gpa);
	else
		load_multiboot(image, file, size, rsdp_gpa);
	FreePool(file);
	guest.path = config.guest;
	guest.args = config.guest_args;
}

/* Posted mode without the CPU feature drains the descriptor in software (apicv/delivery.c). */
static const char *posted_path(void)
{
	return vmx_caps_posted_in_hardware(&caps) ? "hardware"
						  : "software (this CPU has no posted-interrupt "
						    "processing)";
}

static void check_vmx(void)
{
	char unusable[200];

	vmx_probe(&caps);
	if ((caps.cpuid1_ecx & (1u << 5)) && console_level >= LOG_INFO)
		vmx_caps_print(&console, &caps);
	if (vmx_caps_unusable_reason(&caps, unusable, sizeof(unusable)))
		boot_fail("%s", unusable);
	mode = vmx_caps_degrade_mode(&caps, config.mode, false, &mode_reason);
	if (mode_reason)
		log_info("apicvisor: mode %s requested, lowered to %s: this CPU has no %s\n",
			 config_mode_name(config.mode), config_mode_name(mode), mode_reason);
	else
		log_info("apicvisor: mode %s\n", config_mode_name(mode));
	if (mode == MODE_POSTED)
		log_info("apicvisor: posted-interrupt processing in %s\n", posted_path());
}

static uint64_t measure_tsc_hz(void)
{
	uint64_t start = rdtsc();

	BS->Stall(TSC_CALIBRATION_US);
	return (rdtsc() - start) * (1000000 / TSC_CALIBRATION_US);
}

static void mask_legacy_interrupts(void)
{
	/* Root mode runs with IF = 0 and nothing should interrupt the guest either: the 8259 pair
	 * fully masked, and the LAPIC timer firmware left running masked. */
	outb(0x21, 0xFF);
	outb(0xA1, 0xFF);
	host_apic_mask_timer();
}

/* Root mode's NMI handler (boot/traps.asm) counts and returns: check it once with an NMI to
 * this CPU before the guest runs, so that a host NMI later can never bring the hypervisor down
 * unnoticed. */
static void check_root_nmi_handler(void)
{
	uint64_t before = cpu_root_nmis;

	host_apic_send_self_nmi();
	for (unsigned i = 0; i < 100000 && cpu_root_nmis == before; i++)
		__asm__ volatile("pause");
	if (cpu_root_nmis != before)
		log_info("apicvisor: root-mode NMI handler: the self-test NMI was taken and "
			 "returned\n");
	else
		kprintf("apicvisor: root-mode NMI handler: the self-test NMI did not arrive (the "
			"handler is installed; this platform did not deliver it)\n");
}

static struct run_summary summary;

/* The firmware's clock, for the guest's RTC: what UEFI GetTime said, and the TSC then. The RTC
 * shows it as the firmware gives it (a PC's RTC and its firmware read the same clock; with no
 * time zone the firmware's time is local time, which it is for QEMU and Bochs: UTC). */
static struct {
	uint64_t seconds;
	uint64_t tsc;
} firmware_clock;

static void read_firmware_clock(void)
{
	EFI_TIME t;
	EFI_STATUS status = RT->GetTime(&t, NULL);
	struct rtc_civil c;

	firmware_clock.tsc = rdtsc();
	if (EFI_ERROR(status) || t.Year < 1970 || t.Month < 1 || t.Month > 12 || t.Day < 1 ||
	    t.Day > 31 || t.Hour > 23 || t.Minute > 59 || t.Second > 59) {
		kprintf("apicvisor: the firmware's clock gave no valid time (%s): the guest's RTC "
			"starts at 1970-01-01 00:00:00\n", efi_status_name(status));
		return;
	}
	c = (struct rtc_civil){ t.Year, t.Month, t.Day, t.Hour, t.Minute, t.Second, 0 };
	firmware_clock.seconds = rtc_unix_from_civil(&c);
}

/* The firmware's clock now, moved on by the TSC since it was read. */
static uint64_t wall_clock_now(void)
{
	return firmware_clock.seconds + (rdtsc() - firmware_clock.tsc) / vmx_config.tsc_hz;
}

/* The guest's ACPI tables list one processor per vCPU (APIC IDs 0..n-1). They were built for
 * every vCPU the plan named; rebuilt here when an AP did not come up. */
static void describe_vcpus_to_guest(unsigned count)
{
	if (count == planned_vcpus())
		return;
	build_guest_acpi(count);
	kprintf("apicvisor: the guest's MADT lists %u vCPU%s\n", count, count == 1 ? "" : "s");
}

/* vCPU `index` on the CPU this runs on (percpus[cpu]), VMX already on: its VMCS, vLAPIC and
 * delivery mode. The BSP's starts at the multiboot entry; an AP's in its INIT state, held in
 * root mode until the guest sends it a start-up IPI. */
static const char *vcpu_setup(unsigned index, unsigned cpu)
{
	struct vcpu *v = &vcpus[index];
	const char *err;

	v->id = index;
	v->guest = &guest;
	v->vmcs = vmcs_pages[index];
	v->msr_bitmap = msr_bitmaps[index];
	v->scenarios = scenario_records[index];
	v->host_apic_id = smp.apic_ids[cpu];
	vcpu_make_current(v);
	exit_stats_init(&v->stats);
	platform_init(v);
	err = vmcs_setup(v, &percpus[cpu], &caps, &vmx_config);
	if (err)
		return err;
	apic_delivery_init(v, &apic_pages[index], vmx_config.tsc_hz, platform_maxphyaddr());
	if (config.housekeeping)
		apic_offload_timer(v);
	if (index > 0) {
		apic_set_mode(v, config.mode);
		vmcs_guest_init_state(v);
		v->waiting_for_sipi = true;
	}
	return NULL;
}

/* Set when vcpus[i] has left its run loop for good. */
static volatile bool vcpu_done[MAX_CPUS];
/* housekeeping=cpu0: vCPU 0 runs on an AP and enters the guest once CPU 0 has built the
 * platform and the guest's tables. */
static volatile bool guest_may_start;

static __attribute__((noreturn)) void ap_run(unsigned index)
{
	struct vcpu *v = &vcpus[index];

	if (index == 0) {
		while (!guest_may_start)
			__asm__ volatile("pause");
		apic_set_mode(v, config.mode);
	}
	vmx_run(v);
	/* The guest ended here (not by the end of the run): end it everywhere. */
	if (!v->stopped_by_others && index != 0)
		apic_stop_vcpu(&vcpus[0]);
	vcpu_done[index] = true;
	if (index == 0)
		apic_housekeeper_wake(); /* the housekeeping CPU ends the run (a fenced look) */
	for (;;)
		__asm__ volatile("cli; hlt");
}

static const struct smp_ap_ops ap_ops = { vcpu_setup, ap_run };

/* The guest ended on vCPU 0 or elsewhere: every other vCPU leaves its run loop (each is kicked
 * and sees VCPU_EVENT_STOP); their statistics are final once they have. */
static void stop_other_vcpus(void)
{
	uint64_t deadline = rdtsc() + vmx_config.tsc_hz;

	for (unsigned i = 0; i < vcpu_count; i++)
		if (vcpu_current() != &vcpus[i])
			apic_stop_vcpu(&vcpus[i]);
	for (unsigned i = 0; i < vcpu_count; i++) {
		if (vcpu_current() == &vcpus[i])
			continue;
		while (!vcpu_done[i] && rdtsc() < deadline)
			__asm__ volatile("pause");
		if (!vcpu_done[i])
			kprintf("apicvisor: vCPU %u did not stop within 1 s; its statistics may be "
				"incomplete\n", i);
	}
}

/* The vCPU whose guest ended the run: vCPU 0 unless it was stopped because another ended. */
static struct vcpu *ending_vcpu(void)
{
	for (unsigned i = 1; vcpus[0].stopped_by_others && i < vcpu_count; i++)
		if (vcpus[i].end != GUEST_END_RUNNING)
			return &vcpus[i];
	return &vcpus[0];
}

/* housekeeping=cpu0: CPU 0's identity in root mode (vcpu_current(): the devices' lock and the
 * posting counters); it is no vCPU and never enters a guest. */
static struct vcpu housekeeper = { .id = MAX_CPUS };

static __attribute__((noreturn)) void hypervisor_main(void *arg)
{
	struct percpu *cpu = arg;
	struct vcpu *v = &vcpus[0];
	struct housekeeping_summary housekeeping = { 0 };
	const char *err, *broken_guard;
	bool success;

	check_root_nmi_handler();
	err = vmx_cpu_on(&caps, vmxon_regions[cpu->id]);
	if (err)
		boot_fail("CPU %u: %s", cpu->id, err);
	host_apic_software_enable(HOST_VECTOR_SPURIOUS);
	if (config.housekeeping) {
		housekeeper.host_apic_id = smp.apic_ids[cpu->id];
		vcpu_make_current(&housekeeper);
		apic_housekeeping_enable(housekeeper.host_apic_id);
	} else {
		err = vcpu_setup(0, cpu->id);
		if (err)
			boot_fail("cannot build the VMCS: %s", err);
	}
	vcpu_count = smp_start_aps(&smp, percpus, vmxon_regions, &caps, vmx_config.tsc_hz,
				   read_cr3(), &ap_ops, config.housekeeping ? 0 : 1,
				   config.cpus != CONFIG_CPUS_ALL, config.fault == FAULT_AP_SILENT);
	if (!vcpu_count)
		boot_fail("housekeeping=cpu0: no other CPU came up to run the guest");
	vcpus_concurrent = vcpu_count > 1 || config.housekeeping;
	if (!config.housekeeping)
		vcpu_make_current(v);
	uint64_t wall_clock = wall_clock_now();

	platform_irq_init(v, vmx_config.tsc_hz, config.testdev, vcpu_count, wall_clock);
	/* The BIOS's tick count from the time the RTC starts at, as the BIOS reads it there. */
	bios_write_ticks(guest.ram, bios_ticks_since_midnight((uint32_t)(wall_clock % 86400)));
	describe_vcpus_to_guest(vcpu_count);
	if (config.housekeeping)
		platform_irq_housekeeping(); /* before the hand-off's writes, which may set timers */
	platform_irq_bios_handoff();
	if (config.housekeeping) {
		log_info("apicvisor: CPU %u is the housekeeping CPU (the device and vLAPIC timers; "
			 "their interrupts posted in posted mode); vCPU 0 starts the guest on the "
			 "first AP\n", cpu->id);
		guest_may_start = true;
		housekeeping_run(&vcpu_done[0], &housekeeping);
	} else {
		apic_set_mode(v, config.mode);
		log_info("apicvisor: launching the guest on CPU %u%s\n", cpu->id,
			 vcpu_count > 1 ? " (vCPU 0; the others wait for the guest's INIT and SIPI)"
					: "");
		vmx_run(v);
	}
	if (vcpus_concurrent)
		stop_other_vcpus();
	platform_flush_console(v);
	const struct vcpu *ended = ending_vcpu();

	summary = (struct run_summary){
		.housekeeping = housekeeping,
		.version = APICVISOR_VERSION,
		.mode_requested = config_mode_name(config.mode),
		.mode_effective = config_mode_name(mode),
		.mode_reason = mode_reason,
		.posted_interrupts = mode != MODE_POSTED ? NULL
			: vmx_caps_posted_in_hardware(&caps) ? "hardware" : "software",
		.guest_path = guest.path,
		.guest_args = guest.args,
		.tsc_hz = vmx_config.tsc_hz,
		.end = ended->end,
		.exit_value = ended->exit_value,
		.end_detail = ended->end_detail,
		.guest_cycles = v->end_tsc - v->first_entry_tsc,
		.cpu_count = vcpu_count,
		.scenario_count = v->scenario_count,
		.scenarios = v->scenarios,
		.host_nmis_in_root = cpu_root_nmis,
		.unbacked = platform_unbacked_stats(),
	};
	/* Per vCPU: the exit statistics; in total: the counters. */
	for (unsigned i = 0; i < vcpu_count; i++) {
		summary.cpus[i] = &vcpus[i].stats;
		summary.msr_gp_injected += vcpus[i].msr_gp_injected;
		summary.io_unhandled += vcpus[i].io_unhandled;
		summary.timer_periods_clamped +=
			vlapic_stats(vcpus[i].vlapic)->timer_periods_clamped;
		summary.host_nmis_in_guest += vcpus[i].host_nmis;
	}
	stats_print_table(&console, &summary);
	kprintf("%s\n", STATS_JSON_BEGIN_MARKER);
	stats_print_json(&console, &summary);
	kprintf("%s\n", STATS_JSON_END_MARKER);
	success = run_summary_success(&summary);
	broken_guard = host_guard_check(true);
	if (broken_guard) {
		kprintf("apicvisor: FATAL: hypervisor memory corrupted: %s changed\n", broken_guard);
		success = false;
	} else {
		log_info("apicvisor: %u guard pages around the hypervisor's structures intact (%llu "
			 "checks)\n", host_guard_count(), (unsigned long long)host_guard_checks());
	}
	vmx_cpu_off();
	kprintf("apicvisor: done (%s), powering off\n", success ? "success" : "failure");
	platform_power_off(success);
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *system_table);

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *system_table)
{
	uint64_t physical_top, cr3;
	void *identity_map;

	InitializeLib(image, system_table);
	console_use_firmware(system_table->ConOut);
	kprintf("\napicvisor %s: VT-x interrupt virtualization, one guest\n", APICVISOR_VERSION);

	read_configuration(image);
	smp_discover(system_table, config.cpus, &smp);
	if (config.housekeeping && smp.count < 2)
		boot_fail("housekeeping=cpu0 needs a second CPU to run the guest, and this run has "
			  "%u (cpus=)", smp.count);
	load_guest(image);
	check_vmx();

	vmx_config.mode = mode;
	vmx_config.timeout_s = config.timeout_s;
	vmx_config.fault = config.fault;
	vmx_config.strict = config.strict;
	vmx_config.tsc_hz = measure_tsc_hz();
	read_firmware_clock();
	log_info("apicvisor: TSC %llu Hz (measured over %u ms of firmware Stall)\n",
		 (unsigned long long)vmx_config.tsc_hz, TSC_CALIBRATION_US / 1000);
	if (config.timeout_s && !vmx_control_allowed(&caps, VMX_CTL_PIN, PIN_PREEMPTION_TIMER))
		log_info("apicvisor: no VMX-preemption timer: timeout=%u cannot be enforced\n",
			 config.timeout_s);

	/* Everything the hypervisor will ever use, before the firmware's allocator goes away. */
	vmx_config.io_bitmaps = alloc_guarded(2, "the I/O bitmaps", true);
	/* Per vCPU; the APIC-access page is one for all (EPT, shared, maps it at the APIC base). */
	void *apic_access_page = NULL;

	for (unsigned i = 0; i < smp.count; i++) {
		msr_bitmaps[i] = alloc_guarded(1, "an MSR bitmap", true);
		vmcs_pages[i] = alloc_guarded(1, "a VMCS", true);
		scenario_records[i] = alloc_guarded(
			(VCPU_MAX_SCENARIOS * sizeof(struct scenario_result) + 4095) / 4096,
			"scenario records", true);
		apic_pages[i] = (struct apic_pages){
			.vlapic_page = alloc_guarded(1, "a vLAPIC page", true),
			.apic_access_page = i ? apic_access_page
					      : alloc_guarded(1, "the APIC-access page", true),
			.pi_desc = alloc_guarded(1, "a posted-interrupt descriptor", true),
			.ept_pool = alloc_guarded(APIC_EPT_POOL_PAGES, "EPT structures", true),
			.ept_pool_pages = APIC_EPT_POOL_PAGES,
		};
		apic_access_page = apic_pages[0].apic_access_page;
	}
	guest.ept_pointer = ept_build(alloc_guarded(ept_pages_needed(guest.ram_bytes),
						      "EPT tables", false),
				      (uint64_t)(uintptr_t)guest.ram, guest.ram_bytes);
	/* Each CPU's own root-mode structures; the BSP's first, as before SMP. */
	for (unsigned i = 0; i < smp.count; i++) {
		vmxon_regions[i] = alloc_guarded(1, "a VMXON region", true);
		cpu_init_percpu(&percpus[i], i,
				alloc_guarded(ROOT_STACK_SIZE / 4096, "a root-mode stack", false),
				alloc_guarded(IST_STACK_SIZE / 4096, "an exception stack", false));
	}
	smp_reserve_trampoline(&smp);
	physical_top = efi_physical_top();
	/* Below 4 GiB: an AP loads CR3 from 32-bit code on its way to 64-bit mode. */
	identity_map = alloc_guarded_below(cpu_identity_map_pages(physical_top), "page tables",
					   false, 1ull << 32);
	cr3 = cpu_build_identity_map(identity_map, physical_top);
	log_info("apicvisor: identity map of %llu GiB; leaving boot services\n",
		 (unsigned long long)(physical_top >> 30));

	efi_exit_boot_services(image);
	__asm__ volatile("cli");
	console_use_serial();
	mask_legacy_interrupts();
	cpu_load_tables(&percpus[0]);
	write_cr3(cr3);
	cpu_run_on_stack(percpus[0].stack_top, hypervisor_main, &percpus[0]);
}
