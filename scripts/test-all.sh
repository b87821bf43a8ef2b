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
# Retried scenarios get one attempt each once the suite has run this long
# (lib/retry.sh), so CI stays well inside its limit on a stalling machine.
export NJ_SUITE_DEADLINE=$(($(date +%s) + ${NJ_SUITE_BUDGET_S:-2100}))
# One run for both suites (one testlog.json); integration scenarios are
# is_parallel: false, so they run one at a time after the unit tests.
meson test -C "$BUILD" --print-errorlogs --suite unit --suite integration || rc=1

# Fuzz smoke run: every libFuzzer target for a bounded time (clang build).
: >"$BUILD/fuzz-results.txt"
if [ "${NJ_FUZZ_SECONDS:-30}" != 0 ]; then
	bash scripts/fuzz-smoke.sh "${NJ_FUZZ_SECONDS:-30}" | tee "$BUILD/fuzz-results.txt" || rc=1
fi

# The Debian package (tests/package/deb.sh: build, lintian, install, and
# `systemctl start netjack-master` under a private systemd): about 2 minutes,
# so only in CI (CI=true, or NJ_PACKAGE_TEST=1 as .ci/run sets it).
: >"$BUILD/package-result.txt"
if [ "${CI:-}" = true ] || [ "${NJ_PACKAGE_TEST:-0}" = 1 ]; then
	prc=0
	bash tests/package/deb.sh || prc=$?
	case $prc in
	0) verdict=PASS ;;
	77) verdict=SKIP ;;
	*) verdict=FAIL rc=1 ;;
	esac
	echo "package: $verdict" | tee "$BUILD/package-result.txt"
fi

# One closing line that any CI reader understands.
/usr/bin/python3 - "$BUILD" <<'PY'
import json, sys
passed = failed = skipped = 0
for line in open(sys.argv[1] + "/fuzz-results.txt"):
    if line.startswith("fuzz-smoke:"):
        if "no finding" in line:
            passed += 1
        elif "FAILED" in line:
            failed += 1
for line in open(sys.argv[1] + "/package-result.txt"):
    if line.startswith("package:"):
        word = line.split()[1]
        passed += word == "PASS"
        failed += word == "FAIL"
        skipped += word == "SKIP"
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
