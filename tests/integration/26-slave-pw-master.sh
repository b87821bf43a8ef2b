#!/usr/bin/env bash
# 26: netjack-slave joins a master that behaves on the wire as PipeWire's
# netjack2 manager does (tests/peers/pw-like-master: session ID 0, one
# SLAVE_SETUP that overrides the slave's MTU (1500 -> 1400) and encoder
# (int16 -> float), fFrames = the period, MIDI records announcing a P x 4
# byte buffer, every port sent whatever the slave's sync list says). The
# slave adopts all of it and a pass-through client on its host loops audio
# and MIDI back: the peer finds its noise bit-exact at a constant delay and
# every note and SysEx back at that delay (--resampler none: both hosts run
# on this machine's clock).
source "$(dirname "$0")/lib/netns.sh"
nj_require
peer=$NJ_BUILD/tests/pw-like-master
[ -x "$peer" ] || nj_skip "tests/pw-like-master not built"
[ -x "$NJ_BUILD/daemon/netjack-slave" ] || nj_skip "netjack-slave not built"

nj_net 2
nj_bg h1 peer "$peer" -m 1400 -s 12
PEER_PID=$NJ_LASTPID
nj_jackd h2 || nj_fail "jackd on host2"
nj_bg h2 slave "$NJ_BUILD/daemon/netjack-slave" -v --auto --discovery multicast \
	-C 2 -P 2 -i 1 -o 1 -e int16 --mtu 1500 -r none
for _ in $(seq 1 80); do grep -q 'joined master' "$NJ_LOGDIR/slave.log" && break; sleep 0.1; done
grep 'joined master' "$NJ_LOGDIR/slave.log" || nj_fail "the slave did not join the PipeWire-like master"
grep -q 'serving' "$NJ_LOGDIR/peer.log" || nj_fail "the peer did not start its session"
nj_bg h2 loop "$NJ_PY" "$NJ_LIB/njaudio.py" loop --in netjack:capture_1,netjack:capture_2 \
	--out netjack:playback_1,netjack:playback_2 \
	--midi-in netjack:midi_capture_1 --midi-out netjack:midi_playback_1
status=$(nj_on h2 "$NJ_BUILD/tools/netjack-ctl" --slave status --json)
echo "$status" | "$NJ_PY" -c '
import json, sys
s = json.load(sys.stdin)["sessions"][0]
print("adopted:", {k: s.get(k) for k in ("id", "mtu", "encoder")})
assert s["id"] == 0, s["id"]
assert s["mtu"] == 1400, s["mtu"]
assert s["encoder"] == "float", s["encoder"]
' || nj_fail "the slave did not adopt ID 0, MTU 1400 and float from the SLAVE_SETUP"
late0=$(nj_slave_late h2)
nj_wait_exit "$PEER_PID" 30 || nj_fail "the peer did not finish"
cat "$NJ_LOGDIR/peer.log"
if [ "$NJ_EXIT_RC" != 0 ]; then
	nj_glitch_or_fail "$late0" h2 "the PipeWire-like master did not get its audio and MIDI back exact"
fi
nj_log "PASS: PipeWire-like master (ID 0, MTU and encoder overridden): $(tail -1 "$NJ_LOGDIR/peer.log")"
