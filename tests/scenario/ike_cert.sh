#!/usr/bin/env bash
# IKEv2 with X.509 certificates: a real strongSwan client (charon 5.9, kernel-libipsec)
# against rampartd + rampart-dp (topology: ike_lib.sh), authenticated through the policy
# model: an `ikev2` profile (identity_remote "email domain certs.example.test", remote rsa-sig
# and ecdsa-sig, local rsa-sig) with a trustpoint holding the test CA and rampartd's own
# certificate. The CA, rampartd's certificate (RSA, SAN vpn.example.test), the clients'
# certificates (RSA 2048 and ECDSA P-256) and an untrusted CA with its client are made here
# with the openssl CLI, in the test's scratch directory.
#
# Checks, for the RSA client (RFC 7427 RSA PKCS#1 v1.5 SHA-256, then RSA-PSS) and the ECDSA
# client (RFC 7427 ECDSA SHA-256): swanctl --initiate succeeds (charon verifies rampartd's
# certificate and signature against the CA, rampartd the client's); the signature methods
# on both sides are the expected ones; virtual IP from the pool; ping and a TCP transfer to
# the LAN host through the tunnel; `rampartctl show sessions` names the client with non-zero
# traffic counters; rampartd's log says which profile and trustpoint decided; the client's
# Delete removes the session. Then: a client whose certificate comes from an untrusted CA is
# refused (AUTHENTICATION_FAILED in charon's log, the trustpoint's reason in rampartd's); a
# PSK client that no profile matches still gets in through the `ike` section's PSK peers. A
# second profile with identity_local = "dn": its client (remote id = rampartd's certificate
# subject, a DN) gets in, charon checks that IDr and the signature over it, rampartd logs
# the identity it used.
# Last, charon restarted without RFC 7427 (signature_authentication = no): the classic
# methods, RSA signature (1) and ECDSA-256 (9), and rampartd answers with method 1.
#
# Skips (77): as ike_psk.sh, and without the openssl command.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns.sh"
. "$(dirname "$0")/ike_lib.sh"
ike_need
command -v openssl >/dev/null || skip "no openssl command"

# --- the test PKI -----------------------------------------------------------------------------
pki_ca "Rampart Scenario CA"
pki_ca "/O=Elsewhere/CN=Untrusted CA" evilca
pki_server
pki_cert rsa "/O=Rampart Test/OU=clients/CN=rsa client" "$(pki_leaf email:rsa@certs.example.test clientAuth)" 3
pki_cert ec "/O=Rampart Test/OU=clients/CN=ec client" "$(pki_leaf email:ec@certs.example.test clientAuth)" 4 \
	"ec -pkeyopt ec_paramgen_curve:P-256"
pki_cert evil "/O=Elsewhere/CN=evil" "$(pki_leaf email:evil@certs.example.test clientAuth)" 5 rsa:2048 evilca
pki_cert dnc "/O=Rampart Test/OU=clients/CN=dn client" "$(pki_leaf email:dnc@dn.example.test clientAuth)" 6
ok "test PKI made with openssl: CA, rampartd (RSA), clients RSA and ECDSA P-256, untrusted CA"

