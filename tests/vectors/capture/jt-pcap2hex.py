#!/usr/bin/python3
"""jt-pcap2hex.py CAPDIR CASE OUT.hex [PICK] - a JackTrip capture as a golden vector file.

Reads CAPDIR/CASE.pcap (written by jt-capture.sh on h1's interface) and
CAPDIR/CASE-notes.txt, and writes the representative packets as TAB-separated
lines in the style of tests/vectors/jack2-*.hex:

    index  t_ms  direction  src  dst  kind  seq  length  decoded_fields  payload_hex

direction is C>S (from h2, the client) or S>C (from h1, the server); kind is
tcp/req, tcp/reply (TCP segments with payload), exit (63 bytes, all 0xFF),
audio/sig (the newest sub-packet carries jt-signal.py's known signal: tag 1
from h1, tag 2 from h2) or audio (anything else, e.g. silence before the
signal is patched in). IPv4 fragments are reassembled; ICMP is summarised in
the header.

PICK (default "2,2,1"): the first F datagrams of each direction, the first S
audio/sig datagrams of each direction and the last L audio datagrams of each
direction before its exit packet; every TCP segment with payload and the exit
packets of the first four flows that send them are always kept.
"""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
H1, H2 = "198.18.0.2", "198.18.0.3"
RATES = {0: 22050, 1: 32000, 2: 44100, 3: 48000, 4: 88200, 5: 96000, 6: 192000}


def read_pcap(path):
    """Yield (t_seconds, ethernet_frame) from a classic pcap file."""
    with open(path, "rb") as f:
        hdr = f.read(24)
        magic = struct.unpack("<I", hdr[:4])[0]
        if magic == 0xA1B2C3D4:
            end, scale = "<", 1e-6
        elif magic == 0xA1B23C4D:
            end, scale = "<", 1e-9
        else:
            raise SystemExit(f"{path}: not a little-endian pcap file")
        linktype = struct.unpack(end + "I", hdr[20:24])[0]
        if linktype != 1:
            raise SystemExit(f"{path}: link type {linktype}, want Ethernet")
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return
            sec, frac, incl, _orig = struct.unpack(end + "IIII", rec)
            yield sec + frac * scale, f.read(incl)


def ip_packets(frames):
    """Yield (t, src, dst, proto, payload, info) with IPv4 fragments reassembled."""
    frags = {}
    for t, fr in frames:
        if len(fr) < 34 or struct.unpack(">H", fr[12:14])[0] != 0x0800:
            continue
        ip = fr[14:]
        ihl = (ip[0] & 15) * 4
        total = struct.unpack(">H", ip[2:4])[0]
        ident, ff = struct.unpack(">HH", ip[4:8])
        proto = ip[9]
        src = ".".join(map(str, ip[12:16]))
        dst = ".".join(map(str, ip[16:20]))
        data = ip[ihl:total]
        more, off = ff & 0x2000, (ff & 0x1FFF) * 8
        if more or off:
            key = (src, dst, ident, proto)
            parts = frags.setdefault(key, {"t": t, "parts": {}, "end": None, "n": 0})
            parts["parts"][off] = data
            parts["n"] += 1
            if not more:
                parts["end"] = off + len(data)
            if parts["end"] is not None:
                buf, pos = b"", 0
                for o in sorted(parts["parts"]):
                    if o != pos:
                        break
                    buf += parts["parts"][o]
                    pos = o + len(parts["parts"][o])
                if pos == parts["end"]:
                    del frags[key]
                    yield t, src, dst, proto, buf, {"fragments": parts["n"]}
            continue
        yield t, src, dst, proto, data, {}


def known_signal(tag, c, n):
    from importlib import import_module
    return import_module("jt-signal").signal_value(tag, c, n)


