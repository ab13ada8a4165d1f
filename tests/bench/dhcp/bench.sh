#!/usr/bin/env bash
# DHCP benchmark: perfdhcp full four-way exchanges (DISCOVER/OFFER/REQUEST/ACK) against the appliance's server
# (durable PostgreSQL leases, group commit), kea-dhcp4 with its memfile backend, kea-dhcp4 with its PostgreSQL lease
# backend (the like-for-like durable peer) and dnsmasq, on the same veth pair, in one run.
# Every repetition measures each server once, in an order that rotates per repetition (ours, kea-memfile, kea-pgsql,
# dnsmasq; then kea-memfile, kea-pgsql, dnsmasq, ours; ...). A measurement starts the server, warms it up, then steps the
# offered rate up until drops reach 1 % (if the first step already fails, it steps down instead), bisects twice between
# the last good step and the failing one (BENCH_DHCP_REFINE), and counts the best achieved rate below 1 % drops. Servers bind the
# same port 67, so they cannot run at once: each is started for its own measurement and stopped after it.
# One throwaway PostgreSQL 15 cluster (default durability: fsync on, synchronous_commit on) holds two databases:
# `postgres` for ours (superuser, trust over the socket) and `kea` for Kea (role kea, scram-sha-256 password over the
# same socket, schema from `kea-admin db-init pgsql`). The two are never measured at the same time.
# Needs root, perfdhcp (kea-admin), kea-dhcp4-server, dnsmasq, postgresql 15, dotnet.
# Usage: tests/bench/dhcp/bench.sh [seconds-per-step]    REPS=3 (default); SERVERS="ours kea-memfile" for a subset
# Ends with (medians; spread and verdict on the lines above each):
#   BENCH dhcp-dnsmasq: ours <v> leases/s; dnsmasq <v> leases/s; ratio <r>
#   BENCH dhcp-durable: ours <v> leases/s; kea-pgsql <v> leases/s; ratio <r>
#   BENCH dhcp: ours <v> leases/s; kea-memfile <v> leases/s; ratio <r>
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=tests/bench/lib/bench.sh
. "$HERE/../lib/bench.sh"

STEP_SECONDS="${1:-6}"
RATES="${BENCH_DHCP_RATES:-1000 2000 3000 4000 5000 6000 7000 8000 9000 10000 12000 14000 16000}"
LOW_RATES="${BENCH_DHCP_LOW_RATES:-500 250 100}"
CLIENTS="${BENCH_DHCP_CLIENTS:-2000}"
REFINE="${BENCH_DHCP_REFINE:-2}"
read -r -a SERVERS <<< "${SERVERS:-ours kea-memfile kea-pgsql dnsmasq}"
WORK="$(mktemp -d /tmp/bpdhcp-bench.XXXXXX)"
NS_S=bpdhcpS; NS_C=bpdhcpC; IF_S=bpdhcpSa; IF_C=bpdhcpCa
NET=10.99.32; PREFIX=21; RANGE_FIRST=10.99.32.10; RANGE_LAST=10.99.39.250
PGBIN=/usr/lib/postgresql/15/bin
PGDATA="$WORK/pg"; PGSOCK="$WORK/sock"; PGPORT=5439
SERVER_PID=""

for tool in perfdhcp kea-dhcp4 kea-admin dnsmasq dotnet ip runuser psql; do
  command -v "$tool" >/dev/null || { echo "bench: missing $tool" >&2; exit 2; }
