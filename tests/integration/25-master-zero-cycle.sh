#!/usr/bin/env bash
# 25: netjack-master with a slave that numbers nothing, as PipeWire's netjack2
# driver does (tests/peers/zero-cycle-loop: cycle 0 in every return packet,
# fFrames = the period, every port in its sync list, an ephemeral port,
# KILL_MASTER when it stops; NETJACK2-WIRE.md section 9). It sends back what
# it receives, 2+2 audio and 1+1 MIDI, latency 2, in the same cycle.
# The master files its cycles by arrival: noise comes back bit-exact at the
# delay of a sync slave, (N+1)*P frames measured through JACK, MIDI at its
# offsets with the same delay; status says the peer does not count; the
# peer's KILL_MASTER removes its client at once, not after the 2 s timeout.
# Latency 0: the master waits half a period for the answer to the same cycle
# and conceals a later one (as for jack2's slaves, scenario 10).
# Usage: 25-master-zero-cycle.sh [LATENCY]
source "$(dirname "$0")/lib/netns.sh"
lat=${1:-2}
nj_require
peer=$NJ_BUILD/tests/zero-cycle-loop
[ -x "$peer" ] || nj_skip "tests/zero-cycle-loop not built"
c=PipeWire
expect=$(((lat + 1) * 256))
maxbad=0
[ "$lat" = 0 ] && maxbad=24

nj_net 2
nj_master h1
nj_bg h2 peer "$peer" -C 2 -P 2 -i 1 -o 1 -l "$lat"
PEER_PID=$NJ_LASTPID
nj_wait_port h1 "^$c:midi_from_slave_1\$" 8 || nj_fail "the zero-cycle slave's ports did not appear"
grep -q "joined" "$NJ_LOGDIR/peer.log" || nj_fail "the peer did not say it joined"
sleep 1
grep -q 'sends cycle 0' "$NJ_LOGDIR/master.log" || nj_fail "the master did not notice a peer sending cycle 0"
out=$(nj_on h1 "$NJ_PY" "$NJ_LIB/njaudio.py" roundtrip --seconds 4 --seed 25 \
	--out $c:to_slave_1,$c:to_slave_2 --in $c:from_slave_1,$c:from_slave_2 \
	--expect-exact --max-bad "$maxbad" --expect-delay "$expect")
rc=$?
echo "$out"
[ "$rc" = 0 ] || nj_exact_or_inconclusive "audio from a zero-cycle slave is not bit-exact at $expect frames"
nj_latency_told h1 "$c" 256 "$expect"
# (at latency 0 a concealed period would lose its events: MIDI at 1 and up)
if [ "$lat" != 0 ]; then
	midi=$(nj_on h1 "$NJ_PY" "$NJ_LIB/njaudio.py" midi --seconds 4 --seed 25 \
		--out $c:midi_to_slave_1 --in $c:midi_from_slave_1 --expect-delay "$expect")
	rc=$?
	echo "$midi"
	[ "$rc" = 0 ] || nj_exact_or_inconclusive "MIDI from a zero-cycle slave did not come back at its offsets ($expect frames)"
fi
counts=$(nj_on h1 "$NJ_BUILD/tools/netjack-ctl" status --json | "$NJ_PY" -c \
	'import json,sys; print(json.load(sys.stdin)["sessions"][0]["peer_counts_cycles"])')
[ "$counts" = False ] || nj_fail "status says peer_counts_cycles=$counts"

# the driver's KILL_MASTER ends the session at once
kill -TERM "$PEER_PID"
t0=$(date +%s.%N)
nj_wait_gone h1 "^$c:" 2 || nj_fail "the client stayed after the peer's KILL_MASTER"
t1=$(date +%s.%N)
nj_wait_exit "$PEER_PID" 5 || nj_fail "the peer did not stop"
cat "$NJ_LOGDIR/peer.log"
grep -q 'sent KILL_MASTER' "$NJ_LOGDIR/master.log" || nj_fail "the master did not log the peer's KILL_MASTER"
nj_log "PASS: zero-cycle (PipeWire-like) slave, latency $lat: bit-exact (and MIDI) at $expect frames;" \
	"client gone $(echo "$t1 - $t0" | bc) s after the peer stopped"
