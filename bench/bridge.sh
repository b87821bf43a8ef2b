#!/usr/bin/env bash
# bench/bridge.sh KIND CHANNELS SECONDS [PPM]: one measurement of bridging a
# master's stream into the slave host's own JACK server, CHANNELS each way,
# for bench/run.sh. host1 and host2 each run a dummy-driver jackd (48 kHz,
# NJ_BENCH_PERIOD, default 256; host2's clock PPM fast under libfaketime);
#   KIND netjack: netjack-master on host1, netjack-slave on host2 bridging
#                 into host2's server (NJ_BENCH_SLAVE_ARGS: more options,
#                 default its medium resampler);
#   KIND zita:    zita-njbridge both ways: zita-j2n on host1 sending to a
#                 zita-n2j on host2, and zita-j2n on host2 sending back to a
#                 zita-n2j on host1 (float samples, its own resampler and
#                 defaults otherwise).
# On host1 the dummy capture feeds every channel sent and every channel
# received goes to its playback; on host2 every channel received is sent
# back. Measured: CPU of host2's processes (jackd and the bridge) over
# SECONDS once the bridge runs; then, with NJ_BENCH_SNR=S, the SNR of a
# 997 Hz sine over the round trip host1 -> host2 -> host1 (two channels,
# S seconds, both conversions on host2 for netjack, one on each host for
# zita; with PPM, host2's jackd, zita-n2j and zita-j2n run on the drifting
# clock, netjack-slave on the real one: see below). Prints:
#   bridge KIND CH ppm cpu_percent xruns alive snr
# snr: the whole recording's SNR in dB / the median of its 0.1 s windows'
# (the worst channel's), "silent" when nothing came back, - when not
# measured. On stderr, each of host2's processes' share of the CPU; with
# NJ_BENCH_PERF=FILE, a perf profile (cpu-clock, call graphs) of host2's
# bridge process (netjack-slave or zita-n2j) over the window.
here=$(cd "$(dirname "$0")" && pwd)
kind=${1:?netjack or zita} ch=${2:?channels} secs=${3:?seconds} ppm=${4:-0}
period=${NJ_BENCH_PERIOD:-256} snrsecs=${NJ_BENCH_SNR:-0}
NJ_WATCHDOG=$((secs + snrsecs + 90))
source "$here/../tests/integration/lib/netns.sh"
source "$here/lib.sh"
nj_require >/dev/null
list() { seq -s, -f "$1%g" 1 "$2"; }

nj_net 2
nj_jackd h1 48000 "$period" >/dev/null || nj_fail "jackd on host1"
if [ "$ppm" = 0 ]; then
	nj_jackd h2 48000 "$period" >/dev/null || nj_fail "jackd on host2"
else
	NJ_JACKD_PPM=$ppm nj_jackd h2 48000 "$period" >/dev/null || nj_fail "jackd on host2"
fi
pids=("$NJ_LASTPID")
# zita-n2j and zita-j2n run on host2's drifting clock too (zita-n2j reads
# the time itself: on the real clock beside a drifting server it never
# starts); netjack-slave runs on the real one, as in scenario 21 (under
# libfaketime it never joins), and takes the server's pace from JACK
ppmenv=()
if [ "$ppm" != 0 ]; then nj_ppm_env "$ppm"; ppmenv=("${NJ_PPM_ENV[@]}"); fi
if [ "$kind" = netjack ]; then
	nj_bg h1 master "$NJ_BUILD/daemon/netjack-master"
	# shellcheck disable=SC2086
	nj_bg h2 slave "$NJ_BUILD/daemon/netjack-slave" --auto --discovery multicast -C "$ch" -P "$ch" -i 0 -o 0 \
		${NJ_BENCH_SLAVE_ARGS:-}
	pids+=("$NJ_LASTPID")
	nj_wait_port h1 "^host2:from_slave_$ch\$" 15 || nj_fail "the slave did not join"
	nb_wire_master h1 host2 "$ch" || nj_fail "connecting the ports of host1"
	nb_wire_loop h2 netjack "$ch" || nj_fail "connecting the ports of host2"
	nj_wait_log "$NJ_LOGDIR/slave.log" "clock bridge locked after" 15 || nj_log "the slave's clock bridge did not lock in 15 s"
	send=$(list host2:to_slave_ 2) recv=$(list host2:from_slave_ 2)
