#!/usr/bin/env bash
# IKE fragmentation (RFC 7383) of what rampartd sends: a real strongSwan client (charon 5.9,
# kernel-libipsec, fragmentation = yes) against rampartd + rampart-dp (topology: ike_lib.sh),
# with rampartd's certificate deep in a chain of 4096-bit RSA CAs (root -> intermediate 1 ->
# intermediate 2 -> vpn.example.test, 4096-bit too), and ike.fragment_size = 576: the IKE_AUTH
# response (IDr, three certificates, a 512-byte signature, CP, SA, TS: over 4 kB) cannot leave
# in one 576-byte datagram and must go as SKF fragments.
#
# Checks: swanctl --initiate succeeds; charon's log (ike level 2) shows it received the
# IKE_AUTH response as fragments and reassembled it, and verified rampartd's certificate
# through both intermediates to the root it trusts; rampartd's log says how many fragments;
# no datagram rampartd sent (captured on the client side) is over 576 bytes of IP; the
# tunnel carries a ping to the LAN host. Then a client without fragmentation (fragmentation =
# no): rampartd sends the response whole (IP fragments it) and logs that it is over the
# fragment size; the tunnel still works. Last, what the peer fragments: charon restarted with
# fragment_size = 576 and a modp4096 IKE SA; at ike.lifetime rampartd rekeys the IKE SA (its
# CREATE_CHILD_SA request, with a 512-byte KE, goes in fragments), and charon's response,
# with its own 512-byte KE, comes back in SKF fragments: rampartd reassembles them (logged),
# completes the rekey, and the tunnel still carries a ping.
#
# Skips (77): as ike_psk.sh, and without the openssl command.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns.sh"
. "$(dirname "$0")/ike_lib.sh"
ike_need
command -v openssl >/dev/null || skip "no openssl command"

# --- the test PKI: a chain of 4096-bit RSA CAs -------------------------------------------------
pki_ca "Rampart Frag Root" root rsa:4096
pki_cert inter1 "/O=Rampart Test/CN=Rampart Frag Intermediate 1" "$PKI_CA_EXT" 2 rsa:4096 root
pki_cert inter2 "/O=Rampart Test/CN=Rampart Frag Intermediate 2" "$PKI_CA_EXT" 3 rsa:4096 inter1
pki_cert server "/O=Rampart Test/CN=vpn.example.test" "$(pki_leaf DNS:vpn.example.test serverAuth)" 4 \
	rsa:4096 inter2
# an ECDSA client: its own IKE_AUTH request stays below the link MTU, so that nothing but
# rampartd's answer needs fragmenting (IP-fragmented requests to the kernel: exc_frag.sh)
pki_cert client "/O=Rampart Test/OU=clients/CN=frag client" \
	"$(pki_leaf email:frag@certs.example.test clientAuth)" 5 "ec -pkeyopt ec_paramgen_curve:P-256" root
cat "$P/server.pem" "$P/inter2.pem" "$P/inter1.pem" >"$P/server-chain.pem"
chain_der=0
for c in server inter2 inter1; do
	chain_der=$((chain_der + $(openssl x509 -in "$P/$c.pem" -outform DER | wc -c)))
done
ok "test PKI: root -> intermediate 1 -> intermediate 2 -> vpn.example.test, RSA 4096 ($chain_der bytes of DER we send)"

# --- rampartd: small fragments ------------------------------------------------------------------
IKE_EXTRA="fragment_size = 576;
  lifetime = 40; # the last part waits for rampartd's IKE SA rekey; the others end before"
