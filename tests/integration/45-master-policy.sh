#!/usr/bin/env bash
# 45: who may join the master (--allow, --allow-name, --require-auth).
#   allow: netjack-master --allow 198.18.0.3/32 and two jack2 slaves (jackd
#     -d net): the one at 198.18.0.3 joins (its ports on the master, seeded
#     noise back bit-exact at 1024 frames in 90 % of the periods: audio
#     flows; a machine that stalls costs periods), the one at 198.18.0.4 is
#     refused: no ports, exactly one refusal line naming it however often it
#     announces, `refused_policy` >= 1 in `netjack-ctl status --json`.
#   name: --allow 10.0.0.0/8 --allow-name slave2: the slave at 198.18.0.4
#     is admitted by its client name (jackd -d net -n slave2).
#   auth: --require-auth --psk-file: a jack2 slave (it cannot authenticate) is
#     refused the same way, with "authentication required"; a netjack-slave
#     with the key joins, its session authenticated.
#   jacktrip: --jacktrip --allow-name alice: `jacktrip -C -K alice` joins,
#     `-K mallory` is refused (one line, no UDP port, no ports, counted).
source "$(dirname "$0")/lib/netns.sh"
nj_require
m="$NJ_BUILD/daemon/netjack-master"
[ -x "$m" ] || nj_skip "netjack-master not built"
case=${1:-allow}

# refused NAME WHY: NAME has no port on the master, one refusal line naming
# it and WHY (after 3 or more announcements), and the status counts it.
refused() {
	local name=$1 why=$2 n st
	sleep 3.5 # jack2 slaves announce every second
	nj_on h1 jack_lsp | grep -q "^$name:" && nj_fail "$name was let in"
	n=$(grep -c "refused netJACK2 slave \"$name\" (host \"host[0-9]\") at 198.18.0.[0-9]*:[0-9]*: $why" \
		"$NJ_LOGDIR/master.log" || true)
	grep 'refused' "$NJ_LOGDIR/master.log"
	[ "$n" = 1 ] || nj_fail "expected one refusal line for $name ($why), found $n"
	st=$(nj_on h1 "$NJ_BUILD/tools/netjack-ctl" status --json)
	"$NJ_PY" - "$st" "$name" <<'PY' || nj_fail "the status does not count the refusal: $st"
import json, sys
s = json.loads(sys.argv[1])
print("refused_policy", s["refused_policy"], "policy", json.dumps(s["policy"]))
assert s["refused_policy"] >= 1 and s["policy"]["refused"]["netjack2"] >= 1, s
assert all(x["name"] != sys.argv[2] for x in s["sessions"]), s["sessions"]
PY
}

nj_net 3
case $case in
allow)
	nj_master h1 48000 256 --allow 198.18.0.3/32
	nj_jack2_slave h2 slave1
	nj_jack2_slave h3 slave2
	nj_wait_port h1 '^slave1:from_slave_2$' 5 || nj_fail "slave1 (198.18.0.3, in --allow) did not join"
	refused slave2 "not in the --allow list"
	st=$(nj_on h1 "$NJ_BUILD/tools/netjack-ctl" status --json)
	"$NJ_PY" - "$st" <<'PY' || nj_fail "the status does not show the policy: $st"
import json, sys
s = json.loads(sys.argv[1])
p = s["policy"]
assert p["allow"] == ["198.18.0.3/32"] and p["allow_name"] == [] and not p["require_auth"], p
assert [x["name"] for x in s["sessions"]] == ["slave1"], s["sessions"]
PY
	# the admitted slave's audio flows: seeded noise through a loop on h2
	nj_loop h2
	if ! nj_roundtrip h1 slave1 3 45 1024 56 >"$NJ_LOGDIR/roundtrip.json"; then
		cut -c1-300 "$NJ_LOGDIR/roundtrip.json"
		nj_exact_or_inconclusive "slave1's audio did not come back"
	fi
	cut -c1-200 "$NJ_LOGDIR/roundtrip.json"
	;;
name)
	nj_master h1 48000 256 --allow 10.0.0.0/8 --allow-name slave2
	nj_jack2_slave h2 slave1
	nj_jack2_slave h3 slave2
	nj_wait_port h1 '^slave2:from_slave_2$' 5 || nj_fail "slave2 (--allow-name slave2) did not join"
	refused slave1 "not in the --allow list"
	;;
auth)
	"$NJ_BUILD/tools/netjack-ctl" genkey "$NJ_LOGDIR/key" || nj_fail "netjack-ctl genkey"
	nj_master h1 48000 256 --require-auth --psk-file "$NJ_LOGDIR/key"
	nj_jack2_slave h2 slave1
	# a netjack slave with the key is let in
	nj_jackd h3 || nj_fail "jackd on host3"
	nj_bg h3 nslave "$NJ_BUILD/daemon/netjack-slave" -v --auto -C 2 -P 2 -i 0 -o 0 \
		--psk-file "$NJ_LOGDIR/key"
	refused slave1 "authentication required"
	nj_wait_port h1 '^host3:from_slave_2$' 8 ||
		nj_fail "an authenticated netjack-slave did not join under --require-auth"
	nj_on h1 "$NJ_BUILD/tools/netjack-ctl" status --json | grep -q '"auth":"psk"' ||
		nj_fail "the netjack-slave's session is not authenticated"
	;;
jacktrip)
	command -v jacktrip >/dev/null || nj_skip "needs jacktrip"
	nj_master h1 48000 256 --jacktrip --allow-name alice
	for c in 2:alice 3:mallory; do
		nj_jackd "h${c%%:*}" || nj_fail "no JACK server on h${c%%:*}"
		nj_bg "h${c%%:*}" "jt-${c#*:}" jacktrip -C 198.18.0.2 -n 2 -K "${c#*:}" -J jtc -D
	done
	nj_wait_port h1 '^alice:receive_2$' 10 || nj_fail "jacktrip -C -K alice did not join"
	sleep 2
	nj_on h1 jack_lsp | grep -q '^mallory:' && nj_fail "mallory was let in"
	grep 'refused' "$NJ_LOGDIR/master.log"
	n=$(grep -c 'refused JackTrip client "mallory" at 198.18.0.4:[0-9]*: not in the --allow list' \
		"$NJ_LOGDIR/master.log" || true)
	[ "$n" = 1 ] || nj_fail "expected one refusal line for mallory, found $n"
	grep -q 'JackTrip client "mallory".*UDP port' "$NJ_LOGDIR/master.log" && nj_fail "mallory got a UDP port"
	st=$(nj_on h1 "$NJ_BUILD/tools/netjack-ctl" status --json)
	"$NJ_PY" - "$st" <<'PY' || nj_fail "the status does not count the refusal: $st"
import json, sys
s = json.loads(sys.argv[1])
print("refused_policy", s["refused_policy"], "policy", json.dumps(s["policy"]))
assert s["policy"]["refused"]["jacktrip"] == s["refused_policy"] >= 1, s
assert [x["name"] for x in s["sessions"]] == ["alice"], s["sessions"]
PY
	;;
*) nj_fail "unknown case $case" ;;
esac
kill -0 "$NJ_MASTER_PID" || nj_fail "netjack-master died"
nj_log "PASS"
