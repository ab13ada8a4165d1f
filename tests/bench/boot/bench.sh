#!/bin/bash
# Boot benchmark: power-on to OS marker of an already-provisioned BIOS blade, through the appliance (./bp lab) and
# through the hand-built stand-in chain (standin.sh: dnsmasq + http.server + tgtd), same QEMU blade definition
# (deploy/lab/blade.sh), same test donor image (v1), same run, interleaved. Also the whole operator flow once per run:
# menu choice -> clone of the 256 MiB donor -> restart -> OS marker.
#
# usage: sudo tests/bench/boot/bench.sh            (RUNS=3 by default; RUNS=5 for the figures in docs/performance.md)
# Output ends with:
#   BENCH boot: ours <s> s; standin <s> s; ratio <r>      (medians of RUNS power-on -> OS marker)
#   BENCH flow: menu choice to OS marker <s> s             (median)
# The appliance side runs in its own lab namespace bplabb (10.99.30.0/24, BMCs 10.99.31.0/24, API 127.0.0.1:8482,
# tgtd control port 7714); the stand-in in bplabt1 (10.99.10.0/24). Everything is torn down on exit.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
RUNS=${RUNS:-3}
export BP_LAB_DIR=${BP_LAB_DIR:-$REPO/.lab}
LAB_ENV=(BP_LAB_NS=bplabb BP_LAB_NET=10.99.30 BP_LAB_BMC_NET=10.99.31 BP_LAB_PORT=8482 BP_LAB_TGT_CONTROL_PORT=7714)
LAB() { env "${LAB_ENV[@]}" "$REPO/deploy/lab/lab.sh" "$@"; }
BLADE() { env "${LAB_ENV[@]}" "$REPO/deploy/lab/blade.sh" "$@"; }
B=$BP_LAB_DIR/bplabb/blades
log() { echo "bench: $*" >&2; }
now() { date +%s.%N; }
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

cleanup() { LAB down > /dev/null 2>&1 || true; "$HERE/standin.sh" down > /dev/null 2>&1 || true; }
trap cleanup EXIT
cleanup

log "appliance lab up (bplabb)"
LAB up --no-build > "$BP_LAB_DIR/bench-lab.env"
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

: > "$BP_LAB_DIR/bench-ours"; : > "$BP_LAB_DIR/bench-standin"; : > "$BP_LAB_DIR/bench-flow"
for i in $(seq 1 "$RUNS"); do
    f=$(flow "bench-$i"); echo "$f" >> "$BP_LAB_DIR/bench-flow"
    BLADE stop "bench-$i" 2> /dev/null
    if [ $((i % 2)) -eq 1 ]; then
        o=$(ours "bench-$i"); s=$(standin)
    else
        s=$(standin); o=$(ours "bench-$i")
    fi
    BLADE stop "bench-$i" 2> /dev/null
    echo "$o" >> "$BP_LAB_DIR/bench-ours"; echo "$s" >> "$BP_LAB_DIR/bench-standin"
    log "run $i: flow (menu choice -> marker) ${f} s; power-on -> marker: ours ${o} s, standin ${s} s"
done
O=$(median < "$BP_LAB_DIR/bench-ours"); S=$(median < "$BP_LAB_DIR/bench-standin"); F=$(median < "$BP_LAB_DIR/bench-flow")
printf 'BENCH boot: ours %.1f s; standin %.1f s; ratio %.2f\n' "$O" "$S" "$(awk "BEGIN { print $O / $S }")"
printf 'BENCH flow: menu choice to OS marker %.1f s\n' "$F"