done
[ -x "$PGBIN/initdb" ] || { echo "bench: missing PostgreSQL 15 ($PGBIN)" >&2; exit 2; }
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
  # Keep the raw perfdhcp reports and server logs of the last run for inspection (never the Kea config: it holds
  # the throwaway cluster's password).
  rm -rf /tmp/bpdhcp-bench-last; mkdir -p /tmp/bpdhcp-bench-last
  cp "$WORK"/perfdhcp-* "$WORK"/*.log "$WORK"/*.out /tmp/bpdhcp-bench-last/ 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

bench_start

# Two namespaces joined by one veth pair: nothing here touches the host's interfaces.
ip netns del "$NS_S" 2>/dev/null || true; ip netns del "$NS_C" 2>/dev/null || true
ip netns add "$NS_S"; ip netns add "$NS_C"
ip link add "$IF_S" netns "$NS_S" type veth peer name "$IF_C" netns "$NS_C"
ip -n "$NS_S" addr add "$NET.1/$PREFIX" dev "$IF_S"; ip -n "$NS_S" link set "$IF_S" up; ip -n "$NS_S" link set lo up
ip -n "$NS_C" addr add "$NET.2/$PREFIX" dev "$IF_C"; ip -n "$NS_C" link set "$IF_C" up; ip -n "$NS_C" link set lo up

# --- PostgreSQL: default durability; socket only ---------------------------------------------------------------
mkdir -p "$PGSOCK"; chown postgres "$WORK" "$PGSOCK"; chmod 755 "$WORK"
runuser -u postgres -- "$PGBIN/initdb" -D "$PGDATA" -A trust -U postgres >/dev/null
cat >"$PGDATA/pg_hba.conf" <<'HBA'
local all postgres trust
local all all scram-sha-256
HBA
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -l "$WORK/pg.log" -w \
  -o "-k $PGSOCK -p $PGPORT -c listen_addresses='' -c shared_buffers=256MB" start >/dev/null
CONN="Host=$PGSOCK;Port=$PGPORT;Username=postgres;Database=postgres;Maximum Pool Size=20"
pgsu() { runuser -u postgres -- psql -h "$PGSOCK" -p "$PGPORT" -v ON_ERROR_STOP=1 -qAt "$@"; }

# Kea's database: a role with a random password. The password goes through stdin (SQL), the environment
# (kea-admin reads KEA_ADMIN_DB_PASSWORD) and a mode-600 config file (kea-dhcp4); never a command line.
KEA_PW="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
pgsu -d postgres <<SQL
CREATE ROLE kea LOGIN PASSWORD '$KEA_PW';
CREATE DATABASE kea OWNER kea;
SQL
KEA_ADMIN_DB_PASSWORD="$KEA_PW" kea-admin db-init pgsql -h "$PGSOCK" -P "$PGPORT" -u kea -n kea >"$WORK/kea-admin.log" 2>&1 \
  || { cat "$WORK/kea-admin.log" >&2; exit 1; }
echo "bench: kea database: $(grep -i 'version reported' "$WORK/kea-admin.log" | tr -s ' ')" >&2

echo "bench: building the bench host" >&2
dotnet build "$HERE/host" -c Release -o "$WORK/host" >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; exit 1; }

# --- the servers --------------------------------------------------------------------------------------------------
# Kea: raw sockets, one subnet. memfile stays single-threaded (Kea 2.2's default, as in the earlier figures); the
# PostgreSQL backend runs multi-threaded (one connection per thread, so commits overlap; single-threaded it waits for
# one commit per lease). Thread counts are our choice for these 2 cores, not ISC's tuning; 0 turns threading off.
KEA_MEMFILE_THREADS="${KEA_MEMFILE_THREADS:-0}"; KEA_PGSQL_THREADS="${KEA_PGSQL_THREADS:-8}"
kea_config() { # file lease-database-json name threads
  local mt='"enable-multi-threading": false'
  if [ "$4" != 0 ]; then mt="\"enable-multi-threading\": true, \"thread-pool-size\": $4, \"packet-queue-size\": 64"; fi
  (umask 077; cat >"$1" <<JSON
{ "Dhcp4": {
    "interfaces-config": { "interfaces": [ "$IF_S" ], "dhcp-socket-type": "raw" },
    "lease-database": $2,
    "multi-threading": { $mt },
    "valid-lifetime": 3600,
    "subnet4": [ { "id": 1, "subnet": "$NET.0/$PREFIX", "pools": [ { "pool": "$RANGE_FIRST - $RANGE_LAST" } ],
                   "option-data": [ { "name": "routers", "data": "$NET.1" } ] } ],
    "loggers": [ { "name": "kea-dhcp4", "output_options": [ { "output": "$WORK/$3.log" } ], "severity": "WARN" } ]
} }
JSON
  )
}
kea_config "$WORK/kea-memfile.json" \
  "{ \"type\": \"memfile\", \"persist\": true, \"name\": \"$WORK/kea-leases4.csv\", \"lfc-interval\": 0 }" kea-memfile "$KEA_MEMFILE_THREADS"
kea_config "$WORK/kea-pgsql.json" \
  "{ \"type\": \"postgresql\", \"name\": \"kea\", \"host\": \"$PGSOCK\", \"port\": $PGPORT, \"user\": \"kea\", \"password\": \"$KEA_PW\" }" kea-pgsql "$KEA_PGSQL_THREADS"

start_server() {
  case "$1" in
    ours)
      # perfdhcp sends as a relay agent (giaddr = its address): trust it. Exchanges it abandons leave offers until
      # OfferHold, which the per-scope offer limit would count against thousands of clients a second: no limit here.
      ip netns exec "$NS_S" dotnet "$WORK/host/BladeProvisioner.Dhcp.BenchHost.dll" \
        "--ConnectionStrings:Appliance=$CONN" --Dhcp:Enabled=true "--Dhcp:Interfaces:0:Name=$IF_S" \
        --Dhcp:ProbeBeforeOffer:Enabled=false --Dhcp:Scopes:0:Name=bench "--Dhcp:Scopes:0:Subnet=$NET.0/$PREFIX" \
        "--Dhcp:Scopes:0:Ranges:0=$RANGE_FIRST-$RANGE_LAST" "--Dhcp:Scopes:0:Router=$NET.1" --Dhcp:Scopes:0:LeaseTime=01:00:00 \
        "--Dhcp:TrustedRelays:0=$NET.2" --Dhcp:MaxOffersPerScope=1000000 >>"$WORK/ours.log" 2>&1 &
      ;;
    kea-memfile|kea-pgsql)
      # memfile: each measurement starts from an empty lease file (the CSV is append-only and would grow run to run).
      if [ "$1" = kea-memfile ]; then rm -f "$WORK"/kea-leases4.csv*; fi
      KEA_PIDFILE_DIR="$WORK" KEA_LOCKFILE_DIR="$WORK" ip netns exec "$NS_S" kea-dhcp4 -c "$WORK/$1.json" >>"$WORK/$1.out" 2>&1 &
      ;;
    dnsmasq)
      rm -f "$WORK/dnsmasq.leases"
      ip netns exec "$NS_S" dnsmasq --no-daemon --conf-file=/dev/null --port=0 --interface="$IF_S" --bind-interfaces \
        --dhcp-range="$RANGE_FIRST,$RANGE_LAST,255.255.248.0,1h" --dhcp-authoritative --no-ping \
        --dhcp-leasefile="$WORK/dnsmasq.leases" --pid-file="$WORK/dnsmasq.pid" >>"$WORK/dnsmasq.out" 2>&1 &
      ;;
  esac
  SERVER_PID=$!
  local _
  for _ in $(seq 1 200); do
    if ip netns exec "$NS_S" ss -lun | grep -q ':67 '; then return 0; fi
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "bench: $1 did not bind port 67" >&2
  tail -n 20 "$WORK/$1".{log,out} >&2 2>/dev/null || true
  exit 1
}

# run_perfdhcp NAME REP RATE -> prints "achieved drop_percent"
run_perfdhcp() {
  local out="$WORK/perfdhcp-$1-r$2-$3.txt"
  ip netns exec "$NS_C" perfdhcp -4 -l "$IF_C" -r "$3" -R "$CLIENTS" -p "$STEP_SECONDS" >"$out" 2>&1 || true
  awk '
    /^Rate:/ { rate=$2 }
    /^sent packets:/ { sent+=$3 }
    /^drops:/ { drops+=$2 }
    END { pct = sent > 0 ? 100.0 * drops / sent : 100; printf "%.1f %.3f\n", rate + 0, pct }' "$out"
}

# step NAME REP RATE: one ladder step; sets STEP_OK (1 when drops < 1 %) and raises BEST.
step() {
  local result achieved pct
  result="$(run_perfdhcp "$1" "$2" "$3")"; achieved="${result% *}"; pct="${result#* }"
  echo "bench: rep $2 $1 offered $3/s achieved $achieved/s drops $pct%" >&2
  if awk -v p="$pct" 'BEGIN { exit !(p < 1.0) }'; then
    STEP_OK=1; BEST="$(awk -v a="$achieved" -v b="$BEST" 'BEGIN { print (a > b ? a : b) }')"
  else
    STEP_OK=0
  fi
}

# measure NAME REP: start, warm up, ladder, stop; records the best rate with < 1 % drops (0: below every step).
measure() {
  local name=$1 rep=$2 r good="" bad=""
  start_server "$name"
  # Warm-up (JIT, first inserts, ARP): not counted.
  ip netns exec "$NS_C" perfdhcp -4 -l "$IF_C" -r 500 -R "$CLIENTS" -p 2 >/dev/null 2>&1 || true
  BEST=0
  for r in $RATES; do
    step "$name" "$rep" "$r"
    if [ "$STEP_OK" = 1 ]; then good=$r; else bad=$r; break; fi
  done
  if [ -z "$good" ]; then
    for r in $LOW_RATES; do
      step "$name" "$rep" "$r"
      if [ "$STEP_OK" = 1 ]; then good=$r; break; else bad=$r; fi
    done
  fi
  # Bisection steps between the last good rate and the failing one narrow the ladder's grid (which otherwise decides
  # the figure: 500, 750 or 1000 with nothing between).
  local k mid
  for ((k = 0; k < REFINE; k++)); do
    if [ -z "$good" ] || [ -z "$bad" ] || [ $((bad - good)) -lt 50 ]; then break; fi
    mid=$(((good + bad) / 2)); step "$name" "$rep" "$mid"
    if [ "$STEP_OK" = 1 ]; then good=$mid; else bad=$mid; fi
  done
  case "$name" in
    ours) echo "bench: ours holds $(pgsu -d postgres -c "select count(*) from dhcp_leases where state='Bound'") durable bound leases" >&2 ;;
    kea-pgsql) echo "bench: kea-pgsql holds $(pgsu -d kea -c "select count(*) from lease4 where state=0") leases in PostgreSQL" >&2 ;;
  esac
  stop_server
  echo "bench: rep $rep $name best $BEST leases/s" >&2
  bench_record "$name" "$BEST"
}

for rep in $(seq 1 "$BENCH_REPS"); do
  for server in $(bench_order "$rep" "${SERVERS[@]}"); do measure "$server" "$rep"; done
done

bench_end
in_servers() { [[ " ${SERVERS[*]} " == *" $1 "* ]]; }
if in_servers dnsmasq; then bench_report dhcp-dnsmasq ours dnsmasq leases/s %.1f; fi
if in_servers kea-pgsql; then bench_report dhcp-durable ours kea-pgsql leases/s %.1f ">=3"; fi
if in_servers kea-memfile; then bench_report dhcp ours kea-memfile leases/s %.1f ">=1.0"; fi
