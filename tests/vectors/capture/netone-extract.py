#!/usr/bin/python3
"""netone-extract.py CAPDIR OUTDIR [CASE...] - golden vectors from the pcaps
that netone-capture.sh wrote (CAPDIR/CASE/CASE.pcap): a representative
handful of packets per case, in the format of tests/vectors/README.md.

Which packets (per case, see SETS): the first down period and the first
reply; periods carrying the known signal each way; the fragments of one
fragmented period; around an event (slave killed, netsource stopped); the
last packets. A period is taken whole (every fragment, every redundant copy,
in capture order) or, to keep files small, as its last fragment only.
"""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nj1pcap  # noqa: E402

MASTER_IP, SLAVE_IP = "198.18.0.2", "198.18.0.3"


def signed(v):
    return v - (1 << 32) if v & 0x80000000 else v


def decoded(h):
    sync = "freewheel" if h["sync"] == 0x80000000 else str(signed(h["sync"]))
    return (f"audio={h['cap_audio']}/{h['play_audio']} midi={h['cap_midi']}/{h['play_midi']} "
            f"period={h['period']} rate={h['rate']} sync={sync} tframe={h['tframe']} "
            f"tstate={h['tstate']} lat={h['latency']} rport={h['rport']} mtu={h['mtu']} "
            f"frag={h['frag']}")


class Capture:
    def __init__(self, path):
        self.pk = []
        self.icmp = []
        self.t0 = t0 = None
        for i, (t, src, dst, p, kind) in enumerate(nj1pcap.packets(path)):
            if t0 is None:
                self.t0 = t0 = t
            if kind == "icmp":
                self.icmp.append((i, (t - t0) * 1000, src, dst))
                continue
            h = nj1pcap.header(p)
            if h is None:
                continue
            d = nj1pcap.direction(dst)
            self.pk.append({"i": i, "t": (t - t0) * 1000, "src": src, "dst": dst,
                            "dir": d, "h": h, "p": p})

    def frames(self, d):
        """framecnt values in order of first appearance, one direction."""
        seen, out = set(), []
        for x in self.pk:
            f = x["h"]["framecnt"]
            if x["dir"] == d and f not in seen:
                seen.add(f)
                out.append(f)
        return out

    def period(self, d, f, last_only=False, run=None):
        """Datagrams of frame f in direction d (one run of consecutive
        frames: a restarted sender reuses frame numbers)."""
        got = [x for x in self.pk if x["dir"] == d and x["h"]["framecnt"] == f and
               (run is None or run[0] <= x["i"] <= run[1])]
        if last_only and got:
            top = max(x["h"]["frag"] for x in got)
            got = [x for x in got if x["h"]["frag"] == top][:1]
        return got

    def payload_nonzero(self, x):
        return any(x["p"][56:])

    def first_signal(self, d, after=0):
        """First frame in direction d whose first payload bytes vary and
        differ from the first frame's (silence: one repeated value, 0 or
        7fff in 16-bit, or Opus's constant silent frame)."""
        silence = None
        for x in self.pk:
            if x["dir"] != d or x["h"]["frag"] != 0:
                continue
            head = x["p"][56:56 + 64]
            if silence is None:
                silence = head
            if x["i"] >= after and head != silence and len(set(head)) > 2:
                return x["h"]["framecnt"], x["i"]
        return None, None


def write(out, name, comments, rows):
    with open(os.path.join(out, name), "w") as f:
        for c in comments:
            f.write("# " + c + "\n")
        f.write("# columns (TAB-separated): capture_index  t_ms  direction  src  dst  kind  "
                "framecnt  length  decoded_header  udp_payload_hex\n")
        seen = set()
        for x in sorted(rows, key=lambda x: x["i"]):
            if x["i"] in seen:
                continue
            seen.add(x["i"])
            f.write("\t".join([str(x["i"]), "%.3f" % x["t"], x["dir"], x["src"], x["dst"],
                               "frag%d" % x["h"]["frag"], str(x["h"]["framecnt"]),
                               str(len(x["p"])), decoded(x["h"]), x["p"].hex()]) + "\n")
    return os.path.getsize(os.path.join(out, name))


