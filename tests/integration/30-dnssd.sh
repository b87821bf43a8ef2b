#!/usr/bin/env bash
# 30: DNS-SD end to end. Each host runs its own D-Bus and avahi-daemon. The
# master has multicast discovery off; `netjack-slave --auto` finds it by
# DNS-SD and talks unicast; its ports appear on the master (both hold one
# pre-shared key, the slave requires it: the TXT record says auth=psk and
# the session is authenticated). netjack-browse
# lists both, and the master's JackTrip hub (--jacktrip) with its protocol; netjack-ctl shows the session with its cycles rising, and kick
# ends it (the slave comes back). After avahi-daemon restarts, the master is
# published again.
source "$(dirname "$0")/lib/netns.sh"
nj_require
[ -x "$NJ_BUILD/tools/netjack-browse" ] || nj_skip "netjack tools not built"
T=$NJ_BUILD/tools
nj_net 2
nj_avahi h1
nj_avahi h2
nj_jackd h1
nj_jackd h2
# the master holds a key (its TXT says auth=psk), the slave one too: the
# session found by DNS-SD is authenticated
"$NJ_BUILD/tools/netjack-ctl" genkey "$NJ_LOGDIR/key" >/dev/null || nj_fail "netjack-ctl genkey"
nj_bg h1 master "$NJ_BUILD/daemon/netjack-master" -v --discovery dnssd --jacktrip \
	--psk-file "$NJ_LOGDIR/key"
nj_bg h2 slave "$NJ_BUILD/daemon/netjack-slave" -v --auto --psk-file "$NJ_LOGDIR/key" --require-auth
t0=$(($(date +%s%N) / 1000000))
nj_wait_port h1 '^host2:from_slave_2$' 8 || nj_fail "the slave's ports did not appear on the master"
nj_log "ports on the master after $(($(date +%s%N) / 1000000 - t0)) ms"
nj_on h1 jack_lsp | grep -E '^host2:(to|from)_slave_[12]$' | sort | tr '\n' ' '; echo
grep -q 'DNS-SD: chose master "host1" at 198.18.0.2:19000' "$NJ_LOGDIR/slave.log" ||
	nj_fail "the slave did not pick the master by DNS-SD"
grep -q 'announcing to the multicast group' "$NJ_LOGDIR/slave.log" &&
	nj_fail "the slave fell back to multicast although DNS-SD had the master"
grep -q 'no multicast group' "$NJ_LOGDIR/master.log" || nj_fail "the master joined the group"

# netjack-browse: both, with their records
sleep 1 # the slave republishes "joined" after it starts
nj_on h1 "$T/netjack-browse" --timeout 4 || nj_fail "netjack-browse (table) failed"
nj_on h1 "$T/netjack-browse" --json --timeout 4 >"$NJ_LOGDIR/browse.json" ||
	nj_fail "netjack-browse --json failed"
"$NJ_PY" - "$NJ_LOGDIR/browse.json" <<'PY' || nj_fail "netjack-browse does not list both"
import json, sys
d = json.load(open(sys.argv[1]))
m = {x["name"]: x for x in d["masters"] if x["protocol"] == "netjack2"}
jt = {x["name"]: x for x in d["masters"] if x["protocol"] == "jacktrip"}
s = {x["name"]: x for x in d["slaves"]}
print("masters:", list(m), "JackTrip hubs:", list(jt), "slaves:", list(s))
assert "host1" in m, "master host1 missing"
assert "host1" in jt and jt["host1"]["port"] == 4464 and jt["host1"]["txt"]["proto"] == "jacktrip", jt
t = m["host1"]["txt"]
assert t["proto"] == "8" and t["rate"] == "48000" and t["period"] == "256", t
assert t["slaves"] == "1" and t["max_slaves"] == "32" and t["auth"] == "psk", t
assert "198.18.0.2" in m["host1"]["addresses"] and m["host1"]["port"] == 19000, m["host1"]
assert "host2" in s, "slave host2 missing"
assert s["host2"]["txt"]["state"] == "joined" and s["host2"]["txt"]["master"] == "host1", s
PY

# netjack-ctl: the session, cycles rising, on both ends
nj_on h1 "$T/netjack-ctl" status || nj_fail "netjack-ctl status failed"
nj_on h1 "$T/netjack-ctl" status --json >"$NJ_LOGDIR/ctl1.json" || nj_fail "status --json failed"
sleep 1
nj_on h1 "$T/netjack-ctl" status --json >"$NJ_LOGDIR/ctl2.json" || nj_fail "status --json failed"
nj_on h2 "$T/netjack-ctl" --slave status --json >"$NJ_LOGDIR/ctl3.json" ||
	nj_fail "the slave's status --json failed"
