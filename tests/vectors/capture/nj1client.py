#!/usr/bin/python3
"""nj1client.py MODE [options] - a JACK client next to jack_netsource.

Plays into netsource's send ports (TARGET:playback_N, audio then MIDI) and
records its receive ports (TARGET:capture_N), then writes a JSON summary.

  signal  the known signal of tests/vectors/README.md (netone section):
          audio channel k (0-based), frame i of the client's cycle c:
          x = (j - 128) / 128 with j = (i + 32 k + c) mod 257, so every
          value is exact in float and the levels -1, 0, +1 all occur;
          MIDI (with --midi): note-on 90 (c & 7f) 64 at frame 0, note-off
          80 40 00 at frame 100, and every 16th cycle the SysEx
          F0 7D 01 02 03 04 05 F7 at frame 50.
  noise   seeded white noise (uniform in [-1, 1), numpy default_rng(SEED)),
          recorded and compared: the round trip delay in frames and whether
          the steady state comes back bit-exact.
"""
import argparse
import json
import sys
import threading

import jack
import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("mode", choices=["signal", "noise"])
ap.add_argument("--target", default="netjack")
ap.add_argument("--channels", type=int, default=2)
ap.add_argument("--midi", type=int, default=0, help="MIDI ports to use (0 or 1)")
ap.add_argument("--seconds", type=float, default=4.0)
ap.add_argument("--seed", type=int, default=1)
ap.add_argument("--out", required=True, help="JSON summary file")
ap.add_argument("--name", default="nj1client")
a = ap.parse_args()

# Two clients: one plays into netsource, one records from it. A single client
# connected both ways would make a cycle in the JACK graph (one edge then gets
# an extra period of delay). Times are JACK frame times, common to both.
play = jack.Client(a.name + "-play", no_start_server=True)
recc = jack.Client(a.name + "-rec", no_start_server=True)
P = play.blocksize
SR = play.samplerate
total_cycles = int(a.seconds * SR / P)
outs = [play.outports.register(f"out_{k + 1}") for k in range(a.channels)]
ins = [recc.inports.register(f"in_{k + 1}") for k in range(a.channels)]
mouts = [play.midi_outports.register("midi_out") for _ in range(a.midi)]
mins = [recc.midi_inports.register("midi_in") for _ in range(a.midi)]

SYSEX = bytes([0xF0, 0x7D, 0x01, 0x02, 0x03, 0x04, 0x05, 0xF7])
# recorded frames, indexed by frame time - play start; 200 periods of slack
rec = np.zeros((a.channels, (total_cycles + 200) * P), dtype=np.float32)
if a.mode == "noise":
    rng = np.random.default_rng(a.seed)
    sig = rng.uniform(-1.0, 1.0, (a.channels, total_cycles * P)).astype(np.float32)
else:
    sig = None
ramp_i = np.arange(P)
state = {"c": 0, "t0": None, "midi_sent": [], "midi_recv": [], "rec_cycles": 0, "sent_at": []}
done = threading.Event()


@play.set_process_callback
def process_play(frames):
    c = state["c"]
    if state["t0"] is None:
        state["t0"] = play.last_frame_time
    if c >= total_cycles:
        for p in outs:
            p.get_array()[:] = 0
        for p in mouts:
            p.clear_buffer()
        done.set()
        return
    # when this cycle's frames go out (a skipped callback delays all later ones)
    now = (play.last_frame_time - state["t0"]) & 0xFFFFFFFF
    state["sent_at"].append(now)
    for k, p in enumerate(outs):
        if sig is not None:
            p.get_array()[:] = sig[k, c * P:(c + 1) * P]
        else:
            j = (ramp_i + 32 * k + c) % 257
            p.get_array()[:] = ((j - 128) / 128.0).astype(np.float32)
    for p in mouts:
        p.clear_buffer()
        p.write_midi_event(0, bytes([0x90, c & 0x7F, 0x64]))
        state["midi_sent"].append((now, "90%02x64" % (c & 0x7F)))
        if c % 16 == 0:
            p.write_midi_event(50, SYSEX)
            state["midi_sent"].append((now + 50, SYSEX.hex()))
        p.write_midi_event(100, bytes([0x80, 0x40, 0x00]))
        state["midi_sent"].append((now + 100, "804000"))
    state["c"] = c + 1


