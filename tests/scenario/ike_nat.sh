#!/usr/bin/env bash
# NAT traversal through a real NAT: a strongSwan client (charon, kernel-libipsec) in a "home"
# namespace behind a router namespace doing nftables masquerade (source ports translated into
# 20000-29999), rampart-dp and rampartd beyond it (topology and set-up: ike_lib.sh; the
# library's client namespace becomes the router).
#
#   rp-home-ID (charon)          rp-cl-ID (NAT router)             rp-dp-ID ...
#   eth0 198.19.77.2 --veth-- in0 198.19.77.1 | out0 192.0.2.2 --veth-- dp-out [ rampart-dp ]
#                              masquerade on out0 (nftables)
#
# Checks:
#  - the client connects through the NAT; rampartd logs the NAT it detected and sees the
#    peer at 192.0.2.2 on a translated port; the CHILD_SA is UDP-encapsulated on both sides
#    (charon: TUNNEL-in-UDP; rampartd: UDP-encapsulated; the NAT's rules counted packets);
#  - ping and a TCP transfer (both directions, SHA-256 checked) to the LAN host work;
#  - charon's NAT keepalives (every second here) reach rampart-dp, which absorbs and counts
#    them (drop reason natt_keepalive);
#  - the NAT loses its mappings (conntrack -F in the router): the client's next IKE message
#    (its DPD, every 5 s when idle) comes from a new port; rampartd logs the mapping change, moves the
#    SA and rampart-dp's outbound SA there, and the LAN host reaches the client again;
#  - rampartd answers charon's own DPD requests.
#
# Skips (77): as ike_psk.sh, and without nft or conntrack (Debian packages nftables,
# conntrack; scripts/setup.sh installs them).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns.sh"
. "$(dirname "$0")/ike_lib.sh"
ike_need
command -v nft >/dev/null || skip "no nft (apt install nftables)"
command -v conntrack >/dev/null || skip "no conntrack (apt install conntrack)"
NS_HOME=rp-home-$NETNS_ID
HOME_NET=198.19.77
MAC_HOME=02:72:70:03:00:02
MAC_RTR_IN=02:72:70:03:00:01

CHARON_EXTRA="keep_alive = 1s"
ike_write_conf
charon_conf <<EOF
connections {
  good {
    version = 2
    remote_addrs = $DP_OUT4
    vips = 0.0.0.0
    dpd_delay = 5s
    local {
      auth = psk
      id = client@example.test
    }
    remote {
      auth = psk
      id = vpn.example.test
    }
    children {
      good {
        remote_ts = $LAN_NET4
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

# --- the NAT router (the library's client namespace) and the home network behind it -----
NS_RTR=$NS_CL
netns_add "$NS_HOME"
netns_veth "$NS_HOME" eth0 "$MAC_HOME" "$NS_RTR" in0 "$MAC_RTR_IN"
netns_addr "$NS_HOME" eth0 "$HOME_NET.2/24"
netns_addr "$NS_RTR" in0 "$HOME_NET.1/24"
ip -n "$NS_HOME" route add default via "$HOME_NET.1" || fail "home default route"
ip netns exec "$NS_RTR" sysctl -qw net.ipv4.ip_forward=1 || fail "forwarding in the router"
ip netns exec "$NS_RTR" nft -f - <<'EOF' || fail "nftables masquerade in the router"
table ip nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "out0" meta l4proto udp counter masquerade to :20000-29999
		oifname "out0" counter masquerade
	}
}
EOF
wait_ping "$NS_HOME" "$DP_OUT4" 10 || fail "the home client cannot reach $DP_OUT4 through the NAT"
ok "home client $HOME_NET.2 behind the NAT router ($NS_RTR, masquerade as $CL_OUT4)"
NS_CL=$NS_HOME # charon, its addresses and the tunnel's traffic live behind the NAT now
start_charon
ok "charon up (pid $charon_pid) in $NS_HOME"

# --- connect through the NAT ----------------------------------------------------------------
sw --initiate --ike good --child good --timeout 20 >"$WORK/initiate" 2>&1 ||
	{ tail -n 15 "$WORK/initiate"; tail -n 20 "$WORK/cp.log"; fail "swanctl --initiate through the NAT"; }
vip=$(wait_vip "$POOL_NET." 5) || { ip -n "$NS_HOME" addr; fail "no virtual IP"; }
ok "connected through the NAT: virtual IP $vip"
grep -q "NAT detected" "$WORK/cp.log" || { tail -n 20 "$WORK/cp.log"; fail "rampartd did not log the NAT"; }
ok "rampartd: $(grep -m1 'NAT detected' "$WORK/cp.log" | sed 's/^.*ike: //')"
sw --list-sas 2>&1 | grep -v "^plugin '.*failed to load" >"$WORK/sas"
sed 's/^/  /' "$WORK/sas"
grep -q "TUNNEL-in-UDP" "$WORK/sas" || fail "charon's CHILD_SA is not UDP-encapsulated"
ctl show sessions detail >"$WORK/detail" 2>&1 || { cat "$WORK/detail"; fail "show sessions detail"; }
sed 's/^/  /' "$WORK/detail"
port=$(awk '$3 == "ESTABLISHED" {print $2; exit}' "$WORK/detail")
case $port in
"$CL_OUT4":2[0-9][0-9][0-9][0-9]) ;;
*) fail "rampartd sees the peer at '$port', not at $CL_OUT4 with a translated port" ;;
esac
grep -q "UDP-encapsulated" "$WORK/detail" || fail "rampartd's CHILD_SA is not UDP-encapsulated"
grep -q "NAT-T: peer behind a NAT" "$WORK/detail" || fail "show sessions detail: no NAT"
ok "rampartd sees the peer at $port (translated), CHILD_SA UDP-encapsulated, peer behind a NAT"

