#!/usr/bin/python3
"""jt-signal.py NAME PORTS TAG - a JACK client that plays the known signal.

Output port out_<c> (c = 1..PORTS) carries the same buffer every period,
defined per frame n of the period and 0-based channel c (see signal_value()),
except channel 0, frame 9, which counts the periods (k % 256) / 256 so that
redundant copies and gaps can be told apart. Every value is exactly
representable as a float32, so a C test regenerates it bit for bit.
Runs until SIGTERM/SIGINT.
"""
import signal
import sys
import threading

import jack
import numpy as np

SPECIAL = {
    0: 1.0,          # positive full scale (24-bit: overflows int16)
    1: -1.0,         # negative full scale
    2: 1.5,          # over full scale: clipping / wrap-around
    3: -1.5,
    4: 0.5,
    5: -0.25,
    6: 0.0,
    7: 2.0 ** -15,   # one 16-bit step
    8: float(np.nextafter(np.float32(1.0), np.float32(0.0))),  # largest float below 1
    10: -(2.0 ** -16),  # half a 16-bit step below zero (24-bit: floor, remainder 0x80)
    11: 3.0,         # far over: int16 wrap of 98304
    12: -3.0,
}


def signal_value(tag, c, n):
    """The sample for channel c (0-based), frame n, of a generator tagged tag."""
    if n in SPECIAL:
        return SPECIAL[n]
    u = ((n + 1000 * c + 100000 * tag) * 2654435761) % (1 << 32) >> 8  # 24 bits
    return (u - (1 << 23)) / float(1 << 24)  # [-0.5, 0.5), exact in float32


def table(tag, ports, nframes):
    t = np.zeros((ports, nframes), dtype=np.float32)
    for c in range(ports):
        for n in range(nframes):
            t[c, n] = signal_value(tag, c, n)
    return t


def main():
    name, ports, tag = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    client = jack.Client(name, no_start_server=True)
    outs = [client.outports.register(f"out_{c + 1}") for c in range(ports)]
    state = {"k": 0, "t": table(tag, ports, client.blocksize)}

    @client.set_blocksize_callback
    def blocksize(n):
        state["t"] = table(tag, ports, n)

    @client.set_process_callback
    def process(nframes):
        t = state["t"]
        if t.shape[1] != nframes:
            return
        for c, p in enumerate(outs):
            b = p.get_array()
            b[:] = t[c]
        outs[0].get_array()[9] = (state["k"] % 256) / 256.0
        state["k"] += 1

    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: done.set())
    signal.signal(signal.SIGINT, lambda *a: done.set())
    with client:
        print(f"jt-signal: {name} tag {tag} {ports} ports, period {client.blocksize}", flush=True)
        done.wait()


if __name__ == "__main__":
    main()
