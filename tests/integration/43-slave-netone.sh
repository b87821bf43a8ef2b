#!/usr/bin/env bash
# 43: netjack-slave --protocol netone driven by jack_netsource (jack2's
# netJACK1 master), and by netjack-master --netone. On the master's host
# seeded noise goes into netjack:playback_1/2 and comes back on
# netjack:capture_1/2 through the slave's host, which loops
# netjack:capture_k -> netjack:playback_k (--resampler none: both servers run
# on this machine's clock), at one constant delay, bit-exact.
# Usage: 43-slave-netone.sh CASE
#   float    jack_netsource -n 5 (its defaults: 2+1 channels, MTU 1400)
#   int16    jack_netsource -b 16, --encoder int16: within 2.5e-4 (netone encodes
#            (x + 1) x 32767 truncated and decodes v / 32768 - 1: up to 6e-5 a
#            pass at full scale; the loop is two passes each way)
#   opus     jack_netsource -P 128 at P 480, --encoder opus: a sine at >= 20 dB
#   ours     netjack-master --netone (latency 2)
#   dnssd    netjack-master --netone-dnssd finds the slave by its DNS-SD record
#            (_netjack1-slave._udp, --name studio-n1) and drives it: its client
#            on the master is studio-n1, bit-exact
#   restart  jack_netsource stopped and started again (its framecnt from 0,
#            a new source port): the slave leaves after --timeout, takes the
#            new master's session and is bit-exact again
source "$(dirname "$0")/lib/netns.sh"
case=${1:-float}
nj_require
[ -x "$NJ_BUILD/daemon/netjack-slave" ] || nj_skip "netjack-slave not built"
ctl=$NJ_BUILD/tools/netjack-ctl
period=256 margs=() sargs=(-r none) tol=
case $case in
int16) margs=(-b 16) sargs+=(--encoder int16) tol="--tolerance 2.5e-4" ;; # two passes of netone's (x + 1) x 32767 and v / 32768 - 1
opus) period=480 margs=(-P 128) sargs=(--encoder opus --kbps 128) ;;
esac
mc=netjack
nj_net 2
if [ "$case" = dnssd ]; then
	nj_avahi h1
	nj_avahi h2
	mc=studio-n1 sargs+=(--name studio-n1)
fi
nj_jackd h1 48000 "$period"
nj_jackd h2 48000 "$period"
nj_bg h2 slave "$NJ_BUILD/daemon/netjack-slave" -v --protocol netone "${sargs[@]}"
SLAVE=$NJ_LASTPID
sleep 0.5
master() {
	if [ "$case" = ours ]; then
		nj_bg h1 "master" "$NJ_BUILD/daemon/netjack-master" -v --netone 198.18.0.3,latency=2
	elif [ "$case" = dnssd ]; then
		nj_bg h1 "master" "$NJ_BUILD/daemon/netjack-master" -v --netone-dnssd
	else
		nj_bg h1 "netsource-$1" jack_netsource -H 198.18.0.3 "${margs[@]}"
	fi
	MASTER=$NJ_LASTPID
}
master 1
joined() { # N: the slave's log has N joins
	for _ in $(seq 1 100); do
		[ "$(grep -c 'joined master' "$NJ_LOGDIR/slave.log")" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
joined 1 || nj_fail "netjack-slave did not take the netone session"
[ "$case" != dnssd ] || grep 'DNS-SD: netone slave "studio-n1"' "$NJ_LOGDIR/master.log" ||
	nj_fail "the master did not find the slave by DNS-SD"
grep 'AutoConfig' "$NJ_LOGDIR/slave.log"
nj_wait_port h2 '^netjack:capture_2$' 5 || nj_fail "the slave's ports did not appear"
for i in 1 2; do nj_on h2 jack_connect "netjack:capture_$i" "netjack:playback_$i" || nj_fail "loop"; done
nj_wait_port h1 "^$mc:capture_2\$" 5 || nj_fail "no $mc client on the master's host"
sleep 3
rt=(--out "$mc:playback_1,$mc:playback_2" --in "$mc:capture_1,$mc:capture_2")
check() { # SEED WHAT
	local out late0
	late0=$(nj_slave_late h2)
	if [ "$case" = opus ]; then
		out=$(nj_on h1 "$NJ_PY" "$NJ_LIB/njaudio.py" roundtrip --seconds 4 --sine 997 "${rt[@]}")
		echo "$out"
		"$NJ_PY" -c 'import json,sys; r=json.loads(sys.argv[1]); s=[c["snr_db"] for c in r["channels"]]; print("Opus SNR", s); sys.exit(0 if 20 <= min(s) and max(s) < 200 and min(c["corr"] for c in r["channels"]) > 0.9 else 1)' "$out" ||
			nj_glitch_or_fail "$late0" h2 "$2: Opus below 20 dB"
		return
	fi
	# shellcheck disable=SC2086
	if ! out=$(nj_on h1 "$NJ_PY" "$NJ_LIB/njaudio.py" roundtrip --seconds 4 --seed "$1" "${rt[@]}" \
		--expect-exact --max-bad 2 $tol); then
		echo "$out"
		nj_glitch_or_fail "$late0" h2 "$2: not bit-exact at a constant delay"
	fi
	echo "$out" | cut -c1-200
}
check 5 "$case"
if [ "$case" = restart ]; then
	kill -TERM "$MASTER"
	nj_wait_exit "$MASTER" 5
	sleep 1
	master 2
	joined 2 || nj_fail "the slave did not take the restarted master"
	sleep 3
	check 6 "after the restart"
fi
st=$(nj_on h2 "$ctl" --slave status --json)
"$NJ_PY" -c 'import json,sys; s=json.loads(sys.argv[1])["sessions"][0]; print("slave:", s["protocol"], s["encoder"], "latency", s["latency_cycles"], "malformed", s["malformed"]); sys.exit(0 if s["protocol"] == "netjack1" else 1)' "$st" ||
	nj_fail "status: $st"
kill -0 "$SLAVE" || nj_fail "netjack-slave died"
nj_log "PASS: $case"
