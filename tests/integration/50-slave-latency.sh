#!/usr/bin/env bash
# 50: what netjack-slave's ports, and the master's ports of its session, tell
# JACK is the delay a DAW on either host hears, and both daemons'
# `netjack-ctl latency` say where it goes.
# netjack-master on host1, netjack-slave on host2 (--resampler none, both
# servers on this machine's clock; a fixed jitter margin of 8 ms, so that no
# raise moves the bridge's rings during the measurement: a raise is told to
# JACK too, but a round trip measured across it has two delays).
#  1. host2 loops its capture ports to its playback ports; on host1 seeded
#     noise comes back bit-exact at the delay the master's ports tell
#     (jack_lsp -l: the network's share and the slave's bridge, which the
#     slave reports to a netjack master, NJ2_LATENCY_REPORT) plus a period
#     of each graph; netjack-ctl latency on both hosts says the same.
#  2. host1 loops the slave's ports instead; on host2 noise played to
#     netjack:playback_1 comes back on netjack:capture_1 bit-exact at the
#     delay jack_lsp -l tells: playback + capture latency + a period of each
#     graph; netjack-ctl --slave latency says that round trip.
source "$(dirname "$0")/lib/netns.sh"
nj_require
[ -x "$NJ_BUILD/daemon/netjack-slave" ] || nj_skip "netjack-slave not built"
ctl=$NJ_BUILD/tools/netjack-ctl
P=256

nj_net 2
nj_master h1 48000 $P
nj_jackd h2 48000 $P || nj_fail "jackd on host2"
nj_bg h2 slave "$NJ_BUILD/daemon/netjack-slave" -v --auto --discovery multicast -C 2 -P 2 -i 0 -o 0 \
	-r none --jitter-margin 8ms --jitter-margin-max 8ms
nj_wait_port h1 '^host2:from_slave_2$' 15 || nj_fail "the slave's ports did not appear on the master"
nj_bg h2 loop2 "$NJ_PY" "$NJ_LIB/njaudio.py" loop --in netjack:capture_1,netjack:capture_2 \
	--out netjack:playback_1,netjack:playback_2
LOOP2=$NJ_LASTPID
nj_slave_settle "$NJ_LOGDIR/slave.log"
late0=$(nj_slave_late h2)
rt_delay() { # HOST OUT IN: the bit-exact delay, or fail
	local out
	if ! out=$(nj_on "$1" "$NJ_PY" "$NJ_LIB/njaudio.py" roundtrip --seconds 3 --seed 50 \
		--out "$2" --in "$3" --expect-exact --max-bad 2); then
		echo "$out" | cut -c1-400 >&2
		nj_glitch_or_fail "$late0" h2 "the round trip $2 -> $3 on $1 was not exact" >&2
	fi
	"$NJ_PY" -c 'import json,sys; c=json.load(sys.stdin)["channels"]; print(c[0]["delay"])' <<<"$out"
}
dm=$(rt_delay h1 host2:to_slave_1 host2:from_slave_1) || exit $?
ml=$(nj_on h1 "$ctl" latency --json)
sl=$(nj_on h2 "$ctl" --slave latency --json)
echo "master: $ml"
echo "slave: $sl"
"$NJ_PY" - "$dm" "$ml" "$sl" <<'PY' || nj_fail "the bridge the slave reports does not explain the master's round trip of $dm frames"
import json, sys
dm = int(sys.argv[1])
m = json.loads(sys.argv[2])["sessions"][0]
s = json.loads(sys.argv[3])["sessions"][0]
assert m["network"]["cycles"] > 0, m
assert s["locked"] and s["margin_ms"] == 8.0, s
# the master's ports: the network's share ((L + 1) P with host1's graph
# period) and the bridge the slave reported; host2's loop client adds its period
assert m["round_trip_frames"] == (m["latency_cycles"] + 1) * m["period"] + s["bridge_frames"], (m, s)
assert dm == m["round_trip_frames"] + s["graph_frames"], (dm, m, s)
print("host1's round trip", dm, "= master's ports and graph", m["round_trip_frames"],
      "(of which the slave's bridge", s["bridge_frames"], ") + host2's loop", s["graph_frames"])
PY
mplay=$(nj_port_latency h1 host2:to_slave_1 playback)
mcap=$(nj_port_latency h1 host2:from_slave_1 capture)
nj_log "the master's ports tell playback $mplay + capture $mcap frames"
[ $((mplay + mcap + 2 * P)) = "$dm" ] ||
	nj_fail "host2's ports on the master tell $mplay + $mcap frames; measured $dm less a period of each graph"

kill "$LOOP2"
nj_wait_exit "$LOOP2" 5
nj_bg h1 loop1 "$NJ_PY" "$NJ_LIB/njaudio.py" loop --in host2:from_slave_1,host2:from_slave_2 \
	--out host2:to_slave_1,host2:to_slave_2
sleep 1
ds=$(rt_delay h2 netjack:playback_1 netjack:capture_1) || exit $?
play=$(nj_port_latency h2 netjack:playback_1 playback)
cap=$(nj_port_latency h2 netjack:capture_1 capture)
[ -n "$play" ] && [ -n "$cap" ] || nj_fail "no latency of netjack's ports from jack_lsp -l"
nj_log "host2's round trip $ds frames; its ports tell playback $play + capture $cap"
[ $((play + cap + 2 * P)) = "$ds" ] ||
	nj_fail "netjack's ports tell $play + $cap frames; measured $ds less a period of each graph"
sl=$(nj_on h2 "$ctl" --slave latency --json)
"$NJ_PY" -c 'import json,sys; s=json.loads(sys.argv[1])["sessions"][0]; sys.exit(0 if s["round_trip_frames"] == int(sys.argv[2]) and s["capture_frames"] == int(sys.argv[3]) and s["playback_frames"] == int(sys.argv[4]) else 1)' \
	"$sl" "$ds" "$cap" "$play" || nj_fail "netjack-ctl --slave latency: $sl (measured $ds)"
nj_on h2 "$ctl" --slave latency
nj_on h2 "$ctl" --slave latency | grep -q "round trip through a loop at the master: $ds frames" ||
	nj_fail "netjack-ctl --slave latency (text) does not say $ds frames"
nj_log "PASS: host1 measured $dm frames (its ports tell $mplay + $mcap), host2 $ds (its ports tell $play + $cap)"
