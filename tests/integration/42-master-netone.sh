#!/usr/bin/env bash
# 42: jack2's netJACK1 slave (jackd -d netone) on netjack-master --netone, as
# jack_netsource drives it (doc/protocol/NETONE.md). The slave's host loops
# system:capture_k -> system:playback_k; on the master seeded noise goes
# into netjack:playback_k and comes back on netjack:capture_k bit-exact at
# (L + 1) x P frames: what jack_netsource gives in this same harness (njaudio
# roundtrip against jackd -d netone, P 256: 1536 at -n 5, 768 at -n 2, 512
# at -n 1, measured 2026-12-02; the recording client in the loop adds the
# period NETONE.md's table, made another way, does not have); the ports
# appear as jack_netsource names them (capture_N/playback_N, MIDI numbered on
# after audio).
# Usage: 42-master-netone.sh CASE
#   float   defaults (2+1 each way, L 5, MTU 1400: 3 fragments a period)
#   l2      latency=2
#   l1      latency=1
#   ch16    16 audio channels each way (13 fragments a period)
#   opus    encoder=opus at P 480, 128 kbit/s: a sine back at SNR >= 20 dB
#   midi    MIDI both ways at L 5: every event back once, in order, at 1536
#   restart the slave's jackd killed and started again: the master's client
#           and its ports stay (silence meanwhile), the new slave is served
#           at once, bit-exact again
#   garbage 20,000 malformed datagrams at the master's netone socket during
#           the round trip: counted, the audio bit-exact
source "$(dirname "$0")/lib/netns.sh"
case=${1:-float}
nj_require
[ -x "$NJ_BUILD/daemon/netjack-master" ] || nj_skip "netjack-master not built"
ctl=$NJ_BUILD/tools/netjack-ctl

period=256 lat=5 ch=2 extra= sargs=()
case $case in
l2) lat=2 ;;
l1) lat=1 ;;
ch16) ch=16 ;;
opus) period=480 extra=,encoder=opus,kbps=128 sargs=(-P 128) ;; # not on the wire: both told
esac
ports() { # PREFIX FIRST LAST
	local i out=
	for i in $(seq "$2" "$3"); do out+="${out:+,}$1_$i"; done
	echo "$out"
}
# A reply must be back within L periods of its frame (netsource never waits
# for it): at L 1 that is one period (5.3 ms), so a stall of the machine
# longer than half of that can cost a period; a shorter one cannot.
slack_us=$((lat * period * 1000000 / 48000))
[ $((slack_us / 2)) -lt "$NJ_STALL_US" ] && NJ_STALL_US=$((slack_us / 2))
nj_net 2
nj_jackd h1 48000 "$period"
nj_bg h1 master "$NJ_BUILD/daemon/netjack-master" -v \
	--netone "198.18.0.3,latency=$lat,send=$ch,receive=$ch$extra"
MASTER=$NJ_LASTPID
slave() {
	# jackd -d netone takes channels, period and latency from our packets.
	# It reads memory it never wrote: with meson's MALLOC_PERTURB_ set it
	# segfaults at start (jack2 1.9.21), so it runs without it.
	nj_bg h2 "netone-$1" env -u MALLOC_PERTURB_ jackd -R -P "$NJ_JACKD_PRIO" -d netone -r 48000 -p "$period" "${sargs[@]}"
	SLAVE=$NJ_LASTPID
	for _ in $(seq 1 300); do nj_on h2 jack_lsp 2>/dev/null | grep -q "^system:playback_$ch\$" && break; sleep 0.1; done
	nj_on h2 jack_lsp 2>/dev/null | grep -q "^system:playback_$ch\$" ||
		nj_exact_or_inconclusive "the netone slave did not take our session" # (ci24: 75 stalls of the machine up to 40 ms)
	for i in $(seq 1 "$ch"); do
		nj_on h2 jack_connect "system:capture_$i" "system:playback_$i" || nj_fail "loop on h2"
	done
	# MIDI: capture_{ch+1} -> playback_{ch+1}
	nj_on h2 jack_connect "system:capture_$((ch + 1))" "system:playback_$((ch + 1))" || nj_fail "MIDI loop on h2"
}
nj_wait_port h1 "^netjack:capture_$((ch + 1))\$" 10 || nj_fail "the master's netone client has no ports"
for p in $(ports netjack:playback 1 $((ch + 1)) | tr , ' ') $(ports netjack:capture 1 $((ch + 1)) | tr , ' '); do
	nj_on h1 jack_lsp | grep -qx "$p" || nj_fail "missing port $p"
