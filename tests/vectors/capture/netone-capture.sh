#!/usr/bin/env bash
# netone-capture.sh WORKDIR CASE... - capture jack2's netJACK1 ("netone")
# between two network-namespace hosts, jack_netsource (master) on h1 and
# `jackd -d netone` (slave server) on h2, one pcap per case, with the logs,
# `jack_lsp -c` of both hosts and the test client's summary next to it.
#
# h1 198.18.0.2: jackd -R -P 70 -d dummy -r 48000 -p PERIOD; jack_netsource
#                -H 198.18.0.3 OPTIONS; nj1client.py (known signal or noise)
# h2 198.18.0.3: jackd -R -P 70 -d netone -r 48000 -p PERIOD OPTIONS, with
#                system:capture_N -> system:playback_N connected once its
#                ports exist (audio and MIDI looped back on the slave)
# tcpdump runs in h1 on its end of the veth pair (sees both directions).
#
# Needs root, jackd2, tcpdump and python3-jack-client. Every process is
# stopped by its PID, the namespaces are deleted on exit. Nothing leaves the
# two namespaces. Cases: see case_setup below; `all` runs every one.
set -u
WORK=$(realpath "${1:?usage: netone-capture.sh WORKDIR CASE...}")
shift
HERE=$(dirname "$(realpath "$0")")
TAG=n1$$-
H1=${TAG}h1 H2=${TAG}h2
IP1=198.18.0.2 IP2=198.18.0.3
PY=/usr/bin/python3
PIDS=()
A1= A2=
mkdir -p "$WORK"

log() { echo "netone-capture: $*" >&2; }

stop_pid() { # PID...: SIGTERM, then SIGKILL after 3 s
	local p i
	for p in "$@"; do
		[ -n "$p" ] || continue
		kill "$p" 2>/dev/null || continue
		for ((i = 0; i < 30; i++)); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
}

cleanup() {
	local i
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
		stop_pid "${PIDS[$i]}"
	done
	stop_pid "$A1" "$A2"
	ip netns del "$H1" 2>/dev/null
	ip netns del "$H2" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# host NAME HOSTNAME IP: a namespace with its own /run, /tmp, /dev/shm and
# hostname, anchored by a sleep whose PID is left in ANCHOR.
host() {
	ip -n "$1" addr add "$3/24" dev "$1"
	ip -n "$1" link set lo up
	ip -n "$1" link set "$1" up
	ip netns exec "$1" unshare -m -u --propagation private sh -c "
		mount -t tmpfs tmpfs /run; mount -t tmpfs tmpfs /tmp
		mount -t tmpfs tmpfs /dev/shm; hostname $2; exec sleep 100000" </dev/null >/dev/null 2>&1 &
	ANCHOR=$!
}

ip netns add "$H1" && ip netns add "$H2" || exit 1
ip link add "$H1" netns "$H1" type veth peer name "$H2" netns "$H2" || exit 1
host "$H1" nj1master $IP1
A1=$ANCHOR
host "$H2" nj1slave $IP2
A2=$ANCHOR
sleep 0.3
on1() { nsenter -t "$A1" -m -n -u -- env JACK_NO_START_SERVER=1 "$@"; }
on2() { nsenter -t "$A2" -m -n -u -- env JACK_NO_START_SERVER=1 "$@"; }
# spawn ANCHOR LOG CMD...: start CMD on a host in the background; its PID
# (nsenter and env exec, so it is CMD's own) goes to LAST and PIDS.
spawn() {
	local a=$1 out=$2
	shift 2
	nsenter -t "$a" -m -n -u -- env JACK_NO_START_SERVER=1 "$@" </dev/null >>"$out" 2>&1 &
	LAST=$!
	PIDS+=("$LAST")
}
on1 ip link show "$H1" >/dev/null || { log "host h1 is not up"; exit 1; }

# Per case: PER (period), NS (netsource options), SL (slave driver options),
# CH (audio channels the client uses), MIDI (0/1), MODE (signal/noise),
# SECS (client run), END (what happens after the client: none, stop-netsource,
# kill-slave).
case_setup() {
	PER=256 NS= SL= CH=2 MIDI=0 MODE=signal SECS=3 END=none
	case $1 in
	float) ;;                                  # netsource defaults: 2+1 each way, -n 5, MTU 1400
	midi) MIDI=1 ;;
	b16) NS="-b 16" SL="-b 16" ;;              # jack2 slave with 16-bit: sheet 9.2
	b8) NS="-b 8" SL="-b 8" ;;
	b16f) NS="-b 16" ;;                        # 16-bit master, float slave (sizes differ)
	opus) PER=480 NS="-P 128" SL="-P 128" ;;  # Opus at P 256 aborts in Debian's libopus
	ch16) NS="-i 16 -o 16 -I 0 -O 0" CH=16 ;;  # 13 fragments per period
	lat2) NS="-n 2" MODE=noise SECS=4 ;;
	lat5) MODE=noise SECS=4 ;;
	lat1) NS="-n 1" MODE=noise SECS=4 ;;
	red2) NS="-R 2" SL="-R 2" ;;
	rport) NS="-r 3001 -B 3002" ;;
	restart) END=kill-slave ;;
	stop) END=stop-netsource ;;
	stopquick) END=stop-netsource-1s ;;          # netsource back before the slave restarts
	*) log "unknown case $1"; return 1 ;;
	esac
}

