#!/usr/bin/env bash
# bench/run.sh [ROUNDS] [SLAVES] [SECONDS]: netjack against jack2's own
# netJACK2, side by side in the same run, on network-namespace hosts of this
# machine (root; see tests/integration/lib/netns.sh). For each side (the
# master serving SLAVES jack2 slaves; one slave joined to jack2's netmanager)
# it measures CPU (percent of one core, the master's or slave's processes
# including their jackd) and resident memory, netjack and jack2 alternating
# ROUNDS times, and prints the medians and the ratio netjack / jack2 (below 1:
# netjack costs less). These machines are noisy: read the ratios, not the
# absolute figures, and compare runs of the same machine only.
set -u
here=$(cd "$(dirname "$0")" && pwd)
rounds=${1:-3} slaves=${2:-4} secs=${3:-20}
export NJ_BUILD=${NJ_BUILD:-$here/../build}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for r in $(seq 1 "$rounds"); do
	for side in master slave; do
		for kind in netjack jack2; do
			line=$(bash "$here/load.sh" "$side" "$kind" "$slaves" "$secs" | tail -1)
			echo "round $r: $line" >&2
			echo "$line" >>"$out"
		done
	done
done
/usr/bin/python3 - "$out" "$slaves" "$secs" "$rounds" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if len(l.split()) == 4]
slaves, secs, rounds = sys.argv[2:5]
print(f"netjack vs jack2 netJACK2, {rounds} rounds of {secs} s, 48 kHz / 256, 2+2 float channels per slave")
print(f"{'side':<34} {'netjack':>10} {'jack2':>10} {'ratio':>7}")
for side, what in (("master", f"master serving {slaves} slaves"), ("slave", "one slave")):
    for col, unit, name in ((2, "%", "CPU"), (3, "kB", "RSS")):
        v = {k: statistics.median(float(r[col]) for r in rows if r[0] == side and r[1] == k)
             for k in ("netjack", "jack2") if any(r[0] == side and r[1] == k for r in rows)}
        if len(v) == 2:
            ratio = v["netjack"] / v["jack2"] if v["jack2"] else float("nan")
            print(f"{what + ' ' + name + ' (' + unit + ')':<34} {v['netjack']:>10.2f} {v['jack2']:>10.2f} {ratio:>7.2f}")
PY
