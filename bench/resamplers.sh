#!/usr/bin/env bash
# bench/resamplers.sh [REPEATS] [SECONDS]: the clock bridge's drift converter,
# libsamplerate against zita-resampler, libsoxr (variable rate) and SpeexDSP,
# each at several settings (bench/resamplers.c says what is measured). CPU
# only, no root; built with whichever of the libraries meson found (Debian:
# libsamplerate0-dev libzita-resampler-dev libsoxr-dev libspeexdsp-dev).
# Prints a table with CPU ratios against libsamplerate medium.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${NJ_BUILD:-$here/../build}
ninja -C "$build" bench/resamplers >&2
exec "$build/bench/resamplers" "${1:-5}" "${2:-2}"
