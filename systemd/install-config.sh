#!/bin/sh
# install-config.sh SRCDIR CONFDIR FILE... - meson install script: put each
# example config into CONFDIR unless a file of that name is there already, so
# that a reinstall or an upgrade never overwrites an installer's settings (the
# examples are also installed in the documentation directory).
set -eu
src=$1
dst=${DESTDIR:-}$2
shift 2
mkdir -p "$dst"
for f in "$@"; do
	if [ -e "$dst/$f" ]; then
		echo "install-config: keeping $dst/$f (the example is in the documentation directory)"
	else
		install -m 644 "$src/$f" "$dst/$f"
		echo "install-config: installed $dst/$f"
	fi
done
