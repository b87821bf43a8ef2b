#!/usr/bin/env bash
# bench/run.sh [ROUNDS] [SLAVES] [SECONDS]: netjack against jack2's own
# netJACK2, side by side in the same run, on network-namespace hosts of this
# machine (root; see tests/integration/lib/netns.sh). For each side (the
# master serving SLAVES jack2 slaves; one slave joined to jack2's netmanager)
# it measures CPU (percent of one core, the master's or slave's processes
# including their jackd) and memory (PSS: shared pages split among the
# processes that map them), netjack and jack2 alternating
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
	for m in "master netjack" "master jack2" "slave netjack" "slave jack2" "slave netjack -r none"; do
		read -r side kind args <<<"$m"
		line=$(NJ_BENCH_SLAVE_ARGS="$args" bash "$here/load.sh" "$side" "$kind" "$slaves" "$secs" | grep -E "^(master|slave) " | tail -1)
		[ -n "$args" ] && line=$(sed "s/^slave netjack/slave-none netjack/" <<<"$line")
		echo "round $r: $line" >&2
		echo "$line" >>"$out"
	done
done
/usr/bin/python3 - "$out" "$slaves" "$secs" "$rounds" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if len(l.split()) == 4]
slaves, secs, rounds = sys.argv[2:5]
print(f"netjack vs jack2 netJACK2, {rounds} rounds of {secs} s, 48 kHz / 256, 2+2 float channels per slave")
print(f"{'':<44} {'netjack':>10} {'jack2':>10} {'ratio':>7}")
def med(side, kind, col):
    v = [float(r[col]) for r in rows if r[0] == side and r[1] == kind]
    return statistics.median(v) if v else None


for side, ref, what in (("master", "master", f"master serving {slaves} slaves"),
                        ("slave", "slave", "one slave (medium resampler)"),
                        ("slave-none", "slave", "one slave (--resampler none)")):
    for col, unit, name in ((2, "%", "CPU"), (3, "kB", "PSS")):
        v = {"netjack": med(side, "netjack", col), "jack2": med(ref, "jack2", col)}
        v = {k: x for k, x in v.items() if x is not None}
        if len(v) == 2:
            ratio = v["netjack"] / v["jack2"] if v["jack2"] else float("nan")
            print(f"{what + ' ' + name + ' (' + unit + ')':<44} {v['netjack']:>10.2f} {v['jack2']:>10.2f} {ratio:>7.2f}")
PY
