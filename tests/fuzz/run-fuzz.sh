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
# libFuzzer's default error exit code is 77, which meson would count as "skipped".
"$bin" -max_total_time="${FUZZ_SECONDS:-20}" -rss_limit_mb=2048 -max_len=65536 \
	-error_exitcode=1 -timeout_exitcode=1 -print_final_stats=1 "$work/corpus" \
	>"$work/log" 2>&1 || rc=$?
tail -n 40 "$work/log"
shopt -s nullglob
found=(crash-* leak-* timeout-* oom-*)
if [ ${#found[@]} -gt 0 ]; then
	echo "run-fuzz: the fuzzer found failing inputs: ${found[*]}" >&2
	for f in "${found[@]}"; do
		echo "== $f" >&2
		od -A x -t x1z "$f" | head -20 >&2
	done
	exit 1
fi
[ "$rc" -eq 0 ] || { echo "run-fuzz: the fuzzer exited with status $rc" >&2; exit 1; }
grep -q "stat::number_of_executed_units" "$work/log" ||
	{ echo "run-fuzz: the fuzzer did not run to completion" >&2; exit 1; }
exit 0
