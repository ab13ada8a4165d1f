#!/bin/bash
# The hand-built stand-in boot chain, the peer of the appliance in the boot benchmark:
# dnsmasq (DHCP + TFTP) + python http.server (iPXE scripts) + tgtd (iSCSI, ACL + CHAP), all inside
# the probe namespace bplabt1 (10.99.10.0/24, BMCs on 10.99.11.0/24), blades from deploy/lab.
#
# usage: standin.sh [run] [--firmware bios|uefi] [--reset-check] [--keep]
#          one go: build/fetch the test donor, bring the chain up, provision a blade (own LUN, ACL,
#          CHAP, DHCP host name), power it on, time power-on -> OS marker, tear everything down.
#          --reset-check: afterwards power the blade on again over IPMI, reset it over IPMI while its
#          OS boots, and require a second complete boot. --keep: leave the chain up.
#        standin.sh up | down
#        standin.sh provision NAME MAC HOSTNAME [DONOR]   (chain must be up)
# Last line of `run`: STANDIN <firmware>: power-on to OS marker <seconds> s
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
export BP_LAB_NS=${BP_LAB_NS:-bplabt1} BP_LAB_MODE=ns
export BP_LAB_NET=${BP_LAB_NET:-10.99.10} BP_LAB_BMC_NET=${BP_LAB_BMC_NET:-10.99.11}
export BP_LAB_DIR=${BP_LAB_DIR:-$REPO/.lab}
LAB=$REPO/deploy/lab
S=$BP_LAB_DIR/$BP_LAB_NS/standin
SERVER=$BP_LAB_NET.1
TGT_PORT=7711                     # tgtd control port of its own: tgtd's lock/socket files are host-wide
IQN_BASE=iqn.2025-01.lab.standin
CHAP_USER=standin
CHAP_SECRET=StandinSecret016  # 16 characters, like the appliance's
X() { ip netns exec "$BP_LAB_NS" "$@"; }
TGTADM() { X tgtadm -C $TGT_PORT --lld iscsi "$@"; }
log() { echo "standin: $*" >&2; }
now() { date +%s.%N; }

up() {
    "$LAB/net.sh" up
    mkdir -p "$S/tftp" "$S/http" "$S/luns"
    cp /usr/lib/ipxe/ipxe.efi /usr/lib/ipxe/undionly.kpxe "$S/tftp/"
    : > "$S/dhcp-hosts"
    cat > "$S/dnsmasq.conf" <<EOF
port=0
interface=br0
bind-interfaces
no-ping
log-dhcp
log-facility=$S/dnsmasq.log
pid-file=$S/dnsmasq.pid
dhcp-leasefile=$S/dnsmasq.leases
dhcp-range=$BP_LAB_NET.100,$BP_LAB_NET.199,255.255.255.0,1h
dhcp-hostsfile=$S/dhcp-hosts
enable-tftp
tftp-root=$S/tftp
dhcp-userclass=set:ipxe,iPXE
dhcp-match=set:efi64,option:client-arch,7
dhcp-match=set:efi64,option:client-arch,9
dhcp-boot=tag:!ipxe,tag:efi64,ipxe.efi
dhcp-boot=tag:!ipxe,tag:!efi64,undionly.kpxe
dhcp-boot=tag:ipxe,http://$SERVER:8080/boot.ipxe
# iPXE option 175.176 (no-pxedhcp): do not wait ~2 s for ProxyDHCP offers after our offer.
dhcp-option=tag:ipxe,encap:175,176,1b
EOF
    # iPXE fetches one generic script that chains the blade's own (by MAC), like the appliance's menu.
    cat > "$S/http/boot.ipxe" <<'EOF'
#!ipxe
chain blade-${mac:hexhyp}.ipxe || shell
EOF
    X dnsmasq -C "$S/dnsmasq.conf"
    # shellcheck disable=SC2016  # expanded by the inner sh, not here
    X setsid sh -c 'echo $$ > "$0"; exec python3 -m http.server 8080 --bind "$1" --directory "$2"' \
        "$S/http.pid" "$SERVER" "$S/http" > "$S/http.log" 2>&1 < /dev/null &
    # shellcheck disable=SC2016  # expanded by the inner sh, not here
    X setsid sh -c 'echo $$ > "$0"; exec tgtd -f -C "$1" --iscsi portal="$2":3260' \
        "$S/tgtd.pid" $TGT_PORT "$SERVER" > "$S/tgtd.log" 2>&1 < /dev/null &
    local i=0
    until TGTADM --op show --mode target > /dev/null 2>&1; do
        i=$((i + 1)); [ $i -lt 50 ] || { log "tgtd did not start: $(tail -3 "$S/tgtd.log")"; return 1; }
        sleep 0.1
    done
    TGTADM --op new --mode account --user $CHAP_USER --password $CHAP_SECRET
    log "up: DHCP/TFTP/HTTP/iSCSI on $SERVER in $BP_LAB_NS"
}

