#!/usr/bin/env bash
# 27: two jack2 slaves; 3 % of what one of them sends is dropped on the way
# into the master (nftables on the master host, by source address). The lossy
# slave's return is concealed where packets are missing and stays at its
# delay (jack2's latch shortens the latency for every lost return cycle);
# the other slave is untouched: bit-exact, nothing lost. A master server xrun
# during the measurement makes the attempt inconclusive (lib/retry.sh).
source "$(dirname "$0")/lib/netns.sh"
nj_require
[ -x "$NJ_BUILD/daemon/netjack-master" ] || nj_skip "netjack-master not built"
command -v nft >/dev/null || nj_skip "needs nft"
want=1024 # async, latency 2, P 256, through a measuring client
nj_net 3
nj_master h1
nj_jack2_slave h2 slave1
nj_jack2_slave h3 slave2
nj_wait_port h1 '^slave1:from_slave_2$' 5 || nj_fail "slave1 did not join"
nj_wait_port h1 '^slave2:from_slave_2$' 5 || nj_fail "slave2 did not join"
nj_loop h2
nj_loop h3
nj_loss h1 30 198.18.0.3 # slave1 (host2) -> master
nj_roundtrip h1 slave2 5 27 "$want" 0 >"$NJ_LOGDIR/clean.json" &
clean=$!
nj_track $clean
nj_on h1 "$NJ_PY" "$NJ_LIB/njaudio.py" roundtrip --seconds 5 --seed 28 \
	--out slave1:to_slave_1,slave1:to_slave_2 --in slave1:from_slave_1,slave1:from_slave_2 \
	>"$NJ_LOGDIR/lossy.json"
wait $clean
clean_rc=$?
cat "$NJ_LOGDIR/lossy.json" "$NJ_LOGDIR/clean.json"
nj_on h1 "$NJ_BUILD/tools/netjack-ctl" status --json >"$NJ_LOGDIR/status.json"
verdict=$("$NJ_PY" - "$NJ_LOGDIR/lossy.json" "$want" "$NJ_LOGDIR/status.json" <<'PY'
import json, sys
lossy = json.load(open(sys.argv[1]))
want = int(sys.argv[2])
st = {s["name"]: s for s in json.load(open(sys.argv[3]))["sessions"]}
s1, s2 = st["slave1"], st["slave2"]
per = lossy["frames"] // lossy["period"]
bad = [c.get("bad_periods", per) for c in lossy["channels"]]
delays = [c["delay"] for c in lossy["channels"]]
print(f"slave1: lost {s1['lost']} packets, concealed {s1['concealed']} cycles; round trip "
      f"delays {delays}, bad periods {bad} of {per}; slave2: lost {s2['lost']}, "
      f"concealed {s2['concealed']}")
problems = []
if s1["lost"] == 0 or s1["concealed"] == 0:
    problems.append("no loss reached slave1's session")
if any(d != want for d in delays):
    problems.append(f"slave1's delay moved from {want}")
if any(b == 0 or b > per // 4 for b in bad):
    problems.append("slave1's bad periods are not between 1 and a quarter")
if s2["lost"] != 0 or s2["concealed"] != 0:
    problems.append("slave2 lost packets or concealed cycles")
print("; ".join(problems) if problems else "ok")
PY
)
echo "$verdict"
[ "$clean_rc" = 0 ] || nj_exact_or_inconclusive "slave2 was disturbed by slave1's loss"
[ "$(tail -1 <<<"$verdict")" = ok ] || nj_fail "$(tail -1 <<<"$verdict")"
nj_log "PASS: $(head -1 <<<"$verdict")"
