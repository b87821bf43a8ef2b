#!/usr/bin/env bash
# 23: netjack-slave's resilience, against jack2's netmanager or netjack-master.
# host1 is the master, host2 the slave (--resampler none, so the checks are
# bit-level), host3 a stranger. On host2 a pass-through client is connected
# to the slave's ports; those connections are what must survive.
#  1. Garbage from host3 to the slave's socket, and garbage that claims to
#     come from the master's address and port, during a session: counted
#     (foreign, malformed), the round trip stays bit-exact, memory stays flat.
#  2. The master killed (SIGKILL): the slave notices within 2 s (its timeout: 1.5 s),
#     its ports and the connections on host2 stay, its capture ports carry
#     silence. The master restarted: the slave rejoins by itself and the same
#     connections carry bit-exact audio again.
#  3. host2's JACK server killed and restarted: the slave reconnects,
#     re-registers its ports, rejoins the master; exact audio again.
# Usage: 23-slave-resilience.sh jack2|netjack
source "$(dirname "$0")/lib/netns.sh"
master=${1:?master: jack2 or netjack}
nj_require
[ -x "$NJ_BUILD/daemon/netjack-slave" ] || nj_skip "netjack-slave not built"
ctl=$NJ_BUILD/tools/netjack-ctl
rt=(--out host2:to_slave_1,host2:to_slave_2 --in host2:from_slave_1,host2:from_slave_2)

nj_net 3
run=0
start_master() {
	run=$((run + 1))
	case $master in
	jack2)
		nj_jackd h1 || nj_fail "jackd on host1"
		MASTER_PID=$NJ_LASTPID
		nj_on h1 jack_load netmanager >/dev/null 2>&1 || nj_fail "jack_load netmanager failed"
		;;
	netjack)
		[ "$run" = 1 ] && { nj_jackd h1 || nj_fail "jackd on host1"; }
		nj_bg h1 "master-$run" "$NJ_BUILD/daemon/netjack-master" -v
		MASTER_PID=$NJ_LASTPID
		;;
	esac
}
# exact_roundtrip SEED: noise from host1 through host2's loop and back, bit-exact.
# A glitch while the bridge saw cycles later than its jitter margin is
# inconclusive (exit 2, see retry.sh), else a failure.
exact_roundtrip() {
	local out late0
	late0=$(nj_slave_late h2)
	out=$(nj_on h1 "$NJ_PY" "$NJ_LIB/njaudio.py" roundtrip --seconds 4 --seed "$1" "${rt[@]}" \
		--expect-exact --max-bad 2) || { echo "$out"; nj_glitch_or_fail "$late0" h2 "$2"; }
}
joined() { grep -c 'joined master' "$NJ_LOGDIR/slave.log"; }
ctl_field() {
	nj_on h2 "$ctl" --slave status --json | "$NJ_PY" -c "import json,sys; print(json.load(sys.stdin)['sessions'][0]['$1'])"
}
connections_kept() {
	local c
	c=$(nj_on h2 jack_lsp -c)
	grep -A1 -x 'netjack:capture_1' <<<"$c" | grep -qx '   njloop:in_1' &&
		grep -A1 -x 'netjack:playback_2' <<<"$c" | grep -qx '   njloop:out_2'
}

start_master
nj_jackd h2 || nj_fail "jackd on host2"
JACKD2_PID=$NJ_LASTPID
nj_bg h2 slave "$NJ_BUILD/daemon/netjack-slave" -v --auto --discovery multicast -C 2 -P 2 -i 0 -o 0 \
	-r none
SLAVE_PID=$NJ_LASTPID
nj_wait_port h1 '^host2:from_slave_2$' 8 || nj_fail "the slave's ports did not appear on the master"
nj_bg h2 loop "$NJ_PY" "$NJ_LIB/njaudio.py" loop --in netjack:capture_1,netjack:capture_2 \
	--out netjack:playback_1,netjack:playback_2
LOOP_PID=$NJ_LASTPID
sleep 2
connections_kept || nj_fail "the pass-through client is not connected on host2"
exact_roundtrip 1 "the first round trip was not exact"

# --- 1. garbage -----------------------------------------------------------
sport=$(nj_on h2 ss -Hulnp | grep '"netjack-slave"' | awk '{print $4}' | grep -m1 -o '[0-9]*$')
[ -n "$sport" ] || nj_fail "cannot find the slave's UDP port"
maddr=$(grep -m1 'joined master' "$NJ_LOGDIR/slave.log" | grep -o 'at 198\.18\.0\.2:[0-9]*' | cut -c4-)
[ -n "$maddr" ] || nj_fail "cannot find the master's address in the slave's log"
rss0=$(awk '/^VmRSS/ {print $2}' "/proc/$SLAVE_PID/status")
f0=$(ctl_field foreign); m0=$(ctl_field malformed); late0=$(nj_slave_late h2)
nj_bg h1 rt-garbage "$NJ_PY" "$NJ_LIB/njaudio.py" roundtrip --seconds 5 --seed 2 "${rt[@]}" \
	--expect-exact --max-bad 2
