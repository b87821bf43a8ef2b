#!/usr/bin/env bash
# verify-units.sh BUILD: systemd-analyze verify on every unit we install
# (system and user), with ExecStart= pointing at the built binaries. Any
# warning fails the test.
set -u
build=$1
command -v systemd-analyze >/dev/null || { echo "SKIP: no systemd-analyze"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fix() {
	sed -e "s|/[^ ']*/sbin/netjack-master|$build/daemon/netjack-master|g" \
	    -e "s|/[^ ']*/bin/netjack-slave|$build/daemon/netjack-slave|g" "$1" >"$2"
	grep -q "$build/daemon/netjack-" "$2" || { echo "FAIL: no ExecStart rewritten in $1"; exit 1; }
}
mkdir -p "$tmp/sys" "$tmp/user" "$tmp/xdg"
chmod 700 "$tmp/xdg"
fix "$build/systemd/netjack-master.service" "$tmp/sys/netjack-master.service"
fix "$build/systemd/netjack-slave@.service" "$tmp/sys/netjack-slave@studio.service"
fix "$build/systemd/netjack-master.user.service" "$tmp/user/netjack-master.service"
fix "$build/systemd/netjack-slave@.user.service" "$tmp/user/netjack-slave@studio.service"
rc=0
out=$(systemd-analyze verify --man=no "$tmp"/sys/*.service 2>&1) || rc=1
echo "system units: ${out:-clean}"
[ -z "$out" ] || rc=1
out=$(XDG_RUNTIME_DIR=$tmp/xdg systemd-analyze --user verify --man=no "$tmp"/user/*.service 2>&1) || rc=1
echo "user units: ${out:-clean}"
[ -z "$out" ] || rc=1
# what the issue asks of the master's unit
u=$build/systemd/netjack-master.service
for want in '^Type=notify$' '^WatchdogSec=' '^Restart=on-failure$' '^After=.*avahi-daemon.service'; do
	grep -q "$want" "$u" || { echo "FAIL: $u lacks $want"; rc=1; }
done
exit $rc
