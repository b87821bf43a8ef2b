#!/usr/bin/env bash
# 40: real JackTrip 1.7.0 hub clients (jacktrip -C) on netjack-master
# --jacktrip. Each becomes a JACK client named after its -K name with ports
# send_N/receive_N, as jacktrip -S names them; on the client's host a loop
# sends back what it receives, and the master's round trip is measured: a
# 997 Hz sine at half scale through 16 bits both ways (and the clock bridge
# on the master) at SNR >= 80 dB in every 0.1 s window after the start, the
# delay the same in both halves of the run.
# Usage: 40-master-jacktrip.sh CASE
#   b16     2 channels, -b 16 (JackTrip's default)
#   n8      8 channels
#   b32     -b 32: ours reaches the client as float (off the 16-bit grid,
#           SNR median >= 90 dB and no window below 60 dB one way);
#           1.7.0 sends the low half of each double at 32 bits, so what it
#           sends back is muted by the master (silence, counted)
#   r2      -r 2, with 1 % of the client's datagrams dropped on the master:
#           a packet is lost only with both datagrams that carry it (1 in
#           10,000: 0.15 expected in the run, against ~15 without -r 2); a
#           glitch where the master counted one is inconclusive, more than
#           3 lost fail (at 3 % a double loss came 1.35 times a run: the
#           scenario failed more often than not, proving nothing)
#   period  the client's JACK at period 128, the master's at 256
#   quit    the client stops (SIGTERM): its exit packet ends the session at once
#   two     two clients; one SIGKILLed: its client goes after JackTrip's 10 s of
#           silence, the other's audio is undisturbed
#   garbage during the round trip, 40 TCP handshakes left half open and 20,000
#           malformed datagrams at the session's UDP port (half of them
#           spoofed from the client): the audio undisturbed, the handshakes
#           beyond 16 refused at once and the datagrams counted, the
#           master's memory flat
#   rate    the client's JACK at 44.1 kHz, the master's at 48 kHz: refused with
#           a line saying so and JackTrip's exit packet; no client, no ports
#   crowd   one host holds 40 handshakes half open: beyond 4 from it they are
#           refused at once, and a client on another host still joins
#   mixed   a jack2 slave (jackd -d net) joins the same master next to the
#           JackTrip client: both clients and their ports side by side,
#           the JackTrip round trip undisturbed
source "$(dirname "$0")/lib/netns.sh"
case=${1:-b16}
nj_require
command -v jacktrip >/dev/null || nj_skip "needs jacktrip (Debian: jacktrip)"
[ -x "$NJ_BUILD/daemon/netjack-master" ] || nj_skip "netjack-master not built"

ch=2 bits=16 red=1 cperiod=256 crate=48000 hosts=2
case $case in
n8) ch=8 ;;
b32) bits=32 ;;
r2) red=2 ;;
period) cperiod=128 ;;
rate) crate=44100 ;;
two | mixed | crowd) hosts=3 ;;
esac
ports() { # PREFIX N: PREFIX_1,...,PREFIX_N
	local i out=
	for i in $(seq 1 "$2"); do out+="${out:+,}$1_$i"; done
	echo "$out"
}

nj_net "$hosts"
nj_jackd h1
nj_bg h1 master "$NJ_BUILD/daemon/netjack-master" -v --jacktrip
MASTER_PID=$NJ_LASTPID
for _ in $(seq 1 50); do grep -q 'JackTrip hub: listening' "$NJ_LOGDIR/master.log" && break; sleep 0.1; done
grep -q 'JackTrip hub: listening' "$NJ_LOGDIR/master.log" || nj_fail "no JackTrip hub on the master"

