#!/usr/bin/env python3
"""Answers IPv6 router solicitations on the lab bridge with a do-nothing router advertisement.

Why: iPXE's autoboot starts an IPv6 configurator next to DHCPv4 and waits for it. Without any
router advertisement on the link it keeps soliciting for ~13 s before giving up, which more than
doubles a virtual blade's boot time. The first RA it sees ends that wait at once.

The RA sent here announces nothing: router lifetime 0 (RFC 4861 §4.2: "not a default router"),
managed/other flags clear (so no DHCPv6), no prefix options (so nobody auto-configures an address).
Hosts that already have a real router keep using it. iPXE only needs *an* RA to finish.

usage: ra.py IFNAME [--interval SECONDS]    (run inside the lab namespace)
"""
import argparse
import select
import signal
import socket
import struct
import sys
import time

ICMPV6_RS = 133
ICMPV6_RA = 134


def build_ra(mac: bytes) -> bytes:
    # type, code, checksum (kernel fills it for raw ICMPv6 sockets), cur hop limit, flags,
    # router lifetime 0, reachable time 0, retrans timer 0; then source link-layer option.
    header = struct.pack("!BBHBBHII", ICMPV6_RA, 0, 0, 64, 0, 0, 0, 0)
    return header + struct.pack("!BB", 1, 1) + mac


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("ifname")
    parser.add_argument("--interval", type=float, default=10.0, help="unsolicited RA period")
    args = parser.parse_args()

    ifindex = socket.if_nametoindex(args.ifname)
    with open(f"/sys/class/net/{args.ifname}/address") as f:
        mac = bytes.fromhex(f.read().strip().replace(":", ""))
    ra = build_ra(mac)

    # The bridge needs its link-local address (DAD) before the kernel lets us send from it.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with open("/proc/net/if_inet6") as f:
            if any(line.split()[5] == args.ifname and line.split()[0].startswith("fe80")
                   and int(line.split()[4], 16) & 0x40 == 0 for line in f):  # 0x40: tentative
                break
        time.sleep(0.1)

    sock = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, args.ifname.encode())
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, ifindex)
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, 255)
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_LOOP, 0)
    # Join all-routers so solicitations (sent to ff02::2) reach us.
    mreq = socket.inet_pton(socket.AF_INET6, "ff02::2") + struct.pack("@I", ifindex)
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq)
    all_nodes = ("ff02::1", 0, 0, ifindex)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    next_unsolicited = time.monotonic()
    while True:
        now = time.monotonic()
        if now >= next_unsolicited:
            try:
                sock.sendto(ra, all_nodes)
            except OSError as e:
                print(f"ra: send failed: {e}", file=sys.stderr, flush=True)
            next_unsolicited = now + args.interval
        ready, _, _ = select.select([sock], [], [], max(0.0, next_unsolicited - now))
        if not ready:
            continue
        data, _ = sock.recvfrom(1500)
        if len(data) >= 1 and data[0] == ICMPV6_RS:   # raw ICMPv6 sockets deliver no IP header
            try:
                sock.sendto(ra, all_nodes)
            except OSError as e:
                print(f"ra: answer failed: {e}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
