#!/usr/bin/env bash
# jt-capture.sh OUTDIR [CASE...] - capture JackTrip 1.7.0 traffic between two
# network-namespace hosts, one case at a time (all cases without arguments).
#
# Each case makes a switch namespace and two hosts, h1 198.18.0.2 (hub or P2P
# server) and h2 198.18.0.3 (client), each with its own /run, /tmp, /dev/shm
# and hostname and its own dummy-driver JACK server (started before jacktrip,
# which would otherwise start one itself). A known-signal client
# (jt-signal.py) feeds the send ports on both sides: tag 1 on h1, tag 2 on
# h2. tcpdump on h1's interface writes OUTDIR/CASE.pcap; jacktrip's output,
# its exit status and `jack_lsp -c` of both hosts go next to it. Then
# jt-pcap2hex.py turns the pcaps into tests/vectors/jacktrip-*.hex.
#
# Needs root, jacktrip, jackd2, tcpdump and python3-jack-client. Traffic stays
# inside the namespaces made here; every process is stopped by PID and the
# namespaces are deleted on exit (trap), also on failure.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:?usage: jt-capture.sh OUTDIR [CASE...]}
shift
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
TAG="jt$$"
PY=/usr/bin/python3
SRV=198.18.0.2
PIDS=()
NETNS=()
declare -A ANCHOR

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }

# stop PID [SIGNAL]: signal PID, wait up to 5 s, then SIGKILL; its exit status
# goes to STOPRC (128 + signal number when a signal ended it).
stop() {
	local pid=$1 sig=${2:-TERM} rc=0
	kill -"$sig" "$pid" 2>/dev/null || true
	for _ in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || rc=$?
	STOPRC=$rc
}

teardown() {
	set +e
	local i
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
		kill -0 "${PIDS[$i]}" 2>/dev/null && stop "${PIDS[$i]}"
	done
	PIDS=()
	for ns in "${NETNS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	NETNS=()
	set -e
}
trap teardown EXIT
trap 'exit 130' INT TERM

track() { PIDS+=("$1"); }

# net: a switch and hosts h1, h2 (198.18.0.2, .3).
net() {
	local sw="${TAG}-sw" i ns
	ip netns add "$sw"; NETNS+=("$sw")
	ip -n "$sw" link add br0 type bridge
	ip -n "$sw" link set br0 up
	for i in 1 2; do
		ns="${TAG}-h$i"
		ip netns add "$ns"; NETNS+=("$ns")
		ip link add "${TAG}-h$i" type veth peer name "${TAG}-s$i"
		ip link set "${TAG}-h$i" netns "$ns"
		ip link set "${TAG}-s$i" netns "$sw"
		ip -n "$sw" link set "${TAG}-s$i" master br0 up
		ip -n "$ns" addr add "198.18.0.$((i + 1))/24" dev "${TAG}-h$i"
		ip -n "$ns" link set lo up
		ip -n "$ns" link set "${TAG}-h$i" up
		ip netns exec "$ns" unshare -m -u --propagation private sh -c "
			mount -t tmpfs tmpfs /run; mount -t tmpfs tmpfs /tmp
			mount -t tmpfs tmpfs /dev/shm; hostname jthost$i
			exec sleep 100000" &
		ANCHOR[h$i]=$!
		track $!
	done
	sleep 0.3
}

on() { local h=$1; shift; nsenter -t "${ANCHOR[$h]}" -m -n -u -- "$@"; }

# bg HOST LOG CMD...: CMD on HOST in the background; sets LAST.
bg() {
	local h=$1 lf=$2; shift 2
	nsenter -t "${ANCHOR[$h]}" -m -n -u -- "$@" >"$lf" 2>&1 &
	LAST=$!
	track "$LAST"
}

jackd_on() {
	local h=$1 rate=$2 period=$3
	bg "$h" "$OUT/$CASE-jackd-$h.log" jackd -R -P 70 -d dummy -r "$rate" -p "$period"
	on "$h" timeout 20 jack_wait -w -t 10 >/dev/null
}

# wait_port HOST REGEX: until jack_lsp on HOST lists a match (10 s).
wait_port() {
	for _ in $(seq 1 100); do
		on "$1" timeout 10 jack_lsp 2>/dev/null | grep -Eq "$2" && return 0
		sleep 0.1
	done
	log "$CASE: no port matching $2 on $1"
	return 1
}

# patch HOST FROM_CLIENT TO_CLIENT N: FROM:out_i -> TO:send_i, i = 1..N.
patch() {
	local i
	for i in $(seq 1 "$4"); do
		on "$1" timeout 10 jack_connect "$2:out_$i" "$3:send_$i" || log "$CASE: connect $2:out_$i $3:send_$i failed"
	done
}

# sendports HOST CLIENT: how many send_N ports CLIENT has on HOST.
sendports() { on "$1" timeout 10 jack_lsp 2>/dev/null | grep -c "^$2:send_" || true; }

