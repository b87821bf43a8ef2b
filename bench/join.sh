#!/usr/bin/env bash
# bench/join.sh KIND: one measurement of how long a slave takes to join, for
# bench/run.sh: the time from the slave's start to its ports on the master's
# JACK server (a client on host1 asking for them every 2 ms, as jack_lsp
# would). host1 runs a dummy-driver jackd and the master, host2 the slave:
#   KIND multicast: netjack-master; jackd and then (timed) netjack-slave
#                   --auto --discovery multicast on host2
#   KIND dnssd:     the same with --discovery dnssd, each host with its own
#                   avahi-daemon
#   KIND jack2:     jack_load netmanager; (timed) jackd -d net on host2
# Prints: join KIND seconds
here=$(cd "$(dirname "$0")" && pwd)
kind=${1:?multicast, dnssd or jack2}
source "$here/../tests/integration/lib/netns.sh"
source "$here/lib.sh"
nj_require >/dev/null

nj_net 2
if [ "$kind" = dnssd ]; then
	nj_avahi h1
	nj_avahi h2
fi
nj_jackd h1 >/dev/null || nj_fail "jackd on host1"
if [ "$kind" = jack2 ]; then
	nj_on h1 jack_load netmanager >/dev/null 2>&1 || nj_fail "jack_load netmanager"
else
	nj_bg h1 master "$NJ_BUILD/daemon/netjack-master"
	nj_jackd h2 >/dev/null || nj_fail "jackd on host2"
fi
nj_bg h1 watch "$NJ_PY" -c '
import jack, sys, time
c = jack.Client("njjoin", no_start_server=True)
print("ready", flush=True)
while not c.get_ports(sys.argv[1]):
    time.sleep(0.002)
print("seen %.6f" % time.time(), flush=True)' '^host2:from_slave_1$'
for _ in $(seq 1 100); do grep -q ready "$NJ_LOGDIR/watch.log" && break; sleep 0.05; done
sleep 1 # the master settles (published, listening)
t0=$(date +%s.%N)
if [ "$kind" = jack2 ]; then
	nj_jack2_slave h2 host2 2 async 2
else
	nj_bg h2 slave "$NJ_BUILD/daemon/netjack-slave" --auto --discovery "$kind" -C 2 -P 2 -i 0 -o 0
fi
for _ in $(seq 1 200); do grep -q seen "$NJ_LOGDIR/watch.log" && break; sleep 0.05; done
t1=$(sed -n 's/^seen //p' "$NJ_LOGDIR/watch.log")
[ -n "$t1" ] || { echo "join $kind -"; exit 0; }
echo "join $kind $("$NJ_PY" -c "print(round($t1 - $t0, 3))")"
