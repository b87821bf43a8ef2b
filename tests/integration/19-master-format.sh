#!/usr/bin/env bash
# 19: the master's JACK server changes its period (jack_bufsize 256 -> 512)
# while a jackd -d net slave (host2) and netjack-slave (host3) run. As jack2's
# netmanager does, the master ends the sessions (the log says why); both
# slaves come back by themselves with the new period: the jack2 slave's round
# trip is bit-exact at (N+2)*512, and netjack-slave bridges the master's 512
# into its own server's 256 (audio correlates through both converters).
source "$(dirname "$0")/lib/netns.sh"
nj_require
[ -x "$NJ_BUILD/daemon/netjack-master" ] || nj_skip "netjack-master not built"
command -v jack_bufsize >/dev/null || nj_skip "needs jack_bufsize"

nj_net 3
nj_master h1
nj_jack2_slave h2 slave1 2
nj_jackd h3 || nj_fail "jackd on host3"
nj_bg h3 nslave "$NJ_BUILD/daemon/netjack-slave" -v --auto --discovery multicast -C 2 -P 2 -i 0 -o 0
nj_wait_port h1 '^slave1:to_slave_2$' 3 || nj_fail "slave1 did not join"
nj_wait_port h1 '^host3:to_slave_2$' 5 || nj_fail "netjack-slave did not join"
nj_on h1 jack_bufsize 512 >/dev/null || nj_fail "jack_bufsize 512 failed"
for _ in $(seq 1 50); do grep -q 'JACK format changed to 48000 Hz, period 512' "$NJ_LOGDIR/master.log" && break; sleep 0.1; done
grep 'JACK format changed' "$NJ_LOGDIR/master.log" || nj_fail "the master did not notice the new period"
for _ in $(seq 1 150); do
	[ "$(grep -c 'slave "slave1" .*joined' "$NJ_LOGDIR/master.log")" -ge 2 ] &&
		[ "$(grep -c 'slave "host3" .*joined' "$NJ_LOGDIR/master.log")" -ge 2 ] && break
	sleep 0.1
done
grep 'joined' "$NJ_LOGDIR/master.log"
[ "$(grep -c 'slave "slave1" .*joined' "$NJ_LOGDIR/master.log")" -ge 2 ] || nj_fail "the jack2 slave did not come back"
[ "$(grep -c 'slave "host3" .*joined' "$NJ_LOGDIR/master.log")" -ge 2 ] || nj_fail "netjack-slave did not come back"
grep -q 'period 512' "$NJ_LOGDIR/nslave.log" || nj_fail "netjack-slave did not adopt period 512"
nj_wait_port h1 '^slave1:from_slave_2$' 3 || nj_fail "slave1's ports are not back"
nj_wait_port h1 '^host3:from_slave_2$' 3 || nj_fail "netjack-slave's ports are not back"
nj_loop h2
out=$(nj_roundtrip h1 slave1 3 12 $((4 * 512)) 0) || { echo "$out"; nj_exact_or_inconclusive "the jack2 slave is not bit-exact at period 512"; }
echo "$out"
nj_bg h3 loop3 "$NJ_PY" "$NJ_LIB/njaudio.py" loop --in netjack:capture_1,netjack:capture_2 \
	--out netjack:playback_1,netjack:playback_2
nj_slave_settle "$NJ_LOGDIR/nslave.log" h3
out=$(nj_on h1 "$NJ_PY" "$NJ_LIB/njaudio.py" roundtrip --seconds 3 --seed 5 --sine 997 \
	--out host3:to_slave_1,host3:to_slave_2 --in host3:from_slave_1,host3:from_slave_2)
echo "$out"
corr=$("$NJ_PY" -c 'import json,sys; print(min(c["corr"] for c in json.load(sys.stdin)["channels"]))' <<<"$out")
"$NJ_PY" -c "import sys; sys.exit(0 if $corr >= 0.9 else 1)" || nj_fail "netjack-slave's audio at 512/256 correlates only $corr"
nj_log "PASS: period 256 -> 512: both slaves back, jack2 slave bit-exact at 2048 frames, netjack-slave correlation $corr"
