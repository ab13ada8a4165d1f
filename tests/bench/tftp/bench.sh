#!/usr/bin/env bash
# TFTP benchmark: the appliance's TFTP server against tftpd-hpa and dnsmasq, in one run, over a veth pair.
#   servers in netns bptftp2 (10.99.42.1, bptftp2a), clients in netns bptftp3 (10.99.42.2, bptftp2b).
# All three servers run at once (ours :7069, tftpd-hpa :6969, dnsmasq :69) and their runs are interleaved, so a busy
# machine slows each of them alike. Cases (each repeated RUNS times, median reported):
#   big1468   64 MiB, curl --tftp-blksize 1468 (lock-step)      -> the headline ratio vs tftpd-hpa
#   big512    64 MiB, curl --tftp-blksize 512
#   conc50    50 concurrent curl clients fetching ipxe.efi at blksize 1468: wall time + failed transfers
#   window16  64 MiB, atftp blksize 1468 windowsize 16 (peers without RFC 7440 ignore windowsize)
# Needs root and the Debian packages: tftpd-hpa dnsmasq curl atftp ipxe iproute2. Usage: tests/bench/tftp/bench.sh
set -euo pipefail

RUNS=${RUNS:-5}
HERE=$(cd "$(dirname "$0")" && pwd)
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
  command -v "$tool" >/dev/null || { echo "bench: missing $tool" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "bench: needs root (network namespaces)" >&2; exit 1; }

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
      # shellcheck disable=SC2086  # OURS_ENV holds several NAME=value words
      ip netns exec "$NS_S" env ${OURS_ENV:-} dotnet "$WORK/host/TftpBenchHost.dll" --Tftp:Enabled=true "--Tftp:Interfaces:0=$IF_S" \
        "--Tftp:Root=$ROOT" "--Tftp:Port=${PORT[ours]}" >"$WORK/ours.log" 2>&1 &
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

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A TIMES FAILS
read -r -a SERVERS <<< "${SERVERS:-ours tftpd-hpa dnsmasq}"
read -r -a CASES <<< "${CASES:-big1468 big512 conc50 window16}"
for server in "${SERVERS[@]}"; do start_server "$server"; done
for case_name in "${CASES[@]}"; do
  for run in $(seq "$RUNS"); do
    # Rotate the order each run so no server always goes first.
    n=${#SERVERS[@]}
    for k in $(seq 0 $((n - 1))); do
      server=${SERVERS[$(( (k + run) % n ))]}
      read -r t f < <(ip netns exec "$NS_C" "$WORK/client.sh" "$case_name" "$ADDR_S" "${PORT[$server]}" "$OUT" "$BIG_SUM" "$EFI_SUM")
      TIMES[$server,$case_name]="${TIMES[$server,$case_name]:-} $t"
      FAILS[$server,$case_name]=$(( ${FAILS[$server,$case_name]:-0} + f ))
    done
  done
done

declare -A TIME
for case_name in "${CASES[@]}"; do
  for server in "${SERVERS[@]}"; do
    # shellcheck disable=SC2086  # one word per timing
    TIME[$server,$case_name]=$(printf '%s\n' ${TIMES[$server,$case_name]} | median)
    printf 'bench: %-9s %-8s median %6.3f s  runs%s  failures %d\n' "$server" "$case_name" \
      "${TIME[$server,$case_name]}" "${TIMES[$server,$case_name]}" "${FAILS[$server,$case_name]}" >&2
  done
done

if [ -n "${PARTIAL:-}" ]; then exit 0; fi
echo
printf '%-10s %12s %12s %16s %12s\n' server "64MiB@1468" "64MiB@512" "50x ipxe.efi" "ws16@1468"
for server in "${SERVERS[@]}"; do
  printf '%-10s %10.3f s %10.3f s %9.3f s (%s fail) %9.3f s\n' "$server" "${TIME[$server,big1468]}" "${TIME[$server,big512]}" \
    "${TIME[$server,conc50]}" "${FAILS[$server,conc50]}" "${TIME[$server,window16]}"
done
echo

mibps() { awk -v t="$1" 'BEGIN { printf "%.1f", 64 / t }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# Best peer at its best options for a large file: the fastest of any peer's 64 MiB results.
best_peer=""; best_time=""
for server in tftpd-hpa dnsmasq; do
  for case_name in big1468 window16; do
    t=${TIME[$server,$case_name]}
    if [ -z "$best_time" ] || awk -v a="$t" -v b="$best_time" 'BEGIN { exit !(a < b) }'; then best_time=$t; best_peer="$server/$case_name"; fi
  done
done

echo "BENCH tftp-512: ours $(mibps "${TIME[ours,big512]}") MiB/s; tftpd-hpa $(mibps "${TIME[tftpd-hpa,big512]}") MiB/s; ratio $(ratio "${TIME[tftpd-hpa,big512]}" "${TIME[ours,big512]}")"
echo "BENCH tftp-dnsmasq-1468: ours $(mibps "${TIME[ours,big1468]}") MiB/s; dnsmasq $(mibps "${TIME[dnsmasq,big1468]}") MiB/s; ratio $(ratio "${TIME[dnsmasq,big1468]}" "${TIME[ours,big1468]}")"
echo "BENCH tftp-concurrent50: ours ${TIME[ours,conc50]} s (${FAILS[ours,conc50]} failed); tftpd-hpa ${TIME[tftpd-hpa,conc50]} s (${FAILS[tftpd-hpa,conc50]} failed); ratio $(ratio "${TIME[tftpd-hpa,conc50]}" "${TIME[ours,conc50]}")"
echo "BENCH tftp-windowsize16: ours $(mibps "${TIME[ours,window16]}") MiB/s; $best_peer $(mibps "$best_time") MiB/s; ratio $(ratio "$best_time" "${TIME[ours,window16]}")"
echo "BENCH tftp: ours $(mibps "${TIME[ours,big1468]}") MiB/s; tftpd-hpa $(mibps "${TIME[tftpd-hpa,big1468]}") MiB/s; ratio $(ratio "${TIME[tftpd-hpa,big1468]}" "${TIME[ours,big1468]}")"
