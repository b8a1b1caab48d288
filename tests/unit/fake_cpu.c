/* SPDX-License-Identifier: MIT */
/* The fake CPU behind the hosted VMX glue (fake_cpu.h). */
#include "fake_cpu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apicv/delivery.h"
#include "apicv/vlapic.h"
#include "boot/console.h"
#include "boot/cpu.h"
#include "boot/x86.h"
#include "lib/fmt.h"
#include "vmx/ept.h"
#include "vmx/exit.h"
#include "platform/platform.h"
#include "platform/platform_irq.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"

struct fake_cpu fake;


/* ---- boot/x86.h --------------------------------------------------------------------------- */

uint8_t inb(uint16_t port)
{
	(void)port;
	return 0xFF;
}

void outb(uint16_t port, uint8_t v)
{
	(void)port;
	(void)v;
}

void fake_msr_set(uint32_t index, uint64_t value)
{
	for (unsigned i = 0; i < fake.msr_count; i++) {
		if (fake.msrs[i].index == index) {
			fake.msrs[i].value = value;
			return;
		}
	}
	if (fake.msr_count == FAKE_MSRS)
		abort();
	fake.msrs[fake.msr_count].index = index;
	fake.msrs[fake.msr_count++].value = value;
}

uint64_t rdmsr(uint32_t msr)
{
	for (unsigned i = 0; i < fake.msr_count; i++) {
		if (fake.msrs[i].index == msr)
			return fake.msrs[i].value;
	}
	return 0;
}

void wrmsr(uint32_t msr, uint64_t v)
{
	fake_msr_set(msr, v);
}

void fake_cpuid_set(uint32_t leaf, uint32_t subleaf, uint32_t eax, uint32_t ebx, uint32_t ecx,
		    uint32_t edx)
{
	for (unsigned i = 0; i < fake.cpuid_count; i++) {
		if (fake.cpuid[i].leaf == leaf && fake.cpuid[i].subleaf == subleaf) {
			fake.cpuid[i].r[0] = eax;
			fake.cpuid[i].r[1] = ebx;
			fake.cpuid[i].r[2] = ecx;
			fake.cpuid[i].r[3] = edx;
			return;
		}
	}
	if (fake.cpuid_count == FAKE_CPUID_LEAVES)
		abort();
	fake.cpuid[fake.cpuid_count++] = (typeof(fake.cpuid[0])){ leaf, subleaf,
								  { eax, ebx, ecx, edx } };
}

/* XSAVE area sizes by XCR0: the legacy area and header (576 bytes), + 256 for AVX. */
static uint32_t xsave_size(uint64_t xcr0)
{
	return 576 + ((xcr0 & XCR0_AVX) ? 256 : 0);
}

void cpuid(uint32_t leaf, uint32_t subleaf, uint32_t r[4])
{
	r[0] = r[1] = r[2] = r[3] = 0;
	for (unsigned i = 0; i < fake.cpuid_count; i++) {
		if (fake.cpuid[i].leaf == leaf &&
		    (fake.cpuid[i].subleaf == subleaf || (leaf != 7 && leaf != 0xD && leaf != 4))) {
			memcpy(r, fake.cpuid[i].r, sizeof(fake.cpuid[i].r));
			break;
		}
	}
	if (leaf == 0xD && subleaf == 0)
		r[1] = xsave_size(fake.xcr0);
}

uint64_t rdtsc(void)
{
	uint64_t t = fake.tsc;

	fake.tsc += fake.tsc_step;
	return t;
}

uint64_t read_cr0(void) { return fake.cr0; }
uint64_t read_cr2(void) { return fake.cr2; }
uint64_t read_cr3(void) { return fake.cr3; }
uint64_t read_cr4(void) { return fake.cr4; }
void write_cr0(uint64_t v) { fake.cr0 = v; }
void write_cr2(uint64_t v) { fake.cr2 = v; }
void write_cr3(uint64_t v) { fake.cr3 = v; }
void write_cr4(uint64_t v) { fake.cr4 = v; }

uint64_t xgetbv(uint32_t index)
{
	if (index != 0 || !(fake.cr4 & CR4_OSXSAVE))
		abort(); /* #UD or #GP on a real CPU: a hypervisor bug */
	return fake.xcr0;
}

void xsetbv(uint32_t index, uint64_t v)
{
	if (index != 0 || !(fake.cr4 & CR4_OSXSAVE) || !(v & 1))
		abort();
	fake.xcr0 = v;
	fake.xsetbv_count++;
}

void invvpid(uint64_t type, uint16_t vpid)
{
	fake.invvpid_count++;
	fake.invvpid_last_type = type;
	fake.invvpid_last_vpid = vpid;
}

void invept(uint64_t type, uint64_t eptp)
{
	(void)type;
	(void)eptp;
	fake.invept_count++;
}

void cpu_halt_forever(void)
{
	abort();
}

/* ---- vmx/vmcs.h and the VMX instructions of vmx/vmx.c ------------------------------------- */

