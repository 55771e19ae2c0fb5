#!/bin/sh
# Run one libFuzzer target briefly over a scratch copy of its seed corpus.
# usage: run-fuzz.sh BINARY CORPUS_DIR   (FUZZ_SECONDS, default 20)
set -eu
bin=$1 corpus=$2
work=$(mktemp -d /tmp/rp-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp -r "$corpus"/. "$work"/ 2>/dev/null || true
cd "$work"
"$bin" -max_total_time="${FUZZ_SECONDS:-20}" -rss_limit_mb=2048 -max_len=65536 \
	-print_final_stats=1 "$work" 2>&1 | tail -n 25
# The pipeline hides the fuzzer's status: re-check for crash artefacts.
if ls crash-* leak-* timeout-* oom-* >/dev/null 2>&1; then
	echo "fuzzer found a failing input: $(ls crash-* leak-* timeout-* oom-* 2>/dev/null)" >&2
	for f in crash-* leak-* timeout-* oom-*; do [ -f "$f" ] && od -A x -t x1z "$f" | head -20; done
	exit 1
fi