# --- rampartd: the ike section (transport, pool, PSK peers) + pki and ikev2 (who and how) ---
RAMPART_EXTRA="pki = {
  trustpoints = ( { name = \"lab\"; ca_certificates = [ \"$P/ca.pem\" ];
                    certificate = \"$P/server.pem\"; private_key = \"$P/server.key\"; } );
};
ikev2 = {
  profiles = (
    { name = \"certclients\";
      match = { identity_remote = [ \"email domain certs.example.test\" ]; };
      authentication = { local = \"rsa-sig\"; remote = [ \"rsa-sig\", \"ecdsa-sig\" ]; };
      trustpoints = [ \"lab\" ]; },
    { name = \"dnclients\";
      match = { identity_remote = [ \"email domain dn.example.test\" ]; };
      authentication = { local = \"rsa-sig\"; remote = [ \"rsa-sig\" ]; };
      trustpoints = [ \"lab\" ]; identity_local = \"dn\"; }
  );
};"
ike_write_conf

# --- charon: one connection per client certificate, and the PSK client -------------------------
CHARON_PLUGINS="$CHARON_PLUGINS x509 pem pkcs1 pkcs8 pubkey constraints"
mkdir -p "$CH/swanctl/x509" "$CH/swanctl/x509ca" "$CH/swanctl/private"
cp "$P/ca.pem" "$CH/swanctl/x509ca/"
for c in rsa ec evil dnc; do
	cp "$P/$c.pem" "$CH/swanctl/x509/$c.pem"
	cp "$P/$c.key" "$CH/swanctl/private/$c.key"
done
conn() { # NAME ID CERT [LOCAL_AUTH [REMOTE_ID]]
	cat <<EOF
  $1 {
    version = 2
    remote_addrs = $DP_OUT4
    vips = 0.0.0.0
    local {
      auth = ${4:-pubkey}
      id = $2
      certs = $3
    }
    remote {
      auth = pubkey
      id = ${5:-vpn.example.test}
    }
    children {
      $1 {
        remote_ts = $LAN_NET4
      }
    }
  }
EOF
}
SWCONF=$(cat <<EOF
connections {
$(conn rsa rsa@certs.example.test rsa.pem)
$(conn pss rsa@certs.example.test rsa.pem rsa/pss-sha256)
$(conn ec ec@certs.example.test ec.pem)
$(conn evil evil@certs.example.test evil.pem)
$(conn dn dnc@dn.example.test dnc.pem pubkey '"O=Rampart Test, CN=vpn.example.test"')
  psk {
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
      psk {
        remote_ts = $LAN_NET4
      }
    }
  }
}
secrets {
  ike-psk {
    id = client@example.test
    secret = "$PSK_GOOD"
  }
}
EOF
)
charon_conf <<<"$SWCONF"
ike_start_all
grep -q "IKEv2 authentication by the 2 ikev2 profiles" "$WORK/cp.log" ||
	{ tail -n 20 "$WORK/cp.log"; fail "rampartd does not authenticate through the ikev2 profile"; }
ok "rampartd authenticates through the ikev2 profile ($(grep -o 'CERTREQ names [0-9]* CA' "$WORK/cp.log"))"
start_charon
ok "charon up (pid $charon_pid) in $NS_CL"

# One client certificate end to end: CONN ID WHAT SCHEME [PEER_METHOD OUR_METHOD]: SCHEME is
# charon's name of its signature (an ERE); PEER_METHOD / OUR_METHOD rampartd's names of the
# method it saw and the one it answered with (default: RFC 7427 both ways).
tunnel() {
	local conn=$1 id=$2 what=$3 scheme=$4 vip n0 line
	local pm=${5:-digital signature (RFC 7427)} om=${6:-digital signature (RFC 7427)}
	n0=$(grep -c "authentication of 'vpn.example.test' with .* successful" "$CH/charon.log" 2>/dev/null)
	if ! sw --initiate --ike "$conn" --child "$conn" --timeout 20 >"$WORK/initiate.$conn" 2>&1; then
		tail -n 20 "$WORK/initiate.$conn"
		echo "--- rampartd"; tail -n 30 "$WORK/cp.log"
		fail "swanctl --initiate ($what) failed"
	fi
	ok "$what: IKE_SA and CHILD_SA established"
	[ "$(grep -c "authentication of 'vpn.example.test' with .* successful" "$CH/charon.log")" -gt "${n0:-0}" ] ||
		{ grep -i "authentication of" "$CH/charon.log"; fail "charon did not verify rampartd's signature"; }
	grep -Eq "authentication of '$id' \(myself\) with ($scheme) successful" "$CH/charon.log" ||
		{ grep -i "authentication of" "$CH/charon.log"; fail "charon did not sign with $scheme"; }
	ok "charon verified rampartd's certificate and signature: $(grep "authentication of 'vpn.example.test'" "$CH/charon.log" | tail -n 1 | sed 's/.*authentication/authentication/')"
	grep -q "peer .*$id) authenticated by .*trustpoint lab, profile certclients" "$WORK/cp.log" ||
		{ grep "ike:\|policy:" "$WORK/cp.log" | tail -n 10; fail "rampartd's log does not show the certificate decision for $id"; }
	line=$(grep "$id) authenticated" "$WORK/cp.log" | tail -n 1 | sed 's/.*notice ike: //')
	case $line in
	*"authenticated by $pm,"*"we answer with $om with"*) ;;
	*) fail "rampartd did not see $pm and answer with $om: $line" ;;
	esac
	ok "rampartd: $line"
	vip=$(wait_vip "$POOL_NET." 5) || { ip -n "$NS_CL" addr; fail "no virtual IP from $POOL_NET.0/24"; }
	ok "client has virtual IP $vip"
	wait_ping "$NS_CL" "$LAN_HOST4" 10 || { tail -n 20 "$WORK/dp.log"; fail "ping $LAN_HOST4 through the tunnel ($what)"; }
	ip netns exec "$NS_CL" ping -c 3 -i 0.2 -W 2 "$LAN_HOST4" >"$WORK/ping.$conn" 2>&1 ||
		{ cat "$WORK/ping.$conn"; fail "ping $LAN_HOST4 ($what)"; }
	ok "ping $LAN_HOST4 through the tunnel: $(grep -o '[0-9]* received' "$WORK/ping.$conn")"
	ike_traffic_check "$conn" "$vip" "$id" 5201
	ike_terminate "$conn" "$vip" "$id"
	ok "$what: terminated by the client, session gone"
}

tunnel rsa rsa@certs.example.test "RSA certificate" RSA_EMSA_PKCS1_SHA2_256
tunnel pss rsa@certs.example.test "RSA certificate, RSA-PSS signature" RSA_EMSA_PSS_SHA2_256_SALT_32
tunnel ec ec@certs.example.test "ECDSA P-256 certificate" ECDSA_WITH_SHA256_DER

# --- identity_local = "dn": our IDr is the subject of our certificate ---------------------------
n0=$(grep -c "authentication of 'O=Rampart Test, CN=vpn.example.test' with .* successful" "$CH/charon.log")
if ! sw --initiate --ike dn --child dn --timeout 20 >"$WORK/initiate.dn" 2>&1; then
	tail -n 20 "$WORK/initiate.dn"; echo "--- rampartd"; tail -n 30 "$WORK/cp.log"
	fail "swanctl --initiate (profile with identity_local dn) failed"
fi
[ "$(grep -c "authentication of 'O=Rampart Test, CN=vpn.example.test' with .* successful" "$CH/charon.log")" -gt "$n0" ] ||
	{ grep -i "authentication of\|IDr\|identity" "$CH/charon.log" | tail -n 10; fail "charon did not accept rampartd's DN identity"; }
ok "charon verified rampartd as $(grep "authentication of 'O=Rampart Test" "$CH/charon.log" | tail -n 1 | sed 's/.*authentication/authentication/')"
grep -q "profile dnclients: we identify as dn /O=Rampart Test/CN=vpn.example.test (identity_local)" "$WORK/cp.log" ||
	{ grep "ike:" "$WORK/cp.log" | tail -n 10; fail "rampartd's log does not show the DN it identified as"; }
ok "rampartd: $(grep -m1 "we identify as dn" "$WORK/cp.log" | sed 's/.*info ike: //')"
vip=$(wait_vip "$POOL_NET." 5) || fail "no virtual IP for the identity_local client"
wait_ping "$NS_CL" "$LAN_HOST4" 10 || fail "ping through the identity_local client's tunnel"
ok "the identity_local client has $vip and reaches $LAN_HOST4"
ike_terminate dn "$vip"

# --- a certificate from a CA rampartd does not trust -------------------------------------------
if sw --initiate --ike evil --child evil --timeout 15 >"$WORK/initiate.evil" 2>&1; then
	cat "$WORK/initiate.evil"
	fail "the client with a certificate of an untrusted CA was let in"
fi
grep -q "AUTHENTICATION_FAILED" "$CH/charon.log" ||
	{ tail -n 20 "$CH/charon.log"; fail "no AUTHENTICATION_FAILED in charon's log for the untrusted CA"; }
ok "untrusted CA refused: $(grep -m1 AUTHENTICATION_FAILED "$CH/charon.log" | sed 's/^ *//')"
grep -q "trustpoint lab refuses the certificate" "$WORK/cp.log" ||
	{ tail -n 20 "$WORK/cp.log"; fail "rampartd's log does not give the trustpoint's reason"; }
ok "rampartd: $(grep -m1 "trustpoint lab refuses" "$WORK/cp.log" | sed 's/.*policy: //')"

# --- PSK peers of the ike section still work next to the profiles -----------------------------------
if ! sw --initiate --ike psk --child psk --timeout 20 >"$WORK/initiate.psk" 2>&1; then
	tail -n 15 "$WORK/initiate.psk"; tail -n 20 "$WORK/cp.log"
	fail "the PSK client (no profile, ike.peers) was refused"
fi
vip=$(wait_vip "$POOL_NET." 5) || fail "no virtual IP for the PSK client"
wait_ping "$NS_CL" "$LAN_HOST4" 10 || fail "ping through the PSK client's tunnel"
ok "a PSK client no profile matches gets in through ike.peers ($vip) and reaches $LAN_HOST4"

# --- the classic methods (RFC 7296 §3.8): a charon that does not use RFC 7427 -------------------
# Without SIGNATURE_HASH_ALGORITHMS from the client, rampartd must answer with the classic
# method of its key (RSA signature, method 1) too.
kill -TERM "$charon_pid"
charon_reset
CHARON_EXTRA="signature_authentication = no"
charon_conf <<<"$SWCONF"
start_charon
ok "charon restarted with signature_authentication = no"
tunnel rsa rsa@certs.example.test "RSA certificate, classic method" "RSA signature|RSA_EMSA_PKCS1_SHA1" "RSA signature" "RSA signature"
tunnel ec ec@certs.example.test "ECDSA P-256 certificate, classic method" "ECDSA-256 signature|ECDSA_WITH_SHA256" "ECDSA-256" "RSA signature"