# provision NAME MAC HOSTNAME DONOR: a LUN of its own (sparse copy), target with ACL + CHAP,
# a DHCP reservation carrying the host name (option 12), and the blade's sanboot script.
provision() {
    local name=$1 mac=$2 host=$3 donor=$4
    local hyp=${mac//:/-} tid
    tid=$(( $(TGTADM --op show --mode target | grep -c '^Target' || true) + 1 ))
    local target=$IQN_BASE:blade.$name initiator=$IQN_BASE:initiator.${mac//:/}
    cp --sparse=always --reflink=auto "$donor" "$S/luns/$name.img"
    TGTADM --op new --mode target --tid "$tid" -T "$target"
    TGTADM --op new --mode logicalunit --tid "$tid" --lun 1 -b "$S/luns/$name.img"   # LUN 0: controller
    TGTADM --op bind --mode target --tid "$tid" --initiator-name "$initiator"           # ACL by IQN
    TGTADM --op bind --mode account --tid "$tid" --user $CHAP_USER                     # CHAP
    echo "$mac,$host" >> "$S/dhcp-hosts"
    kill -HUP "$(cat "$S/dnsmasq.pid")"
    cat > "$S/http/blade-$hyp.ipxe" <<EOF
#!ipxe
set initiator-iqn $initiator
set username $CHAP_USER
set password $CHAP_SECRET
sanboot iscsi:$SERVER:::1:$target || shell
EOF
    log "provisioned $name: $target for $initiator, host name $host"
}

down() {
    if [ -e "/run/netns/$BP_LAB_NS" ]; then
        local tids
        tids=$(TGTADM --op show --mode target 2>/dev/null | awk '/^Target/ { sub(":", "", $2); print $2 }' || true)
        for tid in $tids; do TGTADM --op delete --mode target --tid "$tid" --force || true; done
        X tgtadm -C $TGT_PORT --op delete --mode system > /dev/null 2>&1 || true   # tgtd ignores SIGTERM
    fi
    for p in http dnsmasq tgtd; do
        local pid; pid=$(cat "$S/$p.pid" 2>/dev/null || true)
        if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
    done
    "$LAB/net.sh" down          # stops blades, ends anything left in the namespace
    rm -rf "$S/luns"
}

# run: the whole benchmark peer in one go.
run() {
    local firmware=bios reset_check=0 keep=0
    while [ $# -gt 0 ]; do
        case "$1" in
            --firmware) firmware=$2; shift 2 ;;
            --reset-check) reset_check=1; shift ;;
            --keep) keep=1; shift ;;
            *) log "unknown option $1"; exit 2 ;;
        esac
    done
    local donor; donor=$("$REPO/images/build-test-donor.sh")
    [ "$keep" = 1 ] || trap 'down' EXIT
    down > /dev/null 2>&1 || true   # a previous run killed hard
    up
    local name=sb-$firmware mac host
    [ "$firmware" = uefi ] && mac=52:54:00:99:10:02 || mac=52:54:00:99:10:01
    host=standin-$firmware-$$
    provision "$name" "$mac" "$host" "$donor"
    local t0 t1 line
    t0=$(now)
    "$LAB/blade.sh" start "$name" --firmware "$firmware" --mac "$mac" > /dev/null
    line=$("$LAB/blade.sh" wait "$name" 'BLADEPROVISIONER-OS-(UP|FAIL)' --timeout 180)
    t1=$(now)
    echo "$line"
    case "$line" in
        *OS-UP*"host=$host target=$IQN_BASE:blade.$name image=test-donor-v"*) ;;
        *) log "unexpected marker: $line"; exit 1 ;;
    esac
    local secs; secs=$(awk "BEGIN { print $t1 - $t0 }")
    if [ "$reset_check" = 1 ]; then reset_check "$name"; fi
    printf 'STANDIN %s: power-on to OS marker %.1f s\n' "$firmware" "$secs"
}

# After the first marker the blade powers itself off. Power it on over IPMI; once its initramfs runs,
# reset it over IPMI; the reset must start a second complete boot that reaches the marker.
reset_check() {
    local name=$1 log off before
    log=$BP_LAB_DIR/$BP_LAB_NS/blades/$name/serial.log
    local i=0
    until "$LAB/blade.sh" ipmi "$name" power status | grep -q 'is off'; do
        i=$((i + 1)); [ $i -lt 100 ] || { log "blade did not power off"; exit 1; }; sleep 0.1
    done
    off=$(stat -c %s "$log")
    "$LAB/blade.sh" ipmi "$name" power on > /dev/null
    "$LAB/blade.sh" wait "$name" 'bp-init.*modules loaded' --after "$off" --timeout 120 > /dev/null
    before=$(stat -c %s "$log")
    "$LAB/blade.sh" ipmi "$name" power reset > /dev/null
    local t0; t0=$(now)
    "$LAB/blade.sh" wait "$name" 'bp-init.*modules loaded' --after "$before" --timeout 120 > /dev/null
    line=$("$LAB/blade.sh" wait "$name" 'BLADEPROVISIONER-OS-UP' --after "$before" --timeout 120)
    printf 'standin: IPMI power on + power reset: second boot reached the marker %.1f s after reset\n' \
        "$(awk "BEGIN { print $(now) - $t0 }")" >&2
}

case "${1:-run}" in
    up) up ;;
    down) down ;;
    provision) shift; [ $# -ge 3 ] || { log "usage: provision NAME MAC HOSTNAME [DONOR]"; exit 2; }
               provision "$1" "$2" "$3" "${4:-$("$REPO/images/build-test-donor.sh")}" ;;
    run) shift || true; run "$@" ;;
    --*) run "$@" ;;
    *) sed -n '2,14p' "$0" >&2; exit 2 ;;
esac
