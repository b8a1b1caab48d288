#!/usr/bin/env python3
"""The hypervisor's include floors (docs/design.md, "Layers"): each .c file includes only
headers of its own floor or a floor below. A header belongs to the floor of its .c file; a
header without one (types and constants only) belongs to no floor. Prints one PASS or FAIL line.

Only a file's own includes are checked, not what its headers include in turn: vmx/vcpu.h, the
vCPU's aggregate state, brings every floor's types (and so their declarations) along, so a call
upward through it would pass here and must be caught in review.
"""
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Lowest first. boot/, lib/ and include/ sit outside the floors (start-up and utilities).
FLOORS = [
    ("mechanism", ["vmx/vcpu.c", "vmx/vmx.c", "vmx/vmcs.c", "vmx/ept.c", "vmx/mmio.c",
                   "vmx/host_apic.c", "vmx/guest_walk.c", "vmx/x86_decode.c", "vmx/vmx_caps.c",
                   "vmx/cpuid_policy.c", "vmx/stats.c", "vmx/vmx_names.c"]),
    ("models", ["apicv/vlapic.c", "apicv/apic_bus.c"] + [str(p.relative_to(ROOT)) for p in
                                     sorted((ROOT / "devices").glob("*.c"))]),
    ("delivery", ["apicv/delivery.c", "apicv/apic_exits.c"]),
    ("platform", [str(p.relative_to(ROOT)) for p in sorted((ROOT / "platform").glob("*.c"))]),
    ("exits", ["vmx/exit.c", "vmx/run.c"]),
]


def main():
    floor_of = {}
    for level, (_, files) in enumerate(FLOORS):
        for f in files:
            floor_of[f] = level
    wrong = []
    for source, level in sorted(floor_of.items()):
        text = (ROOT / source).read_text()
        for include in re.findall(r'#include "([^"]+)"', text):
            header = (ROOT / source).parent.joinpath(include).resolve().relative_to(ROOT)
            owner = str(header.with_suffix(".c"))
            if floor_of.get(owner, -1) > level:
                wrong.append(f"{source} ({FLOORS[level][0]}) includes {header} "
                             f"({FLOORS[floor_of[owner]][0]})")
    if wrong:
        print("FAIL layers: an include goes up a floor: " + "; ".join(wrong))
        return 1
    print(f"PASS layers: {len(floor_of)} files, every include on its floor or below")
    return 0


if __name__ == "__main__":
    sys.exit(main())