dump_start() {
	bg h1 "$OUT/$CASE-tcpdump.log" tcpdump -i "${TAG}-h1" --immediate-mode -U -s 0 -w "$OUT/$CASE.pcap" \
		'tcp port 4464 or udp or icmp'
	DUMP=$LAST
	for _ in $(seq 1 50); do
		grep -q 'listening on' "$OUT/$CASE-tcpdump.log" 2>/dev/null && break
		sleep 0.1
	done
}

lsp() { on "$1" timeout 10 jack_lsp -c -p -t >"$OUT/$CASE-lsp-$1.txt" 2>&1 || true; }

note() { echo "$*" >>"$OUT/$CASE-notes.txt"; }

# outlives PID WHO WHEN WHY: note whether WHO (PID) exits by itself within
# 3 s after WHEN (it should, because of WHY); stop it if not.
outlives() {
	local rc
	for _ in $(seq 1 30); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$1" 2>/dev/null; then
		note "$2 still running 3 s after $3"
		stop "$1" TERM
	else
		wait "$1" && rc=0 || rc=$?
		note "$2 exited by itself after $4: exit status $rc"
	fi
}

# start_pair CLIENT_RATE CLIENT_PERIOD SERVER_ARGS CLIENT_ARGS: hosts, JACK
# servers (h1 at 48000/128), tcpdump, the signal generators, then jacktrip
# SERVER_ARGS on h1 and a second later jacktrip CLIENT_ARGS on h2; sets SPID
# and CPID.
start_pair() {
	net
	jackd_on h1 48000 128
	jackd_on h2 "$1" "$2"
	dump_start
	bg h1 "$OUT/$CASE-sig-h1.log" "$PY" "$HERE/jt-signal.py" srvsig 8 1
	bg h2 "$OUT/$CASE-sig-h2.log" "$PY" "$HERE/jt-signal.py" clisig 8 2
	# shellcheck disable=SC2086
	bg h1 "$OUT/$CASE-jacktrip-h1.log" jacktrip $3
	SPID=$LAST
	sleep 1
	# shellcheck disable=SC2086
	bg h2 "$OUT/$CASE-jacktrip-h2.log" jacktrip $4
	CPID=$LAST
}

# hub SRV_ARGS CLI_ARGS CLI_RATE CLI_PERIOD STOPWHO SIGNAL [SECONDS]
# A hub server on h1 (48 kHz/128), one hub client on h2, the known signal on
# both sides, then STOPWHO (client|server) is stopped with SIGNAL.
hub() {
	local sargs=$1 cargs=$2 crate=$3 cper=$4 who=$5 sig=$6 secs=${7:-2}
	local jts jtc cname sname n rc r1 r2
	: >"$OUT/$CASE-notes.txt"
	note "server: jacktrip -S $sargs (h1, 48000/128)"
	note "client: jacktrip -C $SRV $cargs (h2, $crate/$cper)"
	start_pair "$crate" "$cper" "-S $sargs" "-C $SRV $cargs"
	jts=$SPID
	jtc=$CPID
	cname=$SRV
	case " $cargs " in *" -J "*) cname=$(sed -E 's/.* -J ([^ ]+).*/\1/' <<<" $cargs ") ;; esac
	if wait_port h2 "^$cname:send_1\$"; then
		n=$(sendports h2 "$cname")
		patch h2 clisig "$cname" "$n"
	fi
	# the server's per-client client appears at the client's first datagram
	if wait_port h1 ':send_1$'; then
		sname=$(on h1 timeout 10 jack_lsp | grep -E ':send_1$' | head -1 | sed 's/:send_1$//')
		n=$(sendports h1 "$sname")
		patch h1 srvsig "$sname" "$n"
		note "server-side JACK client: $sname ($n send ports)"
	fi
	sleep "$secs"
	lsp h1
	lsp h2
	if [ -n "${RECORD:-}" ] && [ -n "${sname:-}" ]; then
		# what each side's receive_1 plays of the other's signal
		bg h1 "$OUT/$CASE-record-h1.log" "$PY" "$HERE/jt-record.py" rec "$sname:receive_1" 2 "$cper" 16 1.5
		r1=$LAST
		bg h2 "$OUT/$CASE-record-h2.log" "$PY" "$HERE/jt-record.py" rec "$cname:receive_1" 1 128 16 1.5
		r2=$LAST
		wait "$r1" "$r2" || true
		note "h1 $(cat "$OUT/$CASE-record-h1.log")"
		note "h2 $(cat "$OUT/$CASE-record-h2.log")"
	fi
	if [ "$who" = client ] && ! kill -0 "$jtc" 2>/dev/null; then
		wait "$jtc" && rc=0 || rc=$?
		note "client had exited by itself before the end of the case: exit status $rc"
		note "server still running: $(kill -0 "$jts" 2>/dev/null && echo yes || echo no)"
		stop "$jts" TERM; rc=$STOPRC
		note "server stopped with SIGTERM: exit status $rc"
	elif [ "$who" = client ]; then
		stop "$jtc" "$sig"; rc=$STOPRC
		note "client stopped with SIG$sig: exit status $rc"
		sleep 1
		note "server still running after the client left: $(kill -0 "$jts" 2>/dev/null && echo yes || echo no)"
		stop "$jts" TERM; rc=$STOPRC
		note "server stopped with SIGTERM: exit status $rc"
	else
		stop "$jts" "$sig"; rc=$STOPRC
		note "server stopped with SIG$sig: exit status $rc"
		outlives "$jtc" client "the server stopped" "the server's exit packets"
	fi
	sleep 1
	stop "$DUMP" TERM
	teardown
}

