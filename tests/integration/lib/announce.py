#!/usr/bin/python3
"""announce.py HOST PORT SOCKETS COUNT [NAME] - valid netJACK2 SLAVE_AVAILABLE
announcements (protocol 8, 2+2 audio, float, latency 2) sent to HOST:PORT
from SOCKETS distinct UDP sockets (each a distinct would-be slave), COUNT in
all, round robin, as fast as the kernel takes them. None of them ever answers
SLAVE_SETUP: each is a slave that announced itself and went quiet."""
import socket, struct, sys

host, port, nsock, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
name = (sys.argv[5] if len(sys.argv) > 5 else "quiet").encode()


def params(name):
    p = b"params\0\0" + struct.pack(">Ii", 8, 0)
    p += name[:63].ljust(64, b"\0") + bytes(256) + b"fakehost".ljust(256, b"\0")
    # mtu, id, transport, send audio, return audio, send midi, return midi,
    # rate, period, encoder, kbps, sync mode, latency
    p += struct.pack(">IIIiiiiIIIIII", 1500, 0, 0, 2, 2, 0, 0, 0, 0, 0, 0, 0, 2)
    assert len(p) == 644
    return p


socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(nsock)]
for i in range(count):
    k = i % nsock
    socks[k].sendto(params(b"%s%d" % (name, k)), (host, port))
print(f"sent {count} announcements from {nsock} sockets")
