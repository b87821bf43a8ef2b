#!/usr/bin/env bash
# 51: a JACK server that answers nobody (stopped with SIGSTOP here; a server
# blocked on a client that does not read its notifications looks the same)
# must not hold either daemon at its end: SIGTERM ends netjack-master and
# netjack-slave within a few seconds (jack_client_close would wait forever),
# exit 0, saying the client was left to the exit, without a crash; once the
# servers run again they drop the dead clients and serve on.
source "$(dirname "$0")/lib/netns.sh"
nj_require
[ -x "$NJ_BUILD/daemon/netjack-slave" ] || nj_skip "netjack-slave not built"
nj_net 2
nj_jackd h1 || nj_fail "jackd on host1"
m_jackd=$NJ_LASTPID
nj_bg h1 master "$NJ_BUILD/daemon/netjack-master" -v
mpid=$NJ_LASTPID
nj_jackd h2 || nj_fail "jackd on host2"
s_jackd=$NJ_LASTPID
nj_bg h2 slave "$NJ_BUILD/daemon/netjack-slave" -v --auto --discovery multicast -C 2 -P 2 \
	-i 0 -o 0 -r none
spid=$NJ_LASTPID
nj_wait_port h1 '^host2:from_slave_2$' 8 || nj_fail "the slave did not join"
nj_wait_port h2 '^netjack:capture_2$' 4 || nj_fail "the slave's ports did not appear"

# each daemon's own server stopped, then SIGTERM
stop_one() { # NAME PID JACKD_PID
	local t0 t1
	kill -STOP "$3"
	sleep 0.5
	t0=$(date +%s%N)
	kill -TERM "$2"
	if ! nj_wait_exit "$2" 8; then
		nj_stacks "$2"
		kill -CONT "$3"
		nj_fail "$1 did not exit within 8 s of SIGTERM with its JACK server stopped"
	fi
	t1=$(date +%s%N)
	kill -CONT "$3"
	[ "$NJ_EXIT_RC" = 0 ] || nj_fail "$1 exited $NJ_EXIT_RC (a signal above 128) with its server stopped"
	grep -q 'left to the exit' "$NJ_LOGDIR/$1.log" ||
		nj_fail "$1 did not say that a client was left to the exit"
	nj_log "$1 ended $(((t1 - t0) / 1000000)) ms after SIGTERM with its server stopped"
}
stop_one master "$mpid" "$m_jackd"
stop_one slave "$spid" "$s_jackd"

# the servers go on without the dead clients
nj_wait_gone h1 '^host2:' 10 || nj_fail "host1's server kept the master's session client"
nj_wait_gone h2 '^netjack:' 10 || nj_fail "host2's server kept the slave's client"
kill -0 "$m_jackd" && kill -0 "$s_jackd" || nj_fail "a JACK server died"
nj_on h2 jack_lsp >/dev/null || nj_fail "host2's server does not answer after the slave's end"
nj_on h1 jack_lsp >/dev/null || nj_fail "host1's server does not answer after the master's end"
nj_log "PASS"
