#!/usr/bin/env bash
# Config mode with a real strongSwan client: a virtual IPv4 AND IPv6 address, DNS servers of
# both families and split subnets, then IPv4 and IPv6 traffic through the one CHILD_SA.
#
#   rp-cl-ID (charon)         rp-dp-ID: rampart-dp + rampartd        rp-lan-ID
#   192.0.2.2 --------------- outside [rampart-dp] inside ----------- 198.51.100.10
#                             tap 192.0.2.1 (IKE)                     2001:db8:2::10
#   (set-up: ike_lib.sh; topology: netns.sh netns_topo_dp)
#
# rampartd: pool 198.18.200.10-11 (DNS 198.51.100.53, 198.51.100.54), ipv6_pool
# 2001:db8:200::/127, i.e. the one address 2001:db8:200::1 (DNS 2001:db8:2::53), local_subnets 198.51.100.0/24, 2001:db8:2::/64 and
# 198.18.60.0/24. charon: vips = 0.0.0.0, ::; remote_ts = 0.0.0.0/0, ::/0; the resolve plugin
# writes the DNS servers it gets to its own file (never /etc/resolv.conf).
#
# Checks: both virtual addresses come from the pools and sit on the client; charon installs
# the three DNS servers; the CHILD_SA's selectors are narrowed to exactly the virtual
# addresses (local) and the three local_subnets (remote); ping and a TCP transfer (SHA-256
# checked) to the LAN host over IPv4 and over IPv6 inner, and the LAN host reaches both
# virtual addresses; `rampartctl show sessions` lists both addresses with non-zero counters;
# a second IKE_SA while the IPv6 pool's one address is held gets INTERNAL_ADDRESS_FAILURE and
# leaves the first working; three times the client deletes the IKE_SA and reconnects: each
# time it gets the one IPv6 address again and one of the two IPv4 addresses, i.e. the leases
# went back, and rampart-dp holds only the new CHILD_SA's two SAs.
#
# Skips (77): as ike_psk.sh (root, netns, TUN, scapy, 2 CPUs, PMDs, rampart-dp, charon).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns.sh"
. "$(dirname "$0")/ike_lib.sh"
ike_need
[ -e /usr/lib/ipsec/plugins/libstrongswan-resolve.so ] ||
	skip "no strongSwan resolve plugin (apt install libstrongswan)"

POOL6=2001:db8:200::
DNS4B=198.51.100.54
DNS6=2001:db8:2::53
EXTRA_NET=198.18.60.0/24
IKE_LOCAL_SUBNETS="\"$LAN_NET4\", \"$LAN_NET6\", \"$EXTRA_NET\""
# Small pools on purpose: 2 IPv4 addresses, 1 IPv6 address (a /127 holds prefix + 1 only).
IKE_POOL="pool = { first = \"$POOL_NET.10\"; last = \"$POOL_NET.11\"; dns = [ \"$LAN_DNS\", \"$DNS4B\" ]; };
  ipv6_pool = { prefix = \"$POOL6/127\"; dns = [ \"$DNS6\" ]; };"
IKE_PEERS="{ identity = \"email client@example.test\"; pre_shared_key = \"$PSK_GOOD\"; },
    { identity = \"email second@example.test\"; pre_shared_key = \"$PSK_GOOD\"; }"
ike_write_conf

CHARON_PLUGINS="$CHARON_PLUGINS resolve"
CHARON_PLUGIN_CONF="resolve {
      file = $CH/resolv.conf
    }"
charon_conf <<EOF
connections {
  dual {
    version = 2
    remote_addrs = $DP_OUT4
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
      dual {
        remote_ts = 0.0.0.0/0, ::/0
      }
    }
  }
  second {
    version = 2
    remote_addrs = $DP_OUT4
    vips = 0.0.0.0, ::
    local {
      auth = psk
      id = second@example.test
    }
    remote {
      auth = psk
      id = vpn.example.test
    }
    children {
      second {
        remote_ts = 0.0.0.0/0, ::/0
      }
    }
  }
}
secrets {
  ike-good {
    id = client@example.test
    secret = "$PSK_GOOD"
  }
  ike-second {
    id = second@example.test
    secret = "$PSK_GOOD"
  }
}
EOF
: >"$CH/resolv.conf"
ike_start_all
start_charon
ok "charon up (pid $charon_pid) in $NS_CL"

# --- connect: two virtual addresses -------------------------------------------------------
if ! sw --initiate --ike dual --child dual --timeout 20 >"$WORK/initiate" 2>&1; then
	tail -n 15 "$WORK/initiate"
	echo "--- rampartd"; tail -n 30 "$WORK/cp.log"
	fail "swanctl --initiate failed"
