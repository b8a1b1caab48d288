#!/usr/bin/env bash
# `make bench`: boots the test guest on the best host (or HOST=...) with the VM-exit round-trip
# scenarios (N iterations) and every interrupt scenario in all four delivery modes, then writes
# docs/benchmarks.md (tools/bench-report.py) and docs/ladder.md (tools/ladder-report.py). Under
# Bochs every figure is deterministic. A second boot on SMP_CPUS vCPUs (default 2) gives the SMP
# rows of docs/ladder.md, a third with housekeeping=cpu0 its housekeeping rows.
#   N=iterations of vmcall/null (default 10000)
# Then the long chaos run (docs/reliability.md): CHAOS_OPS ops (default 10^6, about 4 minutes
# under Bochs) of seed CHAOS_SEED (default 1); its figures go to docs/reliability.md.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${N:-10000}
apic="self-ipi-x2apic self-ipi-xapic-shorthand self-ipi-xapic-dest timer-periodic timer-oneshot
timer-tsc-deadline tpr-mask priority-order esr-illegal-vector nmi-nested irq-window hlt-wakeup
ipi-shorthand-all ioapic-edge ioapic-edge-masked ioapic-level ioapic-priority pic-extint pit-periodic msi
uart-irq ioapic-directed-eoi logical-destination ioapic-extint"
# The device rows: one access pattern per device (docs/ladder.md, "Devices: exits per access").
devices="access-pit access-pic access-rtc access-kbc access-uart access-pm-timer access-sysctl
access-hpet access-ioapic access-iomem"
NAME=bench GUEST_ARGS="n=$n vmcall null n=20 $(echo $apic) $(echo $devices) modes=emulate,tpr-shadow,apicv,posted" \
	TIMEOUT=${TIMEOUT:-600} tools/run.sh >/dev/null || {
	echo "apicvisor: the benchmark run failed; see ${BUILD:-build}/runs/bench/serial.log" >&2
	exit 1
}
# The SMP rows: the same ladder's SMP scenarios on SMP_CPUS vCPUs (default 2), sender and
# receivers apart.
smp="init-sipi init-sipi-short ipi-pingpong ipi-broadcast ipi-logical-flat ipi-logical-cluster
ipi-lowest-priority ipi-nmi ipi-to-halted ioapic-to-vcpu1 msi-to-vcpu1"
NAME=bench-smp CPUS=${SMP_CPUS:-2} GUEST_ARGS="n=10 $(echo $smp) modes=emulate,tpr-shadow,apicv,posted" \
	TIMEOUT=${TIMEOUT:-600} tools/run.sh >/dev/null || {
	echo "apicvisor: the SMP benchmark run failed; see ${BUILD:-build}/runs/bench-smp/serial.log" >&2
	exit 1
}
# The housekeeping rows: timer-offload and device-offload with housekeeping=cpu0 on 2 CPUs
# (one vCPU, CPU 0 keeping its timers).
NAME=bench-housekeeping CPUS=2 HOUSEKEEPING=cpu0 \
	GUEST_ARGS="n=20 timer-offload device-offload modes=emulate,tpr-shadow,apicv,posted" \
	TIMEOUT=${TIMEOUT:-600} tools/run.sh >/dev/null || {
	echo "apicvisor: the housekeeping benchmark run failed; see" \
		"${BUILD:-build}/runs/bench-housekeeping/serial.log" >&2
	exit 1
}
tools/bench-report.py "${BUILD:-build}/runs/bench/results.json" docs/benchmarks.md
tools/ladder-report.py "${BUILD:-build}/runs/bench/results.json" docs/ladder.md \
	"${BUILD:-build}/runs/bench-smp/results.json" \
	"${BUILD:-build}/runs/bench-housekeeping/results.json"
echo "apicvisor: figures written to docs/benchmarks.md and docs/ladder.md"
cat docs/benchmarks.md

chaos_ops=${CHAOS_OPS:-1000000}
chaos_seed=${CHAOS_SEED:-1}
chaos_start=$(date +%s)
NAME=chaos-bench GUEST_ARGS="seed=$chaos_seed n=$chaos_ops chaos" TIMEOUT=${CHAOS_TIMEOUT:-7200} \
	tools/run.sh >/dev/null || true
tools/reliability-report.py "${BUILD:-build}/runs/chaos-bench" $(($(date +%s) - chaos_start)) \
	docs/reliability.md || {
	echo "apicvisor: the chaos run failed; see ${BUILD:-build}/runs/chaos-bench/serial.log" >&2
	exit 1
}
echo "apicvisor: chaos figures written to docs/reliability.md"
