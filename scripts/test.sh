#!/usr/bin/env bash
# The whole test suite, in one command (the README's test command; .ci/run calls it).
#
#   1. set-up (packages, hugepages) and the default build: every suite
#      (unit, stress, esp, ike, pki, aaa, scenario, fuzz-smoke);
#   2. the benchmarks' smoke runs (perf-smoke: dp-bench, ike-bench, sa-bench, ... --quick):
#      they prove the harnesses work end to end and assert nothing on time;
#   3. an ASan+UBSan build: the unit suite;
#   4. a clang libFuzzer build: every fuzz target for FUZZ_SECONDS (default 20) each.
#
# Ends with the line "N passed, N failed[, N skipped]" and exits non-zero on any failure.
#
# usage: scripts/test.sh [--quick] [SUITE...]
#   --quick   only step 1 (no sanitizer or fuzzing builds)
#   SUITE     limit step 1 to these meson test suites
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
quick=0
suites=()
for a in "$@"; do
	case "$a" in
	--quick) quick=1 ;;
	-h|--help) sed -n '2,17p' "$0"; exit 0 ;;
	-*) echo "test: unknown option '$a'" >&2; exit 2 ;;
	*) suites+=("$a") ;;
	esac
done

say() { printf '\n=== %s ===\n' "$*"; }
logs=()
setup_failed=0

say "set-up and default build"
if ! scripts/setup.sh; then
	setup_failed=1
fi

run_suite() { # build_dir, then meson test arguments
	local dir=$1; shift
	meson test -C "$dir" --print-errorlogs --num-processes 2 "$@"
	logs+=("$dir/meson-logs/testlog.json")
}

if [ $setup_failed -eq 0 ]; then
	rm -f build/meson-logs/testlog.json
	args=()
	for s in "${suites[@]}"; do args+=(--suite "$s"); done
	say "tests: default build"
	run_suite build "${args[@]}"
fi

if [ $quick -eq 0 ] && [ $setup_failed -eq 0 ] && [ ${#suites[@]} -eq 0 ]; then
	say "benchmark smoke runs (perf-smoke)"
	rm -f build/meson-logs/testlog-perf.json
	meson test -C build --print-errorlogs --num-processes 1 --suite perf-smoke \
		--logbase testlog-perf
	logs+=("build/meson-logs/testlog-perf.json")
fi

if [ $quick -eq 0 ] && [ $setup_failed -eq 0 ]; then
	say "ASan+UBSan build: unit tests"
	if [ ! -f build-asan/build.ninja ]; then
		meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false \
			-Dbuildtype=debug >/dev/null || setup_failed=1
	fi
	if ninja -C build-asan >build-asan.log 2>&1; then
		rm -f build-asan/meson-logs/testlog.json
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 run_suite build-asan --suite unit \
			--no-suite stress
	else
		tail -n 40 build-asan.log; setup_failed=1
	fi

	say "libFuzzer build: fuzz targets, ${FUZZ_SECONDS:-20} s each"
	if [ ! -f build-fuzz/build.ninja ]; then
		CC=clang meson setup build-fuzz -Dfuzz=true -Dtests=true \
			-Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug >/dev/null ||
			setup_failed=1
	fi
	if ninja -C build-fuzz >build-fuzz.log 2>&1; then
		rm -f build-fuzz/meson-logs/testlog.json
		run_suite build-fuzz --suite fuzz-smoke
	else
		tail -n 40 build-fuzz.log; setup_failed=1
	fi
fi

# ---- one summary line over every run -----------------------------------------------------
/usr/bin/python3 - "$setup_failed" "${logs[@]}" <<'EOF'
import json, sys
setup_failed = int(sys.argv[1])
passed = failed = skipped = 0
for path in sys.argv[2:]:
    try:
        lines = open(path).read().splitlines()
    except OSError:
        failed += 1
        print(f"missing test log {path}", file=sys.stderr)
        continue
    for line in lines:
        r = json.loads(line).get("result")
        if r in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif r == "SKIP":
            skipped += 1
        else:
            failed += 1
failed += setup_failed
line = f"{passed} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
print()
print(line)
sys.exit(1 if failed else 0)
EOF
