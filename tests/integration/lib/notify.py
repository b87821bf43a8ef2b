#!/usr/bin/env python3
"""notify.py PATH LOG - a NOTIFY_SOCKET for a daemon under test: every
sd_notify() datagram is appended to LOG, one line per assignment, prefixed by
the seconds since start."""
import os
import socket
import sys
import time

path, log = sys.argv[1], sys.argv[2]
if os.path.exists(path):
    os.unlink(path)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
t0 = time.monotonic()
with open(log, "a", buffering=1) as out:
    while True:
        data = s.recv(4096).decode(errors="replace")
        for line in data.split("\n"):
            if line:
                out.write(f"{time.monotonic() - t0:.3f} {line}\n")