# p2p SRV_ARGS CLI_ARGS: jacktrip -s on h1, jacktrip -c on h2 (48 kHz/128 both).
p2p() {
	local sargs=$1 cargs=$2 jts jtc n rc
	: >"$OUT/$CASE-notes.txt"
	note "server: jacktrip -s $sargs (h1, 48000/128)"
	note "client: jacktrip -c $SRV $cargs (h2, 48000/128)"
	start_pair 48000 128 "-s $sargs" "-c $SRV $cargs"
	jts=$SPID
	jtc=$CPID
	wait_port h2 "^$SRV:send_1\$" && patch h2 clisig "$SRV" "$(sendports h2 "$SRV")"
	# jacktrip -s activates its JACK client at the client's first datagram
	sleep 0.5
	wait_port h1 '^JackTrip:send_1$' && patch h1 srvsig JackTrip "$(sendports h1 JackTrip)"
	sleep 2
	lsp h1
	lsp h2
	stop "$jtc" INT; rc=$STOPRC
	note "client stopped with SIGINT: exit status $rc"
	outlives "$jts" server "the client left" "the client's exit packets"
	sleep 1
	stop "$DUMP" TERM
	teardown
}

# names: one hub server (patch mode $1), several clients at once with and
# without -K/-J, a long UTF-8 name and asymmetric channels.
names() {
	local mode=$1 pids=() c
	: >"$OUT/$CASE-notes.txt"
	note "server: jacktrip -S -p $mode (h1, 48000/128); clients on h2, started 1.5 s apart"
	net
	jackd_on h1 48000 128
	jackd_on h2 48000 128
	dump_start
	bg h1 "$OUT/$CASE-jacktrip-h1.log" jacktrip -S -p "$mode"
	pids+=("$LAST")
	sleep 1
	local long="ünïcödé-name-that-is-far-too-long-for-the-sixty-four-byte-field-€€€"
	local -a clients=(
		"-n 2"
		"-n 2 -B 4470 -K goldname -J gold"
		"-n 2 -B 4476 -J localonly"
		"-n 2 -B 4482 -J longname -K $long"
		"-B 4488 --sendchannels 3 --receivechannels 1 -K asym -J asym"
	)
	if [ "$mode" != 0 ]; then
		clients=("-n 2" "-n 2 -B 4470 -K goldname -J gold")
	fi
	for c in "${clients[@]}"; do
		note "client: jacktrip -C $SRV $c"
		# shellcheck disable=SC2086
		bg h2 "$OUT/$CASE-jacktrip-h2-$(( ${#pids[@]} )).log" jacktrip -C "$SRV" $c
		pids+=("$LAST")
		sleep 1.5
	done
	sleep 1
	lsp h1
	lsp h2
	for ((c = ${#pids[@]} - 1; c >= 1; c--)); do
		stop "${pids[$c]}" INT
	done
	sleep 0.5
	stop "${pids[0]}" TERM
	sleep 0.3
	stop "$DUMP" TERM
	teardown
}

all_cases=(hub-b16 hub-b8 hub-b24 hub-b32 hub-n8 hub-r2 hub-period hub-rate hub-server-stops
	p2p p2p-r3 names-p0 names-p5)
[ $# -gt 0 ] || set -- "${all_cases[@]}"
for CASE in "$@"; do
	log "case $CASE"
	case $CASE in
	hub-b16) RECORD=1 hub "-p 5" "-n 2 -J jtclient -K goldclient" 48000 128 client INT ;;
	hub-b8) hub "-p 5 -b 8" "-n 2 -J jtclient -K goldclient -b 8" 48000 128 client TERM ;;
	hub-b24) hub "-p 5 -b 24" "-n 2 -J jtclient -K goldclient -b 24" 48000 128 client INT ;;
	hub-b32) hub "-p 5 -b 32" "-n 2 -J jtclient -K goldclient -b 32" 48000 128 client INT ;;
	hub-n8) hub "-p 5" "-n 8 -J jtclient -K goldclient" 48000 128 client INT ;;
	hub-r2) hub "-p 5" "-n 2 -J jtclient -K goldclient -r 2" 48000 128 client INT ;;
	hub-period) RECORD=1 hub "-p 5" "-n 2 -J jtclient -K goldclient" 48000 256 client INT ;;
	hub-rate) hub "-p 5" "-n 2 -J jtclient -K goldclient" 44100 128 client INT 3 ;;
	hub-server-stops) hub "-p 5" "-n 2 -J jtclient -K goldclient" 48000 128 server TERM ;;
	p2p) p2p "-n 2" "-n 2" ;;
	p2p-r3) p2p "-n 2 -r 3" "-n 2 -r 3" ;;
	names-p0) names 0 ;;
	names-p5) names 5 ;;
	*) log "unknown case $CASE"; exit 2 ;;
	esac
done
log "done: $OUT"
