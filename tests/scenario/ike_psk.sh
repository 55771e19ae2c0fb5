#!/usr/bin/env bash
# A real IKEv2 client (strongSwan 5.9 charon, kernel-libipsec: userspace ESP over a TUN
# device) end to end through rampart-dp, keyed by rampartd.
#
#   rp-cl-ID (charon)                  rp-dp-ID                                    rp-lan-ID
#   out0 192.0.2.2 --veth-- dp-out [ rampart-dp ] dp-in --veth-- lan0 198.51.100.10
#                           outside (net_af_packet)  inside (net_af_packet)
#                           |  exception port kern-o (net_tap, kernel interface rpike-o)
#                           |  192.0.2.1/24: rampartd's IKE sockets, UDP 500 and 4500
#   (topology, fixed MACs and static neighbours: netns.sh netns_topo_dp; set-up: ike_lib.sh)
#
# rampart-dp and rampartd read the same configuration file (dataplane + ike sections).
# charon (swanctl: vips = 0.0.0.0, remote_ts = the LAN, PSK) always uses UDP encapsulation
# with kernel-libipsec (it fakes a NAT), so the CHILD_SA is NAT-T on port 4500.
#
# Checks: swanctl --initiate succeeds; the client's virtual IP comes from the pool
# 198.18.200.0/24; ping and a TCP transfer (both directions, SHA-256 checked) to the LAN
# host through the tunnel; `rampartctl show sessions` lists the session with that address;
# rampart-dp's SA counters (/rampart/sa) moved; a second connection with a wrong PSK is
# refused (AUTHENTICATION_FAILED in charon's log).
#
# Skips (77): not root, no netns / TUN / scapy, fewer than 2 CPUs, no net_af_packet or
# net_tap PMD, rampart-dp not built, no charon / swanctl.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns.sh"
. "$(dirname "$0")/ike_lib.sh"
ike_need
ike_write_conf
charon_conf <<EOF
connections {
  good {
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
      good {
        remote_ts = $LAN_NET4
      }
    }
  }
  cbc {
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
      cbc {
        remote_ts = $LAN_NET4
        esp_proposals = aes256-sha256
      }
    }
  }
  chacha {
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
      chacha {
        remote_ts = $LAN_NET4
        esp_proposals = chacha20poly1305
      }
    }
  }
  bad {
    version = 2
    remote_addrs = $DP_OUT4
    vips = 0.0.0.0
    local {
      auth = psk
      id = wrong@example.test
    }
    remote {
      auth = psk
      id = vpn.example.test
    }
    children {
      bad {
        remote_ts = $LAN_NET4
      }
    }
  }
}
secrets {
  ike-good {
    id = client@example.test
    secret = "$PSK_GOOD"
  }
  ike-bad {
    id = wrong@example.test
    secret = "$PSK_BAD_CLIENT"
  }
}
EOF
ike_start_all
start_charon
ok "charon up (pid $charon_pid) in $NS_CL"

if ! sw --initiate --ike good --child good --timeout 20 >"$WORK/initiate.good" 2>&1; then
	tail -n 15 "$WORK/initiate.good"
	echo "--- rampartd"; tail -n 30 "$WORK/cp.log"
	fail "swanctl --initiate (good PSK) failed"
fi
ok "swanctl --initiate: IKE_SA and CHILD_SA established"
# (swanctl itself reads /etc/strongswan.conf and may list plugins it could not load)
sw --list-sas 2>&1 | grep -v "^plugin '.*failed to load" >"$WORK/sas"
sed 's/^/  /' "$WORK/sas"
vip=$(wait_vip "$POOL_NET." 0)
[ -n "$vip" ] || { ip -n "$NS_CL" addr; fail "no virtual IP from $POOL_NET.0/24 on the client"; }
ok "client has virtual IP $vip (pool $POOL_NET.0/24)"
grep -q "TUNNEL-in-UDP" "$WORK/sas" || fail "CHILD_SA is not UDP-encapsulated (NAT-T)"
ok "CHILD_SA is TUNNEL-in-UDP (NAT-T on 4500)"

if ! wait_ping "$NS_CL" "$LAN_HOST4" 10; then
	echo "--- rampart-dp"; tail -n 20 "$WORK/dp.log"
	snap /rampart/drops,outside /rampart/drops,inside
	fail "ping $LAN_HOST4 through the tunnel"
fi
ip netns exec "$NS_CL" ping -c 3 -i 0.2 -W 2 "$LAN_HOST4" >"$WORK/ping" 2>&1 ||
	{ cat "$WORK/ping"; fail "ping $LAN_HOST4 through the tunnel"; }
ok "ping $LAN_HOST4 from the client through the tunnel: $(grep -o '[0-9]* received' "$WORK/ping")"

if ! tcp_transfer "$NS_LAN" "$LAN_HOST4" "$NS_CL" 5201 1000000 1000000 20 >"$WORK/xfer" 2>&1; then
	cat "$WORK/xfer" "$WORK/xfer.cli" "$WORK/xfer.srv" 2>/dev/null
	fail "TCP transfer through the tunnel"
