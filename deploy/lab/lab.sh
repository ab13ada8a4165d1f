#!/bin/bash
# The virtual chassis behind `./bp lab`: the lab network (net.sh), the appliance serving it, QEMU blades.
#
#   lab.sh up [--port P] [--no-build]     network + appliance (DHCP/TFTP on bplab-h, boot HTTP on 10.99.0.1:8080,
#                                         UI/API over HTTPS on 127.0.0.1:P, its own tgtd) + test donor v1 and v2 imported.
#                                         Returns when the appliance is ready and the images are Active.
#   lab.sh blade <name> --firmware bios|uefi [--bmc] [blade.sh start options]
#                                         a QEMU blade on the chassis; --bmc also registers the blade in the
#                                         appliance with its IPMI BMC (restarts then go through IPMI)
#   lab.sh donor <N> [--after MODE]       builds test donor vN (images/build-test-donor.sh --after MODE) and imports
#                                         it unless imported already; prints image=<id>
#   lab.sh debian <variant> [--after MODE] builds (cached) the Debian donor (images/build-debian-donor.sh --variant
#                                         debian-12|debian-12-dracut), sets its bp_after= knob in a copy, imports it
#                                         as image <variant> unless imported already; prints image=<id>
#   lab.sh restart [--kill] [--down S]    stops the appliance (SIGTERM, or SIGKILL with --kill), leaves it down S
#                                         seconds, starts it again; tgtd and the blades' sessions are left alone
#   lab.sh down                           blades, appliance (and its tgtd and database), network: all gone
#   lab.sh demo                           up + one BIOS blade (blade1); prints the UI URL and how to sign in
#   lab.sh status                         what runs, the UI URL, the blades
#   lab.sh info <name>                    one blade: mac, serial log, QMP socket, BMC, power=on|off
#   lab.sh env                            key=value lines for scripts and tests (url, token, data, ...)
#
# Settings: BP_LAB_PORT (UI/API HTTPS port on 127.0.0.1, default 8480), BP_LAB_KEEP_DATA=1 (keep the appliance's
# database, images and volumes across down/up), BP_LAB_DHCP_MODE=proxy (the appliance runs Dhcp:Mode=Proxy and
# leaves addresses to another DHCP server on the chassis) or external (no DHCP of its own, Boot:RequireDhcpTicket=
# false: the other server also hands out the boot URL), plus common.sh's BP_LAB_NS/BP_LAB_NET/BP_LAB_BMC_NET/...
# Runtime state: $BP_LAB_DIR/<ns>/ (default <repo>/.lab/bplab/): appliance.log, appliance/ (data), lab.env.
set -euo pipefail
. "$(dirname "$0")/common.sh"

PORT=${BP_LAB_PORT:-8480}
SERVER=$NET.1
APPLIANCE_DLL=${BP_LAB_APPLIANCE_DLL:-$LAB_REPO/src/BladeProvisioner.Appliance/bin/${BP_CONFIGURATION:-Debug}/net10.0/BladeProvisioner.Appliance.dll}
DATA=$STATE/appliance
ENV_FILE=$STATE/lab.env
DHCP_MODE=${BP_LAB_DHCP_MODE:-server}   # proxy | external: a site DHCP server (not the lab's) hands out the addresses
TGT_CONTROL_PORT=${BP_LAB_TGT_CONTROL_PORT:-7712}   # tgtd's control socket is a host-wide file: a port of its own
IMAGE_NAME=test-donor
# The management listener is HTTPS with the certificate the appliance generates in its data directory: curl trusts
# exactly that certificate (never -k).
URL=https://127.0.0.1:$PORT
CERT=$DATA/tls/management.crt

die() { echo "lab: $*" >&2; exit 1; }
now_ms() { date +%s%3N; }

