#!/usr/bin/env bash
# 11: two jack2 slaves at once; one is SIGKILLed mid-stream. The other's signal
# carries on bit-exact, and the dead slave's client leaves within the timeout.
# The survivor must see zero bad periods. A master server that reports an
# xrun in the meantime (this VM stalls one now and then) makes the attempt
# inconclusive (exit 2; meson retries it, lib/retry.sh). Seen in CI once: 2
# bad periods right at the kill; locally 0 in every run since.
source "$(dirname "$0")/lib/netns.sh"
nj_require
[ -x "$NJ_BUILD/daemon/netjack-master" ] || nj_skip "netjack-master not built"
nj_net 3
nj_master h1
nj_jack2_slave h2 slave1
kill1=$NJ_LASTPID
nj_jack2_slave h3 slave2
nj_wait_port h1 '^slave1:from_slave_2$' 5 || nj_fail "slave1 did not join"
nj_wait_port h1 '^slave2:from_slave_2$' 5 || nj_fail "slave2 did not join"
nj_loop h3
nj_roundtrip h1 slave2 6 7 1024 0 >"$NJ_LOGDIR/roundtrip.json" &
rt=$!
nj_track $rt
sleep 2
nj_log "SIGKILL slave1 (pid $kill1)"
t0=$(date +%s.%N)
kill -KILL "$kill1"
nj_wait_gone h1 '^slave1:' 4 || nj_fail "slave1's ports are still there 4 s after it died"
t1=$(date +%s.%N)
took=$(echo "$t1 - $t0" | bc)
nj_log "slave1's client left after $took s"
# the 2 s timeout runs from slave1's last packet; closing its JACK client
# and this poll (0.1 s) come on top
"$NJ_PY" -c "import sys; sys.exit(0 if $took <= 2.5 else 1)" || nj_fail "slave1's client took $took s to go (timeout 2 s)"
if ! wait $rt; then
	cat "$NJ_LOGDIR/roundtrip.json"
	nj_exact_or_inconclusive "slave2's audio was disturbed"
fi
cat "$NJ_LOGDIR/roundtrip.json"
nj_wait_port h1 '^slave2:to_slave_1$' 1 || nj_fail "slave2 is gone too"
nj_log "PASS: slave2 bit-exact throughout, slave1's client gone after $took s"