RAMPART_EXTRA="pki = {
  trustpoints = ( { name = \"lab\"; ca_certificates = [ \"$P/root.pem\" ];
                    certificate = \"$P/server-chain.pem\"; private_key = \"$P/server.key\"; } );
};
ikev2 = {
  profiles = (
    { name = \"certclients\";
      match = { identity_remote = [ \"email domain certs.example.test\" ]; };
      authentication = { local = \"rsa-sig\"; remote = [ \"ecdsa-sig\", \"rsa-sig\" ]; };
      trustpoints = [ \"lab\" ]; }
  );
};"
ike_write_conf

# --- charon: the same client with and without fragmentation -----------------------------------
CHARON_PLUGINS="$CHARON_PLUGINS x509 pem pkcs1 pkcs8 pubkey constraints"
mkdir -p "$CH/swanctl/x509" "$CH/swanctl/x509ca" "$CH/swanctl/private"
cp "$P/root.pem" "$CH/swanctl/x509ca/"
cp "$P/client.pem" "$CH/swanctl/x509/client.pem"
cp "$P/client.key" "$CH/swanctl/private/client.key"
conn() { # NAME FRAGMENTATION [ID CERT [IKE_PROPOSALS]]
	cat <<EOF
  $1 {
    version = 2
    remote_addrs = $DP_OUT4
    vips = 0.0.0.0
    fragmentation = $2
    ${5:+proposals = $5}
    local {
      auth = pubkey
      id = ${3:-frag@certs.example.test}
      certs = ${4:-client.pem}
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
$(conn frag yes)
$(conn whole no)
}
EOF
ike_start_all
start_charon
ok "charon up (pid $charon_pid) in $NS_CL"

# What rampartd sends to the client (IP length and More Fragments of each first IP fragment),
# while CONN connects.
capture_start() {
	rm -f "$WORK/cap.ready"
	ip netns exec "$NS_CL" /usr/bin/python3 - "$WORK/sizes.$1" "$DP_OUT4" "$WORK/cap.ready" <<'PY' &
import sys
from scapy.all import sniff, IP
out, src, ready = sys.argv[1], sys.argv[2], sys.argv[3]
with open(out, "w") as f:
    def note(p):
        if IP in p and p[IP].src == src and p[IP].frag == 0:
            f.write("%d %d\n" % (p[IP].len, 1 if p[IP].flags.MF else 0))
            f.flush()
    sniff(iface="out0", filter="udp and src host %s" % src, prn=note, store=False,
          timeout=40, started_callback=lambda: open(ready, "w").close())
PY
	cap_pid=$!
	PIDS+=("$cap_pid")
	wait_for 20 test -e "$WORK/cap.ready" || fail "the capture on the client side did not start"
}
capture_stop() {
	kill "$cap_pid" 2>/dev/null
	wait "$cap_pid" 2>/dev/null
}

connect() { # CONN WHAT
	if ! sw --initiate --ike "$1" --child "$1" --timeout 20 >"$WORK/initiate.$1" 2>&1; then
		tail -n 20 "$WORK/initiate.$1"
		echo "--- charon"; tail -n 30 "$CH/charon.log"
		echo "--- rampartd"; tail -n 30 "$WORK/cp.log"
		fail "swanctl --initiate ($2) failed"
	fi
	ok "$2: IKE_SA and CHILD_SA established"
	vip=$(wait_vip "$POOL_NET." 5) || { ip -n "$NS_CL" addr; fail "no virtual IP from $POOL_NET.0/24"; }
	wait_ping "$NS_CL" "$LAN_HOST4" 10 || { tail -n 20 "$WORK/dp.log"; fail "ping $LAN_HOST4 through the tunnel ($2)"; }
	ip netns exec "$NS_CL" ping -c 3 -i 0.2 -W 2 "$LAN_HOST4" >"$WORK/ping.$1" 2>&1 ||
		{ cat "$WORK/ping.$1"; fail "ping $LAN_HOST4 ($2)"; }
	ok "$2: virtual IP $vip, ping $LAN_HOST4 through the tunnel: $(grep -o '[0-9]* received' "$WORK/ping.$1")"
}
# --- with fragmentation -------------------------------------------------------------------------
capture_start frag
connect frag "fragmentation = yes, fragment_size 576"
capture_stop
ike_traffic_check frag "$vip" frag@certs.example.test 5201 # after the capture: ESP-in-UDP is big
line=$(grep -m1 "IKE_AUTH #1 .* sent as [0-9]* fragments" "$WORK/cp.log") ||
	{ grep "ike:" "$WORK/cp.log" | tail -n 20; fail "rampartd's log does not show a fragmented IKE_AUTH response"; }
nfrag=$(echo "$line" | sed 's/.* sent as \([0-9]*\) fragments.*/\1/')
ok "rampartd: ${line#*ike: }"
grep -q "received fragment #1 of $nfrag" "$CH/charon.log" ||
	{ grep -i "fragment" "$CH/charon.log"; fail "charon did not receive fragment #1 of $nfrag"; }
grep -q "received fragment #[0-9]* of $nfrag, reassembled fragmented IKE message" "$CH/charon.log" ||
	{ grep -i "fragment" "$CH/charon.log"; fail "charon did not reassemble the $nfrag fragments"; }
ok "charon: $(grep -m1 "reassembled fragmented IKE message" "$CH/charon.log" | sed 's/.*\] //')"
grep -q "received end entity cert \"O=Rampart Test, CN=vpn.example.test\"" "$CH/charon.log" &&
	grep -q "received issuer cert \"O=Rampart Test, CN=Rampart Frag Intermediate 2\"" "$CH/charon.log" &&
	grep -q "received issuer cert \"O=Rampart Test, CN=Rampart Frag Intermediate 1\"" "$CH/charon.log" ||
	{ grep -i "cert" "$CH/charon.log" | tail -n 20; fail "charon did not receive our certificate and both intermediates"; }
grep -q "authentication of 'vpn.example.test' with .* successful" "$CH/charon.log" ||
	{ grep -i "authentication of\|trust" "$CH/charon.log"; fail "charon did not verify rampartd's signature"; }
ok "charon got the whole chain in the fragments and verified rampartd: $(grep "authentication of 'vpn.example.test'" "$CH/charon.log" | tail -n 1 | sed 's/.*authentication/authentication/')"
[ -s "$WORK/sizes.frag" ] || fail "no datagram from rampartd captured on the client side"
max=$(sort -n "$WORK/sizes.frag" | tail -n 1 | cut -d' ' -f1)
n=$(wc -l <"$WORK/sizes.frag")
grep -q " 1$" "$WORK/sizes.frag" && fail "rampartd's datagrams were IP-fragmented: $(tr '\n' ' ' <"$WORK/sizes.frag")"
[ "$max" -le 576 ] || fail "rampartd sent a $max-byte IP datagram with fragment_size 576"
[ "$n" -ge "$nfrag" ] || fail "only $n datagrams from rampartd captured, $nfrag fragments expected"
ok "$n datagrams from rampartd, none IP-fragmented, the largest $max bytes of IP (<= 576)"
ike_terminate frag "$vip"
ok "fragmentation = yes: terminated"

# --- without fragmentation: the response goes whole ----------------------------------------------
connect whole "fragmentation = no"
ike_traffic_check whole "$vip" frag@certs.example.test 5202
grep -q "IKE_AUTH #1 is [0-9]* bytes, more than one datagram of ike.fragment_size holds (544 bytes of IKE), but the peer did not announce IKE fragmentation" "$WORK/cp.log" ||
	{ grep "ike:" "$WORK/cp.log" | tail -n 20; fail "rampartd did not log the oversized unfragmented response"; }
ok "rampartd: $(grep -m1 "but the peer did not announce IKE fragmentation" "$WORK/cp.log" | sed 's/.*ike: //')"
grep -q "<whole|[0-9]*> received fragment" "$CH/charon.log" && fail "charon got fragments without fragmentation"
grep -q "<whole|[0-9]*> parsed IKE_AUTH response 1 \[ IDr CERT CERT CERT AUTH" "$CH/charon.log" ||
	{ grep "<whole|" "$CH/charon.log" | grep "parsed\|packet"; fail "charon did not get the IKE_AUTH response whole"; }
ok "charon: $(grep "<whole|[0-9]*> received packet: .*\[4500\] ([0-9]* bytes)" "$CH/charon.log" | sed -n 1p | sed 's/.*> //')"
ike_terminate whole "$vip"
ok "fragmentation = no: whole response (IP-fragmented), tunnel works"

# --- what the peer fragments: its response to rampartd's IKE SA rekey (RFC 7383 §2.6.2) ----------
kill -TERM "$charon_pid"
charon_reset
CHARON_EXTRA="fragment_size = 576"
charon_conf <<EOF
connections {
$(conn resp yes frag@certs.example.test client.pem aes256gcm16-prfsha256-modp4096)
}
EOF
start_charon
ok "charon restarted with fragment_size = 576"
connect resp "modp4096 IKE SA, charon fragmenting at 576 bytes too"
n0=$(grep -c "rekeyed by us: now" "$WORK/cp.log")
within 60 sh -c "[ \$(grep -c 'rekeyed by us: now' '$WORK/cp.log') -gt $n0 ]" ||
	{ grep "ike:" "$WORK/cp.log" | tail -n 20; echo "--- charon"; tail -n 20 "$CH/charon.log"
	  fail "rampartd did not rekey the IKE SA"; }
line=$(grep "response #[0-9]* to our CREATE_CHILD_SA reassembled from [0-9]* fragments" "$WORK/cp.log" | tail -n 1)
[ -n "$line" ] ||
	{ grep -i "fragment\|rekey" "$WORK/cp.log" | tail -n 20; echo "--- charon"
	  grep -i "fragment\|CREATE_CHILD" "$CH/charon.log" | tail -n 20
	  fail "rampartd's log does not show a fragmented response reassembled"; }
ok "rampartd: ${line#*ike: }"
grep -q "splitting IKE message .* into [0-9]* fragments" "$CH/charon.log" ||
	{ grep -i "fragment\|CREATE_CHILD" "$CH/charon.log" | tail -n 20; fail "charon did not fragment what it sent"; }
ok "charon: $(grep "splitting IKE message" "$CH/charon.log" | tail -n 1 | sed 's/.*\] //')"
ok "rampartd: $(grep "rekeyed by us: now" "$WORK/cp.log" | tail -n 1 | sed 's/.*ike: //')"
wait_ping "$NS_CL" "$LAN_HOST4" 10 || fail "ping $LAN_HOST4 after the IKE SA rekey"
ok "the tunnel carries a ping after the rekey"
ike_terminate resp "$vip"
ok "modp4096, fragments both ways: terminated"
