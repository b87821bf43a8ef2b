#!/usr/bin/python3
"""seeds.py VECTORS_DIR OUT_DIR - one seed file per captured packet (payload bytes)."""
import os, sys

src, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
n = 0
for name in sorted(os.listdir(src)):
    if not name.endswith(".hex"):
        continue
    for line in open(os.path.join(src, name)):
        if line.startswith("#") or not line.strip():
            continue
        cols = line.rstrip("\n").split("\t")
        with open(os.path.join(out, f"{name[:-4]}-{cols[0]}"), "wb") as f:
            f.write(bytes.fromhex(cols[9]))
        n += 1
print(f"seeds.py: {n} seeds in {out}")
