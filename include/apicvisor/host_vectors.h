/* SPDX-License-Identifier: MIT */
/*
 * The interrupt vectors the hypervisor's CPUs send each other (and the local APIC's spurious
 * one). Root mode runs with interrupts off; a guest's arrive as external-interrupt exits
 * ("acknowledge interrupt on exit"), except the posted-interrupt notification, which a CPU with
 * posted-interrupt processing takes in non-root operation without an exit. Root mode takes them
 * only while a CPU waits halted for one (boot/cpu.c installs the handlers).
 */
#ifndef APICVISOR_HOST_VECTORS_H
#define APICVISOR_HOST_VECTORS_H

#define HOST_VECTOR_POSTED 0xF2u    /* posted-interrupt notification (SDM Vol. 3C §30.6) */
#define HOST_VECTOR_KICK 0xF3u      /* look at your inbox: VM exit, or wake-up in root mode */
#define HOST_VECTOR_TIMER 0xF4u     /* the housekeeping CPU's own LAPIC timer (TSC-deadline) */
#define HOST_VECTOR_SPURIOUS 0xFFu  /* the local APIC's spurious-interrupt vector (SVR) */

#endif
