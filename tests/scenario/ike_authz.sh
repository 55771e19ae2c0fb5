#!/usr/bin/env bash
# IKEv2 authorization from RADIUS (reference 001, "IKEv2 Authorization", "Supported RADIUS
# Attributes"): a strongSwan client authenticates with EAP-MD5 relayed to a real FreeRADIUS
# 3.2 (as in ike_eap.sh) under a profile with `aaa.authorization_user = { methods = [ "eap" ];
# cached = true; }` (IOS `aaa authorization user eap cached`): the attributes of the
# Access-Accept become the session's authorization, merged over the profile's local policy.
#
# FreeRADIUS replies to azuser with Framed-IP-Address 198.18.200.177 (outside the pool's
# range .10-.60), Cisco-AVPair ipsec:dns-servers=198.18.1.53 198.18.1.54,
# ipsec:route-set=prefix 198.51.100.0/24 (the LAN) and ipsec:banner=...; pooluser gets no
# attributes. The local policy azpol has DNS 198.51.100.99 and def_domain local.example;
# ike.local_subnets is 198.18.60.0/24 (so the route set is seen to come from RADIUS).
#
# Checks, azuser: the client's virtual IP is the Framed-IP-Address (not a pool lease), charon
# installs exactly the RADIUS DNS servers (not the policy's), the CHILD_SA's remote selector
# and the client's route are 198.51.100.0/24 (the RADIUS route set, not local_subnets), the
# CFG_REPLY charon decrypted carries the address, the two DNS servers, the subnet, the
# policy's domain and the RADIUS banner (decoded here from charon's "enc 3" dump), rampartd
# logs where each attribute came from, and TCP traffic passes both ways through rampart-dp.
# pooluser: a pool address and the local policy's DNS server (the address source order and
# the local policy as base).
#
# RADIUS group authorization (list author: group dead, where nothing answers, then group
# eap-server; profile eap-group: `authorization_group = { methods = [ "eap" ];
# list = "author"; name_mangler = "realm"; }`, the mangler `eap suffix @`): bob@grp1.example
# is authorized as group grp1.example by an Access-Request FreeRADIUS checks (User-Name
# grp1.example, User-Password "cisco", Service-Type Outbound-User) and gets the group's DNS
# server and route set; carol@grp2.example passes EAP but FreeRADIUS rejects group
# grp2.example: AUTHENTICATION_FAILED, no session. Certificate peer dave (subject
# O=Rampart Test, OU=grp1.example, CN=dave; profile cert-group selected by a certificate map;
# `authorization_group = { methods = [ "cert" ]; list = "author"; name_mangler = "ou"; }`
# with `dn organization-unit`, the reference's group-authorization example) gets the same
# group's DNS server and route set.
#
# Skips (77): as ike_eap.sh, and without charon's unity or resolve plugin.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns.sh"
. "$(dirname "$0")/ike_lib.sh"
. "$(dirname "$0")/../aaa/radius_env.sh"
ike_need
command -v openssl >/dev/null || skip "no openssl command"
command -v freeradius >/dev/null || skip "no freeradius (apt install freeradius)"
[ -d /etc/freeradius/3.0 ] || skip "no /etc/freeradius/3.0"
for p in eap-identity eap-md5 unity resolve; do
	[ -f "/usr/lib/ipsec/plugins/libstrongswan-$p.so" ] ||
		skip "no strongSwan plugin $p (apt install libcharon-extra-plugins)"
done

FRAMED=$POOL_NET.177
DNS_A=198.18.1.53
DNS_B=198.18.1.54
DNS_POL=198.51.100.99
BANNER="Welcome azuser: authorised by RADIUS"
DNS_G=198.18.2.53
BANNER_G="group grp1.example (RADIUS group authorization)"

# --- the test PKI: a CA and rampartd's RSA certificate ------------------------------------------
pki_ca "Rampart AuthZ CA"
pki_server
# a client certificate whose OU names its group (reference: group authorization, `dn ...`)
pki_cert dave "/O=Rampart Test/OU=grp1.example/CN=dave" \
	'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n' 3
