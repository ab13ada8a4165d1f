#!/usr/bin/env bash
# Boot-storm benchmark: N synthetic blades (tests/bench/storm/StormDriver) powered on within one second, each doing a
# real blade's whole conversation, against ours (the appliance with its DHCP, TFTP, boot HTTP, clone jobs and tgtd, as
# BootStormTests runs it: in-process host, real PostgreSQL, real tgtd, chassis namespace bpstorm1, 10.99.40.0/22) and
# against the stand-in chain (standin.sh: dnsmasq + http.server + tgtd targets made in advance, bpstorm2,
# 10.99.44.0/22), interleaved (the order alternates per size), one storm each per size.
# Usage: sudo tests/bench/storm/bench.sh [sizes...]     (default: 50 200 500; needs ./bp build)
# Prints each storm's table, then per size:
#   BENCH storm-<N>: ours p95 <s> s; standin p95 <s> s; ratio <r>; failures <n>
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
SIZES=("$@"); [ ${#SIZES[@]} -gt 0 ] || SIZES=(50 200 500)
OUT="${BENCH_STORM_OUT:-/tmp/bpstorm-bench}"
TESTS="$ROOT/tests/BladeProvisioner.Appliance.Tests"
DRIVER="$TESTS/bin/${BP_CONFIGURATION:-Debug}/net10.0/StormDriver.dll"
[ "$(id -u)" = 0 ] || { echo "bench: needs root (network namespaces, port 68)" >&2; exit 2; }
[ -f "$DRIVER" ] || { echo "bench: build first (./bp build): $DRIVER" >&2; exit 2; }
mkdir -p "$OUT"

# The stand-in's donor: the same shape as the one BootStormTests imports (16 MiB, one MBR partition, a pattern).
DONOR="$OUT/donor.raw"
truncate -s 16M "$DONOR"
printf 'label: dos\n,,L,*\n' | sfdisk -q "$DONOR"
head -c $((7 << 20)) /dev/urandom | dd of="$DONOR" bs=1M seek=1 conv=notrunc status=none

ours() {
  BP_STORM_BLADES="$1" BP_STORM_JSON="$OUT/ours-$1.json" nice -n 5 dotnet test "$TESTS" --no-build -nologo -v:q \
    --filter "FullyQualifiedName~BootStormTests" --logger "console;verbosity=detailed" >"$OUT/ours-$1.log" 2>&1 || true
  # The driver's table, once (the test log holds it twice).
  awk '/ours-[0-9]+: [0-9]+ blades/ { p = 1 } p { sub(/^(\[xUnit[^]]*\])? */, ""); print } p && /STORM / { exit }' "$OUT/ours-$1.log"
}

standin() {
  "$HERE/standin.sh" "$1" "$OUT/standin-$1.json" "$DRIVER" "$DONOR" 2>&1 | tee "$OUT/standin-$1.log" | grep -v '^$' || true
}

# p95 of end-to-end and the failures, from a driver's JSON: "<p95> <failures>".
figures() {
  python3 - "$1" <<'PY'
import json, math, sys
try:
    blades = json.load(open(sys.argv[1]))["blades"]
except (OSError, ValueError, KeyError):
    print("nan", "all"); sys.exit()
e2e = sorted(b["stages"]["end-to-end"] for b in blades if b["ok"])
p95 = e2e[max(0, math.ceil(0.95 * len(e2e)) - 1)] if e2e else float("nan")
print(f"{p95:.2f}", sum(1 for b in blades if not b["ok"]))
PY
}

LINES=()
turn=0
for n in "${SIZES[@]}"; do
  rm -f "$OUT/ours-$n.json" "$OUT/standin-$n.json"
  if [ $((turn % 2)) = 0 ]; then ours "$n"; standin "$n"; else standin "$n"; ours "$n"; fi
  turn=$((turn + 1))
  read -r op95 ofail <<<"$(figures "$OUT/ours-$n.json")"
  read -r sp95 sfail <<<"$(figures "$OUT/standin-$n.json")"
  ratio=$(python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print(f'{a / b:.2f}' if b > 0 else 'nan')" "$op95" "$sp95")
  LINES+=("BENCH storm-$n: ours p95 $op95 s; standin p95 $sp95 s; ratio $ratio; failures $ofail (standin $sfail)")
  echo "bench: $(uptime)" >&2
done
printf '%s\n' "${LINES[@]}"