# client HOST NAME: jackd, jacktrip -C, and a loop receive_k -> send_k
client() {
	local h=$1 name=$2
	nj_jackd "$h" "$crate" "$cperiod"
	nj_bg "$h" "jt-$name" jacktrip -C 198.18.0.2 -n "$ch" -b "$bits" -r "$red" -K "$name" \
		-J jtc -D
	JT_PID=$NJ_LASTPID
	nj_wait_port "$h" "^jtc:receive_$ch\$" 10 || nj_fail "jacktrip -C did not start on $h"
	nj_bg "$h" "loop-$name" "$NJ_PY" "$NJ_LIB/njaudio.py" loop \
		--in "$(ports jtc:receive "$ch")" --out "$(ports jtc:send "$ch")"
}
if [ "$case" = rate ]; then
	# refused at its first datagram, jacktrip -C ends (it may not get as
	# far as registering its ports): no loop here
	nj_jackd h2 "$crate" "$cperiod"
	nj_bg h2 jt-goldname jacktrip -C 198.18.0.2 -n "$ch" -K goldname -J jtc -D
	for _ in $(seq 1 50); do grep -q 'refused JackTrip client "goldname"' "$NJ_LOGDIR/master.log" && break; sleep 0.1; done
	grep 'refused JackTrip client "goldname"' "$NJ_LOGDIR/master.log" ||
		nj_fail "a client at 44.1 kHz was not refused with a line saying so"
	grep -q '44100 Hz, this JACK server at 48000 Hz' "$NJ_LOGDIR/master.log" ||
		nj_fail "the refusal does not name both rates"
	sleep 1
	nj_on h1 jack_lsp | grep -q '^goldname:' && nj_fail "the refused client has ports on the master"
	st=$(nj_on h1 "$NJ_BUILD/tools/netjack-ctl" status --json)
	"$NJ_PY" -c 'import json,sys; s=json.loads(sys.argv[1])["sessions"]; print("sessions", len(s)); sys.exit(0 if not s else 1)' "$st" ||
		nj_fail "the refused client holds a session: $st"
	kill -0 "$MASTER_PID" || nj_fail "netjack-master died"
	nj_log "PASS: rate"
	exit 0
fi
client h2 goldname
JT1=$JT_PID
nj_wait_port h1 "^goldname:receive_$ch\$" 10 || nj_fail "the JackTrip client's ports did not appear"
for p in $(ports goldname:send "$ch" | tr , ' ') $(ports goldname:receive "$ch" | tr , ' '); do
	nj_on h1 jack_lsp | grep -qx "$p" || nj_fail "missing port $p"
done
nj_log "ports: $(nj_on h1 jack_lsp | grep -c '^goldname:') on goldname (send_N/receive_N)"
st=$(nj_on h1 "$NJ_BUILD/tools/netjack-ctl" status --json)
"$NJ_PY" - "$st" "$ch" <<'PY' || nj_fail "status does not show the JackTrip session: $st"
import json, sys
s = json.loads(sys.argv[1])["sessions"]
g = [x for x in s if x["name"] == "goldname"]
assert g and g[0]["protocol"] == "jacktrip" and g[0]["state"] == "running", s
assert g[0]["audio_to_slave"] == int(sys.argv[2]) and g[0]["audio_from_slave"] == int(sys.argv[2])
PY
sleep 2 # the bridge locks

# bridge_late: "LATE_MASTER/LATE_LOCAL" of goldname's bridge on the master
bridge_late() {
	nj_on h1 "$NJ_BUILD/tools/netjack-ctl" status --json | "$NJ_PY" -c '
import json, sys
b = [x for x in json.load(sys.stdin)["sessions"] if x["name"] == "goldname"][0]["bridge"]
print(str(b["late_master"]) + "/" + str(b["late_local"]))'
}

# glitch MSG: goldname's audio failed a check. The master's bridge is printed
# for whoever reads a failure (underruns, re-primes, clock steps, late
# cycles). A packet lost in both of its datagrams (r2: $lost) explains a
# glitch; so does a JackTrip datagram later than the bridge's margin since
# late0 was taken (its sender is no RT thread: 1-2 ms late with no stall of
# the machine); else a server's xrun or a stall, or it fails.
lost=0 late0=
glitch() {
	local now
	nj_on h1 "$NJ_BUILD/tools/netjack-ctl" status --json | "$NJ_PY" -c '
import json, sys
print("bridge:", [x for x in json.load(sys.stdin)["sessions"] if x["name"] == "goldname"][0].get("bridge"))' || true
	[ "$lost" -gt 0 ] && nj_inconclusive "$1 ($lost packets lost in both datagrams)"
	now=$(bridge_late)
	[ -n "$late0" ] && [ "$now" != "$late0" ] &&
		nj_inconclusive "$1 (cycles later than the jitter margin, client/local: $late0 -> $now)"
	nj_exact_or_inconclusive "$1"
}