need() {
    local missing=()
    [ "$(id -u)" -eq 0 ] || die "run as root (network namespaces, taps, DHCP/TFTP ports, tgtd)"
    for t in ip qemu-system-x86_64 ipmi_sim ipmitool tgtd tgtadm python3 curl jq; do
        command -v "$t" > /dev/null || missing+=("$t")
    done
    for f in /usr/lib/ipxe/qemu/pxe-e1000.rom /usr/share/OVMF/OVMF_CODE_4M.fd /usr/lib/ipxe/undionly.kpxe /usr/lib/ipxe/ipxe.efi; do
        [ -e "$f" ] || missing+=("$f")
    done
    [ ${#missing[@]} -eq 0 ] || die "missing: ${missing[*]} (./bp deps --test installs them)"
}

api() {   # api METHOD PATH [JSON]: the appliance's API with the lab's token; prints the body
    local method=$1 path=$2 body=${3:-}
    local args=(-sS -f --max-time 30 -X "$method" -H "Authorization: Bearer $(cat "$STATE/api-token")")
    [ -z "$body" ] || args+=(-H 'content-type: application/json' -d "$body")
    curl --cacert "$CERT" "${args[@]}" "$URL$path"
}

# json [jq options] FILTER: one value out of the API's JSON on stdin; fails on a missing (null) value.
json() { jq -er "$@"; }

appliance_pid() { pid_of "$STATE/appliance.pid"; }

build_appliance() {
    local newest
    if [ -f "$APPLIANCE_DLL" ]; then
        newest=$(find "$LAB_REPO/src" -newer "$APPLIANCE_DLL" \( -name '*.cs' -o -name '*.csproj' -o -name '*.json' -o -name '*.sql' \) \
            -not -path '*/obj/*' -not -path '*/bin/*' -print -quit)
        [ -z "$newest" ] && return 0
    fi
    lab_log "building the appliance"
    dotnet build "$LAB_REPO/src/BladeProvisioner.Appliance" -c "${BP_CONFIGURATION:-Debug}" -nologo -clp:ErrorsOnly -v:q >&2 \
        || die "the appliance does not build"
}

start_appliance() {
    mkdir -p "$DATA/incoming"
    chmod 755 "$DATA"
    # The embedded PostgreSQL runs as user postgres: it must be able to reach the data directory.
    local d=$DATA
    while [ "$d" != / ]; do chmod o+x "$d" 2>/dev/null || true; d=$(dirname "$d"); done
    [ -s "$STATE/api-token" ] || { umask 077; od -An -tx1 -N24 /dev/urandom | tr -d ' \n' > "$STATE/api-token"; }
    local token; token=$(cat "$STATE/api-token")
    local args=(
        "--Appliance:DataDirectory=$DATA"
        "--Listeners:Provisioning:Addresses:0=$SERVER"
        "--Listeners:Provisioning:Port=8080"
        "--Listeners:Management:Addresses:0=127.0.0.1"
        "--Listeners:Management:Port=$PORT"
        "--Auth:BootstrapApiToken=$token"
        "--Dhcp:Enabled=true"
        "--Dhcp:Interfaces:0:Name=$HOST_IF"
        "--Dhcp:Interfaces:0:ServerAddress=$SERVER"
        "--Dhcp:BootScriptUrl=http://$SERVER:8080/boot/ipxe"
        "--Tftp:Enabled=true"
        "--Tftp:Interfaces:0=$HOST_IF"
        "--Targets:PortalAddress=$SERVER"
        "--Targets:ControlPort=$TGT_CONTROL_PORT"
        "--Targets:ManageTgtd=true"
        "--Targets:StopTgtdOnShutdown=false"
        "--Power:IpmiCipherSuite=3"
        "--Power:IpmiRetries=2"
        "--Logging:LogLevel:Npgsql=Warning"
        "--Logging:LogLevel:Microsoft.EntityFrameworkCore=Warning"
        "--Logging:LogLevel:Microsoft.AspNetCore=Warning"
    )
    if [ "$DHCP_MODE" = proxy ]; then
        # Another server on the chassis owns the addresses: the appliance only answers boot clients (proxyDHCP).
        args+=("--Dhcp:Mode=Proxy")
    elif [ "$DHCP_MODE" = external ]; then
        # Another server hands iPXE the boot URL too: no DHCP of the appliance's own, so no boot tickets either.
        args+=("--Dhcp:Enabled=false" "--Boot:RequireDhcpTicket=false")
    else
        args+=(
            "--Dhcp:Scopes:0:Name=chassis"
            "--Dhcp:Scopes:0:Subnet=$NET.0/$PREFIX"
            "--Dhcp:Scopes:0:Ranges:0=$NET.100-$NET.$(( PREFIX == 24 ? 199 : 126 ))"
            "--Dhcp:Scopes:0:Domain=lab.bladeprovisioner.test"
            "--Dhcp:Scopes:0:LeaseTime=01:00:00"
        )
    fi
    rm -f "$STATE/appliance.pid"
    # Own session, detached; the process writes its pid itself (setsid may fork).
    # shellcheck disable=SC2016  # expanded by the inner sh, not here
    setsid sh -c 'echo $$ > "$0"; exec "$@"' "$STATE/appliance.pid" dotnet "$APPLIANCE_DLL" "${args[@]}" \
        >> "$STATE/appliance.log" 2>&1 < /dev/null &
    local i=0
    while [ ! -s "$STATE/appliance.pid" ] && [ $i -lt 50 ]; do sleep 0.05; i=$((i + 1)); done
    lab_log "appliance started (pid $(cat "$STATE/appliance.pid")), log $STATE/appliance.log"
    local deadline=$(( $(date +%s) + ${BP_LAB_READY_TIMEOUT:-180} ))
    until curl -sf --max-time 2 --cacert "$CERT" "$URL/health/ready" > /dev/null 2>&1; do
        [ -n "$(appliance_pid || true)" ] || die "the appliance exited: $(tail -n 15 "$STATE/appliance.log")"
        [ "$(date +%s)" -lt $deadline ] || die "the appliance is not ready after ${BP_LAB_READY_TIMEOUT:-180}s: $(curl -s --cacert "$CERT" "$URL/health/ready")"
        sleep 0.3
    done
}

# imported NAME LABEL: the ids of images called NAME whose notes are LABEL (not retired), space-separated.
imported() {
    # shellcheck disable=SC2016  # $notes is a jq variable
    api GET "/api/images?name=$1" \
        | json --arg notes "$2" '[.[] | select((.notes // "") == $notes and .state != "Retired") | .id | tostring] | join(" ")'
}

# import_image NAME LABEL JSON: imports an image unless one called NAME whose notes are LABEL is imported already;
# waits until it is Active. Prints the image id.
import_image() {
    local name=$1 label=$2 body=$3 existing reply id state i=0
    existing=$(imported "$name" "$label")
    if [ -n "$existing" ]; then echo "${existing%% *}"; return 0; fi
    reply=$(api POST /api/images/import "$body") || die "import of $label refused"
    id=$(json '.image.id' <<< "$reply")
    while :; do
        state=$(api GET "/api/images/$id" | json '.state')
        [ "$state" = Active ] && break
        [ $i -lt 1500 ] || die "image $id ($label) is still $state"
        case "$state" in Failed|Retired) die "image $id ($label) import ended $state" ;; esac
        sleep 0.2; i=$((i + 1))
    done
    echo "$id"
}

# import_donor VERSION [AFTER]: builds test donor vN into <data>/incoming and imports it (new version of test-donor)
# unless that version's label is already imported. Prints the image id.
import_donor() {
    local v=$1 after=${2:-poweroff} file=$DATA/incoming/test-donor-v$1.img
    if [ -z "$(imported "$IMAGE_NAME" "test-donor-v$v")" ]; then
        "$LAB_REPO/images/build-test-donor.sh" --version "$v" --after "$after" --out "$file" > /dev/null
    fi
    import_image "$IMAGE_NAME" "test-donor-v$v" "$(printf '{"name":"%s","operatingSystem":"BladeProvisioner test donor","bootMode":"Both","path":"%s","notes":"test-donor-v%s"}' "$IMAGE_NAME" "$file" "$v")"
}

# import_debian VARIANT [AFTER]: the Debian donor VARIANT (images/build-debian-donor.sh, cached) copied into
# <data>/incoming with bp_after=AFTER in its GRUB environment block (what the OS does once it is up: poweroff, reboot
# once, wait), imported as image VARIANT unless that copy is imported already. Prints the image id.
import_debian() {
    local variant=$1 after=${2:-poweroff} label file src start tmp
    label=$variant-$after
    file=$DATA/incoming/$label.img
    if [ -z "$(imported "$variant" "$label")" ]; then
        src=$("$LAB_REPO/images/build-debian-donor.sh" --variant "$variant")
        mkdir -p "$DATA/incoming"
        cp --sparse=always "$src" "$file"
        # The root is partition 3; its ext4 holds /boot/grub/bladeprovisioner.env (a 1024-byte GRUB environment block).
        start=$(sfdisk --json "$file" | jq -er '.partitiontable.partitions[2].start')
        tmp=$(mktemp -d)
        { printf '# GRUB Environment Block\nbp_after=%s\n' "$after"; head -c 1024 /dev/zero | tr '\0' '#'; } | head -c 1024 > "$tmp/env"
        debugfs -w -R 'rm /boot/grub/bladeprovisioner.env' "$file?offset=$((start * 512))" > /dev/null 2>&1
        debugfs -w -R "write $tmp/env /boot/grub/bladeprovisioner.env" "$file?offset=$((start * 512))" > /dev/null 2>&1
        [ "$(debugfs -R 'cat /boot/grub/bladeprovisioner.env' "$file?offset=$((start * 512))" 2>/dev/null | sed -n 's/^bp_after=//p')" = "$after" ] \
            || die "could not set bp_after=$after in $file"
        rm -rf "$tmp"
    fi
    import_image "$variant" "$label" "$(printf '{"name":"%s","operatingSystem":"Debian GNU/Linux 12","bootMode":"Both","path":"%s","notes":"%s"}' "$variant" "$file" "$label")"
}

write_env() {
    cat > "$ENV_FILE" <<EOF
url=$URL
cert_file=$CERT
blade_url=http://$SERVER:8080
token_file=$STATE/api-token
data=$DATA
log=$STATE/appliance.log
state=$STATE
ns=$NS
server=$SERVER
host_if=$HOST_IF
tgt_control_port=$TGT_CONTROL_PORT
image_v1=$1
image_v2=$2
EOF
}

up() {
    need
    if [ -n "$(appliance_pid || true)" ] && ns_exists; then
        lab_log "already up: $URL"; cat "$ENV_FILE"; return 0
    fi
    local t0; t0=$(now_ms)
    # shellcheck disable=SC2154  # rc is assigned inside the trap
    trap 'rc=$?; [ $rc -eq 0 ] || { lab_log "up failed, tearing down (appliance log: $STATE/appliance.log)"; down; }; exit $rc' EXIT
    build_appliance
    [ "${BP_LAB_KEEP_DATA:-0}" = 1 ] || { stop_appliance; rm -rf "$DATA"; }
    "$LAB_HERE/net.sh" up
    mkdir -p "$STATE"
    : > "$STATE/appliance.log"
    start_appliance
    lab_log "appliance ready after $(( ($(now_ms) - t0) / 1000 )) s; importing the test donor (v1, v2)"
    local v1 v2
    v1=$(import_donor 1)
    v2=$(import_donor 2)
    write_env "$v1" "$v2"
    trap - EXIT
    lab_log "up in $(( ($(now_ms) - t0) / 1000 )) s. UI/API: $URL  (API token: $STATE/api-token; certificate: $CERT)"
    sign_in_hint
    cat "$ENV_FILE"
}

# The web UI wants a user: on a fresh database the appliance logs a one-time setup token for /setup.
sign_in_hint() {
    local line; line=$(grep -a -m1 -o 'Open /setup.*' "$STATE/appliance.log" 2>/dev/null | cut -c1-200 || true)
    [ -z "$line" ] || lab_log "web UI sign-in: $line  (at $URL/setup)"
}

demo() {
    up > /dev/null
    if [ ! -f "$STATE/blades/blade1/index" ]; then blade blade1 --firmware bios > /dev/null; fi
    local qmp="$STATE/blades/blade1/qmp.sock" t0; t0=$(date +%s)
    lab_log "blade1 is PXE-booting (QEMU under TCG); waiting for the appliance's menu on its console"
    python3 "$LAB_HERE/vgatext.py" "$qmp" --wait 'test-donor v[0-9]' --timeout 240 > /dev/null \
        || die "blade1 did not show the menu; its console: python3 $LAB_HERE/vgatext.py $qmp"
    sleep 1
    lab_log "menu shown after $(( $(date +%s) - t0 )) s; choosing the image as an operator would (keys: up, enter)"
    python3 "$LAB_HERE/qmp.py" "$qmp" send-keys up ret > /dev/null
    lab_log "cloning its boot LUN, restarting it, booting it from iSCSI…"
    local marker
    marker=$(BP_LAB_NS=$NS "$LAB_HERE/blade.sh" wait blade1 BLADEPROVISIONER-OS --timeout 300) \
        || die "blade1 did not reach its OS; serial log: $STATE/blades/blade1/serial.log"
    lab_log "blade1 is running from its own iSCSI LUN $(( $(date +%s) - t0 )) s after power-on: $marker"
    cat <<EOT
The virtual chassis is up; blade1 (BIOS) chose an image in the appliance's menu, was provisioned and booted its OS
from its own iSCSI LUN. Look at it in the web UI (blades, its timeline, the clone job).
  web UI / API     $URL   (API token for scripts: $STATE/api-token)
  its certificate  $CERT (self-signed; SHA-256 $(openssl x509 -in "$CERT" -noout -fingerprint -sha256 2>/dev/null | cut -d= -f2))
  blade1 console   python3 $LAB_HERE/vgatext.py $STATE/blades/blade1/qmp.sock
  pick the image   python3 $LAB_HERE/qmp.py $STATE/blades/blade1/qmp.sock send-keys up ret
  watch its OS     $LAB_HERE/blade.sh wait blade1 BLADEPROVISIONER-OS   (BP_LAB_NS=$NS)
  more blades      ./bp lab blade blade2 --firmware uefi
  tear down        ./bp lab down
EOT
    sign_in_hint
}

stop_appliance() {
    local pid; pid=$(appliance_pid || true)
    if [ -n "$pid" ]; then
        # SIGTERM: the appliance stops its embedded PostgreSQL on a clean shutdown and leaves tgtd running (the data
        # plane outlives it); tgtd is ended below.
        kill_wait "$pid" 30
    fi
    rm -f "$STATE/appliance.pid"
    # After a hard kill: the tgtd it started (own control port) and the embedded cluster are left behind.
    if tgtadm -C "$TGT_CONTROL_PORT" --lld iscsi --op show --mode target > /dev/null 2>&1; then
        local tid
        for tid in $(tgtadm -C "$TGT_CONTROL_PORT" --lld iscsi --op show --mode target | awk '/^Target/ { sub(":", "", $2); print $2 }'); do
            tgtadm -C "$TGT_CONTROL_PORT" --lld iscsi --op delete --mode target --tid "$tid" --force > /dev/null 2>&1 || true
        done
        tgtadm -C "$TGT_CONTROL_PORT" --op delete --mode system > /dev/null 2>&1 || true
        # tgtd leaves a moment after it answers: until it is gone it holds the portal, and the next `up`'s tgtd could not
        # bind it (seen once: blades got "Connection reset" on every sanboot).
        local i=0
        while tgtadm -C "$TGT_CONTROL_PORT" --op show --mode sys > /dev/null 2>&1 && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    fi
    if [ -f "$DATA/postgres/data/postmaster.pid" ]; then
        local bin
        # shellcheck disable=SC2012  # a version sort of the installed majors
        bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
        [ -z "$bin" ] || su postgres -s /bin/sh -c "'$bin/pg_ctl' -D '$DATA/postgres/data' -m fast -w stop" > /dev/null 2>&1 || true
    fi
}

down() {
    if [ -d "$STATE/blades" ]; then
        for b in "$STATE"/blades/*/; do
            if [ -d "$b" ]; then "$LAB_HERE/blade.sh" stop "$(basename "$b")" 2> /dev/null || true; fi
        done
    fi
    stop_appliance
    "$LAB_HERE/net.sh" down
    rm -f "$ENV_FILE"
}

blade() {
    [ $# -ge 1 ] || die "usage: lab.sh blade <name> --firmware bios|uefi [--bmc]"
    local name=$1; shift
    local register=0 args=()
    while [ $# -gt 0 ]; do
        case "$1" in --bmc) register=1; shift ;; *) args+=("$1"); shift ;; esac
    done
    [ -f "$ENV_FILE" ] || die "the lab is not up (./bp lab up)"
    local info; info=$("$LAB_HERE/blade.sh" start "$name" "${args[@]}")
    echo "$info"
    if [ "$register" = 1 ]; then
        local mac bmc user password id
        mac=$(sed -n 's/^mac=//p' <<< "$info"); bmc=$(sed -n 's/^bmc_address=//p' <<< "$info")
        user=$(sed -n 's/^bmc_user=//p' <<< "$info"); password=$(sed -n 's/^bmc_password=//p' <<< "$info")
        # shellcheck disable=SC2016  # $mac is a jq variable
        id=$(api GET "/api/blades?q=$mac" | json --arg mac "$mac" '[.[] | select((.bootMac | ascii_downcase) == $mac) | .id | tostring] | join(" ")')
        [ -n "$id" ] || id=$(api POST /api/blades "$(jq -cn --arg mac "$mac" '{bootMac: $mac}')" | json '.id')
        api PATCH "/api/blades/$id" "{\"powerDriver\":\"Ipmi\",\"bmcAddress\":\"$bmc\",\"bmcUsername\":\"$user\",\"bmcPassword\":\"$password\"}" > /dev/null
        echo "blade_id=$id"
    fi
    lab_log "blade $name powered on; watch it at $URL"
}

# restart [--kill] [--down S]: the control plane goes away and comes back, as an upgrade or a crash restart would.
restart() {
    local signal=TERM down=0
    while [ $# -gt 0 ]; do
        case "$1" in --kill) signal=KILL; shift ;; --down) down=$2; shift 2 ;; *) die "unknown option $1" ;; esac
    done
    [[ "$down" =~ ^[0-9]+$ ]] || die "--down wants whole seconds"
    local pid; pid=$(appliance_pid) || die "the appliance is not running"
    if [ "$signal" = KILL ]; then kill -9 "$pid"; else kill "$pid"; fi
    local i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
    kill -0 "$pid" 2>/dev/null && die "the appliance (pid $pid) did not stop after SIG$signal"
    rm -f "$STATE/appliance.pid"
    lab_log "appliance stopped (SIG$signal); down for $down s"
    sleep "$down"
    start_appliance
    lab_log "appliance ready again"
}

status() {
    if ! ns_exists; then echo "down"; return 1; fi
    local pid; pid=$(appliance_pid || true)
    if [ -n "$pid" ]; then
        echo "appliance pid=$pid url=$URL ready=$(curl -s --cacert "$CERT" -o /dev/null -w '%{http_code}' "$URL/health/ready")"
    else
        echo "appliance not running (log: $STATE/appliance.log)"
    fi
    "$LAB_HERE/net.sh" status
}

cmd=${1:-}; shift || true
case "$cmd" in
    up) while [ $# -gt 0 ]; do case "$1" in --port) PORT=$2; URL=https://127.0.0.1:$PORT; shift 2 ;; --no-build) APPLIANCE_NOBUILD=1; shift ;; *) die "unknown option $1" ;; esac; done
        [ -z "${APPLIANCE_NOBUILD:-}" ] || build_appliance() { [ -f "$APPLIANCE_DLL" ] || die "not built: $APPLIANCE_DLL"; }
        up ;;
    down) down ;;
    demo) demo ;;
    status) status ;;
    blade) blade "$@" ;;
    donor) [ $# -ge 1 ] || die "usage: lab.sh donor <N> [--after MODE]"
        v=$1; shift; after=poweroff
        while [ $# -gt 0 ]; do case "$1" in --after) after=$2; shift 2 ;; *) die "unknown option $1" ;; esac; done
        id=$(import_donor "$v" "$after"); echo "image=$id" ;;
    debian) [ $# -ge 1 ] || die "usage: lab.sh debian debian-12|debian-12-dracut [--after MODE]"
        variant=$1; shift; after=poweroff
        while [ $# -gt 0 ]; do case "$1" in --after) after=$2; shift 2 ;; *) die "unknown option $1" ;; esac; done
        id=$(import_debian "$variant" "$after"); echo "image=$id" ;;
    restart) restart "$@" ;;
    info) [ $# -eq 1 ] || die "usage: lab.sh info <name>"; "$LAB_HERE/blade.sh" info "$1" ;;
    env) [ -f "$ENV_FILE" ] || die "the lab is not up"; cat "$ENV_FILE" ;;
    *) sed -n '2,25p' "$0" >&2; exit 2 ;;
esac
