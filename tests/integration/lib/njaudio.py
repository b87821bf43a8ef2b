#!/usr/bin/python3
"""njaudio.py - play a seeded noise signal through JACK ports and check what comes back.

Modes:
  roundtrip --out PORTS --in PORTS --seconds S [--seed N] [--gain G]
      Registers one output and one input per pair, connects out_k -> OUT[k] and
      IN[k] -> in_k, plays seeded white noise (float32, deterministic), records,
      then finds the delay in frames and counts periods that are not
      bit-exact (x gain) after the delay. Prints JSON; exit 1 if an expectation
      (--expect-delay, --expect-exact, --max-bad) fails.
      --tolerance T accepts samples within T of the signal (int16: 1/32767).
  loop --in PORTS --out PORTS [--midi-in PORTS --midi-out PORTS]
      Pass-through client: IN[k] -> capture, playback -> OUT[k] unchanged;
      MIDI events likewise, at the same frame offsets.
  play --out PORTS [--seed N]
      Plays seeded noise into the ports until stopped.
  level --in PORTS --seconds S [--sine HZ]
      Records the ports and prints the peak of each (JSON); for silence checks.
      With --sine, also the SNR of that sine in each (0.1 s windows, as
      roundtrip --sine): a one-way path's quality.
  midi --out PORT --in PORT --seconds S [--seed N] [--sysex-max BYTES]
      Sends a seeded sequence of MIDI events (note on/off, controllers, pitch
      bend and SysEx messages of 6..BYTES bytes; --sysex-max 0: none) to OUT at random offsets and
      records what comes back on IN with absolute frame times. Checks that
      every event comes back once, in order, byte for byte, and that the delay
      (arrival - send, frames) is constant (or within --delay-jitter). JSON on
      stdout; exit 1 on failure. --count-cycles: frames counted by the
      client's own cycles instead of JACK's frame time.
"""
import argparse, json, sys, threading, time

import jack
import numpy as np


def connect(client, src, dst):
    try:
        client.connect(src, dst)
    except jack.JackError as e:
        sys.exit(f"njaudio: cannot connect {src} -> {dst}: {e}")


def wire(client, pairs):
    for src, dst in pairs:
        connect(client, src, dst)


def serve(client, pairs, msg):
    """Activate, connect, say so, and run until stopped."""
    with client:
        wire(client, pairs)
        print(msg, flush=True)
        threading.Event().wait()


