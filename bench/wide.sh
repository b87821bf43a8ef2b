#!/usr/bin/env bash
# bench/wide.sh CHANNELS [PERIOD] [SECONDS] [BUILD...]: netjack-master and
# netjack-slave (--resampler none) with CHANNELS audio channels each way at
# PERIOD, every port connected (on the master's host the dummy capture fans
# out to every to_slave port and every from_slave port into its playback; on
# the slave's host each capture port loops into its playback port), for
# SECONDS after the slave's bridge locks. One round per BUILD directory
# (default: $NJ_BUILD, else ../build), alternating them ROUNDS times
# (NJ_BENCH_ROUNDS, default 1); BUILD may carry options for both daemons
# after commas ("build,--udp-offload,off"). Prints per round:
#   wide BUILD CH P master_cpu slave_cpu xruns_h1 xruns_h2 lost(m/s)
#        concealed(m/s) ip_fragments(h1/h2) datagrams_per_s(h1 out)
# CPU in percent of one core: jackd and the daemon of each host together.
# What it answers: what a wide session costs, and whether the kernel
# fragments its datagrams (jack2's sub-period rule) or not (NJ2_EXT_TILED).
set -u
here=$(cd "$(dirname "$0")" && pwd)
ch=${1:?channels} period=${2:-128} secs=${3:-20}
shift $(($# < 3 ? $# : 3))
builds=("$@")
[ ${#builds[@]} -gt 0 ] || builds=("${NJ_BUILD:-$here/../build}")
rounds=${NJ_BENCH_ROUNDS:-1}

one() { # BUILD[,ARG...]: one round in a process of its own (netns.sh's trap ends it)
	local args
	IFS=, read -r -a args <<<"$1"
	NJ_BUILD=${args[0]} NJ_DAEMON_ARGS="${args[*]:1}" bash -c '
source "'"$here"'/../tests/integration/lib/netns.sh"
ch='"$ch"' period='"$period"' secs='"$secs"'
nj_require >/dev/null
hz=$(getconf CLK_TCK)
ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk "{print \$14 + \$15}" "/proc/$p/stat"))); done; echo $t; }
ipc() { nj_on "$1" cat /proc/net/snmp | awk "/^Ip:/ { if (!h) { for (i = 1; i <= NF; i++) f[\$i] = i; h = 1 } else print \$f[\"FragCreates\"], \$f[\"OutRequests\"] }"; }
nj_net 2
nj_jackd h1 48000 "$period" >/dev/null || nj_fail "jackd on host1"
m=("$NJ_LASTPID")
nj_bg h1 master "$NJ_BUILD/daemon/netjack-master" -v $NJ_DAEMON_ARGS
m+=("$NJ_LASTPID")
nj_jackd h2 48000 "$period" >/dev/null || nj_fail "jackd on host2"
s=("$NJ_LASTPID")
nj_bg h2 slave "$NJ_BUILD/daemon/netjack-slave" -v --auto --discovery multicast -C "$ch" -P "$ch" -i 0 -o 0 -r none $NJ_DAEMON_ARGS
s+=("$NJ_LASTPID")
nj_wait_port h1 "^host2:from_slave_${ch}\$" 15 || nj_fail "the slave did not join"
pm=() ps=()
for i in $(seq 1 "$ch"); do
	pm+=("system:capture_1>host2:to_slave_$i" "host2:from_slave_$i>system:playback_1")
	ps+=("netjack:capture_$i>netjack:playback_$i")
done
nj_wire h1 "${pm[@]}" || nj_fail "connecting the ports of host1"
nj_wire h2 "${ps[@]}" || nj_fail "connecting the ports of host2"
lock=no
for _ in $(seq 1 150); do
	grep -q "clock bridge locked after" "$NJ_LOGDIR/slave.log" && { lock=yes; break; }
	sleep 0.1
done
sleep 2
x0=$(nj_xruns)
read -r f1a o1a < <(ipc h1)
read -r f2a o2a < <(ipc h2)
t0m=$(ticks "${m[@]}") t0s=$(ticks "${s[@]}")
sleep "$secs"
t1m=$(ticks "${m[@]}") t1s=$(ticks "${s[@]}")
read -r f1b o1b < <(ipc h1)
read -r f2b o2b < <(ipc h2)
x1=$(cat "$NJ_LOGDIR"/jackd-h1.log | grep -c -E "XRun|client too slow")
x2=$(cat "$NJ_LOGDIR"/jackd-h2.log | grep -c -E "XRun|client too slow")
lc() { nj_on "$1" "$NJ_BUILD/tools/netjack-ctl" "${@:2}" status --json | "$NJ_PY" -c "
import json, sys
s = json.load(sys.stdin)[\"sessions\"][0]
print(s[\"lost\"], s[\"concealed\"])"; }
read -r ml mc < <(lc h1)
read -r sl sc < <(lc h2 --slave)
cpu() { "$NJ_PY" -c "print(round(100.0 * $1 / $hz / $secs, 1))"; }
echo "wide $NJ_BUILD${NJ_DAEMON_ARGS:+,${NJ_DAEMON_ARGS// /,}} $ch $period $(cpu $((t1m - t0m))) $(cpu $((t1s - t0s))) $x1 $x2 $ml/$sl $mc/$sc $((f1b - f1a))/$((f2b - f2a)) $(((o1b - o1a) / secs)) lock=$lock"
'
}
echo "# wide: $ch+$ch channels, period $period, $secs s per round; columns: build ch P master_cpu% slave_cpu% xruns_h1 xruns_h2 lost_m/s concealed_m/s ip_frags_h1/h2 ip_out_per_s_h1 bridge_locked" >&2
for r in $(seq 1 "$rounds"); do
	for b in "${builds[@]}"; do
		one "$b" | grep '^wide ' || echo "wide $b $ch $period failed"
	done
done
