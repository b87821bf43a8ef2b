#!/usr/bin/env bash
# 49: netjack-master under pw-jack, PipeWire (Debian 12's 0.3.65) as its JACK
# server: a daemon with a dummy driver and a null sink on h1 (nj_pipewire), a
# jack2 slave (jackd -d net, 2+2 audio, 1+1 MIDI) on h2 looping audio and
# MIDI back. The slave's ports are PipeWire ports (pw-link lists them and
# links one to the null sink); the round trip is bit-exact at the delay
# jackd gives, (N+2)*P async, (N+1)*P sync, and the ports tell it; MIDI comes
# back at the same delay (timed in the measuring client's own cycles:
# PipeWire's frame time jumps over the cycles its driver skips at an xrun,
# which the audio, counted in samples, does not see); JACK's metadata is
# there. Then PipeWire is stopped
# and started again: netjack-master sees its server go, waits, comes back,
# the slave rejoins and the round trip is bit-exact again.
# Usage: 49-master-pipewire.sh [async|sync] [LATENCY]
source "$(dirname "$0")/lib/netns.sh"
mode=${1:-async}
lat=${2:-2}
period=256
nj_require
[ -x "$NJ_BUILD/daemon/netjack-master" ] || nj_skip "netjack-master not built"
command -v pw-jack >/dev/null || nj_skip "pipewire-jack is not installed (pw-jack)"

nj_net 2
nj_pipewire h1 48000 "$period"
nj_bg h1 master "$NJ_BUILD/daemon/netjack-master" -v
mpid=$NJ_LASTPID
for _ in $(seq 1 50); do grep -q 'listening on' "$NJ_LOGDIR/master.log" && break; sleep 0.1; done
grep 'connected to JACK' "$NJ_LOGDIR/master.log" || nj_fail "netjack-master did not connect to PipeWire"

sync=()
[ "$mode" = sync ] && sync=(-S)
slave() {
	nj_bg h2 slave-slave1 jackd "${sync[@]}" -R -P "$NJ_JACKD_PRIO" -d net -n slave1 \
		-C 2 -P 2 -i 1 -o 1 -l "$lat"
}
slave
nj_wait_port h1 '^slave1:midi_from_slave_1$' 4 || nj_fail "slave1's ports did not appear within 4 s"

# PipeWire's view: the ports as a PipeWire client (pw-link) lists them
outs=$(nj_on h1 pw-link -o)
ins=$(nj_on h1 pw-link -i)
for p in from_slave_1 from_slave_2 midi_from_slave_1; do
	grep -qx "slave1:$p" <<<"$outs" || nj_fail "pw-link -o does not list slave1:$p: $outs"
done
for p in to_slave_1 to_slave_2 midi_to_slave_1; do
	grep -qx "slave1:$p" <<<"$ins" || nj_fail "pw-link -i does not list slave1:$p: $ins"
done
nj_log "PipeWire lists slave1's ports: $(printf '%s\n%s\n' "$outs" "$ins" | grep -c '^slave1:') of 6"
nj_log "latency before any link (jack_lsp -l): to_slave_1 playback" \
	"$(nj_port_latency h1 slave1:to_slave_1 playback), from_slave_1 capture" \
	"$(nj_port_latency h1 slave1:from_slave_1 capture) frames"

nj_on h2 jack_wait -w -t 10 >/dev/null 2>&1 || nj_fail "the slave server is not up"
loop() {
	nj_bg h2 "loop-h2-$1" "$NJ_PY" "$NJ_LIB/njaudio.py" loop \
		--in system:capture_1,system:capture_2 --out system:playback_1,system:playback_2 \
		--midi-in system:midi_capture_1 --midi-out system:midi_playback_1
	NJ_LOOP_PID=$NJ_LASTPID
	sleep 1
}
loop 1

# A bad period is this machine's doing when, since the measurement began, a
# server logged an xrun (PipeWire at log level 3: nj_xruns; the slave's
# jackd), the master's session counted a packet lost or late, or the stall
# probe saw the machine stall; otherwise it fails. PipeWire tells its JACK
# clients of no xrun (netjack-ctl's XRUN stays 0), hence its log.
spoilers() {
	local sx
	sx=$(cat "$NJ_LOGDIR"/slave-*.log 2>/dev/null | grep -c 'XRun' || true)
	nj_on h1 "$NJ_BUILD/tools/netjack-ctl" status --json 2>/dev/null | "$NJ_PY" -c '
import json, sys
try:
    s = json.load(sys.stdin)["sessions"][0]
    c = "lost %d, late %d, concealed %d" % (s["lost"], s["late"], s["concealed"])
except Exception:
    c = "no session"
print("xruns: PipeWire %s, slave %s; the master session: %s" % (sys.argv[1], sys.argv[2], c))' \
		"$(nj_xruns)" "$sx"
}
spoiled_or_fail() {
	local now st
	now=$(spoilers)
	[ "$now" != "$2" ] && nj_inconclusive "$1 (before: $2; after: $now)"
	st=$(nj_stalls)
	[ -n "$st" ] && nj_inconclusive "$1 ($st)"
	nj_fail "$1 (nothing spoiled it: $now; $(nj_stall_text))"
}

