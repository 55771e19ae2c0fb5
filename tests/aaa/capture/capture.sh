#!/bin/bash
# SPDX-License-Identifier: LicenseRef-Rampart-Proprietary
# Regenerate radius.pcap: FreeRADIUS 3.2 in netns "aaacap" (192.0.2.1 on lo), its own clients
# (radtest, radclient, eapol_test) talking to it, tshark on lo. Then run
#   ./extract.py radius.pcap > ../radius_capture.h
# and copy the eapol_test key lines into eapol_mschapv2_keys.txt. Run as root.
set -e
HERE=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d /tmp/aaacap.XXXXXX)
. "$HERE/../radius_env.sh"
rad_setup "$W"
rad_ns_up aaacap
trap 'kill $TSP 2>/dev/null; rad_stop "$W"; rad_ns_down aaacap' EXIT
rad_start aaacap "$W"
ip netns exec aaacap tshark -i lo -w "$W/cap.pcap" -f udp >/dev/null 2>&1 &
TSP=$!
sleep 2
ns() { ip netns exec aaacap "$@"; }
ns radtest -x testuser testpass 192.0.2.1 0 testing123                 # frames 1-2
ns radtest -x testuser nope 192.0.2.1 0 testing123 || true             # frames 3-4
ns eapol_test -c "$HERE/eap-md5.conf" -a 192.0.2.1 -s testing123 -t 5 -n  # frames 5-8
ns eapol_test -c "$HERE/eap-mschapv2.conf" -a 192.0.2.1 -s testing123 -t 5 | tee "$W/mschap.out" # 9-16
printf 'User-Name = "testuser", Acct-Status-Type = Start, Acct-Session-Id = "rp-0001", NAS-IP-Address = 192.0.2.2, Framed-IP-Address = 198.18.200.77\n' |
	ns radclient -x 192.0.2.1 acct testing123                       # frames 17-18
printf 'User-Name = "testuser", Acct-Session-Id = "rp-0001"\n' |
	ns radclient -x -r 1 -t 1 192.0.2.1:3799 disconnect testing123 || true # frame 19 (no listener)
sleep 1
kill $TSP; wait $TSP || true
cp "$W/cap.pcap" "$HERE/radius.pcap"
grep -E 'MS-MPPE-(Send|Recv)-Key|PMK from EAPOL|MPPE keys OK' "$W/mschap.out"