def sel_standard(c, full_start=True, signal_periods=2, last_only_signal=False, skip=4):
    """start, signal each way (from `skip` periods after it starts), end."""
    rows, notes = [], []
    down, up = c.frames("M>S"), c.frames("S>M")
    rows += c.period("M>S", down[0], last_only=not full_start)
    rows += c.period("S>M", up[0], last_only=not full_start)
    notes.append(f"down frame {down[0]} and reply {up[0]}: the first of each direction")
    fs, _ = c.first_signal("M>S")
    if fs is not None:
        for f in range(fs + skip, fs + skip + signal_periods):
            rows += c.period("M>S", f, last_only=last_only_signal)
        notes.append(f"down frames {fs + skip}..{fs + skip + signal_periods - 1}: the known "
                     f"signal (it starts at frame {fs})")
    us, _ = c.first_signal("S>M")
    if us is not None:
        for f in range(us + skip, us + skip + signal_periods):
            rows += c.period("S>M", f, last_only=last_only_signal)
        notes.append(f"replies {us + skip}..{us + skip + signal_periods - 1}: the signal "
                     f"looped back by the slave (first in reply {us})")
    rows += c.period("M>S", down[-1], last_only=True)
    rows += c.period("S>M", up[-1], last_only=True)
    notes.append(f"last fragment of the last down frame {down[-1]} and of the last reply "
                 f"{up[-1]}")
    return rows, notes


def sel_opus(c):
    """Opus frames depend on the decoder's state: the first six signal
    periods each way, in a row, decode from the silent state."""
    return sel_standard(c, signal_periods=6, skip=0)


def sel_small(c):
    return sel_standard(c, full_start=False, signal_periods=1)


def sel_midi(c):
    """One period each way with the SysEx (sent in every 16th client cycle)."""
    rows, notes = [], []
    down, up = c.frames("M>S"), c.frames("S>M")
    rows += c.period("M>S", down[0], last_only=True)
    rows += c.period("S>M", up[0], last_only=True)
    for d in ("M>S", "S>M"):
        fs, _ = c.first_signal(d)
        for f in range(fs, fs + 40):
            got = c.period(d, f)
            if any(bytes.fromhex("f07d0102") in x["p"] for x in got):
                rows += got
                notes.append(f"{d} frame {f}: a whole period with notes and the SysEx")
                break
    rows += c.period("M>S", down[-1], last_only=True)
    rows += c.period("S>M", up[-1], last_only=True)
    return rows, notes


def sel_ch16(c):
    rows, notes = [], []
    down, up = c.frames("M>S"), c.frames("S>M")
    rows += c.period("M>S", down[0], last_only=True)
    fs, _ = c.first_signal("M>S")
    rows += c.period("M>S", fs + 4)
    notes.append(f"down frame {fs + 4}: one whole period with the known signal, "
                 f"13 fragments")
    us, _ = c.first_signal("S>M")
    got = c.period("S>M", us + 4)
    rows += [x for x in got if x["h"]["frag"] in (0, 12)]
    notes.append(f"reply {us + 4}: fragments 0 and 12 (of 13) of the looped signal")
    rows += c.period("M>S", down[-1], last_only=True)
    rows += c.period("S>M", up[-1], last_only=True)
    return rows, notes


def sel_headers(c):
    """Latency variants: first datagrams and the fragment-0 header evolution."""
    rows, notes = [], []
    down, up = c.frames("M>S"), c.frames("S>M")
    for f in down[:3]:
        rows += c.period("M>S", f, last_only=True)
    for f in up[:3]:
        rows += c.period("S>M", f, last_only=True)
    fs, _ = c.first_signal("M>S")
    us, _ = c.first_signal("S>M")
    rows += c.period("M>S", fs + 4)
    rows += c.period("S>M", us + 4)
    rows += c.period("M>S", down[-1], last_only=True)
    rows += c.period("S>M", up[-1], last_only=True)
    notes.append(f"last fragments of down frames {down[:3]} and replies {up[:3]}; "
                 f"whole down frame {fs + 4} and reply {us + 4} (noise); the last ones")
    return rows, notes


def sel_redundant(c):
    rows, notes = [], []
    down, up = c.frames("M>S"), c.frames("S>M")
    fs, _ = c.first_signal("M>S")
    us, _ = c.first_signal("S>M")
    rows += c.period("M>S", fs + 4)
    got = c.period("S>M", us + 4)
    rows += [x for x in got if x["h"]["frag"] == 2]
    rows += [x for x in c.period("M>S", down[-1]) if x["h"]["frag"] == 2]
    notes.append(f"down frame {fs + 4}: every copy of every fragment, in capture order; "
                 f"reply {us + 4} and the last down frame {down[-1]}: both copies of "
                 f"their last fragment")
    return rows, notes


