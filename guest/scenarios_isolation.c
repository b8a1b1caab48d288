/* SPDX-License-Identifier: MIT */
#include "scenarios_reliability.h"

static const struct scenario isolation_table[] = { { "isolation-placeholder", true, NULL, NULL } };

const struct scenario_list scenario_isolation_list = { isolation_table, 0 };
