#!/usr/bin/env bash
# bench/ext.sh [ROUNDS] [CHANNELS] [SECONDS]: what netjack's extensions cost.
# netjack-master and netjack-slave (--resampler none) with CHANNELS audio
# channels each way (default 32), 48 kHz / 256, every channel carrying
# noise, in four modes: none, --psk-file (a tag on every packet),
# --psk-file --encrypt, and --redundancy 2 (every packet twice); the modes
# alternate ROUNDS times. Measured: CPU (percent of one core) of each host's
# jackd plus daemon, and the datagrams per second the master sends. Prints
# the medians and the ratios to the run without extensions (1.00: free).
# Root; network namespaces of this machine (tests/integration/lib/netns.sh).
set -u
here=$(cd "$(dirname "$0")" && pwd)
if [ "${1:-}" = --one ]; then
	# --one MODE CHANNELS SECONDS: one measurement; prints "MODE master% slave% pkt/s"
	mode=$2 ch=$3 secs=$4
	source "$here/../tests/integration/lib/netns.sh"
	source "$here/lib.sh"
	nj_require >/dev/null
	key=$NJ_LOGDIR/key
	"$NJ_BUILD/tools/netjack-ctl" genkey "$key" >/dev/null || nj_fail "genkey"
	opts=()
	[ "$mode" != none ] && opts=(--psk-file "$key")
	[ "$mode" = encrypt ] && opts+=(--encrypt)
	[ "$mode" = red2 ] && opts=(--redundancy 2)
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
	# noise into every channel, looped back on host2 and listened to on
	# host1: a channel nobody listens to at the far end is not sent at all
	nj_bg h1 play "$NJ_PY" "$NJ_LIB/njaudio.py" play --out "$(seq -s, -f "host2:to_slave_%g" 1 "$ch")"
	nj_bg h2 loop "$NJ_PY" "$NJ_LIB/njaudio.py" loop --in "$(seq -s, -f "netjack:capture_%g" 1 "$ch")" \
		--out "$(seq -s, -f "netjack:playback_%g" 1 "$ch")"
	for c in $(seq 1 "$ch"); do
		nj_on h1 jack_connect "host2:from_slave_$c" system:playback_1 >/dev/null 2>&1 ||
			nj_fail "jack_connect host2:from_slave_$c"
	done
	sleep 4
	# datagrams host1 sends (its namespace's /proc/net/dev: /sys is the machine's)
	pk() { nj_on h1 awk '/eth0:/ {sub(/.*eth0:/, ""); print $10}' /proc/net/dev; }
	a0=$(nb_ticks "${mp[@]}") b0=$(nb_ticks "${sp[@]}") k0=$(pk)
	sleep "$secs"
	a1=$(nb_ticks "${mp[@]}") b1=$(nb_ticks "${sp[@]}") k1=$(pk)
	grep -h "answering" "$NJ_LOGDIR/master.log" | head -1 >&2
	echo "$mode $(nb_pct $((a1 - a0)) "$secs") $(nb_pct $((b1 - b0)) "$secs") $(((k1 - k0) / secs))"
	exit 0
fi
rounds=${1:-3} ch=${2:-32} secs=${3:-20}
export NJ_BUILD=${NJ_BUILD:-$here/../build}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for r in $(seq 1 "$rounds"); do
	for mode in none psk encrypt red2; do
		line=$(bash "$here/ext.sh" --one "$mode" "$ch" "$secs" | grep -E '^(none|psk|encrypt|red2) ' | tail -1)
		echo "round $r: $line" >&2
		echo "$line" >>"$out"
	done
done 2>&1 >/dev/null | cat >&2
/usr/bin/python3 - "$out" "$ch" "$secs" "$rounds" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if len(l.split()) == 4]
ch, secs, rounds = sys.argv[2:5]
print(f"extension cost, {rounds} rounds of {secs} s, 48 kHz / 256, {ch}+{ch} float channels")
print(f"{'':<28} {'master %':>9} {'ratio':>6} {'slave %':>9} {'ratio':>6} {'pkt/s':>7} {'ratio':>6}")
modes = (("none", "no extension"), ("psk", "--psk-file (tags)"),
         ("encrypt", "--psk-file --encrypt"), ("red2", "--redundancy 2"))
med = {m: [statistics.median([float(r[i]) for r in rows if r[0] == m] or [float('nan')])
           for i in (1, 2, 3)] for m, _ in modes}
for m, what in modes:
    a, b, k = med[m]
    n = med["none"]
    print(f"{what:<28} {a:>9.2f} {a / n[0]:>6.2f} {b:>9.2f} {b / n[1]:>6.2f} {k:>7.0f} {k / n[2]:>6.2f}")
PY
