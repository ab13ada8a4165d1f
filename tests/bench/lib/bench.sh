#!/usr/bin/env bash
# Shared by every benchmark under tests/bench: interleaved repetitions, median and min-max of every figure and of
# the ratio, and a verdict that says when the spread is too wide to conclude. Sourced, never run.
#
#   bench_start                 once, before measuring: notes the time, load and CPU/IO pressure
#   bench_order REP NAME...     the names rotated by REP (A B, then B A, ...): the order of repetition REP
#   bench_record KEY VALUE      one figure of one repetition; call it once per repetition, in repetition order
#   bench_figure KEY            prints "<median> <min> <max> <n>"
#   bench_report NAME OURS PEER UNIT FORMAT [GOAL]
#       prints the SPREAD and VERDICT lines, then `BENCH NAME: ours <m> UNIT; PEER <m> UNIT; ratio <r>`. OURS and
#       PEER are keys; PEER is also the label unless given as KEY=LABEL. The ratio is ours/peer of each repetition (pairs from the same
#       repetition, so a slow spell hits both sides); the BENCH line carries the median of those ratios.
#       GOAL is ">=1.0" or "<=1.1" (ratio wanted at least / at most), or empty.
#   bench_single NAME KEY TEXT UNIT FORMAT
#       a figure without a peer: `SPREAD NAME: TEXT <m> UNIT (min-max, n)`, then `BENCH NAME: TEXT <m> UNIT`
#   bench_skip NAME REASON      prints `BENCH NAME: skipped (REASON)` and exits 0
#
# Verdict (documented in docs/performance.md, "How the benchmarks measure"):
#   - fewer than 3 paired repetitions                         -> too few repetitions to conclude
#   - the ratio's min-max range has repetitions on both sides of the goal -> spread too wide to conclude
#   - (max - min) / median of the ratio > BENCH_MAX_SPREAD    -> spread too wide to conclude
#   - otherwise: goal met / goal not met (every repetition on the same side), or "spread ok" without a goal.
#   The verdict also says whether the machine was busy before the benchmark started (1-minute load above the cores,
#   or some task waiting for the CPU more than BENCH_BUSY_CPU of the last minute, from /proc/pressure/cpu): other
#   work can bias a ratio consistently, which a narrow spread does not reveal. The CPU and IO pressure over the whole
#   run are printed too; they include the benchmark's own processes.
# Environment: REPS (repetitions, default 3; RUNS and ROUNDS are read too), BENCH_MAX_SPREAD (default 0.25),
# BENCH_BUSY_CPU (default 0.25).
# shellcheck shell=bash

declare -gA BENCH_V=()
BENCH_REPS=${REPS:-${RUNS:-${ROUNDS:-3}}}
BENCH_MAX_SPREAD=${BENCH_MAX_SPREAD:-0.25}
BENCH_BUSY_CPU=${BENCH_BUSY_CPU:-0.25}
BENCH_T0=""; BENCH_CPU0=""; BENCH_IO0=""; BENCH_LOAD0=""; BENCH_CPU60=""

# Microseconds some task waited for the resource since boot (PSI), or empty without PSI.
_bench_psi() { awk '/^some/ { sub("total=", "", $5); print $5 }' "/proc/pressure/$1" 2>/dev/null || true; }
# Share (0..1) of the last minute during which some task waited for the CPU, or n/a.
_bench_cpu60() { awk '/^some/ { sub("avg60=", "", $3); printf "%.2f", $3 / 100; f = 1 } END { if (!f) print "n/a" }' /proc/pressure/cpu 2>/dev/null || echo n/a; }

bench_start() {
  BENCH_T0=$(date +%s.%N); BENCH_CPU0=$(_bench_psi cpu); BENCH_IO0=$(_bench_psi io)
  BENCH_LOAD0=$(cut -d' ' -f1 /proc/loadavg); BENCH_CPU60=$(_bench_cpu60)
  echo "# $(date -u +%FT%TZ) $(nproc) cores, uptime: $(uptime), kernel $(uname -r), $BENCH_REPS repetitions"
}

bench_order() {
  local rep=$1; shift
  local n=$# k names=("$@")
  for ((k = 0; k < n; k++)); do printf '%s\n' "${names[$(((k + rep - 1) % n))]}"; done
}

bench_record() {
  BENCH_V[$1]="${BENCH_V[$1]:-} $(awk -v v="$2" 'BEGIN { printf "%.6g", v }')"
}

# "<median> <min> <max> <n>" of the given numbers; "nan nan nan 0" when there are none.
_bench_stats() {
  printf '%s\n' "$@" | grep -E '^-?[0-9.]+(e-?[0-9]+)?$' | sort -g | awk '
    { a[NR] = $1 }
    END {
      if (NR == 0) { print "nan nan nan 0"; exit }
      m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
      print m, a[1], a[NR], NR
    }'
}

bench_figure() {
  # shellcheck disable=SC2086  # one word per repetition
  _bench_stats ${BENCH_V[$1]:-}
}