else
	command -v zita-j2n >/dev/null || nj_skip "needs zita-njbridge"
	nj_bg h1 j2n-h1 zita-j2n --chan "$ch" --float 198.18.0.3 30000
	nj_bg h2 n2j-h2 "${ppmenv[@]}" zita-n2j --chan "$(seq -s, 1 "$ch")" 198.18.0.3 30000
	pids+=("$NJ_LASTPID")
	nj_bg h2 j2n-h2 "${ppmenv[@]}" zita-j2n --chan "$ch" --float 198.18.0.2 30001
	pids+=("$NJ_LASTPID")
	nj_bg h1 n2j-h1 zita-n2j --chan "$(seq -s, 1 "$ch")" 198.18.0.2 30001
	nj_wait_port h1 "^zita-n2j:out_$ch\$" 10 || nj_fail "zita-n2j on host1 has no ports"
	nj_wait_port h2 "^zita-j2n:in_$ch\$" 10 || nj_fail "zita-j2n on host2 has no ports"
	w1=() w2=()
	for i in $(seq 1 "$ch"); do
		w1+=("system:capture_1>zita-j2n:in_$i" "zita-n2j:out_$i>system:playback_1")
		w2+=("zita-n2j:out_$i>zita-j2n:in_$i")
	done
	nj_wire h1 "${w1[@]}" || nj_fail "connecting the ports of host1"
	nj_wire h2 "${w2[@]}" || nj_fail "connecting the ports of host2"
	send=$(list zita-j2n:in_ 2) recv=$(list zita-n2j:out_ 2)
fi
sleep 3
x0=$(nb_log_xruns "$NJ_LOGDIR"/jackd-*.log)
each0=() each1=()
for p in "${pids[@]}"; do each0+=("$(nb_ticks "$p")"); done
perfpid=
if [ -n "${NJ_BENCH_PERF:-}" ]; then
	perf record -q -F 4000 -e cpu-clock -g -o "$NJ_BENCH_PERF" -p "${pids[1]}" -- sleep "$secs" &
	perfpid=$!
fi
sleep "$secs"
for p in "${pids[@]}"; do each1+=("$(nb_ticks "$p")"); done
[ -z "$perfpid" ] || wait "$perfpid"
ticks=0 each=""
for i in "${!pids[@]}"; do
	ticks=$((ticks + each1[i] - each0[i]))
	each+=" $(cat "/proc/${pids[$i]}/comm" 2>/dev/null) $(nb_pct $((each1[i] - each0[i])) "$secs")"
done
echo "# CPU % per process on host2:$each" >&2
x1=$(nb_log_xruns "$NJ_LOGDIR"/jackd-*.log)
alive=yes
for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null || alive=no; done
snr=-
if [ "$snrsecs" != 0 ] && [ "$alive" = yes ]; then
	nj_on h1 "$NJ_PY" "$NJ_LIB/njaudio.py" roundtrip --seconds "$snrsecs" --seed 5 --sine 997 \
		--out "$send" --in "$recv" >"$NJ_LOGDIR/snr.json"
	echo "# round trip: $(cut -c1-400 "$NJ_LOGDIR/snr.json")" >&2
	snr=$("$NJ_PY" -c '
import json, sys
try:
    c = json.load(sys.stdin)["channels"]
    if all(x["corr"] == 0 and x["snr_db"] == 999 for x in c):
        print("silent")  # nothing came back
    else:
        print("%s/%s" % (min(x["snr_db"] for x in c), min(x["snr_median_db"] for x in c)))
except Exception:
    print("?")' <"$NJ_LOGDIR/snr.json")
fi
echo "# $(nj_stall_text)" >&2
if [ "$kind" = netjack ]; then
	# what the slave's bridge did: locks, margin changes, its last log line
	grep -E 'locked|jitter margin|bridge: running' "$NJ_LOGDIR/slave.log" | tail -n 8 | sed 's/^/# slave: /' >&2
fi
echo "bridge $kind $ch $ppm $(nb_pct "$ticks" "$secs") $((x1 - x0)) $alive $snr"
