#!/usr/bin/env bash
# fuzz-smoke.sh SECONDS - build the libFuzzer targets with clang and run each one
# for SECONDS, seeded with the golden vectors. Fails on any crash.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
FB=build-fuzz
if [ ! -d "$FB" ]; then
	CC=clang meson setup "$FB" -Dfuzz=true -Ddaemons=disabled -Db_lundef=false >/dev/null
fi
ninja -C "$FB"
targets=$(find "$FB/tests/fuzz" -maxdepth 1 -type f -name 'fuzz-*' -perm -u+x | sort)
if [ -z "$targets" ]; then
	echo "fuzz-smoke: no targets yet"
	exit 0
fi
rc=0
for t in $targets; do
	name=$(basename "$t")
	corpus="$FB/corpus-$name"
	mkdir -p "$corpus"
	"$t" -seed_corpus_dir=tests/vectors >/dev/null 2>&1 || true
	echo "fuzz-smoke: $name for ${secs}s"
	if ! "$t" -max_total_time="$secs" -rss_limit_mb=2048 -print_final_stats=0 \
		"$corpus" "$FB/tests/fuzz/seeds-$name" 2>"$FB/$name.log"; then
		echo "fuzz-smoke: $name FAILED"; tail -40 "$FB/$name.log"
		rc=1
	fi
done
exit $rc
