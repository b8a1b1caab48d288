/* SPDX-License-Identifier: MIT */
/*
 * The housekeeping CPU (housekeeping=cpu0): CPU 0 runs no vCPU; it keeps the device models'
 * timers and every vCPU's vLAPIC timer and delivers what they raise, by posting in posted mode
 * (apicv/delivery.c, "the housekeeping CPU"). docs/design.md, "SMP".
 */
#ifndef APICVISOR_HOUSEKEEPING_H
#define APICVISOR_HOUSEKEEPING_H

#include "../lib/klib.h"
#include "../vmx/stats.h"

/* Runs on CPU 0 until *stop; fills in what it did (run_summary.housekeeping). */
void housekeeping_run(const volatile bool *stop, struct housekeeping_summary *summary);

#endif
