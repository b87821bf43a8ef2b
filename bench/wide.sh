#!/usr/bin/env bash
# bench/wide.sh CHANNELS [PERIOD] [SECONDS] [BUILD...]: netjack-master and
# netjack-slave (--resampler none) with CHANNELS audio channels each way at
# PERIOD, every port connected (on the master's host the dummy capture fans
# out to every to_slave port and every from_slave port into its playback; on
# the slave's host each capture port loops into its playback port), for
# SECONDS after the slave's bridge locks. One round per BUILD directory
# (default: $NJ_BUILD, else ../build), alternating them ROUNDS times
# (NJ_BENCH_ROUNDS, default 1); BUILD may carry options for both daemons
# after commas ("build,--udp-offload,off"). NJ_BENCH_KIND=jack2: jack2's own pair instead
# (jack_load netmanager, and jackd -d net as the slave), BUILD then unused.
# Prints per round:
#   wide BUILD CH P master_cpu slave_cpu xruns_h1 xruns_h2 lost(m/s)
#        concealed(m/s) ip_fragments(h1/h2) datagrams_per_s(h1 out)
#        lock=yes|no kind=netjack|jack2 alive=yes|no|nojoin stalls=N
# CPU in percent of one core: jackd and the daemon of each host together.
# alive=no:exited:WHAT: WHAT (jackd-h1, netjack-master, jackd-h1-netmanager,
# jackd-h2, netjack-slave, jackd-net-h2) exited during the round; nojoin: the
# slave's ports did not all appear on the master. stalls: how often the
# machine held the stall probe (netns.sh) off for more than 5 ms in the window
# (xruns then are the machine's as much as the programs').
# What it answers: what a wide session costs, whether the kernel fragments
# its datagrams (jack2's sub-period rule) or not (NJ2_EXT_TILED), and (for
# bench/run.sh's capacity rows) whether a width runs without xruns.
set -u
here=$(cd "$(dirname "$0")" && pwd)
kind=${NJ_BENCH_KIND:-netjack}
if [ "${1:-}" = --one ]; then
	# --one BUILD[,ARG...] CH PERIOD SECONDS: one round (netns.sh's trap ends it)
	IFS=, read -r -a nb_args <<<"$2"
	export NJ_BUILD=${nb_args[0]} NB_DAEMON_ARGS="${nb_args[*]:1}"
	ch=$3 period=$4 secs=$5
	NJ_WATCHDOG=$((secs + 90))
	source "$here/../tests/integration/lib/netns.sh"
	source "$here/lib.sh"
	nj_require >/dev/null
	ipc() { nj_on "$1" cat /proc/net/snmp | awk '/^Ip:/ { if (!h) { for (i = 1; i <= NF; i++) f[$i] = i; h = 1 } else print $f["FragCreates"], $f["OutRequests"] }'; }
	procs() { local i; for i in "${!NB_M[@]}"; do echo "${NB_M[$i]}=${NB_ML[$i]}"; done
		for i in "${!NB_S[@]}"; do echo "${NB_S[$i]}=${NB_SL[$i]}"; done; }
	if ! nb_pair "$kind" "$ch" "$period" -r none; then
		d=$(nb_dead $(procs))
		echo "wide $2 $ch $period - - - - - - - - lock=no kind=$kind alive=nojoin${d:+:exited:$d}"
		exit 0
	fi
	lock=yes
	[ "$kind" = netjack ] && { nj_wait_log "$NB_SLOG" "clock bridge locked after" 15 || lock=no; }
	sleep 2
	x1a=$(nb_log_xruns "${NB_JXLOG[0]}") x2a=$(nb_log_xruns "${NB_JXLOG[1]}")
	read -r f1a o1a < <(ipc h1)
	read -r f2a o2a < <(ipc h2)
	st0=$(nb_stalls)
	t0m=$(nb_ticks "${NB_M[@]}") t0s=$(nb_ticks "${NB_S[@]}")
	sleep "$secs"
	t1m=$(nb_ticks "${NB_M[@]}") t1s=$(nb_ticks "${NB_S[@]}")
	read -r f1b o1b < <(ipc h1)
	read -r f2b o2b < <(ipc h2)
	x1=$(($(nb_log_xruns "${NB_JXLOG[0]}") - x1a)) x2=$(($(nb_log_xruns "${NB_JXLOG[1]}") - x2a))
	st1=$(nb_stalls)
	d=$(nb_dead $(procs))
	alive=yes
	[ -n "$d" ] && alive=no:exited:$d
	ml=- mc=- sl=- sc=-
	if [ "$kind" = netjack ]; then
		lc() { nj_on "$1" "$NJ_BUILD/tools/netjack-ctl" "${@:2}" status --json 2>/dev/null | "$NJ_PY" -c '
import json, sys
try:
    s = json.load(sys.stdin)["sessions"][0]
    print(s["lost"], s["concealed"])
except Exception:
    print("? ?")'; }
		read -r ml mc < <(lc h1)
		read -r sl sc < <(lc h2 --slave)
	fi
	# a process that has exited has no ticks left to count
	cm=- cs=-
	[ "$alive" = yes ] && cm=$(nb_pct $((t1m - t0m)) "$secs") cs=$(nb_pct $((t1s - t0s)) "$secs")
	echo "wide $2 $ch $period $cm $cs $x1 $x2" \
		"$ml/$sl $mc/$sc $((f1b - f1a))/$((f2b - f2a)) $(((o1b - o1a) / secs)) lock=$lock kind=$kind alive=$alive stalls=$((st1 - st0))"
	exit 0
fi
ch=${1:?channels} period=${2:-128} secs=${3:-20}
shift $(($# < 3 ? $# : 3))
builds=("$@")
[ ${#builds[@]} -gt 0 ] || builds=("${NJ_BUILD:-$here/../build}")
rounds=${NJ_BENCH_ROUNDS:-1}
echo "# wide ($kind): $ch+$ch channels, period $period, $secs s per round; columns: build ch P master_cpu% slave_cpu% xruns_h1 xruns_h2 lost_m/s concealed_m/s ip_frags_h1/h2 ip_out_per_s_h1 bridge_locked kind alive" >&2
for r in $(seq 1 "$rounds"); do
	for b in "${builds[@]}"; do
		bash "$here/wide.sh" --one "$b" "$ch" "$period" "$secs" | grep '^wide ' || echo "wide $b $ch $period failed"
	done
done
