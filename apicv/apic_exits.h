/* SPDX-License-Identifier: MIT */
/* VM-exit handlers of the virtual LAPIC (apicv/apic_exits.c), called from vmx/exit.c. */
#ifndef APICVISOR_APIC_EXITS_H
#define APICVISOR_APIC_EXITS_H

#include "../vmx/vcpu.h"

enum exit_action apic_handle_apic_access(struct vcpu *v, uint64_t qualification);
enum exit_action apic_handle_apic_write(struct vcpu *v, uint64_t qualification);
enum exit_action apic_handle_eoi_induced(struct vcpu *v, uint64_t qualification);
enum exit_action apic_handle_tpr_below_threshold(struct vcpu *v, uint64_t qualification);
enum exit_action apic_handle_interrupt_window(struct vcpu *v, uint64_t qualification);
enum exit_action apic_handle_nmi_window(struct vcpu *v, uint64_t qualification);

/* An EPT violation: returns true (with the action) when it hit the emulated APIC page. */
bool apic_handle_ept_violation(struct vcpu *v, uint64_t gpa, uint64_t qualification,
			       enum exit_action *action);

/* x2APIC MSRs, IA32_APIC_BASE and IA32_TSC_DEADLINE: return false for any other MSR; *gp says
 * whether the access raises #GP. */
bool apic_rdmsr(struct vcpu *v, uint32_t msr, uint64_t *value, bool *gp);
bool apic_wrmsr(struct vcpu *v, uint32_t msr, uint64_t value, bool *gp);

uint64_t apic_read_cr8(struct vcpu *v);
void apic_write_cr8(struct vcpu *v, uint64_t value);

#endif
