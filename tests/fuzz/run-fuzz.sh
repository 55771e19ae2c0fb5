#!/usr/bin/env bash
# Run one libFuzzer target briefly over a scratch copy of its seed corpus.
# usage: run-fuzz.sh BINARY CORPUS_DIR   (FUZZ_SECONDS, default 20)
# Fails when the fuzzer fails or leaves a crash/leak/timeout/oom artefact.
set -euo pipefail
bin=$(readlink -f "$1")
corpus=$(readlink -f "$2")
[ -x "$bin" ] || { echo "run-fuzz: $1 is not an executable" >&2; exit 1; }
[ -d "$corpus" ] || { echo "run-fuzz: no seed corpus at $2" >&2; exit 1; }
work=$(mktemp -d /tmp/rp-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus" "$work/out"
cp -r "$corpus"/. "$work/corpus"/
cd "$work/out"
rc=0
"$bin" -max_total_time="${FUZZ_SECONDS:-20}" -rss_limit_mb=2048 -max_len=65536 \
	-print_final_stats=1 "$work/corpus" >"$work/log" 2>&1 || rc=$?
tail -n 25 "$work/log"
if ls crash-* leak-* timeout-* oom-* >/dev/null 2>&1; then
	echo "run-fuzz: the fuzzer found a failing input:" >&2
	for f in crash-* leak-* timeout-* oom-*; do
		[ -f "$f" ] && { echo "== $f" >&2; od -A x -t x1z "$f" | head -20 >&2; }
	done
	exit 1
fi
grep -q "stat::number_of_executed_units" "$work/log" ||
	{ echo "run-fuzz: the fuzzer did not run to completion" >&2; exit 1; }
exit $rc
