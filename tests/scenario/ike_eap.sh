#!/usr/bin/env bash
# EAP pass-through (RFC 7296 §2.16): strongSwan clients (charon eap-md5 / eap-mschapv2)
# authenticate with EAP relayed by rampartd to a real FreeRADIUS 3.2; rampartd authenticates
# with an RSA certificate (topology: ike_lib.sh; FreeRADIUS runs in rampartd's namespace on
# 127.0.0.1, configured by tests/aaa/radius_env.sh, which signs every reply with a
# Message-Authenticator).
#
# Profiles: "eap-ikeid" (identity_remote fqdn testuser / baduser, remote "eap": the IKE
# identity is the EAP identity, sent to RADIUS as EAP-Response/Identity) and "eap-query"
# (identity_remote email domain eap.example.test, remote "eap query-identity": rampartd sends
# EAP-Request/Identity, the client answers with its eap_id).
#
# Checks: EAP-MD5 without query-identity (no MSK: AUTH keyed with SK_pi/SK_pr), EAP-MD5 with
# query-identity, EAP-MSCHAPv2 with and without query-identity (FreeRADIUS proposes MD5, the
# client NAKs; the Access-Accept's MPPE keys are the MSK that keys both AUTH payloads), EAP-TLS with a client
# certificate (many rounds; messages larger than one RADIUS attribute): each establishes the
# IKE SA and the CHILD_SA, charon verified rampartd's certificate, rampartd's log names the
# EAP identity and whether an MSK was used, the client gets a pool address and passes TCP
# traffic both ways through rampart-dp (ike_traffic_check), and `show sessions` gives the EAP
# identity next to the IKE identity. A wrong password is refused
# (Access-Reject -> AUTHENTICATION_FAILED in charon's log), and no session remains.
#
# Skips (77): as ike_psk.sh, and without freeradius, openssl or charon's EAP plugins.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns.sh"
. "$(dirname "$0")/ike_lib.sh"
. "$(dirname "$0")/../aaa/radius_env.sh"
ike_need
command -v openssl >/dev/null || skip "no openssl command"
command -v freeradius >/dev/null || skip "no freeradius (apt install freeradius)"
[ -d /etc/freeradius/3.0 ] || skip "no /etc/freeradius/3.0"
for p in eap-identity eap-md5 eap-mschapv2 eap-tls; do
	[ -f "/usr/lib/ipsec/plugins/libstrongswan-$p.so" ] ||
		skip "no strongSwan plugin $p (apt install libcharon-extra-plugins)"
done

# --- the test PKI: a CA and rampartd's RSA certificate ------------------------------------------
pki_ca "Rampart EAP CA"
pki_server
# EAP-TLS: the client's certificate (FreeRADIUS presents rampartd's, which charon checks
# against the gateway identity)
pki_cert tls "/O=Rampart Test/CN=tls@eap.example.test" \
	'subjectAltName=email:tls@eap.example.test\nextendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n' 3
ok "test PKI: CA, rampartd's RSA certificate (vpn.example.test), EAP-TLS client certificate"

# --- FreeRADIUS: the lab configuration plus the users of this test ------------------------------
R=$WORK/radius
rad_setup "$R" || fail "FreeRADIUS configuration"
cat >>"$R/raddb/mods-config/files/authorize" <<'EOC'
baduser	Cleartext-Password := "the-right-one"
EOC
# EAP-TLS with the test PKI instead of the snakeoil certificate
sed -i -e "s|^\(\s*\)private_key_file = .*|\1private_key_file = $P/server.key|" \
	-e "s|^\(\s*\)certificate_file = .*|\1certificate_file = $P/server.pem|" \
	-e "s|^\(\s*\)ca_file = .*|\1ca_file = $P/ca.pem|" \
	-e 's|^\(\s*\)ca_path = \${cadir}|\1#ca_path = ${cadir}|' "$R/raddb/mods-available/eap"