rtpid=$NJ_LASTPID
sleep 1
nj_on h3 "$NJ_PY" "$NJ_LIB/garbage.py" 198.18.0.3 "$sport" 4000 3
nj_on h3 "$NJ_PY" "$NJ_LIB/garbage.py" 198.18.0.3 "$sport" 3000 4 --spoof="$maddr"
wait "$rtpid"; rc=$?
cat "$NJ_LOGDIR/rt-garbage.log"
[ "$rc" = 0 ] || nj_glitch_or_fail "$late0" h2 "garbage to the slave disturbed the session"
f1=$(ctl_field foreign); m1=$(ctl_field malformed)
rss1=$(awk '/^VmRSS/ {print $2}' "/proc/$SLAVE_PID/status")
nj_log "garbage: foreign $f0 -> $f1, malformed $m0 -> $m1, RSS $rss0 -> $rss1 kB"
# Each datagram is counted once, as foreign or (a short one from anyone, or
# anything spoofed from the master) malformed; a flood this fast loses some
# in the socket's buffer, so "most", never more than were sent.
[ $((f1 - f0)) -ge 2500 ] || nj_fail "foreign packets not counted ($f0 -> $f1; 4000 sent from host3)"
[ $((m1 - m0)) -ge 2400 ] || nj_fail "malformed packets from the master's address not counted ($m0 -> $m1; 3000 sent)"
[ $((f1 - f0 + m1 - m0)) -le 7000 ] || nj_fail "more packets counted than were sent ($((f1 - f0)) + $((m1 - m0)) > 7000)"
[ $((rss1 - rss0)) -le 1024 ] || nj_fail "the slave's memory grew by $((rss1 - rss0)) kB under garbage"
kill -0 "$SLAVE_PID" || nj_fail "the slave died"

# --- 2. the master killed and restarted -------------------------------------
nj_bg h1 play "$NJ_PY" "$NJ_LIB/njaudio.py" play --out host2:to_slave_1,host2:to_slave_2
PLAY_PID=$NJ_LASTPID
sleep 1
lv=$(nj_on h2 "$NJ_PY" "$NJ_LIB/njaudio.py" level --in netjack:capture_1,netjack:capture_2 --seconds 0.5)
"$NJ_PY" -c "import json,sys; sys.exit(0 if min(json.loads('$lv')['peak']) > 0.1 else 1)" ||
	nj_fail "no signal on the slave's capture before the kill: $lv"
left0=$(grep -c 'left the master' "$NJ_LOGDIR/slave.log")
t0=$(date +%s.%N)
kill -KILL "$MASTER_PID"
noticed=
for _ in $(seq 1 60); do
	if [ "$(grep -c 'left the master' "$NJ_LOGDIR/slave.log")" -gt "$left0" ]; then
		noticed=$(date +%s.%N); break
	fi
	sleep 0.05
done
[ -n "$noticed" ] || nj_fail "the slave did not notice the master's death within 3 s"
took=$("$NJ_PY" -c "print(round($noticed - $t0, 2))")
grep 'left the master' "$NJ_LOGDIR/slave.log" | tail -1
"$NJ_PY" -c "import sys; sys.exit(0 if $took <= 2.0 else 1)" ||
	nj_fail "the slave took $took s to notice (more than 2 s)"
kill "$PLAY_PID" 2>/dev/null
nj_on h2 jack_lsp | grep -qx 'netjack:capture_1' || nj_fail "the slave's ports went away with the master"
connections_kept || nj_fail "the connections on host2 did not survive the master's death"
lv=$(nj_on h2 "$NJ_PY" "$NJ_LIB/njaudio.py" level --in netjack:capture_1,netjack:capture_2 --seconds 0.5)
"$NJ_PY" -c "import json,sys; sys.exit(0 if max(json.loads('$lv')['peak']) == 0 else 1)" ||
	nj_fail "the slave's capture ports are not silent without a master: $lv"
nj_log "master killed: noticed after $took s, ports and connections kept, capture silent"
j0=$(joined)
t0=$(date +%s.%N)
start_master
nj_wait_port h1 '^host2:from_slave_2$' 15 || nj_fail "the slave did not rejoin the restarted master"
back=$("$NJ_PY" -c "print(round($(date +%s.%N) - $t0, 2))")
[ "$(joined)" -gt "$j0" ] || nj_fail "no second join in the slave's log"
connections_kept || nj_fail "the connections on host2 did not survive the rejoin"
sleep 1
exact_roundtrip 3 "the round trip after the master's restart was not exact"
nj_log "master restarted: ports back on the master after $back s, same connections, exact"

# --- 3. host2's JACK server killed and restarted ---------------------------
kill -KILL "$LOOP_PID" "$JACKD2_PID"
nj_wait_gone h1 '^host2:' 5 || nj_fail "the slave stayed on the master without its JACK server"
grep -q 'the JACK server went away' "$NJ_LOGDIR/slave.log" || nj_fail "the slave did not notice its JACK server's death"
kill -0 "$SLAVE_PID" || nj_fail "the slave died with its JACK server"
nj_jackd h2 || nj_fail "jackd on host2 did not restart"
nj_wait_port h2 '^netjack:capture_1$' 10 || nj_fail "the slave did not re-register its ports"
nj_wait_port h1 '^host2:from_slave_2$' 10 || nj_fail "the slave did not rejoin after its JACK server came back"
nj_bg h2 loop2 "$NJ_PY" "$NJ_LIB/njaudio.py" loop --in netjack:capture_1,netjack:capture_2 \
	--out netjack:playback_1,netjack:playback_2
sleep 2
exact_roundtrip 4 "the round trip after the local JACK restart was not exact"
kill -TERM "$SLAVE_PID"
nj_wait_exit "$SLAVE_PID" 5 || { nj_stacks "$SLAVE_PID"; nj_fail "netjack-slave did not exit within 5 s of SIGTERM"; }
[ "$NJ_EXIT_RC" = 0 ] || nj_fail "netjack-slave exited $NJ_EXIT_RC on SIGTERM"
nj_log "PASS: $master: garbage counted, master kill/restart with connections kept, local JACK restart"
