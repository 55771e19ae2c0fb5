#!/bin/bash
# SPDX-License-Identifier: LicenseRef-Rampart-Proprietary
# Scenario: rampart's asynchronous RADIUS client (tests/aaa/radius_probe) against a real
# FreeRADIUS 3.2 in its own network namespace.
#
# Topology (namespace rp-aaa-$$): lo carries 192.0.2.1 (FreeRADIUS, auth 1812 / acct 1813)
# and 192.0.2.2 (the probe's source address); veth "aaa0" (peer aaa1, both in the namespace)
# holds 192.0.2.10/24, so 192.0.2.9 is on-link but nobody answers ARP for it: the "dead
# server" of the failover step. FreeRADIUS delays Access-Reject by 1 s (reject_delay).
#
# Expectations (radius_probe prints one line per check):
#   PAP accept with Framed-IP-Address 198.18.200.77 and three ipsec:* Cisco AV-pairs; PAP
#   wrong password rejected; EAP-MD5 through Access-Challenge with State, ending in
#   Access-Accept + EAP-Success; Accounting Start and Stop answered; failover from 192.0.2.9
#   to 192.0.2.1 with the dead server marked and skipped afterwards. FreeRADIUS also checks
#   our side: it drops Access-Requests whose Message-Authenticator or User-Password hiding
#   is wrong (the accept would not come back).
# Exit 77 (skip) when not root, or freeradius / the probe is missing.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
PROBE=${RADIUS_PROBE:-${RAMPART_BUILD_DIR:-$HERE/../../build}/tests/aaa/radius_probe}

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root for network namespaces"; exit 77; }
command -v freeradius >/dev/null || { echo "SKIP: freeradius is not installed"; exit 77; }
[ -d /etc/freeradius/3.0 ] || { echo "SKIP: /etc/freeradius/3.0 missing"; exit 77; }
[ -x "$PROBE" ] || { echo "SKIP: radius_probe not built ($PROBE)"; exit 77; }

. "$HERE/radius_env.sh"
NS=rp-aaa-$$
W=$(mktemp -d /tmp/rp-aaa.XXXXXX)
cleanup() {
	rad_stop "$W"
	rad_ns_down "$NS"
	rm -rf "$W"
}
trap cleanup EXIT

rad_setup "$W" || { echo "FAIL: cannot build the FreeRADIUS configuration"; exit 1; }
# listen on the test address only
sed -i 's/ipaddr = \*/ipaddr = 192.0.2.1/' "$W/raddb/sites-enabled/rampart"
rad_ns_up "$NS" || { echo "FAIL: cannot create namespace $NS"; exit 1; }
ip -n "$NS" link add aaa0 type veth peer name aaa1 &&
ip -n "$NS" addr add 192.0.2.10/24 dev aaa0 &&
ip -n "$NS" link set aaa0 up && ip -n "$NS" link set aaa1 up ||
	{ echo "FAIL: cannot set up the veth pair in $NS"; exit 1; }
rad_start "$NS" "$W" || exit 1

ip netns exec "$NS" "$PROBE" --server 192.0.2.1 --dead 192.0.2.9 --source 192.0.2.2
rc=$?
if [ $rc != 0 ]; then
	echo "--- FreeRADIUS log (tail)"
	tail -60 "$W/radiusd.out"
fi
# what FreeRADIUS saw of us: it must never have dropped a request as forged
if grep -qiE 'Message-Authenticator.*(invalid|failed)|Dropping packet without response' "$W/radiusd.out"; then
	echo "FAIL: FreeRADIUS refused one of our requests"
	grep -iE 'Message-Authenticator|Dropping' "$W/radiusd.out" | head
	rc=1
fi
exit $rc
