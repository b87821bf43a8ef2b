#!/usr/bin/env bash
# 46: pre-shared-key authentication between netjack-master and netjack-slave.
#   psk      both with one key (netjack-ctl genkey), both with
#            --require-auth: the slave joins, both ends say "psk", and the audio
#            looped on the slave's host comes back bit-exact while a third
#            host, with the slave's address, sends the master's session port
#            300 captured datagrams of the slave again (replays), each once
#            more with one bit changed, and 300 data headers with made-up
#            payloads: the master counts them replayed and auth_failed, and
#            the session is not disturbed.
#   encrypt  the slave asks for --encrypt: both ends say "psk+encrypt", and
#            the round trip is bit-exact.
#   wrongkey the slave has another key: it never joins (no ports on the
#            master), says why, and the master's handshake ends saying why.
#   options  a key others may read, --encrypt or --require-auth without a
#            key, a key with a JackTrip slave: each stops the daemon at
#            startup with a message naming the option.
# Usage: 46-auth.sh psk|encrypt|wrongkey|options
source "$(dirname "$0")/lib/netns.sh"
case=${1:?case: psk, encrypt, wrongkey or options}
nj_require
[ -x "$NJ_BUILD/daemon/netjack-slave" ] || nj_skip "netjack-slave not built"
ctl=$NJ_BUILD/tools/netjack-ctl
key=$NJ_LOGDIR/key
"$ctl" genkey "$key" || nj_fail "netjack-ctl genkey"

# startup_refused WHAT CMD...: CMD must exit non-zero at once, naming WHAT on stderr.
startup_refused() {
	local what=$1 out rc
	shift
	out=$(timeout 10 "$@" 2>&1)
	rc=$?
	[ "$rc" != 0 ] && [ "$rc" != 124 ] || nj_fail "$* did not stop at startup (rc $rc): $out"
	grep -q -- "$what" <<<"$out" || nj_fail "$*: the message does not name $what: $out"
	nj_log "refused at startup: $out"
}

if [ "$case" = options ]; then
	cp "$key" "$NJ_LOGDIR/open-key"
	chmod 644 "$NJ_LOGDIR/open-key"
	startup_refused --psk-file "$NJ_BUILD/daemon/netjack-master" --psk-file "$NJ_LOGDIR/open-key"
	startup_refused --psk-file "$NJ_BUILD/daemon/netjack-slave" --psk-file "$NJ_LOGDIR/open-key"
	printf 'not a key\n' >"$NJ_LOGDIR/bad-key"
	chmod 600 "$NJ_LOGDIR/bad-key"
	startup_refused --psk-file "$NJ_BUILD/daemon/netjack-master" --psk-file "$NJ_LOGDIR/bad-key"
	startup_refused --psk-file "$NJ_BUILD/daemon/netjack-master" --encrypt
	startup_refused --psk-file "$NJ_BUILD/daemon/netjack-slave" --require-auth
	startup_refused --psk-file "$NJ_BUILD/daemon/netjack-slave" --protocol jacktrip \
		--master 127.0.0.1 --psk-file "$key"
	nj_log "PASS: options"
	exit 0
fi

slave_key=$key
slave_args=(--psk-file "$key" --require-auth)
case $case in
psk) ;;
encrypt) slave_args+=(--encrypt) ;;
wrongkey)
	slave_key=$NJ_LOGDIR/other-key
	"$ctl" genkey "$slave_key" >/dev/null || nj_fail "netjack-ctl genkey"
	slave_args=(--psk-file "$slave_key")
	;;
*) nj_fail "unknown case $case" ;;
esac

nj_net 3
nj_jackd h1 || nj_fail "jackd on host1"
master_args=(--psk-file "$key")
[ "$case" = psk ] && master_args+=(--require-auth)
nj_bg h1 master "$NJ_BUILD/daemon/netjack-master" -v "${master_args[@]}"
NJ_MASTER_PID=$NJ_LASTPID
for _ in $(seq 1 50); do grep -q 'listening on' "$NJ_LOGDIR/master.log" && break; sleep 0.1; done
grep -q 'pre-shared key' "$NJ_LOGDIR/master.log" || nj_fail "the master does not say which key it uses"
nj_jackd h2 || nj_fail "jackd on host2"
nj_bg h2 slave "$NJ_BUILD/daemon/netjack-slave" -v --auto -C 2 -P 2 -i 0 -o 0 -r none "${slave_args[@]}"