ok "test PKI: CA, rampartd's RSA certificate (vpn.example.test), client dave (OU=grp1.example)"

# --- FreeRADIUS: the lab configuration plus the users of this test ------------------------------
R=$WORK/radius
rad_setup "$R" || fail "FreeRADIUS configuration"
cat >>"$R/raddb/mods-config/files/authorize" <<EOC
azuser	Cleartext-Password := "azpass"
		Framed-IP-Address = $FRAMED,
		Cisco-AVPair += "ipsec:dns-servers=$DNS_A $DNS_B",
		Cisco-AVPair += "ipsec:route-set=prefix $LAN_NET4",
		Cisco-AVPair += "ipsec:banner=$BANNER"
pooluser	Cleartext-Password := "poolpass"
bob@grp1.example	Cleartext-Password := "bobpass"
carol@grp2.example	Cleartext-Password := "carolpass"
grp1.example	Cleartext-Password := "cisco", Service-Type == Outbound-User
		Cisco-AVPair += "ipsec:dns-servers=$DNS_G",
		Cisco-AVPair += "ipsec:route-set=prefix $LAN_NET4",
		Cisco-AVPair += "ipsec:banner=$BANNER_G"
EOC

# --- rampartd: RADIUS group, EAP list, a profile with cached user authorization ------------------
IKE_POOL="pool = { first = \"$POOL_NET.10\"; last = \"$POOL_NET.60\"; dns = [ \"$LAN_DNS\" ]; };"
IKE_LOCAL_SUBNETS="\"198.18.60.0/24\""
RAMPART_EXTRA="pki = {
  trustpoints = ( { name = \"lab\"; ca_certificates = [ \"$P/ca.pem\" ];
                    certificate = \"$P/server.pem\"; private_key = \"$P/server.key\"; } );
  certificate_maps = ( { name = \"grpmap\"; sequence = 10; rules = [ \"subject-name co ou = grp\" ]; } );
};
aaa = {
  radius = {
    servers = ( { name = \"rad1\"; address = \"127.0.0.1\"; key = \"$RAD_SECRET\";
                  timeout_ms = 2000; retransmit = 2; },
                { name = \"silent\"; address = \"127.0.0.1\"; auth_port = 1912; acct_port = 0;
                  key = \"$RAD_SECRET\"; timeout_ms = 300; retransmit = 1; } );
    groups = ( { name = \"eap-server\"; servers = [ \"rad1\" ]; },
               { name = \"dead\"; servers = [ \"silent\" ]; } );
  };
  authentication = ( { name = \"eap-list\"; type = \"eap\"; methods = [ \"group eap-server\" ]; } );
  authorization = ( { name = \"author\"; type = \"network\";
                      methods = [ \"group dead\", \"group eap-server\" ]; } );
};
ikev2 = {
  authorization_policies = (
    { name = \"azpol\"; dns = [ \"$DNS_POL\" ]; def_domain = \"local.example\"; }
  );
  name_manglers = ( { name = \"realm\"; eap = { suffix = \"@\"; }; },
                    { name = \"ou\"; dn = \"organization-unit\"; } );
  profiles = (
    { name = \"cert-group\";
      match = { certificate = [ \"grpmap\" ]; };
      authentication = { local = \"rsa-sig\"; remote = [ \"rsa-sig\" ]; };
      trustpoints = [ \"lab\" ];
      authorization_policy = \"azpol\";
      aaa = { authorization_group = { methods = [ \"cert\" ]; list = \"author\";
                                      name_mangler = \"ou\"; }; }; },
    { name = \"eap-authz\";
      match = { identity_remote = [ \"fqdn azuser\", \"fqdn pooluser\" ]; };
      authentication = { local = \"rsa-sig\"; remote = [ \"eap\" ]; };
      trustpoints = [ \"lab\" ];
      authorization_policy = \"azpol\";
      aaa = { authentication_eap = \"eap-list\";
              authorization_user = { methods = [ \"eap\" ]; cached = true; }; }; },
    { name = \"eap-group\";
      match = { identity_remote = [ \"email domain grp1.example\", \"email domain grp2.example\" ]; };
      authentication = { local = \"rsa-sig\"; remote = [ \"eap\" ]; };
      trustpoints = [ \"lab\" ];
      authorization_policy = \"azpol\";
      aaa = { authentication_eap = \"eap-list\";
              authorization_group = { methods = [ \"eap\" ]; list = \"author\";
                                      name_mangler = \"realm\"; }; }; }
  );
};"
ike_write_conf

# --- charon: FlexVPN vendor ID (so the Unity banner is sent), resolve into its own file ---------
CHARON_PLUGINS="random nonce openssl aes sha1 sha2 md5 hmac kdf gcm curve25519 x509 pem pkcs1 pkcs8 pubkey constraints eap-identity eap-md5 kernel-libipsec kernel-netlink socket-default attr vici resolve unity"
CHARON_PLUGIN_CONF="resolve {
      file = $CH/resolv.conf
    }"
CHARON_EXTRA="cisco_flexvpn = yes
  filelog {
    enc-log {
      path = $CH/charon.enc.log
      default = 0
      enc = 3
      flush_line = yes
      append = no
    }
  }"
mkdir -p "$CH/swanctl/x509ca" "$CH/swanctl/x509" "$CH/swanctl/private"
cp "$P/ca.pem" "$CH/swanctl/x509ca/"
cp "$P/dave.pem" "$CH/swanctl/x509/"
cp "$P/dave.key" "$CH/swanctl/private/"
conn() { # NAME IKE_ID
	cat <<EOF
  $1 {
    version = 2
    remote_addrs = $DP_OUT4
    vips = 0.0.0.0
    local {
      auth = eap-md5
      id = $2
      eap_id = $2
    }
    remote {
      auth = pubkey
      id = vpn.example.test
    }
    children {
      $1 {
        remote_ts = 0.0.0.0/0
      }
    }
  }
EOF
}
charon_conf <<EOF
connections {
$(conn az azuser)
$(conn pool pooluser)
$(conn grp bob@grp1.example)
$(conn nogrp carol@grp2.example)
  dave {
    version = 2
    remote_addrs = $DP_OUT4
    vips = 0.0.0.0
    local {
      auth = pubkey
      certs = dave.pem
      id = "O=Rampart Test, OU=grp1.example, CN=dave"
    }
    remote {
      auth = pubkey
      id = vpn.example.test
    }
    children {
      dave {
        remote_ts = 0.0.0.0/0
      }
    }
  }
}
secrets {
  eap-az {
    id = azuser
    secret = azpass
  }
  eap-pool {
    id = pooluser
    secret = poolpass
  }
  eap-bob {
    id = bob@grp1.example
    secret = bobpass
  }
  eap-carol {
    id = carol@grp2.example
    secret = carolpass
  }
}
EOF
: >"$CH/resolv.conf"

ike_topo
ike_start_radius "$R"
# the LAN host reaches the Framed-IP-Address through rampart-dp (it is in $POOL_NET.0/24)
ike_start_dp
ike_start_cp
start_charon
ok "charon up (pid $charon_pid) in $NS_CL"

# charon logs each attribute of the CFG_REPLY at "ike 2": "processing X attribute"
processed() { grep -Ec "processing \(?$1\)? attribute" "$CH/charon.log"; }

initiate() { # CONN WHAT
	if ! sw --initiate --ike "$1" --child "$1" --timeout 30 >"$WORK/initiate.$1" 2>&1; then
		tail -n 25 "$WORK/initiate.$1"
		echo "--- rampartd"; tail -n 30 "$WORK/cp.log"
		echo "--- freeradius"; tail -n 30 "$R/radiusd.out"
		fail "swanctl --initiate ($2) failed"
	fi
	ok "$2: IKE_SA and CHILD_SA established"
}

# --- azuser: the Access-Accept's attributes --------------------------------------------------------
initiate az "EAP-MD5 as azuser"
grep -q "Framed-IP-Address = $FRAMED" "$R/radiusd.out" ||
	fail "FreeRADIUS did not send azuser's Framed-IP-Address"
line=$(grep "authorization of azuser:" "$WORK/cp.log" | tail -n 1)
[ -n "$line" ] || { grep "ike:" "$WORK/cp.log" | tail -n 20; fail "rampartd did not log azuser's authorization"; }
ok "rampartd: ${line#*ike: }"
for want in "Framed-IP-Address (cached)" "dns-servers (cached)" "route-set=prefix (cached)" \
	"banner (cached)"; do
	case $line in *"$want"*) ;; *) fail "rampartd's authorization log lacks '$want'" ;; esac
done
grep -q "Framed-IP-Address $FRAMED is the client's IPv4 address" "$WORK/cp.log" ||
	fail "rampartd did not take the Framed-IP-Address as the address"

vip=$(wait_vip "$FRAMED" 5) || { ip -n "$NS_CL" addr; fail "the client does not have $FRAMED"; }
[ "$vip" = "$FRAMED" ] || fail "virtual IP $vip, expected the Framed-IP-Address $FRAMED"
grep -q "installing new virtual IP $FRAMED" "$CH/charon.log" ||
	{ grep -i "virtual IP" "$CH/charon.log"; fail "charon did not install virtual IP $FRAMED"; }
ok "client has the Framed-IP-Address $FRAMED as its virtual IP (not a pool lease)"

for d in $DNS_A $DNS_B; do
	grep -q "installing DNS server $d" "$CH/charon.log" ||
		{ grep -i "dns" "$CH/charon.log"; fail "charon did not install DNS server $d"; }
done
grep -q "installing DNS server $DNS_POL" "$CH/charon.log" &&
	fail "charon installed the local policy's DNS server: RADIUS must take precedence"
[ "$(processed INTERNAL_IP4_DNS)" = 2 ] || fail "charon did not process exactly 2 INTERNAL_IP4_DNS"
ok "charon installed the RADIUS DNS servers $DNS_A, $DNS_B (not the policy's $DNS_POL)"

sw --list-sas 2>&1 | grep -v "^plugin '.*failed to load" >"$WORK/sas.az"
sed 's/^/  /' "$WORK/sas.az"
grep -Eq "^ +remote +$LAN_NET4\$" "$WORK/sas.az" ||
	fail "the CHILD_SA's remote selector is not the RADIUS route set $LAN_NET4"
grep -q "198.18.60.0/24" "$WORK/sas.az" && fail "the CHILD_SA covers local_subnets 198.18.60.0/24"
ip -n "$NS_CL" route show table 220 >"$WORK/routes.az" 2>&1
sed 's/^/  table 220: /' "$WORK/routes.az"
grep -q "^$LAN_NET4 .*dev ipsec" "$WORK/routes.az" ||
	fail "charon installed no route to $LAN_NET4 via its TUN device"
ok "route set from RADIUS: remote selector and client route $LAN_NET4 (not local_subnets)"

[ "$(processed UNITY_BANNER)" = 1 ] || fail "charon did not process one UNITY_BANNER"
# every value, decoded here from the CP payload bytes charon dumped at "enc 3"
"$SCAPY_PY" - "$CH/charon.enc.log" "$FRAMED" "$BANNER" "$DNS_A" "$DNS_B" <<'PYEOF' || fail "the CFG_REPLY charon received does not carry the RADIUS values"
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
ip = socket.inet_aton
got = {}
for t, v in attrs:
    got.setdefault(t, []).append(v)
print("  client received: " + ", ".join("%d:%s" % (t, v.hex() if t < 28672 else v)
                                        for t, v in attrs if t != 7))
assert got.get(1) == [ip(sys.argv[2])], got.get(1)
assert got.get(3) == [ip(sys.argv[4]), ip(sys.argv[5])], got.get(3)
assert got.get(13) == [ip("198.51.100.0") + ip("255.255.255.0")], got.get(13)
assert got.get(28672) == [sys.argv[3].encode()], got.get(28672)
assert got.get(28674) == [b"local.example"], got.get(28674)
PYEOF
ok "the client decoded the CFG_REPLY: address $FRAMED, DNS $DNS_A $DNS_B, subnet $LAN_NET4, banner (RADIUS), domain local.example (local policy)"

ike_traffic_check az "$FRAMED" azuser 5401
sw --terminate --ike az --timeout 10 >"$WORK/terminate.az" 2>&1 ||
	{ cat "$WORK/terminate.az"; fail "swanctl --terminate az"; }
within 10 sh -c "! '$CTL' -c '$conf' show sessions 2>/dev/null | grep -q '$FRAMED'" ||
	fail "the session of azuser stays after the client deleted it"
ok "azuser terminated, session gone"

# --- pooluser: no attributes: the pool, the local policy ---------------------------------------
initiate pool "EAP-MD5 as pooluser"
vip=$(wait_vip "$POOL_NET." 5) || { ip -n "$NS_CL" addr; fail "no virtual IP for pooluser"; }
case ${vip##*.} in
[1-5][0-9] | 60) ok "pooluser has pool address $vip" ;;
*) fail "pooluser's address $vip is not from the pool $POOL_NET.10-60" ;;
esac
within 5 grep -q "installing DNS server $DNS_POL" "$CH/charon.log" ||
	fail "pooluser did not get the local policy's DNS server $DNS_POL"
grep -q "authorization of pooluser:" "$WORK/cp.log" &&
	! grep "authorization of pooluser:" "$WORK/cp.log" | grep -q "none from AAA" &&
	fail "rampartd claims AAA attributes for pooluser"
ok "pooluser: pool address and the local policy's DNS server $DNS_POL"
sw --terminate --ike pool --timeout 10 >/dev/null 2>&1

# --- bob@grp1.example: RADIUS group authorization for the name the mangler derives ----------------------
initiate grp "EAP-MD5 as bob@grp1.example (group authorization through mangler realm)"
line=$(grep "group authorization for 'grp1.example': Access-Accept from RADIUS group eap-server" "$WORK/cp.log")
[ -n "$line" ] || { grep "ike:" "$WORK/cp.log" | tail -n 20; fail "rampartd did not get grp1's group authorization"; }
ok "rampartd: ${line#*ike: }"
# the list's first group does not answer: the next method was asked
grep -q "group authorization for 'grp1.example': RADIUS group dead:" "$WORK/cp.log" ||
	{ grep "grp1" "$WORK/cp.log"; fail "rampartd did not try (and give up on) group dead first"; }
ok "list author: group dead did not answer, group eap-server did"
# what FreeRADIUS received: the mangled name, IOS's password, Service-Type Outbound
awk '/User-Name = "grp1.example"/{u=1} u && /User-Password = "cisco"/{p=1} u && /Service-Type = Outbound-User/{t=1}
	u && /Calling-Station-Id = "'"$CL_OUT4"'"/{c=1} END{exit !(u && p && t && c)}' "$R/radiusd.out" ||
	{ grep -n "grp1\|Outbound" "$R/radiusd.out" | head; fail "FreeRADIUS did not see User-Name grp1.example / User-Password cisco / Service-Type Outbound-User"; }
ok "FreeRADIUS got the authorization request: User-Name grp1.example, User-Password cisco, Service-Type Outbound-User, Calling-Station-Id $CL_OUT4"
grep "authorization of bob@grp1.example:" "$WORK/cp.log" | grep -q "dns-servers (group)" ||
	fail "rampartd does not take the DNS server from the group authorization"
within 5 grep -q "installing DNS server $DNS_G" "$CH/charon.log" ||
	{ grep -i "dns" "$CH/charon.log" | tail; fail "charon did not install the group's DNS server $DNS_G"; }
vip=$(wait_vip "$POOL_NET." 5) || { ip -n "$NS_CL" addr; fail "no virtual IP for bob@grp1.example"; }
sw --list-sas --ike grp 2>&1 | grep -v "^plugin '.*failed to load" >"$WORK/sas.grp"
grep -Eq "^ +remote +$LAN_NET4\$" "$WORK/sas.grp" || { cat "$WORK/sas.grp"; fail "bob's CHILD_SA is not narrowed to the group's route set"; }
ok "bob@grp1.example: DNS $DNS_G and route set $LAN_NET4 from the group authorization, pool address $vip"
ike_traffic_check grp "$vip" bob@grp1.example 5402
sw --terminate --ike grp --timeout 10 >/dev/null 2>&1

# --- carol@grp2.example: EAP succeeds, but RADIUS knows no group grp2.example -> refused -------------------------
if sw --initiate --ike nogrp --child nogrp --timeout 20 >"$WORK/initiate.nogrp" 2>&1; then
	cat "$WORK/initiate.nogrp"
	fail "carol@grp2.example was let in although her group authorization was rejected"
fi
line=$(grep "group authorization for 'grp2.example': Access-Reject from RADIUS group eap-server" "$WORK/cp.log")
[ -n "$line" ] || { grep "ike:" "$WORK/cp.log" | tail -n 20; fail "rampartd did not log grp2's Access-Reject"; }
ok "carol@grp2.example refused: ${line#*ike: }"
grep -q "EAP method EAP_MD5 succeeded" "$CH/charon.log" || fail "carol's EAP did not succeed first"
ctl show sessions >"$WORK/sessions.end" 2>&1
grep -q "carol@grp2.example" "$WORK/sessions.end" && { cat "$WORK/sessions.end"; fail "a session of carol@grp2.example remains"; }
ok "no session for carol@grp2.example"

# --- dave: certificate, group authorization from RADIUS through `dn organization-unit` ----------
n0=$(grep -c "group authorization for 'grp1.example': Access-Accept" "$WORK/cp.log")
initiate dave "certificate as dave (OU=grp1.example, group authorization through mangler ou)"
grep -q "matches profile cert-group" "$WORK/cp.log" ||
	{ grep "policy:" "$WORK/cp.log" | tail; fail "dave's certificate did not select profile cert-group"; }
n=$(grep -c "group authorization for 'grp1.example': Access-Accept from RADIUS group eap-server" "$WORK/cp.log")
[ "$n" -gt "$n0" ] || { grep "ike:" "$WORK/cp.log" | tail -n 20; fail "no RADIUS group authorization for dave's OU"; }
ok "rampartd: dave's OU grp1.example authorized by RADIUS (Access-Accept)"
vip=$(wait_vip "$POOL_NET." 5) || { ip -n "$NS_CL" addr; fail "no virtual IP for dave"; }
sw --list-sas --ike dave 2>&1 | grep -v "^plugin '.*failed to load" >"$WORK/sas.dave"
grep -Eq "^ +remote +$LAN_NET4\$" "$WORK/sas.dave" || { cat "$WORK/sas.dave"; fail "dave's CHILD_SA is not narrowed to the group's route set"; }
[ "$(grep -c "installing DNS server $DNS_G" "$CH/charon.log")" -ge 2 ] ||
	fail "charon did not install the group's DNS server $DNS_G for dave"
ok "dave: DNS $DNS_G and route set $LAN_NET4 from RADIUS group authorization, pool address $vip"
# `show sessions` prints a DN identity as hex (its DER): 64617665 is "dave", the CN value
ike_traffic_check dave "$vip" 64617665 5403
sw --terminate --ike dave --timeout 10 >/dev/null 2>&1