# --- rampartd: RADIUS group, EAP list, two EAP profiles -----------------------------------------
RAMPART_EXTRA="pki = {
  trustpoints = ( { name = \"lab\"; ca_certificates = [ \"$P/ca.pem\" ];
                    certificate = \"$P/server.pem\"; private_key = \"$P/server.key\"; } );
};
aaa = {
  radius = {
    servers = ( { name = \"rad1\"; address = \"127.0.0.1\"; key = \"$RAD_SECRET\";
                  timeout_ms = 2000; retransmit = 2; } );
    groups = ( { name = \"eap-server\"; servers = [ \"rad1\" ]; } );
  };
  authentication = ( { name = \"eap-list\"; type = \"eap\"; methods = [ \"group eap-server\" ]; } );
};
ikev2 = {
  profiles = (
    { name = \"eap-ikeid\";
      match = { identity_remote = [ \"fqdn testuser\", \"fqdn baduser\" ]; };
      authentication = { local = \"rsa-sig\"; remote = [ \"eap\" ]; };
      trustpoints = [ \"lab\" ];
      aaa = { authentication_eap = \"eap-list\"; }; },
    { name = \"eap-query\";
      match = { identity_remote = [ \"email domain eap.example.test\" ]; };
      authentication = { local = \"rsa-sig\"; remote = [ \"eap query-identity timeout 60\" ]; };
      trustpoints = [ \"lab\" ];
      aaa = { authentication_eap = \"eap-list\"; }; }
  );
};"
ike_write_conf

# --- charon: one connection per case ----------------------------------------------------------
CHARON_PLUGINS="random nonce openssl aes sha1 sha2 md5 hmac kdf gcm curve25519 x509 pem pkcs1 pkcs8 pubkey constraints eap-identity eap-md5 eap-mschapv2 eap-tls kernel-libipsec kernel-netlink socket-default attr vici"
mkdir -p "$CH/swanctl/x509ca" "$CH/swanctl/x509" "$CH/swanctl/private"
cp "$P/ca.pem" "$CH/swanctl/x509ca/"
cp "$P/tls.pem" "$CH/swanctl/x509/"
cp "$P/tls.key" "$CH/swanctl/private/"
conn() { # NAME IKE_ID EAP_METHOD EAP_ID
	cat <<EOF
  $1 {
    version = 2
    remote_addrs = $DP_OUT4
    vips = 0.0.0.0
    local {
      auth = $3
      id = $2
      eap_id = $4${5:+
      certs = $5}
    }
    remote {
      auth = pubkey
      id = vpn.example.test
    }
    children {
      $1 {
        remote_ts = $LAN_NET4
      }
    }
  }
EOF
}
charon_conf <<EOF
connections {
$(conn md5 testuser eap-md5 testuser)
$(conn md5q alice@eap.example.test eap-md5 testuser)
$(conn mschap bob@eap.example.test eap-mschapv2 testuser)
$(conn mschapi testuser eap-mschapv2 testuser)
$(conn bad baduser eap-md5 baduser)
$(conn tls tls@eap.example.test eap-tls tls@eap.example.test tls.pem)
}
secrets {
  eap-test {
    id = testuser
    secret = testpass
  }
  eap-bad {
    id = baduser
    secret = not-the-right-one
  }
}
EOF

ike_topo
ike_start_radius "$R"
ike_start_dp
ike_start_cp
grep -q "EAP pass-through to RADIUS for 2 profiles" "$WORK/cp.log" ||
	{ tail -n 20 "$WORK/cp.log"; fail "rampartd did not set up the EAP relay"; }
ok "rampartd relays EAP to RADIUS group eap-server"
start_charon
ok "charon up (pid $charon_pid) in $NS_CL"

# the shared tunnel check (ike_lib.sh eap_tunnel) with FreeRADIUS's side
eap_tunnel_diag() { echo "--- freeradius"; tail -n 30 "$R/radiusd.out"; }
eap_tunnel_check() {
	grep -Eq "EAP method EAP_(MD5|MSCHAPV2|TLS) succeeded" "$CH/charon.log" ||
		{ grep -i "EAP" "$CH/charon.log" | tail; fail "charon does not report EAP success"; }
}

eap_tunnel md5 testuser "EAP-MD5, IKE identity as EAP identity" testuser no 5201
grep -q "EAP for profile eap-ikeid with the IKE identity" "$WORK/cp.log" ||
	fail "rampartd did not use the IKE identity"
eap_tunnel md5q alice@eap.example.test "EAP-MD5, query-identity" testuser no 5202
grep -q "EAP for profile eap-query: asking the client for its EAP identity" "$WORK/cp.log" ||
	fail "rampartd did not query the EAP identity"
eap_tunnel mschap bob@eap.example.test "EAP-MSCHAPv2, query-identity" testuser yes 5203
grep -q "Access-Accept from RADIUS server 0 of group eap-server (MPPE keys)" "$WORK/cp.log" ||
	fail "no MPPE keys in FreeRADIUS's Access-Accept for EAP-MSCHAPv2"
ikeid="EAP for profile eap-ikeid with the IKE identity"
mppe="Access-Accept from RADIUS server 0 of group eap-server (MPPE keys)"
n0=$(grep -c "$ikeid" "$WORK/cp.log")
m0=$(grep -cF "$mppe" "$WORK/cp.log")
c0=$(grep -c "EAP method EAP_MSCHAPV2 succeeded" "$CH/charon.log")
eap_tunnel mschapi testuser "EAP-MSCHAPv2, IKE identity as EAP identity" testuser yes 5205
[ "$(grep -c "$ikeid" "$WORK/cp.log")" -gt "$n0" ] ||
	fail "rampartd did not use the IKE identity for EAP-MSCHAPv2"
[ "$(grep -cF "$mppe" "$WORK/cp.log")" -gt "$m0" ] ||
	fail "no MPPE keys in FreeRADIUS's Access-Accept for EAP-MSCHAPv2 without query-identity"
[ "$(grep -c "EAP method EAP_MSCHAPV2 succeeded" "$CH/charon.log")" -gt "$c0" ] ||
	fail "charon does not report EAP-MSCHAPv2 success for mschapi"
ok "EAP-MSCHAPv2 without query-identity: the IKE identity went to FreeRADIUS, its MPPE keys are the MSK"
# EAP-TLS: many rounds of large messages (split into 253-octet EAP-Message attributes)
n0=$(grep -c "EAP Request TLS" "$WORK/cp.log")
eap_tunnel tls tls@eap.example.test "EAP-TLS, query-identity" tls@eap.example.test yes 5204
n=$(( $(grep -c "EAP Request TLS" "$WORK/cp.log") - n0 ))
[ "$n" -ge 3 ] || fail "EAP-TLS took only $n TLS requests"
# the client's certificate went to FreeRADIUS in one Access-Request: several EAP-Message
# attributes of 253 octets (an attribute carries at most 253)
big=$(grep -o "Received Access-Request Id [0-9]* from 127.0.0.1:[0-9]* to 127.0.0.1:1812 length [0-9]*" \
	"$R/radiusd.out" | awk '{print $NF}' | sort -n | tail -n 1)
[ "${big:-0}" -gt 800 ] || fail "no large Access-Request (split EAP-Message) seen by FreeRADIUS (largest ${big:-none})"
ok "EAP-TLS relayed in $n TLS requests; largest Access-Request $big octets, accepted by FreeRADIUS"

# --- a wrong password ------------------------------------------------------------------------------
if sw --initiate --ike bad --child bad --timeout 20 >"$WORK/initiate.bad" 2>&1; then
	cat "$WORK/initiate.bad"
	fail "a wrong EAP password was accepted"
fi
grep -q "AUTHENTICATION_FAILED" "$CH/charon.log" ||
	{ tail -n 20 "$CH/charon.log"; fail "no AUTHENTICATION_FAILED in charon's log for the wrong password"; }
line=$(grep "EAP authentication failed: the AAA server rejected 'baduser'" "$WORK/cp.log" | tail -n 1)
[ -n "$line" ] || { tail -n 20 "$WORK/cp.log"; fail "rampartd's log does not show the reject"; }
ok "wrong password refused: ${line#*ike: }"
grep -q "Access-Reject" "$R/radiusd.out" || fail "FreeRADIUS did not send an Access-Reject"
ctl show sessions >"$WORK/sessions.end" 2>&1
grep -qi "baduser" "$WORK/sessions.end" && { cat "$WORK/sessions.end"; fail "a session of baduser remains"; }
ok "no session for baduser"