done
nj_on h1 jack_lsp -t "netjack:capture_$((ch + 1))" | grep -q midi || nj_fail "netjack:capture_$((ch + 1)) is not MIDI"
slave 1
sleep 2
want=$(((lat + 1) * period))
rt() { # SEED: the noise round trip, bit-exact at L x P
	nj_on h1 "$NJ_PY" "$NJ_LIB/njaudio.py" roundtrip --seconds 4 --seed "$1" \
		--out "$(ports netjack:playback 1 "$ch")" --in "$(ports netjack:capture 1 "$ch")" \
		--expect-delay "$want" --expect-exact --max-bad 0
}
check_rt() { # SEED WHAT
	local out
	if ! out=$(rt "$1"); then
		echo "$out"
		nj_exact_or_inconclusive "$2: the round trip is not bit-exact at $want frames"
	fi
	echo "$out" | cut -c1-300
}
case $case in
opus)
	out=$(nj_on h1 "$NJ_PY" "$NJ_LIB/njaudio.py" roundtrip --seconds 4 --sine 997 \
		--out "$(ports netjack:playback 1 "$ch")" --in "$(ports netjack:capture 1 "$ch")")
	echo "$out"
	"$NJ_PY" -c 'import json,sys; r=json.loads(sys.argv[1]); s=[c["snr_db"] for c in r["channels"]]; print("Opus SNR", s, "corr", [c["corr"] for c in r["channels"]]); sys.exit(0 if 20 <= min(s) and max(s) < 200 and min(c["corr"] for c in r["channels"]) > 0.9 else 1)' "$out" ||
		nj_exact_or_inconclusive "Opus round trip below 20 dB"
	;;
midi)
	out=$(nj_on h1 "$NJ_PY" "$NJ_LIB/njaudio.py" midi --seconds 4 --seed 11 --sysex-max 100 \
		--out "netjack:playback_$((ch + 1))" --in "netjack:capture_$((ch + 1))")
	rc=$?
	echo "$out"
	[ $rc = 0 ] || nj_exact_or_inconclusive "MIDI did not come back intact"
	"$NJ_PY" -c 'import json,sys; r=json.loads(sys.argv[1]); sys.exit(0 if r["delay_min"] == r["delay_max"] == int(sys.argv[2]) else 1)' "$out" "$want" ||
		nj_fail "MIDI came back at another delay than $want frames"
	;;
restart)
	check_rt 5 "before the restart"
	kill -KILL "$SLAVE"
	nj_wait_exit "$SLAVE" 5
	# silent past the master's 2 s limit at one of its 1 s housekeeping
	# ticks whatever their phase (a 2 s gap plus the restart's own time
	# was once too short: CI)
	sleep 3.5
	nj_on h1 jack_lsp | grep -qx "netjack:capture_1" || nj_fail "the master's ports went with the slave"
	slave 2
	sleep 2
	check_rt 6 "after the restart"
	grep -q 'is silent' "$NJ_LOGDIR/master.log" || nj_fail "the silent slave was not logged"
	;;
garbage)
	# the master's own end of its socket to the slave (ss prints a State
	# column or not depending on what it lists: match the address, not a column)
	port=$(nj_on h1 ss -Hunp | grep netjack-master | grep '198.18.0.3:3000' | grep -o '198\.18\.0\.2:[0-9]*' | head -1 | sed 's/.*://')
	[ -n "$port" ] || nj_fail "cannot find the master's netone socket"
	rt 7 >"$NJ_LOGDIR/rt.json" &
	r=$!
	nj_track $r
	sleep 0.5
	nj_on h2 "$NJ_PY" "$NJ_LIB/garbage.py" 198.18.0.2 "$port" 20000 9 --spoof=198.18.0.3:3000
	if ! wait $r; then
		cat "$NJ_LOGDIR/rt.json"
		nj_exact_or_inconclusive "garbage disturbed the netone session"
	fi
	st=$(nj_on h1 "$ctl" status --json)
	# counted: dropped by the session socket's filter in the kernel (the
	# JACK callback reads that socket itself), or malformed
	"$NJ_PY" -c 'import json,sys; s=json.loads(sys.argv[1])["sessions"][0]; print("malformed", s["malformed"], "dropped", s["dropped"], "receive", s["receive"]); sys.exit(0 if s["malformed"] + s["dropped"] >= 15000 and s["receive"] == "callback" else 1)' "$st" ||
		nj_fail "the garbage was not counted: $st"
	;;
*)
	check_rt 5 "$case"
	# the ports tell JACK the L periods, so a DAW's compensation knows them
	nj_latency_told h1 netjack "$period" "$want" playback_1 capture_1
	;;
esac
st=$(nj_on h1 "$ctl" status --json)
"$NJ_PY" - "$st" "$ch" "$lat" <<'PY' || nj_fail "status: $st"
import json, sys
s = json.loads(sys.argv[1])["sessions"]
assert len(s) == 1 and s[0]["protocol"] == "netjack1", s
assert s[0]["audio_to_slave"] == int(sys.argv[2]) and s[0]["latency_cycles"] == int(sys.argv[3]), s
print("status:", s[0]["protocol"], s[0]["state"], "cycles", s[0]["cycles"], "lost", s[0]["lost"])
PY
kill -0 "$MASTER" || nj_fail "netjack-master died"
nj_log "PASS: $case"
