#!/usr/bin/env bash
# load.sh SIDE KIND [SLAVES] [SECONDS]: one measurement of what serving
# netJACK2 costs on one side, for bench/run.sh.
#   SIDE master: host1 runs a dummy-driver jackd and the master, KIND netjack
#                (netjack-master) or jack2 (jack_load netmanager); SLAVES
#                jack2 slaves (jackd -d net, latency 2) on their own hosts.
#                Measured on host1: jackd + netjack-master.
#   SIDE slave:  host1 runs jackd + jack2's netmanager (the same master for
#                both); host2 runs the slave: KIND jack2 is jackd -d net (the
#                slave is the server), KIND netjack is a dummy-driver jackd
#                with netjack-slave bridging into it. Measured on host2.
# Every audio port is connected, so every channel travels. Prints one line:
#   SIDE KIND cpu_percent pss_kb xruns alive
# xruns: XRun lines of every JACK server of the run during the window;
# alive: no when a slave or the master exited during it.
# NJ_BENCH_SLAVE_ARGS: more netjack-slave options (e.g. "-r fastest").
# NJ_BENCH_CH: audio channels each way per slave (default 2);
# NJ_BENCH_PERIOD: the period (default 256).
here=$(cd "$(dirname "$0")" && pwd)
side=${1:?master or slave} kind=${2:?netjack or jack2} n=${3:-4} secs=${4:-20}
ch=${NJ_BENCH_CH:-2} period=${NJ_BENCH_PERIOD:-256}
NJ_WATCHDOG=$((secs + 60 + 5 * n))
source "$here/../tests/integration/lib/netns.sh"
source "$here/lib.sh"
nj_require >/dev/null

if [ "$side" = master ]; then
	nj_net $((n + 1))
	nj_jackd h1 48000 "$period" >/dev/null || nj_fail "jackd"
	pids=("$NJ_LASTPID")
	if [ "$kind" = netjack ]; then
		# shellcheck disable=SC2086
		nj_bg h1 master "$NJ_BUILD/daemon/netjack-master" ${NB_DAEMON_ARGS:-}
		pids+=("$NJ_LASTPID")
	else
		nj_on h1 jack_load netmanager >/dev/null 2>&1 || nj_fail "jack_load netmanager"
	fi
	others=()
	for i in $(seq 2 $((n + 1))); do
		nj_jack2_slave "h$i" "s$i" 2 async "$ch"
		others+=("$NJ_LASTPID")
	done
	for i in $(seq 2 $((n + 1))); do
		nj_wait_port h1 "^s$i:from_slave_$ch\$" 20 || nj_fail "slave s$i did not join"
		nj_on "h$i" jack_wait -w -t 10 >/dev/null 2>&1
		nb_wire_master h1 "s$i" "$ch" || nj_fail "connecting s$i's ports on host1"
		nb_wire_loop "h$i" system "$ch" || nj_fail "connecting the ports of h$i"
	done
else
	nj_net 2
	nj_jackd h1 48000 "$period" >/dev/null || nj_fail "jackd"
	nj_on h1 jack_load netmanager >/dev/null 2>&1 || nj_fail "jack_load netmanager"
	others=()
	if [ "$kind" = jack2 ]; then
		nj_jack2_slave h2 host2 2 async "$ch"
		pids=("$NJ_LASTPID")
		cl=system
	else
		nj_jackd h2 48000 "$period" >/dev/null || nj_fail "jackd on host2"
		pids=("$NJ_LASTPID")
		# shellcheck disable=SC2086
		nj_bg h2 slave "$NJ_BUILD/daemon/netjack-slave" --auto --discovery multicast -C "$ch" -P "$ch" -i 0 -o 0 \
			${NJ_BENCH_SLAVE_ARGS:-}
		pids+=("$NJ_LASTPID")
		cl=netjack
	fi
	nj_wait_port h1 "^host2:from_slave_$ch\$" 10 || nj_fail "the slave did not join"
	nj_on h2 jack_wait -w -t 10 >/dev/null 2>&1
	nb_wire_master h1 host2 "$ch" || nj_fail "connecting the ports of host1"
	nb_wire_loop h2 "$cl" "$ch" || nj_fail "connecting the ports of host2"
fi
# context switches of every thread of the processes (voluntary and not)
tasks() { local p; for p in "$@"; do printf '%s ' /proc/"$p"/task/*/status; done; }
sleep 3
xlogs=("$NJ_LOGDIR"/jackd-*.log "$NJ_LOGDIR"/slave-*.log)
x0=$(nb_log_xruns "${xlogs[@]}")
t0=$(nb_ticks "${pids[@]}") c0=$(cat $(tasks "${pids[@]}") | awk '/ctxt_switches/ {s += $2} END {print s + 0}')
sleep "$secs"
t1=$(nb_ticks "${pids[@]}") c1=$(cat $(tasks "${pids[@]}") | awk '/ctxt_switches/ {s += $2} END {print s + 0}')
x1=$(nb_log_xruns "${xlogs[@]}")
alive=yes
for p in "${pids[@]}" "${others[@]}"; do kill -0 "$p" 2>/dev/null || alive=no; done
per=""
for p in "${pids[@]}"; do per="$per $(cat "/proc/$p/comm")=$(nb_ticks "$p")"; done
echo "# ticks at the end:$per; context switches per second: $(((c1 - c0) / secs)); $(nj_stall_text)" >&2
echo "$side $kind $(nb_pct $((t1 - t0)) "$secs") $(nb_pss "${pids[@]}") $((x1 - x0)) $alive"
