#!/usr/bin/env bash
# 20: netjack-slave joins jack2's netmanager (jack_load netmanager) by
# multicast discovery (no avahi on these hosts: --auto falls back to the
# group after DNS-SD's 2 s). The slave's ports appear on both hosts, a sine from
# the master comes back through the slave's clock bridge (resampled), and
# SIGTERM ends the slave cleanly (exit 0) with its client gone on the master.
# Usage: 20-slave-jack2-master.sh [RESAMPLER]
source "$(dirname "$0")/lib/netns.sh"
res=${1:-medium}
nj_require
[ -x "$NJ_BUILD/daemon/netjack-slave" ] || nj_skip "netjack-slave not built"

# Options are checked before anything starts, naming the option.
if out=$("$NJ_BUILD/daemon/netjack-slave" --encoder mp3 2>&1); then
	nj_fail "a bad --encoder was accepted"
fi
grep -q -- '--encoder' <<<"$out" || nj_fail "the error does not name --encoder: $out"
if out=$("$NJ_BUILD/daemon/netjack-slave" --auto --master 198.18.0.2 2>&1); then
	nj_fail "--auto with --master was accepted"
fi

nj_net 2
nj_jackd h1
nj_on h1 jack_load netmanager >/dev/null 2>&1 || nj_fail "jack_load netmanager failed"
nj_jackd h2
nj_bg h2 slave "$NJ_BUILD/daemon/netjack-slave" -v --auto -C 2 -P 2 -i 1 -o 1 -r "$res"
slave_pid=$NJ_LASTPID
nj_wait_port h1 '^host2:midi_from_slave_1$' 5 || nj_fail "the slave's ports did not appear on the master"
grep -q 'DNS-SD has no master for us; announcing to the multicast group' "$NJ_LOGDIR/slave.log" ||
	nj_fail "--auto did not fall back from DNS-SD to multicast"
[ "$(grep -c 'DNS-SD unavailable' "$NJ_LOGDIR/slave.log")" = 1 ] ||
	nj_fail "without avahi the slave should say so once"
for p in to_slave_1 to_slave_2 from_slave_1 from_slave_2 midi_to_slave_1 midi_from_slave_1; do
	nj_on h1 jack_lsp | grep -qx "host2:$p" || nj_fail "missing host2:$p on the master"
done
for p in capture_1 capture_2 playback_1 playback_2 midi_capture_1 midi_playback_1; do
	nj_on h2 jack_lsp | grep -qx "netjack:$p" || nj_fail "missing netjack:$p on the slave"
done
nj_bg h2 loop "$NJ_PY" "$NJ_LIB/njaudio.py" loop --in netjack:capture_1,netjack:capture_2 \
	--out netjack:playback_1,netjack:playback_2
sleep 3
out=$(nj_on h1 "$NJ_PY" "$NJ_LIB/njaudio.py" roundtrip --seconds 4 --seed 7 --sine 997 \
	--out host2:to_slave_1,host2:to_slave_2 --in host2:from_slave_1,host2:from_slave_2)
echo "$out"
corr=$("$NJ_PY" -c 'import json,sys; print(min(c["corr"] for c in json.load(sys.stdin)["channels"]))' <<<"$out")
"$NJ_PY" -c "import sys; sys.exit(0 if $corr >= 0.5 else 1)" ||
	nj_exact_or_inconclusive "the sine did not come back through the slave (correlation $corr)"
grep 'bridge:' "$NJ_LOGDIR/slave.log" | tail -1
kill -TERM "$slave_pid"
nj_wait_exit "$slave_pid" 5 || { nj_stacks "$slave_pid"; nj_fail "netjack-slave did not exit on SIGTERM"; }
[ "$NJ_EXIT_RC" = 0 ] || nj_fail "netjack-slave exited $NJ_EXIT_RC on SIGTERM"
nj_wait_gone h1 '^host2:' 5 || nj_fail "the slave's client stayed on the master"
nj_log "PASS: joined jack2's netmanager, correlation $corr, clean exit"
