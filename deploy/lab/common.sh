# Sourced by the lab scripts (net.sh, blade.sh). Settings come from the environment:
#   BP_LAB_DIR      runtime state root (default <repo>/.lab, gitignored)
#   BP_LAB_NS       network namespace of the virtual chassis (default bplab)
#   BP_LAB_NET      chassis network, first three octets of a /24 (default 10.99.0); server is .1
#   BP_LAB_BMC_NET  BMC network, /24 (default 10.99.1); the host/server side is .1, BMCs .10 up
#   BP_LAB_PREFIX   prefix length of both networks (default 24); with 25 the two can share one /24:
#   BP_LAB_BMC_BASE added to every BMC host number (default 0; 128 puts the BMCs in the upper /25)
#   BP_LAB_BRIDGE   the chassis bridge inside the namespace (default br0)
#   BP_LAB_MODE     host: the server side lives in the ROOT namespace on veth <ns>-h / <ns>-m
#                         (the appliance runs on the host, its UI stays on 127.0.0.1)
#                   ns:   the server address sits on the bridge inside the namespace (stand-ins)
# shellcheck shell=bash
# The names below are read by the scripts that source this file.
# shellcheck disable=SC2034
LAB_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_REPO=$(cd "$LAB_HERE/../.." && pwd)
LAB_DIR=${BP_LAB_DIR:-$LAB_REPO/.lab}
NS=${BP_LAB_NS:-bplab}
NET=${BP_LAB_NET:-10.99.0}
BMC_NET=${BP_LAB_BMC_NET:-10.99.1}
MODE=${BP_LAB_MODE:-host}
STATE=$LAB_DIR/$NS
HOST_IF=$NS-h      # root-namespace end of the chassis veth (host mode)
MGMT_IF=$NS-m      # root-namespace end of the BMC veth (host mode)
PREFIX=${BP_LAB_PREFIX:-24}
BMC_BASE=${BP_LAB_BMC_BASE:-0}
BMC_SERVER=$BMC_NET.$((BMC_BASE + 1))
BRIDGE=${BP_LAB_BRIDGE:-br0}
BMC_IF=bmc0

case "$NS" in bplab*|bpproxy*) ;; *) echo "lab: namespace '$NS' must start with bplab or bpproxy" >&2; exit 2 ;; esac
case "$NET.$BMC_NET" in 10.99.*.10.99.*) ;; *) echo "lab: networks must be inside 10.99.0.0/16" >&2; exit 2 ;; esac
[ ${#HOST_IF} -le 15 ] || { echo "lab: namespace name '$NS' too long for interface names" >&2; exit 2; }

in_ns() { ip netns exec "$NS" "$@"; }
ns_exists() { [ -e "/run/netns/$NS" ]; }
lab_log() { echo "lab[$NS]: $*" >&2; }

# Runs a command where the server side of the lab lives (root namespace or inside the lab one).
on_server() { if [ "$MODE" = ns ]; then in_ns "$@"; else "$@"; fi; }

# kill_wait PID [SECONDS]: SIGTERM, wait, then SIGKILL. Only for pids this lab started.
kill_wait() {
    local pid=$1 t=${2:-5} i=0
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
    kill "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null && [ $i -lt $((t * 10)) ]; do sleep 0.1; i=$((i + 1)); done
    if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
    return 0
}

# pid_of FILE: the pid in FILE if that process still runs.
pid_of() { local p; p=$(cat "$1" 2>/dev/null) || return 1; [ -n "$p" ] && kill -0 "$p" 2>/dev/null && echo "$p"; }

# spawn_in_ns PIDFILE LOGFILE CMD...: runs CMD in the lab namespace in its own session, detached from
# the caller. The pid file is written by the process itself (setsid may fork, so $! would lie).
spawn_in_ns() {
    local pidfile=$1 logfile=$2; shift 2
    rm -f "$pidfile"
    # shellcheck disable=SC2016  # expanded by the inner sh, not here
    in_ns setsid sh -c 'echo $$ > "$0"; exec "$@"' "$pidfile" "$@" > "$logfile" 2>&1 < /dev/null &
    local i=0
    while [ ! -s "$pidfile" ] && [ $i -lt 50 ]; do sleep 0.05; i=$((i + 1)); done
    [ -s "$pidfile" ]
}
