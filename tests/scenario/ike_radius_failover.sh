#!/usr/bin/env bash
# RADIUS failover during EAP pass-through (docs/aaa.md, "Client behaviour"): strongSwan clients
# (charon, kernel-libipsec) authenticate with EAP relayed by rampartd to RADIUS groups of two
# servers, the real FreeRADIUS 3.2 ("rad2", 127.0.0.1:1812 in rampartd's namespace) being the
# second one (topology: ike_lib.sh; FreeRADIUS configured by tests/aaa/radius_env.sh).
#
# Group "fo" = [ rad-void (127.0.0.1:1922, nothing listens), rad2 ], dead_tries 2, short
# timeouts (300 ms, 1 retransmission). Profile "fo" (alice@fo.example.test, EAP-MSCHAPv2, four
# RADIUS rounds with a State):
#   1. client 1: the first Access-Request goes unanswered to rad-void (2 datagrams), fails
#      over to rad2, and every later round of the conversation goes straight to rad2 (the
#      server that issued the State): one "no answer" only, rad-void not yet dead; IKE and
#      CHILD SA up with the MSK, traffic through rampart-dp;
#   2. client 2: a second unanswered request: rad-void is marked dead;
#   3. client 3: straight to rad2 (no "no answer", no failover).
# Group "mid" = [ radA (a second FreeRADIUS on 127.0.0.1:1912 that kills itself when a request
# with a State reaches it, i.e. after its first Access-Challenge), rad2 ], dead_tries 1.
# Profile "mid" (alice@mid.example.test, EAP-MD5):
#   4. client 4: radA answers round 1 (Challenge + State) then dies; round 2 is retransmitted
#      to radA only, not failed over to rad2 (which does not know radA's State): rampartd logs
#      why, the client gets AUTHENTICATION_FAILED promptly, no session remains, radA is dead;
#   5. client 5: a new attempt goes to rad2 and succeeds.
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
for p in eap-identity eap-md5 eap-mschapv2; do
	[ -f "/usr/lib/ipsec/plugins/libstrongswan-$p.so" ] ||
		skip "no strongSwan plugin $p (apt install libcharon-extra-plugins)"
done

pki_ca "Rampart failover CA"
pki_server
ok "test PKI: CA and rampartd's RSA certificate (vpn.example.test)"

# --- FreeRADIUS: rad2 (the lab configuration) and radA (same, port 1912, dies on a State) --------
R=$WORK/radius
RA=$WORK/radiusA
rad_setup "$R" || fail "FreeRADIUS configuration (rad2)"
rad_setup "$RA" || fail "FreeRADIUS configuration (radA)"
sed -i -e 's/port = 1812/port = 1912/' -e 's/port = 1813/port = 1913/' \
	"$RA/raddb/sites-enabled/rampart"
# rlm_exec runs the program as a child of radiusd: $PPID is radA itself
cat >"$RA/die.sh" <<EOF
#!/bin/sh
echo "\$PPID" >"$RA/died"
kill -KILL "\$PPID"
EOF
cat >"$RA/raddb/mods-enabled/die_now" <<EOF
exec die_now {
	wait = yes
	program = "/bin/sh $RA/die.sh"
	input_pairs = request
	shell_escape = yes
	timeout = 10
}
EOF
# a request that continues a conversation (it carries a State) kills radA before any answer
sed -i 's/^authorize {$/authorize {\n\tif (\&State) {\n\t\tdie_now\n\t}/' \
	"$RA/raddb/sites-enabled/rampart"
grep -q "die_now" "$RA/raddb/sites-enabled/rampart" || fail "radA: authorize hook not inserted"

