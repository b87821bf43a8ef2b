#!/usr/bin/env bash
# bench/auth.sh [ROUNDS] [CHANNELS] [SECONDS]: what authentication costs.
# netjack-master and netjack-slave (--resampler none) with CHANNELS audio
# channels each way (default 32), 48 kHz / 256, every channel carrying
# noise, in three modes: no key, --psk-file (a tag on every packet) and
# --psk-file --encrypt; the modes alternate ROUNDS times. Measured: CPU
# (percent of one core) of each host's jackd plus daemon. Prints the medians
# and the ratios to the run without a key (1.00: free). Root; network
# namespaces of this machine (tests/integration/lib/netns.sh).
set -u
here=$(cd "$(dirname "$0")" && pwd)
if [ "${1:-}" = --one ]; then
	# --one MODE CHANNELS SECONDS: one measurement; prints "MODE master% slave%"
	mode=$2 ch=$3 secs=$4
	source "$here/../tests/integration/lib/netns.sh"
	nj_require >/dev/null
	hz=$(getconf CLK_TCK)
	ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo $t; }
	key=$NJ_LOGDIR/key
	"$NJ_BUILD/tools/netjack-ctl" genkey "$key" >/dev/null || nj_fail "genkey"
	opts=()
	[ "$mode" != none ] && opts=(--psk-file "$key")
	[ "$mode" = encrypt ] && opts+=(--encrypt)
	nj_net 2
	nj_jackd h1 >/dev/null || nj_fail "jackd"
	mp=("$NJ_LASTPID")
	nj_bg h1 master "$NJ_BUILD/daemon/netjack-master" "${opts[@]}"
	mp+=("$NJ_LASTPID")
	nj_jackd h2 >/dev/null || nj_fail "jackd on host2"
	sp=("$NJ_LASTPID")
	nj_bg h2 slave "$NJ_BUILD/daemon/netjack-slave" --auto --discovery multicast -C "$ch" -P "$ch" \
		-i 0 -o 0 -r none "${opts[@]}"
	sp+=("$NJ_LASTPID")
	nj_wait_port h1 "^host2:from_slave_$ch\$" 10 || nj_fail "the slave did not join"
	# noise into every channel both ways (a player on each host), looped back
	nj_bg h1 play1 "$NJ_PY" "$NJ_LIB/njaudio.py" play --out "$(seq -s, -f "host2:to_slave_%g" 1 "$ch")"
	nj_bg h2 play2 "$NJ_PY" "$NJ_LIB/njaudio.py" play --out "$(seq -s, -f "netjack:playback_%g" 1 "$ch")"
	sleep 4
	a0=$(ticks "${mp[@]}") b0=$(ticks "${sp[@]}")
	sleep "$secs"
	a1=$(ticks "${mp[@]}") b1=$(ticks "${sp[@]}")
	grep -h 'authenticat' "$NJ_LOGDIR/master.log" | head -2 >&2
	echo "$mode $("$NJ_PY" -c "print(round(100.0 * ($a1 - $a0) / $hz / $secs, 2), round(100.0 * ($b1 - $b0) / $hz / $secs, 2))")"
	exit 0
fi
rounds=${1:-3} ch=${2:-32} secs=${3:-20}
export NJ_BUILD=${NJ_BUILD:-$here/../build}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for r in $(seq 1 "$rounds"); do
	for mode in none psk encrypt; do
		line=$(bash "$here/auth.sh" --one "$mode" "$ch" "$secs" | grep -E '^(none|psk|encrypt) ' | tail -1)
		echo "round $r: $line" >&2
		echo "$line" >>"$out"
	done
done 2>&1 >/dev/null | cat >&2
/usr/bin/python3 - "$out" "$ch" "$secs" "$rounds" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if len(l.split()) == 3]
ch, secs, rounds = sys.argv[2:5]
print(f"authentication cost, {rounds} rounds of {secs} s, 48 kHz / 256, {ch}+{ch} float channels")
print(f"{'':<28} {'master %':>9} {'ratio':>6} {'slave %':>9} {'ratio':>6}")
med = {m: [statistics.median([float(r[i]) for r in rows if r[0] == m] or [float('nan')])
           for i in (1, 2)] for m in ("none", "psk", "encrypt")}
for m, what in (("none", "no key"), ("psk", "--psk-file (tags)"), ("encrypt", "--psk-file --encrypt")):
    a, b = med[m]
    print(f"{what:<28} {a:>9.2f} {a / med['none'][0]:>6.2f} {b:>9.2f} {b / med['none'][1]:>6.2f}")
PY