@recc.set_process_callback
def process_rec(frames):
    t0 = state["t0"]
    if t0 is None:
        return
    off = (recc.last_frame_time - t0) & 0xFFFFFFFF
    if off + P > rec.shape[1]:
        return
    for k, p in enumerate(ins):
        rec[k, off:off + P] = p.get_array()
    for p in mins:
        for o, data in p.incoming_midi_events():
            state["midi_recv"].append((off + o, bytes(data).hex()))
    state["rec_cycles"] += 1


def analyse_noise():
    """Per recorded period: where in the signal does it come from (delay), and
    is it bit-exact there. The noise values are unique, so one sample says."""
    res = {}
    for k in range(a.channels):
        r = rec[k]
        where = {}
        for n, v in enumerate(sig[k]):
            where.setdefault(float(v), n)
        delays = {}
        exact = silent = other = 0
        others = []
        first = None
        for q in range(len(r) // P):
            blk = r[q * P:(q + 1) * P]
            if not blk.any():
                silent += 1
                continue
            n = where.get(float(blk[0]))
            if n is None:
                other += 1
                others.append([q, float(blk[0]), int(np.count_nonzero(blk))])
                continue
            d = q * P - (state["sent_at"][n // P] + n % P)
            if first is None:
                first = d
            if n + P <= sig.shape[1] and np.array_equal(blk, sig[k][n:n + P]):
                exact += 1
                delays[d] = delays.get(d, 0) + 1
            else:
                other += 1
        res[f"ch{k + 1}"] = {
            "first_delay": first,
            "delays": {str(d): c for d, c in sorted(delays.items())},
            "exact_periods": exact,
            "silent_periods": silent,
            "other_periods": other,
            "other_first": others[:4],
        }
    return res


def analyse_signal():
    """The ramp: delay modulo its structure is ambiguous; report the MIDI delay."""
    res = {"midi_sent": len(state["midi_sent"]), "midi_recv": len(state["midi_recv"])}
    sent = {}
    for t, h in state["midi_sent"]:
        sent.setdefault(h, []).append(t)
    delays = []
    for t, h in state["midi_recv"]:
        if h.startswith("90"):
            cands = [t - s for s in sent.get(h, []) if 0 <= t - s < 128 * P]
            if cands:
                delays.append(min(cands))
    if delays:
        res["midi_delay_frames"] = sorted(set(delays))
    res["midi_recv_first"] = state["midi_recv"][:12]
    res["sysex_recv"] = sum(1 for _, h in state["midi_recv"] if h == SYSEX.hex())
    res["sysex_sent"] = sum(1 for _, h in state["midi_sent"] if h == SYSEX.hex())
    return res


with recc, play:
    for k in range(a.channels):
        play.connect(outs[k], f"{a.target}:playback_{k + 1}")
        recc.connect(f"{a.target}:capture_{k + 1}", ins[k])
    for p in mouts:
        play.connect(p, f"{a.target}:playback_{a.channels + 1}")
    for p in mins:
        recc.connect(f"{a.target}:capture_{a.channels + 1}", p)
    done.wait(a.seconds + 10)
    threading.Event().wait(0.3)  # the last periods come back

sa = state["sent_at"]
summary = {"mode": a.mode, "period": P, "rate": SR, "cycles": state["c"],
           "rec_cycles": state["rec_cycles"],
           "play_skipped_cycles": sum((y - x) // P - 1 for x, y in zip(sa, sa[1:]))}
summary.update(analyse_noise() if a.mode == "noise" else analyse_signal())
with open(a.out, "w") as f:
    json.dump(summary, f, indent=1)
print(json.dumps(summary))
sys.exit(0)
