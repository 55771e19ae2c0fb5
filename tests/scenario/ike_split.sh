#!/usr/bin/env bash
# Split tunnelling from an authorization policy, with a real strongSwan client (charon 5.9,
# kernel-libipsec, unity plugin) against rampartd + rampart-dp (topology: ike_lib.sh).
#
# rampartd: an `ikev2` profile for client@ / plain@ / nocp@example.test (pre-shared keys from a
# keyring) whose authorization policy "split" has a route set from the access list "split4"
# ($LAN_NET4 and $SPLIT2) plus `remote` $SPLIT3, DNS and WINS servers, a netmask, a banner,
# a default domain, split-DNS names, backup gateways, pfs, smartcard-removal-disconnect,
# include-local-lan and a FlexVPN configuration URL and version. ike.local_subnets is
# something else ($LAN_NET4 and $OTHER_NET): the route set must win.
#
# Checks:
#   1. charon with `cisco_flexvpn = yes` (FLEXVPN-SUPPORTED vendor ID): rampartd notes the
#      vendor ID; the CHILD_SA's remote selectors are exactly the route set (not
#      local_subnets); charon installs routes for them (table 220 via its TUN device);
#      charon's log shows it processed INTERNAL_IP4_ADDRESS, _NETMASK, _DNS, _NBNS,
#      _SUBNET (3), APPLICATION_VERSION and every Unity attribute (UNITY_BANNER,
#      UNITY_DEF_DOMAIN, UNITY_SPLITDNS_NAME, UNITY_BACKUP_SERVERS, UNITY_PFS,
#      UNITY_LOCAL_LAN) and the private ones (28683-28685); the DNS servers are installed by
#      the resolve plugin; the unity plugin handles UNITY_LOCAL_LAN; every value is checked
#      on the client side, decoded (in Python, here) from the CP payload bytes charon dumps at
#      log level "enc 3" after decrypting the IKE_AUTH response; a TCP transfer with the LAN
#      host through the tunnel; rampartd logs what it sent.
#   2. charon restarted without the vendor ID: the same session gets the standard attributes
#      (route set, DNS) but no Unity/FlexVPN attribute; rampartd says they were withheld.
#   3. A connection without virtual IP (no CFG_REQUEST): rampartd pushes CFG_SET
#      (config_exchange.set_send) and charon receives it ("ignoring CFG_SET config payload");
#      the CHILD_SA is refused with FAILED_CP_REQUIRED as before.
#
# Skips (77): as ike_psk.sh, and without charon's unity or resolve plugin.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns.sh"
. "$(dirname "$0")/ike_lib.sh"
ike_need
[ -e /usr/lib/ipsec/plugins/libstrongswan-unity.so ] ||
	skip "no strongSwan unity plugin (apt install libcharon-extra-plugins)"
[ -e /usr/lib/ipsec/plugins/libstrongswan-resolve.so ] ||
	skip "no strongSwan resolve plugin (apt install libstrongswan)"

