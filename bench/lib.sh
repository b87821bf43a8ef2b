#!/usr/bin/env bash
# bench/lib.sh: what the bench scripts share, sourced once
# tests/integration/lib/netns.sh is (its hosts, nj_bg, nj_wire, its trap).
#   nb_ticks PID...            CPU ticks (user + system) of the processes so far
#   nb_pss PID...              their proportional set size, kB
#   nb_pct TICKS SECONDS       ticks as percent of one core over SECONDS
#   nb_log_xruns LOG...        XRun lines in JACK servers' logs
#   nb_wire_master HOST CLIENT CH   on the master's host, the dummy capture
#                              into every CLIENT:to_slave_N and every
#                              CLIENT:from_slave_N into its playback
#   nb_wire_loop HOST PREFIX CH     on a slave's host, PREFIX:capture_N into
#                              PREFIX:playback_N (every channel travels)
#   nb_pair netjack|jack2 CH PERIOD [SLAVE ARGS...]   one master (h1) and one
#                              slave (h2) with CH channels each way, every
#                              port wired; sets NB_M and NB_S (the PIDs of
#                              each host's jackd and daemon), NB_ML and NB_SL
#                              (what each of them is, for reports), NB_SLOG (the
#                              slave's log) and NB_JXLOG (the JACK servers'
#                              logs: the slave host's is the slave itself for
#                              jack2)
#   nb_stalls                  stalls of the machine so far (netns.sh's probe)
#   nb_dead PID=LABEL...       the labels of those processes that have exited,
#                              joined by +, or nothing
NB_HZ=$(getconf CLK_TCK)

nb_ticks() {
	local t=0 p
	for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done
	echo $t
}

# proportional set size: pages shared with the JACK server (its shared memory,
# mapped by every client) are split between the processes that map them,
# so a client is not charged the server's segments in full
nb_pss() {
	local t=0 p
	for p in "$@"; do t=$((t + $(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup"))); done
	echo $t
}

nb_pct() { "$NJ_PY" -c "print(round(100.0 * $1 / $NB_HZ / $2, 2))"; }

nb_log_xruns() { cat "$@" 2>/dev/null | grep -c -E 'XRun|client too slow' || true; }

nb_wire_master() {
	local h=$1 c=$2 ch=$3 i w=()
	for i in $(seq 1 "$ch"); do
		w+=("system:capture_1>$c:to_slave_$i" "$c:from_slave_$i>system:playback_1")
	done
	nj_wire "$h" "${w[@]}"
}

nb_wire_loop() {
	local h=$1 c=$2 ch=$3 i w=()
	for i in $(seq 1 "$ch"); do w+=("$c:capture_$i>$c:playback_$i"); done
	nj_wire "$h" "${w[@]}"
}

nb_pair() {
	local kind=$1 ch=$2 period=$3
	shift 3
	nj_net 2
	nj_jackd h1 48000 "$period" >/dev/null || nj_fail "jackd on host1"
	NB_M=("$NJ_LASTPID")
	NB_ML=(jackd-h1)
	if [ "$kind" = netjack ]; then
		# NB_DAEMON_ARGS: options for both daemons (wide.sh's BUILD,ARG...)
		# shellcheck disable=SC2086
		nj_bg h1 master "$NJ_BUILD/daemon/netjack-master" ${NB_DAEMON_ARGS:-}
		NB_M+=("$NJ_LASTPID") NB_ML+=(netjack-master) NB_SL=(jackd-h2 netjack-slave)
		nj_jackd h2 48000 "$period" >/dev/null || nj_fail "jackd on host2"
		NB_S=("$NJ_LASTPID")
		nj_bg h2 slave "$NJ_BUILD/daemon/netjack-slave" --auto --discovery multicast \
			-C "$ch" -P "$ch" -i 0 -o 0 "$@" ${NB_DAEMON_ARGS:-}
		NB_S+=("$NJ_LASTPID")
		NB_SLOG=$NJ_LOGDIR/slave.log
		NB_JXLOG=("$NJ_LOGDIR/jackd-h1.log" "$NJ_LOGDIR/jackd-h2.log")
		local loop=netjack
	else
		nj_on h1 jack_load netmanager >/dev/null 2>&1 || nj_fail "jack_load netmanager"
		NB_ML=(jackd-h1-netmanager) NB_SL=(jackd-net-h2)
		nj_jack2_slave h2 host2 2 async "$ch"
		NB_S=("$NJ_LASTPID")
		NB_SLOG=$NJ_LOGDIR/slave-host2.log
		NB_JXLOG=("$NJ_LOGDIR/jackd-h1.log" "$NB_SLOG")
		local loop=system
	fi
	nj_wait_port h1 "^host2:from_slave_${ch}\$" 15 || return 1
	nj_on h2 jack_wait -w -t 10 >/dev/null 2>&1 || return 1
	nb_wire_master h1 host2 "$ch" || return 1
	nb_wire_loop h2 "$loop" "$ch" || return 1
}

nb_dead() {
	local a d=
	for a in "$@"; do kill -0 "${a%%=*}" 2>/dev/null || d="$d+${a#*=}"; done
	echo "${d#+}"
}

nb_stalls() {
	local c
	read -r c _ <"$NJ_LOGDIR/stalls" 2>/dev/null || c=0
	echo "${c:-0}"
}
