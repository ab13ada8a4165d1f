#!/bin/bash
# Boot benchmark: power-on to OS marker of an already-provisioned BIOS blade, through the appliance (./bp lab) and
# through the hand-built stand-in chain (standin.sh: dnsmasq + http.server + tgtd), same QEMU blade definition
# (deploy/lab/blade.sh), same test donor image (v1), same run, interleaved. Also the whole operator flow once per run:
# menu choice -> clone of the 256 MiB donor -> restart -> OS marker.
#
# usage: sudo tests/bench/boot/bench.sh            (REPS=3 by default, RUNS is read too; 5 for docs/performance.md)
# Repetitions go through tests/bench/lib/bench.sh: ours and the stand-in alternate who goes first.
# Output ends with (spread and verdict on the lines above each):
#   BENCH flow: menu choice to OS marker <s> s             (median)
#   BENCH boot: ours <s> s; standin <s> s; ratio <r>      (medians of REPS power-on -> OS marker)
# Without a prerequisite (root, QEMU, tgtd, dnsmasq, the appliance built) it prints `BENCH boot: skipped (<why>)`.
# The appliance side runs in its own lab namespace bplabb (10.99.30.0/24, BMCs 10.99.31.0/24, API 127.0.0.1:8482,
# tgtd control port 7714); the stand-in in bplabt1 (10.99.10.0/24). Everything is torn down on exit.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
# shellcheck source=tests/bench/lib/bench.sh
. "$HERE/../lib/bench.sh"
export BP_LAB_DIR=${BP_LAB_DIR:-$REPO/.lab}
LAB_ENV=(BP_LAB_NS=bplabb BP_LAB_NET=10.99.30 BP_LAB_BMC_NET=10.99.31 BP_LAB_PORT=8482 BP_LAB_TGT_CONTROL_PORT=7714)
LAB() { env "${LAB_ENV[@]}" "$REPO/deploy/lab/lab.sh" "$@"; }
BLADE() { env "${LAB_ENV[@]}" "$REPO/deploy/lab/blade.sh" "$@"; }
B=$BP_LAB_DIR/bplabb/blades
log() { echo "bench: $*" >&2; }
now() { date +%s.%N; }

[ "$(id -u)" = 0 ] || bench_skip boot "needs root (network namespaces, tgtd)"
for tool in qemu-system-x86_64 tgtd tgtadm dnsmasq python3 curl jq ipmitool; do
    command -v "$tool" > /dev/null || bench_skip boot "missing $tool (see deploy/lab/README.md)"
done
DLL=${BP_LAB_APPLIANCE_DLL:-$REPO/src/BladeProvisioner.Appliance/bin/${BP_CONFIGURATION:-Debug}/net10.0/BladeProvisioner.Appliance.dll}
[ -f "$DLL" ] || bench_skip boot "the appliance is not built ($DLL): run ./bp build first"

cleanup() { LAB down > /dev/null 2>&1 || true; "$HERE/standin.sh" down > /dev/null 2>&1 || true; }
trap cleanup EXIT
cleanup

bench_start
mkdir -p "$BP_LAB_DIR"
log "appliance lab up (bplabb)"
LAB up --no-build > "$BP_LAB_DIR/bench-lab.env" || bench_skip boot "the appliance lab did not come up (deploy/lab/lab.sh up; see its log above)"
TOKEN=$(cat "$BP_LAB_DIR/bplabb/api-token")
API=$(sed -n 's/^url=//p' "$BP_LAB_DIR/bench-lab.env")       # https: the management listener
CERT=$(sed -n 's/^cert_file=//p' "$BP_LAB_DIR/bench-lab.env")  # its generated certificate, trusted as the only CA
# shellcheck disable=SC2034  # v1 is read as well: the lab env must name both versions
V1=$(sed -n 's/^image_v1=//p' "$BP_LAB_DIR/bench-lab.env")
V2=$(sed -n 's/^image_v2=//p' "$BP_LAB_DIR/bench-lab.env")
api() { curl -sS -f --cacert "$CERT" -X "$1" -H "Authorization: Bearer $TOKEN" "$API$2"; }
api POST "/api/images/$V2/pause" > /dev/null   # the same image as the stand-in: test-donor v1

# flow NAME: a new blade, the operator picks the image in the menu; prints seconds from the key press to the marker.
flow() {
    local name=$1
    LAB blade "$name" --firmware bios > /dev/null
    python3 "$REPO/deploy/lab/vgatext.py" "$B/$name/qmp.sock" --wait 'test-donor v1' --timeout 120 > /dev/null
    python3 "$REPO/deploy/lab/qmp.py" "$B/$name/qmp.sock" send-keys up ret
    local t0 line; t0=$(now)
    line=$(BLADE wait "$name" 'BLADEPROVISIONER-OS-(UP|FAIL)' --timeout 180)
    case "$line" in *OS-UP*image=test-donor-v1*) ;; *) log "flow $name: $line"; exit 1 ;; esac
    awk "BEGIN { print $(now) - $t0 }"
}

# ours NAME: the provisioned blade, stopped, then started again (fresh QEMU + BMC as the stand-in does): power-on -> marker.
ours() {
    local name=$1 t0 line
    BLADE stop "$name" 2> /dev/null
    t0=$(now)
    LAB blade "$name" --firmware bios > /dev/null
    line=$(BLADE wait "$name" 'BLADEPROVISIONER-OS-(UP|FAIL)' --timeout 180)
    case "$line" in *OS-UP*image=test-donor-v1*) ;; *) log "ours: $line"; exit 1 ;; esac
    awk "BEGIN { print $(now) - $t0 }"
}

standin() {
    local line
    line=$("$HERE/standin.sh" run --firmware bios 2> /dev/null | tail -n 1)
    sed -E 's/.*power-on to OS marker ([0-9.]+) s/\1/' <<< "$line"
}

for i in $(seq 1 "$BENCH_REPS"); do
    f=$(flow "bench-$i"); bench_record flow "$f"
    BLADE stop "bench-$i" 2> /dev/null
    for side in $(bench_order "$i" ours standin); do
        if [ "$side" = ours ]; then o=$(ours "bench-$i"); bench_record ours "$o"; else s=$(standin); bench_record standin "$s"; fi
    done
    BLADE stop "bench-$i" 2> /dev/null
    log "run $i: flow (menu choice -> marker) ${f} s; power-on -> marker: ours ${o} s, standin ${s} s"
done
bench_end
bench_single flow flow "menu choice to OS marker" s %.1f
bench_report boot ours standin s %.1f "<=1.1"
