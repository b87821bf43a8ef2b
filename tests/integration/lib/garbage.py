#!/usr/bin/python3
"""garbage.py HOST PORT COUNT [SEED] [--spoof IP:PORT] - send malformed and
random datagrams to HOST:PORT.

Mixes pure random bytes, truncated and corrupted "params" and "header"
packets, and well-formed headers with absurd fields, all from a seeded PRNG.
--spoof sends from another address (IPv4 raw socket, so the datagrams look
as if they came from a peer, e.g. the slave's master) and sends only the
kinds that are malformed whoever sends them (random bytes, truncated params,
truncated headers): a well-formed packet from a spoofed peer is that peer's
data as far as any unauthenticated receiver can tell.
"""
import os, random, socket, struct, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from spoof import Spoofer  # noqa: E402

args = [a for a in sys.argv[1:] if not a.startswith("--spoof")]
spoof = next((a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--spoof=")), None)
host, port, count = args[0], int(args[1]), int(args[2])
rng = random.Random(int(args[3]) if len(args) > 3 else 7)
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
if spoof:
    sip, sport = spoof.rsplit(":", 1)
    spoofer = Spoofer(sip, int(sport), host, port, rng.getrandbits(32))
else:
    s = socket.socket(fam, socket.SOCK_DGRAM)


def send(pkt):
    if spoof:
        spoofer.send(pkt)
    else:
        s.sendto(pkt, (host, port))


def header(dtype, stream, ident, num, size, active, cycle, sub, frames, last):
    return b"header\0\0" + struct.pack(">IIIIIIIIiI", dtype, stream, ident, num, size,
                                       active, cycle, sub, frames, last)


for i in range(count):
    kind = [0, 2, 5][i % 3] if spoof else i % 6
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
    send(pkt[:1400] if spoof else pkt)
print(f"sent {count} datagrams to {host}:{port}" + (f" as {spoof}" if spoof else ""))
