#!/usr/bin/env bash
# netns.sh - test hosts on one machine, sourced by the integration scenarios.
#
# Hosts sit behind a bridge in a switch namespace, 198.18.0.(i+1)/24 (RFC 2544
# benchmark range), each with its own /run, /dev/shm and hostname so that each
# runs its own JACK server "default" exactly as a separate machine would (jack2
# keeps all its sockets and shared memory in /dev/shm; /tmp stays shared so a
# checkout under /tmp remains visible inside the hosts).
# Every process started is tracked by PID and stopped by PID in the EXIT trap;
# namespaces are deleted even when a scenario fails.
set -u

NJ_TAG="nj$$"
NJ_LOGDIR=$(mktemp -d /var/tmp/netjack-test.XXXXXX)
NJ_PIDS=()
NJ_NETNS=()
declare -A NJ_ANCHOR
NJ_BUILD=${NJ_BUILD:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)/build}
NJ_PY=/usr/bin/python3
NJ_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NJ_FAILED=0

NJ_JACKD_PRIO=${NJ_JACKD_PRIO:-70}
nj_log() { printf '[%s] %s\n' "$(date +%T)" "$*"; }

nj_skip() { echo "SKIP: $*"; exit 77; }

nj_require() {
	[ "$(id -u)" = 0 ] || nj_skip "needs root (network namespaces)"
	for t in ip nsenter unshare jackd jack_lsp jack_wait; do
		command -v "$t" >/dev/null || nj_skip "needs $t"
	done
	"$NJ_PY" -c 'import jack, numpy' 2>/dev/null || nj_skip "needs python3-jack-client and python3-numpy"
	ip netns add "${NJ_TAG}-probe" 2>/dev/null || nj_skip "cannot create network namespaces here"
	ip netns del "${NJ_TAG}-probe"
}

