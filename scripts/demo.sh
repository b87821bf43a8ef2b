#!/usr/bin/env bash
# demo.sh - the interoperability demo: install, build, and show netjack with a jack2 slave.
#
# Two hosts in network namespaces on this machine, each with its own
# dummy-driver JACK server: host1 runs netjack-master, host2 a jack2 slave
# (jackd -d net; our own netjack-slave is not there yet). Shows the slave's
# ports appearing on the master and the measured round trip, then cleans up.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
BUILD=${BUILD:-build}
[ -d "$BUILD" ] || meson setup "$BUILD" >/dev/null
ninja -C "$BUILD" >/dev/null

echo "== libnetproto's view of a jack2 session captured on the wire (first packets)"
"$BUILD/tools/netjack-dump" -q -n 6 tests/vectors/jack2-float-2ch.hex
echo

export NJ_BUILD=$PWD/$BUILD
# shellcheck source=../tests/integration/lib/netns.sh
source tests/integration/lib/netns.sh
nj_require
echo "== two hosts: host1 (198.18.0.2) master, host2 (198.18.0.3) slave"
nj_net 2
nj_master h1
echo "host1: jackd (dummy, 48 kHz, period 256) + netjack-master"
nj_bg h2 slave jackd -R -P 70 -d net -n studio-b -C 2 -P 2 -i 1 -o 1 -l 2
echo "host2: jackd -d net -n studio-b -C 2 -P 2 -i 1 -o 1 -l 2"
nj_wait_port h1 '^studio-b:from_slave_2$' 5 || nj_fail "the slave did not join"
echo
echo "== ports of studio-b on host1 (jack_lsp):"
nj_on h1 jack_lsp | grep '^studio-b:' | sed 's/^/  /'
nj_loop h2
echo
echo "== round trip: seeded noise host1 -> studio-b -> (loop on host2) -> host1"
out=$(nj_on h1 "$NJ_PY" "$NJ_LIB/njaudio.py" roundtrip --seconds 3 --seed 1 \
	--out studio-b:to_slave_1,studio-b:to_slave_2 --in studio-b:from_slave_1,studio-b:from_slave_2)
echo "$out" | "$NJ_PY" "$NJ_LIB/report.py"
echo
echo "== netjack-master's log"
sed 's/^/  /' "$NJ_LOGDIR/master.log"
