# Sends, from inside the test namespace, the traffic a healthy blade never sends, so that the appliance's fault counters
# move: a malformed DHCP datagram, an INIT-REBOOT REQUEST for an address outside every scope (answered with a NAK), a
# malformed TFTP datagram, and a TFTP read request that negotiates a 1 s timeout and then never acknowledges (the server
# retransmits). Arguments: <server address> <client MAC aa:bb:cc:dd:ee:ff>.
import socket
import struct
import sys
import time

server, mac = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", ""))

dhcp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
dhcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
dhcp.bind(("0.0.0.0", 68))
dhcp.sendto(b"\x01\x01\x06garbage", (server, 67))

# RFC 2131 §4.3.2: no server identifier, ciaddr 0, a requested address: INIT-REBOOT. 10.99.200.7 is in no scope.
header = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, 0x6D657472, 0, 0x8000,
                     bytes(4), bytes(4), bytes(4), bytes(4), mac + bytes(10), bytes(64), bytes(128))
options = b"\x63\x82\x53\x63" + b"\x35\x01\x03" + b"\x32\x04" + socket.inet_aton("10.99.200.7") + b"\xff"
dhcp.sendto(header + options, (server, 67))

tftp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
tftp.sendto(b"\x00\x09not tftp", (server, 69))
stalled = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
stalled.sendto(b"\x00\x01undionly.kpxe\x00octet\x00timeout\x001\x00", (server, 69))
stalled.settimeout(5)
copies = 0
deadline = time.monotonic() + 5
while time.monotonic() < deadline and copies < 2:
    try:
        stalled.recvfrom(2048)
        copies += 1
    except socket.timeout:
        break
print(f"copies {copies}", flush=True)
