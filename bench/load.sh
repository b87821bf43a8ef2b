#!/usr/bin/env bash
# load.sh SIDE KIND [SLAVES] [SECONDS]: one measurement of what serving
# netJACK2 costs on one side, for bench/run.sh.
#   SIDE master: host1 runs a dummy-driver jackd and the master, KIND netjack
#                (netjack-master) or jack2 (jack_load netmanager); SLAVES
#                jack2 slaves (jackd -d net, 2+2 audio, latency 2) on their
#                own hosts. Measured on host1: jackd + netjack-master.
#   SIDE slave:  host1 runs jackd + jack2's netmanager (the same master for
#                both); host2 runs the slave: KIND jack2 is jackd -d net (the
#                slave is the server), KIND netjack is a dummy-driver jackd
#                with netjack-slave bridging into it. Measured on host2.
# Every audio port is connected, so every channel travels. Prints one line:
#   SIDE KIND cpu_percent pss_kb
# NJ_BENCH_SLAVE_ARGS: more netjack-slave options (e.g. "-r fastest").
source "$(dirname "$0")/../tests/integration/lib/netns.sh"
side=${1:?master or slave} kind=${2:?netjack or jack2} n=${3:-4} secs=${4:-20}
nj_require >/dev/null
hz=$(getconf CLK_TCK)
ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo $t; }
# proportional set size: pages shared with the JACK server (its shared memory,
# mapped by every client) are split between the processes that map them,
# so a client is not charged the server's segments in full
pss() { local t=0 p; for p in "$@"; do t=$((t + $(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup"))); done; echo $t; }
pair() { nj_on "$1" jack_connect "$2" "$3" >/dev/null 2>&1 || nj_fail "jack_connect $2 $3 on $1"; }

if [ "$side" = master ]; then
	nj_net $((n + 1))
	nj_jackd h1 >/dev/null || nj_fail "jackd"
	pids=("$NJ_LASTPID")
	if [ "$kind" = netjack ]; then
		nj_bg h1 master "$NJ_BUILD/daemon/netjack-master"
		pids+=("$NJ_LASTPID")
	else
		nj_on h1 jack_load netmanager >/dev/null 2>&1 || nj_fail "jack_load netmanager"
	fi
	for i in $(seq 2 $((n + 1))); do
		nj_jack2_slave "h$i" "s$i" 2
		nj_wait_port h1 "^s$i:from_slave_2\$" 10 || nj_fail "slave s$i did not join"
		nj_on "h$i" jack_wait -w -t 10 >/dev/null 2>&1
		for c in 1 2; do
			pair h1 "system:capture_$c" "s$i:to_slave_$c"
			pair h1 "s$i:from_slave_$c" "system:playback_$c"
			pair "h$i" "system:capture_$c" "system:playback_$c"
		done
	done
else
	nj_net 2
	nj_jackd h1 >/dev/null || nj_fail "jackd"
	nj_on h1 jack_load netmanager >/dev/null 2>&1 || nj_fail "jack_load netmanager"
	if [ "$kind" = jack2 ]; then
		nj_jack2_slave h2 host2 2
		pids=("$NJ_LASTPID")
		cl=system
	else
		nj_jackd h2 >/dev/null || nj_fail "jackd on host2"
		pids=("$NJ_LASTPID")
		# shellcheck disable=SC2086
		nj_bg h2 slave "$NJ_BUILD/daemon/netjack-slave" --auto --discovery multicast -C 2 -P 2 -i 0 -o 0 \
			${NJ_BENCH_SLAVE_ARGS:-}
		pids+=("$NJ_LASTPID")
		cl=netjack
	fi
	nj_wait_port h1 '^host2:from_slave_2$' 10 || nj_fail "the slave did not join"
	nj_on h2 jack_wait -w -t 10 >/dev/null 2>&1
	for c in 1 2; do
		pair h1 "system:capture_$c" "host2:to_slave_$c"
		pair h1 "host2:from_slave_$c" "system:playback_$c"
		pair h2 "$cl:capture_$c" "$cl:playback_$c"
	done
fi
# context switches of every thread of the processes (voluntary and not)
tasks() { local p; for p in "$@"; do printf '%s ' /proc/"$p"/task/*/status; done; }
sleep 3
t0=$(ticks "${pids[@]}") c0=$(cat $(tasks "${pids[@]}") | awk '/ctxt_switches/ {s += $2} END {print s + 0}')
sleep "$secs"
t1=$(ticks "${pids[@]}") c1=$(cat $(tasks "${pids[@]}") | awk '/ctxt_switches/ {s += $2} END {print s + 0}')
per=""
for p in "${pids[@]}"; do per="$per $(cat "/proc/$p/comm")=$(ticks "$p")"; done
echo "# ticks at the end:$per; context switches per second: $(((c1 - c0) / secs))" >&2
echo "$side $kind $("$NJ_PY" -c "print(round(100.0 * ($t1 - $t0) / $hz / $secs, 2))") $(pss "${pids[@]}")"
