#!/usr/bin/env bash
# 13: the slave restarts; it gets a fresh session (new ID) with the same port
# names, and audio flows again.
source "$(dirname "$0")/lib/netns.sh"
nj_require
[ -x "$NJ_BUILD/daemon/netjack-master" ] || nj_skip "netjack-master not built"
nj_net 2
nj_jackd h1
nj_bg h1 master "$NJ_BUILD/daemon/netjack-master" -v
nj_bg h2 slave jackd -R -P 70 -d net -n slave1 -C 2 -P 2 -i 0 -o 0 -l 2
spid=$NJ_LASTPID
nj_wait_port h1 '^slave1:from_slave_2$' 5 || nj_fail "slave1 did not join"
kill -TERM "$spid"
nj_wait_gone h1 '^slave1:' 4 || nj_fail "slave1's ports stayed after it stopped"
nj_bg h2 slave-again jackd -R -P 70 -d net -n slave1 -C 2 -P 2 -i 0 -o 0 -l 2
nj_wait_port h1 '^slave1:from_slave_2$' 5 || nj_fail "slave1 did not come back"
grep -q 'ID 2' "$NJ_LOGDIR/master.log" || nj_fail "no fresh session (ID 2) in the master's log"
nj_on h2 jack_wait -w -t 10 >/dev/null || nj_fail "slave server not up"
nj_bg h2 loop "$NJ_PY" "$NJ_LIB/njaudio.py" loop --in system:capture_1,system:capture_2 \
	--out system:playback_1,system:playback_2
sleep 1
nj_on h1 "$NJ_PY" "$NJ_LIB/njaudio.py" roundtrip --seconds 3 --seed 5 \
	--out slave1:to_slave_1,slave1:to_slave_2 --in slave1:from_slave_1,slave1:from_slave_2 \
	--expect-delay 1024 --expect-exact --max-bad 8 || nj_fail "no clean audio after the restart"
nj_log "PASS"
