#!/usr/bin/env bash
# quickstart.sh - netjack in one command, on a fresh Debian 12 machine, as root:
# installs what it needs, builds, starts three namespace "machines" (each with
# its own avahi-daemon and dummy-driver JACK server), runs netjack-master on
# host1, `netjack-slave --auto` on host2 and a JackTrip 1.7.0 client
# (`jacktrip -C host1`) on host3, shows both appearing on the master side by
# side (a netJACK2 slave and a JackTrip client), netjack-browse,
# `netjack-ctl status` with live counters, and the measured round trip of
# seeded noise host1 -> host2 -> host1, then stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "quickstart: run as root (namespaces, apt-get)" >&2; exit 1; }
bash scripts/deps.sh
BUILD=${BUILD:-build}
[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" >/dev/null
ninja -C "$BUILD" >/dev/null
export NJ_BUILD=$PWD/$BUILD
set +e
source tests/integration/lib/netns.sh
nj_require
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "three hosts on a private bridge: host1 (198.18.0.2), host2 (.3), host3 (.4)"
nj_net 3
nj_avahi h1
nj_avahi h2
nj_jackd h1
nj_jackd h2
nj_jackd h3
say "host1: netjack-master (DNS-SD and multicast discovery; a JackTrip hub too)"
nj_bg h1 master "$NJ_BUILD/daemon/netjack-master" --jacktrip
say "host2: netjack-slave --auto"
nj_bg h2 slave "$NJ_BUILD/daemon/netjack-slave" --auto
nj_wait_port h1 '^host2:from_slave_2$' 10 || nj_fail "the slave did not join (logs below)"
say "host3: a JackTrip 1.7.0 client, jacktrip -C 198.18.0.2 -K alice"
nj_bg h3 jacktrip jacktrip -C 198.18.0.2 -n 2 -K alice -D
nj_wait_port h1 '^alice:receive_2$' 15 || nj_fail "the JackTrip client did not join (logs below)"
say "host1's JACK ports (jack_lsp): the netJACK2 slave is the client host2, the JackTrip client alice"
nj_on h1 jack_lsp
say "netjack-browse on host1"
nj_on h1 "$NJ_BUILD/tools/netjack-browse"
for i in 1 2 3; do
	say "netjack-ctl status on host1 ($i/3)"
	nj_on h1 "$NJ_BUILD/tools/netjack-ctl" status
	sleep 1
done
say "round trip: seeded noise from host1 through host2 (a pass-through client there) and back"
nj_bg h2 loop "$NJ_PY" "$NJ_LIB/njaudio.py" loop --in netjack:capture_1,netjack:capture_2 \
	--out netjack:playback_1,netjack:playback_2
nj_slave_settle "$NJ_LOGDIR/slave.log"
summary=$(cat <<'PY'
import json, sys
r = json.load(sys.stdin)
c = r["channels"][0]
d = c["delay"] if c.get("delay") is not None else c["corr_delay"]
corr = min(x["corr"] for x in r["channels"])
print(f"round trip {d} frames = {1000 * d / r['rate']:.1f} ms at {r['rate']} Hz, period "
      f"{r['period']}; correlation {corr} (the hosts keep their own clocks: the slave's "
      "bridge resamples, so the audio is not bit-exact)")
PY
)
nj_on h1 "$NJ_PY" "$NJ_LIB/njaudio.py" roundtrip --seconds 3 --seed 1 \
	--out host2:to_slave_1,host2:to_slave_2 --in host2:from_slave_1,host2:from_slave_2 |
	"$NJ_PY" -c "$summary"
say "netjack-ctl --slave status on host2"
nj_on h2 "$NJ_BUILD/tools/netjack-ctl" --slave status
say "the daemons' logs"
cat "$NJ_LOGDIR/master.log" "$NJ_LOGDIR/slave.log"
say "cleaning up (every process by PID, then the namespaces)"
