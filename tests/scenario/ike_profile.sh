#!/usr/bin/env bash
# IKEv2 profiles chosen by certificate maps, and what the profile's authorization policy
# decides: a real strongSwan client (charon 5.9, kernel-libipsec) against rampartd +
# rampart-dp (topology: ike_lib.sh). The CA (with a CRL), rampartd's certificate and the
# clients' certificates are made here with the openssl CLI.
#
# rampartd: the default pool 198.18.200.10-99 (ike.pool) and the named pool "green"
# 198.18.200.100-149 (ike.pools); certificate maps `subject-name co ou = green` (profile
# green: authorization policy green-pol with pool green, group greengroup, ipsec_flow_limit
# 1, session_lifetime 120 s) and `subject-name co ou = blue` (profile blue: a policy without a
# pool, so the default pool); the trustpoint checks revocation with the CA's CRL.
#
# Checks:
#   - OU=green: the green profile is chosen by its map (rampartd's log), the client's virtual
#     IP lies in pool green, `show sessions` names profile green and group greengroup (text
#     and JSON), `show pools` counts the lease in green; ping and a TCP transfer.
#   - the same session asks for a second CHILD_SA (swanctl --initiate --child): refused with
#     NO_ADDITIONAL_SAS (charon's log) and logged by rampartd (ipsec_flow_limit); the first
#     CHILD_SA still carries traffic.
#   - OU=blue: profile blue, an address from the default pool; ping.
#   - OU=red (no map matches, no identity rule): refused, AUTHENTICATION_FAILED, rampartd logs
#     that no profile matches.
#   - a revoked certificate (OU=green, listed in the CRL): refused, rampartd logs the
#     revocation.
#   - OU=orange: its profile names only the IKE proposal "legacy" (AES-CBC-128, SHA-512,
#     MODP-4096), not what IKE_SA_INIT chose: refused at IKE_AUTH, logged; green's
#     proposals allow its IKE SA.
#   - the IKEv2 policy of our outside address (ike.policies "outside": proposal "no-modp",
#     elliptic-curve groups only): a client proposing only MODP-3072, which the ike section
#     alone would accept, gets NO_PROPOSAL_CHOSEN at IKE_SA_INIT (charon's log); rampartd
#     logs the policy and what it offers. A profile naming an unknown proposal, or a policy an unknown
#     pool: rampartd --check-config fails with FILE:LINE.
#   - the green session's lifetime (120 s, the smallest the policy allows) ends it: rampartd
#     logs it and sends a Delete, charon sees the IKE_SA deleted, the session and its lease
#     are gone (show pools: 0 in use).
#
# Skips (77): as ike_psk.sh, and without the openssl command.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns.sh"
. "$(dirname "$0")/ike_lib.sh"
ike_need
command -v openssl >/dev/null || skip "no openssl command"

# --- the test PKI: a CA with a CRL database -----------------------------------------------------
pki_ca "Rampart Profile CA"
pki_ca_db
mkcert() { # NAME SUBJECT SAN EKU SERIAL
	pki_cert "$1" "$2" "$(pki_leaf "$3" "$4")" "$5"
}
pki_server
mkcert green "/O=Rampart Test/OU=Green Team/CN=green client" "email:green@profile.example.test" clientAuth 3
mkcert blue "/O=Rampart Test/OU=blue/CN=blue client" "email:blue@profile.example.test" clientAuth 4
mkcert red "/O=Rampart Test/OU=red/CN=red client" "email:red@profile.example.test" clientAuth 5
mkcert revoked "/O=Rampart Test/OU=green/CN=revoked client" "email:revoked@profile.example.test" clientAuth 6
mkcert orange "/O=Rampart Test/OU=orange/CN=orange client" "email:orange@profile.example.test" clientAuth 7
ossl ca -config "$P/ca.cnf" -batch -revoke "$P/revoked.pem"
ossl ca -config "$P/ca.cnf" -batch -gencrl -out "$P/ca.crl"
openssl crl -in "$P/ca.crl" -noout -text 2>/dev/null | grep -q "Serial Number: 06" ||
	fail "the CRL does not list the revoked certificate (serial 06)"
ok "test PKI made with openssl: CA with a CRL revoking serial 06, rampartd's and 5 client certificates"

