#!/usr/bin/env bash
# bench/run.sh [OPTIONS] [ROUNDS] [SLAVES] [SECONDS]: netjack against jack2's
# own netJACK2 (and zita-njbridge), side by side in the same run, on
# network-namespace hosts of this machine (root; see
# tests/integration/lib/netns.sh). Prints medians and the ratio netjack /
# peer (below 1: netjack costs less, or takes less time). These machines are
# noisy: read the ratios, not the absolute figures, and compare runs of the
# same machine only.
#
# The rows, chosen by NJ_BENCH_ROWS (comma-separated; default basic):
#   basic     the master serving SLAVES jack2 slaves (2+2 channels each) and
#             one slave joined to jack2's netmanager: CPU (percent of one
#             core, the side's processes with their jackd) and PSS, netjack
#             and jack2 alternating ROUNDS times, period 256, SECONDS each
#   master    master CPU (jackd + netjack-master vs jackd with jack_load
#             netmanager), one jackd -d net slave of 2, 8 and 32 channels
#             each way, at NJ_BENCH_PERIOD (default 128)
#   slaves    the same with 1, 4 and 16 slaves of 8+8 channels
#   capacity  the most channels each way with 0 xruns (every JACK server's
#             log) in a --window, at period 128 and 64: netjack-master +
#             netjack-slave --resampler none against netmanager + jackd -d
#             net; a search over NJ_BENCH_COUNTS (default 8 16 32 64 96 128
#             192 256: doubling, then halving the gap); a width that fails
#             by xruns is tried once more (NJ_BENCH_RETRY=0: not); with
#             --ladder every count once instead, until the pair dies (on a
#             machine too noisy for 0 xruns anywhere: the xruns and deaths
#             of every width). Besides the most channels without xruns,
#             the widest that ran (both servers and daemons up, every port)
#   bridge    a master's stream bridged into the slave host's own server,
#             2, 8 and 32 channels each way: netjack-slave (medium
#             resampler) against zita-njbridge (zita-j2n + zita-n2j both
#             ways); CPU of the receiving host (jackd + the bridge); then
#             the round trip's SNR of a 997 Hz sine (2 channels, 10 s) with
#             the slave host's clock 300 ppm fast and slow, each bridge
#             given 20 s to settle first
#   join      slave start to its ports on the master: netjack-slave --auto
#             --discovery multicast and --discovery dnssd against jackd -d
#             net joining the netmanager (median of --joins tries)
#   plot      bench/cpu-channels.png (gnuplot): CPU against channels for
#             each side, from the master, bridge and capacity rows
# Options: --all (every row), --quick (short windows, to try the script),
# --window S (capacity window, default 60), --cpu-secs S (the CPU window of
# the master, slaves and bridge rows; default SECONDS), --joins N (default
# 5), --plot FILE. ROUNDS applies to the basic, master, slaves and bridge
# rows (default 3; 1 with --all).
set -u
here=$(cd "$(dirname "$0")" && pwd)
rows=${NJ_BENCH_ROWS:-} window=60 cpusecs='' joins=5 plot=$here/cpu-channels.png quick=no all=no
settle=20 snrsecs=10 ladder=no
counts=${NJ_BENCH_COUNTS:-8 16 32 64 96 128 192 256}
while [ $# -gt 0 ]; do
	case $1 in
	--all) all=yes ;;
	--quick) quick=yes ;;
	--ladder) ladder=yes ;;
	--window) window=$2; shift ;;
	--cpu-secs) cpusecs=$2; shift ;;
	--joins) joins=$2; shift ;;
	--plot) plot=$2; shift ;;
	--*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
	shift
done
[ "$all" = yes ] && rows=${rows:-basic,master,slaves,capacity,bridge,join,plot}
rows=${rows:-basic}
dflt_rounds=3
[ "$all" = yes ] && dflt_rounds=1
rounds=${1:-$dflt_rounds} slaves=${2:-4} secs=${3:-20}
cpusecs=${cpusecs:-$secs}
if [ "$quick" = yes ]; then
	window=5 cpusecs=4 joins=1 secs=4 settle=3 snrsecs=3
	counts=${NJ_BENCH_COUNTS:-8 32 64 128 256}