"$NJ_PY" - "$NJ_LOGDIR"/ctl{1,2,3}.json <<'PY' || nj_fail "netjack-ctl status is wrong"
import json, sys
a, b, sl = (json.load(open(f)) for f in sys.argv[1:4])
sa, sb = a["sessions"][0], b["sessions"][0]
print(f"master: {sa['name']} cycles {sa['cycles']} -> {sb['cycles']}, lost {sb['lost']}, "
      f"latency {sb['latency_frames']} frames; slave: {sl['sessions'][0]['cycles']} cycles, "
      f"bridge {sl['sessions'][0]['bridge']['state']}")
assert a["role"] == "master" and a["discovery"] == "dnssd" and a["dnssd"] is True
assert sa["name"] == "host2" and sa["state"] == "running" and sa["client"] == "host2"
assert sa["audio_to_slave"] == 2 and sa["audio_from_slave"] == 2 and sa["encoder"] == "float"
assert sa["latency_frames"] == sa["latency_cycles"] * 256
# 1 s at 48000/256 = 187.5 cycles
assert 150 <= sb["cycles"] - sa["cycles"] <= 260, (sa["cycles"], sb["cycles"])
assert sl["role"] == "slave" and sl["sessions"][0]["name"] == "host1"
assert sl["sessions"][0]["cycles"] > 0
for k in ("lost", "late", "duplicate", "malformed", "concealed", "xruns", "uptime_s"):
    assert k in sb, k
PY

# kick: ports go, the slave comes back (fresh session); netjack-browse --watch
# sees the master's records change (slaves=0 after the kick)
nj_bg h1 watch "$T/netjack-browse" --watch --json
watch_pid=$NJ_LASTPID
sleep 3.5 # its first listing is out by then (3 s at most)
nj_on h1 "$T/netjack-ctl" kick host2 || nj_fail "kick failed"
nj_wait_gone h1 '^host2:' 4 || nj_fail "the kicked slave's ports stayed"
nj_wait_port h1 '^host2:from_slave_2$' 8 || nj_fail "the slave did not come back after kick"
nj_on h1 "$T/netjack-ctl" kick nobody && nj_fail "kicking an unknown slave succeeded"
sleep 3
kill -TERM "$watch_pid"
"$NJ_PY" - "$NJ_LOGDIR/watch.log" <<'PY' || nj_fail "netjack-browse --watch missed the changes"
import json, sys
lines = [l for l in open(sys.argv[1]) if l.strip()]
first = json.loads(lines[0])          # the listing, then one event per line
assert "masters" in first and "slaves" in first, first
events = [json.loads(l) for l in lines[1:]]
slaves = [e["service"]["txt"].get("slaves") for e in events
          if e.get("event") == "found" and e["service"]["name"] == "host1"]
states = [e["service"]["txt"].get("state") for e in events
          if e.get("event") == "found" and e["service"]["name"] == "host2"]
print("watch: master's slaves=", slaves, "slave's state=", states)
assert first["masters"][0]["txt"]["slaves"] == "1", first
assert "0" in slaves, slaves
PY

# avahi-daemon restarts on the master's host: the master is published again
apid=${NJ_AVAHI_PID[h1]}
kill -TERM "$apid"
for _ in $(seq 1 30); do kill -0 "$apid" 2>/dev/null || break; sleep 0.1; done
mv "$NJ_LOGDIR/avahi-h1.log" "$NJ_LOGDIR/avahi-h1-first.log"
nj_bg h1 avahi-h1 avahi-daemon --no-rlimits --no-chroot
for _ in $(seq 1 100); do
	grep -q 'Server startup complete' "$NJ_LOGDIR/avahi-h1.log" && break
	sleep 0.1
done
ok=0
for _ in $(seq 1 10); do
	if nj_on h2 "$T/netjack-browse" --json --timeout 2 | "$NJ_PY" -c '
import json, sys; d = json.load(sys.stdin)
sys.exit(0 if any(m["name"] == "host1" for m in d["masters"]) else 1)'; then
		ok=1
		break
	fi
	sleep 0.5
done
[ $ok = 1 ] || nj_fail "the master was not published again after avahi-daemon restarted"
grep -c 'published "host1"' "$NJ_LOGDIR/master.log"
nj_log "PASS"
