#!/usr/bin/env bash
# AAA pre-shared keys and the IPv6 address from RADIUS (reference 001: IOS `keyring aaa LIST
# name-mangler M`, Cisco AV-pairs ipsec:ikev2-password-local / -remote, Tunnel-Password,
# ipsec:addrv6, ipsec:prefix-len, Framed-IPv6-Address), against a real FreeRADIUS 3.2 and
# strongSwan charon clients that authenticate with pre-shared keys rampartd has nowhere in
# its configuration.
#
# rampartd: profile aaa-psk (identities "email domain psk.example") with
# `keyring_aaa = { list = "psk-keys"; name_mangler = "user"; }` (mangler `email username`:
# alice@psk.example asks for User-Name "alice", User-Password "cisco"); the list psk-keys is
# `group dead` (a server that never answers) then `group radius` (FreeRADIUS); cached user
# authorization `aaa.authorization_user = { methods = [ "psk" ]; cached = true; }` takes the
# session's attributes (the IPv6 address) from the Access-Accept that gave the key. Profile
# slow-psk asks a group whose server never answers (sam@slow.example).
#
# FreeRADIUS users (the keys are only there):
#   alice   ipsec:ikev2-password-remote and -local (the same key: strongSwan has one key per
#           pair of identities)
#   bob     ipsec:ikev2-password-local only (serves both directions, as the reference says)
#   carol   Tunnel-Type ESP, Tunnel-Password (RFC 2868, salt-encrypted by FreeRADIUS)
#   mallory a key the client does not have          -> AUTHENTICATION_FAILED
#   (nobody is unknown: Access-Reject)               -> AUTHENTICATION_FAILED
#   dave    key + Framed-IPv6-Address 2001:db8:200::66
#   erin    key + ipsec:addrv6=2001:db8:200::77, ipsec:prefix-len=64
#
# Checks: alice, bob, carol establish (IKE_SA + CHILD_SA), TCP traffic both ways through
# rampart-dp (alice), rampartd logs the RADIUS group that gave the keys and that the first
# group did not answer (failover); FreeRADIUS saw User-Name alice / User-Password cisco;
# mallory and nobody are refused with the reason logged, no session stays; dave and erin
# get their RADIUS IPv6 address as virtual IP (charon installs it, swanctl --list-sas shows
# it, the CHILD_SA's local selector is that /128), the CFG_REPLY carries the prefix length
# (128 for dave, 64 for erin: decoded from charon's "enc 3" dump), IPv6 ping to the LAN host
# passes through the tunnel, with one Access-Request per connection (cached authorization);
# a second client while dave's address is held gets no CHILD_SA (INTERNAL_ADDRESS_FAILURE);
# while sam's key request waits for a server that never answers, alice connects (nothing
# blocks on a slow server). No key is ever in rampartd's log.
#
# Skips (77): as ike_psk.sh, and without FreeRADIUS.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns.sh"
. "$(dirname "$0")/ike_lib.sh"
. "$(dirname "$0")/../aaa/radius_env.sh"
ike_need
command -v freeradius >/dev/null || skip "no freeradius (apt install freeradius)"
[ -d /etc/freeradius/3.0 ] || skip "no /etc/freeradius/3.0"
grep -qs "Framed-IPv6-Address" /usr/share/freeradius/dictionary.rfc6911 ||
	skip "FreeRADIUS's dictionary has no Framed-IPv6-Address"

K_ALICE="alice-key-only-in-radius-1"
K_BOB="bob-key-only-in-radius-2"
K_CAROL="carol-tunnel-password-3"
K_MAL_RADIUS="mallory-key-in-radius"
K_MAL_CLIENT="mallory-guessed-wrong"
K_NOBODY="nobody-has-some-key"
K_DAVE="dave-key-only-in-radius-6"
K_ERIN="erin-key-only-in-radius-7"
V6_DAVE=2001:db8:200::66
V6_ERIN=2001:db8:200::77

# --- FreeRADIUS: the lab configuration plus this test's users ---------------------------------
R=$WORK/radius
rad_setup "$R" || fail "FreeRADIUS configuration"
cat >>"$R/raddb/mods-config/files/authorize" <<EOC
alice	Cleartext-Password := "cisco"
		Cisco-AVPair += "ipsec:ikev2-password-remote=$K_ALICE",
		Cisco-AVPair += "ipsec:ikev2-password-local=$K_ALICE"
