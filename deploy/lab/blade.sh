#!/bin/bash
# Virtual blades on the lab chassis (run net.sh up first).
#
#   blade.sh start <name> --firmware bios|uefi [--mac M] [--ipmi-port P] [--memory MiB]
#   blade.sh stop <name>              power off and remove (logs stay in the blade's directory)
#   blade.sh info <name>              key=value lines: mac, serial log, QMP socket, BMC address...
#   blade.sh ipmi <name> ARGS...      ipmitool -I lanplus against the blade's BMC, e.g. `power reset`
#   blade.sh wait <name> REGEX [--timeout S] [--after BYTES]
#                                     print the first serial-log line matching REGEX (exit 1 on timeout)
#
# A blade is QEMU (-accel tcg -nodefaults) with its NIC on a tap in the lab bridge, serial console
# appended to serial.log, a QMP socket, and a BMC: an ipmi_sim per blade, which owns the QEMU process
# (startcmd) and talks to it over QEMU's ipmi-bmc-extern chardev, so IPMI power on/off/reset/cycle
# act on the VM. BIOS blades boot the NIC's iPXE option ROM (ipxe-qemu); UEFI blades have the NIC ROM
# disabled, so OVMF's own PXE client fetches the iPXE binary over TFTP, as real UEFI blades do.
set -euo pipefail
. "$(dirname "$0")/common.sh"
# shellcheck source=/dev/null  # written by net.sh at run time
[ -f "$STATE/net.env" ] && . "$STATE/net.env"

BIOS_ROM=/usr/lib/ipxe/qemu/pxe-e1000.rom   # ipxe-qemu: BIOS-only iPXE option ROM for e1000
OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
IPMI_USER=${BP_LAB_IPMI_USER:-admin}
IPMI_PASSWORD=${BP_LAB_IPMI_PASSWORD:-bplab-bmc}

die() { echo "blade: $*" >&2; exit 1; }
bdir() { echo "$STATE/blades/$1"; }
valid_name() { [[ "$1" =~ ^[a-z0-9][a-z0-9-]{0,30}$ ]] || die "blade name '$1': use [a-z0-9-], max 31"; }

