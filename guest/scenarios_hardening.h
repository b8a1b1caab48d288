/* SPDX-License-Identifier: MIT */
/*
 * The hardening scenarios (issue 7, scenarios_hardening.c): each checks one defect of the VMX
 * layer the hypervisor had, as a guest sees it. scenarios.h describes them.
 */
#ifndef GUEST_SCENARIOS_HARDENING_H
#define GUEST_SCENARIOS_HARDENING_H

#include "scenario_kit.h"

extern const struct scenario_list scenario_hardening_list; /* scenarios_hardening.c */

#endif
