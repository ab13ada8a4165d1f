#!/usr/bin/env bash
# DHCP benchmark: perfdhcp full four-way exchanges (DISCOVER/OFFER/REQUEST/ACK) against the appliance's server
# (durable PostgreSQL leases, group commit), kea-dhcp4 (memfile) and dnsmasq, on the same veth pair, in one run.
# For each server the offered rate is stepped up until drops reach 1%; the best achieved rate below 1% counts.
# Needs root, perfdhcp (kea-admin), kea-dhcp4-server, dnsmasq, postgresql 15, dotnet.
# Usage: tests/bench/dhcp/bench.sh [seconds-per-step]     (prints BENCH lines last)
set -euo pipefail

STEP_SECONDS="${1:-6}"
RATES="${BENCH_DHCP_RATES:-1000 2000 3000 4000 5000 6000 7000 8000 9000 10000 12000 14000}"
CLIENTS="${BENCH_DHCP_CLIENTS:-2000}"
HERE="$(cd "$(dirname "$0")" && pwd)"
WORK="$(mktemp -d /tmp/bpdhcp-bench.XXXXXX)"
NS_S=bpdhcpS; NS_C=bpdhcpC; IF_S=bpdhcpSa; IF_C=bpdhcpCa
NET=10.99.32; PREFIX=21; RANGE_FIRST=10.99.32.10; RANGE_LAST=10.99.39.250
PGBIN=/usr/lib/postgresql/15/bin
PGDATA="$WORK/pg"; PGSOCK="$WORK/sock"; PGPORT=5439
SERVER_PID=""

for tool in perfdhcp kea-dhcp4 dnsmasq dotnet ip runuser; do
  command -v "$tool" >/dev/null || { echo "bench: missing $tool" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "bench: needs root (network namespaces)" >&2; exit 2; }