def sample(payload, bits, nframes, c, n):
    """Decode channel c, frame n as JackTrip 1.7.0's receiver would."""
    b = bits // 8
    o = (c * nframes + n) * b
    s = payload[o:o + b]
    if len(s) < b:
        return None
    if bits == 8:
        return struct.unpack("<b", s)[0] / 128.0
    if bits == 16:
        return struct.unpack("<h", s)[0] / 32768.0
    if bits == 24:
        return (struct.unpack("<h", s[:2])[0] + s[2] / 256.0) / 32768.0
    return struct.unpack("<f", s)[0]


def decode_audio(p, srcip):
    """The decoded-fields string and whether the newest sub-packet has the signal."""
    ts, seq, nfr, sr, bits, b14, b15 = struct.unpack("<QHHBBBB", p[:16])
    chans = b15 if b15 not in (0,) else b14
    bps = bits // 8 if bits in (8, 16, 24, 32) else 0
    stride = 16 + nfr * chans * bps
    red = len(p) / stride if stride else 0
    f = (f"ts={ts} seq={seq} N={nfr} rate={sr}({RATES.get(sr, '?')}) bits={bits} "
         f"b14={b14} b15={b15} C={chans} R={red:g}")
    subs = []
    if red == int(red) and red > 1:
        for r in range(int(red)):
            subs.append(struct.unpack("<H", p[r * stride + 8:r * stride + 10])[0])
        f += " subseq=" + ",".join(map(str, subs))
    tag = 1 if srcip == H1 else 2
    sig = False
    if bps and nfr > 12 and chans:
        body = p[16:stride]
        s4 = sample(body, bits, nfr, 0, 4)
        s5 = sample(body, bits, nfr, 0, 5)
        s13 = sample(body, bits, nfr, chans - 1, 13)
        want13 = known_signal(tag, chans - 1, 13)
        if (s4 is not None and s13 is not None and abs(s4 - 0.5) < 0.01
                and abs(s5 + 0.25) < 0.01 and abs(s13 - want13) < 0.01):
            sig = True
            k = sample(body, bits, nfr, 0, 9)
            f += f" signal=tag{tag} k={round(k * 256) % 256}"
        elif all(x == 0 for x in body):
            f += " silence"
        else:
            f += " other"
    return f, sig