def find_delay(s, r, n, period, tol=0.0):
    span = len(r) - n + 1
    win = np.lib.stride_tricks.sliding_window_view(r, 64)
    for o in [0, 8 * period, n // 4, n // 2]:
        if o + 64 > n:
            continue
        probe = s[o:o + 64]
        if tol > 0:
            hits = np.flatnonzero((np.abs(win[o:o + span] - probe) <= tol).all(axis=1))
        else:
            hits = np.flatnonzero((win[o:o + span] == probe).all(axis=1))
        if len(hits):
            return int(hits[0])
    return None


def best_lag(s, r, maxlag, lo=0, hi=None):
    """The lag (lo..hi, default 0..maxlag) at which r matches s best, by FFT
    cross-correlation."""
    m = len(s) + min(len(r), len(s) + maxlag)
    size = 1 << (m - 1).bit_length()
    c = np.fft.irfft(np.fft.rfft(r[:len(s) + maxlag].astype(np.float64), size) *
                     np.conj(np.fft.rfft(s.astype(np.float64), size)), size)
    lo = max(lo, 0)
    hi = maxlag if hi is None else min(hi, maxlag)
    return lo + int(np.argmax(c[lo:hi + 1]))


def sine_lags(s, r, n, hz, rate, maxlag):
    """The delay of a sine in each half of the run. A sine correlates equally
    well at every whole number of its periods, so the lag is anchored where
    the signal starts (the first sample above 1 % of its peak), then looked
    for within half a sine period of that, and the second half's within half
    a sine period of the first's: a path whose delay creeps shows it; a jump
    shows in the SNR windows as well."""
    half = int(rate / hz / 2)
    h = n // 2
    above = np.flatnonzero(np.abs(r[:n]) > 0.01 * float(np.max(np.abs(s))))
    onset = int(above[0]) if len(above) else 0
    first = best_lag(s[:h // 2], r, maxlag, onset - half, onset + half)
    second = best_lag(s[h:h + h // 2], r[h:], maxlag, first - half, first + half)
    return first, second


def fit_sine(x, t0, hz, rate):
    """Least-squares sine of frequency hz in x (any amplitude and phase)."""
    ph = 2 * np.pi * hz * (np.arange(len(x), dtype=np.float64) / rate + t0)
    basis = np.stack([np.sin(ph), np.cos(ph)], axis=1)
    coef, *_ = np.linalg.lstsq(basis, x, rcond=None)
    return basis @ coef


def sine_snr(r, hz, rate, free=False):
    """SNR of a sine of known frequency in r, fitted in 0.1 s windows (any
    delay or phase); the aggregate, the worst window and the share of windows
    at 90 dB or more. free: the frequency is fitted too (within 1 %), for a
    one-way path across two clocks, where the sine arrives a few ppm off its
    frequency: that is not noise."""
    w = rate // 10
    sig = err = 0.0
    worst, good, windows, dbs, worst_at = 999.0, 0, 0, [], 0
    for at in range(0, len(r) - w + 1, w):
        x = r[at:at + w].astype(np.float64)
        f = hz
        if free:
            lo, hi = hz * 0.99, hz * 1.01
            g = (5 ** 0.5 - 1) / 2
            for _ in range(60):
                a, b = hi - g * (hi - lo), lo + g * (hi - lo)
                fa, fb = fit_sine(x, 0, a, rate), fit_sine(x, 0, b, rate)
                if np.dot(fa, fa) > np.dot(fb, fb):
                    hi = b
                else:
                    lo = a
            f = (lo + hi) / 2
        fit = fit_sine(x, 0 if free else at / rate, f, rate)
        ws, we = float(np.dot(fit, fit)), float(np.dot(x - fit, x - fit))
        db = 999.0 if we == 0 else 10 * np.log10(ws / we) if ws > 0 else -999.0
        sig, err, windows = sig + ws, err + we, windows + 1
        if db < worst:
            worst, worst_at = db, at
        good += db >= 90
        dbs.append(db)
    snr = 999.0 if err == 0 else 10 * np.log10(sig / err) if sig > 0 else -999.0
    return {"snr_db": round(snr, 1), "snr_worst_db": round(worst, 1),
            "snr_worst_at_s": round(worst_at / rate, 1),
            "snr_median_db": round(float(np.median(dbs)), 1) if dbs else -999.0,
            "snr_good_share": round(good / windows, 3) if windows else 0.0}


def roundtrip(a):
    outs, ins = a.out.split(","), a.inp.split(",")
    client = jack.Client("njaudio", no_start_server=True)
    rate, period = client.samplerate, client.blocksize
    n = int(a.seconds * rate) // period * period
    rng = np.random.default_rng(a.seed)
    if a.sine:
        t = np.arange(n, dtype=np.float64) / rate
        sig = [(0.5 * np.sin(2 * np.pi * a.sine * t)).astype(np.float32) for _ in outs]
    else:
        sig = [(rng.random(n, dtype=np.float32) * 2 - 1) * 0.5 for _ in outs]
    rec = [np.zeros(n + 64 * period, dtype=np.float32) for _ in ins]
    po = [client.outports.register(f"out_{k + 1}") for k in range(len(outs))]
    pi = [client.inports.register(f"in_{k + 1}") for k in range(len(ins))]
    pos = {"play": 0, "rec": 0, "armed": False}
    done = threading.Event()

    @client.set_process_callback
    def process(frames):
        if not pos["armed"]:
            for port in po:
                port.get_array()[:] = 0
            return
        p = pos["play"]
        for k, port in enumerate(po):
            buf = port.get_array()
            if p + frames <= n:
                buf[:] = sig[k][p:p + frames]
            else:
                buf[:] = 0
        r = pos["rec"]
        if r + frames <= len(rec[0]):
            for k, port in enumerate(pi):
                rec[k][r:r + frames] = port.get_array()
            pos["rec"] = r + frames
        else:
            done.set()
        pos["play"] = p + frames

    with client:
        for k, port in enumerate(po):
            connect(client, port.name, outs[k])
        for k, port in enumerate(pi):
            connect(client, ins[k], port.name)
        # start playing and recording together, after the connections are made
        time.sleep(0.2)
        pos["armed"] = True
        if not done.wait(a.seconds + 64 * period / rate + 10):
            sys.exit("njaudio: JACK stopped calling us")
    res = {"rate": rate, "period": period, "frames": n, "channels": []}
    ok = True
    for k in range(len(ins)):
        s, r = sig[k % len(sig)] * np.float32(a.gain), rec[k]
        # delay: where a 64-frame probe of the signal comes back exactly. The
        # probe is taken at several places, so a period lost at the very start
        # (a VM timer xrun) does not hide a return that is exact afterwards.
        delay = find_delay(s, r, n, period, a.tolerance)
        ch = {"delay": delay}
        # normalised correlation at the best lag (for lossy codecs and
        # resampled paths), the lag found by FFT cross-correlation
        lag = best_lag(s[:n // 2], r, 40 * period)
        best = 0.0
        for d in range(max(lag - 1, 0), lag + 2):
            seg = r[d:d + n // 2]
            ref = s[:len(seg)]
            den = float(np.sqrt(np.dot(seg, seg) * np.dot(ref, ref)))
            if den > 0:
                best = max(best, float(np.dot(seg, ref)) / den)
        ch["corr"] = round(best, 4)
        # the delay in each half: a steady path has the same lag in both
        h = n // 2
        if a.sine:
            ch["lag_first"], ch["lag_second"] = sine_lags(s, r, n, a.sine, rate, 40 * period)
        else:
            ch["lag_first"] = best_lag(s[:h // 2], r, 40 * period)
            ch["lag_second"] = best_lag(s[h:h + h // 2], r[h:], 40 * period)
        if delay is None:
            # not bit-exact anywhere: the delay is the correlation's peak
            ch["corr_delay"] = lag
            ch["exact_periods"] = 0
            ch["bad_periods"] = n // period
        else:
            got = r[delay:delay + n]
            periods = n // period
            bad = 0
            bad_at = []
            for p in range(periods):
                g, w = got[p * period:(p + 1) * period], s[p * period:(p + 1) * period]
                if not (np.array_equal(g, w) if a.tolerance <= 0 else
                        float(np.max(np.abs(g - w))) <= a.tolerance):
                    bad += 1
                    if len(bad_at) < 16:
                        bad_at.append(round(p * period / rate, 3))
            ch["bad_at_s"] = bad_at
            ch["exact_periods"] = periods - bad
            ch["bad_periods"] = bad
            err = got - s
            pw = float(np.mean(s.astype(np.float64) ** 2))
            ew = float(np.mean(err.astype(np.float64) ** 2))
            ch["snr_db"] = 999.0 if ew == 0 else round(10 * np.log10(pw / ew), 1)
            ch["max_err"] = float(np.max(np.abs(err))) if len(err) else 0.0
        if a.sine:
            ch.update(sine_snr(r[n // 2:n], a.sine, rate, a.free_freq))
        res["channels"].append(ch)
        if a.expect_delay is not None and ch["delay"] != a.expect_delay:
            ok = False
        if a.expect_exact and ch.get("bad_periods", 1) > a.max_bad:
            ok = False
    res["ok"] = ok
    print(json.dumps(res))
    return 0 if ok else 1


def loop(a):
    ins, outs = a.inp.split(","), a.out.split(",")
    mins = a.midi_in.split(",") if a.midi_in else []
    mouts = a.midi_out.split(",") if a.midi_out else []
    client = jack.Client("njloop", no_start_server=True)
    pi = [client.inports.register(f"in_{k + 1}") for k in range(len(ins))]
    po = [client.outports.register(f"out_{k + 1}") for k in range(len(outs))]
    mi = [client.midi_inports.register(f"midi_in_{k + 1}") for k in range(len(mins))]
    mo = [client.midi_outports.register(f"midi_out_{k + 1}") for k in range(len(mouts))]

    @client.set_process_callback
    def process(frames):
        for i, o in zip(pi, po):
            o.get_array()[:] = i.get_array()
        for i, o in zip(mi, mo):
            o.clear_buffer()
            for off, data in i.incoming_midi_events():
                o.write_midi_event(off, bytes(data))

    serve(client, [(ins[k], p.name) for k, p in enumerate(pi)] +
          [(p.name, outs[k]) for k, p in enumerate(po)] +
          [(mins[k], p.name) for k, p in enumerate(mi)] +
          [(p.name, mouts[k]) for k, p in enumerate(mo)], "loop running")


def play(a):
    outs = a.out.split(",")
    client = jack.Client("njplay", no_start_server=True)
    po = [client.outports.register(f"out_{k + 1}") for k in range(len(outs))]
    rng = np.random.default_rng(a.seed)
    st = {"t": 0}
    rate = client.samplerate

    @client.set_process_callback
    def process(frames):
        if a.sine:
            t = (np.arange(frames, dtype=np.float64) + st["t"]) / rate
            x = (0.5 * np.sin(2 * np.pi * a.sine * t)).astype(np.float32)
            st["t"] += frames
            for port in po:
                port.get_array()[:] = x
            return
        for port in po:
            port.get_array()[:] = (rng.random(frames, dtype=np.float32) * 2 - 1) * 0.5

    serve(client, [(p.name, outs[k]) for k, p in enumerate(po)], "playing")


def level(a):
    ins = a.inp.split(",")
    client = jack.Client("njlevel", no_start_server=True)
    pi = [client.inports.register(f"in_{k + 1}") for k in range(len(ins))]
    peak = [0.0] * len(ins)
    st = {"frames": 0}
    rate = client.samplerate
    need = int(a.seconds * rate)
    rec = [np.zeros(need + client.blocksize, dtype=np.float32) for _ in ins]
    done = threading.Event()

    @client.set_process_callback
    def process(frames):
        f = st["frames"]
        for k, port in enumerate(pi):
            x = port.get_array()
            peak[k] = max(peak[k], float(np.max(np.abs(x))))
            if f + frames <= len(rec[k]):
                rec[k][f:f + frames] = x
        st["frames"] += frames
        if st["frames"] >= need:
            done.set()

    with client:
        for k, p in enumerate(pi):
            connect(client, ins[k], p.name)
        if not done.wait(a.seconds + 10):
            sys.exit("njaudio: JACK stopped calling us")
    res = {"peak": peak, "frames": st["frames"]}
    # the share of non-zero samples off the 16-bit grid: a path that
    # carried 16 bits anywhere leaves none, a float one nearly all
    res["off_grid16"] = []
    for r in rec:
        x = r[need // 2:need].astype(np.float64) * 32768.0
        nz = x[x != 0]
        res["off_grid16"].append(round(float(np.mean(nz != np.round(nz))), 4) if len(nz) else 0.0)
    if a.sine:
        res["channels"] = [sine_snr(r[need // 2:need], a.sine, rate, a.free_freq) for r in rec]
    print(json.dumps(res))
    return 0


def midi_sequence(rng, count, sysex_max):
    """count MIDI messages: channel messages and SysEx of 6..sysex_max bytes."""
    msgs = []
    for i in range(count):
        kind = rng.integers(0, 5 if sysex_max >= 6 else 4)
        ch = int(rng.integers(0, 16))
        if kind == 0:
            m = bytes([0x90 | ch, int(rng.integers(0, 128)), int(rng.integers(1, 128))])
        elif kind == 1:
            m = bytes([0x80 | ch, int(rng.integers(0, 128)), 0])
        elif kind == 2:
            m = bytes([0xB0 | ch, int(rng.integers(0, 120)), int(rng.integers(0, 128))])
        elif kind == 3:
            m = bytes([0xE0 | ch, int(rng.integers(0, 128)), int(rng.integers(0, 128))])
        else:
            body = rng.integers(0, 128, int(rng.integers(4, sysex_max - 1)), dtype=np.uint8)
            m = bytes([0xF0]) + body.tobytes() + bytes([0xF7])
        msgs.append(m)
    return msgs


def midi(a):
    client = jack.Client("njmidi", no_start_server=True)
    rate, period = client.samplerate, client.blocksize
    rng = np.random.default_rng(a.seed)
    total = int(a.seconds * rate) // period
    # one event every 2-5 periods at a random offset; a burst of three in one
    # period now and then (same offset allowed: order must hold)
    plan = {}
    p = 4
    while p < total:
        evs = []
        burst = 3 if rng.integers(0, 8) == 0 else 1
        offs = sorted(int(rng.integers(0, period)) for _ in range(burst))
        for off in offs:
            evs.append(off)
        plan[p] = evs
        p += int(rng.integers(2, 6))
    nev = sum(len(v) for v in plan.values())
    msgs = midi_sequence(rng, nev, a.sysex_max)
    out = client.midi_outports.register("out")
    inp = client.midi_inports.register("in")
    st = {"cycle": 0, "next": 0, "armed": False, "start": None, "calls": 0}
    sent, got = [], []
    done = threading.Event()

    @client.set_process_callback
    def process(frames):
        out.clear_buffer()
        # --count-cycles: time counted in our own cycles, as the audio
        # checks count samples (PipeWire's frame time jumps over the cycles
        # its driver skips at an xrun; every client skips them alike)
        now = st["calls"] * period if a.count_cycles else client.last_frame_time
        st["calls"] += 1
        for off, data in inp.incoming_midi_events():
            got.append((now + off, bytes(data)))
        if not st["armed"]:
            return
        c = st["cycle"]
        for off in plan.get(c, []):
            m = msgs[st["next"]]
            st["next"] += 1
            out.write_midi_event(off, m)
            sent.append((now + off, m))
        st["cycle"] = c + 1
        if c >= total + 64:
            done.set()

    with client:
        connect(client, out.name, a.out)
        connect(client, a.inp, inp.name)
        time.sleep(0.2)
        st["armed"] = True
        if not done.wait(a.seconds + 64 * period / rate + 10):
            sys.exit("njaudio: JACK stopped calling us")
    res = {"rate": rate, "period": period, "sent": len(sent), "received": len(got),
           "sysex_sent": sum(1 for _, m in sent if m[0] == 0xF0),
           "sysex_max_len": max((len(m) for _, m in sent if m[0] == 0xF0), default=0)}
    ok = len(sent) == nev and len(got) == len(sent)
    first_bad = None
    delays = []
    for i, (ts, m) in enumerate(sent):
        if i >= len(got):
            break
        if got[i][1] != m:
            first_bad = first_bad if first_bad is not None else i
            ok = False
        delays.append(got[i][0] - ts)
    res["first_mismatch"] = first_bad
    if first_bad is not None:
        res["mismatch"] = {"sent": sent[first_bad][1].hex(), "got": got[first_bad][1].hex()}
    if delays:
        res["delay_min"], res["delay_max"] = int(min(delays)), int(max(delays))
        if res["delay_max"] - res["delay_min"] > a.delay_jitter:
            ok = False
        if a.expect_delay is not None and res["delay_min"] != a.expect_delay:
            ok = False
    else:
        ok = False
    res["ok"] = ok
    print(json.dumps(res))
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["roundtrip", "loop", "midi", "level", "play"])
    ap.add_argument("--out", default="")
    ap.add_argument("--in", dest="inp", default="")
    ap.add_argument("--seconds", type=float, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--gain", type=float, default=1.0)
    ap.add_argument("--sine", type=float, default=0, help="play a sine of this frequency instead of noise")
    ap.add_argument("--free-freq", action="store_true",
                    help="fit the sine's frequency too (a path across two clocks)")
    ap.add_argument("--expect-delay", type=int)
    ap.add_argument("--expect-exact", action="store_true")
    ap.add_argument("--max-bad", type=int, default=0)
    ap.add_argument("--tolerance", type=float, default=0.0)
    ap.add_argument("--midi-in", default="")
    ap.add_argument("--midi-out", default="")
    ap.add_argument("--sysex-max", type=int, default=200)
    ap.add_argument("--delay-jitter", type=int, default=0)
    ap.add_argument("--count-cycles", action="store_true",
                    help="midi: time events by the client's own cycles, not JACK's frame time")
    a = ap.parse_args()
    sys.exit({"roundtrip": roundtrip, "loop": loop, "midi": midi, "level": level, "play": play}[a.mode](a))


if __name__ == "__main__":
    main()
