#!/usr/bin/env bash
# 24: netjack-slave --master HOST, unicast, and the announcement's options.
#   jack2  jack2's netmanager on host1, the slave with --master 198.18.0.2,
#          --name studio-b, --client-name nj2, --latency 0, --mtu 9000 (the
#          names from a config file, whose "latency = 3" the command line
#          overrides): the
#          master's client is studio-b, the slave's nj2, the session says
#          latency 0 and MTU 9000 (the slave's status), and the round trip
#          (--resampler none) is bit-exact.
#   ipv6   netjack-master listening on IPv6 (an IPv6 discovery group: its
#          socket is [::]:19000), the slave with --master [fd00:198:18::2]:19000
#          and --latency 1: joins over IPv6, bit-exact, and netjack-master's
#          status shows the slave's IPv6 address.
#   dual   the same slave against netjack-master with its defaults (the IPv4
#          group): the master also listens on [::]:19000, so an IPv6 slave
#          joins it by unicast.
# Usage: 24-slave-unicast.sh jack2|ipv6|dual
source "$(dirname "$0")/lib/netns.sh"
case=${1:?case: jack2 or ipv6}
nj_require
[ -x "$NJ_BUILD/daemon/netjack-slave" ] || nj_skip "netjack-slave not built"
ctl=$NJ_BUILD/tools/netjack-ctl

nj_net 2
nj_jackd h1 || nj_fail "jackd on host1"
nj_jackd h2 || nj_fail "jackd on host2"
case $case in
jack2)
	nj_on h1 jack_load netmanager >/dev/null 2>&1 || nj_fail "jack_load netmanager failed"
	name=studio-b client=nj2 lat=0 mtu=9000
	conf=$NJ_LOGDIR/slave.conf
	printf '# a test config\nname = %s\nclient-name = %s\nlatency = 3\n' $name $client >"$conf"
	nj_bg h2 slave "$NJ_BUILD/daemon/netjack-slave" -v --config "$conf" --master 198.18.0.2 \
		-l $lat -M $mtu -C 2 -P 2 -i 0 -o 0 -r none
	;;
ipv6 | dual)
	if [ "$case" = ipv6 ]; then
		nj_bg h1 master "$NJ_BUILD/daemon/netjack-master" -v --multicast-ip ff02::3:19:154 --interface eth0
	else
		nj_bg h1 master "$NJ_BUILD/daemon/netjack-master" -v
	fi
	for _ in $(seq 1 50); do grep -q 'listening on' "$NJ_LOGDIR/master.log" && break; sleep 0.1; done
	name=host2 client=netjack lat=1 mtu=1500
	nj_bg h2 slave "$NJ_BUILD/daemon/netjack-slave" -v --master '[fd00:198:18::2]:19000' -l $lat \
		-C 2 -P 2 -i 0 -o 0 -r none
	;;
*) nj_fail "unknown case $case" ;;
esac
nj_wait_port h1 "^$name:from_slave_2\$" 8 || nj_fail "the slave's ports did not appear on the master as $name"
nj_wait_port h2 "^$client:capture_2\$" 2 || nj_fail "the slave's JACK client is not $client"
grep 'joined master' "$NJ_LOGDIR/slave.log"
st=$(nj_on h2 "$ctl" --slave status --json)
read -r slat smtu saddr < <("$NJ_PY" -c '
import json, sys
s = json.load(sys.stdin)["sessions"][0]
print(s["latency_cycles"], s["mtu"], s["address"])' <<<"$st")
[ "$slat" = "$lat" ] || nj_fail "the session's latency is $slat, asked for $lat"
[ "$smtu" = "$mtu" ] || nj_fail "the session's MTU is $smtu, asked for $mtu"
if [ "$case" != jack2 ]; then
	case $saddr in *fd00:198:18::2*) ;; *) nj_fail "the slave's master is $saddr, not the IPv6 address" ;; esac
	mst=$(nj_on h1 "$ctl" status --json)
	grep -q 'fd00:198:18::3' <<<"$mst" || nj_fail "netjack-master does not show the slave's IPv6 address: $mst"
fi
nj_bg h2 loop "$NJ_PY" "$NJ_LIB/njaudio.py" loop --in "$client:capture_1,$client:capture_2" \
	--out "$client:playback_1,$client:playback_2"
nj_slave_settle "$NJ_LOGDIR/slave.log"
late0=$(nj_slave_late h2)
out=$(nj_on h1 "$NJ_PY" "$NJ_LIB/njaudio.py" roundtrip --seconds 4 --seed 4 \
	--out "$name:to_slave_1,$name:to_slave_2" --in "$name:from_slave_1,$name:from_slave_2" \
	--expect-exact --max-bad 2)
rc=$?
echo "$out"
[ "$rc" = 0 ] || nj_glitch_or_fail "$late0" h2 "the unicast round trip ($case) was not exact"
d=$("$NJ_PY" -c 'import json,sys; print(json.load(sys.stdin)["channels"][0]["delay"])' <<<"$out")
nj_log "PASS: $case: --master $saddr, latency $slat, MTU $smtu, names $name/$client, round trip $d frames bit-exact"