def sel_firsts(c):
    """Header fields only: the last fragment of the first two frames each way."""
    rows = []
    down, up = c.frames("M>S"), c.frames("S>M")
    for f in down[:2]:
        rows += c.period("M>S", f, last_only=True)
    for f in up[:2]:
        rows += c.period("S>M", f, last_only=True)
    return rows, [f"last fragments of down frames {down[:2]} and of replies {up[:2]}"]


def gaps(c, d, ms):
    """Indices (into c.pk) after which direction d is silent for > ms."""
    xs = [n for n, x in enumerate(c.pk) if x["dir"] == d]
    return [(xs[j], xs[j + 1]) for j in range(len(xs) - 1)
            if c.pk[xs[j + 1]]["t"] - c.pk[xs[j]]["t"] > ms]


def around(c, d, j, before, after):
    """Last fragments of `before` frames up to c.pk[j] and `after` frames from
    c.pk[j + 1] on, in direction d."""
    rows = []
    xs = [x for x in c.pk[:j + 1] if x["dir"] == d and x["h"]["frag"] == 0]
    xs = xs[len(xs) - before:] if before else []
    ys = [x for x in c.pk[j + 1:] if x["dir"] == d and x["h"]["frag"] == 0][:after]
    for x in xs + ys:
        run = (x["i"], x["i"] + 64)
        rows += c.period(d, x["h"]["framecnt"], last_only=True, run=run)
    return rows


def sel_restart(c):
    rows, notes = sel_small(c)
    # the slave was killed: replies stop (netsource keeps sending in bursts),
    # then the new slave server answers.
    g = gaps(c, "S>M", 500)
    if g:
        a, b = g[0]
        rows += around(c, "S>M", a, 2, 3)
        rows += around(c, "M>S", a, 1, 0)
        notes.append("the slave jackd SIGKILLed: its last two replies %d, %d; the first "
                     "down frames after" % tuple(x["h"]["framecnt"] for x in
                                                 around(c, "S>M", a, 2, 0)[:2]))
        dg = gaps(c, "M>S", 100)
        for a2, b2 in dg[:4]:
            rows += around(c, "M>S", a2, 1, 1)
        notes.append("netsource with no answers: bursts of down frames, the edges of "
                     "the first %d pauses (last and first frame of each)" % min(4, len(dg)))
        rows += around(c, "S>M", b - 1, 0, 3)
        notes.append("the restarted slave's first three replies")
    return rows, notes


def sel_stop(c):
    rows, notes = sel_small(c)
    g = gaps(c, "M>S", 1000)
    if g:
        a, b = g[0]
        rows += around(c, "M>S", a, 2, 0)
        rows += around(c, "S>M", a, 0, 0)
        ups = [x for x in c.pk if x["dir"] == "S>M" and x["i"] > c.pk[a]["i"] and
               x["i"] < c.pk[b]["i"]]
        last = [x for x in ups if x["h"]["frag"] == 0]
        if last:
            rows += c.period("S>M", last[0]["h"]["framecnt"], last_only=True,
                             run=(last[0]["i"], last[0]["i"] + 64))
            rows += c.period("S>M", last[-1]["h"]["framecnt"], last_only=True,
                             run=(last[-1]["i"], last[-1]["i"] + 64))
        notes.append("netsource SIGTERMed after down frame %d: the slave's first and last "
                     "replies after that (%d replies without a down packet)"
                     % (c.pk[a]["h"]["framecnt"], len(last)))
        rows += around(c, "M>S", b - 1, 0, 2)
        rows += around(c, "S>M", b - 1, 0, 2)
        notes.append("netsource started again: its first frames and the first replies")
    return rows, notes


