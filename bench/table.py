#!/usr/bin/env python3
"""bench/table.py RAW SLAVES SECS ROUNDS PERIOD WINDOW CPUSECS [PLOT.png]:
the tables of bench/run.sh from its raw lines (one measurement a line, as
run.sh notes them), and the plot of CPU against channels (gnuplot; skipped
with a message when gnuplot is missing)."""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

raw, slaves, secs, rounds, period, window, cpusecs = sys.argv[1:8]
plot = sys.argv[8] if len(sys.argv) > 8 else ""
rows = [line.split() for line in open(raw)]


def num(x):
    try:
        return float(x)
    except ValueError:
        return None


def med(values):
    v = [x for x in values if x is not None]
    return statistics.median(v) if v else None


def fmt(x, nd=2):
    return "-" if x is None else f"{x:.{nd}f}"


def ratio(a, b):
    return "-" if a is None or b is None or b == 0 else f"{a / b:.2f}"


def per_kind(sel, kinds, kind_col, cpu_col, xrun_col):
    """The median CPU of each kind's rows in sel, and their xruns joined by +."""
    v, x = {}, {}
    for kind in kinds:
        k = [r for r in sel if r[kind_col] == kind]
        v[kind] = med([num(r[cpu_col]) for r in k])
        x[kind] = "+".join(r[xrun_col] for r in k) or "-"
    return v, x


def line(what, a, b, r, extra=""):
    print(f"{what:<40} {a:>12} {b:>12} {r:>7}  {extra}".rstrip())


# basic: "basic SIDE KIND cpu pss xruns alive"
basic = [r[1:] for r in rows if r[0] == "basic" and len(r) >= 5]
if basic:
    print(f"netjack vs jack2 netJACK2, {rounds} rounds of {secs} s, 48 kHz / 256, 2+2 float channels per slave")
    line("", "netjack", "jack2", "ratio")
    for side, ref, what in (("master", "master", f"master serving {slaves} slaves"),
                            ("slave", "slave", "one slave (medium resampler)"),
                            ("slave-none", "slave", "one slave (--resampler none)")):
        for col, unit, name in ((2, "%", "CPU"), (3, "kB", "PSS")):
            a = med([num(r[col]) for r in basic if r[0] == side and r[1] == "netjack"])
            b = med([num(r[col]) for r in basic if r[0] == ref and r[1] == "jack2"])
            if a is not None and b is not None:
                line(f"{what} {name} ({unit})", fmt(a), fmt(b), ratio(a, b))
    print()

def died(alive):
    """': jackd-h1 exited' from wide.sh's alive=no:exited:jackd-h1"""
    return ": " + alive.split(":", 2)[2] + " exited" if alive.count(":") >= 2 else ""


def section(tag, minlen, title, peer, extra):
    """The raw rows of one kind; when there are any, the section's heading."""
    sel = [r for r in rows if r[0] == tag and len(r) >= minlen]
    if sel:
        print(title)
        line("", "netjack", peer, "ratio", extra)
    return sel


# master: "master CH N master KIND cpu pss xruns alive"
master_pts = {}
mrows = section("master", 9, f"master CPU (% of a core: jackd + netjack-master | jackd with netmanager), "
                f"jackd -d net slaves, 48 kHz / {period}, {cpusecs} s windows",
                "jack2", "xruns nj/j2, slaves alive")
if mrows:
    for ch, n in sorted({(int(r[1]), int(r[2])) for r in mrows}, key=lambda k: (k[1], k[0])):
        sel = [r for r in mrows if int(r[1]) == ch and int(r[2]) == n]
        v, x = per_kind(sel, ("netjack", "jack2"), 4, 5, 7)
        alive = {kind: "yes" if all(r[8] == "yes" for r in sel if r[4] == kind) else "NO"
                 for kind in ("netjack", "jack2")}
        if n == 1:
            master_pts[ch] = v
        what = f"{n} slave{'s' if n > 1 else ''} x {ch}+{ch} channels"
        line(what, fmt(v["netjack"]), fmt(v["jack2"]), ratio(v["netjack"], v["jack2"]),
             f"{x['netjack']}/{x['jack2']}, {alive['netjack']}/{alive['jack2']}")
    print()

