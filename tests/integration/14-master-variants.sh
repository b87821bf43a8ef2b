#!/usr/bin/env bash
# 14: more jack2 slaves the master must serve.
#   netslave  jack_net_slave (libjacknet) joins; its ports appear.
#   mtu9000   jackd -d net -M 9000 with -C/-P left at -1: the master resolves
#             -1 to its 2+2 physical ports and audio is bit-exact.
#   opus480   jackd -d net -O 64 at period 480 (safe for jack2): an Opus
#             session, ports appear and audio arrives (lossy: correlated).
#   opus256   jackd -d net -O 64 at period 256, where a jack2 peer's libopus
#             would abort: the master answers with float, the slave adopts
#             it, and audio is bit-exact.
#   midi      jackd -d net -i 1 -o 1: MIDI ports on both sides; events sent
#             to midi_to_slave_1 come back (through a client on the slave
#             server) on midi_from_slave_1, every one, in order, byte for byte,
#             at a constant delay: their frame offsets are kept. Events of up
#             to 4 bytes: jack2 1.9.21 garbles longer ones (NETJACK2-WIRE.md 8).
source "$(dirname "$0")/lib/netns.sh"
variant=${1:?usage: 14-master-variants.sh netslave|mtu9000|opus480|opus256|midi}
nj_require
[ -x "$NJ_BUILD/daemon/netjack-master" ] || nj_skip "netjack-master not built"
nj_net 2
period=256
[ "$variant" = opus480 ] && period=480
nj_jackd h1 48000 "$period"
nj_bg h1 master "$NJ_BUILD/daemon/netjack-master" -v
for _ in $(seq 1 50); do grep -q 'listening on' "$NJ_LOGDIR/master.log" && break; sleep 0.1; done

case $variant in
netslave)
	# jack2 1.9.21's jack_net_slave takes -C/-P/-a/-p only and calls
	# itself <hostname>_net_slave
	nj_bg h2 netslave jack_net_slave -C 2 -P 2
	nj_wait_port h1 '^host2_net_slave:from_slave_2$' 3 ||
		nj_fail "jack_net_slave's ports did not appear"
	nj_on h1 jack_lsp | grep -E ':(to|from)_slave_' | sed 's/^/  /'
	sleep 3
	nj_on h1 jack_lsp | grep -q '^host2_net_slave:to_slave_1$' || nj_fail "the session did not last"
	[ "$(grep -c 'joined as' "$NJ_LOGDIR/master.log")" = 1 ] || nj_fail "the session restarted"
	;;
mtu9000)
	nj_bg h2 slave jackd -R -P "$NJ_JACKD_PRIO" -d net -n big -M 9000 -i 0 -o 0 -l 2
	nj_wait_port h1 '^big:from_slave_2$' 2 || nj_fail "the MTU 9000 slave did not join"
	grep -q 'audio 2/2' "$NJ_LOGDIR/master.log" || nj_fail "-1 channels not resolved to 2/2"
	nj_loop h2
	nj_roundtrip h1 big 3 11 1024 0 || nj_exact_or_inconclusive "MTU 9000 round trip not bit-exact"
	;;
opus480)
	nj_bg h2 slave jackd -R -P "$NJ_JACKD_PRIO" -d net -n op -C 2 -P 2 -i 0 -o 0 -l 2 -O 64
	nj_wait_port h1 '^op:from_slave_2$' 2 || nj_fail "the Opus slave did not join"
	grep -q ', opus, ' "$NJ_LOGDIR/master.log" || nj_fail "the session is not Opus"
	nj_loop h2
	# lossy codec: no bit-exact match; the report gives a correlation delay
	out=$(nj_on h1 "$NJ_PY" "$NJ_LIB/njaudio.py" roundtrip --seconds 3 --seed 3 \
		--out op:to_slave_1,op:to_slave_2 --in op:from_slave_1,op:from_slave_2 --sine 1000)
	echo "$out"
	echo "$out" | "$NJ_PY" -c '
import json, sys
r = json.load(sys.stdin)
for c in r["channels"]:
    assert c["corr"] > 0.9, c
' || nj_fail "Opus audio did not come back"
	;;
opus256)
	nj_bg h2 slave jackd -R -P "$NJ_JACKD_PRIO" -d net -n op -C 2 -P 2 -i 0 -o 0 -l 2 -O 64
	nj_wait_port h1 '^op:from_slave_2$' 2 || nj_fail "the slave did not join"
	grep -q ', float, ' "$NJ_LOGDIR/master.log" || nj_fail "Opus at 256 was not answered with float"
	nj_loop h2
	nj_roundtrip h1 op 3 4 1024 0 || nj_exact_or_inconclusive "float fallback not bit-exact"
	;;
midi)
	nj_bg h2 slave jackd -R -P "$NJ_JACKD_PRIO" -d net -n mid -C 1 -P 1 -i 1 -o 1 -l 2
	nj_wait_port h1 '^mid:midi_from_slave_1$' 2 || nj_fail "the MIDI slave did not join"
	nj_on h2 jack_wait -w -t 10 >/dev/null 2>&1 || nj_fail "the slave server is not up"
	nj_on h2 jack_lsp | grep -qx 'system:midi_capture_1' || nj_fail "no MIDI port on the slave server"
	nj_bg h2 loop "$NJ_PY" "$NJ_LIB/njaudio.py" loop --in system:capture_1 --out system:playback_1 \
		--midi-in system:midi_capture_1 --midi-out system:midi_playback_1
	sleep 1
	# the same delay as the audio: (N + 2) * P async, with the loop on the slave
	out=$(nj_on h1 "$NJ_PY" "$NJ_LIB/njaudio.py" midi --seconds 4 --seed 6 --sysex-max 0 --expect-delay 1024 \
		--out mid:midi_to_slave_1 --in mid:midi_from_slave_1)
	rc=$?
	echo "$out"
	[ "$rc" = 0 ] || nj_exact_or_inconclusive "MIDI through the jack2 slave did not come back at constant offsets"
	;;
esac
nj_log "PASS: $variant"
