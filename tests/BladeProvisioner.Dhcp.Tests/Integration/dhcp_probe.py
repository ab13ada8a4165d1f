# A second host in the test namespace speaking DHCP with crafted packets: binds <addr>:<port> (0.0.0.0 for any address,
# which also receives broadcast replies), sends each BOOTREQUEST given in hex to <server>:67 in turn and prints, per
# packet, "reply <source> <port> <hex>" for the first reply with the packet's xid, or "silent" after <timeout> seconds.
import socket
import sys
import time

addr, port, server, timeout, packets = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), sys.argv[5:]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.bind(("" if addr == "0.0.0.0" else addr, port))
for text in packets:
    packet = bytes.fromhex(text)
    s.sendto(packet, (server, 67))
    deadline = time.monotonic() + timeout
    answer = "silent"
    while (left := deadline - time.monotonic()) > 0:
        s.settimeout(left)
        try:
            data, source = s.recvfrom(4096)
        except socket.timeout:
            break
        if len(data) >= 8 and data[0] == 2 and data[4:8] == packet[4:8]:
            answer = f"reply {source[0]} {source[1]} {data.hex()}"
            break
    print(answer, flush=True)
