#!/usr/bin/python3
"""garbage.py HOST PORT COUNT [SEED] - send malformed and random datagrams to HOST:PORT.

Mixes pure random bytes, truncated and corrupted "params" and "header"
packets, and well-formed headers with absurd fields, all from a seeded PRNG.
"""
import random, socket, struct, sys

host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 7)
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)


def header(dtype, stream, ident, num, size, active, cycle, sub, frames, last):
    return b"header\0\0" + struct.pack(">IIIIIIIIiI", dtype, stream, ident, num, size,
                                       active, cycle, sub, frames, last)


for i in range(count):
    kind = i % 6
    if kind == 0:
        pkt = bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 1500)))
    elif kind == 1:
        pkt = b"params\0\0" + struct.pack(">Ii", 8, rng.choice([0, 1, 2, 4, 7, -1]))
        pkt += bytes(rng.getrandbits(8) for _ in range(644 - len(pkt)))
    elif kind == 2:
        pkt = b"params\0\0" + bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 700)))
    elif kind == 3:
        size = rng.randrange(48, 1500)
        pkt = header(ord(rng.choice("sma")), ord(rng.choice("sr")), rng.randrange(0, 4),
                     rng.randrange(0, 5000), size, rng.randrange(0, 1000),
                     rng.randrange(0, 2**32), rng.randrange(0, 5000), -1, rng.randrange(0, 3))
        pkt += bytes(rng.getrandbits(8) for _ in range(max(0, size - 48)))
    elif kind == 4:
        pkt = header(ord("a"), ord("r"), 1, 2, 1080, 2, rng.randrange(0, 2**32), 1, -1, 1)
        pkt += struct.pack(">I", 0xFFFFFFFF) + bytes(1028)
    else:
        pkt = b"header\0\0" + bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 60)))
    s.sendto(pkt, (host, port))
print(f"sent {count} datagrams to {host}:{port}")
