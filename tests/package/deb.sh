#!/usr/bin/env bash
# deb.sh [SRC] - the Debian package, end to end (root; about 2 minutes):
#  1. build netjack, libnetproto0 and libnetproto-dev with
#     `dpkg-buildpackage -us -uc -b` from a clean copy of SRC's tree (the files
#     git knows, as they are in the working tree) under a temporary directory;
#  2. lintian on the .changes: any error fails;
#  3. install the three .debs on this machine (dpkg -i) and check the files:
#     units, sysusers (the "jack" user exists), conffiles, man pages,
#     completion, library, pkg-config;
#  4. boot a private systemd (PID 1 of its own PID, mount, UTS and network
#     namespaces: only its own loopback, private /run, /tmp and /dev/shm,
#     read-only /sys and /proc/sys, units that touch the machine masked),
#     start a dummy-driver jackd as "jack" there (systemd-run), then
#     `systemctl start netjack-master` must return, the unit be active, its
#     log say "connected to JACK", `netjack-ctl status` answer through
#     /run/netjack/master.sock, and `systemctl stop` end it cleanly.
# Everything started is stopped by PID (the namespace's PID 1 takes the rest
# with it). NJ_DEB_DEBS=DIR skips steps 1-2 and uses the .debs in DIR;
# NJ_DEB_KEEP=DIR keeps the build directory (.debs, logs) there.
set -euo pipefail
src=$(cd "${1:-$(dirname "$0")/../..}" && pwd)
t0=$(date +%s)
say() { echo "deb.sh [$(($(date +%s) - t0))s] $*"; }
fail() { say "FAIL: $*"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
for t in dpkg-buildpackage lintian unshare nsenter ip /lib/systemd/systemd jackd; do
	command -v "$t" >/dev/null || { echo "SKIP: no $t"; exit 77; }
done

work=$(mktemp -d /tmp/netjack-deb.XXXXXX)
boot_pid= boot_unshare= cg= cg_dirs=()
cleanup() {
	local rc=$?
	if [ -n "$boot_pid" ]; then
		kill -KILL "$boot_pid" 2>/dev/null || true # PID 1 of the namespace: all of it ends
	fi
	if [ -n "$boot_unshare" ]; then
		kill -KILL "$boot_unshare" 2>/dev/null || true
		wait "$boot_unshare" 2>/dev/null || true
	fi
	if [ -n "$cg" ]; then # the namespace's cgroups once empty, deepest first
		local d left
		for _ in $(seq 50); do
			left=$(for d in "${cg_dirs[@]}"; do
				find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null
			done)
			[ -z "$left" ] && break
			sleep 0.1
		done
		for d in "${cg_dirs[@]}"; do
			find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true
			[ -d "$d" ] && echo "deb.sh: left behind: $d" >&2
		done
	fi
	if [ "$rc" != 0 ] && [ -f "$work/boot.log" ]; then
		echo "--- private systemd's console (last 30 lines)"
		tail -n 30 "$work/boot.log"
	fi
	if [ -n "${NJ_DEB_KEEP:-}" ]; then
		mkdir -p "$NJ_DEB_KEEP" && cp -a "$work"/. "$NJ_DEB_KEEP"/ && say "kept in $NJ_DEB_KEEP"
	fi
	rm -rf "$work"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 1. build from a clean copy
if [ -n "${NJ_DEB_DEBS:-}" ]; then
	debs=$(cd "$NJ_DEB_DEBS" && pwd)
	say "using the packages in $debs"
else
	mkdir -p "$work/src/netjack"
	if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
		(cd "$src" && git ls-files -z --cached --others --exclude-standard |
			while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
			tar --null -T - -cf -) | tar -C "$work/src/netjack" -xf -
	else # not a git checkout: the tree without build directories
		tar -C "$src" --exclude='./build*' --exclude='./obj-*' --exclude='./debian/.debhelper' \
			-cf - . | tar -C "$work/src/netjack" -xf -
	fi
	say "building in $work/src/netjack"
	(cd "$work/src/netjack" && dpkg-buildpackage -us -uc -b -j"$(nproc)") >"$work/build.log" 2>&1 ||
		{ tail -n 40 "$work/build.log"; fail "dpkg-buildpackage failed"; }
	debs=$work/src
	grep -E '^(Ok|Fail|Skipped|Timeout): ' "$work/build.log" | tr -s ' ' | paste -sd ' ' |
		sed 's/^/unit suite in the package build: /'
	# 2. lintian: errors fail, the rest is shown
	lintian --pedantic -I "$debs"/netjack_*.changes >"$work/lintian.log" 2>&1 || true
	grep -v 'running with root privileges' "$work/lintian.log" || true
	if grep -q '^E: ' "$work/lintian.log"; then
		fail "lintian reports errors"
	fi
	say "lintian: $(grep -c '^E: ' "$work/lintian.log") errors, $(grep -c '^W: ' "$work/lintian.log") warnings"
fi
for p in netjack libnetproto0 libnetproto-dev; do
	ls "$debs/${p}"_*.deb >/dev/null 2>&1 || fail "no $p package in $debs"
	echo "$(basename "$debs/${p}"_*.deb): $(stat -c %s "$debs/${p}"_*.deb) bytes"
done

# 3. install and check the files
dpkg -i "$debs"/netjack_*.deb "$debs"/libnetproto0_*.deb "$debs"/libnetproto-dev_*.deb \
	>"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "dpkg -i failed"; }
for p in netjack libnetproto0 libnetproto-dev; do
	[ "$(dpkg-query -W -f='${Status}' "$p")" = "install ok installed" ] || fail "$p not installed"
done
say "installed: $(dpkg-query -W -f='${Package} ${Version}\n' netjack libnetproto0 libnetproto-dev | paste -sd ' ')"
conff=$(dpkg-query -W -f='${Conffiles}' netjack)
for c in /etc/netjack/master.conf /etc/netjack/slave.conf; do
	grep -q "^ $c " <<<"$conff" || fail "$c is not a conffile of netjack"
	[ -f "$c" ] || fail "$c missing"
done
echo "conffiles: $(awk '{print $1}' <<<"$conff" | paste -sd ' ')"
for f in /usr/sbin/netjack-master /usr/bin/netjack-slave /usr/bin/netjack-ctl \
	/usr/bin/netjack-browse /usr/bin/netjack-dump \
	/lib/systemd/system/netjack-master.service /lib/systemd/system/netjack-slave@.service \
	/usr/lib/systemd/user/netjack-master.service /usr/lib/systemd/user/netjack-slave@.service \
	/usr/lib/sysusers.d/netjack.conf \
	/usr/share/man/man8/netjack-master.8.gz /usr/share/man/man8/netjack-slave.8.gz \
	/usr/share/man/man1/netjack-ctl.1.gz /usr/share/man/man1/netjack-browse.1.gz \
	/usr/share/man/man1/netjack-dump.1.gz \
	/usr/share/bash-completion/completions/netjack-master \
	/usr/share/bash-completion/completions/netjack-ctl \
	/usr/share/doc/netjack/examples/master.conf \
	/usr/include/libnetproto/wire.h; do
	[ -e "$f" ] || fail "$f not installed"
done
dpkg -L libnetproto0 | grep -q '/libnetproto\.so\.0$' || fail "libnetproto0 has no libnetproto.so.0"
[ "$(pkg-config --modversion libnetproto)" = "$(dpkg-query -W -f='${Version}' libnetproto-dev | sed 's/-[^-]*$//')" ] ||
	fail "pkg-config libnetproto does not give the package's version"
id -nG jack | grep -qw audio || fail "the sysusers file did not make user jack in group audio"
[ "$(systemctl is-enabled netjack-master.service 2>/dev/null || true)" = disabled ] ||
	fail "netjack-master.service should be installed disabled, is: $(systemctl is-enabled netjack-master.service 2>&1)"
say "files, conffiles, user jack (groups: $(id -nG jack)), unit disabled: ok"

# 4. systemctl start netjack-master, under a systemd of its own.
# This machine's PID 1 may not be systemd (a container, a CI runner): boot one
# as PID 1 of new PID, mount, UTS and network namespaces. Its cgroups are a
# subtree of their own; its units come first from a directory of ours
# ($SYSTEMD_UNIT_PATH, ahead of /etc), where every unit that would touch the
# machine (udev, sysctl, modules, binfmt, tmpfiles, utmp, clock, timers,
# fstab mounts, ...) is masked and a target with nothing but sysinit.target is
# what it boots into.
units=$work/units
mkdir -p "$units"
cat >"$units/netjack-test.target" <<'UNIT'
[Unit]
Description=netjack package test (a private systemd)
Wants=sysinit.target
After=sysinit.target
UNIT
# the JACK server the master needs: the unit's User=, the dummy driver
cat >"$units/netjack-test-jackd.service" <<'UNIT'
[Unit]
Description=JACK server for the netjack package test (dummy driver)
[Service]
User=jack
Group=audio
LimitRTPRIO=95
LimitMEMLOCK=infinity
Environment=JACK_NO_AUDIO_RESERVATION=1
ExecStart=/usr/bin/jackd -R -P 70 -d dummy -r 48000 -p 256 -C 2 -P 2
UNIT
masks=(local-fs.target swap.target timers.target sockets.target paths.target
	cryptsetup.target integritysetup.target veritysetup.target remote-fs.target
	getty.target systemd-networkd.service networking.service systemd-networkd-wait-online.service
	NetworkManager-wait-online.service ifupdown-wait-online.service
	systemd-udevd.service systemd-udev-trigger.service systemd-udev-settle.service
	systemd-remount-fs.service systemd-journal-flush.service systemd-update-utmp.service
	systemd-tmpfiles-setup.service systemd-tmpfiles-setup-dev.service)
# and whatever sysinit.target wants here, journald aside
for d in /lib/systemd/system /usr/lib/systemd/system /etc/systemd/system; do
	for u in "$d"/sysinit.target.wants/*; do
		[ -e "$u" ] || [ -L "$u" ] || continue
		masks+=("$(basename "$u")")
	done
done
for u in "${masks[@]}"; do
	case $u in systemd-journald.service) continue ;; esac
	ln -sf /dev/null "$units/$u"
done
: >"$work/boot.log"
# Its cgroups: a subtree of the v1 name=systemd and the cgroup2 hierarchies
# (this machine: hybrid, no systemd to ask), or of the cgroup2 root on a
# unified machine.
cg=netjack-deb-$$
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
	cg_dirs=(/sys/fs/cgroup/$cg)
else
	for h in systemd unified; do
		[ -d /sys/fs/cgroup/$h ] && cg_dirs+=(/sys/fs/cgroup/$h/$cg)
	done
fi
mkdir -p "${cg_dirs[@]}"
# The inner shell: join the cgroups, make /run, /tmp and /dev/shm private,
# /sys and /proc/sys read-only (what systemd-nspawn does: udev, sysctl and
# friends see a container and skip themselves), /dev/console our log, the
# loopback up; then exec systemd as PID 1.
(
	for d in "${cg_dirs[@]}"; do
		echo "$BASHPID" >"$d/cgroup.procs"
	done
	exec unshare --pid --fork --mount --mount-proc --uts --net --propagation private \
		/bin/sh -euc '
		mount -t tmpfs -o mode=0755 tmpfs /run
		mount --bind "$1" /dev/console
		cp -a "$2" /run/netjack-test-units
		mount -t tmpfs -o mode=1777 tmpfs /tmp
		mount -t tmpfs -o mode=1777 tmpfs /dev/shm
		mount -t tmpfs -o mode=0755 tmpfs /var/lib/systemd
		mount --bind /sys /sys && mount -o remount,bind,ro /sys
		mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys
		mkdir -p /run/systemd/journald.conf.d
		printf "[Journal]\nStorage=volatile\n" >/run/systemd/journald.conf.d/volatile.conf
		hostname netjack-deb-test
		ip link set lo up
		exec env -i container=other SYSTEMD_UNIT_PATH=/run/netjack-test-units: \
			PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			/lib/systemd/systemd --system --unit=netjack-test.target \
			--log-target=console --show-status=no
	' sh "$work/boot.log" "$units" >>"$work/boot.log" 2>&1
) &
boot_unshare=$!
# the namespace's PID 1, as this machine sees it: unshare's child
for _ in $(seq 50); do
	boot_pid=$(cat /proc/$boot_unshare/task/$boot_unshare/children 2>/dev/null | awk '{print $1}' || true)
	[ -n "$boot_pid" ] && [ "$(cat /proc/"$boot_pid"/comm 2>/dev/null)" = systemd ] && break
	sleep 0.1
done
[ -n "$boot_pid" ] || fail "the private systemd did not start"
in_ns() { nsenter -t "$boot_pid" -a -- "$@"; }
for _ in $(seq 300); do
	[ -d /proc/"$boot_pid" ] || fail "the private systemd ended"
	in_ns test -S /run/systemd/private && break
	sleep 0.1
done
state=$(timeout 60 nsenter -t "$boot_pid" -a -- systemctl is-system-running --wait 2>&1) || true
say "private systemd (PID $boot_pid here, PID 1 there) booted: $state"
case $state in running | degraded) ;; *) fail "the private systemd did not boot" ;; esac
in_ns systemctl --failed --no-legend --plain | sed 's/^/  failed at boot (not ours): /'

# The JACK server (a D-Bus-less systemd has no systemd-run, hence a unit).
in_ns systemctl start netjack-test-jackd
in_ns setpriv --reuid=jack --regid=audio --init-groups env JACK_NO_START_SERVER=1 \
	timeout 15 jack_wait -w -t 10 >/dev/null 2>&1 ||
	{ in_ns journalctl -u netjack-test-jackd --no-pager | tail -n 20; fail "jackd did not start"; }
say "jackd (dummy, 48000/256) runs as jack: $(in_ns systemctl is-active netjack-test-jackd)"

t1=$(date +%s.%N)
in_ns timeout 60 systemctl start netjack-master ||
	{ in_ns systemctl status --no-pager netjack-master | tail -n 25; fail "systemctl start netjack-master failed"; }
t2=$(date +%s.%N)
active=$(in_ns systemctl is-active netjack-master || true)
say "systemctl start netjack-master returned in $(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.1f", b - a }') s; is-active: $active"
[ "$active" = active ] || fail "netjack-master is $active"
in_ns systemctl show -p MainPID -p User -p StatusText netjack-master | sed 's/^/  /'
log=$(in_ns journalctl -u netjack-master --no-pager -o cat)
grep -m1 'connected to JACK' <<<"$log" | sed 's/^/  journal: /' || { echo "$log"; fail "no \"connected to JACK\" in the master's log"; }
status=$(in_ns netjack-ctl status 2>&1) || { echo "$status"; fail "netjack-ctl status failed"; }
head -n 3 <<<"$status" | sed 's/^/  netjack-ctl status: /'
in_ns test -S /run/netjack/master.sock || fail "no /run/netjack/master.sock"

in_ns timeout 30 systemctl stop netjack-master
result=$(in_ns systemctl show -p Result --value netjack-master)
ended=$(in_ns systemctl show -p ExecMainStatus --value netjack-master)
say "systemctl stop netjack-master: Result=$result, exit status $ended"
[ "$result" = success ] && [ "$ended" = 0 ] || fail "netjack-master did not stop cleanly"
# Started ahead of JACK (a boot where jackd comes later): active, the unit
# says it waits, and it connects once the server is there.
in_ns systemctl stop netjack-test-jackd
in_ns systemctl start --no-block netjack-master
for _ in $(seq 50); do
	st=$(in_ns systemctl show -p StatusText --value netjack-master)
	case $st in *"waiting for the JACK server"*) break ;; esac
	sleep 0.1
done
say "started without JACK: $(in_ns systemctl is-active netjack-master || true), status \"$st\""
case $st in *"waiting for the JACK server"*) ;; *) fail "the master does not say it waits for JACK" ;; esac
# it is ready while it waits (systemd's start timeout would otherwise end it
# every 90 s), and connects once the server is there
[ "$(in_ns systemctl is-active netjack-master || true)" = active ] || fail "netjack-master is not active while it waits for JACK"
in_ns systemctl start netjack-test-jackd
for _ in $(seq 200); do
	st=$(in_ns systemctl show -p StatusText --value netjack-master)
	case $st in *"waiting for the JACK server"*) sleep 0.1 ;; *) break ;; esac
done
case $st in *"waiting for the JACK server"*) fail "netjack-master did not connect within 20 s of jackd's start" ;; esac
say "jackd started: netjack-master $(in_ns systemctl is-active netjack-master || true), status \"$(in_ns systemctl show -p StatusText --value netjack-master)\""
in_ns timeout 30 systemctl stop netjack-master
say "PASS (the package built, lintian clean of errors, installed, netjack-master started and stopped by systemd)"
