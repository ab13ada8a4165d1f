# Acts as a relay agent inside the test namespace: sends one crafted BOOTREQUEST (hex, argv[2]) from <relay>:67 to
# <server>:67 and prints the first reply received on port 67 as hex.
import socket
import sys

relay, server, packet = sys.argv[1], sys.argv[3], bytes.fromhex(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((relay, 67))
s.settimeout(30)
s.sendto(packet, (server, 67))
data, source = s.recvfrom(4096)
print(source[0], source[1], data.hex(), flush=True)