SPLIT2=198.18.60.0/24
SPLIT3=198.18.62.0/25
OTHER_NET=198.18.61.0/24
DNS_A=198.51.100.53
DNS_B=198.51.100.54
WINS_A=198.51.100.137
BANNER="Rampart split-tunnel test: authorised users only"
IKE_LOCAL_SUBNETS="\"$LAN_NET4\", \"$OTHER_NET\""
IKE_PEERS="{ identity = \"email unused@example.test\"; pre_shared_key = \"$PSK_BAD_SERVER\"; }"
RAMPART_EXTRA="access_lists = (
  { name = \"split4\"; prefixes = [ \"permit $LAN_NET4\", \"${SPLIT2%/*} 0.0.0.255\" ]; }
);
ikev2 = {
  keyrings = (
    { name = \"kr\"; peers = (
        { name = \"clients\"; identity = \"email client@example.test\"; pre_shared_key = \"$PSK_GOOD\"; },
        { name = \"nocp\"; identity = \"email nocp@example.test\"; pre_shared_key = \"$PSK_GOOD\"; }
      ); }
  );
  authorization_policies = (
    { name = \"split\";
      netmask = \"255.255.255.0\";
      dns = [ \"$DNS_A\", \"$DNS_B\" ];
      wins = [ \"$WINS_A\" ];
      route_set = { access_list = \"split4\"; remote = [ \"ipv4 ${SPLIT3%/*} 255.255.255.128\" ]; };
      banner = \"$BANNER\";
      def_domain = \"corp.example.test\";
      split_dns = [ \"corp.example.test\", \"lab.example.test\" ];
      backup_gateways = [ \"vpn2.example.test\" ];
      pfs = true;
      include_local_lan = true;
      smartcard_removal_disconnect = true;
      configuration_url = \"http://198.51.100.80/flex.cfg\";
      configuration_version = \"2.4\"; }
  );
  profiles = (
    { name = \"split-clients\";
      match = { identity_remote = [ \"email client@example.test\", \"email nocp@example.test\" ]; };
      authentication = { local = \"pre-share\"; remote = [ \"pre-share\" ]; };
      keyring = \"kr\";
      authorization_policy = \"split\";
      config_exchange = { set_send = true; set_accept = true; }; }
  );
};"
IKE_LAN_ROUTES="$POOL_NET.0/24"
ike_write_conf

CHARON_PLUGINS="$CHARON_PLUGINS resolve unity"
CHARON_PLUGIN_CONF="resolve {
      file = $CH/resolv.conf
    }"
# a second log at "enc 3": charon's parser dumps each attribute value it decodes
ENC_LOG="filelog {
    enc-log {
      path = $CH/charon.enc.log
      default = 0
      enc = 3
      flush_line = yes
      append = no
    }
  }"
CHARON_EXTRA="cisco_flexvpn = yes
  $ENC_LOG"
swanctl_conf() {
	cat <<EOF
connections {
  split {
    version = 2
    remote_addrs = $DP_OUT4
    vips = 0.0.0.0
    local {
      auth = psk
      id = client@example.test
    }
    remote {
      auth = psk
      id = vpn.example.test
    }
    children {
      split {
        remote_ts = 0.0.0.0/0
      }
    }
  }
  nocp {
    version = 2
    remote_addrs = $DP_OUT4
    local {
      auth = psk
      id = nocp@example.test
    }
    remote {
      auth = psk
      id = vpn.example.test
    }
    children {
      nocp {
        remote_ts = 0.0.0.0/0
      }
    }
  }
}
secrets {
  ike-client {
    id = client@example.test
    secret = "$PSK_GOOD"
  }
  ike-nocp {
    id = nocp@example.test
    secret = "$PSK_GOOD"
  }
}
EOF
}
swanctl_conf | charon_conf
: >"$CH/resolv.conf"
ike_start_all
start_charon
ok "charon up (pid $charon_pid) in $NS_CL, sending the FLEXVPN-SUPPORTED vendor ID"

# charon logs each attribute of the CFG_REPLY at "ike 2": "processing X attribute"
processed() { grep -Ec "processing \(?$1\)? attribute" "$CH/charon.log"; }
remote_ts() { # the CHILD_SA's remote selectors in swanctl --list-sas
	"$SCAPY_PY" - "$1" <<'PYEOF'
import sys
ts = []
for l in open(sys.argv[1]):
    w = l.split()
    if len(w) > 1 and w[0] == "remote" and "@" not in l:
        ts = w[1:]
print(" ".join(sorted(ts)))
PYEOF
}
want_ts=$(printf '%s\n' "$LAN_NET4" "$SPLIT2" "$SPLIT3" | sort | tr '\n' ' ')
want_ts=${want_ts% }

# --- 1. a FlexVPN-marked client gets everything --------------------------------------------
if ! sw --initiate --ike split --child split --timeout 20 >"$WORK/initiate" 2>&1; then
	tail -n 15 "$WORK/initiate"
	echo "--- rampartd"; tail -n 30 "$WORK/cp.log"
	fail "swanctl --initiate failed"
fi
ok "swanctl --initiate: IKE_SA and CHILD_SA established"
grep -q "sending Cisco FlexVPN Supported vendor ID" "$CH/charon.log" ||
	fail "charon did not send the FlexVPN vendor ID (charon.cisco_flexvpn)"
grep -q "vendor IDs: FlexVPN" "$WORK/cp.log" ||
	{ grep CFG_REPLY "$WORK/cp.log"; fail "rampartd did not see the FlexVPN vendor ID"; }
grep -q "CFG_REPLY (split," "$WORK/cp.log" ||
	{ grep CFG_REPLY "$WORK/cp.log"; fail "the CFG_REPLY was not built from authorization policy split"; }
sed -n 's/.*\(CFG_REPLY (split.*\)/  rampartd: \1/p' "$WORK/cp.log" | head -n 1
vip=$(wait_vip "$POOL_NET." 5) || { ip -n "$NS_CL" addr; fail "no virtual IPv4 address"; }
ok "client has virtual address $vip"

sw --list-sas 2>&1 | grep -v "^plugin '.*failed to load" >"$WORK/sas"
sed 's/^/  /' "$WORK/sas"
got=$(remote_ts "$WORK/sas")
[ "$got" = "$want_ts" ] ||
	fail "remote traffic selectors '$got', expected the route set '$want_ts' (not local_subnets)"
ok "CHILD_SA remote selectors are the route set: $got"

ip -n "$NS_CL" route show table 220 >"$WORK/routes" 2>&1
sed 's/^/  table 220: /' "$WORK/routes"
for n in $LAN_NET4 $SPLIT2 $SPLIT3; do
	grep -q "^$n .*dev ipsec" "$WORK/routes" || fail "charon installed no route to $n via its TUN device"
done
grep -q "$OTHER_NET" "$WORK/routes" && fail "route to $OTHER_NET (local_subnets, not in the route set)"
ok "client routes $LAN_NET4, $SPLIT2, $SPLIT3 into the tunnel (table 220), not $OTHER_NET"

for a in INTERNAL_IP4_ADDRESS INTERNAL_IP4_NETMASK INTERNAL_IP4_NBNS APPLICATION_VERSION \
	UNITY_BANNER UNITY_DEF_DOMAIN UNITY_SPLITDNS_NAME UNITY_BACKUP_SERVERS UNITY_PFS \
	UNITY_LOCAL_LAN 28683 28684 28685; do
	[ "$(processed "$a")" = 1 ] ||
		{ grep "processing" "$CH/charon.log"; fail "charon did not process exactly one $a attribute"; }
done
[ "$(processed INTERNAL_IP4_DNS)" = 2 ] || fail "charon did not process 2 INTERNAL_IP4_DNS"
[ "$(processed INTERNAL_IP4_SUBNET)" = 3 ] || fail "charon did not process 3 INTERNAL_IP4_SUBNET"
[ "$(processed INTERNAL_IP6_ADDRESS)" = 0 ] || fail "an IPv6 address nobody asked for"
ok "charon processed the address, netmask, 2 DNS, NBNS, 3 subnets, APPLICATION_VERSION, 6 Unity and 3 private attributes"
for d in $DNS_A $DNS_B; do
	grep -q "installing DNS server $d" "$CH/charon.log" || fail "charon did not install DNS server $d"
done
ok "charon installed the policy's DNS servers $DNS_A, $DNS_B (not the pool's)"
# the whole CFG_REPLY, in rampartd's order, as charon's parser lists it
cprp="CPRP(ADDR MASK DNS DNS NBNS VER SUBNET SUBNET SUBNET U_DEFDOM U_SPLITDNS U_BKPSRV U_PFS (28683) U_LOCALLAN (28684) (28685) U_BANNER)"
grep -Fq "$cprp" "$CH/charon.log" ||
	{ grep "parsed IKE_AUTH" "$CH/charon.log"; fail "charon did not parse the expected CFG_REPLY $cprp"; }
ok "charon parsed $cprp"
# ...and every value, decoded here (not by charon, not by rampartd's code) from the CP
# payload bytes charon dumped at "enc 3" after decrypting the IKE_AUTH response
"$SCAPY_PY" - "$CH/charon.enc.log" "$vip" "$BANNER" <<'PYEOF' || fail "the CFG_REPLY charon received does not carry the policy's values"
import re, socket, struct, sys
lines = open(sys.argv[1], errors="replace").read().splitlines()
start = next(i for i, l in enumerate(lines) if "parsing CONFIGURATION payload," in l)
n = int(re.search(r"=> (\d+) bytes", lines[start + 1]).group(1))
data = bytearray()
for l in lines[start + 2:]:
    m = re.match(r".*\[ENC\]\s+\d+: ((?:[0-9A-F]{2} ?)+)", l)
    if not m or len(data) >= n:
        break
    data += bytes.fromhex(m.group(1).replace(" ", ""))
plen = struct.unpack(">H", data[2:4])[0]
assert data[4] == 2, "not a CFG_REPLY"
attrs, off = [], 8
while off < plen:
    t, ln = struct.unpack(">HH", data[off:off + 4])
    attrs.append((t & 0x7fff, bytes(data[off + 4:off + 4 + ln])))
    off += 4 + ln
assert off == plen
ip = lambda s: socket.inet_aton(s)
want = [
    (1, ip(sys.argv[2])), (2, ip("255.255.255.0")), (3, ip("198.51.100.53")),
    (3, ip("198.51.100.54")), (4, ip("198.51.100.137")),
    (13, ip("198.51.100.0") + ip("255.255.255.0")), (13, ip("198.18.60.0") + ip("255.255.255.0")),
    (13, ip("198.18.62.0") + ip("255.255.255.128")),
    (28674, b"corp.example.test"), (28675, b"corp.example.test,lab.example.test"),
    (28681, b"vpn2.example.test"), (28679, b"\x00\x01"), (28683, b"\x00\x01"),
    (28678, ip("0.0.0.0") + ip("255.255.255.255")),
    (28684, b"http://198.51.100.80/flex.cfg"), (28685, b"2.4"),
    (28672, sys.argv[3].encode()),
]
ver = [v for t, v in attrs if t == 7]
got = [(t, v) for t, v in attrs if t != 7]
print("  client received %d attributes; APPLICATION_VERSION %r" % (len(attrs), ver))
assert len(ver) == 1 and ver[0].startswith(b"Rampart "), ver
if got != want:
    for g, w in zip(got + [None] * 20, want + [None] * 20):
        print("   got %r want %r%s" % (g, w, "" if g == w else "   <--"))
    sys.exit(1)
PYEOF
ok "the client decoded every value: address, netmask, DNS, WINS, split routes, domain, split DNS, backup server, PFS, smartcard, local LAN, URL, version, banner"
# include-local-lan: the unity plugin turns UNITY_LOCAL_LAN 0.0.0.0/32 into a bypass policy
within 5 grep -q "installed UNITY_LOCAL_LAN bypass policy for 0.0.0.0/32" "$CH/charon.log" ||
	{ grep UNITY_LOCAL_LAN "$CH/charon.log"; fail "charon's unity plugin did not apply UNITY_LOCAL_LAN"; }
ok "charon's unity plugin applied UNITY_LOCAL_LAN (include-local-lan)"

ike_traffic_check flex "$vip" client@example.test 5310

# --- 2. without a Cisco vendor ID: standard attributes only ----------------------------------
cp "$CH/charon.log" "$WORK/charon.flexvpn.log" # the restarted charon starts a new log
kill -TERM "$charon_pid"
charon_reset
CHARON_EXTRA=""
swanctl_conf | charon_conf
start_charon
ok "charon restarted without the FlexVPN vendor ID"
if ! sw --initiate --ike split --child split --timeout 20 >"$WORK/initiate.plain" 2>&1; then
	tail -n 15 "$WORK/initiate.plain"; tail -n 20 "$WORK/cp.log"
	fail "swanctl --initiate failed (plain client)"
fi
grep -q "sending Cisco FlexVPN Supported vendor ID" "$CH/charon.log" &&
	fail "charon still sends the FlexVPN vendor ID"
for a in UNITY_BANNER UNITY_DEF_DOMAIN UNITY_SPLITDNS_NAME UNITY_PFS APPLICATION_VERSION 28684; do
	[ "$(processed "$a")" = 0 ] || fail "a client without Cisco vendor ID got $a"
done
[ "$(processed INTERNAL_IP4_SUBNET)" = 3 ] || fail "the plain client did not get the 3 subnets"
[ "$(processed INTERNAL_IP4_DNS)" = 2 ] || fail "the plain client did not get the 2 DNS servers"
grep -q "Cisco Unity/FlexVPN attributes withheld (no Cisco vendor ID)" "$WORK/cp.log" ||
	fail "rampartd did not log why it withheld the Unity attributes"
sw --list-sas 2>&1 | grep -v "^plugin '.*failed to load" >"$WORK/sas.plain"
got=$(remote_ts "$WORK/sas.plain")
[ "$got" = "$want_ts" ] || fail "plain client: remote selectors '$got', expected '$want_ts'"
vip=$(wait_vip "$POOL_NET." 5) || fail "no virtual IPv4 address (plain client)"
wait_ping "$NS_CL" "$LAN_HOST4" 10 || fail "ping $LAN_HOST4 through the tunnel (plain client)"
ok "plain client: route set and DNS, no Unity/FlexVPN attribute (rampartd: withheld), ping works"

# --- 3. no CFG_REQUEST: rampartd pushes CFG_SET ---------------------------------------------
sw --initiate --ike nocp --child nocp --timeout 20 >"$WORK/initiate.nocp" 2>&1 &&
	fail "a client without config mode got a CHILD_SA from a remote-access concentrator"
grep -q "FAILED_CP_REQUIRED" "$CH/charon.log" ||
	{ tail -n 20 "$CH/charon.log"; fail "no FAILED_CP_REQUIRED for the client without CFG_REQUEST"; }
grep -q "no CFG_REQUEST: pushing CFG_SET (split)" "$WORK/cp.log" ||
	{ tail -n 20 "$WORK/cp.log"; fail "rampartd did not push a CFG_SET"; }
# charon (initiator without a virtual IP) expects no CP payload and does not process it,
# but its parser lists it: "CPS(DNS DNS NBNS SUBNET SUBNET SUBNET)"
grep -Eq "parsed IKE_AUTH response .*CPS\(DNS DNS NBNS SUBNET SUBNET SUBNET\)" "$CH/charon.log" ||
	{ grep "parsed IKE_AUTH" "$CH/charon.log"; fail "charon did not receive the CFG_SET"; }
ok "no CFG_REQUEST: CFG_SET pushed and received by charon; CHILD_SA refused with FAILED_CP_REQUIRED"
wait_ping "$NS_CL" "$LAN_HOST4" 10 || fail "the first session's tunnel after the refused CHILD_SA"

{ kill -0 "$dp_pid" && kill -0 "$cp_pid"; } || fail "rampart-dp or rampartd died"
echo "PASS"