fi
ok "swanctl --initiate: IKE_SA and CHILD_SA established"
sw --list-sas 2>&1 | grep -v "^plugin '.*failed to load" >"$WORK/sas"
sed 's/^/  /' "$WORK/sas"
vip4=$(wait_vip "$POOL_NET." 5 -4) || { ip -n "$NS_CL" addr; fail "no virtual IPv4 address from $POOL_NET.0/24"; }
vip6=$(wait_vip "$POOL6" 5 -6) || { ip -n "$NS_CL" addr; fail "no virtual IPv6 address from $POOL6/112"; }
ok "client has virtual addresses $vip4 and $vip6"
grep -Eq "\[$vip4 $vip6\]|\[$vip6 $vip4\]" "$WORK/sas" ||
	fail "swanctl --list-sas does not show both virtual addresses on the IKE_SA"

# --- DNS servers: the resolve plugin installs what the CFG_REPLY carried -------------------
for d in "$LAN_DNS" "$DNS4B" "$DNS6"; do
	grep -q "installing DNS server $d" "$CH/charon.log" ||
		{ grep -i "dns\|attribute" "$CH/charon.log"; fail "charon did not install DNS server $d"; }
	grep -qx "nameserver $d.*" "$CH/resolv.conf" ||
		{ cat "$CH/resolv.conf"; fail "DNS server $d not in charon's resolv.conf"; }
done
ok "DNS servers $LAN_DNS, $DNS4B (IPv4) and $DNS6 (IPv6) installed by charon"

# --- split subnets: the selectors narrowed to the virtual addresses and local_subnets ------
# swanctl prints the CHILD_SA's selectors as "local  A B" / "remote C D E".
"$SCAPY_PY" - "$WORK/sas" "$vip4/32 $vip6/128" "$LAN_NET4 $LAN_NET6 $EXTRA_NET" <<'PYEOF' || fail "CHILD_SA selectors not narrowed to the virtual addresses and local_subnets"
import sys
lines = [l.split() for l in open(sys.argv[1])]
# the CHILD_SA's lines come after its "reqid" line; its selectors are the last local/remote
ts = {}
for l in lines:
    if len(l) > 1 and l[0] in ("local", "remote") and "@" not in l:
        ts[l[0]] = set(l[1:])
want_l, want_r = set(sys.argv[2].split()), set(sys.argv[3].split())
print("  local TS %s, remote TS %s" % (sorted(ts.get("local", [])), sorted(ts.get("remote", []))))
sys.exit(0 if ts.get("local") == want_l and ts.get("remote") == want_r else 1)
PYEOF
ok "traffic selectors: local $vip4/32 $vip6/128, remote $LAN_NET4 $LAN_NET6 $EXTRA_NET"

# --- traffic over IPv4 and IPv6 inner -----------------------------------------------------
for dst in "$LAN_HOST4" "$LAN_HOST6"; do
	if ! wait_ping "$NS_CL" "$dst" 10; then
		echo "--- rampart-dp"; tail -n 20 "$WORK/dp.log"
		snap /rampart/drops,outside /rampart/drops,inside
		fail "ping $dst through the tunnel"
	fi
	ip netns exec "$NS_CL" ping -c 3 -i 0.2 -W 2 "$dst" >"$WORK/ping" 2>&1 ||
		{ cat "$WORK/ping"; fail "ping $dst through the tunnel"; }
	ok "ping $dst from the client through the tunnel: $(grep -o '[0-9]* received' "$WORK/ping")"
done
port=5210
for dst in "$LAN_HOST4" "$LAN_HOST6"; do
	if ! tcp_transfer "$NS_LAN" "$dst" "$NS_CL" $port 1000000 1000000 20 >"$WORK/xfer" 2>&1; then
		cat "$WORK/xfer" "$WORK/xfer.cli" "$WORK/xfer.srv" 2>/dev/null
		fail "TCP transfer to $dst through the tunnel"
	fi
	ok "to $dst: $(cat "$WORK/xfer")"
	port=$((port + 1))
done
wait_ping "$NS_LAN" "$vip4" 5 || fail "ping from the LAN host to the client's $vip4"
wait_ping "$NS_LAN" "$vip6" 5 || fail "ping from the LAN host to the client's $vip6"
ok "the LAN host reaches both virtual addresses ($vip4, $vip6)"

