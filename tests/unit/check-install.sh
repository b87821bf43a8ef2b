#!/usr/bin/env bash
# check-install.sh BUILD_DIR - libnetproto installs with headers and a working
# pkg-config file, and the library links no JACK, avahi or systemd.
set -euo pipefail
build=$1
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
lib=$(find "$build/libnetproto" -maxdepth 1 -name 'libnetproto.so.*.*' | head -1)
[ -n "$lib" ] || { echo "FAIL: libnetproto.so not built"; exit 1; }
deps=$(ldd "$lib")
if echo "$deps" | grep -Eq 'libjack|libavahi|libsystemd'; then
	echo "FAIL: libnetproto links a daemon-side library:"; echo "$deps"; exit 1
fi
echo "ldd libnetproto: no libjack, libavahi or libsystemd"
meson install -C "$build" --destdir "$dest" --no-rebuild >/dev/null
pc=$(find "$dest" -name libnetproto.pc | head -1)
[ -n "$pc" ] || { echo "FAIL: no libnetproto.pc installed"; exit 1; }
prefix=$(sed -n 's/^prefix=//p' "$pc")
export PKG_CONFIG_PATH=$(dirname "$pc")
export PKG_CONFIG_SYSROOT_DIR=$dest
flags=$(pkg-config --cflags --libs libnetproto)
echo "pkg-config --cflags --libs libnetproto: $flags"
cat >"$dest/use.c" <<'C'
#include <libnetproto/wire.h>
#include <libnetproto/cycle.h>
int main(void)
{
	struct nj2_params p;
	unsigned char buf[NJ2_PARAMS_SIZE];

	nj2_params_init(&p);
	return nj2_params_encode(&p, buf, sizeof(buf)) == NJ2_PARAMS_SIZE ? 0 : 1;
}
C
# shellcheck disable=SC2086
cc -o "$dest/use" "$dest/use.c" $flags -Wl,-rpath-link,"$dest$prefix/lib" 
LD_LIBRARY_PATH=$(dirname "$(find "$dest" -name 'libnetproto.so.0' | head -1)") "$dest/use"
echo "a program built with pkg-config's flags runs"

# The example configs: installed in sysconfdir once, never over a file that is
# there (an installer's settings survive a reinstall), and always as examples.
conf=$(find "$dest" -path '*/etc/netjack/master.conf' | head -1)
if [ -n "$conf" ]; then
	find "$dest" -path '*/doc/netjack/examples/slave.conf' | grep -q . ||
		{ echo "FAIL: no example slave.conf in the documentation directory"; exit 1; }
	echo "max-slaves = 3 # ours" >"$conf"
	meson install -C "$build" --destdir "$dest" --no-rebuild >/dev/null
	grep -qx 'max-slaves = 3 # ours' "$conf" ||
		{ echo "FAIL: meson install overwrote $conf"; exit 1; }
	echo "a second meson install keeps an edited master.conf"
fi
