#!/usr/bin/env bash
# bench/stall.sh [HOST] [MS] [RESAMPLER] [LATER]: what one stall of a JACK server
# costs the audio. netjack-master on host1, netjack-slave on host2 (2+2
# channels, period 128, every server at one priority), audio looped on host2;
# during a 10 s round trip measured on host1, the server on HOST (h1: the
# master's, h2: the slave's; default h1) is stopped (SIGSTOP) for MS ms
# (default 20) 3 s in. Prints the round trip's delay before and after, the
# periods wrong at the first delay, and the slave's bridge (underruns,
# re-primes, margin). With LATER (seconds), a second round trip that long
# after the first: the margin back down after a quiet spell, or not. A stall
# this VM makes now and then, made on purpose.
# Needs root (network namespaces).
here=$(cd "$(dirname "$0")" && pwd)
which=${1:-h1}
ms=${2:-20}
resampler=${3:-none}
later=${4:-0}
source "$here/../tests/integration/lib/netns.sh"
nj_require >/dev/null
case $which in h1 | h2) ;; *) nj_fail "HOST is h1 or h2, not $which" ;; esac

nj_net 2
nj_jackd h1 48000 128 >/dev/null || nj_fail "jackd on host1"
j1=$NJ_LASTPID
nj_bg h1 master "$NJ_BUILD/daemon/netjack-master" -v
nj_jackd h2 48000 128 >/dev/null || nj_fail "jackd on host2"
j2=$NJ_LASTPID
nj_bg h2 slave "$NJ_BUILD/daemon/netjack-slave" -v --auto --discovery multicast -C 2 -P 2 \
	-i 0 -o 0 -r "$resampler"
nj_wait_port h1 '^host2:from_slave_2$' 8 || nj_fail "the slave did not join"
nj_bg h2 loop "$NJ_PY" "$NJ_LIB/njaudio.py" loop --in netjack:capture_1,netjack:capture_2 \
	--out netjack:playback_1,netjack:playback_2
nj_slave_settle "$NJ_LOGDIR/slave.log"
pid=$j1
[ "$which" = h2 ] && pid=$j2
(
	sleep 3
	kill -STOP "$pid"
	sleep "$("$NJ_PY" -c "print($ms / 1000)")"
	kill -CONT "$pid"
) &
stopper=$!
nj_on h1 "$NJ_PY" "$NJ_LIB/njaudio.py" roundtrip --seconds 10 --seed 47 \
	--out host2:to_slave_1,host2:to_slave_2 --in host2:from_slave_1,host2:from_slave_2 \
	>"$NJ_LOGDIR/rt.json"
wait "$stopper"
nj_on h2 "$NJ_BUILD/tools/netjack-ctl" --slave status --json >"$NJ_LOGDIR/sstatus.json"
if [ "$later" != 0 ]; then
	sleep "$later"
	nj_on h1 "$NJ_PY" "$NJ_LIB/njaudio.py" roundtrip --seconds 5 --seed 48 \
		--out host2:to_slave_1,host2:to_slave_2 --in host2:from_slave_1,host2:from_slave_2 \
		>"$NJ_LOGDIR/rt2.json"
	nj_on h2 "$NJ_BUILD/tools/netjack-ctl" --slave status --json >"$NJ_LOGDIR/sstatus2.json"
fi
"$NJ_PY" - "$NJ_LOGDIR/rt.json" "$NJ_LOGDIR/sstatus.json" "$which" "$ms" "$resampler" "$later" \
	"$NJ_LOGDIR/rt2.json" "$NJ_LOGDIR/sstatus2.json" <<'PY'
import json, sys
rt, st = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
which, ms, q, later = sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
c = rt["channels"][0]
b = st["sessions"][0]["bridge"]
per = rt["frames"] // rt["period"]
side = "the master's" if which == "h1" else "the slave's"
lag2 = c.get("lag_second")
exact = (f"{c.get('bad_periods')} of {per} periods wrong at the first delay" if q == "none"
         else "not bit-level (resampled)")
print(f"stall {ms} ms of {side} server ({q}): round trip {c.get('lag_first')} -> {lag2} frames, "
      f"{exact}; slave's bridge: "
      f"underruns {b['underruns']}, re-primes {b['resyncs']}, margin {b['margin_ms']} ms, "
      f"fill {b['fill_frames']}/{b['target_frames']}")
if later != "0":
    c2 = json.load(open(sys.argv[7]))["channels"][0]
    b2 = json.load(open(sys.argv[8]))["sessions"][0]["bridge"]
    print(f"{later} s later: round trip {c2.get('lag_first')} frames; slave's bridge: "
          f"margin {b2['margin_ms']} ms (raised {b2.get('margin_raises')}, lowered "
          f"{b2.get('margin_lowers')} times), re-primes {b2['resyncs']}")
PY
echo "server xruns: $(nj_xruns); $(nj_stall_text)"