# capacity: "cap KIND wide BUILD CH P mcpu scpu x1 x2 lost conc frags out lock= kind= alive="
cap = [r for r in rows if r[0] == "cap" and len(r) >= 6]
capmax = {(r[1], int(r[2])): r[3:] for r in rows if r[0] == "capmax"}
cap_pts = {}
if capmax:
    print(f"channel capacity: the most channels each way with 0 xruns in a {window} s window "
          f"(netjack-master + netjack-slave -r none | netmanager + jackd -d net)")
    line("", "netjack", "jack2", "ratio", "first failing width (what failed)")
    for p in sorted({k[1] for k in capmax}, reverse=True):
        best, why, first = {}, {}, {}
        for kind in ("netjack", "jack2"):
            got = capmax.get((kind, p))
            if not got:
                best[kind], why[kind] = None, "not run"
                continue
            best[kind] = int(got[0])
            fail = first[kind] = got[1]
            if fail == "-":
                why[kind] = "none failed"
                continue
            tr = [r for r in cap if r[1] == kind and r[4] == fail and int(r[5]) == p]
            reasons = []
            for r in tr:
                st = dict(f.split("=", 1) for f in r if "=" in f)
                if len(r) < 14:
                    reasons.append("the round failed (its log)")
                elif st.get("alive", "").startswith("nojoin"):
                    reasons.append("the slave's ports never all appeared" + died(st["alive"]))
                elif st.get("alive", "").startswith("no"):
                    reasons.append("died" + died(st["alive"]))
                else:
                    reasons.append(f"{int(r[8]) + int(r[9])} xruns")
            why[kind] = f"{fail}: " + ", ".join(reasons)
        shown = {k: "-" if k not in first else str(best[k]) if best[k] else "<" + first[k] for k in best}
        line(f"period {p}, 0 xruns", shown["netjack"], shown["jack2"], ratio(best["netjack"], best["jack2"]),
             f"netjack {why['netjack']}; jack2 {why['jack2']}")
        ran = {k: capmax.get((k, p), [])[2:4] for k in ("netjack", "jack2")}
        if all(len(v) == 2 for v in ran.values()):
            rn = {k: num(v[0]) or None for k, v in ran.items()}
            line(f"period {p}, ran (up, every port)", ran["netjack"][0], ran["jack2"][0],
                 ratio(rn["netjack"], rn["jack2"]),
                 "; ".join(f"{k} {'died or never joined at ' + v[1] if v[1] != '-' else 'never died'}"
                           for k, v in ran.items()))
    print("  every window:  kind ch P master% slave% xruns(h1 h2) lost(m/s) concealed(m/s) frags(h1/h2)"
          " machine-stalls>5ms alive")
    for r in cap:
        if len(r) < 14:
            print(f"  {r[1]:<8} {' '.join(r[4:])}")
            continue
        st = dict(f.split("=", 1) for f in r if "=" in f)
        print(f"  {r[1]:<8} {r[4]:>4} {r[5]:>4} {r[6]:>7} {r[7]:>7} {r[8]:>4} {r[9]:>4} {r[10]:>9} {r[11]:>9}"
              f" {r[12]:>9} {st.get('stalls', '?'):>4} {st.get('alive', '?')}")
        if r[6] != "-" and st.get("alive") == "yes" and int(r[5]) == 128:
            cap_pts.setdefault(r[1], {}).setdefault(int(r[4]), []).append(num(r[6]) + num(r[7]))
    print()

# bridge: "bridge KIND CH ppm cpu xruns alive snr"
bridge_pts = {}
br = section("bridge", 8, f"bridge CPU (% of a core, the receiving host: jackd + netjack-slave | jackd + "
             f"zita-n2j + zita-j2n), both ways, 48 kHz / {period}, {cpusecs} s windows",
             "zita", "xruns nj/zita")
