#!/usr/bin/env bash
# The EAP method "local" (docs/aaa.md, "Local users and the EAP method `local`"): strongSwan
# clients (charon eap-md5 / eap-mschapv2) authenticate with EAP against rampartd's own user
# base, with no RADIUS server answering; rampartd authenticates with an RSA certificate
# (topology: ike_lib.sh).
#
# Users: alice (aaa.local_users), bob, carol and eve (aaa.local_users_file, name:password).
# EAP lists: "local-only" = [ "local" ]; "fallback" = [ "group dead", "local" ] where group
# "dead" is one RADIUS server that receives but never answers (a UDP socket in rampartd's
# namespace).
#
# Checks: EAP-MD5 with the IKE identity as EAP identity (rampartd proposes MSCHAPv2, the client
# NAKs for MD5; no MSK: AUTH keyed with SK_pi/SK_pr), EAP-MSCHAPv2 with query-identity (the
# queried identity is the user; MSK per RFC 3079 keys both AUTH payloads), and EAP-MSCHAPv2
# through list "fallback" (rampartd's log says no server of group dead answered and it fell
# back to the local users): each gets the IKE SA and the CHILD_SA, charon reports EAP success
# and verified rampartd's certificate, rampartd's log names the EAP identity and whether an MSK
# was used, a pool address and TCP traffic both ways through rampart-dp (ike_traffic_check),
# and `show sessions` gives the EAP identity. A wrong password (eve) is refused: rampartd says
# "wrong password" (and never the password), charon gets AUTHENTICATION_FAILED, no session.
#
# Skips (77): as ike_psk.sh, and without openssl or charon's EAP plugins.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns.sh"
. "$(dirname "$0")/ike_lib.sh"
ike_need
command -v openssl >/dev/null || skip "no openssl command"
for p in eap-identity eap-md5 eap-mschapv2; do
	[ -f "/usr/lib/ipsec/plugins/libstrongswan-$p.so" ] ||
		skip "no strongSwan plugin $p (apt install libcharon-extra-plugins)"
done

# --- the test PKI: a CA and rampartd's RSA certificate ------------------------------------------
pki_ca "Rampart EAP local CA"
pki_server
ok "test PKI: CA, rampartd's RSA certificate (vpn.example.test)"

# --- the users file -------------------------------------------------------------------------------
USERS=$WORK/users
cat >"$USERS" <<'EOU'
# name:password (the password is the rest of the line)
bob:bob:secret with spaces
carol:carol-pw
eve:eve-right-pw
EOU
chmod 600 "$USERS"