# sine RT SECONDS PORTS-PREFIX: the round trip through client goldname or another
sine_rt() {
	nj_on h1 "$NJ_PY" "$NJ_LIB/njaudio.py" roundtrip --seconds "$2" --sine 997 --free-freq \
		--out "$(ports "$1:send" "$ch")" --in "$(ports "$1:receive" "$ch")"
}
# check_snr JSON MIN: every channel's worst window after the start >= MIN dB
check_snr() {
	"$NJ_PY" - "$1" "$2" <<'PY'
import json, sys
r = json.loads(sys.argv[1]); lim = float(sys.argv[2])
bad = [c for c in r["channels"] if c["snr_worst_db"] < lim]
print("SNR median/worst:", [(c["snr_median_db"], c["snr_worst_db"]) for c in r["channels"]])
sys.exit(1 if bad else 0)
PY
}

case $case in
b32)
	# ours at 32 bits reaches the client as float32, one way
	nj_bg h1 play "$NJ_PY" "$NJ_LIB/njaudio.py" play --sine 997 --out "$(ports goldname:send "$ch")"
	sleep 1
	out=$(nj_on h2 "$NJ_PY" "$NJ_LIB/njaudio.py" level --seconds 4 --sine 997 --free-freq --in "$(ports jtc:receive "$ch")")
	echo "$out"
	nj_on h1 "$NJ_BUILD/tools/netjack-ctl" status --json | "$NJ_PY" -c '
import json, sys
print("bridge:", [x for x in json.load(sys.stdin)["sessions"] if x["name"] == "goldname"][0]["bridge"])'
	# more than 16 bits arrived: nearly every sample off the 16-bit grid
	"$NJ_PY" -c 'import json,sys; g=json.loads(sys.argv[1])["off_grid16"]; print("off the 16-bit grid:", g); sys.exit(0 if min(g) > 0.9 else 1)' "$out" ||
		nj_fail "our 32-bit audio reached jacktrip on a 16-bit grid"
	# through the master's clock bridge (libsamplerate, medium) under this
	# machine's jitter: issue 10's goal, median >= 90 dB and no window
	# below 60 dB (a worst window of 90 failed 2 of 3 runs with no xrun
	# and no stall: 78-89 dB, the converter's ratio moving with the jitter)
	"$NJ_PY" - "$out" <<'PY' || nj_exact_or_inconclusive "our 32-bit audio did not reach jacktrip at 90 dB median, 60 dB worst"
import json, sys
c = json.loads(sys.argv[1])["channels"]
print("SNR median/worst:", [(x["snr_median_db"], x["snr_worst_db"]) for x in c])
sys.exit(0 if all(x["snr_median_db"] >= 90 and x["snr_worst_db"] >= 60 for x in c) else 1)
PY
	# what 1.7.0 sends back at 32 bits is unusable: muted, not played
	lv=$(nj_on h1 "$NJ_PY" "$NJ_LIB/njaudio.py" level --seconds 1 --in "$(ports goldname:receive "$ch")")
	echo "$lv"
	"$NJ_PY" -c "import json,sys; sys.exit(0 if max(json.loads('$lv')['peak']) == 0 else 1)" ||
		nj_fail "1.7.0's broken 32-bit audio was played: $lv"
	;;
quit)
	kill -TERM "$JT1"
	t0=$(date +%s.%N)
	nj_wait_gone h1 '^goldname:' 3 || nj_fail "the client's ports stayed after its exit packet"
	took=$(echo "$(date +%s.%N) - $t0" | bc)
	grep -q 'sent its exit packet' "$NJ_LOGDIR/master.log" || nj_fail "the exit packet was not what ended it"
	nj_log "exit packet: the session ended after $took s"
	;;
