#!/usr/bin/env bash
# The boot storm's peer: the hand-built chain the appliance replaces, made in advance for N blades and then stormed.
# dnsmasq (DHCP + TFTP of undionly.kpxe / ipxe.efi) and python's http.server (one pre-made sanboot script per MAC)
# on the host end of the veth to namespace bpstorm2 (10.99.44.0/22), tgtd (own control port, portal 10.99.44.1:3260)
# with a target per blade: its own sparse copy of the donor on LUN 1, an ACL by initiator IQN, CHAP. The same driver as
# ours (StormDriver) plays the blades inside the namespace; there is no menu, clone or reboot to do.
# Usage: standin.sh BLADES JSON DRIVER_DLL DONOR        (root; prints the driver's table and STORM line)
set -euo pipefail

BLADES="$1"; JSON="$2"; DRIVER="$3"; DONOR="$4"
NS=bpstorm2; HOST_IF=bpstorm2h; PEER_IF=bpstorm2p; NET=10.99.44; SERVER=$NET.1
TGT_PORT=7740; HTTP_PORT=8744; MAC_BYTE=4a
CHAP_USER=standin; CHAP_SECRET=StandinSecret12
S="$(mktemp -d /tmp/bpstorm-standin.XXXXXX)"
PIDS=()

TGTADM() { tgtadm -C "$TGT_PORT" --lld iscsi "$@"; }
log() { echo "standin: $*" >&2; }

cleanup() {
  local tids tid
  tids=$(TGTADM --op show --mode target 2>/dev/null | awk '/^Target/ { sub(":", "", $2); print $2 }' || true)
  for tid in $tids; do TGTADM --op delete --mode target --tid "$tid" --force >/dev/null 2>&1 || true; done
  tgtadm -C "$TGT_PORT" --op delete --mode system >/dev/null 2>&1 || true   # tgtd ignores SIGTERM
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ -f "$S/dnsmasq.pid" ]; then kill "$(cat "$S/dnsmasq.pid")" 2>/dev/null || true; fi
  ip link del "$HOST_IF" 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
  cp "$S"/*.log "$(dirname "$JSON")/" 2>/dev/null || true
  rm -rf "$S"
}
trap cleanup EXIT

ip link del "$HOST_IF" 2>/dev/null || true
ip netns del "$NS" 2>/dev/null || true
ip netns add "$NS"
ip -n "$NS" link set lo up
ip link add "$HOST_IF" type veth peer name "$PEER_IF"
ip link set "$PEER_IF" netns "$NS"
ip addr add "$SERVER/22" dev "$HOST_IF"; ip link set "$HOST_IF" up
ip -n "$NS" addr add "$NET.2/22" dev "$PEER_IF"; ip -n "$NS" link set "$PEER_IF" up

# tgtd with one target per blade, made before the storm (what an admin's script does ahead of time).
mkdir -p "$S/luns" "$S/www/s" "$S/tftp"
cp /usr/lib/ipxe/ipxe.efi /usr/lib/ipxe/undionly.kpxe "$S/tftp/"
chmod 755 "$S" "$S/tftp"; chmod 644 "$S"/tftp/*   # dnsmasq serves TFTP as nobody
setsid tgtd -f -C "$TGT_PORT" --iscsi portal="$SERVER":3260 >"$S/tgtd.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 1 50); do TGTADM --op show --mode target >/dev/null 2>&1 && break; sleep 0.1; done
TGTADM --op new --mode account --user "$CHAP_USER" --password "$CHAP_SECRET"
started=$(date +%s.%N)
for i in $(seq 1 "$BLADES"); do
  mac=$(printf '52-54-00-%s-%02x-%02x' "$MAC_BYTE" $((i >> 8)) $((i & 255)))
  target="iqn.2026-12.lab.standin:blade.$i"
  initiator="iqn.2026-12.lab.standin:initiator.$i"
  cp --sparse=always "$DONOR" "$S/luns/$i.img"
  TGTADM --op new --mode target --tid "$i" -T "$target"
  TGTADM --op new --mode logicalunit --tid "$i" --lun 1 -b "$S/luns/$i.img"
  TGTADM --op bind --mode target --tid "$i" --initiator-name "$initiator"
  TGTADM --op bind --mode account --tid "$i" --user "$CHAP_USER"
  printf '#!ipxe\nset initiator-iqn %s\nset username %s\nset password %s\nsanboot iscsi:%s::3260:1:%s\n' \
    "$initiator" "$CHAP_USER" "$CHAP_SECRET" "$SERVER" "$target" >"$S/www/s/$mac.ipxe"
done
log "made $BLADES targets and scripts in $(echo "$(date +%s.%N) - $started" | bc) s"

(cd "$S/www" && exec python3 -m http.server "$HTTP_PORT" --bind "$SERVER" >"$S/http.log" 2>&1) &
PIDS+=("$!")

cat >"$S/dnsmasq.conf" <<CONF
port=0
interface=$HOST_IF
bind-interfaces
log-facility=$S/dnsmasq.log
log-dhcp
pid-file=$S/dnsmasq.pid
dhcp-leasefile=$S/dnsmasq.leases
dhcp-range=$NET.10,10.99.47.254,255.255.252.0,1h
dhcp-authoritative
# dnsmasq pings every new address before offering it and holds all DHCP for up to 3 s meanwhile: a hand-built
# chain for a chassis turns that off (the appliance probes, 300 ms, without stalling the others).
no-ping
dhcp-userclass=set:ipxe,iPXE
dhcp-match=set:efi,option:client-arch,7
dhcp-boot=tag:ipxe,http://$SERVER:$HTTP_PORT/s/\${netX/mac:hexhyp}.ipxe
dhcp-boot=tag:!ipxe,tag:efi,ipxe.efi
dhcp-boot=tag:!ipxe,tag:!efi,undionly.kpxe
enable-tftp
tftp-root=$S/tftp
CONF
dnsmasq -C "$S/dnsmasq.conf"
for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/$SERVER/$HTTP_PORT") 2>/dev/null && break; sleep 0.1; done

ip netns exec "$NS" nice -n 5 dotnet "$DRIVER" --interface "$PEER_IF" --blades "$BLADES" --mac-byte "$MAC_BYTE" \
  --json "$JSON" --label "standin-$BLADES" --blade-timeout 780 || true
