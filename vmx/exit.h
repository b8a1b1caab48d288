/* SPDX-License-Identifier: MIT */
/*
 * The top floor of the VMX layer: the run loop (vmx/run.c) enters the guest, takes each VM exit
 * and hands it to its handler (vmx/exit.c), which decodes it and calls the platform, the
 * delivery modes or the vCPU state below (docs/design.md, "Layers").
 */
#ifndef APICVISOR_EXIT_H
#define APICVISOR_EXIT_H

#include "vmx.h"

/* Dispatches one VM exit to its handler (vmx/exit.c). */
enum exit_action vmx_handle_exit(struct vcpu *v, uint32_t exit_reason);

/* Puts the guest in the HLT activity state until a timer can wake it, or stops it when nothing
 * can (no timer armed) or nothing would (no VMX-preemption timer). */
enum exit_action vcpu_halt(struct vcpu *v);

/* The exit counts of every vCPU but `v`, summed by reason (scenario records: the receivers). */
void vcpu_other_exits(const struct vcpu *v, uint64_t counts[VMX_EXIT_REASON_COUNT]);

/* Runs the vCPU until the guest ends; fills v->end and v->end_detail. */
void vmx_run(struct vcpu *v);

/* Loads the VMX-preemption timer with the time left to the earlier of the watchdog and vLAPIC
 * timer deadlines. Returns false when the watchdog deadline has passed. */
bool vmx_timer_reload(struct vcpu *v);

#endif
