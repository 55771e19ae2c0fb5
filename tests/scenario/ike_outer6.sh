#!/usr/bin/env bash
# IKEv2 and ESP over IPv6 outer addresses: a strongSwan client connects to rampartd on
# 2001:db8:1::1 (rampart-dp passes IKE over IPv6 to its exception tap, which holds that
# address, and carries the CHILD_SA as ESP-in-UDP over IPv6), gets a virtual IPv4 and IPv6
# address, and sends IPv4 and IPv6 inner traffic to the LAN host.
#
#   rp-cl-ID (charon)         rp-dp-ID: rampart-dp + rampartd        rp-lan-ID
#   2001:db8:1::2 ----------- outside [rampart-dp] inside ----------- 198.51.100.10
#                             tap 192.0.2.1, 2001:db8:1::1 (IKE)      2001:db8:2::10
#   (set-up: ike_lib.sh with IKE_OUTER6=1; topology: netns.sh netns_topo_dp)
#
# Checks: swanctl --initiate to 2001:db8:1::1 succeeds; the IKE_SA and CHILD_SA are between
# the IPv6 outer addresses, UDP-encapsulated; virtual addresses from both pools; ping and TCP
# transfers over IPv4 and IPv6 inner; rampart-dp's SAs have the IPv6 outer addresses and
# moved packets; `rampartctl show sessions` names the IPv6 peer with non-zero counters.
#
# Skips (77): as ike_psk.sh (root, netns, TUN, scapy, 2 CPUs, PMDs, rampart-dp, charon).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns.sh"
. "$(dirname "$0")/ike_lib.sh"
ike_need

POOL6=2001:db8:200::
IKE_OUTER6=1
IKE_LISTEN="\"$DP_OUT4\", \"$DP_OUT6\""
IKE_LOCAL_SUBNETS="\"$LAN_NET4\", \"$LAN_NET6\""
IKE_POOL="pool = { first = \"$POOL_NET.10\"; last = \"$POOL_NET.250\"; };
  ipv6_pool = { prefix = \"$POOL6/112\"; };"
ike_write_conf

charon_conf <<EOF
connections {
  v6 {
    version = 2
    local_addrs = $CL_OUT6
    remote_addrs = $DP_OUT6
    vips = 0.0.0.0, ::
    local {
      auth = psk
      id = client@example.test
    }
    remote {
      auth = psk
      id = vpn.example.test
    }
    children {
      v6 {
        remote_ts = $LAN_NET4, $LAN_NET6
      }
    }
  }
}
secrets {
  ike-good {
    id = client@example.test
    secret = "$PSK_GOOD"
  }
}
EOF
ike_start_all
start_charon
ok "charon up (pid $charon_pid) in $NS_CL"

if ! sw --initiate --ike v6 --child v6 --timeout 20 >"$WORK/initiate" 2>&1; then
	tail -n 15 "$WORK/initiate"
	echo "--- rampartd"; tail -n 30 "$WORK/cp.log"
	echo "--- rampart-dp"; tail -n 10 "$WORK/dp.log"
	fail "swanctl --initiate to $DP_OUT6 failed"
fi
ok "swanctl --initiate to [$DP_OUT6]: IKE_SA and CHILD_SA established"
sw --list-sas 2>&1 | grep -v "^plugin '.*failed to load" >"$WORK/sas"
sed 's/^/  /' "$WORK/sas"
grep -q "remote 'vpn.example.test' @ $DP_OUT6\[4500\]" "$WORK/sas" ||
	fail "the IKE_SA is not with $DP_OUT6 on port 4500"
grep -q "TUNNEL-in-UDP" "$WORK/sas" || fail "CHILD_SA is not UDP-encapsulated"
ok "IKE_SA with [$DP_OUT6]:4500, CHILD_SA TUNNEL-in-UDP over IPv6"
vip4=$(wait_vip "$POOL_NET." 5 -4) || { ip -n "$NS_CL" addr; fail "no virtual IPv4 address"; }
vip6=$(wait_vip "$POOL6" 5 -6) || { ip -n "$NS_CL" addr; fail "no virtual IPv6 address"; }
ok "client has virtual addresses $vip4 and $vip6"

port=5220
for dst in "$LAN_HOST4" "$LAN_HOST6"; do
	if ! wait_ping "$NS_CL" "$dst" 10; then
		echo "--- rampart-dp"; tail -n 20 "$WORK/dp.log"
		snap /rampart/drops,outside /rampart/drops,inside
		fail "ping $dst through the tunnel"
	fi
	if ! tcp_transfer "$NS_LAN" "$dst" "$NS_CL" $port 1000000 1000000 20 >"$WORK/xfer" 2>&1; then
		cat "$WORK/xfer" "$WORK/xfer.cli" "$WORK/xfer.srv" 2>/dev/null
		fail "TCP transfer to $dst through the tunnel"
	fi
	ok "ping $dst, $(cat "$WORK/xfer")"
	port=$((port + 1))
done

"$SCAPY_PY" "$DP_TEL" snapshot "rampart-$inst" --ports 3 >"$WORK/snap" 2>&1 ||
	{ cat "$WORK/snap"; fail "telemetry snapshot of rampart-dp"; }
"$SCAPY_PY" - "$WORK/snap" "$DP_OUT6" "$CL_OUT6" <<'PYEOF' || fail "rampart-dp's SAs (above)"
import ipaddress, json, sys
sas = json.load(open(sys.argv[1])).get("sa", {})
want_l, want_r = (ipaddress.ip_address(a) for a in sys.argv[2:4])
good = 0
for i, s in sorted(sas.items()):
    print("  sa %s %s local %s remote %s natt %s %d packets" % (i, s["direction"], s["local"],
          s["remote"], s["natt"], s["packets"]))
    if (ipaddress.ip_address(s["local"]) == want_l and ipaddress.ip_address(s["remote"]) == want_r
            and s["natt"] and s["packets"] > 0):
        good += 1
sys.exit(0 if len(sas) == 2 and good == 2 else 1)
PYEOF
ok "rampart-dp's two SAs: outer $DP_OUT6 <-> $CL_OUT6, UDP-encapsulated, packets counted"

ctl show sessions >"$WORK/sessions" 2>&1 || { cat "$WORK/sessions"; fail "rampartctl show sessions"; }
sed 's/^/  /' "$WORK/sessions"
grep -q "$CL_OUT6" "$WORK/sessions" || fail "show sessions does not name the peer $CL_OUT6"
grep -Eq "traffic in [1-9][0-9]* packets [1-9][0-9]* bytes, out [1-9][0-9]* packets [1-9][0-9]* bytes" \
	"$WORK/sessions" || fail "show sessions does not show non-zero CHILD_SA counters"
ok "rampartctl show sessions names $CL_OUT6 with non-zero dataplane counters"

sw --terminate --ike v6 --timeout 10 >"$WORK/term" 2>&1 || { cat "$WORK/term"; fail "swanctl --terminate"; }
for _ in $(seq 25); do n=$(n_sas); [ "$n" = 0 ] && break; sleep 0.2; done
[ "$n" = 0 ] || fail "rampart-dp still has $n SAs after the client deleted the IKE_SA"
ok "IKE_SA deleted by the client over IPv6: rampart-dp has no SA left"

{ kill -0 "$dp_pid" && kill -0 "$cp_pid"; } || fail "rampart-dp or rampartd died"
echo "PASS"
