#!/usr/bin/python3
"""seeds.py VECTORS_DIR OUT_DIR - one seed file per captured packet (payload bytes).

For the JackTrip captures also one seed per direction that chains its
datagrams the way fuzz-jacktrip reads a stream: the first datagram, then
0xA5 0x5A, then each further datagram after a 2-byte big-endian length.
"""
import os, sys

src, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
n = 0
for name in sorted(os.listdir(src)):
    if not name.endswith(".hex"):
        continue
    streams = {}
    for line in open(os.path.join(src, name)):
        if line.startswith("#") or not line.strip():
            continue
        cols = line.rstrip("\n").split("\t")
        data = bytes.fromhex(cols[9])
        with open(os.path.join(out, f"{name[:-4]}-{cols[0]}"), "wb") as f:
            f.write(data)
        n += 1
        if name.startswith("jacktrip-") and cols[5].startswith("audio"):
            streams.setdefault(cols[2], []).append(data)
    for d, dgs in streams.items():
        seed = dgs[0] + b"\xa5\x5a" + b"".join(len(x).to_bytes(2, "big") + x for x in dgs[1:])
        with open(os.path.join(out, f"{name[:-4]}-stream-{d.replace('>', '')}"), "wb") as f:
            f.write(seed)
        n += 1
print(f"seeds.py: {n} seeds in {out}")
