#!/usr/bin/env bash
# RADIUS accounting and Disconnect-Request (RFC 2866, RFC 5176) against a real FreeRADIUS
# 3.2 with a strongSwan client (EAP-MD5 relayed to FreeRADIUS, as in ike_eap.sh; topology:
# ike_lib.sh; FreeRADIUS in rampartd's namespace on 127.0.0.1, its accounting written by
# the `detail` module).
#
# rampartd: accounting list "acct" (start-stop, Interim-Update every 2 s) named by the EAP
# profile (aaa.accounting), dynamic_author on 127.0.0.1:3799 with FreeRADIUS's radclient as
# its client.
#
# Checks:
#  1. A session with TCP traffic through rampart-dp (ike_traffic_check), ended by the client:
#     FreeRADIUS recorded its Start (User-Name, Framed-IP-Address = the client's pool
#     address, Calling-Station-Id, NAS-IP-Address), an Interim-Update, and its Stop with
#     Acct-Terminate-Cause User-Request and Acct-Input/Output-Octets and -Packets equal to
#     the counters `rampartctl show sessions` gave just before; the same Acct-Session-Id in
#     all of them. An IKE SA and a CHILD_SA rekey by the client in between neither start nor
#     stop the session, and the Stop counts the traffic of the rekeyed-away CHILD_SA too.
#  2. A second session torn down by `radclient ... disconnect` (User-Name): Disconnect-ACK,
#     charon sees its IKE SA deleted, `show sessions` is empty, and the Stop has
#     Acct-Terminate-Cause Admin-Reset. A Disconnect-Request for nobody gets a
#     Disconnect-NAK (Error-Cause Session-Context-Not-Found), one with a wrong secret no
#     answer at all.
#  3. FreeRADIUS down while a session ends: the Stop waits in rampartd's queue and reaches
#     FreeRADIUS once it is back, with Acct-Delay-Time > 0.
#  4. `radclient ... coa` with Session-Timeout = 2 (by Acct-Session-Id): CoA-ACK, the session
#     ends 2 s later, Stop with Acct-Terminate-Cause Session-Timeout.
#
# Skips (77): as ike_eap.sh.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns.sh"
. "$(dirname "$0")/ike_lib.sh"
. "$(dirname "$0")/../aaa/radius_env.sh"
ike_need
command -v openssl >/dev/null || skip "no openssl command"
command -v freeradius >/dev/null || skip "no freeradius (apt install freeradius)"
command -v radclient >/dev/null || skip "no radclient (apt install freeradius-utils)"
[ -d /etc/freeradius/3.0 ] || skip "no /etc/freeradius/3.0"
for p in eap-identity eap-md5; do
	[ -f "/usr/lib/ipsec/plugins/libstrongswan-$p.so" ] ||
		skip "no strongSwan plugin $p (apt install libcharon-extra-plugins)"
done

# --- the test PKI: a CA and rampartd's RSA certificate (EAP needs a server certificate) -------
pki_ca "Rampart Acct CA"
pki_server
ok "test PKI: CA and rampartd's RSA certificate (vpn.example.test)"