uint64_t vmcs_read(enum vmcs_field field)
{
	if ((unsigned)field >= FAKE_VMCS_FIELDS)
		abort();
	return fake.vmcs[field];
}

void vmcs_write(enum vmcs_field field, uint64_t value)
{
	if ((unsigned)field >= FAKE_VMCS_FIELDS)
		abort();
	/* 32-bit fields (encoding bits 14:13 = 2) keep 32 bits, 16-bit ones (0) 16. */
	if (((field >> 13) & 3) == 2)
		value = (uint32_t)value;
	else if (((field >> 13) & 3) == 0)
		value = (uint16_t)value;
	fake.vmcs[field] = value;
	fake.vmcs_written[field] = true;
}

bool vmxon(uint64_t pa);
bool vmclear(uint64_t pa);
bool vmptrld(uint64_t pa);
bool vmxon(uint64_t pa) { (void)pa; return true; }
bool vmclear(uint64_t pa) { (void)pa; return true; }
bool vmptrld(uint64_t pa) { (void)pa; return true; }
void vmx_cpu_off(void) {}

const uint8_t vmx_exit_landing[1];

int vmx_enter(struct vcpu_gprs *gprs, int launched);
int vmx_enter(struct vcpu_gprs *gprs, int launched)
{
	struct vcpu *v = (struct vcpu *)gprs; /* gprs is the vCPU's first member */
	const struct fake_exit *step;

	(void)launched;
	if (fake.entry_count < FAKE_ENTRIES)
		fake.entries[fake.entry_count++] = (struct fake_entry){
			.xcr0 = fake.xcr0,
			.null_fast_path_allowed = gprs->null_fast_path_allowed,
			.preemption_timer = fake.vmcs[VMCS_PREEMPTION_TIMER_VALUE],
			.entry_intr_info = (uint32_t)fake.vmcs[VMCS_ENTRY_INTR_INFO],
			.activity_state = (uint32_t)fake.vmcs[VMCS_GUEST_ACTIVITY_STATE],
			.interruptibility = fake.vmcs[VMCS_GUEST_INTERRUPTIBILITY],
		};
	/* VM entry consumes the injected event (SDM Vol. 3C §27.6: the valid bit is cleared). */
	fake.vmcs[VMCS_ENTRY_INTR_INFO] = 0;
	fake.vmcs[VMCS_IDT_VECTORING_INFO] = 0;
	if (fake.script_next >= fake.script_length) {
		/* End of the script: a triple fault stops the guest. */
		fake.vmcs[VMCS_EXIT_REASON] = EXIT_REASON_TRIPLE_FAULT;
		return 0;
	}
	step = &fake.script[fake.script_next++];
	step->fill(v, step->arg);
	return 0;
}

/* ---- boot/ --------------------------------------------------------------------------------- */

static void log_write(void *ctx, const char *text, size_t len)
{
	(void)ctx;
	if (len > FAKE_LOG - 1 - fake.log_length)
		len = FAKE_LOG - 1 - fake.log_length;
	memcpy(fake.log + fake.log_length, text, len);
	fake.log_length += len;
	fake.log[fake.log_length] = '\0';
}

const struct fmt_sink console = { log_write, NULL };
enum log_level console_level = LOG_DEBUG;

void kprintf(const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	fmt_vprint(&console, format, ap);
	va_end(ap);
}

void platform_power_off(bool success)
{
	(void)success;
	fake.powered_off = true;
	abort(); /* only a hypervisor fault powers off mid-run */
}

void cpu_idtr(struct descriptor_table_register *idtr)
{
	idtr->limit = 0xFFF;
	idtr->base = 0x1000;
}

/* ---- set-up ------------------------------------------------------------------------------- */

