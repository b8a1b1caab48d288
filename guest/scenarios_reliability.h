/* SPDX-License-Identifier: MIT */
/*
 * The reliability suite's scenarios (issue 7): chaos (scenarios_chaos.c), seeded random
 * accesses to everything the hypervisor emulates, and the isolation probes
 * (scenarios_isolation.c), which look for hypervisor memory every way a guest can. scenarios.h
 * describes them; docs/reliability.md gives their figures.
 */
#ifndef GUEST_SCENARIOS_RELIABILITY_H
#define GUEST_SCENARIOS_RELIABILITY_H

#include "scenario_kit.h"

extern const struct scenario_list scenario_chaos_list;     /* scenarios_chaos.c */
extern const struct scenario_list scenario_isolation_list; /* scenarios_isolation.c */

/* The chaos generator's seed when the command line has no seed=NUM word. */
#define CHAOS_DEFAULT_SEED 1u

#endif