def main():
    capdir, case, out = sys.argv[1], sys.argv[2], sys.argv[3]
    first, nsig, last = (int(x) for x in (sys.argv[4] if len(sys.argv) > 4 else "2,2,1").split(","))
    pkts = []
    icmp = []
    t0 = None
    for t, src, dst, proto, data, info in ip_packets(read_pcap(os.path.join(capdir, case + ".pcap"))):
        if t0 is None:
            t0 = t
        if proto == 1:
            icmp.append((t - t0, src, dst, data[0], data[1]))
            continue
        if proto == 6:
            off = (data[12] >> 4) * 4
            sport, dport = struct.unpack(">HH", data[:4])
            pl = data[off:]
            if not pl:
                continue
            kind = "tcp/req" if dport == 4464 or src == H2 else "tcp/reply"
        elif proto == 17:
            sport, dport, ulen = struct.unpack(">HHH", data[:6])
            pl = data[8:ulen]
            kind = None
        else:
            continue
        pkts.append({"t": (t - t0) * 1000.0, "src": src, "dst": dst, "sport": sport,
                     "dport": dport, "proto": proto, "pl": pl, "kind": kind, "info": info})
    # classify and decode
    for i, p in enumerate(pkts):
        p["i"] = i
        p["dir"] = "C>S" if p["src"] == H2 else "S>C"
        pl = p["pl"]
        if p["proto"] == 6:
            if len(pl) >= 4:
                v = struct.unpack("<i", pl[:4])[0]
                f = f"value={v}"
                if len(pl) >= 68:
                    name = pl[4:68].split(b"\0")[0]
                    f += f" name={name.decode('utf-8', 'replace')!r} name_bytes={len(name)}"
                p["fields"] = f
            else:
                p["fields"] = "-"
            p["seq"] = "-"
        elif len(pl) == 63:
            p["kind"] = "exit"
            p["fields"] = "all 0xFF" if pl == b"\xff" * 63 else "63 bytes, not all 0xFF"
            p["seq"] = "-"
        elif len(pl) >= 16:
            p["fields"], sig = decode_audio(pl, p["src"])
            p["kind"] = "audio/sig" if sig else "audio"
            p["seq"] = str(struct.unpack("<H", pl[8:10])[0])
        else:
            p["kind"] = "udp/short"
            p["fields"] = f"{len(pl)} bytes"
            p["seq"] = "-"
        if p["info"].get("fragments"):
            p["fields"] += f" ipfrags={p['info']['fragments']}"
    keep = set()
    exits = {}
    for p in pkts:
        if p["kind"] == "exit":
            # both of each direction's exit packets, for at most two flows
            key = (p["src"], p["sport"], p["dst"], p["dport"])
            if key in exits or len(exits) < 4:
                exits.setdefault(key, []).append(p["i"])
                keep.add(p["i"])
        elif p["proto"] == 6 or p["kind"] == "udp/short":
            keep.add(p["i"])
    flows = {}
    for p in pkts:
        if p["proto"] == 17:
            flows.setdefault((p["src"], p["sport"], p["dst"], p["dport"]), []).append(p)
    for fl in flows.values():
        audio = [p for p in fl if p["kind"].startswith("audio")]
        keep.update(p["i"] for p in audio[:first])
        keep.update(p["i"] for p in [p for p in audio if p["kind"] == "audio/sig"][:nsig])
        if last:
            keep.update(p["i"] for p in audio[-last:])
    notes = []
    np_ = os.path.join(capdir, case + "-notes.txt")
    if os.path.exists(np_):
        notes = [x.rstrip("\n") for x in open(np_) if x.strip()]
    with open(out, "w") as o:
        o.write(f"# JackTrip 1.7.0 (Debian 12 jacktrip 1.7.0+ds-1) capture '{case}', made by "
                "tests/vectors/capture/jt-capture.sh (see tests/vectors/README.md)\n")
        o.write("# hosts: h1 198.18.0.2 (server), h2 198.18.0.3 (client); jackd -R -P 70 -d dummy "
                "on each; known signal jt-signal.py tag 1 on h1's send ports, tag 2 on h2's\n")
        for n in notes:
            o.write(f"# {n}\n")
        for key, fl in flows.items():
            lens = sorted({len(p["pl"]) for p in fl})
            seqs = [int(p["seq"]) for p in fl if p["seq"] != "-"]
            gaps = sum(1 for a, b in zip(seqs, seqs[1:]) if (b - a) % 65536 != 1)
            o.write(f"# flow {key[0]}:{key[1]} > {key[2]}:{key[3]}: {len(fl)} datagrams, "
                    f"first at {fl[0]['t']:.3f} ms, lengths {lens}, seq {seqs[0] if seqs else '-'}"
                    f"..{seqs[-1] if seqs else '-'}, {gaps} seq steps != 1\n")
        if icmp:
            o.write(f"# ICMP: {len(icmp)} messages (type/code "
                    f"{sorted({(x[3], x[4]) for x in icmp})}), first at {icmp[0][0] * 1000:.3f} ms, "
                    f"last at {icmp[-1][0] * 1000:.3f} ms, from {sorted({x[1] for x in icmp})}\n")
        o.write(f"# {len(keep)} of {len(pkts)} packets kept (TCP segments with payload, exit packets, "
                f"per direction the first {first}, the first {nsig} audio/sig and the last {last} "
                "audio datagrams)\n")
        o.write("# columns (TAB-separated): capture_index  t_ms  direction  src  dst  kind  seq  "
                "length  decoded_fields  payload_hex\n")
        for p in pkts:
            if p["i"] not in keep:
                continue
            o.write("\t".join([str(p["i"]), f"{p['t']:.3f}", p["dir"], f"{p['src']}:{p['sport']}",
                               f"{p['dst']}:{p['dport']}", p["kind"], p["seq"], str(len(p["pl"])),
                               p["fields"], p["pl"].hex()]) + "\n")


if __name__ == "__main__":
    main()
