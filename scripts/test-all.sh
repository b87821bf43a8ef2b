#!/usr/bin/env bash
# test-all.sh - install, build (warnings as errors) and run every test suite.
# The README's test command; CI runs it through .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh

BUILD=${BUILD:-build-ci}
rm -rf "$BUILD"
meson setup "$BUILD" -Dwerror=true >/dev/null
ninja -C "$BUILD"

rc=0
meson test -C "$BUILD" --print-errorlogs --suite unit || rc=1
if [ -n "$(meson test -C "$BUILD" --list --suite integration 2>/dev/null)" ]; then
	meson test -C "$BUILD" --print-errorlogs --suite integration --num-processes 1 || rc=1
fi

# Fuzz smoke run: every libFuzzer target for a bounded time (clang build).
if [ "${NJ_FUZZ_SECONDS:-60}" != 0 ]; then
	bash scripts/fuzz-smoke.sh "${NJ_FUZZ_SECONDS:-60}" || rc=1
fi

# One closing line that any CI reader understands.
python3 - "$BUILD" <<'PY'
import json, sys
passed = failed = skipped = 0
for line in open(sys.argv[1] + "/meson-logs/testlog.json"):
    r = json.loads(line)["result"]
    if r in ("OK", "EXPECTEDFAIL"):
        passed += 1
    elif r == "SKIP":
        skipped += 1
    else:
        failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $rc
