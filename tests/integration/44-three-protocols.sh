#!/usr/bin/env bash
# 44: one netjack-master, three protocols at once: a jack2 netJACK2 slave
# (jackd -d net), a jack2 netone slave (jackd -d netone, --netone) and a
# JackTrip 1.7.0 hub client (jacktrip -C, --jacktrip). Each slave host loops
# its audio back; on the master the three round trips run at the same time:
# netJACK2 bit-exact at jack2's 1024 frames (async, latency 2), netone
# bit-exact at (L + 1) x P = 1536 (jack_netsource's, L 5), JackTrip a 997 Hz
# sine at >= 80 dB in every window. None disturbs another; the status names
# the three protocols.
source "$(dirname "$0")/lib/netns.sh"
nj_require
command -v jacktrip >/dev/null || nj_skip "needs jacktrip (Debian: jacktrip)"
[ -x "$NJ_BUILD/daemon/netjack-master" ] || nj_skip "netjack-master not built"
ctl=$NJ_BUILD/tools/netjack-ctl
nj_net 4
nj_jackd h1
nj_bg h1 master "$NJ_BUILD/daemon/netjack-master" -v --jacktrip --netone 198.18.0.5,name=n1slave
MASTER=$NJ_LASTPID
for _ in $(seq 1 50); do grep -q 'JackTrip hub: listening' "$NJ_LOGDIR/master.log" && break; sleep 0.1; done
# netJACK2
nj_jack2_slave h2 nj2slave
# JackTrip
nj_jackd h3
nj_bg h3 jtc jacktrip -C 198.18.0.2 -n 2 -K jtclient -J jtc -D
# netone
nj_bg h4 netone env -u MALLOC_PERTURB_ jackd -R -P "$NJ_JACKD_PRIO" -d netone -r 48000 -p 256
nj_wait_port h1 '^nj2slave:from_slave_2$' 10 || nj_fail "the netJACK2 slave did not join"
nj_wait_port h1 '^jtclient:receive_2$' 15 || nj_fail "the JackTrip client did not join"
nj_wait_port h1 '^n1slave:capture_2$' 10 || nj_fail "no netone client on the master"
for _ in $(seq 1 100); do nj_on h4 jack_lsp 2>/dev/null | grep -q '^system:playback_2$' && break; sleep 0.1; done
nj_loop h2
nj_wait_port h3 '^jtc:receive_2$' 5 || nj_fail "jacktrip -C has no ports"
nj_bg h3 loop-jt "$NJ_PY" "$NJ_LIB/njaudio.py" loop --in jtc:receive_1,jtc:receive_2 --out jtc:send_1,jtc:send_2
for i in 1 2; do nj_on h4 jack_connect "system:capture_$i" "system:playback_$i" || nj_fail "netone loop"; done
st=$(nj_on h1 "$ctl" status --json)
"$NJ_PY" - "$st" <<'PY' || nj_fail "status does not show the three protocols: $st"
import json, sys
p = sorted(x["protocol"] for x in json.loads(sys.argv[1])["sessions"])
print("sessions:", p)
assert p == ["jacktrip", "netjack1", "netjack2"], p
PY
sleep 3
nj_roundtrip h1 nj2slave 5 21 1024 0 >"$NJ_LOGDIR/rt-nj2.json" &
a=$!
nj_track $a
nj_on h1 "$NJ_PY" "$NJ_LIB/njaudio.py" roundtrip --seconds 5 --seed 22 --out n1slave:playback_1,n1slave:playback_2 \
	--in n1slave:capture_1,n1slave:capture_2 --expect-delay 1536 --expect-exact --max-bad 0 >"$NJ_LOGDIR/rt-n1.json" &
b=$!
nj_track $b
nj_on h1 "$NJ_PY" "$NJ_LIB/njaudio.py" roundtrip --seconds 5 --sine 997 --free-freq \
	--out jtclient:send_1,jtclient:send_2 --in jtclient:receive_1,jtclient:receive_2 >"$NJ_LOGDIR/rt-jt.json" &
c=$!
nj_track $c
bad=
wait $a || bad+=" netJACK2"
wait $b || bad+=" netone"
wait $c
"$NJ_PY" - "$(cat "$NJ_LOGDIR/rt-jt.json")" <<'PY' || bad+=" JackTrip"
import json, sys
r = json.loads(sys.argv[1])
print("JackTrip SNR median/worst:", [(c["snr_median_db"], c["snr_worst_db"]) for c in r["channels"]])
sys.exit(0 if min(c["snr_worst_db"] for c in r["channels"]) >= 80 else 1)
PY
for f in nj2 n1; do cut -c1-200 "$NJ_LOGDIR/rt-$f.json"; echo; done
[ -z "$bad" ] || nj_exact_or_inconclusive "disturbed:$bad"
kill -0 "$MASTER" || nj_fail "netjack-master died"
nj_log "PASS: netJACK2, netone and JackTrip on one master, each intact"