# --- FreeRADIUS: the lab configuration, accounting into detail files ---------------------------
R=$WORK/radius
rad_setup "$R" || fail "FreeRADIUS configuration"
/usr/bin/python3 - "$R/raddb/sites-enabled/rampart" <<'EOP' || fail "FreeRADIUS accounting section"
import sys
p = sys.argv[1]
s = open(p).read()
old = "accounting {\n\tok\n}"
assert old in s
open(p, "w").write(s.replace(old, "accounting {\n\tdetail\n\tok\n}"))
EOP
ACCT_DIR=$R/log/radacct
detail() { cat "$ACCT_DIR"/*/detail-* 2>/dev/null; }

# --- rampartd ------------------------------------------------------------------------------------
RAMPART_EXTRA="pki = {
  trustpoints = ( { name = \"lab\"; ca_certificates = [ \"$P/ca.pem\" ];
                    certificate = \"$P/server.pem\"; private_key = \"$P/server.key\"; } );
};
aaa = {
  radius = {
    servers = ( { name = \"rad1\"; address = \"127.0.0.1\"; key = \"$RAD_SECRET\";
                  timeout_ms = 500; retransmit = 1; } );
    groups = ( { name = \"rad\"; servers = [ \"rad1\" ]; dead_tries = 0; } );
  };
  authentication = ( { name = \"eap-list\"; type = \"eap\"; methods = [ \"group rad\" ]; } );
  accounting = ( { name = \"acct\"; type = \"network\"; mode = \"start-stop\";
                   methods = [ \"group rad\" ]; interim_interval = 2; } );
  accounting_queue = { size = 64; retry_max = 2; };
  dynamic_author = { address = \"127.0.0.1\"; port = 3799;
                     clients = ( { address = \"127.0.0.1\"; key = \"dae-$RAD_SECRET\"; } ); };
};
ikev2 = {
  profiles = (
    { name = \"eap-acct\";
      match = { identity_remote = [ \"fqdn testuser\" ]; };
      authentication = { local = \"rsa-sig\"; remote = [ \"eap\" ]; };
      trustpoints = [ \"lab\" ];
      aaa = { authentication_eap = \"eap-list\"; accounting = \"acct\"; }; }
  );
};"
ike_write_conf

CHARON_PLUGINS="random nonce openssl aes sha1 sha2 md5 hmac kdf gcm curve25519 x509 pem pkcs1 pkcs8 pubkey constraints eap-identity eap-md5 kernel-libipsec kernel-netlink socket-default attr vici"
mkdir -p "$CH/swanctl/x509ca"
cp "$P/ca.pem" "$CH/swanctl/x509ca/"
charon_conf <<EOF
connections {
  md5 {
    version = 2
    remote_addrs = $DP_OUT4
    vips = 0.0.0.0
    local {
      auth = eap-md5
      id = testuser
      eap_id = testuser
    }
    remote {
      auth = pubkey
      id = vpn.example.test
    }
    children {
      md5 {
        remote_ts = $LAN_NET4
      }
    }
  }
}
secrets {
  eap-test {
    id = testuser
    secret = testpass
  }
}
EOF

ike_topo
rad_up() { # N: the Nth start (its own output file, $R/radiusd.out for the last)
	ln -sf "radiusd.$1.out" "$R/radiusd.out"
	ike_start_radius "$R" "FreeRADIUS (start $1, accounting to $ACCT_DIR)" "$R/radiusd.$1.out"
}
rad_up 1
ike_start_dp
ike_start_cp
grep -q "accounting list acct: start-stop to 1 group, Interim-Update every 2 s" "$WORK/cp.log" ||
	{ tail -n 20 "$WORK/cp.log"; fail "rampartd did not set up accounting"; }
grep -q "dynamic-author (RFC 5176) on 127.0.0.1 port 3799 for 1 client" "$WORK/cp.log" ||
	{ tail -n 20 "$WORK/cp.log"; fail "rampartd does not listen for Disconnect/CoA"; }
ok "rampartd: accounting list acct, dynamic-author on 127.0.0.1:3799"
start_charon
ok "charon up (pid $charon_pid) in $NS_CL"

# The value of attribute $2 in the detail record of Acct-Status-Type $1 for session id $3.
rec_attr() {
	detail | awk -v st="$1" -v a="$2" -v sid="$3" '
		/^[A-Z][a-z][a-z] / { rec = ""; next }
		/^$/ { if (rec ~ ("Acct-Status-Type = " st "\n") && rec ~ ("Acct-Session-Id = \"" sid "\"")) last = rec; rec = ""; next }
		{ rec = rec $0 "\n" }
		END { if (rec ~ ("Acct-Status-Type = " st "\n") && rec ~ ("Acct-Session-Id = \"" sid "\"")) last = rec;
		      n = split(last, l, "\n"); for (i = 1; i <= n; i++) { s = l[i]; sub(/^[ \t]+/, "", s);
		      if (index(s, a " = ") == 1) { v = substr(s, length(a) + 4); gsub(/"/, "", v); print v; exit } } }'
}

up() { # TAG PORT: connect, traffic, the counters of show sessions; sets vip, sid
	local tag=$1 port=$2
	sw --initiate --ike md5 --child md5 --timeout 30 >"$WORK/initiate.$tag" 2>&1 ||
		{ tail -n 25 "$WORK/initiate.$tag"; tail -n 30 "$WORK/cp.log"; fail "swanctl --initiate ($tag)"; }
	ok "$tag: IKE_SA and CHILD_SA established (EAP-MD5 through FreeRADIUS)"
	vip=$(wait_vip "$POOL_NET." 5) || fail "no virtual IP from $POOL_NET.0/24"
	wait_ping "$NS_CL" "$LAN_HOST4" 10 || fail "ping $LAN_HOST4 through the tunnel ($tag)"
	ike_traffic_check "$tag" "$vip" testuser "$port"
	sid=$(grep -o "Acct-Session-Id [0-9A-F]*-[0-9A-F]*" "$WORK/cp.log" | tail -n 1 | awk '{print $2}')
	[ -n "$sid" ] || { grep "acct:" "$WORK/cp.log"; fail "rampartd did not log an Acct-Session-Id"; }
	within 10 sh -c "$(declare -f detail); ACCT_DIR='$ACCT_DIR'; detail | grep -q 'Acct-Session-Id = \"$sid\"'" ||
		{ tail -n 30 "$R/radiusd.out"; fail "FreeRADIUS recorded no Start for $sid"; }
	[ "$(rec_attr Start User-Name "$sid")" = testuser ] || { detail; fail "Start: User-Name"; }
	[ "$(rec_attr Start Framed-IP-Address "$sid")" = "$vip" ] || { detail; fail "Start: Framed-IP-Address is not $vip"; }
	[ "$(rec_attr Start Calling-Station-Id "$sid")" = "$CL_OUT4" ] || { detail; fail "Start: Calling-Station-Id is not $CL_OUT4"; }
	[ "$(rec_attr Start NAS-IP-Address "$sid")" = "$DP_OUT4" ] || { detail; fail "Start: NAS-IP-Address is not $DP_OUT4"; }
	ok "$tag: FreeRADIUS recorded the Start of $sid: User-Name testuser, Framed-IP-Address $vip, Calling-Station-Id $CL_OUT4, NAS-IP-Address $DP_OUT4"
}

counters() { # the totals of show sessions now: IN_PKTS IN_BYTES OUT_PKTS OUT_BYTES
	ctl show sessions >"$WORK/sessions.now" 2>&1 || { cat "$WORK/sessions.now"; fail "show sessions"; }
	grep -Eo "traffic in [0-9]+ packets [0-9]+ bytes, out [0-9]+ packets [0-9]+ bytes" "$WORK/sessions.now" |
		head -n 1 | awk '{print $3, $5, $8, $10}'
}

# --- 1. a session ended by the client ---------------------------------------------------------------
up one 5301
sid1=$sid
within 10 sh -c "$(declare -f detail rec_attr); ACCT_DIR='$ACCT_DIR'; [ -n \"\$(rec_attr Interim-Update Acct-Session-Id '$sid1')\" ]" ||
	{ detail; fail "no Interim-Update for $sid1 (interim_interval 2 s)"; }
ok "one: FreeRADIUS recorded an Interim-Update of $sid1 (in octets $(rec_attr Interim-Update Acct-Input-Octets "$sid1"))"
# the client rekeys the IKE SA and the CHILD_SA: the same session (no second Start, no Stop)
n0=$(grep -c "rekeyed by the peer" "$WORK/cp.log")
sw --rekey --ike md5 >"$WORK/rekey.one" 2>&1 || { cat "$WORK/rekey.one"; fail "swanctl --rekey --ike"; }
within 10 sh -c "[ \$(grep -c 'rekeyed by the peer' '$WORK/cp.log') -gt $n0 ]" ||
	{ tail -n 20 "$WORK/cp.log"; fail "rampartd did not see the IKE SA rekey"; }
sw --rekey --child md5 >"$WORK/rekey.one.child" 2>&1 || { cat "$WORK/rekey.one.child"; fail "swanctl --rekey --child"; }
sleep 1
tcp_transfer "$NS_LAN" "$LAN_HOST4" "$NS_CL" 5311 100000 100000 20 >"$WORK/xfer.one2" 2>&1 ||
	{ cat "$WORK/xfer.one2"; fail "TCP transfer after the rekeys"; }
[ "$(detail | grep -c "Acct-Session-Id = \"$sid1\"")" -ge 1 ] || fail "lost the records of $sid1"
starts=$(detail | awk -v sid="$sid1" '/^[A-Z][a-z][a-z] /{st=""} /Acct-Status-Type = Start/{st=1} index($0, "Acct-Session-Id = \"" sid "\"") && st {n++} END{print n+0}')
[ "$starts" = 1 ] || { detail; fail "$starts Starts for $sid1 after the rekeys"; }
[ -z "$(rec_attr Stop Acct-Session-Id "$sid1")" ] || fail "a Stop for $sid1 at the rekey"
ok "one: IKE SA and CHILD_SA rekeyed by the client, traffic again: still one Start and no Stop for $sid1"
sleep 1 # let the transfer's last segments settle
read -r ip ib op ob < <(counters)
[ "${ib:-0}" -gt 500000 ] || fail "show sessions: in $ib bytes after a 500 kB transfer each way"
sw --terminate --ike md5 --timeout 10 >"$WORK/terminate.one" 2>&1 ||
	{ cat "$WORK/terminate.one"; fail "swanctl --terminate"; }
within 10 sh -c "$(declare -f detail rec_attr); ACCT_DIR='$ACCT_DIR'; [ -n \"\$(rec_attr Stop Acct-Session-Id '$sid1')\" ]" ||
	{ detail | tail -n 40; tail -n 20 "$WORK/cp.log"; fail "FreeRADIUS recorded no Stop for $sid1"; }
for pair in "Acct-Input-Octets:$ib" "Acct-Output-Octets:$ob" "Acct-Input-Packets:$ip" \
	"Acct-Output-Packets:$op" "Acct-Input-Gigawords:0" "Acct-Output-Gigawords:0" \
	"Acct-Terminate-Cause:User-Request" "User-Name:testuser" "Framed-IP-Address:$vip"; do
	got=$(rec_attr Stop "${pair%%:*}" "$sid1")
	[ "$got" = "${pair#*:}" ] || { detail | tail -n 40; fail "Stop of $sid1: ${pair%%:*} is '$got', expected '${pair#*:}'"; }
done
st=$(rec_attr Stop Acct-Session-Time "$sid1")
[ "${st:-0}" -ge 1 ] || fail "Stop of $sid1: Acct-Session-Time '$st'"
ok "one: Stop of $sid1 (User-Request): in $ib bytes / $ip packets, out $ob bytes / $op packets, as show sessions said; session time $st s"

# --- 2. Disconnect-Request from radclient -------------------------------------------------------------
charon_deleted0=$(grep -c "deleting IKE_SA\|IKE_SA .* deleted\|received DELETE for IKE_SA" "$CH/charon.log")
up two 5302
sid2=$sid
[ "$sid2" != "$sid1" ] || fail "the second session has the first one's Acct-Session-Id"
rc_out=$(echo 'User-Name = "nobody"' | ip netns exec "$NS_DP" radclient -r 1 -t 3 -x 127.0.0.1:3799 disconnect "dae-$RAD_SECRET" 2>&1)
echo "$rc_out" | grep -q "Received Disconnect-NAK" || { echo "$rc_out"; fail "no Disconnect-NAK for an unknown user"; }
echo "$rc_out" | grep -q "Error-Cause = Session-Context-Not-Found" || { echo "$rc_out"; fail "NAK without Error-Cause Session-Context-Not-Found"; }
ok "Disconnect-Request for nobody: Disconnect-NAK, Session-Context-Not-Found"
rc_out=$(echo 'User-Name = "testuser"' | ip netns exec "$NS_DP" radclient -r 1 -t 2 -x 127.0.0.1:3799 disconnect "wrong-secret" 2>&1)
echo "$rc_out" | grep -q "Received Disconnect" && { echo "$rc_out"; fail "a wrong secret got an answer"; }
grep -q "wrong Request Authenticator" "$WORK/cp.log" || fail "rampartd did not log the wrong authenticator"
ctl show sessions 2>&1 | grep -q "$vip" || fail "the session went after a request with a wrong secret"
ok "Disconnect-Request with a wrong secret: no answer, the session stays"
rc_out=$(printf 'User-Name = "testuser"\nAcct-Session-Id = "%s"\n' "$sid2" |
	ip netns exec "$NS_DP" radclient -r 1 -t 3 -x 127.0.0.1:3799 disconnect "dae-$RAD_SECRET" 2>&1)
echo "$rc_out" | grep -q "Received Disconnect-ACK" || { echo "$rc_out"; tail -n 20 "$WORK/cp.log"; fail "no Disconnect-ACK"; }
ok "radclient: Disconnect-ACK for User-Name testuser, Acct-Session-Id $sid2"
within 10 sh -c "[ \$(grep -c 'deleting IKE_SA\|IKE_SA .* deleted\|received DELETE for IKE_SA' '$CH/charon.log') -gt $charon_deleted0 ]" ||
	{ tail -n 20 "$CH/charon.log"; fail "charon did not see its IKE SA deleted"; }
within 10 sh -c "! ip -n '$NS_CL' -o addr show | grep -q ' $vip/'" || fail "$vip stays on the client"
within 10 sh -c "'$CTL' -c '$conf' show sessions 2>/dev/null | grep -q '^0 sessions'" ||
	{ ctl show sessions; fail "show sessions is not empty after the Disconnect-Request"; }
ok "two: charon saw the IKE SA deleted, show sessions is empty"
within 10 sh -c "$(declare -f detail rec_attr); ACCT_DIR='$ACCT_DIR'; [ \"\$(rec_attr Stop Acct-Terminate-Cause '$sid2')\" = Admin-Reset ]" ||
	{ detail | tail -n 40; fail "no Stop with Admin-Reset for $sid2"; }
ok "two: Stop of $sid2 with Acct-Terminate-Cause Admin-Reset, in $(rec_attr Stop Acct-Input-Octets "$sid2") bytes"
ctl show aaa >"$WORK/aaa.two" 2>&1 || { cat "$WORK/aaa.two"; fail "rampartctl show aaa"; }
sed 's/^/  /' "$WORK/aaa.two"
for w in "disconnect_ack 1" "disconnect_nak 1" "bad_authenticator 1" "sessions_disconnected 1" "overflow 0"; do
	grep -q " $w\b" "$WORK/aaa.two" || fail "show aaa: no '$w'"
done
ok "rampartctl show aaa counts the ACK, the NAK and the badly signed request"

# --- 3. FreeRADIUS down when a session ends: the Stop waits ----------------------------------------
up three 5303
sid3=$sid
kill "$rad_pid"; wait "$rad_pid" 2>/dev/null
ok "FreeRADIUS stopped"
sw --terminate --ike md5 --timeout 10 >"$WORK/terminate.three" 2>&1 || fail "swanctl --terminate (three)"
within 15 grep -q "no group answered the Stop of session" "$WORK/cp.log" ||
	{ grep "acct:" "$WORK/cp.log" | tail; fail "rampartd did not keep the Stop"; }
ok "three: the Stop is queued while FreeRADIUS is down ($(grep 'no group answered the Stop' "$WORK/cp.log" | tail -n 1 | sed 's/.*acct: //'))"
sleep 2
rad_up 2
within 15 sh -c "$(declare -f detail rec_attr); ACCT_DIR='$ACCT_DIR'; [ -n \"\$(rec_attr Stop Acct-Session-Id '$sid3')\" ]" ||
	{ detail | tail -n 40; grep "acct:" "$WORK/cp.log" | tail; fail "the queued Stop of $sid3 never reached FreeRADIUS"; }
delay=$(rec_attr Stop Acct-Delay-Time "$sid3")
[ "${delay:-0}" -ge 1 ] || { detail | tail -n 30; fail "Stop of $sid3 reached FreeRADIUS with Acct-Delay-Time '$delay'"; }
ok "three: the Stop of $sid3 reached FreeRADIUS once it was back, Acct-Delay-Time $delay s"
ctl show aaa --json >"$WORK/aaa.three" 2>&1 || { cat "$WORK/aaa.three"; fail "rampartctl show aaa --json"; }
/usr/bin/python3 -c 'import json,sys; a=json.load(open(sys.argv[1]))["accounting"]; assert a["retries"] >= 1 and a["waiting"] == 0 and a["overflow"] == 0, a' \
	"$WORK/aaa.three" || { cat "$WORK/aaa.three"; fail "show aaa --json: retries / waiting"; }
ok "rampartctl show aaa --json: the retries counted, nothing left waiting"

# --- 4. CoA-Request: Session-Timeout ends the session -----------------------------------------------
up four 5304
sid4=$sid
rc_out=$(printf 'Acct-Session-Id = "%s"\nSession-Timeout = 2\n' "$sid4" |
	ip netns exec "$NS_DP" radclient -r 1 -t 3 -x 127.0.0.1:3799 coa "dae-$RAD_SECRET" 2>&1)
echo "$rc_out" | grep -q "Received CoA-ACK" || { echo "$rc_out"; tail -n 20 "$WORK/cp.log"; fail "no CoA-ACK"; }
grep -q "the session ends in 2 s (RADIUS CoA Session-Timeout)" "$WORK/cp.log" ||
	{ tail -n 20 "$WORK/cp.log"; fail "rampartd did not apply the CoA's Session-Timeout"; }
ok "radclient: CoA-ACK for Session-Timeout = 2 of $sid4"
within 15 sh -c "'$CTL' -c '$conf' show sessions 2>/dev/null | grep -q '^0 sessions'" ||
	{ ctl show sessions; fail "the session outlived the CoA's Session-Timeout"; }
within 10 sh -c "$(declare -f detail rec_attr); ACCT_DIR='$ACCT_DIR'; [ \"\$(rec_attr Stop Acct-Terminate-Cause '$sid4')\" = Session-Timeout ]" ||
	{ detail | tail -n 40; fail "no Stop with Session-Timeout for $sid4"; }
ok "four: the session ended at the CoA's Session-Timeout, Stop with Acct-Terminate-Cause Session-Timeout"
