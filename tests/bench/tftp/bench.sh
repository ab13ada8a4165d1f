#!/usr/bin/env bash
# TFTP benchmark: the appliance's TFTP server against tftpd-hpa and dnsmasq, in one run, over a veth pair.
#   servers in netns bptftp2 (10.99.42.1, bptftp2a), clients in netns bptftp3 (10.99.42.2, bptftp2b).
# All three servers run at once (ours :7069, tftpd-hpa :6969, dnsmasq :69) and their runs are interleaved (the order
# rotates every repetition, through tests/bench/lib/bench.sh), so a busy machine slows each of them alike.
# Cases (each repeated REPS times; medians, min-max spread and paired ratios reported):
#   big1468   64 MiB, curl --tftp-blksize 1468 (lock-step)      -> the headline ratio vs tftpd-hpa (MiB/s)
#   big512    64 MiB, curl --tftp-blksize 512                    (MiB/s)
#   conc50    50 concurrent curl clients fetching ipxe.efi at blksize 1468: files/s (50 / wall time) + failed transfers
#   window16  64 MiB, atftp blksize 1468 windowsize 16 (peers without RFC 7440 ignore windowsize)
# Needs root and the Debian packages: tftpd-hpa dnsmasq curl atftp ipxe iproute2.
# Usage: tests/bench/tftp/bench.sh   (REPS=5 by default, RUNS is read too; CASES="big1468 conc50" for a subset)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPS=${REPS:-${RUNS:-5}}
# shellcheck source=tests/bench/lib/bench.sh
. "$HERE/../lib/bench.sh"
REPO=$(cd "$HERE/../../.." && pwd)
NS_S=bptftp2; NS_C=bptftp3; IF_S=bptftp2a; IF_C=bptftp2b
ADDR_S=10.99.42.1; ADDR_C=10.99.42.2
WORK=$(mktemp -d /tmp/bptftp-bench.XXXXXX)
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  ip link del "$IF_S" 2>/dev/null || true
  ip netns del "$NS_S" 2>/dev/null || true
  ip netns del "$NS_C" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

for tool in ip in.tftpd dnsmasq curl atftp dotnet sha256sum awk; do
  command -v "$tool" >/dev/null || bench_skip tftp "missing $tool: apt-get install tftpd-hpa dnsmasq curl atftp iproute2"
done
[ -f /usr/lib/ipxe/ipxe.efi ] || bench_skip tftp "missing /usr/lib/ipxe/ipxe.efi: apt-get install ipxe"
[ "$(id -u)" = 0 ] || bench_skip tftp "needs root (network namespaces)"
bench_start

# --- network ---------------------------------------------------------------------------------------------------
ip link del "$IF_S" 2>/dev/null || true
ip netns del "$NS_S" 2>/dev/null || true
ip netns del "$NS_C" 2>/dev/null || true
ip netns add "$NS_S"; ip netns add "$NS_C"
ip link add "$IF_S" netns "$NS_S" type veth peer name "$IF_C" netns "$NS_C"
ip -n "$NS_S" addr add "$ADDR_S/24" dev "$IF_S"; ip -n "$NS_S" link set "$IF_S" up; ip -n "$NS_S" link set lo up
ip -n "$NS_C" addr add "$ADDR_C/24" dev "$IF_C"; ip -n "$NS_C" link set "$IF_C" up; ip -n "$NS_C" link set lo up