# --- rampartd --------------------------------------------------------------------------------
srv() { # NAME PORT
	echo "{ name = \"$1\"; address = \"127.0.0.1\"; key = \"$RAD_SECRET\"; auth_port = $2;
                  acct_port = 0; timeout_ms = 300; retransmit = 1; }"
}
RAMPART_EXTRA="pki = {
  trustpoints = ( { name = \"lab\"; ca_certificates = [ \"$P/ca.pem\" ];
                    certificate = \"$P/server.pem\"; private_key = \"$P/server.key\"; } );
};
aaa = {
  radius = {
    servers = ( $(srv rad-void 1922), $(srv radA 1912), $(srv rad2 1812) );
    groups = ( { name = \"fo\"; servers = [ \"rad-void\", \"rad2\" ]; dead_tries = 2; dead_time = 600; },
               { name = \"mid\"; servers = [ \"radA\", \"rad2\" ]; dead_tries = 1; dead_time = 600; } );
  };
  authentication = ( { name = \"fo-list\"; type = \"eap\"; methods = [ \"group fo\" ]; },
                     { name = \"mid-list\"; type = \"eap\"; methods = [ \"group mid\" ]; } );
};
ikev2 = {
  profiles = (
    { name = \"fo\";
      match = { identity_remote = [ \"email domain fo.example.test\" ]; };
      authentication = { local = \"rsa-sig\"; remote = [ \"eap query-identity\" ]; };
      trustpoints = [ \"lab\" ];
      aaa = { authentication_eap = \"fo-list\"; }; },
    { name = \"mid\";
      match = { identity_remote = [ \"email domain mid.example.test\" ]; };
      authentication = { local = \"rsa-sig\"; remote = [ \"eap query-identity\" ]; };
      trustpoints = [ \"lab\" ];
      aaa = { authentication_eap = \"mid-list\"; }; }
  );
};"
ike_write_conf

# --- charon ------------------------------------------------------------------------------------
CHARON_PLUGINS="random nonce openssl aes sha1 sha2 md5 hmac kdf gcm curve25519 x509 pem pkcs1 pkcs8 pubkey constraints eap-identity eap-md5 eap-mschapv2 kernel-libipsec kernel-netlink socket-default attr vici"
mkdir -p "$CH/swanctl/x509ca"
cp "$P/ca.pem" "$CH/swanctl/x509ca/"
conn() { # NAME IKE_ID EAP_METHOD
	cat <<EOF
  $1 {
    version = 2
    remote_addrs = $DP_OUT4
    vips = 0.0.0.0
    local {
      auth = $3
      id = $2
      eap_id = testuser
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
$(conn fo alice@fo.example.test eap-mschapv2)
$(conn mid alice@mid.example.test eap-md5)
}
secrets {
  eap-test {
    id = testuser
    secret = testpass
  }
}
EOF

ike_topo
ike_start_radius "$R" "FreeRADIUS rad2 (127.0.0.1:1812)"
ike_start_radius "$RA" "FreeRADIUS radA (127.0.0.1:1912)"
radA_pid=$(cat "$RA/pid")
ip netns exec "$NS_DP" ss -lun | grep -q '127.0.0.1:1922\|\*:1922\|0.0.0.0:1922' &&
	fail "something listens on 1922 (rad-void)"
ike_start_dp
ike_start_cp
grep -q "EAP pass-through to RADIUS for 2 profiles" "$WORK/cp.log" ||
	{ tail -n 20 "$WORK/cp.log"; fail "rampartd did not set up the EAP relay"; }
start_charon
ok "charon up (pid $charon_pid) in $NS_CL"

# the lines rampartd logged since mark (mark: sets L0)
mark() { L0=$(wc -l <"$WORK/cp.log"); }
since() { tail -n +$((L0 + 1)) "$WORK/cp.log"; }
n_since() { since | grep -cF -- "$1"; }
show_logs() {
	echo "--- charon"; tail -n 25 "$CH/charon.log"
	echo "--- rampartd"; since | tail -n 40
	echo "--- rad2"; tail -n 20 "$R/radiusd.out"
}

# CONN WHAT: the tunnel comes up; the virtual IP answers pings; terminated, session gone
up_down() {
	local conn=$1 what=$2 vip line
	if ! sw --initiate --ike "$conn" --child "$conn" --timeout 30 >"$WORK/initiate.$conn" 2>&1; then
		tail -n 25 "$WORK/initiate.$conn"
		show_logs
		fail "swanctl --initiate ($what) failed"
	fi
	ok "$what: IKE_SA and CHILD_SA established"
	line=$(since | grep "EAP Success for" | tail -n 1)
	case $conn:$line in
	fo:*"with an MSK"* | mid:*"no MSK"*) ok "rampartd: ${line#*ike: }" ;;
	*) show_logs; fail "$what: rampartd's EAP Success line: $line" ;;
	esac
	vip=$(wait_vip "$POOL_NET." 5) || { ip -n "$NS_CL" addr; fail "no virtual IP from $POOL_NET.0/24"; }
	wait_ping "$NS_CL" "$LAN_HOST4" 10 || { tail -n 20 "$WORK/dp.log"; fail "ping $LAN_HOST4 through the tunnel ($what)"; }
	ok "$what: virtual IP $vip, ping through the tunnel"
	[ "${TRAFFIC:-0}" = 1 ] && ike_traffic_check "$conn" "$vip" "alice@$conn.example.test" 5301
	ike_terminate "$conn" "$vip" "$conn"
}

noans_void="radius: server rad-void: no answer to id"
fover_fo="radius: group fo: failing over to server rad2"
dead_void="radius: server rad-void: 2 requests unanswered, marked dead for 600 s"

# --- 1. failover to rad2 before the first answer; the conversation then stays on rad2 ---------
mark
TRAFFIC=1 up_down fo "client 1 (EAP-MSCHAPv2, group fo)"
[ "$(n_since "$noans_void")" = 1 ] && [ "$(n_since "$fover_fo")" = 1 ] ||
	{ since | grep "radius:"; fail "client 1: expected one unanswered request to rad-void and one failover"; }
ok "client 1: $(since | grep -F "$noans_void" | sed 's/.*radius: //'), then failover to rad2"
nch=$(n_since "Access-Challenge from RADIUS server 1 of group fo")
[ "$nch" -ge 3 ] || { since | grep "aaa:"; fail "client 1: only $nch Access-Challenges from rad2"; }
[ "$(n_since "Access-Accept from RADIUS server 1 of group fo (MPPE keys)")" = 1 ] ||
	{ since | grep "aaa:"; fail "client 1: no Access-Accept with MPPE keys from rad2"; }
[ "$(n_since "marked dead")" = 0 ] || fail "client 1: rad-void marked dead after one unanswered request"
ok "client 1: the $nch rounds after the first went straight to rad2 (the State's server), rad-void not yet dead"

# --- 2. a second unanswered request: rad-void is dead ---------------------------------------------
mark
up_down fo "client 2 (EAP-MSCHAPv2, group fo)"
[ "$(n_since "$noans_void")" = 1 ] && [ "$(n_since "$fover_fo")" = 1 ] ||
	{ since | grep "radius:"; fail "client 2: expected one unanswered request to rad-void and one failover"; }
[ "$(n_since "$dead_void")" = 1 ] || { since | grep "radius:"; fail "client 2: rad-void not marked dead"; }
ok "client 2: $(since | grep -F "$dead_void" | sed 's/.*radius: //')"

# --- 3. rad-void dead: straight to rad2 ------------------------------------------------------------
mark
up_down fo "client 3 (EAP-MSCHAPv2, group fo)"
[ "$(n_since "rad-void")" = 0 ] || { since | grep "radius:"; fail "client 3: rad-void was asked though dead"; }
[ "$(n_since "Access-Accept from RADIUS server 1 of group fo")" = 1 ] || fail "client 3: no Access-Accept from rad2"
ok "client 3: straight to rad2, rad-void skipped while dead"

# --- 4. radA dies after its first Access-Challenge: the conversation fails cleanly ----------------
mark
r0=$(grep -c "Received Access-Request" "$R/radiusd.out")
f0=$(grep -c "AUTHENTICATION_FAILED" "$CH/charon.log")
if sw --initiate --ike mid --child mid --timeout 30 >"$WORK/initiate.mid1" 2>&1; then
	show_logs
	fail "client 4: authenticated though radA died in the middle of its conversation"
fi
within 10 sh -c "! kill -0 $radA_pid" || fail "radA did not die"
[ -s "$RA/died" ] || fail "radA was not killed by its hook"
ok "client 4: radA (pid $radA_pid) died after its first Access-Challenge"
[ "$(n_since "Access-Challenge from RADIUS server 0 of group mid")" = 1 ] ||
	{ show_logs; fail "client 4: no Access-Challenge from radA"; }
line=$(since | grep "radius: group mid: server radA issued the State of this conversation and does not answer")
[ -n "$line" ] || { show_logs; fail "client 4: rampartd does not say why the conversation ended"; }
ok "rampartd: ${line#*radius: }"
line=$(since | grep "no answer from the AAA server" | tail -n 1)
[ -n "$line" ] || { show_logs; fail "client 4: rampartd's IKE log does not show the failure"; }
ok "rampartd: ${line#*ike: }"
[ "$(grep -c "Received Access-Request" "$R/radiusd.out")" = "$r0" ] ||
	fail "client 4: the conversation of radA was failed over to rad2 (which cannot know its State)"
ok "client 4: no round went to rad2"
[ "$(grep -c "AUTHENTICATION_FAILED" "$CH/charon.log")" -gt "$f0" ] ||
	{ tail -n 20 "$CH/charon.log"; fail "client 4: no AUTHENTICATION_FAILED at the client"; }
ok "client 4: AUTHENTICATION_FAILED at the client"
ctl show sessions >"$WORK/sessions.mid1" 2>&1
grep -qi "alice@mid" "$WORK/sessions.mid1" && { cat "$WORK/sessions.mid1"; fail "client 4: a session remains"; }
[ "$(n_since "radius: server radA: 1 requests unanswered, marked dead")" = 1 ] ||
	{ since | grep "radius:"; fail "client 4: radA not marked dead"; }
ok "client 4: no session; radA marked dead"

# --- 5. a new attempt: rad2 ----------------------------------------------------------------------
mark
up_down mid "client 5 (EAP-MD5, group mid)"
[ "$(n_since "Access-Accept from RADIUS server 1 of group mid")" = 1 ] || fail "client 5: no Access-Accept from rad2"
[ "$(n_since "radA")" = 0 ] || { since | grep "radius:"; fail "client 5: radA was asked though dead"; }
ok "client 5: authenticated by rad2"
