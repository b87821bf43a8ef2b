#!/usr/bin/env bash
# 47: discovery survives the network changing under the daemons (netlink).
#   master  netjack-master starts while its host's link is down (no route to
#           the group: jack2's netmanager cannot join then and gives up); it
#           says so, waits, and joins once the link is up. A jack2 slave
#           joins. Then the host's interface leaves the namespace and comes
#           back (a NIC unplugged and plugged in again: the kernel forgets
#           every membership on it, and its index is new): the master joins
#           again, and a second jack2 slave is found by multicast. Then the
#           link goes down and up, its route coming back a second later: a
#           third jack2 slave is found.
#   slave   netjack-slave --auto --interface eth0 starts before its
#           interface exists in its namespace; when it arrives (and again
#           after it went and came back) the slave announces at once and
#           joins netjack-master.
# Usage: 47-netchange.sh master|slave
source "$(dirname "$0")/lib/netns.sh"
case=${1:?case: master or slave}
nj_require
[ -x "$NJ_BUILD/daemon/netjack-master" ] || nj_skip "netjack-master not built"

# unplug HOST: its eth0 leaves for the switch's namespace (parked there, down)
unplug() {
	ip -n "${NJ_TAG}-$1" link set eth0 netns "${NJ_TAG}-sw"
	ip -n "${NJ_TAG}-sw" link set eth0 name "park$1"
}
# plug HOST N: it comes back, as a network manager would set it up: address
# 198.18.0.N, up, the route for multicast
plug() {
	ip -n "${NJ_TAG}-sw" link set "park$1" netns "${NJ_TAG}-$1"
	ip -n "${NJ_TAG}-$1" link set "park$1" name eth0
	ip -n "${NJ_TAG}-$1" addr add "198.18.0.$2/24" dev eth0
	ip -n "${NJ_TAG}-$1" link set eth0 up
	ip -n "${NJ_TAG}-$1" route add 224.0.0.0/4 dev eth0
}

nj_net 4
nj_jackd h1 || nj_fail "jackd on host1"
case $case in
master)
	unplug h1
	nj_bg h1 master "$NJ_BUILD/daemon/netjack-master" -v
	NJ_MASTER_PID=$NJ_LASTPID
	nj_wait_log "$NJ_LOGDIR/master.log" 'cannot join the discovery group' 5 ||
		nj_fail "the master did not say it cannot join yet"
	kill -0 "$NJ_MASTER_PID" || nj_fail "the master exited without a network"
	plug h1 2
	nj_wait_log "$NJ_LOGDIR/master.log" 'joined the discovery group' 5 ||
		nj_fail "the master did not join once the link was up"
	nj_jack2_slave h2 slave1
	nj_wait_port h1 '^slave1:from_slave_2$' 6 || nj_fail "slave1 did not join"
	nj_log "slave1 joined after the link came up"
	unplug h1
	sleep 1
	before=$(grep -c 'joined the discovery group' "$NJ_LOGDIR/master.log")
	plug h1 2
	for _ in $(seq 1 50); do
		[ "$(grep -c 'joined the discovery group' "$NJ_LOGDIR/master.log")" -gt "$before" ] && break
		sleep 0.1
	done
	[ "$(grep -c 'joined the discovery group' "$NJ_LOGDIR/master.log")" -gt "$before" ] ||
		nj_fail "the master did not rejoin after the interface came back"
	nj_jack2_slave h3 slave2
	nj_wait_port h1 '^slave2:from_slave_2$' 8 ||
		nj_fail "slave2 was not found by multicast after the interface came back"
	# the link down and up, its multicast route back only a second later
	# (as a slow network manager does): the membership must not be lost
	# in between
	ip -n "${NJ_TAG}-h1" link set eth0 down
	sleep 0.5
	ip -n "${NJ_TAG}-h1" link set eth0 up
	sleep 1
	ip -n "${NJ_TAG}-h1" route add 224.0.0.0/4 dev eth0
	sleep 0.5
	nj_jack2_slave h4 slave3
	nj_wait_port h1 '^slave3:from_slave_2$' 8 ||
		nj_fail "slave3 was not found by multicast after the link went down and up"
	grep -E 'join' "$NJ_LOGDIR/master.log"
	nj_log "PASS: master: waited for the network, rejoined after the interface came back"
	;;
slave)
	nj_bg h1 master "$NJ_BUILD/daemon/netjack-master" -v
	nj_jackd h2 || nj_fail "jackd on host2"
	unplug h2
	nj_bg h2 slave "$NJ_BUILD/daemon/netjack-slave" -v --auto --discovery multicast \
		--interface eth0 -C 2 -P 2 -i 0 -o 0
	nj_wait_log "$NJ_LOGDIR/slave.log" 'interface eth0' 5 ||
		nj_fail "the slave did not say its interface is missing"
	plug h2 3
	t0=$(date +%s%N)
	nj_wait_port h1 '^host2:from_slave_2$' 5 || nj_fail "the slave did not join once its interface came"
	nj_log "joined $((($(date +%s%N) - t0) / 1000000)) ms after the interface came"
	nj_log "PASS: slave: announced on its interface as soon as it came"
	;;
*) nj_fail "unknown case $case" ;;
esac