two)
	client h3 othername
	JT2=$JT_PID
	nj_wait_port h1 "^othername:receive_$ch\$" 10 || nj_fail "the second client did not join"
	sleep 2
	late0=$(bridge_late)
	sine_rt goldname 16 >"$NJ_LOGDIR/rt.json" &
	rt=$!
	nj_track $rt
	sleep 3
	kill -KILL "$JT2"
	t0=$(date +%s.%N)
	nj_wait_gone h1 '^othername:' 12 || nj_fail "the killed client's ports stayed 12 s"
	took=$(echo "$(date +%s.%N) - $t0" | bc)
	wait $rt
	out=$(cat "$NJ_LOGDIR/rt.json")
	echo "$out"
	# the kill makes host3's server report xruns (its client died within a
	# cycle): only the servers on the other client's path say whether the
	# machine stalled it
	check_snr "$out" 80 || NJ_XRUN_LOGS="jackd-h1 jackd-h2" glitch "the other client's audio was disturbed"
	nj_log "the killed client's JACK client went after $took s (JackTrip's 10 s of silence)"
	;;
garbage)
	rss0=$(awk '/VmRSS/ {print $2}' /proc/"$MASTER_PID"/status)
	sine_rt goldname 10 >"$NJ_LOGDIR/rt.json" &
	rt=$!
	nj_track $rt
	sleep 1
	nj_on h2 "$NJ_PY" -c '
import socket, time
held = []
for i in range(40):
    s = socket.socket(); s.settimeout(2)
    try:
        s.connect(("198.18.0.2", 4464)); held.append(s)
    except OSError:
        pass
time.sleep(7)
print("held", len(held), "connections")' &
	hp=$!
	nj_track $hp
	nj_on h2 "$NJ_PY" "$NJ_LIB/garbage.py" 198.18.0.2 61002 10000 3
	nj_on h2 "$NJ_PY" "$NJ_LIB/garbage.py" 198.18.0.2 61002 10000 4 --spoof=198.18.0.3:4464
	wait $hp
	wait $rt
	out=$(cat "$NJ_LOGDIR/rt.json")
	echo "$out"
	st=$(nj_on h1 "$NJ_BUILD/tools/netjack-ctl" status --json)
	rss1=$(awk '/VmRSS/ {print $2}' /proc/"$MASTER_PID"/status)
	"$NJ_PY" - "$st" "$rss0" "$rss1" <<'PY' || nj_fail "garbage was not counted, or memory grew: $st"
import json, sys
s = json.loads(sys.argv[1]); rss0, rss1 = int(sys.argv[2]), int(sys.argv[3])
jt = s["jacktrip"]; g = [x for x in s["sessions"] if x["name"] == "goldname"][0]
print("handshakes refused", jt["handshakes_refused"], "session malformed", g["malformed"],
      "foreign", g.get("foreign"), "RSS", rss0, "->", rss1, "kB")
assert jt["handshakes_refused"] >= 20, jt
assert g["malformed"] + g.get("foreign", 0) >= 5000, g
assert g["state"] == "running", g
assert rss1 - rss0 < 2048, (rss0, rss1)
PY
	check_snr "$out" 80 || nj_exact_or_inconclusive "garbage disturbed the JackTrip session"
	;;
crowd)
	# 40 connections kept open for 15 s, each one the master closes made
	# again at once (a host that keeps every place it can get)
	nj_on h2 "$NJ_PY" -c '
import socket, time
def conn():
    s = socket.socket(); s.settimeout(2)
    try:
        s.connect(("198.18.0.2", 4464)); s.setblocking(False); return s
    except OSError:
        return None
held = [conn() for _ in range(40)]
end = time.time() + 15
while time.time() < end:
    for i, s in enumerate(held):
        try:
            gone = s is None or s.recv(1) == b""
        except BlockingIOError:
            gone = False
        except OSError:
            gone = True
        if gone:
            if s is not None:
                s.close()
            held[i] = conn()
    time.sleep(0.2)' &
	hp=$!
	nj_track $hp
	sleep 1
	client h3 othername
	nj_wait_port h1 "^othername:receive_$ch\$" 10 ||
		nj_fail "a client on another host did not join while h2 held 40 handshakes"
	st=$(nj_on h1 "$NJ_BUILD/tools/netjack-ctl" status --json)
	"$NJ_PY" - "$st" <<'PY' || nj_fail "the half-open handshakes were not refused beyond 4: $st"
import json, sys
s = json.loads(sys.argv[1])
print("handshakes refused", s["jacktrip"]["handshakes_refused"], "sessions", sorted(x["name"] for x in s["sessions"]))
assert s["jacktrip"]["handshakes_refused"] >= 36, s["jacktrip"]
assert sorted(x["name"] for x in s["sessions"]) == ["goldname", "othername"], s["sessions"]
PY
	kill "$hp" 2>/dev/null
	;;