# case -> (file, selection, setup description)
SETS = {
    "float": ("netone-float-2ch.hex", sel_standard,
              "float (netsource defaults: -n 5, 2+2 audio, 1+1 MIDI, MTU 1400), "
              "48 kHz, period 256; 3128-byte big packet = 1400 + 1400 + 440"),
    "midi": ("netone-midi.hex", sel_midi,
             "as netone-float-2ch plus MIDI: note-on/off every period, SysEx every 16th, "
             "looped back on the slave (system:capture_3 -> system:playback_3)"),
    "b16": ("netone-int16.hex", sel_small,
            "jack_netsource -b 16 against jackd -d netone -b 16 (crash case 9.2: the slave "
            "aborts); 1592-byte big packet = 1400 + 248"),
    "b8": ("netone-int8.hex", sel_small,
           "jack_netsource -b 8 against jackd -d netone -b 8 (the slave aborts); "
           "824-byte big packet, one datagram"),
    "opus": ("netone-opus128-p480.hex", sel_opus,
             "Opus 128 kbit/s (netsource -P 128, netone -P 128), period 480: "
             "blocks of 162 bytes, 542-byte single datagrams"),
    "ch16": ("netone-float-16ch.hex", sel_ch16,
             "float, 16+16 audio, no MIDI (-i 16 -o 16 -I 0 -O 0): 16440-byte big packet, "
             "12 x 1400 + 312"),
    "lat2": ("netone-lat2.hex", sel_headers,
             "float, netsource -n 2, seeded noise (nj1client.py noise --seed 1)"),
    "red2": ("netone-redundancy2.hex", sel_redundant,
             "float, redundancy 2 both ways (netsource -R 2, netone -R 2)"),
    "rport": ("netone-replyport.hex", sel_firsts,
              "float, netsource -r 3001 -B 3002: reply_port 3001 in the header, "
              "source port 3002"),
    "restart": ("netone-slave-restart.hex", sel_restart,
                "float defaults; after the signal the slave jackd is SIGKILLed, "
                "restarted 4 s later"),
    "stop": ("netone-netsource-stop.hex", sel_stop,
             "float defaults; after the signal netsource is SIGTERMed, "
             "started again 6 s later"),
}


def info(capdir, case, t0):
    """Comment lines from the logs: the slave's (at t_ms of the capture where
    stamped), netsource's first lines."""
    d = os.path.join(capdir, case)
    lines = []
    try:
        for ln in open(os.path.join(d, "slave.log"), errors="replace"):
            ln = ln.strip()
            stamp = ln.split(" ", 1)
            at = ""
            if len(stamp) == 2 and stamp[0].replace(".", "").isdigit():
                ln = stamp[1]  # the wall-clock stamp netone-capture.sh adds
                at = " at %.0f ms" % ((float(stamp[0]) - t0) * 1000)
            if ln.startswith(("AutoConfig", "MTU", "NetOne", "Driver", "### ", "netxruns",
                              "Initing", "*** ", "master seems", "resync")):
                lines.append("slave%s: %s" % (at, ln))
    except OSError:
        pass
    # keep the slave part short: count netxrun lines
    nx = [ln for ln in lines if "netxruns" in ln]
    lines = [ln for ln in lines if "netxruns" not in ln]
    if nx:
        lines.append(f"slave: {len(nx)} 'netxruns' lines")
    for name in ("netsource.log", "netsource2.log"):
        try:
            txt = open(os.path.join(d, name), errors="replace").read().split("\n")
            lines += ["%s: %s" % (name[:-4], ln) for ln in txt if ln.strip()][:4]
        except OSError:
            pass
    return lines


def main():
    capdir, out = sys.argv[1], sys.argv[2]
    cases = sys.argv[3:] or list(SETS)
    total = 0
    for case in cases:
        name, sel, desc = SETS[case]
        pcap = os.path.join(capdir, case, case + ".pcap")
        if not os.path.exists(pcap):
            print(f"{case}: no capture", file=sys.stderr)
            continue
        c = Capture(pcap)
        rows, notes = sel(c)
        comments = [
            f"jack2 1.9.21 (Debian 12) jack_netsource on h1 {MASTER_IP} <-> jackd -d netone "
            f"on h2 {SLAVE_IP}:3000 (netone-capture.sh {case})",
            desc,
        ] + notes + info(capdir, case, c.t0)
        if c.icmp:
            comments.append(f"{len(c.icmp)} ICMP messages in the capture (not listed), "
                            f"first at {c.icmp[0][1]:.3f} ms")
        comments.append(f"{len(c.pk)} datagrams in the capture, {len(rows)} kept")
        size = write(out, name, comments, rows)
        total += size
        print(f"{name}: {len(rows)} packets, {size} bytes")
    print(f"total {total} bytes")


if __name__ == "__main__":
    main()