MUTE_PORT=$((20000 + $$ % 20000))
RAMPART_EXTRA="pki = {
  trustpoints = ( { name = \"lab\"; ca_certificates = [ \"$P/ca.pem\" ];
                    certificate = \"$P/server.pem\"; private_key = \"$P/server.key\"; } );
};
aaa = {
  local_users = ( { name = \"alice\"; password = \"alice-pw\"; } );
  local_users_file = \"$USERS\";
  radius = {
    servers = ( { name = \"mute\"; address = \"127.0.0.1\"; auth_port = $MUTE_PORT; key = \"unused\";
                  timeout_ms = 300; retransmit = 1; } );
    groups = ( { name = \"dead\"; servers = [ \"mute\" ]; } );
  };
  authentication = ( { name = \"local-only\"; type = \"eap\"; methods = [ \"local\" ]; },
                     { name = \"fallback\"; type = \"eap\"; methods = [ \"group dead\", \"local\" ]; } );
};
ikev2 = {
  profiles = (
    { name = \"local-ikeid\";
      match = { identity_remote = [ \"fqdn alice\", \"fqdn eve\" ]; };
      authentication = { local = \"rsa-sig\"; remote = [ \"eap\" ]; };
      trustpoints = [ \"lab\" ];
      aaa = { authentication_eap = \"local-only\"; }; },
    { name = \"local-query\";
      match = { identity_remote = [ \"email domain local.example.test\" ]; };
      authentication = { local = \"rsa-sig\"; remote = [ \"eap query-identity\" ]; };
      trustpoints = [ \"lab\" ];
      aaa = { authentication_eap = \"local-only\"; }; },
    { name = \"radius-first\";
      match = { identity_remote = [ \"fqdn carol\" ]; };
      authentication = { local = \"rsa-sig\"; remote = [ \"eap\" ]; };
      trustpoints = [ \"lab\" ];
      aaa = { authentication_eap = \"fallback\"; }; }
  );
};"
ike_write_conf

# --- charon: one connection per case ----------------------------------------------------------
CHARON_PLUGINS="random nonce openssl aes sha1 sha2 md5 hmac kdf gcm curve25519 x509 pem pkcs1 pkcs8 pubkey constraints eap-identity eap-md5 eap-mschapv2 kernel-libipsec kernel-netlink socket-default attr vici"
mkdir -p "$CH/swanctl/x509ca"
cp "$P/ca.pem" "$CH/swanctl/x509ca/"
conn() { # NAME IKE_ID EAP_METHOD EAP_ID
	cat <<EOC
  $1 {
    version = 2
    remote_addrs = $DP_OUT4
    vips = 0.0.0.0
    local {
      auth = $3
      id = $2
      eap_id = $4
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
EOC
}
charon_conf <<EOC
connections {
$(conn md5 alice eap-md5 alice)
$(conn mschapq dave@local.example.test eap-mschapv2 bob)
$(conn fallback carol eap-mschapv2 carol)
$(conn bad eve eap-md5 eve)
}
secrets {
  eap-alice {
    id = alice
    secret = alice-pw
  }
  eap-bob {
    id = bob
    secret = "bob:secret with spaces"
  }
  eap-carol {
    id = carol
    secret = carol-pw
  }
  eap-eve {
    id = eve
    secret = eve-wrong-pw
  }
}
EOC

ike_topo
ip -n "$NS_DP" link set lo up
# the RADIUS server of group "dead": takes the requests, never answers
ip netns exec "$NS_DP" /usr/bin/python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', $MUTE_PORT))
print('listening', flush=True)
n = 0
while True:
    s.recvfrom(4096)
    n += 1
    print('request', n, flush=True)
" >"$WORK/mute.out" 2>&1 </dev/null &
PIDS+=("$!")
within 10 grep -q listening "$WORK/mute.out" || fail "the mute RADIUS server did not start"
ike_start_dp
ike_start_cp
grep -q "local EAP server: 4 local users, EAP-MD5 and EAP-MSCHAPv2" "$WORK/cp.log" ||
	{ grep -E "aaa|EAP" "$WORK/cp.log" | tail; fail "rampartd did not start the local EAP server with 4 users and MSCHAPv2"; }
ok "rampartd: $(grep -o "local EAP server: .*" "$WORK/cp.log")"
grep -q "EAP list fallback: 1 RADIUS group, then the local users when none answers" "$WORK/cp.log" ||
	fail "rampartd does not describe list fallback"
start_charon
ok "charon up (pid $charon_pid) in $NS_CL"

# the shared tunnel check (ike_lib.sh eap_tunnel) with the local EAP server's log line
eap_tunnel_check() {
	local line
	line=$(grep "local user '$1' authenticated" "$WORK/cp.log" | tail -n 1)
	[ -n "$line" ] || { grep "aaa:" "$WORK/cp.log" | tail -n 15; fail "rampartd's log does not say local user $1 authenticated"; }
	ok "rampartd: ${line#*aaa: }"
}

eap_tunnel md5 alice "EAP-MD5 against aaa.local_users, IKE identity as EAP identity" alice no 5211
grep -q "EAP method EAP_MD5 succeeded" "$CH/charon.log" || fail "charon does not report EAP-MD5 success"
grep -q "local user 'alice': EAP-MD5 request sent" "$WORK/cp.log" ||
	fail "rampartd did not switch to EAP-MD5 after the client's Nak"
ok "the client NAKed EAP-MSCHAPv2 and got EAP-MD5"
eap_tunnel mschapq dave@local.example.test "EAP-MSCHAPv2 against the users file, query-identity" bob yes 5212
grep -q "EAP method EAP_MSCHAPV2 succeeded" "$CH/charon.log" || fail "charon does not report EAP-MSCHAPv2 success"
grep -q "local user 'bob' authenticated: EAP-MSCHAPv2 succeeded (MSK)" "$WORK/cp.log" ||
	fail "rampartd did not authenticate bob with EAP-MSCHAPv2"
[ "$(grep -c request "$WORK/mute.out")" -eq 0 ] || fail "list local-only asked the RADIUS server"
ok "list local-only did not ask any RADIUS server"
eap_tunnel fallback carol "EAP-MSCHAPv2 through [group dead, local]" carol yes 5213
grep -q "no server of RADIUS group dead answered, falling back to the local users" "$WORK/cp.log" ||
	fail "rampartd's log does not show the fallback to the local users"
[ "$(grep -c request "$WORK/mute.out")" -ge 1 ] || fail "the RADIUS server of group dead was not asked first"
ok "group dead was asked ($(grep -c request "$WORK/mute.out") requests, no answer), then the local users"

# --- a wrong password ---------------------------------------------------------------------------
if sw --initiate --ike bad --child bad --timeout 20 >"$WORK/initiate.bad" 2>&1; then
	fail "eve with a wrong password got a tunnel"
fi
grep -q "AUTHENTICATION_FAILED" "$CH/charon.log" || { tail -n 20 "$CH/charon.log"; fail "charon was not told AUTHENTICATION_FAILED"; }
line=$(grep "local user 'eve' refused" "$WORK/cp.log" | tail -n 1)
case $line in
*"wrong password"*) ok "rampartd: ${line#*aaa: }" ;;
*) grep "aaa:" "$WORK/cp.log" | tail; fail "rampartd does not say eve's password was wrong" ;;
esac
if grep -qE "eve-(right|wrong)-pw|alice-pw|carol-pw|secret with spaces" "$WORK/cp.log"; then
	fail "a password is in rampartd's log"
fi
ok "no password in rampartd's log"
ctl show sessions >"$WORK/sessions.bad" 2>&1
grep -q "eve" "$WORK/sessions.bad" && fail "a session of eve remains"
ok "wrong password: AUTHENTICATION_FAILED, no session"