if [ "$case" = wrongkey ]; then
	if nj_wait_port h1 '^host2:from_slave_1$' 7; then
		nj_fail "a slave with another key joined"
	fi
	grep -q 'authentication failed' "$NJ_LOGDIR/slave.log" ||
		nj_fail "the slave does not say the master's authentication failed"
	# the master gives the handshake up after its SLAVE_SETUP went
	# unanswered 5 times (--setup-tries, 1 s apart, counted from the
	# slave's first announcement): that can take a few seconds more
	for _ in $(seq 1 100); do
		grep -q 'handshake over.*authenticated' "$NJ_LOGDIR/master.log" && break
		sleep 0.1
	done
	grep -q 'handshake over.*authenticated' "$NJ_LOGDIR/master.log" ||
		nj_fail "the master does not say why the handshake ended"
	grep -E 'authentication failed|handshake over' "$NJ_LOGDIR/slave.log" "$NJ_LOGDIR/master.log" | head -3
	nj_log "PASS: wrongkey: no session, both ends said why"
	exit 0
fi

nj_wait_port h1 '^host2:from_slave_2$' 8 || nj_fail "the authenticated slave's ports did not appear on the master"
want=psk
[ "$case" = encrypt ] && want=psk+encrypt
# auth_of HOST CTL-ARGS...: "AUTH REPLAYED AUTH_FAILED STATE" of the first session
auth_of() {
	nj_on "$1" "$ctl" "${@:2}" status --json | "$NJ_PY" -c '
import json, sys
s = json.load(sys.stdin)["sessions"][0]
print(s["auth"], s["replayed"], s["auth_failed"], s.get("state", "running"))'
}
read -r ma _ _ _ < <(auth_of h1)
read -r sa _ _ _ < <(auth_of h2 --slave)
[ "$ma" = "$want" ] && [ "$sa" = "$want" ] || nj_fail "authentication: master $ma, slave $sa, want $want"
nj_on h1 "$ctl" status | grep -q " $want " || nj_fail "netjack-ctl status does not show $want"
nj_bg h2 loop "$NJ_PY" "$NJ_LIB/njaudio.py" loop --in netjack:capture_1,netjack:capture_2 \
	--out netjack:playback_1,netjack:playback_2
nj_slave_settle "$NJ_LOGDIR/slave.log"
if [ "$case" = psk ]; then
	# the slave's datagrams, recorded before the measurement (the recorder
	# reads every frame of the host in Python: not while the audio is judged),
	# as a wire carries them: the switch cuts the slave's GSO sends for h1
	nj_wire_segment h1
	nj_on h1 "$NJ_PY" "$NJ_LIB/inject.py" capture --iface eth0 --from 198.18.0.3 --count 300 \
		--out "$NJ_LOGDIR/captured" || nj_fail "could not capture the slave's datagrams"
fi
late0=$(nj_slave_late h2)
nj_on h1 "$NJ_PY" "$NJ_LIB/njaudio.py" roundtrip --seconds 8 --seed 45 \
	--out host2:to_slave_1,host2:to_slave_2 --in host2:from_slave_1,host2:from_slave_2 \
	--expect-exact --max-bad 0 >"$NJ_LOGDIR/roundtrip.json" &
rt=$!
nj_track $rt
if [ "$case" = psk ]; then
	sleep 1
	sent=$(nj_on h3 "$NJ_PY" "$NJ_LIB/inject.py" attack --to 198.18.0.2 --spoof 198.18.0.3 \
		--in "$NJ_LOGDIR/captured" --seed 45) || nj_fail "the attack did not run"
	nj_log "sent with the slave's address: $sent"
fi
wait $rt
rc=$?
cut -c1-300 "$NJ_LOGDIR/roundtrip.json"
kill -0 "$NJ_MASTER_PID" || nj_fail "netjack-master died"
read -r ma rep bad st < <(auth_of h1)
nj_log "master: auth $ma, replayed $rep, auth_failed $bad, state $st"
if [ "$case" = psk ]; then
	[ "$rep" -ge 270 ] || nj_fail "of 300 replays the master counted $rep"
	[ "$bad" -ge 540 ] || nj_fail "of 600 forged datagrams the master counted $bad"
else
	[ "$rep" = 0 ] && [ "$bad" = 0 ] || nj_fail "replays or forgeries counted without an attack: $rep $bad"
fi
[ "$rc" = 0 ] || nj_glitch_or_fail "$late0" h2 "the authenticated round trip ($case) was not exact"
nj_log "PASS: $case: authenticated ($ma) both ends, round trip bit-exact"