# wait_ports ON PATTERN SECONDS
wait_ports() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		$1 jack_lsp 2>/dev/null | grep -q -- "$2" && return 0
		sleep 0.1
	done
	return 1
}

loop_slave() { # connect the slave's capture ports to its playback ports
	local k n=$((CH + MIDI))
	for ((k = 1; k <= n; k++)); do
		on2 jack_connect system:capture_$k system:playback_$k
	done
}

# The slave's log lines get a wall-clock time stamp (the pcap's clock too):
# jackd writes into a FIFO that a small reader copies into LOGFILE.
start_slave() { # LOGFILE
	local fifo=$1.fifo
	rm -f "$fifo"
	mkfifo "$fifo"
	"$PY" -u -c 'import sys, time
for l in sys.stdin:
    sys.stdout.write("%.3f %s" % (time.time(), l))' <"$fifo" >>"$1" 2>&1 &
	PIDS+=($!)
	# LIBC_FATAL_STDERR_: glibc's abort messages (stack smashing) go to stderr
	# shellcheck disable=SC2086
	spawn "$A2" "$fifo" env LIBC_FATAL_STDERR_=1 jackd -R -P 70 -d netone -r 48000 -p "$PER" $SL
	SLAVE=$LAST
}

run_case() {
	local c=$1 d=$WORK/$1 ns1 ns2 tcpd jm cl
	case_setup "$c" || return 1
	rm -rf "$d"
	mkdir -p "$d"
	log "case $c: netsource $NS, slave $SL, period $PER"
	start_slave "$d/slave.log"
	ns2=$SLAVE
	spawn "$A1" "$d/master-jackd.log" jackd -R -P 70 -d dummy -r 48000 -p "$PER"
	jm=$LAST
	on1 jack_wait -w -t 10 >/dev/null || { log "master jackd did not start"; return 1; }
	spawn "$A1" "$d/tcpdump.log" tcpdump -i "$H1" -Z root -s 0 -U -w "$d/$c.pcap" 'udp or icmp'
	tcpd=$LAST
	sleep 0.5
	# shellcheck disable=SC2086
	spawn "$A1" "$d/netsource.log" stdbuf -oL jack_netsource -H $IP2 $NS
	ns1=$LAST
	if ! wait_ports on2 system:capture_1 10; then
		log "case $c: the slave registered no ports"
	fi
	loop_slave 2>>"$d/slave.log"
	wait_ports on1 netjack:capture_1 5
	sleep 0.5
	spawn "$A1" "$d/client.log" "$PY" "$HERE/nj1client.py" "$MODE" --channels "$CH" \
		--midi "$MIDI" --seconds "$SECS" --out "$d/client.json"
	cl=$LAST
	wait $cl
	{
		echo "## h1 (master) jack_lsp -c"
		on1 jack_lsp -c
		echo "## h1 jack_lsp -t -p"
		on1 jack_lsp -t -p
		echo "## h2 (slave) jack_lsp -c"
		on2 jack_lsp -c
		echo "## h2 jack_lsp -t -p"
		on2 jack_lsp -t -p
	} >"$d/ports.txt" 2>&1
	case $END in
	kill-slave)
		log "case $c: SIGKILL to the slave jackd, 4 s, restart"
		kill -9 "$ns2"
		wait "$ns2" 2>/dev/null
		echo "$(date +%s.%N) ### slave killed" >>"$d/slave.log"
		sleep 4
		start_slave "$d/slave.log"
		ns2=$SLAVE
		if wait_ports on2 system:capture_1 15; then
			echo "$(date +%s.%N) ### slave ports back" >>"$d/slave.log"
			loop_slave 2>>"$d/slave.log"
		fi
		sleep 2
		;;
	stop-netsource | stop-netsource-1s)
		local pause=6
		[ "$END" = stop-netsource ] || pause=1
		log "case $c: SIGTERM to netsource, $pause s, start it again"
		echo "$(date +%s.%N) ### netsource stopped" >>"$d/slave.log"
		stop_pid "$ns1"
		sleep $pause
		on2 jack_lsp >"$d/ports-after-stop.txt" 2>&1
		echo "$(date +%s.%N) ### netsource started" >>"$d/slave.log"
		# shellcheck disable=SC2086
		spawn "$A1" "$d/netsource2.log" stdbuf -oL jack_netsource -H $IP2 $NS
		ns1=$LAST
		wait_ports on2 system:capture_1 10 &&
			echo "$(date +%s.%N) ### slave ports there" >>"$d/slave.log"
		[ "$END" = stop-netsource ] && sleep 1.5 || sleep 6
		;;
	none) ;;
	esac
	stop_pid "$ns1"
	sleep 0.5
	stop_pid "$tcpd" "$ns2" "$jm"
	log "case $c: $(cat "$d/client.json" 2>/dev/null | tr -d '\n ' | cut -c1-300)"
}

cases=("$@")
[ "${cases[0]:-all}" = all ] &&
	cases=(float midi b16f b16 b8 opus ch16 lat5 lat2 lat1 red2 rport restart stop stopquick)
for c in "${cases[@]}"; do
	run_case "$c"
done