fi
ok "$(cat "$WORK/xfer")"

ctl show sessions >"$WORK/sessions" 2>&1 || { cat "$WORK/sessions"; fail "rampartctl show sessions"; }
sed 's/^/  /' "$WORK/sessions"
grep -q "$vip" "$WORK/sessions" || fail "show sessions does not list $vip"
grep -qi "client@example.test" "$WORK/sessions" || fail "show sessions does not name client@example.test"
ok "rampartctl show sessions lists client@example.test with $vip"
grep -Eq "traffic in [1-9][0-9]* packets [1-9][0-9]* bytes, out [1-9][0-9]* packets [1-9][0-9]* bytes" \
	"$WORK/sessions" || fail "show sessions does not show non-zero CHILD_SA counters"
ok "rampartctl show sessions shows the CHILD_SA's dataplane counters"
# pages: from an id past the session's, nothing; a bad limit is refused with the range
ctl show sessions from 1000 limit 5 >"$WORK/page" 2>&1 || { cat "$WORK/page"; fail "show sessions from 1000 limit 5"; }
grep -q "^0 of 1 sessions listed" "$WORK/page" || { cat "$WORK/page"; fail "show sessions from 1000: expected 0 of 1 listed"; }
if ctl show sessions limit 0 >"$WORK/page" 2>&1; then fail "show sessions limit 0 accepted"; fi
grep -q "limit '0': expected a number 1..10000" "$WORK/page" || { cat "$WORK/page"; fail "show sessions limit 0: no precise error"; }
ok "show sessions in pages: from 1000 lists 0 of 1; limit 0 refused ($(tr -d '\n' <"$WORK/page"))"
ctl show sa >"$WORK/sa" 2>&1 || { cat "$WORK/sa"; fail "rampartctl show sa"; }
sed 's/^/  /' "$WORK/sa"
grep -Eq "^[0-9]+ +in +0x[0-9a-f]{8} +[1-9]" "$WORK/sa" || fail "show sa lists no inbound SA with packets"
grep -Eq "^[0-9]+ +out +0x[0-9a-f]{8} +[1-9]" "$WORK/sa" || fail "show sa lists no outbound SA with packets"
ctl show sa --json >"$WORK/sa.json" 2>&1 || { cat "$WORK/sa.json"; fail "rampartctl show sa --json"; }
grep -Eq '"dir": *"out"' "$WORK/sa.json" || { cat "$WORK/sa.json"; fail "show sa --json"; }
ok "rampartctl show sa lists the CHILD_SA's inbound and outbound SAs with counters"

# rampart-dp's SA counters (DPDK telemetry /rampart/sa and /rampart/sa,ID).
"$SCAPY_PY" "$(dirname "$0")/tools/dp_tel.py" snapshot "rampart-$inst" --ports 3 >"$WORK/snap" 2>&1 ||
	{ cat "$WORK/snap"; fail "telemetry snapshot of rampart-dp"; }
"$SCAPY_PY" - "$WORK/snap" <<'PYEOF' || fail "rampart-dp's SA counters did not move (above)"
import json, sys
snap = json.load(open(sys.argv[1]))
sas = snap.get("sa", {})
moved = 0
for i, sa in sorted(sas.items()):
    keep = {k: v for k, v in sa.items() if not isinstance(v, (dict, list))}
    print("  sa %s: %s" % (i, json.dumps(keep, sort_keys=True)))
    if sa.get("packets", 0) > 0:
        moved += 1
print("  %d SAs, %d with packets" % (len(sas), moved))
sys.exit(0 if len(sas) == 2 and moved == 2 else 1)
PYEOF
ok "rampart-dp SA counters non-zero (inbound and outbound)"

# --- a wrong PSK is refused ------------------------------------------------------------------
if sw --initiate --ike bad --child bad --timeout 15 >"$WORK/initiate.bad" 2>&1; then
	cat "$WORK/initiate.bad"
	fail "the connection with a wrong PSK was established"
fi
grep -q "AUTHENTICATION_FAILED" "$CH/charon.log" ||
	{ tail -n 20 "$CH/charon.log"; fail "no AUTHENTICATION_FAILED in charon's log for the wrong PSK"; }
ok "wrong PSK refused: $(grep -m1 AUTHENTICATION_FAILED "$CH/charon.log" | sed 's/^ *//')"
n=$(n_sas)
[ "$n" = 2 ] || fail "rampart-dp has $n SAs after the refused attempt (expected the 2 of the good one)"
ok "the refused attempt installed no SA in rampart-dp"

# The good tunnel still works, also when the LAN host starts.
wait_ping "$NS_CL" "$LAN_HOST4" 5 || fail "ping after the refused attempt"
wait_ping "$NS_LAN" "$vip" 5 || fail "ping from the LAN host to the client's $vip"
ok "the established tunnel still carries traffic (client -> LAN and LAN -> client)"