ctl show sessions >"$WORK/sessions" 2>&1 || { cat "$WORK/sessions"; fail "rampartctl show sessions"; }
sed 's/^/  /' "$WORK/sessions"
grep -q "$vip4" "$WORK/sessions" || fail "show sessions does not list $vip4"
ctl show sessions detail >"$WORK/sessions.detail" 2>&1 ||
	{ cat "$WORK/sessions.detail"; fail "rampartctl show sessions detail"; }
grep -q "$vip6" "$WORK/sessions" "$WORK/sessions.detail" ||
	{ sed 's/^/  /' "$WORK/sessions.detail"; fail "show sessions [detail] does not list $vip6"; }
grep -Eq "traffic in [1-9][0-9]* packets [1-9][0-9]* bytes, out [1-9][0-9]* packets [1-9][0-9]* bytes" \
	"$WORK/sessions" || fail "show sessions does not show non-zero CHILD_SA counters"
ok "rampartctl show sessions lists $vip4 and $vip6 with non-zero dataplane counters"
n=$(n_sas)
[ "$n" = 2 ] || fail "rampart-dp has $n SAs (expected the CHILD_SA's 2)"

# --- pool exhausted: a second IKE_SA gets INTERNAL_ADDRESS_FAILURE -------------------------
# (the IPv6 pool's one address is held by the first IKE_SA; another identity, so that
# charon makes a new IKE_SA)
if sw --initiate --ike second --child second --timeout 20 >"$WORK/initiate.second" 2>&1; then
	cat "$WORK/initiate.second"
	fail "a second IKE_SA got addresses from an exhausted IPv6 pool"
fi
grep -q "INTERNAL_ADDRESS_FAILURE" "$CH/charon.log" ||
	{ tail -n 20 "$CH/charon.log"; fail "no INTERNAL_ADDRESS_FAILURE in charon's log"; }
grep -q "exhausted" "$WORK/cp.log" || fail "rampartd did not log the exhausted pool"
wait_ping "$NS_CL" "$LAN_HOST6" 5 || fail "the first IKE_SA's IPv6 tunnel after the refused one"
n=$(n_sas)
[ "$n" = 2 ] || fail "rampart-dp has $n SAs after the refused IKE_SA (expected the first one's 2)"
ok "pool exhausted: the second IKE_SA got INTERNAL_ADDRESS_FAILURE; the first still works"

# --- the leases go back at session end: reconnecting more often than the pools are large --
sw --terminate --ike second --timeout 10 >/dev/null 2>&1
for round in 1 2 3; do
	sw --terminate --ike dual --timeout 10 >"$WORK/term" 2>&1 || { cat "$WORK/term"; fail "swanctl --terminate"; }
	within 5 sh -c "'$CTL' -c '$conf' show sessions | grep -q '^ *0 sessions'" ||
		{ ctl show sessions; fail "a session is still listed after the client deleted its IKE_SA"; }
	for _ in $(seq 25); do n=$(n_sas); [ "$n" = 0 ] && break; sleep 0.2; done
	[ "$n" = 0 ] || fail "rampart-dp still has $n SAs after the client deleted the IKE_SA"
	sw --initiate --ike dual --child dual --timeout 20 >"$WORK/initiate.again" 2>&1 ||
		{ tail -n 15 "$WORK/initiate.again"; tail -n 20 "$WORK/cp.log"; fail "reconnect $round"; }
	nvip4=$(wait_vip "$POOL_NET." 5 -4) || fail "no virtual IPv4 address after reconnecting"
	nvip6=$(wait_vip "$POOL6" 5 -6) || fail "no virtual IPv6 address after reconnecting"
	[ "$nvip6" = "$vip6" ] || fail "IPv6 address $nvip6 from a pool whose one address is $vip6"
	case $nvip4 in "$POOL_NET.10" | "$POOL_NET.11") ;; *) fail "IPv4 $nvip4 is not from the pool" ;; esac
	wait_ping "$NS_CL" "$LAN_HOST4" 10 || fail "IPv4 ping after reconnecting"
	wait_ping "$NS_CL" "$LAN_HOST6" 10 || fail "IPv6 ping after reconnecting"
	n=$(n_sas)
	[ "$n" = 2 ] || fail "rampart-dp has $n SAs after reconnecting (expected 2)"
	ok "reconnect $round: $nvip4 and $nvip6 (the leases were released), IPv4 and IPv6 ping, 2 SAs"
done

{ kill -0 "$dp_pid" && kill -0 "$cp_pid"; } || fail "rampart-dp or rampartd died"
echo "PASS"