if br:
    for ch in sorted({int(r[2]) for r in br if r[3] == "0"}):
        v, x = per_kind([r for r in br if int(r[2]) == ch and r[3] == "0"], ("netjack", "zita"), 1, 4, 5)
        bridge_pts[ch] = v
        line(f"{ch}+{ch} channels", fmt(v["netjack"]), fmt(v["zita"]), ratio(v["netjack"], v["zita"]),
             f"{x['netjack']}/{x['zita']}")
    snr = [r for r in br if r[3] != "0"]
    if snr:
        print("round-trip SNR (dB) of a 997 Hz sine, 2 channels, the slave host's clock off by PPM: "
              "whole recording / median 0.1 s window")
        line("", "netjack", "zita", "diff dB")
        for ppm in sorted({r[3] for r in snr}, key=float, reverse=True):
            v = {kind: " ".join(r[7] for r in snr if r[1] == kind and r[3] == ppm) or "-"
                 for kind in ("netjack", "zita")}
            a, b = (num(v[k].split("/")[0]) for k in ("netjack", "zita"))
            d = "-" if a is None or b is None else f"{a - b:+.1f}"
            line(f"{int(ppm):+d} ppm", v["netjack"], v["zita"], d)
    print()

# join: "join KIND seconds"
jn = [r for r in rows if r[0] == "join" and len(r) >= 3]
if jn:
    j = {k: [num(r[2]) for r in jn if r[1] == k] for k in ("multicast", "dnssd", "jack2")}
    m = {k: med(v) for k, v in j.items()}
    print(f"join time (s): slave start to its ports on the master, median of {len(j['jack2'])}")
    line("", "netjack", "jack2", "ratio", "every try")
    for k, what in (("multicast", "netjack-slave --discovery multicast"), ("dnssd", "netjack-slave --discovery dnssd")):
        tries = " ".join(fmt(x, 3) for x in j[k]) + " | " + " ".join(fmt(x, 3) for x in j["jack2"])
        line(what, fmt(m[k], 3), fmt(m["jack2"], 3), ratio(m[k], m["jack2"]), tries)
    print()

el = [r for r in rows if r[0] == "elapsed"]
if el:
    print(f"(the run took {int(el[-1][1]) // 60} min {int(el[-1][1]) % 60} s)")

if plot:
    series = []  # (title, [(x, y)])
    for kind, name in (("netjack", "netjack-master"), ("jack2", "jack2 netmanager")):
        pts = [(ch, v[kind]) for ch, v in sorted(master_pts.items()) if v[kind] is not None]
        if pts:
            series.append((f"master: {name} (1 slave)", pts))
    for kind, name in (("netjack", "netjack-slave (medium)"), ("zita", "zita-njbridge")):
        pts = [(ch, v[kind]) for ch, v in sorted(bridge_pts.items()) if v[kind] is not None]
        if pts:
            series.append((f"bridge: {name}", pts))
    for kind, name in (("netjack", "netjack pair"), ("jack2", "jack2 pair")):
        pts = [(ch, med(v)) for ch, v in sorted(cap_pts.get(kind, {}).items())]
        if pts:
            series.append((f"both hosts, period 128: {name}", pts))
    if not shutil.which("gnuplot"):
        print(f"plot: gnuplot is not installed (apt-get install gnuplot-nox): {plot} not written")
    elif not series:
        print("plot: no CPU rows to plot")
    else:
        d = tempfile.mkdtemp()
        cmds = ["set terminal pngcairo size 900,560 noenhanced" if subprocess.run(
                    ["gnuplot", "-e", "set terminal pngcairo"], capture_output=True).returncode == 0
                else "set terminal png size 900,560",
                f"set output '{plot}'",
                "set title 'CPU against channels each way (48 kHz; % of one core)'",
                "set xlabel 'channels each way'", "set ylabel 'CPU, % of one core'",
                "set logscale x 2", "set key left top", "set grid"]
        plots = []
        for i, (title, pts) in enumerate(series):
            f = os.path.join(d, f"s{i}.dat")
            with open(f, "w") as fh:
                fh.writelines(f"{x} {y}\n" for x, y in pts)
            dash = "dt 2" if "jack2" in title or "zita" in title else "dt 1"
            plots.append(f"'{f}' with linespoints lw 2 {dash} lc {i // 2 + 1} title '{title}'")
        cmds.append("plot " + ", ".join(plots))
        r = subprocess.run(["gnuplot"], input="\n".join(cmds) + "\n", text=True, capture_output=True)
        print(f"plot: {plot}" if r.returncode == 0 else f"plot: gnuplot failed: {r.stderr.strip()}")
        shutil.rmtree(d)