# --- content ---------------------------------------------------------------------------------------------------
ROOT="$WORK/root"; OUT="$WORK/out"
mkdir -p "$ROOT" "$OUT"
head -c $((64 * 1024 * 1024)) /dev/urandom > "$ROOT/big64.bin"
cp -L /usr/lib/ipxe/ipxe.efi "$ROOT/ipxe.efi"
chmod 755 "$WORK" "$ROOT"; chmod 644 "$ROOT"/*
BIG_SUM=$(sha256sum < "$ROOT/big64.bin" | cut -d' ' -f1)
EFI_SUM=$(sha256sum < "$ROOT/ipxe.efi" | cut -d' ' -f1)

# --- our server (the TFTP module in a minimal host, Release build) ---------------------------------------------
echo "bench: building TftpBenchHost (Release)" >&2
dotnet publish -c Release "$REPO/tests/bench/tftp/TftpBenchHost" -o "$WORK/host" >"$WORK/build.log" 2>&1 \
  || { cat "$WORK/build.log" >&2; exit 1; }

declare -A PORT=([ours]=7069 [tftpd-hpa]=6969 [dnsmasq]=69)

start_server() {
  case "$1" in
    ours)
      # The 50 concurrent clients stand for 50 blades but share one address here: lift the per-address limit
      # (Tftp:MaxTransfersPerClient, 4 by default) that would otherwise refuse all but four of them.
      # shellcheck disable=SC2086  # OURS_ENV holds several NAME=value words
      ip netns exec "$NS_S" env ${OURS_ENV:-} dotnet "$WORK/host/TftpBenchHost.dll" --Tftp:Enabled=true "--Tftp:Interfaces:0=$IF_S" \
        "--Tftp:Root=$ROOT" "--Tftp:Port=${PORT[ours]}" --Tftp:MaxTransfersPerClient=64 >"$WORK/ours.log" 2>&1 &
      ;;
    tftpd-hpa)
      ip netns exec "$NS_S" in.tftpd --foreground --listen --address "$ADDR_S:${PORT[tftpd-hpa]}" --user root --secure "$ROOT" \
        >"$WORK/tftpd.log" 2>&1 &
      ;;
    dnsmasq)
      ip netns exec "$NS_S" dnsmasq --keep-in-foreground --port=0 --enable-tftp --tftp-root="$ROOT" \
        --listen-address="$ADDR_S" --bind-interfaces --no-resolv --no-hosts --user=root --tftp-max=200 \
        --pid-file="$WORK/dnsmasq.pid" --log-facility="$WORK/dnsmasq.log" >"$WORK/dnsmasq.out" 2>&1 &
      ;;
  esac
  PIDS+=($!)
  for _ in $(seq 100); do
    if ip netns exec "$NS_C" curl -s --max-time 1 -o /dev/null "tftp://$ADDR_S:${PORT[$1]}/ipxe.efi"; then return 0; fi
    sleep 0.1
  done
  echo "bench: $1 did not come up" >&2; exit 1
}

# Runs in the client namespace; prints "<seconds> <failures>".
cat > "$WORK/client.sh" <<'CLIENT'
#!/usr/bin/env bash
set -u
case_name=$1; addr=$2; port=$3; out=$4; big_sum=$5; efi_sum=$6
check() { [ "$(sha256sum < "$1" | cut -d' ' -f1)" = "$2" ] || echo bad; }
start=$(date +%s.%N); failures=0
case "$case_name" in
  big1468|big512)
    bs=${case_name#big}
    curl -s --max-time 120 --tftp-blksize "$bs" -o "$out/big" "tftp://$addr:$port/big64.bin" || failures=1
    end=$(date +%s.%N)
    [ "$failures" = 0 ] && [ -z "$(check "$out/big" "$big_sum")" ] || failures=1
    ;;
  window16)
    atftp --option "blksize 1468" --option "windowsize 16" -g -r big64.bin -l "$out/big" "$addr" "$port" >/dev/null 2>&1 || failures=1
    end=$(date +%s.%N)
    [ "$failures" = 0 ] && [ -z "$(check "$out/big" "$big_sum")" ] || failures=1
    ;;
  conc50)
    pids=()
    for i in $(seq 50); do
      curl -s --max-time 60 --tftp-blksize 1468 -o "$out/efi$i" "tftp://$addr:$port/ipxe.efi" & pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p" || failures=$((failures + 1)); done
    end=$(date +%s.%N)
    for i in $(seq 50); do [ -f "$out/efi$i" ] && [ -z "$(check "$out/efi$i" "$efi_sum")" ] || failures=$((failures + 1)); done
    [ "$failures" -le 50 ] || failures=50
    ;;
esac
rm -f "$out"/big "$out"/efi*
echo "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }') $failures"
CLIENT
chmod +x "$WORK/client.sh"

declare -A FAILS
read -r -a SERVERS <<< "${SERVERS:-ours tftpd-hpa dnsmasq}"
read -r -a CASES <<< "${CASES:-big1468 big512 conc50 window16}"
for server in "${SERVERS[@]}"; do start_server "$server"; done
for case_name in "${CASES[@]}"; do
  for run in $(seq "$BENCH_REPS"); do
    for server in $(bench_order "$run" "${SERVERS[@]}"); do
      read -r t f < <(ip netns exec "$NS_C" "$WORK/client.sh" "$case_name" "$ADDR_S" "${PORT[$server]}" "$OUT" "$BIG_SUM" "$EFI_SUM")
      # Figures are rates, so every ratio is ours/peer and above 1 means ours is faster.
      if [ "$case_name" = conc50 ]; then v=$(awk -v t="$t" 'BEGIN { printf "%.2f", 50 / t }')
      else v=$(awk -v t="$t" 'BEGIN { printf "%.1f", 64 / t }'); fi
      bench_record "$server/$case_name" "$v"
      FAILS[$server,$case_name]=$(( ${FAILS[$server,$case_name]:-0} + f ))
      echo "bench: rep $run $server $case_name $t s ($f failed)" >&2
    done
  done
done
if [ -n "${PARTIAL:-}" ]; then exit 0; fi
bench_end

measured() { [[ " ${SERVERS[*]} " == *" $1 "* && " ${CASES[*]} " == *" $2 "* ]]; }
if measured tftpd-hpa big512; then bench_report tftp-512 ours/big512 tftpd-hpa/big512=tftpd-hpa MiB/s %.1f ">=1.0"; fi
if measured dnsmasq big1468; then bench_report tftp-dnsmasq-1468 ours/big1468 dnsmasq/big1468=dnsmasq MiB/s %.1f ">=1.0"; fi
if measured tftpd-hpa conc50; then
  echo "# failed transfers over all repetitions of conc50 (goal 0): ours ${FAILS[ours,conc50]:-0}, tftpd-hpa ${FAILS[tftpd-hpa,conc50]:-0}"
  bench_report tftp-concurrent50 ours/conc50 tftpd-hpa/conc50=tftpd-hpa "files/s" %.2f
fi
if measured ours window16; then
  # The best peer at its best options for a large file: the peer case with the highest median of any 64 MiB case.
  best="" best_m=0
  for key in tftpd-hpa/big1468 tftpd-hpa/window16 dnsmasq/big1468 dnsmasq/window16; do
    [ -n "${BENCH_V[$key]:-}" ] || continue
    m=$(bench_figure "$key" | cut -d' ' -f1)
    if awk -v a="$m" -v b="$best_m" 'BEGIN { exit !(a > b) }'; then best=$key best_m=$m; fi
  done
  if [ -n "$best" ]; then bench_report tftp-windowsize16 ours/window16 "$best" MiB/s %.1f ">=3"; fi
fi
if measured tftpd-hpa big1468; then bench_report tftp ours/big1468 tftpd-hpa/big1468=tftpd-hpa MiB/s %.1f ">=1.0"; fi
