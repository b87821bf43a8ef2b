#!/usr/bin/env bash
# 12: 20,000 malformed and random datagrams during a jack2 slave's session:
# 10,000 from a third host to the discovery port, 10,000 at the session's
# data port spoofed from the slave's own address and port (a connected
# socket takes datagrams from its peer only, so only spoofed ones get in),
# both at once, as fast as the sender goes. The master stays up, the
# session's audio stays bit-exact, the spoofed garbage is counted (dropped
# by the session socket's filter in the kernel, or malformed), the JACK
# callback reads the filtered socket itself, and no client is created for
# garbage.
source "$(dirname "$0")/lib/netns.sh"
nj_require
[ -x "$NJ_BUILD/daemon/netjack-master" ] || nj_skip "netjack-master not built"
nj_net 3
nj_master h1
nj_jack2_slave h2 slave1
nj_wait_port h1 '^slave1:from_slave_2$' 5 || nj_fail "slave1 did not join"
nj_loop h2
# the session's data socket: the master's UDP socket connected to the slave
# (match the addresses: ss prints a State column or not by what it lists)
line=$(nj_on h1 ss -Hunp state established | grep netjack-master | grep '198\.18\.0\.3:' | head -1)
dport=$(grep -o '198\.18\.0\.2:[0-9]*' <<<"$line" | head -1 | sed 's/.*://')
speer=$(grep -o '198\.18\.0\.3:[0-9]*' <<<"$line" | head -1)
[ -n "$dport" ] && [ -n "$speer" ] || nj_fail "cannot find the session's data socket: $line"
nj_log "session data port $dport, the slave at $speer"
nj_roundtrip h1 slave1 10 9 1024 0 >"$NJ_LOGDIR/roundtrip.json" &
rt=$!
nj_track $rt
sleep 1
nj_on h3 "$NJ_PY" "$NJ_LIB/garbage.py" 198.18.0.2 19000 10000 1 &
g1=$!
nj_track $g1
nj_on h3 "$NJ_PY" "$NJ_LIB/garbage.py" 198.18.0.2 "$dport" 10000 2 --spoof="$speer"
wait $g1
nj_log "garbage sent"
wait $rt || { cat "$NJ_LOGDIR/roundtrip.json"; nj_exact_or_inconclusive "the session's audio was disturbed"; }
cut -c1-300 "$NJ_LOGDIR/roundtrip.json"
kill -0 "$NJ_MASTER_PID" || nj_fail "netjack-master died"
st=$(nj_on h1 "$NJ_BUILD/tools/netjack-ctl" status --json)
"$NJ_PY" - "$st" <<'PY' || nj_fail "the spoofed garbage was not counted: $st"
import json, sys
s = [x for x in json.loads(sys.argv[1])["sessions"] if x["name"] == "slave1"][0]
print("session malformed", s["malformed"], "foreign", s["foreign"], "dropped", s["dropped"],
      "state", s["state"], "receive", s["receive"])
assert s["malformed"] + s["foreign"] + s["dropped"] >= 9000 and s["state"] == "running", s
assert s["receive"] == "callback", s
PY
n=$(nj_on h1 jack_lsp | grep -c ':to_slave_' || true)
[ "$n" = 2 ] || nj_fail "expected 2 to_slave ports (slave1 only), found $n"
nj_log "PASS"