# --- tear-down by the client, then a new connection ----------------------------------------
sw --terminate --child good --timeout 10 >"$WORK/term.child" 2>&1 ||
	{ cat "$WORK/term.child"; fail "swanctl --terminate --child"; }
for _ in $(seq 25); do n=$(n_sas); [ "$n" = 0 ] && break; sleep 0.2; done
[ "$n" = 0 ] || fail "rampart-dp still has $n SAs after the client deleted the CHILD_SA"
ok "CHILD_SA deleted by the client: rampart-dp has no SA left"
sw --terminate --ike good --timeout 10 >"$WORK/term.ike" 2>&1 ||
	{ cat "$WORK/term.ike"; fail "swanctl --terminate --ike"; }
within 5 sh -c "'$CTL' -c '$conf' show sessions | grep -q '^ *0 sessions'" ||
	{ ctl show sessions; fail "the session is still listed after the client deleted the IKE_SA"; }
ok "IKE_SA deleted by the client: rampartctl show sessions lists none"
sw --initiate --ike good --child good --timeout 20 >"$WORK/initiate.again" 2>&1 ||
	{ tail -n 15 "$WORK/initiate.again"; tail -n 20 "$WORK/cp.log"; fail "second --initiate"; }
vip2=$(wait_vip "$POOL_NET." 0)
[ -n "$vip2" ] || fail "no virtual IP after reconnecting"
wait_ping "$NS_CL" "$LAN_HOST4" 10 || fail "ping after reconnecting"
n=$(n_sas)
[ "$n" = 2 ] || fail "rampart-dp has $n SAs after reconnecting (expected 2)"
ok "reconnected: virtual IP $vip2, ping through the new CHILD_SA, 2 SAs in rampart-dp"
# --- the client crashes and comes back: INITIAL_CONTACT replaces the stale session ---------
kill -KILL "$charon_pid"
charon_reset
start_charon
sw --initiate --ike good --child good --timeout 20 >"$WORK/initiate.crash" 2>&1 ||
	{ tail -n 15 "$WORK/initiate.crash"; tail -n 20 "$WORK/cp.log"; fail "--initiate after the client crashed"; }
wait_ping "$NS_CL" "$LAN_HOST4" 10 || fail "ping after the client crashed and reconnected"
within 5 sh -c "'$CTL' -c '$conf' show sessions | grep -q '^ *1 session '" ||
	{ ctl show sessions; fail "not exactly one session after the client came back (INITIAL_CONTACT)"; }
n=$(n_sas)
[ "$n" = 2 ] || fail "rampart-dp has $n SAs after the client came back (expected 2: the stale ones gone)"
grep -q "INITIAL_CONTACT" "$WORK/cp.log" || fail "rampartd did not log INITIAL_CONTACT"
ok "client crashed and reconnected: INITIAL_CONTACT replaced the stale session (1 session, 2 SAs, ping)"

# --- other ESP algorithms: AES-CBC + HMAC-SHA-256 (separate integrity key), ChaCha20-Poly1305
sw --terminate --ike good --timeout 10 >/dev/null 2>&1
for c in cbc:AES_CBC_256 chacha:CHACHA20_POLY1305; do
	name=${c%%:*} want=${c#*:}
	sw --initiate --ike "$name" --child "$name" --timeout 20 >"$WORK/initiate.$name" 2>&1 ||
		{ tail -n 15 "$WORK/initiate.$name"; tail -n 20 "$WORK/cp.log"; fail "--initiate $name"; }
	wait_ping "$NS_CL" "$LAN_HOST4" 10 || fail "ping through the $name CHILD_SA"
	tcp_transfer "$NS_LAN" "$LAN_HOST4" "$NS_CL" 5202 200000 200000 20 >"$WORK/xfer.$name" 2>&1 ||
		{ cat "$WORK/xfer.$name"; fail "TCP transfer through the $name CHILD_SA"; }
	"$SCAPY_PY" "$(dirname "$0")/tools/dp_tel.py" snapshot "rampart-$inst" --ports 3 >"$WORK/snap.$name" ||
		fail "telemetry ($name)"
	"$SCAPY_PY" - "$WORK/snap.$name" "$want" <<'PYEOF' || fail "rampart-dp's SAs for $name (above)"
import json, sys
sas = json.load(open(sys.argv[1]))["sa"]
print("  " + ", ".join("sa %s %s %s %d packets" % (i, s["direction"], s["cipher"], s["packets"])
                       for i, s in sorted(sas.items())))
sys.exit(0 if len(sas) == 2 and all(s["cipher"] == sys.argv[2] and s["packets"] > 0
                                    for s in sas.values()) else 1)
PYEOF
	ok "$want CHILD_SA: ping and $(cat "$WORK/xfer.$name")"
	sw --terminate --ike "$name" --timeout 10 >/dev/null 2>&1
done

{ kill -0 "$dp_pid" && kill -0 "$cp_pid"; } || fail "rampart-dp or rampartd died"
echo "PASS"
