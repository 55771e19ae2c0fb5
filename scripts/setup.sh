#!/usr/bin/env bash
# One-command set-up of a Debian 12 machine for Rampart: packages, hugepages, build.
# Idempotent and quiet when everything is already in place.
#
# usage: scripts/setup.sh [--no-build] [--hugepages N] [--build-dir DIR] [--verbose]
#
#   --no-build      packages and hugepages only
#   --hugepages N   2 MB hugepages to have reserved (default 512 = 1 GiB, or $RAMPART_HUGEPAGES)
#   --build-dir D   meson build directory (default: build, in the source tree)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir="$here/build"
want_pages=${RAMPART_HUGEPAGES:-512}
do_build=1
verbose=0

while [ $# -gt 0 ]; do
	case "$1" in
	--no-build) do_build=0 ;;
	--hugepages) want_pages=$2; shift ;;
	--build-dir) build_dir=$2; shift ;;
	--verbose|-v) verbose=1 ;;
	-h|--help) sed -n '2,10p' "$0"; exit 0 ;;
	*) echo "setup: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (packages, hugepages and DPDK need it): sudo $0"
[ -r /etc/debian_version ] || die "this script supports Debian 12 only"

# ---- packages ---------------------------------------------------------------------------
# Build: compiler, meson, the four product libraries, libevent, cmocka, clang for fuzzing.
# Run/test: DPDK tools, the real peers used by scenario tests, scapy, tshark, iperf3.
packages=(
	build-essential pkg-config meson ninja-build clang libclang-rt-14-dev
	libdpdk-dev dpdk dpdk-doc libipsec-mb-dev libssl-dev libconfig-dev libevent-dev
	libcmocka-dev libpcap-dev
	iproute2 procps psmisc kmod util-linux nftables conntrack
	strongswan-swanctl strongswan-charon charon-systemd libcharon-extra-plugins strongswan-pki
	freeradius freeradius-utils eapoltest openconnect ocserv vpnc-scripts
	iperf3 python3-scapy python3-cryptography tshark python3-matplotlib gnuplot-nox jq
)
missing=()
for p in "${packages[@]}"; do
	# dpkg-query prints "install ok installed" for a fully installed package.
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -gt 0 ]; then
	say "installing ${#missing[@]} Debian packages: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# Some packages (freeradius, ocserv, strongswan) start system services on install;
	# the tests run their own instances in namespaces, so keep the system ones off.
	policy=/usr/sbin/policy-rc.d
	made_policy=0
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod +x "$policy"
		made_policy=1
	fi
	log=$(mktemp /tmp/rampart-setup-apt.XXXXXX)
	if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
		[ $made_policy -eq 1 ] && rm -f "$policy"
		tail -n 30 "$log" >&2
		die "apt-get failed (full log: $log)"
	fi
	[ $made_policy -eq 1 ] && rm -f "$policy"
	rm -f "$log"
fi

# ---- hugepages ---------------------------------------------------------------------------
hp=/sys/kernel/mm/hugepages/hugepages-2048kB
[ -d "$hp" ] || die "this kernel has no 2 MB hugepages ($hp missing)"
have=$(cat "$hp/nr_hugepages")
if [ "$have" -lt "$want_pages" ]; then
	echo "$want_pages" >"$hp/nr_hugepages" 2>/dev/null || true
	have=$(cat "$hp/nr_hugepages")
	if [ "$have" -lt "$want_pages" ]; then
		# Fragmented memory: compact and try once more.
		echo 1 >/proc/sys/vm/compact_memory 2>/dev/null || true
		echo "$want_pages" >"$hp/nr_hugepages" 2>/dev/null || true
		have=$(cat "$hp/nr_hugepages")
	fi
	[ "$have" -ge "$want_pages" ] ||
		die "could reserve only $have of $want_pages 2 MB hugepages (free memory: $(awk '/MemAvailable/ {print $2/1024 " MB"}' /proc/meminfo)); free memory or lower --hugepages"
	say "reserved $have 2 MB hugepages"
fi
if ! grep -qs ' /dev/hugepages hugetlbfs ' /proc/mounts; then
	mkdir -p /dev/hugepages
	mount -t hugetlbfs -o pagesize=2M nodev /dev/hugepages ||
		die "cannot mount hugetlbfs on /dev/hugepages"
	say "mounted hugetlbfs on /dev/hugepages"
fi

mkdir -p /run/rampart /var/log/rampart

# ---- build -------------------------------------------------------------------------------
[ $do_build -eq 1 ] || exit 0
cd "$here"
log=$(mktemp /tmp/rampart-setup-build.XXXXXX)
if [ ! -f "$build_dir/build.ninja" ]; then
	say "configuring $build_dir"
	meson setup "$build_dir" >"$log" 2>&1 || { cat "$log" >&2; die "meson setup failed"; }
fi
if ! ninja -C "$build_dir" >"$log" 2>&1; then
	grep -E 'error|Error|FAILED' "$log" | head -40 >&2
	die "build failed (full log: $log)"
fi
if [ $verbose -eq 1 ]; then cat "$log"; fi
# Our code builds without warnings; say so loudly if that stops being true.
if grep -q 'warning:' "$log"; then
	say "the build printed warnings:"
	grep -A3 'warning:' "$log" | head -40
fi
rm -f "$log"