fi
period=${NJ_BENCH_PERIOD:-128}
export NJ_BUILD=${NJ_BUILD:-$here/../build}
want() { [[ ",$rows," == *",$1,"* ]]; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# note LINE: one raw result, kept for the tables and shown as it comes
note() { echo "$*" >&2; echo "$*" >>"$out"; }
t_start=$(date +%s)
echo "# bench/run.sh: rows $rows; $(date -u '+%F %T UTC'); load $(cut -d' ' -f1-3 /proc/loadavg)" >&2

if want basic; then
	for r in $(seq 1 "$rounds"); do
		for m in "master netjack" "master jack2" "slave netjack" "slave jack2" "slave netjack -r none"; do
			read -r side kind args <<<"$m"
			line=$(NJ_BENCH_SLAVE_ARGS="$args" bash "$here/load.sh" "$side" "$kind" "$slaves" "$secs" |
				grep -E "^(master|slave) " | tail -1)
			[ -n "$args" ] && line=$(sed "s/^slave netjack/slave-none netjack/" <<<"$line")
			note "basic $line"
		done
	done
fi
# the master rows: CH channels, N slaves
master_rows() {
	local ch=$1 n=$2 r kind line
	for r in $(seq 1 "$rounds"); do
		for kind in netjack jack2; do
			line=$(NJ_BENCH_CH=$ch NJ_BENCH_PERIOD=$period bash "$here/load.sh" master "$kind" "$n" "$cpusecs" |
				grep -E '^master ' | tail -1)
			note "master $ch $n ${line:-master $kind - - - failed}"
		done
	done
}
if want master; then for ch in 2 8 32; do master_rows "$ch" 1; done; fi
if want slaves; then
	for n in 1 4 16; do
		want master && [ "$n" = 1 ] && continue # the 8-channel master row
		master_rows 8 "$n"
	done
fi
if want bridge; then
	for ch in 2 8 32; do
		for r in $(seq 1 "$rounds"); do
			for kind in netjack zita; do
				note "$(NJ_BENCH_PERIOD=$period bash "$here/bridge.sh" "$kind" "$ch" "$cpusecs" | grep '^bridge ' ||
					echo "bridge $kind $ch 0 - - failed -")"
			done
		done
	done
	for ppm in 300 -300; do
		for kind in netjack zita; do
			# the bridges settle for a window before the recording
			note "$(NJ_BENCH_SNR=$snrsecs NJ_BENCH_PERIOD=$period bash "$here/bridge.sh" "$kind" 2 "$settle" "$ppm" |
				grep '^bridge ' || echo "bridge $kind 2 $ppm - - failed -")"
		done
	done
fi
if want join; then
	for _ in $(seq 1 "$joins"); do
		for kind in multicast dnssd jack2; do
			note "$(bash "$here/join.sh" "$kind" | grep '^join ' || echo "join $kind -")"
		done
	done
fi
# the longest rows last
# trial KIND CH P: one capacity window; true when it ran without xruns;
# keeps the widest that ran (alive, joined) and the narrowest that did not
trial() {
	local line
	for _ in 1 2; do
		line=$(NJ_BENCH_KIND=$1 bash "$here/wide.sh" "$2" "$3" "$window" | tail -1)
		note "cap $1 $line"
		case $line in
		*alive=yes*)
			[ "$2" -gt "$ran" ] && ran=$2
			[ "$(awk '{print $7 + $8}' <<<"$line")" = 0 ] && return 0 ;;
		*) # died, or never joined: no second try
			[ "$died" = - ] || [ "$2" -lt "$died" ] && died=$2
			return 1 ;;
		esac
		[ "$ladder" = yes ] || [ "${NJ_BENCH_RETRY:-1}" = 0 ] && return 1
	done
	return 1
}
# capacity KIND P: doubling from the smallest count while windows pass,
# then halving the gap between the last pass and the first failure; with
# --ladder every count once, in order, until the pair dies
capacity() {
	local kind=$1 p=$2 c=($counts) lo=-1 hi i=0 j m ran=0 died=-
	hi=${#c[@]}
	if [ "$ladder" = yes ]; then
		for ((i = 0; i < ${#c[@]}; i++)); do
			if trial "$kind" "${c[$i]}" "$p"; then
				[ "$lo" = $((i - 1)) ] && lo=$i
			else
				[ "$hi" = ${#c[@]} ] && hi=$i
			fi
			[ "$died" = - ] || break
		done
		hi=$((lo + 1))
	fi
	while [ "$ladder" = no ] && [ "$i" -lt "$hi" ]; do
		if ! trial "$kind" "${c[$i]}" "$p"; then hi=$i; break; fi
		lo=$i
		for ((j = i + 1; j < ${#c[@]}; j++)); do [ "${c[$j]}" -ge $((2 * c[i])) ] && break; done
		[ "$j" -ge "${#c[@]}" ] && j=$((${#c[@]} - 1))
		[ "$j" = "$i" ] && break
		i=$j
	done
	while [ $((hi - lo)) -gt 1 ]; do
		m=$(((lo + hi) / 2))
		if trial "$kind" "${c[$m]}" "$p"; then lo=$m; else hi=$m; fi
	done
	note "capmax $kind $p $([ "$lo" -ge 0 ] && echo "${c[$lo]}" || echo 0) $([ "$hi" -lt ${#c[@]} ] && echo "${c[$hi]}" || echo -) $ran $died"
}
if want capacity; then
	for p in 128 64; do
		for kind in netjack jack2; do capacity "$kind" "$p"; done
	done
fi
note "elapsed $(($(date +%s) - t_start))"
want plot && plotarg=$plot || plotarg=
"/usr/bin/python3" "$here/table.py" "$out" "$slaves" "$secs" "$rounds" "$period" "$window" "$cpusecs" "$plotarg"
