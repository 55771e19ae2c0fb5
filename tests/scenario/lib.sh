# Shared helpers of the scenario tests (sourced). Every scenario:
#   - exits 77 with a reason when this machine cannot run it (skip, never a silent pass);
#   - cleans up every process and namespace it made, by PID / by name, on any exit.
set -uo pipefail

B=${RAMPART_BUILD_DIR:?run through meson test}
S=${RAMPART_SOURCE_DIR:?run through meson test}
DP=$B/dataplane/rampart-dp
CPD=$B/controlplane/rampartd
CTL=$B/controlplane/rampartctl
WORK=$(mktemp -d /tmp/rp-scenario.XXXXXX)
PIDS=()

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok: $*"; }

cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do
		for _ in $(seq 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	[ -n "${REGION:-}" ] && rm -f "$REGION"
	[ "${KEEP_WORK:-0}" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT

need_root() { [ "$(id -u)" -eq 0 ] || skip "needs root"; }

need_hugepages() { # MB
	local free_pages
	free_pages=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages 2>/dev/null || echo 0)
	[ $((free_pages * 2)) -ge "$1" ] || skip "needs $1 MB of free 2 MB hugepages (have $((free_pages * 2)) MB; run scripts/setup.sh)"
	grep -qs ' hugetlbfs ' /proc/mounts || skip "no hugetlbfs mount (run scripts/setup.sh)"
}

# wait_for SECONDS COMMAND...: poll until the command succeeds.
wait_for() {
	local t=$1; shift
	for _ in $(seq $((t * 10))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
	return 1
}

# Write a configuration for a private instance (unique region, socket and DPDK prefix).
# usage: write_conf FILE INSTANCE [extra dataplane settings]
write_conf() {
	cat >"$1" <<CONF
instance = "$2";
log = { level = "info"; };
control = { region = "$WORK/$2.ctl"; slots = 1024; };
management = { socket = "$WORK/$2.sock"; };
dataplane = {
  main_lcore = 0;
  workers = [ 1 ];
  memory_mb = 128;
  idle_sleep_us = 200;
  ${3:-}
  ports = (
    { name = "outside"; role = "outside"; device = "net_ring_${2}o"; },
    { name = "inside";  role = "inside";  device = "net_ring_${2}i"; }
  );
};
CONF
}
