#!/usr/bin/env bash
# deps.sh - install what netjack needs to build, test and run (Debian 12, as root).
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: run as root (apt-get install)" >&2
	exit 1
fi
PKGS=(
	# build
	build-essential meson ninja-build pkg-config clang
	# libraries
	libjack-jackd2-dev libavahi-client-dev libsystemd-dev libopus-dev libzita-resampler-dev libsodium-dev
	# unit tests
	check
	# integration tests: reference peers, hosts, mDNS, loss, audio checks
	jackd2 jacktrip iproute2 nftables avahi-daemon avahi-utils dbus util-linux procps
	# PipeWire as the master's JACK server (pw-jack; pw-link, pw-cli, pw-metadata)
	pipewire pipewire-jack pipewire-bin
	# a JACK server on a clock of its own (the drift scenarios)
	faketime
	# the scenario watchdog prints the stacks of a hung daemon
	gdb
	python3 python3-jack-client python3-numpy
	# systemd unit checks
	systemd
	# the Debian package (tests/package/deb.sh)
	debhelper dpkg-dev lintian
)
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