# Per-repetition ratios of two keys, paired by position; a repetition whose peer figure is 0 has no ratio.
_bench_ratios() {
  local -a _ours _peer
  read -r -a _ours <<< "${BENCH_V[$1]:-}"; read -r -a _peer <<< "${BENCH_V[$2]:-}"
  local i
  for ((i = 0; i < ${#_ours[@]} && i < ${#_peer[@]}; i++)); do
    awk -v a="${_ours[$i]}" -v b="${_peer[$i]}" 'BEGIN { if (b + 0 != 0) printf "%.6g\n", a / b }'
  done
}

# The part of the run (0..1) during which some task waited for the resource, or "n/a".
_bench_pressure_share() {
  local start=$1 now; now=$(_bench_psi "$2")
  if [ -z "$start" ] || [ -z "$now" ]; then echo n/a; return; fi
  awk -v a="$start" -v b="$now" -v t0="$BENCH_T0" -v t1="$(date +%s.%N)" \
    'BEGIN { d = t1 - t0; printf "%.2f", (d > 0 ? (b - a) / 1e6 / d : 0) }'
}

bench_report() {
  local name=$1 ours=$2 peer=${3%%=*} label=${3#*=} unit=$4 fmt=$5 goal=${6:-}
  local om omin omax on pm pmin pmax pn rm rmin rmax rn
  read -r om omin omax on <<< "$(bench_figure "$ours")"
  read -r pm pmin pmax pn <<< "$(bench_figure "$peer")"
  # shellcheck disable=SC2046  # one word per ratio
  read -r rm rmin rmax rn <<< "$(_bench_stats $(_bench_ratios "$ours" "$peer"))"
  local cpu io cores
  cpu=$(_bench_pressure_share "$BENCH_CPU0" cpu); io=$(_bench_pressure_share "$BENCH_IO0" io); cores=$(nproc)
  # shellcheck disable=SC2059  # the caller passes the number format
  printf "SPREAD $name: ours $fmt $unit ($fmt-$fmt, n=%s); $label $fmt $unit ($fmt-$fmt, n=%s); ratio %.3f (%.3f-%.3f, n=%s)\n" \
    "$om" "$omin" "$omax" "$on" "$pm" "$pmin" "$pmax" "$pn" "$rm" "$rmin" "$rmax" "$rn"
  echo "# $name per repetition: ours${BENCH_V[$ours]:-}; $label${BENCH_V[$peer]:-}"
  local verdict
  verdict=$(awk -v m="$rm" -v lo="$rmin" -v hi="$rmax" -v n="$rn" -v max="$BENCH_MAX_SPREAD" -v goal="$goal" 'BEGIN {
      if (n < 3) { printf "too few repetitions to conclude (n=%d, need 3)", n; exit }
      rel = (m != 0) ? (hi - lo) / m : 0
      okall = 1; oknone = 0
      if (goal != "") {
        op = substr(goal, 1, 2); g = substr(goal, 3) + 0
        if (op == ">=") { okall = lo >= g; oknone = hi < g } else { okall = hi <= g; oknone = lo > g }
        if (!okall && !oknone) { printf "spread too wide to conclude (the ratio range crosses the goal %s)", goal; exit }
      }
      if (rel > max) { printf "spread too wide to conclude (ratio range %.0f%% of its median > %.0f%%)", 100 * rel, 100 * max; exit }
      if (goal == "") printf "spread ok (ratio range %.0f%% of its median)", 100 * rel
      else if (okall) printf "goal ratio %s met in every repetition (range %.0f%% of its median)", goal, 100 * rel
      else printf "goal ratio %s not met in any repetition (range %.0f%% of its median)", goal, 100 * rel
    }')
  local busy
  busy=$(awk -v l="${BENCH_LOAD0:-0}" -v c="$cores" -v cpu="${BENCH_CPU60:-n/a}" -v lim="$BENCH_BUSY_CPU" 'BEGIN {
      if (l > c || (cpu != "n/a" && cpu > lim)) print "busy"; else print "quiet" }')
  echo "VERDICT $name: $verdict; machine $busy before the run (load $BENCH_LOAD0 on $cores cores, CPU pressure $BENCH_CPU60 of the last minute); during the run CPU pressure $cpu, IO pressure $io"
  # shellcheck disable=SC2059
  printf "BENCH $name: ours $fmt $unit; $label $fmt $unit; ratio %.3f\n" "$om" "$pm" "$rm"
}

bench_single() {
  local name=$1 key=$2 text=$3 unit=$4 fmt=$5 m lo hi n
  read -r m lo hi n <<< "$(bench_figure "$key")"
  # shellcheck disable=SC2059  # the caller passes the number format
  printf "SPREAD $name: $text $fmt $unit ($fmt-$fmt, n=%s)\n" "$m" "$lo" "$hi" "$n"
  # shellcheck disable=SC2059
  printf "BENCH $name: $text $fmt $unit\n" "$m"
}

bench_end() {
  echo "# end $(date -u +%FT%TZ), uptime: $(uptime)"
}

bench_skip() {
  echo "BENCH $1: skipped ($2)"
  exit 0
}
