#!/usr/bin/env bash
# 13: the slave restarts; it gets a fresh session (new ID) with the same port
# names, and audio flows again.
source "$(dirname "$0")/lib/netns.sh"
nj_require
[ -x "$NJ_BUILD/daemon/netjack-master" ] || nj_skip "netjack-master not built"
nj_net 2
nj_master h1
nj_jack2_slave h2 slave1
nj_wait_port h1 '^slave1:from_slave_2$' 5 || nj_fail "slave1 did not join"
kill -TERM "$NJ_LASTPID"
nj_wait_gone h1 '^slave1:' 4 || nj_fail "slave1's ports stayed after it stopped"
nj_jack2_slave h2 slave1
nj_wait_port h1 '^slave1:from_slave_2$' 5 || nj_fail "slave1 did not come back"
grep -q 'ID 2' "$NJ_LOGDIR/master.log" || nj_fail "no fresh session (ID 2) in the master's log"
nj_loop h2
nj_roundtrip h1 slave1 3 5 1024 0 || nj_exact_or_inconclusive "no clean audio after the restart"
nj_log "PASS"
