#!/usr/bin/env bash
# 31: netjack-master as systemd runs it (Type=notify, WatchdogSec=): READY=1
# while it waits for JACK (a waiting daemon is running: systemd's start
# timeout must not end it), STATUS= saying it waits, then with the slave count,
# WATCHDOG=1 at least every half watchdog period, STOPPING=1 on SIGTERM, all
# over a test NOTIFY_SOCKET. No avahi-daemon on this host: DNS-SD is
# reported once and multicast discovery serves the slave as usual.
source "$(dirname "$0")/lib/netns.sh"
nj_require
[ -x "$NJ_BUILD/daemon/netjack-master" ] || nj_skip "netjack-master not built"
nj_net 2
sock=$NJ_LOGDIR/notify.sock
nlog=$NJ_LOGDIR/notify.txt
: >"$nlog"
nj_bg h1 notify "$NJ_PY" "$NJ_LIB/notify.py" "$sock" "$nlog"
for _ in $(seq 1 30); do [ -S "$sock" ] && break; sleep 0.1; done
# started ahead of JACK: ready, and says it waits
nj_bg h1 master env NOTIFY_SOCKET="$sock" WATCHDOG_USEC=1000000 \
	"$NJ_BUILD/daemon/netjack-master" -v
mpid=$NJ_LASTPID
sleep 1.5
grep -q 'READY=1' "$nlog" || nj_fail "no READY=1 while waiting for a JACK server"
grep -q 'STATUS=.*waiting for the JACK server' "$nlog" || nj_fail "no STATUS= while waiting for JACK"
# "waiting" is said once ready, never while systemd still sees the unit activating
"$NJ_PY" - "$nlog" <<'PY' || nj_fail "STATUS= said it waits for JACK before READY=1"
import sys
lines = [l.split(" ", 1)[1].strip() for l in open(sys.argv[1])]
ready = lines.index("READY=1")
waiting = min(i for i, l in enumerate(lines) if "waiting for the JACK server" in l)
print(f"READY=1 is assignment {ready}, the first 'waiting' {waiting}")
assert waiting > ready
PY
nj_jackd h1
for _ in $(seq 1 40); do grep -q 'STATUS=0 slave(s)$' "$nlog" && break; sleep 0.1; done
grep -q 'STATUS=0 slave(s)$' "$nlog" || nj_fail "no STATUS= without \"waiting\" after JACK came up"
nj_jack2_slave h2 slave1
nj_wait_port h1 '^slave1:from_slave_2$' 5 || nj_fail "the jack2 slave did not join by multicast"
sleep 2.5
grep -q 'STATUS=1 slave(s)' "$nlog" || nj_fail "no STATUS= with the slave count"
kill -TERM "$mpid"
for _ in $(seq 1 30); do kill -0 "$mpid" 2>/dev/null || break; sleep 0.1; done
grep -q 'STOPPING=1' "$nlog" || nj_fail "no STOPPING=1 on SIGTERM"
"$NJ_PY" - "$nlog" <<'PY' || nj_fail "the watchdog was not fed every half period"
import sys
t = [float(l.split()[0]) for l in open(sys.argv[1]) if l.split()[1:] == ["WATCHDOG=1"]]
gaps = [b - a for a, b in zip(t, t[1:])]
print(f"WATCHDOG=1 x{len(t)}, largest gap {max(gaps):.3f} s")
assert len(t) >= 6 and max(gaps) <= 0.6, gaps
PY
n=$(grep -c 'DNS-SD' "$NJ_LOGDIR/master.log")
[ "$n" = 1 ] || nj_fail "expected one DNS-SD line without avahi, got $n"
grep 'DNS-SD' "$NJ_LOGDIR/master.log"
nj_log "PASS"