# --- traffic ----------------------------------------------------------------------------------
wait_ping "$NS_HOME" "$LAN_HOST4" 10 || { tail -n 20 "$WORK/dp.log"; fail "ping $LAN_HOST4 through NAT and tunnel"; }
ip netns exec "$NS_HOME" ping -c 3 -i 0.2 -W 2 "$LAN_HOST4" >"$WORK/ping" 2>&1 ||
	{ cat "$WORK/ping"; fail "ping $LAN_HOST4"; }
ok "ping $LAN_HOST4 through the NAT and the tunnel: $(grep -o '[0-9]* received' "$WORK/ping")"
if ! tcp_transfer "$NS_LAN" "$LAN_HOST4" "$NS_HOME" 5203 500000 500000 20 >"$WORK/xfer" 2>&1; then
	cat "$WORK/xfer" "$WORK/xfer.cli" "$WORK/xfer.srv" 2>/dev/null
	fail "TCP transfer through the NAT and the tunnel"
fi
ok "$(cat "$WORK/xfer")"
wait_ping "$NS_LAN" "$vip" 5 || fail "the LAN host cannot reach the client's $vip"
ok "the LAN host reaches $vip (rampart-dp's ESP-in-UDP gets back through the NAT)"
ip netns exec "$NS_RTR" nft list chain ip nat post >"$WORK/nat" 2>&1
sed 's/^/  /' "$WORK/nat"
grep -Eq "udp counter packets [1-9]" "$WORK/nat" || fail "the NAT translated no UDP"

# --- keepalives ------------------------------------------------------------------------------
# rampart-dp absorbs them on the outside port (drop reason natt_keepalive, by design); the
# dp counts per reason, and `show drops` lists only reasons that counted.
grep -q "sending keep alive to $DP_OUT4\[4500\]" "$CH/charon.log" ||
	within 10 grep -q "sending keep alive to $DP_OUT4\[4500\]" "$CH/charon.log" ||
	fail "charon sent no NAT keepalive (it should: it is behind a NAT)"
within 10 sh -c "'$CTL' -c '$conf' show drops | grep -q '^natt_keepalive '" ||
	{ ctl show drops; fail "rampart-dp counted no NAT keepalive"; }
ok "charon's NAT keepalives ($(grep -c 'sending keep alive' "$CH/charon.log") sent) absorbed by rampart-dp: $(ctl show drops | grep '^natt_keepalive' | tr -s ' ')"
kill -0 "$cp_pid" || fail "rampartd died"

# --- the NAT loses its mappings ----------------------------------------------------------------
ip netns exec "$NS_RTR" conntrack -F >/dev/null 2>&1 || fail "conntrack -F in the router"
ok "NAT mappings flushed (conntrack -F)"
if ! within 20 grep -q "NAT mapping changed" "$WORK/cp.log"; then
	tail -n 20 "$WORK/cp.log"
	fail "rampartd did not follow the client to its new NAT mapping"
fi
ok "rampartd: $(grep -m1 'NAT mapping changed' "$WORK/cp.log" | sed 's/^.*ike: //')"
ctl show sessions >"$WORK/sessions2" 2>&1
port2=$(awk '$3 == "ESTABLISHED" {print $2; exit}' "$WORK/sessions2")
[ -n "$port2" ] && [ "$port2" != "$port" ] || { cat "$WORK/sessions2"; fail "the session did not move ($port -> $port2)"; }
grep -q "refused by the dataplane" "$WORK/cp.log" && fail "rampart-dp refused the SA_UPDATE"
wait_ping "$NS_LAN" "$vip" 10 || fail "the LAN host cannot reach $vip after the NAT mapping changed"
wait_ping "$NS_HOME" "$LAN_HOST4" 10 || fail "the client cannot reach $LAN_HOST4 after the mapping changed"
ok "session moved $port -> $port2; LAN host and client reach each other again"
# rampartd answers the client's own liveness checks (charon deletes the IKE SA otherwise)
grep -q "sending DPD request" "$CH/charon.log" || fail "charon sent no DPD request"
grep -Eq "parsed INFORMATIONAL response [0-9]+ \[ \]" "$CH/charon.log" ||
	fail "charon got no answer to its DPD request"
ok "charon's DPD requests answered: $(grep -Ec 'parsed INFORMATIONAL response [0-9]+ \[ \]' "$CH/charon.log")"

{ kill -0 "$dp_pid" && kill -0 "$cp_pid"; } || fail "rampart-dp or rampartd died"
echo "PASS"