if [ "$mode" = sync ]; then want=$(((lat + 1) * period)); else want=$(((lat + 2) * period)); fi
roundtrip() {
	local c0 out
	c0=$(spoilers)
	if ! out=$(nj_roundtrip h1 slave1 3 "$1" "$want" 0); then
		echo "$out"
		spoiled_or_fail "$2: round trip not bit-exact at $want frames" "$c0"
	fi
	echo "$out"
}
roundtrip 42 "PipeWire"
nj_latency_told h1 slave1 "$period" "$want"
nj_described h1 slave1 to_slave_2 "to slave1 2" netjack2

c0=$(spoilers)
if ! out=$(nj_on h1 "$NJ_PY" "$NJ_LIB/njaudio.py" midi --seconds 3 --seed 6 --sysex-max 0 \
	--count-cycles --expect-delay "$want" --out slave1:midi_to_slave_1 --in slave1:midi_from_slave_1); then
	echo "$out"
	spoiled_or_fail "MIDI did not come back at $want frames" "$c0"
fi
echo "$out"

# a PipeWire client links a slave's port to a PipeWire sink: noise played to
# the slave reaches the sink's monitor
nj_on h1 pw-link slave1:from_slave_1 null-sink:playback_FL || nj_fail "pw-link could not link slave1:from_slave_1 to the null sink"
nj_on h1 pw-link -l | grep -A1 -x 'slave1:from_slave_1' | grep -q 'null-sink:playback_FL' ||
	nj_fail "pw-link -l does not show slave1:from_slave_1 -> null-sink:playback_FL"
nj_bg h1 play "$NJ_PY" "$NJ_LIB/njaudio.py" play --out slave1:to_slave_1 --seed 3
play=$NJ_LASTPID
sleep 0.5
lvl=$(nj_on h1 "$NJ_PY" "$NJ_LIB/njaudio.py" level --seconds 1 --in null-sink:monitor_FL) ||
	nj_fail "could not record the null sink's monitor"
kill "$play"
nj_wait_exit "$play" 5
nj_on h1 pw-link -d slave1:from_slave_1 null-sink:playback_FL
peak=$("$NJ_PY" -c 'import json,sys; print(json.loads(sys.argv[1])["peak"][0])' "$lvl")
nj_log "the null sink's monitor peaks at $peak with the slave's return linked to it"
"$NJ_PY" -c "import sys; sys.exit(0 if $peak > 0.1 else 1)" ||
	nj_fail "the slave's audio did not reach the PipeWire sink (peak $peak)"

# PipeWire stops: the master notices (its clients' shutdown callback) and
# waits; PipeWire starts again: the master reconnects and the slave rejoins
kill -TERM "$NJ_PIPEWIRE_PID"
nj_wait_exit "$NJ_PIPEWIRE_PID" 10 || nj_fail "PipeWire did not exit on SIGTERM"
for _ in $(seq 1 50); do grep -q 'went away' "$NJ_LOGDIR/master.log" && break; sleep 0.1; done
grep 'went away' "$NJ_LOGDIR/master.log" || nj_fail "netjack-master did not notice PipeWire going"
kill -0 "$mpid" || nj_fail "netjack-master died with PipeWire"
sleep 1
mv "$NJ_LOGDIR/pipewire-h1.log" "$NJ_LOGDIR/pipewire-h1-first.log"
nj_pipewire h1 48000 "$period"
t0=$SECONDS
nj_wait_port h1 '^slave1:from_slave_2$' 15 || nj_fail "the slave did not rejoin after PipeWire's restart"
nj_log "slave1 back $((SECONDS - t0)) s after PipeWire's restart"
nj_on h1 "$NJ_BUILD/tools/netjack-ctl" status | head -1 | grep -q 'JACK connected' ||
	nj_fail "netjack-master's status does not say JACK connected after the restart"
# the jack2 slave restarted its driver when the master went silent: its
# system ports are new, the pass-through client's connections gone (as in
# scenario 13); a new one loops them
kill "$NJ_LOOP_PID"
nj_wait_exit "$NJ_LOOP_PID" 5
loop 2
roundtrip 43 "after PipeWire's restart"
nj_log "PASS: $mode latency $lat under PipeWire: audio bit-exact at $want frames (twice, around a restart of PipeWire), MIDI at $want"
