#!/usr/bin/env bash
# 29: whole return cycles lost: three bursts of 50 ms (about 9 cycles each)
# in which everything a jack2 slave (jackd -d net, async, latency 2) sends is
# dropped on the way into netjack-master (nftables on the master host). Only
# the periods of the bursts come back wrong; every other period is exact at
# the same 1024 frames. jack2's latch reads one queued return cycle per
# cycle, so each lost cycle shortens its latency for good (NETJACK2-WIRE.md
# section 5): `29-master-burst-loss.sh jack2` runs the same against jack2's
# netmanager and prints its figures as a reference (not a test: measured
# here, 1194 of 1500 periods wrong after the same bursts; netjack-master 32).
# Usage: 29-master-burst-loss.sh [netjack|jack2]
source "$(dirname "$0")/lib/netns.sh"
master=${1:-netjack}
nj_require
[ -x "$NJ_BUILD/daemon/netjack-master" ] || nj_skip "netjack-master not built"
command -v nft >/dev/null || nj_skip "needs nft"
want=1024
nj_net 2
if [ "$master" = jack2 ]; then
	nj_jackd h1 || nj_fail "jackd on host1"
	nj_on h1 jack_load netmanager >/dev/null 2>&1 || nj_fail "jack_load netmanager failed"
else
	nj_master h1
fi
nj_jack2_slave h2 slave1
nj_wait_port h1 '^slave1:from_slave_2$' 8 || nj_fail "slave1 did not join"
nj_loop h2
nj_on h1 "$NJ_PY" "$NJ_LIB/njaudio.py" roundtrip --seconds 8 --seed 31 \
	--out slave1:to_slave_1,slave1:to_slave_2 --in slave1:from_slave_1,slave1:from_slave_2 \
	>"$NJ_LOGDIR/rt.json" &
rt=$!
nj_track $rt
nj_on h1 nft add table inet njburst
nj_on h1 nft add chain inet njburst in '{ type filter hook input priority 0; }'
sleep 2
for _ in 1 2 3; do
	nj_on h1 nft add rule inet njburst in ip saddr 198.18.0.3 udp dport != 5353 drop
	sleep 0.05
	nj_on h1 nft flush chain inet njburst in
	sleep 1
done
wait $rt
verdict=$("$NJ_PY" - "$NJ_LOGDIR/rt.json" "$want" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
want = int(sys.argv[2])
per = r["frames"] // r["period"]
bad = [c.get("bad_periods", per) for c in r["channels"]]
delays = [c["delay"] for c in r["channels"]]
print(f"delays {delays}, wrong periods {bad} of {per} after three 50 ms bursts")
# a burst of 50 ms is ~9.4 periods; a period or two either side may be hit
ok = all(d == want for d in delays) and all(0 < b <= 3 * 16 for b in bad)
print("ok" if ok else f"not held at {want} frames with only the bursts wrong")
PY
)
echo "$verdict"
if [ "$master" = jack2 ]; then
	nj_log "REFERENCE (jack2's netmanager): $(head -1 <<<"$verdict")"
	exit 0
fi
[ "$(tail -1 <<<"$verdict")" = ok ] || nj_exact_or_inconclusive "$(tail -1 <<<"$verdict")"
nj_log "PASS: netjack-master: $(head -1 <<<"$verdict")"
