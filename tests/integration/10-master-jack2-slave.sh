#!/usr/bin/env bash
# 10: a jack2 slave (jackd -d net) joins netjack-master; its ports appear on the
# master within 2 s, and seeded noise makes the round trip bit-exact at the
# delay jack2's netmanager gives: (N+1)*P async, N*P sync.
# Usage: 10-master-jack2-slave.sh [async|sync] [LATENCY]
source "$(dirname "$0")/lib/netns.sh"
mode=${1:-async}
lat=${2:-2}
period=256
nj_require
[ -x "$NJ_BUILD/daemon/netjack-master" ] || nj_skip "netjack-master not built"

nj_net 2
nj_jackd h1 48000 $period
nj_bg h1 master "$NJ_BUILD/daemon/netjack-master" -v
sync_flag=()
[ "$mode" = sync ] && sync_flag=(-S)
t0=$(date +%s.%N)
nj_bg h2 slave jackd "${sync_flag[@]}" -R -P 70 -d net -n slave1 -C 2 -P 2 -i 0 -o 0 -l "$lat"
nj_wait_port h1 '^slave1:to_slave_2$' 5 || nj_fail "slave1 ports did not appear on the master"
t1=$(date +%s.%N)
nj_log "ports appeared after $(echo "$t1 - $t0" | bc) s"
for p in to_slave_1 to_slave_2 from_slave_1 from_slave_2; do
	nj_on h1 jack_lsp | grep -qx "slave1:$p" || nj_fail "missing slave1:$p"
done
nj_on h2 jack_wait -w -t 10 >/dev/null || nj_fail "slave server did not come up"
nj_bg h2 loop "$NJ_PY" "$NJ_LIB/njaudio.py" loop --in system:capture_1,system:capture_2 \
	--out system:playback_1,system:playback_2
sleep 1
# jack2's round trip is N*P (sync slave) or (N+1)*P (async). Measured by a
# client that feeds to_slave and records from_slave, JACK must break that
# feedback loop, which adds one period: jack2's netmanager measures exactly the
# same (1024 frames for async, N=2, P=256; see 01-jack2-reference.sh).
# Latency 0: the master waits for the answer to the same cycle, but only half a
# period (jack2 blocks its whole graph up to 2 s instead); an answer later than
# that is concealed, which on this VM happens to ~2 % of periods.
maxbad=8
[ "$lat" = 0 ] && maxbad=20
if [ "$mode" = sync ]; then want=$(((lat + 1) * period)); else want=$(((lat + 2) * period)); fi
out=$(nj_on h1 "$NJ_PY" "$NJ_LIB/njaudio.py" roundtrip --seconds 3 --seed 42 \
	--out slave1:to_slave_1,slave1:to_slave_2 --in slave1:from_slave_1,slave1:from_slave_2 \
	--expect-delay "$want" --expect-exact --max-bad "$maxbad") || { echo "$out"; nj_fail "round trip not bit-exact at $want frames"; }
echo "$out"
# A VM's timer jitter makes the dummy driver report an xrun now and then (jack2's
# own netmanager shows the same here); a period hit by one is not bit-exact.
# --max-bad 8 of ~560 periods tolerates that; the delay must be exact and
# every other period bit for bit.
xruns=$(grep -c 'XRun' "$NJ_LOGDIR/jackd-h1.log" || true)
nj_log "PASS: $mode latency $lat: bit-exact at $want frames (master server xrun lines: $xruns)"
