# Prints "yiaddr chaddr" for every DHCPACK leaving the given interface (AF_PACKET sees outgoing frames too).
# Used by the crash test to know what was ACKed on the wire, independently of the server under test.
import socket
import struct
import sys

s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind((sys.argv[1], 0))
print("ready", flush=True)
while True:
    f = s.recv(4096)
    if len(f) < 14 + 20 + 8 + 240 or f[12:14] != b"\x08\x00" or f[23] != 17:
        continue
    u = 14 + (f[14] & 15) * 4
    if struct.unpack("!H", f[u:u + 2])[0] != 67:
        continue
    d = u + 8
    if f[d] != 2:
        continue
    yiaddr = socket.inet_ntoa(f[d + 16:d + 20])
    chaddr = f[d + 28:d + 34].hex(":")
    i, kind = d + 240, 0
    while i + 1 < len(f) and f[i] != 255:
        if f[i] == 0:
            i += 1
            continue
        if f[i] == 53:
            kind = f[i + 2]
        i += 2 + f[i + 1]
    if kind == 5:
        print(yiaddr, chaddr, flush=True)
