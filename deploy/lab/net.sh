#!/bin/bash
# The virtual chassis network. usage: net.sh up | down | status
#
# Inside namespace $BP_LAB_NS (default bplab): bridge br0 (blades' taps join it as they start),
# bmc0 (the BMCs' addresses) and an RA responder on br0 (see ra.py: avoids iPXE's ~13 s IPv6 wait).
#
# host mode (default), for the appliance running in the root namespace:
#   root ns  bplab-h 10.99.0.1/24  <== veth ==>  up0 (enslaved to br0)   chassis network
#   root ns  bplab-m 10.99.1.1/24  <== veth ==>  bmc0 10.99.1.10+n/24     BMC network
# ns mode (BP_LAB_MODE=ns), for stand-ins that run their servers inside the namespace:
#   br0 holds 10.99.0.1/24, bmc0 (veth to bmc0p, both inside) holds 10.99.1.1/24 and the BMC addresses.
# All runtime state lives in $BP_LAB_DIR/<ns>/. `down` stops every blade and removes everything.
set -euo pipefail
. "$(dirname "$0")/common.sh"

up() {
    if ns_exists; then lab_log "already up"; return 0; fi
    mkdir -p "$STATE/blades"
    # shellcheck disable=SC2154  # rc is assigned inside the trap
    trap 'rc=$?; [ $rc -eq 0 ] || { lab_log "up failed, tearing down"; down; }; exit $rc' EXIT
    ip netns add "$NS"
    ip -n "$NS" link set lo up
    in_ns sysctl -qw net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0
    ip -n "$NS" link add "$BRIDGE" type bridge stp_state 0 forward_delay 0 mcast_snooping 0
    if [ "$MODE" = ns ]; then
        ip -n "$NS" addr add "$NET.1/$PREFIX" dev "$BRIDGE"
        # No dummy driver on every kernel: a veth pair inside the namespace carries the BMC addresses.
        ip -n "$NS" link add "$BMC_IF" type veth peer name "${BMC_IF}p"
        ip -n "$NS" link set "${BMC_IF}p" up
        ip -n "$NS" addr add "$BMC_SERVER/$PREFIX" dev "$BMC_IF"
    else
        ip link add "$HOST_IF" type veth peer name up0 netns "$NS"
        ip link add "$MGMT_IF" type veth peer name "$BMC_IF" netns "$NS"
        # The host ends must not take part in IPv6 autoconfiguration from the lab's RA.
        sysctl -qw "net.ipv6.conf.$HOST_IF.accept_ra=0" "net.ipv6.conf.$MGMT_IF.accept_ra=0"
        ip addr add "$NET.1/$PREFIX" dev "$HOST_IF"
        ip addr add "$BMC_SERVER/$PREFIX" dev "$MGMT_IF"
        ip link set "$HOST_IF" up
        ip link set "$MGMT_IF" up
        ip -n "$NS" link set up0 master "$BRIDGE" up
    fi
    ip -n "$NS" link set "$BMC_IF" up
    ip -n "$NS" link set "$BRIDGE" up
    if [ "${BP_LAB_RA:-1}" = 1 ]; then   # BP_LAB_RA=0: no RA, to measure what iPXE's IPv6 wait costs
        spawn_in_ns "$STATE/ra.pid" "$STATE/ra.log" python3 "$LAB_HERE/ra.py" "$BRIDGE"
    fi
    echo "mode=$MODE" > "$STATE/net.env"
    trap - EXIT
    lab_log "up: $MODE mode, chassis $NET.0/$PREFIX (server $NET.1), BMCs $BMC_SERVER/$PREFIX, state $STATE"
}

down() {
    if [ -d "$STATE/blades" ]; then
        for b in "$STATE"/blades/*/; do
            if [ -d "$b" ]; then "$LAB_HERE/blade.sh" stop "$(basename "$b")" || true; fi
        done
    fi
    kill_wait "$(pid_of "$STATE/ra.pid")" 2
    rm -f "$STATE/ra.pid" "$STATE/net.env"
    ip link del "$HOST_IF" 2>/dev/null || true
    ip link del "$MGMT_IF" 2>/dev/null || true
    if ns_exists; then
        # Anything still inside the lab namespace was started by the lab: end it by id, or the
        # namespace would outlive `ip netns del` through those processes.
        local pid
        for pid in $(ip netns pids "$NS" 2>/dev/null || true); do
            lab_log "ending leftover pid $pid ($(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | cut -c1-60))"
            kill_wait "$pid" 3
        done
        ip netns del "$NS"
    fi
    lab_log "down"
}

status() {
    if ! ns_exists; then echo "down"; return 1; fi
    echo "up ns=$NS mode=$MODE chassis=$NET.0/$PREFIX server=$NET.1 bmc-net=$BMC_SERVER/$PREFIX state=$STATE"
    [ "$MODE" = host ] && echo "host-interface=$HOST_IF bmc-interface=$MGMT_IF"
    for b in "$STATE"/blades/*/; do [ -d "$b" ] && "$LAB_HERE/blade.sh" info "$(basename "$b")"; done
    return 0
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    status) status ;;
    *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
