#!/usr/bin/env bash
# 10: a jack2 slave (jackd -d net) joins netjack-master; its ports appear on the
# master within 2 s, and seeded noise makes the round trip bit-exact at the
# delay jack2's netmanager gives: (N+1)*P async, N*P sync, and the ports'
# latency ranges (jack_lsp -l) tell JACK that delay; the ports' pretty names
# and the client's metadata say whom they lead to.
# Usage: 10-master-jack2-slave.sh [async|sync] [LATENCY] [PERIOD]
source "$(dirname "$0")/lib/netns.sh"
mode=${1:-async}
lat=${2:-2}
period=${3:-256}
nj_require
[ -x "$NJ_BUILD/daemon/netjack-master" ] || nj_skip "netjack-master not built"

nj_net 2
nj_master h1 48000 "$period"
t0=$(date +%s.%N)
nj_jack2_slave h2 slave1 "$lat" "$mode"
nj_wait_port h1 '^slave1:to_slave_2$' 2 || nj_fail "slave1's ports did not appear within 2 s"
t1=$(date +%s.%N)
nj_log "ports appeared after $(echo "$t1 - $t0" | bc) s"
for p in to_slave_1 to_slave_2 from_slave_1 from_slave_2; do
	nj_on h1 jack_lsp | grep -qx "slave1:$p" || nj_fail "missing slave1:$p"
done
nj_loop h2
# jack2's round trip is N*P (sync slave) or (N+1)*P (async). Measured by a
# client that feeds to_slave and records from_slave, JACK must break that
# feedback loop, which adds one period: jack2's netmanager measures exactly the
# same here (1024 frames for async, N=2, P=256).
# Every period bit for bit at exactly that delay. A VM's timer jitter makes the
# dummy driver report an xrun now and then (jack2's own netmanager shows the
# same here); a period hit by one is not bit-exact, so a failure with xruns in
# the master server's log is inconclusive (exit 2; meson retries, retry.sh).
# Latency 0: the master waits for the answer to the same cycle, but only half
# a period (jack2 blocks its graph up to 2 s instead); an answer later than
# that is concealed, by design, which on this VM happens to ~2 % of periods.
maxbad=0
[ "$lat" = 0 ] && maxbad=24
if [ "$mode" = sync ]; then want=$(((lat + 1) * period)); else want=$(((lat + 2) * period)); fi
if ! out=$(nj_roundtrip h1 slave1 3 42 "$want" "$maxbad"); then
	echo "$out"
	nj_exact_or_inconclusive "round trip not bit-exact at $want frames"
fi
echo "$out"
# the ports tell JACK that delay, so a DAW's latency compensation knows it
nj_latency_told h1 slave1 "$period" "$want"
# netjack-ctl latency says the same round trip, and the network's own round
# trip measured on the last periods, within what the latency allows
lj=$(nj_on h1 "$NJ_BUILD/tools/netjack-ctl" latency --json slave1)
"$NJ_PY" - "$lj" "$want" "$lat" "$period" <<'PY' || nj_fail "netjack-ctl latency: $lj"
import json, sys
s = json.loads(sys.argv[1])["sessions"]
want, lat, period = (int(a) for a in sys.argv[2:5])
assert len(s) == 1 and s[0]["name"] == "slave1", s
s = s[0]
assert s["round_trip_frames"] == want, ("round trip", s["round_trip_frames"], want)
assert s["send_frames"] + s["return_frames"] + s["graph_frames"] == want, s
n = s["network"]
allowed = (lat if lat else 0.75) * period * 1e6 / 48000
assert n["cycles"] >= 100, n
assert 0 <= n["min_us"] <= n["median_us"] <= n["p99_us"] <= n["max_us"] and n["median_us"] > 0, n
assert abs(n["allowed_us"] - allowed) <= 1 and abs(n["margin_us"] - (allowed - n["max_us"])) <= 1, n
print("netjack-ctl latency: round trip", want, "frames; network min/median/max",
      n["min_us"], n["median_us"], n["max_us"], "us, margin", n["margin_us"], "us")
PY
nj_on h1 "$NJ_BUILD/tools/netjack-ctl" latency | grep -q "round trip through a loop at the slave: $want frames" ||
	nj_fail "netjack-ctl latency (text) does not say $want frames"
# and patchbays whom they lead to (JACK's metadata)
nj_described h1 slave1 to_slave_2 "to slave1 2" netjack2
xruns=$(grep -c 'XRun' "$NJ_LOGDIR/jackd-h1.log" || true)
nj_log "PASS: $mode latency $lat: bit-exact at $want frames (master server xrun lines: $xruns)"
