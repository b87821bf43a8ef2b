#!/usr/bin/env bash
# 48: redundancy between netjack peers on a lossy link. netjack-master and
# netjack-slave (--resampler none, audio looped on the slave's host), a share
# of the packets dropped in each direction (nftables on both hosts, at random,
# datagram by datagram as on a wire).
#   redN  netjack-slave --redundancy N: at least 99.9 % of the periods of a
#         20 s round trip come back bit-exact at the delay measured without
#         loss, and both ends count packets their copies repaired.
#   none  the same without redundancy: prints what the loss costs (for the
#         README; asserts only that the loss reached the audio).
# PERMILLE is the loss each way (default 10, 1 %); "report" as a third
# argument prints the figures without the 99.9 % verdict (the README's 5 %
# row with 2 copies, where 99.5 % is what the loss predicts).
# Usage: 48-redundancy.sh red2|red3|none [PERMILLE [report]]
source "$(dirname "$0")/lib/netns.sh"
case=${1:?case: red2, red3 or none}
permille=${2:-10}
report=${3:-}
nj_require
[ -x "$NJ_BUILD/daemon/netjack-slave" ] || nj_skip "netjack-slave not built"
command -v nft >/dev/null || nj_skip "needs nft"
ctl=$NJ_BUILD/tools/netjack-ctl
extra=()
case $case in
red[2-4]) extra=(--redundancy "${case#red}") ;;
none) ;;
*) nj_fail "unknown case $case" ;;
esac
nj_net 2
nj_master h1
nj_jackd h2 || nj_fail "jackd on host2"
nj_bg h2 slave "$NJ_BUILD/daemon/netjack-slave" -v --auto --discovery multicast -C 2 -P 2 \
	-i 0 -o 0 -r none "${extra[@]}"
nj_wait_port h1 '^host2:from_slave_2$' 8 || nj_fail "the slave did not join"
grep 'answering' "$NJ_LOGDIR/master.log" | tail -1
if [ "$case" != none ]; then
	grep -q "every packet sent ${case#red} times" "$NJ_LOGDIR/master.log" ||
		nj_fail "the session did not settle on ${case#red} copies"
fi
nj_bg h2 loop "$NJ_PY" "$NJ_LIB/njaudio.py" loop --in netjack:capture_1,netjack:capture_2 \
	--out netjack:playback_1,netjack:playback_2
nj_slave_settle "$NJ_LOGDIR/slave.log"
nj_on h1 "$NJ_PY" "$NJ_LIB/njaudio.py" roundtrip --seconds 3 --seed 47 \
	--out host2:to_slave_1,host2:to_slave_2 --in host2:from_slave_1,host2:from_slave_2 \
	>"$NJ_LOGDIR/before.json"
nj_loss h2 "$permille" 198.18.0.2 # master -> slave
nj_loss h1 "$permille" 198.18.0.3 # slave -> master
late0=$(nj_slave_late h2)
xr0=$(nj_xruns)
nj_on h1 "$NJ_PY" "$NJ_LIB/njaudio.py" roundtrip --seconds 20 --seed 48 \
	--out host2:to_slave_1,host2:to_slave_2 --in host2:from_slave_1,host2:from_slave_2 \
	>"$NJ_LOGDIR/lossy.json"
nj_on h1 "$ctl" status --json >"$NJ_LOGDIR/mstatus.json"
nj_on h2 "$ctl" --slave status --json >"$NJ_LOGDIR/sstatus.json"
verdict=$("$NJ_PY" - "$NJ_LOGDIR"/before.json "$NJ_LOGDIR"/lossy.json "$NJ_LOGDIR"/mstatus.json \
	"$NJ_LOGDIR"/sstatus.json "$case" "$permille" "$report" <<'PY'
import json, sys
before, lossy, ms, ss = (json.load(open(p)) for p in sys.argv[1:5])
case, permille, report = sys.argv[5], int(sys.argv[6]), sys.argv[7] == "report"
m = [x for x in ms["sessions"] if x["name"] == "host2"][0]
s = ss["sessions"][0]
per = lossy["frames"] // lossy["period"]
want = before["channels"][0]["delay"]
bad = max(c.get("bad_periods", per) for c in lossy["channels"])
delays = {c["delay"] for c in lossy["channels"]}
print(f"{case} at {permille / 10:g} % loss each way: {per - bad} of {per} periods exact ({100.0 * (per - bad) / per:.2f} %), "
      f"delay {want} before, {sorted(delays)} under loss; master: lost {m['lost']}, "
      f"repaired {m['repaired']}, concealed {m['concealed']}; slave: lost {s['lost']}, "
      f"repaired {s['repaired']}, concealed {s['concealed']}, late {s['late']}, take wait {s['take_deadline_us']} us")
br = s.get("bridge", {})
print(f"  slave's bridge: underruns {br.get('underruns')}, resyncs {br.get('resyncs')}, "
      f"slips {br.get('slips')}, late master/local {br.get('late_master')}/{br.get('late_local')}, "
      f"margin {br.get('margin_ms')} ms; first bad periods at (s): "
      f"{[c.get('bad_at_s', [])[:8] for c in lossy['channels']]}")
problems = []
if before["channels"][0].get("bad_periods") != 0:
    problems.append("not exact before the loss")
if delays != {want}:
    problems.append("the delay moved")
if case != "none":
    if bad > per // 1000 and not report:
        problems.append(f"{bad} bad periods, more than 0.1 %")
    if m["repaired"] == 0 or s["repaired"] == 0:
        problems.append("no packet was repaired at one end (did the loss reach it?)")
elif bad == 0:
    problems.append("the loss did not reach the audio")
print("PROBLEMS: " + "; ".join(problems) if problems else "OK")
PY
)
echo "$verdict"
for h in h1 h2; do # datagrams the kernel dropped for a full receive buffer
	echo "$h: UDP $(nj_on "$h" awk '/^Udp:/ { if (n++) print "InErrors " $4 ", RcvbufErrors " $6; }' /proc/net/snmp)"
done
grep -q '^OK' <<<"$verdict" && { nj_log "PASS: $(head -1 <<<"$verdict")"; exit 0; }
grep -q 'delay moved\|bad periods' <<<"$verdict" && nj_glitch_or_fail "$late0" h2 "$verdict" "$xr0"
nj_fail "$verdict"