bob	Cleartext-Password := "cisco"
		Cisco-AVPair += "ipsec:ikev2-password-local=$K_BOB"
carol	Cleartext-Password := "cisco"
		Tunnel-Type = ESP,
		Tunnel-Medium-Type = IPv4,
		Tunnel-Password = "$K_CAROL"
mallory	Cleartext-Password := "cisco"
		Cisco-AVPair += "ipsec:ikev2-password-remote=$K_MAL_RADIUS"
dave	Cleartext-Password := "cisco"
		Cisco-AVPair += "ipsec:ikev2-password-local=$K_DAVE",
		Framed-IPv6-Address = $V6_DAVE
erin	Cleartext-Password := "cisco"
		Cisco-AVPair += "ipsec:ikev2-password-local=$K_ERIN",
		Cisco-AVPair += "ipsec:addrv6=$V6_ERIN",
		Cisco-AVPair += "ipsec:prefix-len=64"
EOC

# --- rampartd: no key anywhere in its configuration ------------------------------------------
IKE_LOCAL_SUBNETS="\"$LAN_NET4\", \"$LAN_NET6\""
RAMPART_EXTRA="aaa = {
  radius = {
    servers = ( { name = \"rad1\"; address = \"127.0.0.1\"; key = \"$RAD_SECRET\";
                  timeout_ms = 2000; retransmit = 2; },
                { name = \"silent\"; address = \"127.0.0.1\"; auth_port = 1912; acct_port = 0;
                  key = \"$RAD_SECRET\"; timeout_ms = 300; retransmit = 1; },
                { name = \"stuck\"; address = \"127.0.0.1\"; auth_port = 1913; acct_port = 0;
                  key = \"$RAD_SECRET\"; timeout_ms = 60000; retransmit = 0; } );
    groups = ( { name = \"radius\"; servers = [ \"rad1\" ]; },
               { name = \"dead\"; servers = [ \"silent\" ]; },
               { name = \"slow\"; servers = [ \"stuck\" ]; } );
  };
  authorization = ( { name = \"psk-keys\"; type = \"network\";
                      methods = [ \"group dead\", \"group radius\" ]; },
                    { name = \"slow-keys\"; type = \"network\"; methods = [ \"group slow\" ]; } );
};
ikev2 = {
  name_manglers = ( { name = \"user\"; email = \"username\"; } );
  profiles = (
    { name = \"aaa-psk\";
      match = { identity_remote = [ \"email domain psk.example\" ]; };
      authentication = { local = \"pre-share\"; remote = [ \"pre-share\" ]; };
      keyring_aaa = { list = \"psk-keys\"; name_mangler = \"user\"; };
      aaa = { authorization_user = { methods = [ \"psk\" ]; cached = true; }; }; },
    { name = \"slow-psk\";
      match = { identity_remote = [ \"email domain slow.example\" ]; };
      authentication = { local = \"pre-share\"; remote = [ \"pre-share\" ]; };
      keyring_aaa = { list = \"slow-keys\"; password = \"other-password\"; }; }
  );
};"
ike_write_conf
for k in "$K_ALICE" "$K_BOB" "$K_CAROL" "$K_DAVE" "$K_ERIN"; do
	grep -q "$k" "$conf" && fail "a RADIUS key is in rampartd's configuration"
done

# --- charon: one connection per user ---------------------------------------------------------
CHARON_EXTRA="filelog {
    enc-log {
      path = $CH/charon.enc.log
      default = 0
      enc = 3
      flush_line = yes
      append = no
    }
  }"
conn() { # NAME ID VIPS REMOTE_TS
	cat <<EOF
  $1 {
    version = 2
    remote_addrs = $DP_OUT4
    vips = $3
    local {
      auth = psk
      id = $2
    }
    remote {
      auth = psk
      id = vpn.example.test
    }
    children {
      $1 {
        remote_ts = $4
      }
    }
  }
EOF
}
secret() { # NAME ID KEY
	printf '  ike-%s {\n    id = %s\n    secret = "%s"\n  }\n' "$1" "$2" "$3"
}
charon_conf <<EOF
connections {
$(conn alice alice@psk.example 0.0.0.0 0.0.0.0/0)
$(conn bob bob@psk.example 0.0.0.0 0.0.0.0/0)
$(conn carol carol@psk.example 0.0.0.0 0.0.0.0/0)
$(conn mallory mallory@psk.example 0.0.0.0 0.0.0.0/0)
$(conn nobody nobody@psk.example 0.0.0.0 0.0.0.0/0)
$(conn dave dave@psk.example "0.0.0.0, ::" "0.0.0.0/0, ::/0")
$(conn erin erin@psk.example "0.0.0.0, ::" "0.0.0.0/0, ::/0")
$(conn dave2 dave@psk.example "::" "::/0")
$(conn sam sam@slow.example 0.0.0.0 0.0.0.0/0)
}
secrets {
$(secret alice alice@psk.example "$K_ALICE")
$(secret bob bob@psk.example "$K_BOB")
$(secret carol carol@psk.example "$K_CAROL")
$(secret mallory mallory@psk.example "$K_MAL_CLIENT")
$(secret nobody nobody@psk.example "$K_NOBODY")
$(secret dave dave@psk.example "$K_DAVE")
$(secret erin erin@psk.example "$K_ERIN")
$(secret sam sam@slow.example "sam-never-gets-an-answer")
}
EOF

ike_topo
ike_start_radius "$R"
ike_start_dp
ike_start_cp
start_charon
ok "charon up (pid $charon_pid) in $NS_CL"

initiate() { # CONN WHAT
	if ! sw --initiate --ike "$1" --child "$1" --timeout 30 >"$WORK/initiate.$1" 2>&1; then
		tail -n 25 "$WORK/initiate.$1"
		echo "--- rampartd"; tail -n 30 "$WORK/cp.log"
		echo "--- freeradius"; tail -n 30 "$R/radiusd.out"
		fail "swanctl --initiate ($2) failed"
	fi
	ok "$2: IKE_SA and CHILD_SA established"
}
refused() { # CONN USER WHAT LOGLINE
	if sw --initiate --ike "$1" --child "$1" --timeout 20 >"$WORK/initiate.$1" 2>&1; then
		cat "$WORK/initiate.$1"
		fail "$3 was let in"
	fi
	grep -q "AUTHENTICATION_FAILED" "$WORK/initiate.$1" "$CH/charon.log" ||
		{ tail -n 15 "$WORK/initiate.$1"; fail "$3: charon did not get AUTHENTICATION_FAILED"; }
	line=$(grep -F "$4" "$WORK/cp.log" | tail -n 1)
	[ -n "$line" ] || { grep "ike:" "$WORK/cp.log" | tail -n 15; fail "$3: rampartd did not log '$4'"; }
	ok "$3 refused: ${line#*ike: }"
	ctl show sessions >"$WORK/sessions.$1" 2>&1
	grep -q "$2@psk.example" "$WORK/sessions.$1" && { cat "$WORK/sessions.$1"; fail "a session of $2 stays"; }
}

# --- alice: both AV-pairs ------------------------------------------------------------------------
initiate alice "PSK as alice@psk.example (keys from RADIUS: ikev2-password-remote/-local)"
line=$(grep "pre-shared keys for 'alice' from RADIUS group radius" "$WORK/cp.log")
[ -n "$line" ] || { grep "ike:" "$WORK/cp.log" | tail -n 20; fail "rampartd did not log where alice's keys came from"; }
ok "rampartd: ${line#*ike: }"
grep -q "pre-shared key for 'alice': RADIUS group dead:" "$WORK/cp.log" ||
	{ grep "alice" "$WORK/cp.log"; fail "rampartd did not try (and give up on) group dead first"; }
ok "list psk-keys: group dead did not answer, group radius did (failover)"
awk '/User-Name = "alice"/{u=1} u && /User-Password = "cisco"/{p=1} u && /Service-Type = Outbound-User/{t=1}
	END{exit !(u && p && t)}' "$R/radiusd.out" ||
	{ grep -n "alice" "$R/radiusd.out" | head; fail "FreeRADIUS did not see User-Name alice / User-Password cisco / Service-Type Outbound-User"; }
ok "FreeRADIUS got the key request: User-Name alice (mangled), User-Password cisco, Service-Type Outbound-User"
grep -q "peer .*(email alice@psk.example) authenticated by pre-shared key" "$WORK/cp.log" ||
	grep -q "alice@psk.example.*authenticated by pre-shared key" "$WORK/cp.log" ||
	{ grep "alice" "$WORK/cp.log" | tail; fail "rampartd did not log alice's PSK authentication"; }
vip=$(wait_vip "$POOL_NET." 5) || { ip -n "$NS_CL" addr; fail "no virtual IP for alice"; }
ike_traffic_check alice "$vip" alice@psk.example 5501
sw --terminate --ike alice --timeout 10 >/dev/null 2>&1

# --- bob: ikev2-password-local only; carol: Tunnel-Password ---------------------------------------
initiate bob "PSK as bob@psk.example (only ipsec:ikev2-password-local: both directions)"
grep -q "pre-shared keys for 'bob' from RADIUS group radius (the peer's: ikev2-password-local" "$WORK/cp.log" ||
	{ grep "bob" "$WORK/cp.log" | tail; fail "rampartd did not use bob's local key for both directions"; }
sw --terminate --ike bob --timeout 10 >/dev/null 2>&1
initiate carol "PSK as carol@psk.example (Tunnel-Password, RFC 2868)"
grep -q "Tunnel-Password" "$R/radiusd.out" || fail "FreeRADIUS did not send carol's Tunnel-Password"
grep -q "pre-shared keys for 'carol' from RADIUS group radius" "$WORK/cp.log" ||
	{ grep "carol" "$WORK/cp.log" | tail; fail "rampartd did not take carol's Tunnel-Password"; }
sw --terminate --ike carol --timeout 10 >/dev/null 2>&1

# --- refusals -------------------------------------------------------------------------------------
refused mallory mallory "mallory@psk.example (wrong key)" \
	"wrong pre-shared key (the key AAA list psk-keys gave for 'mallory')"
refused nobody nobody "nobody@psk.example (unknown to RADIUS)" \
	"pre-shared key for 'nobody': Access-Reject from RADIUS group radius: AUTHENTICATION_FAILED"
grep -q "AAA list psk-keys gave no pre-shared key for 'nobody'" "$WORK/cp.log" ||
	fail "rampartd did not log that nobody got no key"

# --- dave: Framed-IPv6-Address; erin: ipsec:addrv6 + prefix-len 64 --------------------------------
# the CFG_REPLY's INTERNAL_IP6_ADDRESS (8) as charon decrypted it: "ADDR/PLEN"
cfg_ip6() { # the Nth CONFIGURATION payload of charon's enc log
	"$SCAPY_PY" - "$CH/charon.enc.log" "$1" <<'PYEOF'
import ipaddress, re, struct, sys
lines = open(sys.argv[1], errors="replace").read().splitlines()
starts = [i for i, l in enumerate(lines) if "parsing CONFIGURATION payload," in l]
start = starts[int(sys.argv[2])]
n = int(re.search(r"=> (\d+) bytes", lines[start + 1]).group(1))
data = bytearray()
for l in lines[start + 2:]:
    m = re.match(r".*\[ENC\]\s+\d+: ((?:[0-9A-F]{2} ?)+)", l)
    if not m or len(data) >= n:
        break
    data += bytes.fromhex(m.group(1).replace(" ", ""))
plen = struct.unpack(">H", data[2:4])[0]
off = 8
while off < plen:
    t, ln = struct.unpack(">HH", data[off:off + 4])
    if t & 0x7fff == 8 and ln == 17:
        print("%s/%d" % (ipaddress.IPv6Address(bytes(data[off + 4:off + 20])), data[off + 20]))
    off += 4 + ln
PYEOF
}
n_cp() { grep -c "parsing CONFIGURATION payload," "$CH/charon.enc.log"; }

v6check() { # CONN USER ADDR PLEN WHAT
	local before got
	before=$(n_cp)
	initiate "$1" "$5"
	grep -q "IPv6 address $3/$4 is the client's IPv6 address (cached)" "$WORK/cp.log" ||
		{ grep "$2\|IPv6" "$WORK/cp.log" | tail; fail "rampartd did not take $3/$4 from the cached authorization"; }
	vip6=$(wait_vip "$3" 5 -6) || { ip -n "$NS_CL" -6 addr; fail "the client does not have $3"; }
	grep -q "installing new virtual IP $3" "$CH/charon.log" ||
		{ grep -i "virtual IP" "$CH/charon.log"; fail "charon did not install virtual IP $3"; }
	sw --list-sas --ike "$1" 2>&1 | grep -v "^plugin '.*failed to load" >"$WORK/sas.$1"
	sed 's/^/  /' "$WORK/sas.$1"
	grep -q "$3" "$WORK/sas.$1" || fail "swanctl --list-sas does not show $3"
	grep -Eq "^ +local +.*$3/128" "$WORK/sas.$1" || fail "the CHILD_SA's local selector is not $3/128"
	got=$(cfg_ip6 "$before") || fail "cannot decode charon's CFG_REPLY"
	[ "$got" = "$3/$4" ] || fail "INTERNAL_IP6_ADDRESS in the CFG_REPLY is '$got', expected $3/$4"
	ok "$2: virtual IPv6 $3 from RADIUS, CFG_REPLY INTERNAL_IP6_ADDRESS $got, selector $3/128"
	if ! wait_ping "$NS_CL" "$LAN_HOST6" 10; then
		echo "--- rampart-dp"; tail -n 20 "$WORK/dp.log"
		fail "IPv6 ping from $3 to $LAN_HOST6 through the tunnel"
	fi
	wait_ping "$NS_LAN" "$3" 5 || fail "the LAN host does not reach $3 through the tunnel"
	ok "$2: IPv6 ping both ways between $3 and the LAN host $LAN_HOST6 through rampart-dp"
}
v6check dave dave "$V6_DAVE" 128 "PSK as dave@psk.example (Framed-IPv6-Address)"
grep -q "cached user authorization: the attributes of the AAA pre-shared key's Access-Accept" "$WORK/cp.log" ||
	fail "rampartd did not use the key's Access-Accept as cached authorization"
[ "$(grep -c 'User-Name = "dave"' "$R/radiusd.out")" = 1 ] ||
	{ grep -n 'User-Name = "dave"' "$R/radiusd.out"; fail "FreeRADIUS was asked more than once for dave"; }
ok "dave's attributes came with his key (cached authorization, one Access-Request)"
ctl show sessions detail >"$WORK/sessions.dave" 2>&1
grep -q "$V6_DAVE" "$WORK/sessions.dave" || { cat "$WORK/sessions.dave"; fail "show sessions detail does not list $V6_DAVE"; }
ok "rampartctl show sessions detail lists dave's $V6_DAVE"
# the same user again while dave holds the address: no second holder
if sw --initiate --ike dave2 --child dave2 --timeout 20 >"$WORK/initiate.dave2" 2>&1; then
	cat "$WORK/initiate.dave2"
	fail "a second session got dave's RADIUS IPv6 address while it is held"
fi
grep -q "IPv6 address $V6_DAVE from AAA is held by IKE_SA" "$WORK/cp.log" ||
	{ grep "$V6_DAVE" "$WORK/cp.log" | tail; fail "rampartd did not refuse the second holder of $V6_DAVE"; }
ok "a second session for dave gets no CHILD_SA: $V6_DAVE is held (INTERNAL_ADDRESS_FAILURE)"
sw --terminate --ike dave2 --timeout 10 >/dev/null 2>&1
sw --terminate --ike dave --timeout 10 >/dev/null 2>&1
v6check erin erin "$V6_ERIN" 64 "PSK as erin@psk.example (ipsec:addrv6 + ipsec:prefix-len=64)"
sw --terminate --ike erin --timeout 10 >/dev/null 2>&1

# --- a RADIUS server that never answers holds up only its own peer -------------------------------
# sam's list asks a server that does not answer within 60 s; while that request is pending,
# alice connects again. (Order of events, not time: sam's lookup is still unanswered when
# alice is up.)
sw --initiate --ike sam --child sam --timeout 90 >"$WORK/initiate.sam" 2>&1 &
sam_pid=$!
PIDS+=("$sam_pid")
within 15 grep -q "pre-shared key for 'sam@slow.example': Access-Request to RADIUS group slow" "$WORK/cp.log" ||
	{ grep "sam" "$WORK/cp.log" | tail; fail "rampartd did not ask group slow for sam's key"; }
ok "sam@slow.example: key request (User-Name = the identity, no mangler) pending at a silent server"
initiate alice "PSK as alice@psk.example while sam's key request is pending"
grep -q "list slow-keys answered\|sam@slow.example.*refused" "$WORK/cp.log" &&
	fail "sam's lookup ended before alice was up: cannot tell whether it blocked"
ok "alice established while sam's RADIUS request was still unanswered: nothing blocks on it"
sw --terminate --ike alice --timeout 10 >/dev/null 2>&1

# --- no key in the log ----------------------------------------------------------------------------
for k in "$K_ALICE" "$K_BOB" "$K_CAROL" "$K_MAL_RADIUS" "$K_DAVE" "$K_ERIN"; do
	grep -qF "$k" "$WORK/cp.log" && fail "a pre-shared key is in rampartd's log"
done
ok "no pre-shared key in rampartd's log"
