/* SPDX-License-Identifier: MIT */
/* CPU capability fixtures shared by the host tests (tests/unit/vmx_caps_fixtures.c). */
#ifndef APICVISOR_TESTS_UNIT_VMX_CAPS_FIXTURES_H
#define APICVISOR_TESTS_UNIT_VMX_CAPS_FIXTURES_H

#include "vmx/vmx_caps.h"

/* Bochs 2.7's 'tigerlake' model: VMX with APICv, no posted-interrupt processing. */
extern const struct vmx_caps vmx_caps_tigerlake;

#endif
