# Acts as a relay agent inside the test namespace: from <relay>:67 sends the datagram in file argv[3] (larger than the
# server accepts) to <server>:67 and reports whether anything came back within 3 s; then sends the ordinary
# BOOTREQUEST in hex (argv[4]) and prints the first reply as hex.
import socket
import sys

relay, server, oversized_file, packet = sys.argv[1], sys.argv[2], sys.argv[3], bytes.fromhex(sys.argv[4])
with open(oversized_file, "rb") as f:
    oversized = f.read()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((relay, 67))
s.sendto(oversized, (server, 67))
s.settimeout(3)
try:
    data, source = s.recvfrom(65536)
    print("oversized-answered", len(data), flush=True)
except socket.timeout:
    print("oversized-dropped", flush=True)
s.settimeout(30)
s.sendto(packet, (server, 67))
data, source = s.recvfrom(4096)
print(source[0], source[1], data.hex(), flush=True)