void fake_cpu_reset(void)
{
	memset(&fake, 0, sizeof(fake));
	fake.tsc = 1000000;
	fake.tsc_step = 10;
	fake.cr0 = 0x80000033;
	fake.cr4 = 0x2620 | CR4_OSXSAVE; /* PAE, OSFXSR, OSXMMEXCPT, VMXE, OSXSAVE */
	fake.xcr0 = XCR0_X87 | XCR0_SSE;
	fake_msr_set(MSR_IA32_APIC_BASE, 0xFEE00900);
	fake_cpuid_set(0, 0, 0x1B, 0x756E6547, 0x6C65746E, 0x49656E69);
	/* Leaf 1: SSE3, PCLMULQDQ, SSSE3, FMA, CX16, SSE4.1/4.2, x2APIC, MOVBE, POPCNT, TSC
	 * deadline, AES, XSAVE, AVX, F16C, RDRAND; VMX (5), MONITOR (3), PDCM (15), xTPR (14) for
	 * the filter to remove. EDX: the usual, with MCE, MCA, MTRR, PAT, ACPI, TM, PBE, HTT. */
	fake_cpuid_set(1, 0, 0x000806C1, 0x00010800, 0x7FFAFBBFu | (1u << 15), 0xBFEBFBFFu);
	/* Leaf 7: FSGSBASE, TSC_ADJUST, BMI1, AVX2, SMEP, BMI2, ERMS, INVPCID, MPX (14), AVX512F,
	 * RDSEED, ADX, SMAP, CLFLUSHOPT, PT (25); ECX UMIP, PKU, LA57 (16), RDPID; EDX FSRM, spec
	 * ctrl (26, 27, 29, 31). */
	fake_cpuid_set(7, 0, 0, 0x02DD47BBu, (1u << 2) | (1u << 3) | (1u << 16) | (1u << 22),
		       (1u << 4) | (1u << 26) | (1u << 27) | (1u << 29) | (1u << 31));
	/* Leaf 0DH: x87 | SSE | AVX | MPX (bits 3-4); subleaf 1 XSAVEOPT, XSAVEC, XGETBV1, XSAVES. */
	fake_cpuid_set(0xD, 0, 0x1F, 0, 1088, 0);
	fake_cpuid_set(0xD, 1, 0xF, 0, 0x100, 0);
	fake_cpuid_set(0xD, 2, 256, 576, 0, 0);
	fake_cpuid_set(0xD, 3, 64, 960, 0, 0);
	fake_cpuid_set(0x80000000u, 0, 0x80000008u, 0, 0, 0);
	fake_cpuid_set(0x80000001u, 0, 0, 0, 0x121, 0x2C100800);
	fake_cpuid_set(0x80000008u, 0, 0x3027, 0, 0, 0); /* 39 physical, 48 linear bits */
}

uint64_t fake_ept_entry(const struct vcpu *v, uint64_t gpa)
{
	uint64_t *table = (uint64_t *)(uintptr_t)(v->eptp & ~0xFFFull); /* the vCPU's own root */

	for (int shift = 39; shift >= 21; shift -= 9) {
		uint64_t e = table[(gpa >> shift) & 511];

		if (!(e & 7))
			return 0;
		table = (uint64_t *)(uintptr_t)(e & 0x000FFFFFFFFFF000ull);
	}
	return table[(gpa >> 12) & 511];
}

static void *page_alloc(size_t pages)
{
	void *p = aligned_alloc(4096, pages * 4096);

	if (!p)
		abort();
	memset(p, 0, pages * 4096);
	return p;
}

static struct vmx_config fake_config;
static struct scenario_result fake_scenarios[VCPU_MAX_SCENARIOS];
static void *fake_ept_pages;
static struct percpu fake_percpu;

struct vcpu *fake_vcpu_create(const struct vmx_caps *caps, enum apicvisor_mode mode,
			      uint64_t ram_bytes)
{
	struct vcpu *v = &vcpus[0];
	struct guest *guest = calloc(1, sizeof(*guest));
	struct apic_pages pages = {
		.vlapic_page = page_alloc(1),
		.apic_access_page = page_alloc(1),
		.pi_desc = page_alloc(1),
		.ept_pool = page_alloc(4),
		.ept_pool_pages = 4,
	};

	memset(v, 0, sizeof(*v));
	fake_config = (struct vmx_config){
		.mode = mode,
		.tsc_hz = 4000000,
		.timeout_s = 60,
		.io_bitmaps = page_alloc(2),
	};
	guest->ram = page_alloc(ram_bytes / 4096);
	guest->ram_bytes = ram_bytes;
	fake_ept_pages = page_alloc(ept_pages_needed(ram_bytes));
	guest->ept_pointer = ept_build(fake_ept_pages,
				       (uint64_t)(uintptr_t)guest->ram, ram_bytes);
	guest->entry = 0x100000;
	guest->path = "\\guest.elf";
	guest->args = "";
	v->id = 0;
	v->guest = guest;
	v->vmcs = page_alloc(1);
	v->msr_bitmap = page_alloc(1);
	v->scenarios = fake_scenarios; /* static: 450 KiB a fuzz input need not clear */
	vcpu_make_current(v);
	exit_stats_init(&v->stats);
	platform_init(v);
	if (vmcs_setup(v, &fake_percpu, caps, &fake_config))
		abort();
	apic_delivery_init(v, &pages, fake_config.tsc_hz, platform_maxphyaddr());
	platform_irq_init(v, fake_config.tsc_hz, true, 1, 0);
	apic_set_mode(v, mode);
	return v;
}

void fake_vcpu_destroy(struct vcpu *v)
{
	platform_irq_destroy();
	vlapic_destroy(v->vlapic);
	free(v->guest->ram);
	free(v->guest);
	free(v->vmcs);
	free(v->apic_pages.vlapic_page);
	free(v->apic_pages.apic_access_page);
	free(v->apic_pages.pi_desc);
	free(v->apic_pages.ept_pool);
	free(fake_config.io_bitmaps);
	free(v->msr_bitmap);
	free(fake_ept_pages);
	memset(v, 0, sizeof(*v));
}
