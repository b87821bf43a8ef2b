#!/usr/bin/env bash
# 12: malformed and random datagrams to the discovery port and to a running
# session's data port, from a third host. The master stays up, the session's
# audio stays bit-exact, and no client is created for garbage.
source "$(dirname "$0")/lib/netns.sh"
nj_require
[ -x "$NJ_BUILD/daemon/netjack-master" ] || nj_skip "netjack-master not built"
nj_net 3
nj_master h1
nj_jack2_slave h2 slave1
nj_wait_port h1 '^slave1:from_slave_2$' 5 || nj_fail "slave1 did not join"
nj_loop h2
# the session's data port: the master's UDP socket connected to the slave
dport=$(nj_on h1 ss -Hunp state established | grep netjack-master | awk '{print $3}' | sed 's/.*://' | head -1)
[ -n "$dport" ] || nj_fail "cannot find the session's data port"
nj_log "session data port $dport"
nj_roundtrip h1 slave1 5 9 1024 0 >"$NJ_LOGDIR/roundtrip.json" &
rt=$!
nj_track $rt
sleep 1
nj_on h3 "$NJ_PY" "$NJ_LIB/garbage.py" 198.18.0.2 19000 3000 1
nj_on h3 "$NJ_PY" "$NJ_LIB/garbage.py" 198.18.0.2 "$dport" 3000 2
wait $rt || { cat "$NJ_LOGDIR/roundtrip.json"; nj_exact_or_inconclusive "the session's audio was disturbed"; }
cat "$NJ_LOGDIR/roundtrip.json"
kill -0 "$NJ_MASTER_PID" || nj_fail "netjack-master died"
n=$(nj_on h1 jack_lsp | grep -c ':to_slave_' || true)
[ "$n" = 2 ] || nj_fail "expected 2 to_slave ports (slave1 only), found $n"
nj_log "PASS"