stop_server() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; fi
}
cleanup() {
  stop_server
  ip netns pids "$NS_S" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
  ip netns pids "$NS_C" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
  ip netns del "$NS_S" 2>/dev/null || true
  ip netns del "$NS_C" 2>/dev/null || true
  if [ -d "$PGDATA" ]; then runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate stop >/dev/null 2>&1 || true; fi
  # Keep the raw perfdhcp reports and server logs of the last run for inspection.
  rm -rf /tmp/bpdhcp-bench-last; mkdir -p /tmp/bpdhcp-bench-last
  cp "$WORK"/perfdhcp-* "$WORK"/*.log "$WORK"/*.out /tmp/bpdhcp-bench-last/ 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# Two namespaces joined by one veth pair: nothing here touches the host's interfaces.
cleanup_ns() { ip netns del "$NS_S" 2>/dev/null || true; ip netns del "$NS_C" 2>/dev/null || true; }
cleanup_ns
ip netns add "$NS_S"; ip netns add "$NS_C"
ip link add "$IF_S" netns "$NS_S" type veth peer name "$IF_C" netns "$NS_C"
ip -n "$NS_S" addr add "$NET.1/$PREFIX" dev "$IF_S"; ip -n "$NS_S" link set "$IF_S" up; ip -n "$NS_S" link set lo up
ip -n "$NS_C" addr add "$NET.2/$PREFIX" dev "$IF_C"; ip -n "$NS_C" link set "$IF_C" up; ip -n "$NS_C" link set lo up

# PostgreSQL with its default durability (fsync on, synchronous_commit on): the leases are really durable.
mkdir -p "$PGSOCK"; chown postgres "$WORK" "$PGSOCK"; chmod 755 "$WORK"
runuser -u postgres -- "$PGBIN/initdb" -D "$PGDATA" -A trust -U postgres >/dev/null
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -l "$WORK/pg.log" -w \
  -o "-k $PGSOCK -p $PGPORT -c listen_addresses='' -c shared_buffers=256MB" start >/dev/null
CONN="Host=$PGSOCK;Port=$PGPORT;Username=postgres;Database=postgres;Maximum Pool Size=20"

echo "bench: building the bench host" >&2
dotnet build "$HERE/host" -c Release -o "$WORK/host" >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; exit 1; }

# run_perfdhcp RATE -> prints "achieved drop_percent"
run_perfdhcp() {
  local out="$WORK/perfdhcp-$CURRENT-$1.txt"
  ip netns exec "$NS_C" perfdhcp -4 -l "$IF_C" -r "$1" -R "$CLIENTS" -p "$STEP_SECONDS" >"$out" 2>&1 || true
  awk '
    /^Rate:/ { rate=$2 }
    /^sent packets:/ { sent+=$3 }
    /^drops:/ { drops+=$2 }
    END { pct = sent > 0 ? 100.0 * drops / sent : 100; printf "%.1f %.3f\n", rate + 0, pct }' "$out"
}

# measure NAME -> best achieved rate with < 1% drops
measure() {
  local best=0 r result achieved pct
  CURRENT="$1-warmup"
  # Warm-up (JIT, first inserts, ARP): not counted.
  ip netns exec "$NS_C" perfdhcp -4 -l "$IF_C" -r 500 -R "$CLIENTS" -p 2 >/dev/null 2>&1 || true
  CURRENT="$1"
  for r in $RATES; do
    result="$(run_perfdhcp "$r")"; achieved="${result% *}"; pct="${result#* }"
    echo "bench: $1 offered $r/s achieved $achieved/s drops $pct%" >&2
    if awk -v p="$pct" 'BEGIN { exit !(p < 1.0) }'; then
      best="$(awk -v a="$achieved" -v b="$best" 'BEGIN { print (a > b ? a : b) }')"
    else
      break
    fi
  done
  echo "$best"
}

wait_port67() {
  for _ in $(seq 1 100); do
    if ip netns exec "$NS_S" ss -lun | grep -q ':67 '; then return 0; fi
    sleep 0.1
  done
  echo "bench: $1 did not bind port 67" >&2; return 1
}

# --- ours -------------------------------------------------------------------------------------------------------
# perfdhcp sends as a relay agent (giaddr = its address): trust it. Exchanges it abandons leave offers until OfferHold,
# which the per-scope offer limit would count against a run of thousands of clients a second: no limit here.
ip netns exec "$NS_S" dotnet "$WORK/host/BladeProvisioner.Dhcp.BenchHost.dll" \
  "--ConnectionStrings:Appliance=$CONN" --Dhcp:Enabled=true "--Dhcp:Interfaces:0:Name=$IF_S" \
  --Dhcp:ProbeBeforeOffer:Enabled=false --Dhcp:Scopes:0:Name=bench "--Dhcp:Scopes:0:Subnet=$NET.0/$PREFIX" \
  "--Dhcp:Scopes:0:Ranges:0=$RANGE_FIRST-$RANGE_LAST" "--Dhcp:Scopes:0:Router=$NET.1" --Dhcp:Scopes:0:LeaseTime=01:00:00 \
  "--Dhcp:TrustedRelays:0=$NET.2" --Dhcp:MaxOffersPerScope=1000000 \
  >"$WORK/ours.log" 2>&1 &
SERVER_PID=$!
wait_port67 ours || { cat "$WORK/ours.log" >&2; exit 1; }
OURS="$(measure ours)"
LEASES="$(runuser -u postgres -- psql -h "$PGSOCK" -p "$PGPORT" -At -c "select count(*) from dhcp_leases where state='Bound'" postgres)"
echo "bench: ours holds $LEASES durable bound leases" >&2
stop_server

# --- kea-dhcp4, memfile -----------------------------------------------------------------------------------------
cat >"$WORK/kea.json" <<JSON
{ "Dhcp4": {
    "interfaces-config": { "interfaces": [ "$IF_S" ], "dhcp-socket-type": "raw" },
    "lease-database": { "type": "memfile", "persist": true, "name": "$WORK/kea-leases4.csv", "lfc-interval": 0 },
    "valid-lifetime": 3600,
    "subnet4": [ { "id": 1, "subnet": "$NET.0/$PREFIX", "pools": [ { "pool": "$RANGE_FIRST - $RANGE_LAST" } ],
                   "option-data": [ { "name": "routers", "data": "$NET.1" } ] } ],
    "loggers": [ { "name": "kea-dhcp4", "output_options": [ { "output": "$WORK/kea.log" } ], "severity": "WARN" } ]
} }
JSON
KEA_PIDFILE_DIR="$WORK" KEA_LOCKFILE_DIR="$WORK" ip netns exec "$NS_S" kea-dhcp4 -c "$WORK/kea.json" >"$WORK/kea.out" 2>&1 &
SERVER_PID=$!
wait_port67 kea || { cat "$WORK/kea.out" >&2; exit 1; }
KEA="$(measure kea-memfile)"
stop_server

# --- dnsmasq ----------------------------------------------------------------------------------------------------
ip netns exec "$NS_S" dnsmasq --no-daemon --conf-file=/dev/null --port=0 --interface="$IF_S" --bind-interfaces \
  --dhcp-range="$RANGE_FIRST,$RANGE_LAST,255.255.248.0,1h" --dhcp-authoritative --no-ping \
  --dhcp-leasefile="$WORK/dnsmasq.leases" --pid-file="$WORK/dnsmasq.pid" >"$WORK/dnsmasq.out" 2>&1 &
SERVER_PID=$!
wait_port67 dnsmasq || { cat "$WORK/dnsmasq.out" >&2; exit 1; }
DNSMASQ="$(measure dnsmasq)"
stop_server

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
echo "BENCH dhcp-dnsmasq: ours $OURS leases/s; dnsmasq $DNSMASQ leases/s; ratio $(ratio "$OURS" "$DNSMASQ")"
echo "BENCH dhcp: ours $OURS leases/s; kea-memfile $KEA leases/s; ratio $(ratio "$OURS" "$KEA")"