start() {
    local name=$1; shift; valid_name "$name"
    local firmware='' mac='' port=623 mem=384
    while [ $# -gt 0 ]; do
        case "$1" in
            --firmware) firmware=$2; shift 2 ;;
            --mac) mac=$2; shift 2 ;;
            --ipmi-port) port=$2; shift 2 ;;
            --memory) mem=$2; shift 2 ;;
            *) die "unknown option $1" ;;
        esac
    done
    case "$firmware" in bios|uefi) ;; *) die "--firmware bios|uefi is required" ;; esac
    ns_exists || die "lab network $NS is not up (net.sh up)"
    local B; B=$(bdir "$name")
    [ -n "$(pid_of "$B/ipmi_sim.pid" || true)" ] && die "blade $name already runs"

    # Slot: the lowest index no other blade holds; it names the tap, BMC address and VM port.
    # Blades may be started in parallel (tests): allocate under a lock.
    mkdir -p "$STATE/blades"
    exec 9> "$STATE/blades/.lock"
    flock -w 30 9 || die "could not lock $STATE/blades/.lock"
    local idx=1
    while grep -qx "$idx" "$STATE"/blades/*/index 2>/dev/null; do idx=$((idx + 1)); done
    [ $idx -le 200 ] || die "no free blade slot"
    local h; h=$(printf '%s' "$NS/$name" | md5sum)
    [ -n "$mac" ] || mac=$(printf '52:54:00:%s:%s:%s' "${h:0:2}" "${h:2:2}" "${h:4:2}")
    local uuid="${h:0:8}-${h:8:4}-4${h:13:3}-a${h:17:3}-${h:20:12}"
    local tap=tap$idx bmc_ip=$BMC_NET.$((BMC_BASE + 9 + idx)) vm_port=$((9100 + idx))

    rm -rf "$B"; mkdir -p "$B/ipmi-state"
    echo "$idx" > "$B/index"
    flock -u 9; exec 9>&-
    # shellcheck disable=SC2154  # rc is assigned inside the trap
    trap 'rc=$?; [ $rc -eq 0 ] || { echo "blade: start failed, cleaning up" >&2; stop "$name" >/dev/null 2>&1; }; exit $rc' EXIT
    ip -n "$NS" tuntap add dev "$tap" mode tap
    ip -n "$NS" link set "$tap" master "$BRIDGE" up
    ip -n "$NS" addr add "$bmc_ip/$PREFIX" dev "$BMC_IF"

    local nic fw nic_model
    if [ "$firmware" = uefi ]; then
        cp "$OVMF_VARS" "$B/OVMF_VARS.fd"   # per-blade NVRAM, kept across power cycles
        fw="-machine q35 -drive if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE -drive if=pflash,format=raw,unit=1,file=$B/OVMF_VARS.fd"
        # No option ROM: OVMF's own virtio-net driver and PXE client boot (OVMF has no e1000 driver).
        nic="virtio-net-pci,netdev=net0,mac=$mac,romfile=,bootindex=1"
        nic_model=virtio-net-pci
    else
        fw="-machine pc"
        # virtio-net with pxe-virtio.rom / efi-virtio.rom: SeaBIOS never ran the ROM here.
        nic="e1000,netdev=net0,mac=$mac,romfile=$BIOS_ROM,bootindex=1"
        nic_model=e1000
    fi
    cat > "$B/qemu.sh" <<EOF
#!/bin/sh
# Started (and restarted on IPMI power on) by this blade's ipmi_sim.
exec qemu-system-x86_64 -name bp-blade-$name -accel tcg -nodefaults $fw -m $mem -smp 1 \\
  -display none -vga std -uuid $uuid \\
  -smbios type=1,manufacturer=BladeProvisioner,product=VirtualBlade,serial=$name \\
  -chardev file,id=ser0,path=$B/serial.log,append=on -serial chardev:ser0 \\
  -qmp unix:$B/qmp.sock,server=on,wait=off -pidfile $B/qemu.pid \\
  -netdev tap,id=net0,ifname=$tap,script=no,downscript=no -device $nic \\
  -chardev socket,id=ipmi0,host=127.0.0.1,port=$vm_port,reconnect=1 \\
  -device ipmi-bmc-extern,id=bmc0,chardev=ipmi0 -device isa-ipmi-kcs,bmc=bmc0 \\
  >> $B/qemu.log 2>&1
EOF
    chmod +x "$B/qemu.sh"
    cat > "$B/bmc.conf" <<EOF
name "bp-$name"
set_working_mc 0x20
  startlan 1
    addr $bmc_ip $port
    priv_limit admin
    allowed_auths_callback none md2 md5 straight
    allowed_auths_user none md2 md5 straight
    allowed_auths_operator none md2 md5 straight
    allowed_auths_admin none md2 md5 straight
    guid ${h:0:32}
  endlan
  serial 15 127.0.0.1 $vm_port codec VM
  startcmd "$B/qemu.sh"
  startnow true
  poweroff_wait 2
  kill_wait 3
  user 2 true "$IPMI_USER" "$IPMI_PASSWORD" admin 10 none md2 md5 straight
EOF
    cat > "$B/bmc.emu" <<EOF
mc_setbmc 0x20
mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02
sel_enable 0x20 1000 0x0a
mc_enable 0x20
EOF
    cat > "$B/info" <<EOF
name=$name
firmware=$firmware
nic=$nic_model
mac=$mac
uuid=$uuid
tap=$tap
serial_log=$B/serial.log
qmp=$B/qmp.sock
bmc_address=$bmc_ip
bmc_port=$port
bmc_user=$IPMI_USER
bmc_password=$IPMI_PASSWORD
EOF
    : > "$B/serial.log"
    spawn_in_ns "$B/ipmi_sim.pid" "$B/ipmi_sim.log" \
        ipmi_sim -n -c "$B/bmc.conf" -f "$B/bmc.emu" -s "$B/ipmi-state"
    # Ready when QEMU runs and its QMP socket answers.
    local i=0
    while [ $i -lt 100 ]; do
        [ -n "$(pid_of "$B/ipmi_sim.pid" || true)" ] || die "ipmi_sim exited: $(tail -3 "$B/ipmi_sim.log")"
        [ -S "$B/qmp.sock" ] && [ -n "$(pid_of "$B/qemu.pid" || true)" ] && break
        sleep 0.1; i=$((i + 1))
    done
    [ $i -lt 100 ] || die "QEMU did not start: $(tail -5 "$B/qemu.log" 2>/dev/null)"
    trap - EXIT
    cat "$B/info"
}

stop() {
    local name=$1 B; B=$(bdir "$name")
    [ -f "$B/index" ] || return 0   # not started (or already stopped); its logs stay
    kill_wait "$(pid_of "$B/ipmi_sim.pid" || true)" 3
    kill_wait "$(pid_of "$B/qemu.pid" || true)" 5
    local tap ip
    tap=$(sed -n 's/^tap=//p' "$B/info" 2>/dev/null || true)
    ip=$(sed -n 's/^bmc_address=//p' "$B/info" 2>/dev/null || true)
    if ns_exists; then
        [ -z "$tap" ] || ip -n "$NS" link del "$tap" 2>/dev/null || true
        [ -z "$ip" ] || ip -n "$NS" addr del "$ip/$PREFIX" dev "$BMC_IF" 2>/dev/null || true
    fi
    rm -f "$B/index" "$B/ipmi_sim.pid" "$B/qemu.pid" "$B/qmp.sock"
    echo "blade: $name stopped" >&2
}

info() { local B; B=$(bdir "$1"); [ -f "$B/info" ] || die "no blade $1"; cat "$B/info"
    if [ -n "$(pid_of "$B/qemu.pid" || true)" ]; then echo "power=on"; else echo "power=off"; fi; }

ipmi() {
    local name=$1; shift; local B; B=$(bdir "$name"); [ -f "$B/info" ] || die "no blade $name"
    local ip port user password
    ip=$(sed -n 's/^bmc_address=//p' "$B/info"); port=$(sed -n 's/^bmc_port=//p' "$B/info")
    user=$(sed -n 's/^bmc_user=//p' "$B/info"); password=$(sed -n 's/^bmc_password=//p' "$B/info")
    on_server ipmitool -I lanplus -C 3 -H "$ip" -p "$port" -U "$user" -P "$password" "$@"
}

wait_serial() {
    local name=$1 re=$2; shift 2; local timeout=120 after=0
    while [ $# -gt 0 ]; do
        case "$1" in --timeout) timeout=$2; shift 2 ;; --after) after=$2; shift 2 ;; *) die "unknown option $1" ;; esac
    done
    local log; log=$(bdir "$name")/serial.log; [ -f "$log" ] || die "no blade $name"
    local end=$(( $(date +%s%N) + timeout * 1000000000 )) line
    while [ "$(date +%s%N)" -lt $end ]; do
        line=$(tail -c +$((after + 1)) "$log" | tr -d '\r' | grep -aE -m1 -- "$re" || true)
        [ -n "$line" ] && { echo "$line"; return 0; }
        sleep 0.1
    done
    echo "blade: $name: no serial line matching /$re/ within ${timeout}s" >&2
    return 1
}

cmd=${1:-}; shift || true
case "$cmd" in
    start) [ $# -ge 1 ] || die "usage: start <name> --firmware bios|uefi"; start "$@" ;;
    stop) [ $# -eq 1 ] || die "usage: stop <name>"; stop "$1" ;;
    info) [ $# -eq 1 ] || die "usage: info <name>"; info "$1" ;;
    ipmi) [ $# -ge 2 ] || die "usage: ipmi <name> ARGS..."; ipmi "$@" ;;
    wait) [ $# -ge 2 ] || die "usage: wait <name> REGEX"; wait_serial "$@" ;;
    *) sed -n '2,12p' "$0" >&2; exit 2 ;;
esac