# --- rampartd ---------------------------------------------------------------------------------
GREEN_FIRST=$POOL_NET.100
GREEN_LAST=$POOL_NET.149
IKE_POOL="pool = { first = \"$POOL_NET.10\"; last = \"$POOL_NET.99\"; dns = [ \"$LAN_DNS\" ]; };
  pools = ( { name = \"green\"; first = \"$GREEN_FIRST\"; last = \"$GREEN_LAST\"; } );
  proposals = (
    { name = \"any-aead\"; encryption = [ \"aes256gcm16\", \"aes128gcm16\", \"chacha20poly1305\" ]; },
    { name = \"any-cbc\"; encryption = [ \"aes256\", \"aes128\" ]; },
    { name = \"legacy\"; encryption = [ \"aes128\" ]; integrity = [ \"sha512\" ];
      prf = [ \"prfsha512\" ]; dh_groups = [ \"modp4096\" ]; },
    { name = \"no-modp\"; dh_groups = [ \"curve25519\", \"ecp256\", \"ecp384\", \"ecp521\" ]; }
  );
  policies = ( { name = \"outside\"; proposals = [ \"no-modp\" ];
                 match_address_local = [ \"$DP_OUT4\" ]; } );"
RAMPART_EXTRA="pki = {
  trustpoints = ( { name = \"lab\"; ca_certificates = [ \"$P/ca.pem\" ];
                    certificate = \"$P/server.pem\"; private_key = \"$P/server.key\";
                    revocation_check = [ \"crl\" ]; crl_files = [ \"$P/ca.crl\" ]; } );
  certificate_maps = (
    { name = \"greenmap\"; sequence = 10; rules = [ \"subject-name co ou = green\" ]; },
    { name = \"bluemap\"; sequence = 10; rules = [ \"subject-name co ou = blue\" ]; },
    { name = \"orangemap\"; sequence = 10; rules = [ \"subject-name eq ou = orange\" ]; }
  );
};
ikev2 = {
  authorization_policies = (
    { name = \"green-pol\"; pool = \"green\"; ipsec_flow_limit = 1; session_lifetime = 120; },
    { name = \"blue-pol\"; dns = [ \"$LAN_DNS\" ]; }
  );
  profiles = (
    { name = \"green\";
      match = { certificate = [ \"greenmap\" ]; };
      authentication = { local = \"rsa-sig\"; remote = [ \"rsa-sig\" ]; };
      trustpoints = [ \"lab\" ];
      authorization_policy = \"green-pol\";
      proposals = [ \"any-aead\", \"any-cbc\" ];
      group = \"greengroup\"; },
    { name = \"orange\";
      match = { certificate = [ \"orangemap\" ]; };
      authentication = { local = \"rsa-sig\"; remote = [ \"rsa-sig\" ]; };
      trustpoints = [ \"lab\" ];
      proposals = [ \"legacy\" ]; },
    { name = \"blue\";
      match = { certificate = [ \"bluemap\" ]; };
      authentication = { local = \"rsa-sig\"; remote = [ \"rsa-sig\" ]; };
      trustpoints = [ \"lab\" ];
      authorization_policy = \"blue-pol\"; }
  );
};"
ike_write_conf

# an authorization policy naming a pool that does not exist: refused at its line
sed 's/pool = "green"; ipsec_flow_limit/pool = "nosuch"; ipsec_flow_limit/' "$conf" >"$WORK/badpool.conf"
grep -q '"nosuch"' "$WORK/badpool.conf" || fail "could not make the bad-pool configuration"
if "$CPD" -c "$WORK/badpool.conf" --check-config >"$WORK/badpool.out" 2>&1; then
	fail "rampartd accepted an authorization policy naming an unknown pool"
fi
grep -Eq "badpool.conf:[0-9]+: setting 'ikev2.authorization_policies.\[0\].pool': unknown IPv4 pool 'nosuch'" \
	"$WORK/badpool.out" || { cat "$WORK/badpool.out"; fail "no FILE:LINE error for the unknown pool"; }
ok "unknown pool refused: $(grep -m1 "unknown IPv4 pool" "$WORK/badpool.out")"
sed 's/proposals = \[ "legacy" \]/proposals = [ "nosuch" ]/' "$conf" >"$WORK/badprop.conf"
grep -q '"nosuch"' "$WORK/badprop.conf" || fail "could not make the bad-proposal configuration"
if "$CPD" -c "$WORK/badprop.conf" --check-config >"$WORK/badprop.out" 2>&1; then
	fail "rampartd accepted a profile naming an unknown IKE proposal"
fi
grep -Eq "badprop.conf:[0-9]+: setting 'ikev2.profiles.\[1\].proposals.\[0\]': unknown IKE proposal 'nosuch'" \
	"$WORK/badprop.out" || { cat "$WORK/badprop.out"; fail "no FILE:LINE error for the unknown proposal"; }
ok "unknown IKE proposal refused: $(grep -m1 "unknown IKE proposal" "$WORK/badprop.out")"

# --- charon -----------------------------------------------------------------------------------
CHARON_PLUGINS="$CHARON_PLUGINS x509 pem pkcs1 pkcs8 pubkey constraints"
mkdir -p "$CH/swanctl/x509" "$CH/swanctl/x509ca" "$CH/swanctl/private"
cp "$P/ca.pem" "$CH/swanctl/x509ca/"
for c in green blue red revoked orange; do
	cp "$P/$c.pem" "$CH/swanctl/x509/$c.pem"
	cp "$P/$c.key" "$CH/swanctl/private/$c.key"
done
conn() { # NAME ID CERT [EXTRA CHILD]
	cat <<EOF
  $1 {
    version = 2
    remote_addrs = $DP_OUT4
    vips = 0.0.0.0
    local {
      auth = pubkey
      id = $2
      certs = $3
    }
    remote {
      auth = pubkey
      id = vpn.example.test
    }
    children {
      $1 {
        remote_ts = $LAN_NET4
      }
${4:-}
    }
  }
EOF
}
SECOND_CHILD="      green2 {
        remote_ts = $LAN_DNS/32
      }"
charon_conf <<EOF
connections {
$(conn green green@profile.example.test green.pem "$SECOND_CHILD")
$(conn blue blue@profile.example.test blue.pem)
$(conn red red@profile.example.test red.pem)
$(conn revoked revoked@profile.example.test revoked.pem)
$(conn orange orange@profile.example.test orange.pem)
  modp {
    version = 2
    remote_addrs = $DP_OUT4
    proposals = aes256-sha256-modp3072
    local {
      auth = pubkey
      id = red@profile.example.test
      certs = red.pem
    }
    remote {
      auth = pubkey
      id = vpn.example.test
    }
    children {
      modp {
        remote_ts = $LAN_NET4
      }
    }
  }
}
EOF
ike_start_all
start_charon
ok "charon up (pid $charon_pid) in $NS_CL"

in_range() { # ADDR FIRST LAST (same /24)
	local a=${1##*.} f=${2##*.} l=${3##*.}
	[ "${1%.*}" = "${2%.*}" ] && [ "$a" -ge "$f" ] && [ "$a" -le "$l" ]
}

# --- OU=green: profile green, pool green, group greengroup --------------------------------------
if ! sw --initiate --ike green --child green --timeout 20 >"$WORK/initiate.green" 2>&1; then
	tail -n 20 "$WORK/initiate.green"; echo "--- rampartd"; tail -n 30 "$WORK/cp.log"
	fail "swanctl --initiate green failed"
fi
green_up=$(date +%s)
ok "OU=green: IKE_SA and CHILD_SA established"
grep -q "certificate map greenmap matches profile green" "$WORK/cp.log" ||
	{ grep "policy:" "$WORK/cp.log" | tail -n 10; fail "rampartd's log does not show the map choosing profile green"; }
grep -q "profile green assigned peer the group named greengroup" "$WORK/cp.log" ||
	{ grep "policy:" "$WORK/cp.log" | tail -n 10; fail "rampartd's log does not show the group"; }
ok "rampartd: $(grep -m1 "certificate map greenmap matches" "$WORK/cp.log" | sed 's/.*policy: //')"
vip=$(wait_vip "$POOL_NET." 5) || { ip -n "$NS_CL" addr; fail "no virtual IP for the green client"; }
in_range "$vip" "$GREEN_FIRST" "$GREEN_LAST" ||
	fail "the green client got $vip, not an address of pool green ($GREEN_FIRST - $GREEN_LAST)"
ok "the green client's virtual IP $vip lies in pool green ($GREEN_FIRST - $GREEN_LAST)"
wait_ping "$NS_CL" "$LAN_HOST4" 10 || fail "ping $LAN_HOST4 through the green tunnel"
ike_traffic_check green "$vip" green@profile.example.test 5201
grep -q "profile green, group greengroup" "$WORK/sessions.green" ||
	fail "show sessions does not name profile green and group greengroup"
ctl --json show sessions >"$WORK/sessions.json" 2>&1 || { cat "$WORK/sessions.json"; fail "show sessions --json"; }
"$SCAPY_PY" - "$WORK/sessions.json" "$vip" <<'PY' || fail "show sessions --json: profile/group (above)"
import json, sys
d = json.load(open(sys.argv[1]))
s = [x for x in d["sessions"] if x["address"] == sys.argv[2]]
assert len(s) == 1, d
assert s[0]["profile"] == "green" and s[0]["group"] == "greengroup", s[0]
PY
ok "show sessions (text and JSON): profile green, group greengroup"
ctl show sessions detail >"$WORK/sessions.detail" 2>&1 || fail "show sessions detail"
grep -Eq "session lifetime: ends in [0-9]+ s" "$WORK/sessions.detail" ||
	{ cat "$WORK/sessions.detail"; fail "show sessions detail does not show the session lifetime"; }
ctl show pools >"$WORK/pools" 2>&1 || { cat "$WORK/pools"; fail "show pools"; }
sed 's/^/  /' "$WORK/pools"
grep -Eq "^green +IPv4 +$GREEN_FIRST - $GREEN_LAST +50 +1 +49" "$WORK/pools" ||
	fail "show pools does not count the green lease (size 50, 1 in use, 49 free)"
grep -Eq "^default +IPv4 +$POOL_NET.10 - $POOL_NET.99 +90 +0 +90 +\(default\)" "$WORK/pools" ||
	fail "show pools: the default pool should be unused"
ctl --json show pools >"$WORK/pools.json" 2>&1 || fail "show pools --json"
"$SCAPY_PY" - "$WORK/pools.json" <<'PY' || fail "show pools --json (above)"
import json, sys
p = {x["name"]: x for x in json.load(open(sys.argv[1]))["pools"]}
assert p["green"]["in_use"] == 1 and p["green"]["free"] == 49 and p["green"]["size"] == 50, p
assert p["default"]["in_use"] == 0 and p["default"]["default"] is True, p
PY
ok "show pools (text and JSON): green 1 of 50 in use, default 0 of 90"

# --- ipsec_flow_limit 1: a second CHILD_SA of the green session is refused ----------------------
if sw --initiate --child green2 --timeout 15 >"$WORK/initiate.green2" 2>&1; then
	cat "$WORK/initiate.green2"
	fail "a second CHILD_SA was created despite ipsec_flow_limit = 1"
fi
within 5 grep -q "NO_ADDITIONAL_SAS" "$CH/charon.log" ||
	{ tail -n 20 "$CH/charon.log"; fail "charon did not get NO_ADDITIONAL_SAS"; }
grep -q "CHILD_SA refused (NO_ADDITIONAL_SAS).*ipsec_flow_limit" "$WORK/cp.log" ||
	{ tail -n 20 "$WORK/cp.log"; fail "rampartd did not log the flow limit"; }
ok "second CHILD_SA refused: $(grep -m1 "CHILD_SA refused (NO_ADDITIONAL_SAS)" "$WORK/cp.log" | sed 's/.*notice ike: //')"
ip netns exec "$NS_CL" ping -c 2 -i 0.2 -W 2 "$LAN_HOST4" >"$WORK/ping.after" 2>&1 ||
	{ cat "$WORK/ping.after"; fail "the first CHILD_SA stopped working after the refused one"; }
ok "the first CHILD_SA still carries traffic"

# --- OU=blue: profile blue, no pool in its policy: the default pool ----------------------------
if ! sw --initiate --ike blue --child blue --timeout 20 >"$WORK/initiate.blue" 2>&1; then
	tail -n 20 "$WORK/initiate.blue"; tail -n 30 "$WORK/cp.log"
	fail "swanctl --initiate blue failed"
fi
grep -q "certificate map bluemap matches profile blue" "$WORK/cp.log" ||
	fail "rampartd's log does not show the map choosing profile blue"
bvip=$(ip -n "$NS_CL" -4 -o addr show | awk -v p="$POOL_NET." -v g="$vip/" \
	'index($4, p) == 1 && index($4, g) != 1 {sub(/\/.*/, "", $4); print $4; exit}')
[ -n "$bvip" ] || { ip -n "$NS_CL" addr; fail "no second virtual IP for the blue client"; }
in_range "$bvip" "$POOL_NET.10" "$POOL_NET.99" ||
	fail "the blue client got $bvip, not an address of the default pool"
ctl show sessions >"$WORK/sessions.blue" 2>&1 || fail "show sessions"
grep -q "profile blue, group blue-pol" "$WORK/sessions.blue" ||
	{ cat "$WORK/sessions.blue"; fail "show sessions: profile blue with the policy's name as group"; }
ok "OU=blue: profile blue, virtual IP $bvip from the default pool, group blue-pol"
ike_terminate blue "$bvip"

# --- OU=red: no map matches, no identity rule: refused ------------------------------------------
n0=$(grep -c AUTHENTICATION_FAILED "$CH/charon.log")
if sw --initiate --ike red --child red --timeout 15 >"$WORK/initiate.red" 2>&1; then
	cat "$WORK/initiate.red"; fail "the client matching no certificate map was let in"
fi
[ "$(grep -c AUTHENTICATION_FAILED "$CH/charon.log")" -gt "$n0" ] ||
	{ tail -n 20 "$CH/charon.log"; fail "no AUTHENTICATION_FAILED for the client matching no map"; }
grep -q "red@profile.example.test.*no ikev2 profile matches it" "$WORK/cp.log" ||
	{ tail -n 20 "$WORK/cp.log"; fail "rampartd does not log that no profile matches the red client"; }
ok "OU=red refused: $(grep -m1 "matches \*none\*" "$WORK/cp.log" | sed 's/.*policy: //')"

# --- a revoked certificate (OU=green, in the CRL): refused --------------------------------------
n0=$(grep -c AUTHENTICATION_FAILED "$CH/charon.log")
if sw --initiate --ike revoked --child revoked --timeout 15 >"$WORK/initiate.revoked" 2>&1; then
	cat "$WORK/initiate.revoked"; fail "the client with a revoked certificate was let in"
fi
[ "$(grep -c AUTHENTICATION_FAILED "$CH/charon.log")" -gt "$n0" ] ||
	{ tail -n 20 "$CH/charon.log"; fail "no AUTHENTICATION_FAILED for the revoked certificate"; }
grep -qi "trustpoint lab refuses the certificate.*revoked" "$WORK/cp.log" ||
	{ grep "policy:" "$WORK/cp.log" | tail -n 10; fail "rampartd does not log the revocation"; }
ok "revoked certificate refused: $(grep -im1 "trustpoint lab refuses the certificate.*revoked" "$WORK/cp.log" | sed 's/.*policy: //')"

# --- OU=orange: profile orange allows only the "legacy" proposal, which this IKE SA is not --
n0=$(grep -c AUTHENTICATION_FAILED "$CH/charon.log")
if sw --initiate --ike orange --child orange --timeout 15 >"$WORK/initiate.orange" 2>&1; then
	cat "$WORK/initiate.orange"; fail "the orange client got in with algorithms its profile's proposals exclude"
fi
[ "$(grep -c AUTHENTICATION_FAILED "$CH/charon.log")" -gt "$n0" ] ||
	{ tail -n 20 "$CH/charon.log"; fail "no AUTHENTICATION_FAILED for the orange client"; }
grep -q "are in none of the proposals of profile orange (legacy)" "$WORK/cp.log" ||
	{ tail -n 20 "$WORK/cp.log"; fail "rampartd does not log the proposal mismatch"; }
ok "profile proposals: $(grep -m1 "none of the proposals of profile orange" "$WORK/cp.log" | sed 's/.*notice ike: //')"

# --- the IKEv2 policy of our outside address: no MODP group at IKE_SA_INIT -----------------------
n0=$(grep -c "received NO_PROPOSAL_CHOSEN" "$CH/charon.log")
if sw --initiate --ike modp --child modp --timeout 15 >"$WORK/initiate.modp" 2>&1; then
	cat "$WORK/initiate.modp"; fail "a client proposing only MODP-3072 got past the policy without MODP groups"
fi
[ "$(grep -c "received NO_PROPOSAL_CHOSEN" "$CH/charon.log")" -gt "$n0" ] ||
	{ tail -n 20 "$CH/charon.log"; fail "charon did not get NO_PROPOSAL_CHOSEN for its MODP-only proposal"; }
grep -q "IKE_SA_INIT on $DP_OUT4 from $CL_OUT4: policy outside offers no-modp; none of the peer's proposals fits them: NO_PROPOSAL_CHOSEN" "$WORK/cp.log" ||
	{ grep "IKE_SA_INIT on" "$WORK/cp.log" | tail -n 5; fail "rampartd does not log the policy's refusal"; }
grep -q "IKE_SA_INIT on $DP_OUT4 from $CL_OUT4: policy outside offers no-modp; chose" "$WORK/cp.log" ||
	{ grep "IKE_SA_INIT on" "$WORK/cp.log" | tail -n 5; fail "rampartd does not log the policy's choice for the other clients"; }
ok "IKEv2 policy: $(grep -m1 "policy outside offers no-modp; none" "$WORK/cp.log" | sed 's/.*notice ike: //')"
ctl show ike-policies >"$WORK/ikepol" 2>&1 || { cat "$WORK/ikepol"; fail "show ike-policies"; }
grep -q "^IKEv2 policy outside$" "$WORK/ikepol" && grep -q "^  match address local $DP_OUT4/32$" "$WORK/ikepol" &&
	grep -q "^    dh groups    CURVE25519 ECP256 ECP384 ECP521$" "$WORK/ikepol" ||
	{ cat "$WORK/ikepol"; fail "show ike-policies does not show policy outside with its address and groups"; }
ctl --json show ike-policies >"$WORK/ikepol.json" 2>&1 || fail "show ike-policies --json"
"$SCAPY_PY" - "$WORK/ikepol.json" "$DP_OUT4/32" <<'PY' || { cat "$WORK/ikepol.json"; fail "show ike-policies --json (above)"; }
import json, sys
p = json.load(open(sys.argv[1]))["policies"]
assert [x["name"] for x in p] == ["outside"], p
assert p[0]["match_address_local"] == [sys.argv[2]], p
pr = p[0]["proposals"]
assert [x["name"] for x in pr] == ["no-modp"] and pr[0]["encryption"] is None, pr
assert pr[0]["dh_groups"] == ["CURVE25519", "ECP256", "ECP384", "ECP521"], pr
PY
ok "rampartctl show ike-policies (text and JSON): policy outside on $DP_OUT4/32, proposal no-modp"

# --- the session lifetime (120 s) ends the green session ----------------------------------------
left=$((150 - ($(date +%s) - green_up)))
[ "$left" -gt 10 ] || left=10
echo "  waiting up to $left s for the green session's lifetime (120 s) to end it"
within "$left" grep -q "session lifetime of 120 s (authorization policy green-pol) reached" "$WORK/cp.log" ||
	{ tail -n 20 "$WORK/cp.log"; fail "rampartd did not end the session at its lifetime"; }
ok "rampartd: $(grep -m1 "session lifetime of 120 s" "$WORK/cp.log" | sed 's/.*notice ike: //')"
within 15 grep -q "received DELETE for IKE_SA green" "$CH/charon.log" ||
	{ tail -n 20 "$CH/charon.log"; fail "charon did not get the Delete of its IKE_SA"; }
within 10 sh -c "! ip -n '$NS_CL' -o addr show | grep -q ' $vip/'" || fail "$vip stays on the client"
within 10 sh -c "'$CTL' -c '$conf' show sessions | grep -q '^ *0 sessions'" ||
	{ ctl show sessions; fail "the green session is still listed after its lifetime"; }
ctl show pools >"$WORK/pools.end" 2>&1 || fail "show pools"
grep -Eq "^green +IPv4 +$GREEN_FIRST - $GREEN_LAST +50 +0 +50" "$WORK/pools.end" ||
	{ cat "$WORK/pools.end"; fail "the green lease was not given back"; }
ok "session lifetime: charon got the Delete, the session is gone and its address is back in pool green"
