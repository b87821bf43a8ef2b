#!/usr/bin/env bash
# fuzz-smoke.sh [SECONDS] - build the libFuzzer targets with clang (ASan+UBSan)
# and run each for SECONDS (default 60), two at a time, seeded with every
# packet of the golden vectors. Fails, and prints the crash, on any finding.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
FB=${FUZZ_BUILD:-build-fuzz}
if [ ! -d "$FB" ]; then
	CC=clang meson setup "$FB" -Dfuzz=true -Ddaemons=disabled \
		-Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
ninja -C "$FB" >/dev/null
/usr/bin/python3 tests/fuzz/seeds.py tests/vectors "$FB/fuzz-seeds" >/dev/null
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
rc=0
run() {
	local t=$1 name
	name=$(basename "$t")
	mkdir -p "$FB/corpus-$name"
	if "$t" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
		-artifact_prefix="$FB/crash-$name-" "$FB/corpus-$name" "$FB/fuzz-seeds" \
		>"$FB/$name.log" 2>&1; then
		echo "fuzz-smoke: $name: $(grep -Eo 'Done [0-9]+ runs' "$FB/$name.log" | tail -1), no finding"
	else
		echo "fuzz-smoke: $name: FAILED"
		tail -n 60 "$FB/$name.log"
		return 1
	fi
}
mapfile -t targets < <(find "$FB/tests/fuzz" -maxdepth 1 -type f -executable -name 'fuzz-*' | sort)
for ((i = 0; i < ${#targets[@]}; i += 2)); do
	run "${targets[$i]}" & p1=$!
	p2=
	if [ $((i + 1)) -lt ${#targets[@]} ]; then
		run "${targets[$((i + 1))]}" & p2=$!
	fi
	wait $p1 || rc=1
	[ -z "$p2" ] || wait $p2 || rc=1
done
exit $rc
