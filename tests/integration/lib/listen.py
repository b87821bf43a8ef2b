#!/usr/bin/python3
"""listen.py GROUP PORT SECONDS - print the session packets seen on a netJACK2 group."""
import socket, struct, sys, time

group, port, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("", port))
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
             socket.inet_aton(group) + socket.inet_aton("0.0.0.0"))
s.settimeout(0.2)
names = {0: "SLAVE_AVAILABLE", 1: "SLAVE_SETUP", 2: "START_MASTER", 4: "KILL_MASTER"}
end = time.time() + secs
while time.time() < end:
    try:
        data, src = s.recvfrom(2048)
    except socket.timeout:
        continue
    if len(data) == 644 and data[:6] == b"params":
        pid, = struct.unpack(">i", data[12:16])
        ident, = struct.unpack(">I", data[596:600])
        print(f"{src[0]}:{src[1]} {names.get(pid, pid)} id={ident}", flush=True)
