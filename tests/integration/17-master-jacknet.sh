#!/usr/bin/env bash
# 17: netjack-master with a slave made of jack2's own libjacknet
# (tests/peers/jacknet-loop: no JACK server on its host; it sends back what it
# receives, audio and MIDI, in the same cycle), 2+2 audio, 1+1 MIDI, latency 2.
#   float  noise comes back bit-exact, MIDI events at their frame offsets
#          (constant delay, equal to the audio's); then the same peer against
#          jack2's netmanager on the same host: the same delay.
#   int16  noise comes back within two int16 steps (two truncating
#          conversions, ours and libjacknet's), at the same delay. jack2's own
#          master cannot do this: it sends fFrames -1, and a jack2 receiver
#          converts that many samples (none).
# Usage: 17-master-jacknet.sh float|int16
source "$(dirname "$0")/lib/netns.sh"
enc=${1:?encoder: float or int16}
nj_require
peer=$NJ_BUILD/tests/jacknet-loop
[ -x "$peer" ] || nj_skip "tests/jacknet-loop not built (needs libjacknet and jack/net.h)"
c=host2_peer # libjacknet names its slave <hostname>_<name>
rt=(--out $c:to_slave_1,$c:to_slave_2 --in $c:from_slave_1,$c:from_slave_2)
expect=$(((2 + 1) * 256))

nj_net 2
nj_master h1
nj_bg h2 peer "$peer" -n peer -C 2 -P 2 -i 1 -o 1 -l 2 -e "$enc"
PEER_PID=$NJ_LASTPID
nj_wait_port h1 "^$c:midi_from_slave_1\$" 8 || nj_fail "the libjacknet slave's ports did not appear"
grep -q "joined" "$NJ_LOGDIR/peer.log" || nj_fail "the peer did not say it joined"
sleep 1
if [ "$enc" = int16 ]; then
	out=$(nj_on h1 "$NJ_PY" "$NJ_LIB/njaudio.py" roundtrip --seconds 4 --seed 9 "${rt[@]}" \
		--expect-exact --max-bad 0 --tolerance 6.11e-5 --expect-delay "$expect")
	rc=$?
	echo "$out"
	[ "$rc" = 0 ] || nj_exact_or_inconclusive "int16 from and to libjacknet is not within two steps at $expect frames"
	nj_log "PASS: libjacknet int16 slave: round trip $expect frames within two int16 steps" \
		"(max error $("$NJ_PY" -c 'import json,sys; print(max(c["max_err"] for c in json.load(sys.stdin)["channels"]))' <<<"$out"))"
	exit 0
fi

out=$(nj_on h1 "$NJ_PY" "$NJ_LIB/njaudio.py" roundtrip --seconds 4 --seed 9 "${rt[@]}" \
	--expect-exact --max-bad 0 --expect-delay "$expect")
rc=$?
echo "$out"
[ "$rc" = 0 ] || nj_exact_or_inconclusive "float from and to libjacknet is not bit-exact at $expect frames"
nj_latency_told h1 "$c" 256 "$expect"
midi=$(nj_on h1 "$NJ_PY" "$NJ_LIB/njaudio.py" midi --seconds 4 --seed 9 --sysex-max 0 \
	--out $c:midi_to_slave_1 --in $c:midi_from_slave_1 --expect-delay "$expect")
rc=$?
echo "$midi"
[ "$rc" = 0 ] || nj_exact_or_inconclusive "MIDI through libjacknet did not come back at its frame offsets ($expect frames)"
nj_log "netjack-master: audio bit-exact and MIDI at its offsets, both $expect frames"

# the same peer against jack2's netmanager, same host, same settings
kill -TERM "$PEER_PID" "$NJ_MASTER_PID"
nj_wait_exit "$NJ_MASTER_PID" 10 || { nj_stacks "$NJ_MASTER_PID"; nj_fail "netjack-master did not exit within 10 s of SIGTERM"; }
nj_wait_gone h1 "^$c:" 5 || nj_fail "the peer's client stayed after netjack-master stopped"
nj_on h1 jack_load netmanager >/dev/null 2>&1 || nj_fail "jack_load netmanager failed"
nj_bg h2 peer2 "$peer" -n peer -C 2 -P 2 -i 1 -o 1 -l 2 -e float
nj_wait_port h1 "^$c:from_slave_2\$" 8 || nj_fail "the peer did not join jack2's netmanager"
sleep 1
ref=$(nj_on h1 "$NJ_PY" "$NJ_LIB/njaudio.py" roundtrip --seconds 3 --seed 9 "${rt[@]}" \
	--expect-exact --max-bad 0) || { echo "$ref"; nj_exact_or_inconclusive "jack2's netmanager with the same peer is not bit-exact"; }
echo "$ref"
d=$("$NJ_PY" -c 'import json,sys; print(json.load(sys.stdin)["channels"][0]["delay"])' <<<"$ref")
[ "$d" = "$expect" ] || nj_fail "jack2's netmanager gives $d frames, netjack-master $expect"
nj_log "PASS: libjacknet float slave: netjack-master and jack2's netmanager both $expect frames, bit-exact; MIDI at its offsets"