nj_cleanup() {
	local rc=$?
	local pid
	# A caller may run under set -e: cleanup must not stop at a dead PID.
	set +e
	[ -f "$NJ_LOGDIR/stalls" ] && echo "machine: $(nj_stall_text)"
	for ((i = ${#NJ_PIDS[@]} - 1; i >= 0; i--)); do
		pid=${NJ_PIDS[$i]}
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${NJ_PIDS[@]}"; do
		for _ in $(seq 1 30); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	for ns in "${NJ_NETNS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	if [ "$rc" != 0 ] && [ "$rc" != 77 ] || [ "$NJ_FAILED" != 0 ]; then
		echo "--- logs ($NJ_LOGDIR) ---"
		for f in "$NJ_LOGDIR"/*.log; do
			[ -f "$f" ] || continue
			echo "=== $(basename "$f")"
			tail -n 25 "$f"
		done
	else
		rm -rf "$NJ_LOGDIR"
	fi
	exit "$rc"
}
trap nj_cleanup EXIT
trap 'exit 130' INT TERM

# nj_track PID: stop PID at exit (the file is the watchdog's copy).
nj_track() { NJ_PIDS+=("$1"); echo "$1" >>"$NJ_LOGDIR/.pids"; }

# nj_untracked PID SKIP: the processes below PID that are not tracked, deepest
# first, leaving out SKIP and whatever runs below it or below a tracked one.
nj_untracked() {
	local c
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		[ "$c" = "$2" ] && continue
		grep -qx "$c" "$NJ_LOGDIR/.pids" && continue
		nj_untracked "$c" "$2"
		echo "$c"
	done
}

# nj_stacks PID: print the threads' stacks of PID (gdb), for a hang's report.
nj_stacks() {
	echo "--- stacks of $(cat /proc/"$1"/comm 2>/dev/null) ($1)"
	command -v gdb >/dev/null || return 0
	timeout 30 gdb -q -batch -p "$1" -ex 'thread apply all bt' 2>&1 | grep -E '^(Thread|#)'
}

# The watchdog: a scenario still running NJ_WATCHDOG seconds after it began
# (default 100, under meson's 120) prints the stacks of its daemons and what
# it was waiting for, ends that wait, and makes the scenario fail through its
# EXIT trap, logs included. Without it a hang is killed by meson with nothing
# to show: meson sends SIGKILL 0.5 s after its SIGTERM, before the trap is done.
nj_watchdog() {
	local main=$$ t=${NJ_WATCHDOG:-100}
	(
		s=
		trap '[ -n "$s" ] && kill "$s" 2>/dev/null; exit 0' TERM
		sleep "$t" &
		s=$!
		wait "$s"
		s=
		{
			echo "WATCHDOG: the scenario is still running after $t s"
			for pid in $(cat "$NJ_LOGDIR/.pids"); do
				comm=$(cat /proc/"$pid"/comm 2>/dev/null) || continue
				case $comm in
				netjack-* | jackd) nj_stacks "$pid" ;;
				esac
			done
			# the scenario's trap runs once what it waits for has ended
			kill -TERM "$main"
			for pid in $(nj_untracked "$main" "$BASHPID"); do
				cmd=$(cat /proc/"$pid"/cmdline 2>/dev/null | tr '\0' ' ')
				kill -TERM "$pid" 2>/dev/null && echo "--- ended: $pid $cmd"
			done
		} >&2
	) &
	nj_track $!
}
nj_watchdog

# nj_net N: a switch and N hosts h1..hN.
nj_net() {
	local n=$1 sw="${NJ_TAG}-sw"
	ip netns add "$sw"; NJ_NETNS+=("$sw")
	ip -n "$sw" link add br0 type bridge
	ip -n "$sw" link set br0 type bridge mcast_snooping 0
	ip -n "$sw" link set br0 up
	for i in $(seq 1 "$n"); do
		local ns="${NJ_TAG}-h$i"
		ip netns add "$ns"; NJ_NETNS+=("$ns")
		ip link add "${NJ_TAG}h$i" type veth peer name "${NJ_TAG}s$i"
		ip link set "${NJ_TAG}h$i" netns "$ns"
		ip link set "${NJ_TAG}s$i" netns "$sw"
		ip -n "$sw" link set "${NJ_TAG}s$i" master br0 up
		# a UDP GSO send crosses the switch whole and reaches the host
		# as the datagrams a card's GRO would merge: a socket with UDP
		# GRO gets it in one buffer, any other the datagrams one by
		# one (the kernel cuts it there). NJ_WIRE_SEGMENT=1: the switch
		# cuts every send into datagrams, as nj_loss has it for a host.
		[ -z "${NJ_WIRE_SEGMENT:-}" ] || nj_wire_segment "h$i"
		ip -n "$ns" link set lo up
		ip -n "$ns" link set "${NJ_TAG}h$i" name eth0
		ip -n "$ns" addr add "198.18.0.$((i + 1))/24" dev eth0
		ip -n "$ns" -6 addr add "fd00:198:18::$((i + 1))/64" dev eth0 nodad
		ip -n "$ns" link set eth0 up
		ip -n "$ns" route add 224.0.0.0/4 dev eth0
		# the host's own /run, /dev/shm and hostname, anchored by a sleeper
		ip netns exec "$ns" unshare -m -u --propagation private sh -c "
			mount -t tmpfs tmpfs /run; mount -t tmpfs tmpfs /dev/shm
			hostname host$i
			exec sleep 100000" &
		NJ_ANCHOR[h$i]=$!
		nj_track $!
	done
	nj_stall_probe
	sleep 0.3
}

# On a host whose JACK server is PipeWire (nj_pipewire), every command runs
# under pw-jack with that daemon's settings: the JACK tools, the measuring
# clients and netjack-master alike (harmless to the others).
declare -A NJ_PW
nj_pw_env() { echo env XDG_CONFIG_HOME="$NJ_LOGDIR/pw" PIPEWIRE_RUNTIME_DIR=/run/pipewire pw-jack; }

# nj_on HOST CMD...: run CMD on HOST in the foreground.
nj_on() {
	local h=$1; shift
	# a JACK tool can hang in jack_client_open() on a server that is going
	# away (libjack): bounded, so that the scenario fails with its logs
	case $1 in jack_*) set -- timeout -k 2 20 "$@" ;; esac
	[ -n "${NJ_PW[$h]:-}" ] && set -- $(nj_pw_env) "$@"
	nsenter -t "${NJ_ANCHOR[$h]}" -m -n -u -- "$@"
}

# nj_bg HOST NAME CMD...: run CMD on HOST in the background, log to NAME.log;
# sets NJ_LASTPID.
nj_bg() {
	local h=$1 name=$2; shift 2
	[ -n "${NJ_PW[$h]:-}" ] && set -- $(nj_pw_env) "$@"
	nsenter -t "${NJ_ANCHOR[$h]}" -m -n -u -- "$@" >"$NJ_LOGDIR/$name.log" 2>&1 &
	NJ_LASTPID=$!
	nj_track "$NJ_LASTPID"
}

# nj_avahi HOST: a D-Bus system bus and avahi-daemon of HOST's own (its
# private /run holds both sockets), as on a separate machine.
nj_avahi() {
	local h=$1
	command -v avahi-daemon >/dev/null && command -v dbus-daemon >/dev/null ||
		nj_skip "needs avahi-daemon and dbus-daemon"
	nj_on "$h" mkdir -p /run/dbus /run/avahi-daemon
	nj_bg "$h" "dbus-$h" dbus-daemon --system --nofork --nopidfile
	for _ in $(seq 1 50); do
		nj_on "$h" test -S /run/dbus/system_bus_socket && break
		sleep 0.1
	done
	nj_bg "$h" "avahi-$h" avahi-daemon --no-rlimits --no-chroot
	NJ_AVAHI_PID[$h]=$NJ_LASTPID
	for _ in $(seq 1 100); do
		grep -q 'Server startup complete' "$NJ_LOGDIR/avahi-$h.log" && return 0
		sleep 0.1
	done
	nj_fail "avahi-daemon on $h did not start"
}
declare -A NJ_AVAHI_PID

# nj_ppm_env PPM: sets NJ_PPM_ENV to the command prefix (env
# LD_PRELOAD=libfaketime FAKETIME=...) under which a process's clock runs PPM
# fast.
nj_ppm_env() {
	local lib=/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1
	[ -e "$lib" ] || lib=$(dpkg -L libfaketime 2>/dev/null | grep -m1 'libfaketimeMT.so')
	[ -e "$lib" ] || nj_fail "libfaketime is needed for a drifting clock"
	NJ_PPM_ENV=(env LD_PRELOAD="$lib" FAKETIME="+0 x$("$NJ_PY" -c "print(1 + $1 * 1e-6)")")
}

# nj_jackd HOST [RATE] [PERIOD] [DUMMY ARGS...]: a dummy-driver JACK server.
# Every server runs at the same RT priority, NJ_JACKD_PRIO (default 70, as
# two stock machines have it: jackd -R -P 70, clients at 65), jack2's slave
# servers too. NJ_JACKD_PRIO=80 is the variant the suite once ran the
# master's server at (above the slaves'), kept as an extra.
# NJ_JACKD_PPM=N: that server's clock runs N ppm fast (libfaketime scales its
# sense of time; jack2's dummy driver cannot be told to drift).
nj_jackd() {
	local h=$1 rate=${2:-48000} period=${3:-256} pre=()
	shift $(($# < 3 ? $# : 3))
	if [ -n "${NJ_JACKD_PPM:-}" ]; then
		nj_ppm_env "$NJ_JACKD_PPM"
		pre=("${NJ_PPM_ENV[@]}")
	fi
	nj_bg "$h" "jackd-$h" "${pre[@]}" jackd -R -P "$NJ_JACKD_PRIO" -d dummy -r "$rate" -p "$period" -C 2 -P 2 "$@"
	nj_on "$h" jack_wait -w -t 10 >/dev/null 2>&1 || { nj_log "jackd on $h did not start"; return 1; }
}

# nj_pipewire HOST [RATE] [PERIOD]: a PipeWire daemon of HOST's own as its
# JACK server (no session manager, no D-Bus, no device): its socket in the
# host's private /run, the graph driven by PipeWire's dummy driver at RATE Hz
# and a quantum of PERIOD frames (min = max: JACK's period fixed), a null sink
# for PipeWire clients to play to, the data thread at NJ_JACKD_PRIO and its
# JACK clients' at 5 below it, as jackd -R -P gives them; it logs at level 3
# (info), where its xruns show (nj_xruns). From then on HOST's
# commands run under pw-jack (nj_on, nj_bg); sets NJ_PIPEWIRE_PID.
nj_pipewire() {
	local h=$1 rate=${2:-48000} period=${3:-256} d=$NJ_LOGDIR/pw/pipewire
	for t in pipewire pw-jack pw-link pw-cli pw-metadata; do
		command -v "$t" >/dev/null || nj_skip "needs $t (pipewire, pipewire-jack, pipewire-bin)"
	done
	mkdir -p "$d"
	cat >"$d/pipewire.conf" <<-CONF
	context.properties = {
	    core.daemon = true
	    core.name = pipewire-0
	    support.dbus = false
	    log.level = 3
	    default.clock.rate = $rate
	    default.clock.allowed-rates = [ $rate ]
	    default.clock.quantum = $period
	    default.clock.min-quantum = $period
	    default.clock.max-quantum = $period
	}
	context.spa-libs = {
	    audio.convert.* = audioconvert/libspa-audioconvert
	    support.* = support/libspa-support
	}
	context.modules = [
	    { name = libpipewire-module-rt
	      args = { rt.prio = $NJ_JACKD_PRIO nice.level = -11 rt.time.soft = -1 rt.time.hard = -1 } }
	    { name = libpipewire-module-protocol-native }
	    { name = libpipewire-module-profiler }
	    { name = libpipewire-module-metadata }
	    { name = libpipewire-module-spa-node-factory }
	    { name = libpipewire-module-client-node }
	    { name = libpipewire-module-access }
	    { name = libpipewire-module-adapter }
	    { name = libpipewire-module-link-factory }
	]
	context.objects = [
	    { factory = metadata args = { metadata.name = default } }
	    { factory = spa-node-factory
	      args = { factory.name = support.node.driver node.name = Dummy-Driver
	               node.group = pipewire.dummy priority.driver = 20000 } }
	    { factory = adapter
	      args = { factory.name = support.null-audio-sink node.name = null-sink
	               media.class = Audio/Sink audio.position = [ FL FR ] audio.rate = $rate
	               adapter.auto-port-config = { mode = dsp monitor = true position = preserve } } }
	]
	CONF
	cat >"$d/jack.conf" <<-CONF
	context.properties = { log.level = 0 }
	context.spa-libs = { support.* = support/libspa-support }
	context.modules = [
	    { name = libpipewire-module-rt
	      args = { rt.prio = $((NJ_JACKD_PRIO - 5)) rt.time.soft = -1 rt.time.hard = -1 } }
	    { name = libpipewire-module-protocol-native }
	    { name = libpipewire-module-client-node }
	    { name = libpipewire-module-metadata }
	]
	CONF
	nj_on "$h" mkdir -p /run/pipewire
	nj_bg "$h" "pipewire-$h" env XDG_CONFIG_HOME="$NJ_LOGDIR/pw" PIPEWIRE_RUNTIME_DIR=/run/pipewire pipewire
	NJ_PIPEWIRE_PID=$NJ_LASTPID
	NJ_PW[$h]=1
	for _ in $(seq 1 50); do
		nj_on "$h" pw-cli info 0 >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	nj_fail "PipeWire on $h did not start within 5 s"
}

# nj_wait_port HOST REGEX SECONDS: wait until jack_lsp on HOST lists a match.
nj_wait_port() {
	local h=$1 re=$2 t=$3 i
	for i in $(seq 1 $((t * 10))); do
		if nj_on "$h" jack_lsp 2>/dev/null | grep -Eq "$re"; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# nj_wait_log FILE REGEX SECONDS: wait until FILE has a line matching REGEX.
nj_wait_log() {
	for _ in $(seq 1 $(($3 * 10))); do
		grep -Eq "$2" "$1" && return 0
		sleep 0.1
	done
	return 1
}

# nj_wait_gone HOST REGEX SECONDS: wait until no port matches.
nj_wait_gone() {
	local h=$1 re=$2 t=$3 i
	for i in $(seq 1 $((t * 10))); do
		if ! nj_on "$h" jack_lsp 2>/dev/null | grep -Eq "$re"; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# nj_wire_segment HOST: the switch cuts the UDP GSO sends for HOST into
# their datagrams (software segmentation at its port: costly on this VM, so
# only where a test needs datagrams on the wire).
nj_wire_segment() {
	ip -n "${NJ_TAG}-sw" link set dev "${NJ_TAG}s${1#h}" gso_max_segs 1
}

# nj_loss HOST PERMILLE [FROM]: drop that share of incoming UDP (not mDNS) on
# HOST, or only of what comes from the IPv4 address FROM: datagrams, as on
# a wire (nj_wire_segment), not a GSO send's whole burst.
nj_loss() {
	local h=$1 pm=$2 from=()
	[ -n "${3:-}" ] && from=(ip saddr "$3")
	nj_wire_segment "$h"
	nj_on "$h" nft add table inet njloss
	nj_on "$h" nft add chain inet njloss in '{ type filter hook input priority 0; }'
	nj_on "$h" nft add rule inet njloss in "${from[@]}" udp dport != 5353 \
		numgen random mod 1000 '<' "$pm" drop
}

nj_fail() { nj_log "FAIL: $*"; NJ_FAILED=1; exit 1; }
# nj_inconclusive MSG: the environment spoiled the measurement (exit 2; see retry.sh).
nj_inconclusive() { nj_log "INCONCLUSIVE: $*"; NJ_FAILED=1; exit 2; }

# nj_master HOST [RATE PERIOD [ARGS...]]: a JACK server and netjack-master -v
# ARGS on HOST; sets NJ_MASTER_PID.
nj_master() {
	local h=$1
	nj_jackd "$1" "${2:-48000}" "${3:-256}"
	shift $(($# < 3 ? $# : 3))
	nj_bg "$h" master "$NJ_BUILD/daemon/netjack-master" -v "$@"
	NJ_MASTER_PID=$NJ_LASTPID
	for _ in $(seq 1 50); do
		grep -q 'listening on' "$NJ_LOGDIR/master.log" && return 0
		sleep 0.1
	done
	nj_fail "netjack-master did not connect to JACK and listen within 5 s"
}

# nj_jack2_slave HOST NAME [LATENCY] [async|sync] [CHANNELS]: jack2's slave
# server (jackd -d net, CHANNELS+CHANNELS audio, default 2, no MIDI); sets
# NJ_LASTPID.
nj_jack2_slave() {
	local h=$1 name=$2 lat=${3:-2} mode=${4:-async} ch=${5:-2} sync=()
	[ "$mode" = sync ] && sync=(-S)
	nj_bg "$h" "slave-$name" jackd "${sync[@]}" -R -P "$NJ_JACKD_PRIO" -d net -n "$name" -C "$ch" -P "$ch" \
		-i 0 -o 0 -l "$lat"
}

# nj_loop HOST: once HOST's server runs, a client passing capture to playback.
nj_loop() {
	nj_on "$1" jack_wait -w -t 10 >/dev/null 2>&1 || nj_fail "the JACK server on $1 is not up"
	nj_bg "$1" "loop-$1" "$NJ_PY" "$NJ_LIB/njaudio.py" loop \
		--in system:capture_1,system:capture_2 --out system:playback_1,system:playback_2
	sleep 1
}

# nj_roundtrip HOST CLIENT SECONDS SEED DELAY MAXBAD: seeded noise into
# CLIENT:to_slave_1/2, recorded from CLIENT:from_slave_1/2, bit-exact at DELAY
# frames but for at most MAXBAD periods. JSON on stdout; non-zero on failure.
# nj_port_latency HOST PORT playback|capture: the most of PORT's latency
# range as JACK reports it (jack_lsp -l), in frames.
nj_port_latency() {
	nj_on "$1" jack_lsp -l "$2" | sed -n "s/.*port $3 latency = \[ [0-9]* \([0-9]*\) \] frames.*/\1/p" | head -1
}

# nj_latency_told HOST CLIENT PERIOD WANT: CLIENT's ports tell JACK the
# network's share of a round trip measured at WANT frames (the measuring
# client adds a period): to_slave_1's playback plus from_slave_1's capture
# latency, or fail. SEND and RECEIVE name other ports (netone: playback_1,
# capture_1).
nj_latency_told() {
	local send=${5:-to_slave_1} recv=${6:-from_slave_1} play cap
	play=$(nj_port_latency "$1" "$2:$send" playback)
	cap=$(nj_port_latency "$1" "$2:$recv" capture)
	[ -n "$play" ] && [ -n "$cap" ] || nj_fail "no latency of $2's ports from jack_lsp -l"
	nj_log "latency told to JACK: $2:$send playback $play, $2:$recv capture $cap frames"
	[ $((play + cap + $3)) = "$4" ] ||
		nj_fail "$2's ports tell $play + $cap frames; the round trip measured $4 less a period of $3"
}

# nj_pretty HOST SUBJECT [KEY]: the value JACK's metadata holds for SUBJECT
# (a client name, or client:port) under KEY (default the pretty name).
nj_pretty() {
	local key=${3:-http://jackaudio.org/metadata/pretty-name} kind=--client
	case $2 in *:*) kind=--port ;; esac
	nj_on "$1" jack_property -l "$kind" "$2" "$key" 2>/dev/null | head -1
}

# nj_described HOST CLIENT PORT WANT-PORT-PRETTY PROTOCOL: the ports and the
# client of a session say in JACK's metadata whom they lead to, or fail.
nj_described() {
	local got proto
	got=$(nj_pretty "$1" "$2:$3")
	[ "$got" = "$4" ] || nj_fail "$2:$3's pretty name is \"$got\", not \"$4\""
	proto=$(nj_pretty "$1" "$2" urn:netjack:protocol)
	[ "$proto" = "$5" ] || nj_fail "client $2's protocol in the metadata is \"$proto\", not $5"
	nj_log "metadata: $2:$3 \"$got\", client \"$(nj_pretty "$1" "$2")\", protocol $proto"
}

nj_roundtrip() {
	local h=$1 c=$2
	nj_on "$h" "$NJ_PY" "$NJ_LIB/njaudio.py" roundtrip --seconds "$3" --seed "$4" \
		--out "$c:to_slave_1,$c:to_slave_2" --in "$c:from_slave_1,$c:from_slave_2" \
		--expect-delay "$5" --expect-exact --max-bad "$6"
}

# nj_slave_late HOST: "MASTER/LOCAL" cycles that came later than netjack-slave's
# jitter margin so far (its bridge counts them), from its control socket on HOST.
nj_slave_late() {
	nj_on "$1" "$NJ_BUILD/tools/netjack-ctl" --slave status --json 2>/dev/null | "$NJ_PY" -c '
import json, sys
try:
    b = json.load(sys.stdin)["sessions"][0]["bridge"]
    print(str(b["late_master"]) + "/" + str(b["late_local"]))
except Exception:
    print("?")'
}

# nj_glitch_or_fail LATE_BEFORE HOST MSG [XRUNS_BEFORE]: a glitch in a
# bit-level check. When the slave's bridge saw cycles later than its jitter
# margin since LATE_BEFORE, or (given XRUNS_BEFORE, nj_xruns at the same
# moment) a JACK server logged an xrun since (this shared VM held a server or
# the network off), the measurement is inconclusive (exit 2, see retry.sh);
# otherwise it is a failure.
nj_glitch_or_fail() {
	local now st xr
	now=$(nj_slave_late "$2")
	if [ "$1" != "$now" ]; then
		nj_inconclusive "$3 (cycles later than the jitter margin, master/local: $1 -> $now)"
	fi
	if [ -n "${4:-}" ]; then
		xr=$(nj_xruns)
		[ "$xr" -gt "$4" ] && nj_inconclusive "$3 ($(("$xr" - "$4")) xruns in the servers' logs)"
	fi
	st=$(nj_stalls)
	[ -n "$st" ] && nj_inconclusive "$3 ($st)"
	nj_fail "$3 (no cycle came later than the jitter margin: $now; $(nj_stall_text))"
}

# nj_slave_settle LOG [HOST]: wait until netjack-slave (logging to LOG, on HOST,
# default h2) has locked its clock bridge, then 3 s more: the margin has met
# this machine's delays by then (a raise primes the bridge afresh, which a
# measurement must not see). No lock in 10 s while cycles came later than the
# margin (the machine held a server off, by tens of ms on a bad hour) is
# inconclusive; without such cycles it is a failure.
nj_slave_settle() {
	for _ in $(seq 1 100); do
		grep -q 'clock bridge locked after' "$1" && break
		sleep 0.1
	done
	grep -q 'clock bridge locked after' "$1" ||
		nj_glitch_or_fail 0/0 "${2:-h2}" "the slave's clock bridge did not lock in 10 s"
	sleep 3
}

# nj_wire HOST "SRC>DST"...: connect JACK ports on HOST by one client that
# connects them all and goes (hundreds of jack_connect runs take seconds).
nj_wire() {
	nj_on "$1" "$NJ_PY" -c '
import jack, sys
c = jack.Client("njwire", no_start_server=True)
for p in sys.argv[1:]:
    c.connect(*p.split(">"))
c.close()' "${@:2}"
}

# nj_xruns: XRun lines in every JACK server's log so far: the hosts' own
# (jackd-*), jack2's slaves (jackd -d net: slave-NAME, nj_jack2_slave; jackd
# -d netone: netone*), and PipeWire's, which at its log level 3 names each
# node it found unfinished ("client too slow!"). (A jack2 slave's own xrun
# once went uncounted: CI failed master-jack2-async-l2-p64 on it.)
# NJ_XRUN_LOGS="jackd-h1 jackd-h2": only those servers (a scenario that kills
# a client of another host's server on purpose, which makes that one's xruns).
nj_xruns() {
	local logs=("$NJ_LOGDIR"/jackd-*.log "$NJ_LOGDIR"/slave-*.log "$NJ_LOGDIR"/netone*.log
		"$NJ_LOGDIR"/pipewire-*.log) l
	if [ -n "${NJ_XRUN_LOGS:-}" ]; then
		logs=()
		for l in $NJ_XRUN_LOGS; do logs+=("$NJ_LOGDIR/$l.log"); done
	fi
	cat "${logs[@]}" 2>/dev/null | grep -c -E 'XRun|client too slow' || true
}

# nj_exact_or_inconclusive MSG: a bit-exact check (nj_roundtrip with MAXBAD 0)
# has failed. With xruns in a server's log (this VM stalls one now and then,
# and a period hit by one cannot be exact) the attempt is inconclusive (exit 2,
# see retry.sh); without, it fails.
nj_exact_or_inconclusive() {
	local xr st
	xr=$(nj_xruns)
	[ "$xr" -gt 0 ] && nj_inconclusive "$1 ($xr xruns in the servers' logs)"
	st=$(nj_stalls)
	[ -n "$st" ] && nj_inconclusive "$1 (no server xrun, but $st)"
	nj_fail "$1 (no server reported an xrun, no stall of the machine: $(nj_stall_text))"
}

# The stall probe (tests/peers/stall-probe.c), started with the hosts: a
# real-time thread at the servers' priority waking every 1 ms, counting
# wake-ups later than NJ_STALL_US (default 5000: about a period at 48 kHz/256).
# A machine that held it off that long held the servers off too, whether or
# not jackd logged an xrun (the dummy driver often does not; JackTrip's own
# jitter buffer never does).
NJ_STALL_US=${NJ_STALL_US:-5000}
nj_stall_probe() {
	local p=$NJ_BUILD/tests/stall-probe
	[ -x "$p" ] || return 0
	"$p" "$NJ_LOGDIR/stalls" "$NJ_JACKD_PRIO" "$NJ_STALL_US" 2>/dev/null &
	nj_track $!
}
# nj_stall_text: "N stalls over 5 ms, worst W ms" (what the probe saw so far)
nj_stall_text() {
	local c w
	read -r c w <"$NJ_LOGDIR/stalls" 2>/dev/null || { echo "no stall probe"; return; }
	echo "$c stalls of the machine over $((NJ_STALL_US / 1000)) ms, worst $((w / 1000)).$(((w % 1000) / 100)) ms (stall-probe)"
}
# nj_stalls: the text when the machine stalled, else nothing
nj_stalls() {
	local c w
	read -r c w <"$NJ_LOGDIR/stalls" 2>/dev/null || return 0
	[ "${c:-0}" -gt 0 ] && nj_stall_text
	return 0
}

# nj_wait_exit PID SECONDS: wait until a process we started has exited (a
# JACK server must be gone before another of the same name starts: jackd
# refuses with "server already active" while the old one is shutting down).
# Its exit status is left in NJ_EXIT_RC.
nj_wait_exit() {
	local pid=$1 t=$2
	for _ in $(seq 1 $((t * 10))); do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid" 2>/dev/null
			NJ_EXIT_RC=$?
			return 0
		fi
		sleep 0.1
	done
	return 1
}