mixed)
	nj_jack2_slave h3 netslave
	for _ in $(seq 1 100); do nj_on h1 jack_lsp | grep -q '^netslave:' && break; sleep 0.1; done
	nj_on h1 jack_lsp | grep -q '^netslave:' || nj_fail "the jack2 slave did not join next to JackTrip"
	nj_log "on the master: $(nj_on h1 jack_lsp | grep -c '^goldname:') goldname ports (JackTrip), $(nj_on h1 jack_lsp | grep -c '^netslave:') netslave ports (netJACK2)"
	st=$(nj_on h1 "$NJ_BUILD/tools/netjack-ctl" status --json)
	"$NJ_PY" - "$st" <<'PY' || nj_fail "status does not show both protocols: $st"
import json, sys
p = sorted(x["protocol"] for x in json.loads(sys.argv[1])["sessions"])
print("sessions:", p)
assert p == ["jacktrip", "netjack2"], p
PY
	out=$(sine_rt goldname 6)
	echo "$out"
	check_snr "$out" 80 || nj_exact_or_inconclusive "the JackTrip round trip next to a jack2 slave"
	;;
*)
	if [ "$case" = r2 ]; then
		nj_loss h1 10 198.18.0.3
	fi
	lat0="$(nj_port_latency h1 goldname:send_1 playback) $(nj_port_latency h1 goldname:receive_1 capture)"
	late0=$(bridge_late)
	out=$(sine_rt goldname 8)
	echo "$out"
	if [ "$case" = r2 ]; then
		st=$(nj_on h1 "$NJ_BUILD/tools/netjack-ctl" status --json)
		read -r packets lost < <(echo "$st" | "$NJ_PY" -c 'import json,sys; s=json.load(sys.stdin)["sessions"][0]; print(s["packets"], s["lost"])')
		nj_log "r2 at 1 % loss: $packets packets, $lost lost in both copies"
		[ "$lost" -le 3 ] || nj_fail "$lost packets lost with -r 2 at 1 % loss (about 15 without it)"
	fi
	check_snr "$out" 80 || glitch "the round trip is below 80 dB"
	"$NJ_PY" - "$out" <<'PY' || glitch "the delay moved during the run"
import json, sys
for c in json.loads(sys.argv[1])["channels"]:
    assert abs(c["lag_first"] - c["lag_second"]) <= 1, c
print("delay", [c["lag_first"] for c in json.loads(sys.argv[1])["channels"]], "frames in both halves")
PY
	# the client's ports tell JACK the master's bridge: ring B after
	# send_N, ring A before receive_N (what JackTrip's own buffers add on
	# the client's side is not ours to know: the rest of the round trip)
	mplay=$(nj_port_latency h1 goldname:send_1 playback)
	mcap=$(nj_port_latency h1 goldname:receive_1 capture)
	st=$(nj_on h1 "$NJ_BUILD/tools/netjack-ctl" status --json)
	# the bridge primed afresh (a raised margin) after the round trip: the
	# figures are another delay than the one measured
	[ "$lat0" = "$mplay $mcap" ] ||
		nj_inconclusive "the bridge's targets moved during the round trip (ports told $lat0, then $mplay $mcap)"
	"$NJ_PY" - "$st" "$out" "$mplay" "$mcap" <<'PY' || nj_fail "goldname's ports do not tell the bridge: playback $mplay, capture $mcap"
import json, sys
s = [x for x in json.loads(sys.argv[1])["sessions"] if x["name"] == "goldname"][0]
d = json.loads(sys.argv[2])["channels"][0]["lag_first"]
play, cap = int(sys.argv[3]), int(sys.argv[4])
ta = s["bridge"]["target_frames"]
print(f"ports tell playback {play} + capture {cap} frames (ring A target {ta:.1f}); "
      f"round trip {d} = those + 2 periods + {d - play - cap - 512} on the client's side")
assert play > 0 and abs(cap - ta) <= 1, (play, cap, ta)
assert d >= play + cap + 2 * 256, d
PY
	;;
esac
kill -0 "$MASTER_PID" || nj_fail "netjack-master died"
nj_log "PASS: $case"
