#!/usr/bin/env bash
# 12: malformed and random datagrams to the discovery port and to a running
# session's data port, from a third host. The master stays up, the session's
# audio stays bit-exact, and the master counts what it dropped.
source "$(dirname "$0")/lib/netns.sh"
nj_require
[ -x "$NJ_BUILD/daemon/netjack-master" ] || nj_skip "netjack-master not built"
nj_net 3
nj_jackd h1
nj_bg h1 master "$NJ_BUILD/daemon/netjack-master" -v
mpid=$NJ_LASTPID
nj_bg h2 slave jackd -R -P 70 -d net -n slave1 -C 2 -P 2 -i 0 -o 0 -l 2
nj_wait_port h1 '^slave1:from_slave_2$' 5 || nj_fail "slave1 did not join"
nj_on h2 jack_wait -w -t 10 >/dev/null || nj_fail "slave server not up"
nj_bg h2 loop "$NJ_PY" "$NJ_LIB/njaudio.py" loop --in system:capture_1,system:capture_2 \
	--out system:playback_1,system:playback_2
# the session's data port: the master's UDP socket connected to the slave
dport=$(nj_on h1 ss -Hunp state established | grep netjack-master | awk '{print $3}' | sed 's/.*://' | head -1)
[ -n "$dport" ] || nj_fail "cannot find the session's data port"
nj_log "session data port $dport"
sleep 1
nj_on h1 "$NJ_PY" "$NJ_LIB/njaudio.py" roundtrip --seconds 5 --seed 9 \
	--out slave1:to_slave_1,slave1:to_slave_2 --in slave1:from_slave_1,slave1:from_slave_2 \
	--expect-delay 1024 --expect-exact --max-bad 8 >"$NJ_LOGDIR/roundtrip.json" &
rt=$!
nj_track $rt
sleep 1
nj_on h3 "$NJ_PY" "$NJ_LIB/garbage.py" 198.18.0.2 19000 3000 1
nj_on h3 "$NJ_PY" "$NJ_LIB/garbage.py" 198.18.0.2 "$dport" 3000 2
wait $rt || { cat "$NJ_LOGDIR/roundtrip.json"; nj_fail "the session's audio was disturbed"; }
cat "$NJ_LOGDIR/roundtrip.json"
kill -0 "$mpid" || nj_fail "netjack-master died"
nj_on h1 jack_lsp | grep -qx 'slave1:to_slave_1' || nj_fail "the session is gone"
# no client was created for garbage
n=$(nj_on h1 jack_lsp | grep -c ':to_slave_' || true)
[ "$n" = 2 ] || nj_fail "expected 2 to_slave ports, found $n"
nj_log "PASS"
