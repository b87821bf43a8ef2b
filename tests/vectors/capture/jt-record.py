#!/usr/bin/python3
"""jt-record.py NAME SOURCE_PORT TAG SENDER_N BITS SECONDS - what arrives at a JACK port.

Records SOURCE_PORT (e.g. jtclient:receive_1, a jacktrip client's output
carrying channel 0 of the peer's jt-signal.py tag TAG) for SECONDS, then
prints one line: how many of the peer's periods (SENDER_N frames at BITS on
the wire) arrived intact, where they start modulo SENDER_N, and how many
frames were silence. Used to see what jacktrip does when the two ends' JACK
periods differ.
"""
import math
import sys
import threading

import jack
import numpy as np

sys.path.insert(0, __import__("os").path.dirname(__import__("os").path.abspath(__file__)))
signal_value = __import__("jt-signal").signal_value


def std_round(v):
    return math.copysign(math.floor(abs(v) + 0.5), v)


def through_wire(x, bits):
    """The float 1.7.0's receiver produces for x sent at 8 or 16 bits."""
    if bits == 16:
        return max(-32767.0, min(32767.0, std_round(x * 32767.0))) / 32768.0
    if bits == 8:
        return max(-127.0, min(127.0, std_round(x * 127.0))) / 128.0
    raise SystemExit("jt-record.py: 8 or 16 bits only")


def main():
    name, src, tag, n, bits, secs = sys.argv[1], sys.argv[2], int(sys.argv[3]), \
        int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
    want = np.array([through_wire(signal_value(tag, 0, i), bits) for i in range(n)],
                    dtype=np.float32)
    client = jack.Client(name, no_start_server=True)
    inp = client.inports.register("in")
    total = int(secs * client.samplerate)
    buf = np.zeros(total + 8192, dtype=np.float32)
    pos = [0]
    period = [0]
    done = threading.Event()

    @client.set_process_callback
    def process(nframes):
        period[0] = nframes
        if pos[0] + nframes <= total:
            buf[pos[0]:pos[0] + nframes] = inp.get_array()
            pos[0] += nframes
        else:
            done.set()

    with client:
        client.connect(src, f"{name}:in")
        done.wait(secs + 5)
    rec = buf[:pos[0]]
    mask = np.ones(n, dtype=bool)
    mask[9] = False  # the period counter
    starts = []
    i = 0
    while i + n <= len(rec):
        if rec[i + 4] == want[4] and rec[i + 5] == want[5] and np.array_equal(rec[i:i + n][mask], want[mask]):
            starts.append(i)
            i += n
        else:
            i += 1
    silent = int(np.count_nonzero(rec == 0.0))
    phases = sorted({s % n for s in starts})
    gaps = sorted({b - a for a, b in zip(starts, starts[1:])})
    print(f"jt-record: {src}: {len(rec)} frames recorded at period {period[0]}, "
          f"{len(starts)} intact {n}-frame periods of tag {tag}, start phases mod {n}: {phases[:8]}, "
          f"spacings {gaps[:8]}, {silent} zero frames", flush=True)


if __name__ == "__main__":
    main()
