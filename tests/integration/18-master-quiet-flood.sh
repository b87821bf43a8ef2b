#!/usr/bin/env bash
# 18: announcements that never finish. A would-be slave on host3 announces
# itself and goes quiet (jack2's netmanager then blocks its discovery for up
# to 50 s): a jackd -d net slave on host2 still joins within 2 s. Then a
# flood of valid announcements from 400 distinct sockets on host3 (more than
# --max-slaves 32) while the first slave runs and a second one joins: the
# running session stays bit-exact, the second slave gets in, no JACK client
# is made for any of the flood, the master's memory stays flat, and its log
# stays short (messages any host can trigger are rate-limited, 10 per 10 s,
# with one line saying how many were suppressed).
source "$(dirname "$0")/lib/netns.sh"
nj_require
[ -x "$NJ_BUILD/daemon/netjack-master" ] || nj_skip "netjack-master not built"
ann=$NJ_LIB/announce.py

nj_net 4
nj_master h1
nj_on h3 "$NJ_PY" "$ann" 198.18.0.2 19000 1 1 quiet
t0=$(date +%s.%N)
nj_jack2_slave h2 slave1 2
nj_wait_port h1 '^slave1:to_slave_2$' 2 || nj_fail "a quiet announcement held up the real slave"
nj_log "slave1 joined $("$NJ_PY" -c "print(round($(date +%s.%N) - $t0, 2))") s after a quiet one announced"
grep -q 'slave "quiet0" .*answering' "$NJ_LOGDIR/master.log" || nj_fail "the quiet announcement was not answered"
nj_loop h2
rss0=$(awk '/^VmRSS/ {print $2}' "/proc/$NJ_MASTER_PID/status")
nj_bg h1 rt "$NJ_PY" "$NJ_LIB/njaudio.py" roundtrip --seconds 6 --seed 8 \
	--out slave1:to_slave_1,slave1:to_slave_2 --in slave1:from_slave_1,slave1:from_slave_2 \
	--expect-delay 1024 --expect-exact --max-bad 0
rtpid=$NJ_LASTPID
sleep 1
nj_bg h3 flood "$NJ_PY" "$ann" 198.18.0.2 19000 400 20000 flood
floodpid=$NJ_LASTPID
nj_jack2_slave h4 slave2 2
nj_wait_port h1 '^slave2:to_slave_2$' 5 || nj_fail "the second slave did not get in during the flood"
wait "$floodpid"
cat "$NJ_LOGDIR/flood.log"
wait "$rtpid"; rc=$?
cat "$NJ_LOGDIR/rt.log"
[ "$rc" = 0 ] || nj_exact_or_inconclusive "the flood disturbed the running session"
sleep 11 # every handshake of the flood has given up (5 x 1 s), the log window (10 s) is over
rss1=$(awk '/^VmRSS/ {print $2}' "/proc/$NJ_MASTER_PID/status")
clients=$(nj_on h1 jack_lsp | cut -d: -f1 | sort -u | tr '\n' ' ')
nj_log "after the flood: JACK clients: $clients; master RSS $rss0 -> $rss1 kB; log lines $(wc -l <"$NJ_LOGDIR/master.log")"
[ "$clients" = "slave1 slave2 system " ] || nj_fail "clients on the master: $clients"
[ $((rss1 - rss0)) -le 1024 ] || nj_fail "the master's memory grew by $((rss1 - rss0)) kB"
kill -0 "$NJ_MASTER_PID" || nj_fail "the master died"
lines=$(wc -l <"$NJ_LOGDIR/master.log")
[ "$lines" -le 60 ] || nj_fail "the flood made the master log $lines lines"
grep -q "handshake messages suppressed" "$NJ_LOGDIR/master.log" || nj_fail "no line says how many handshake messages were suppressed"
grep "suppressed" "$NJ_LOGDIR/master.log"
nj_log "PASS: a quiet announcement and a flood of 20000 from 400 sockets: both real slaves in, the session bit-exact, no stray client, memory flat"
