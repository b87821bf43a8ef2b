#!/usr/bin/env bash
# demo.sh - the quick start's main job: install, build, and show netjack at work.
# For now: libnetproto's view of a jack2 session captured on the wire.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
BUILD=${BUILD:-build}
[ -d "$BUILD" ] || meson setup "$BUILD" >/dev/null
ninja -C "$BUILD" >/dev/null
"$BUILD/tools/netjack-dump" tests/vectors/jack2-float-2ch.hex
