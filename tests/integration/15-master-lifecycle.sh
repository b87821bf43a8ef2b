#!/usr/bin/env bash
# 15: netjack-master started before any JACK server waits for one (it never
# starts one); when the server goes away the sessions end, and when it comes
# back the master reconnects and the slave rejoins; SIGTERM ends the session
# with a KILL_MASTER to the group (seen by a listener on the slave's host) and
# exits 0.
source "$(dirname "$0")/lib/netns.sh"
nj_require
[ -x "$NJ_BUILD/daemon/netjack-master" ] || nj_skip "netjack-master not built"
nj_net 2
nj_bg h1 master "$NJ_BUILD/daemon/netjack-master" -v
mpid=$NJ_LASTPID
sleep 2
kill -0 "$mpid" || nj_fail "netjack-master exited without a JACK server"
grep -q 'waiting for one' "$NJ_LOGDIR/master.log" || nj_fail "no 'waiting' message"
nj_on h1 jack_lsp >/dev/null 2>&1 && nj_fail "a JACK server was started for us"
nj_jackd h1 || nj_fail "the JACK server did not start"
jpid=$NJ_LASTPID
nj_jack2_slave h2 slave1
nj_wait_port h1 '^slave1:from_slave_2$' 4 || nj_fail "no session after the server came up"

# the JACK server goes away and comes back
kill -TERM "$jpid"
for _ in $(seq 1 40); do grep -q 'went away' "$NJ_LOGDIR/master.log" && break; sleep 0.1; done
grep -q 'went away' "$NJ_LOGDIR/master.log" || nj_fail "the server's exit was not noticed"
kill -0 "$mpid" || nj_fail "netjack-master died with its server"
nj_wait_exit "$jpid" 10 || nj_fail "the first JACK server did not exit on SIGTERM"
nj_jackd h1 || nj_fail "the JACK server did not start again"
nj_wait_port h1 '^slave1:from_slave_2$' 8 || nj_fail "the slave did not rejoin after the server restart"

# SIGTERM: KILL_MASTER to the group, clients removed, exit 0
nj_bg h2 listen "$NJ_PY" "$NJ_LIB/listen.py" 225.3.19.154 19000 10
sleep 0.5
kill -TERM "$mpid"
nj_wait_exit "$mpid" 10 || { nj_stacks "$mpid"; nj_fail "netjack-master did not exit within 10 s of SIGTERM"; }
[ "$NJ_EXIT_RC" = 0 ] || nj_fail "netjack-master exited $NJ_EXIT_RC on SIGTERM"
nj_wait_gone h1 '^slave1:' 2 || nj_fail "slave1's client stayed after SIGTERM"
for _ in $(seq 1 20); do grep -q 'KILL_MASTER' "$NJ_LOGDIR/listen.log" && break; sleep 0.1; done
grep -q 'KILL_MASTER' "$NJ_LOGDIR/listen.log" || nj_fail "no KILL_MASTER on the group"
cat "$NJ_LOGDIR/listen.log"
nj_log "PASS"
