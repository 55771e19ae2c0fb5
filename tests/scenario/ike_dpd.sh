#!/usr/bin/env bash
# Dead peer detection and operator deletes against a real client (strongSwan 5.9 charon,
# kernel-libipsec) through rampart-dp (topology and set-up: ike_lib.sh).
#
# rampartd runs on-demand DPD with short settings (interval 3 s, dead after 3 x 1 s without
# an answer) and a pool of ONE address, so that a new connection only succeeds once the
# previous session's address is back in the pool.
#
# Checks:
#  1. connect, ping the LAN host through the tunnel;
#  2. the client vanishes (charon SIGKILLed, its TUN device removed) while the LAN host keeps
#     sending to it: rampart-dp encrypts for it, nothing comes back, so rampartd sends a
#     liveness check, gets no answer, logs the dead peer, the session disappears from
#     `rampartctl show sessions`, rampart-dp has no SA left, and a new connection gets the
#     pool's only address;
#  3. `rampartctl clear session ID` (and its --json form, and its errors) on a live client:
#     charon logs the Delete it received, rampart-dp has no SA left, the session is gone,
#     and the address is free again (one more connection works).
#
# Skips (77): as ike_psk.sh (root, netns, TUN, scapy, 2 CPUs, PMDs, rampart-dp, charon).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns.sh"
. "$(dirname "$0")/ike_lib.sh"
ike_need
IKE_POOL="pool = { first = \"$POOL_NET.10\"; last = \"$POOL_NET.10\"; dns = [ \"$LAN_DNS\" ]; };"
IKE_EXTRA='dpd = { interval = 3; retry = 1; retries = 3; mode = "on-demand"; };'
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
}
secrets {
  ike-good {
    id = client@example.test
    secret = "$PSK_GOOD"
  }
}
EOF
ike_start_all
start_charon
ok "charon up (pid $charon_pid) in $NS_CL"

connect() { # connect TAG: initiate, wait for the virtual IP, ping the LAN host
	sw --initiate --ike good --child good --timeout 20 >"$WORK/initiate.$1" 2>&1 ||
		{ tail -n 15 "$WORK/initiate.$1"; tail -n 20 "$WORK/cp.log"; fail "swanctl --initiate ($1)"; }
	vip=$(wait_vip "$POOL_NET." 5) || { ip -n "$NS_CL" addr; fail "no virtual IP ($1)"; }
	wait_ping "$NS_CL" "$LAN_HOST4" 10 || { tail -n 20 "$WORK/dp.log"; fail "ping $LAN_HOST4 through the tunnel ($1)"; }
}
sessions() { ctl show sessions 2>&1; }

# --- 1. a session ------------------------------------------------------------------------------
connect first
[ "$vip" = "$POOL_NET.10" ] || fail "virtual IP $vip is not the pool's only address $POOL_NET.10"
ok "connected: virtual IP $vip, ping $LAN_HOST4 through the tunnel"
ike_traffic_check first "$vip" client@example.test 5201
ctl show sessions detail >"$WORK/detail" 2>&1 || { cat "$WORK/detail"; fail "show sessions detail"; }
sed 's/^/  /' "$WORK/detail"
grep -q "DPD on-demand, 3 s, give up after 3 x 1 s" "$WORK/detail" ||
	fail "show sessions detail does not show the DPD settings"
grep -Eq "up [0-9]+ s, last heard from [0-9]+ s ago" "$WORK/detail" ||
	fail "show sessions detail does not show uptime / last heard"
grep -Eq "CHILD_SA age [0-9]+ s, rekey in [0-9]+ s" "$WORK/detail" ||
	fail "show sessions detail does not show the CHILD_SA's age and remaining lifetime"
grep -q "NAT-T: peer behind a NAT" "$WORK/detail" ||
	fail "show sessions detail does not show NAT-T (charon with kernel-libipsec fakes a NAT)"
ok "show sessions detail: uptime, DPD settings, CHILD_SA lifetime, NAT-T"
n=$(n_sas)
[ "$n" = 2 ] || fail "rampart-dp has $n SAs (expected 2)"

# --- 2. the client vanishes --------------------------------------------------------------------
kill -KILL "$charon_pid"
charon_reset
ok "charon killed, its TUN device and $vip removed"
# traffic towards the vanished client: on-demand DPD only probes a peer we send ESP to
ip netns exec "$NS_LAN" ping -q -i 0.3 -c 100 -W 1 "$vip" >/dev/null 2>&1 &
lan_ping=$!
PIDS+=("$lan_ping")
if ! within 30 grep -q "dead peer" "$WORK/cp.log"; then
	tail -n 30 "$WORK/cp.log"
	fail "rampartd did not declare the vanished client dead"
fi
kill "$lan_ping" 2>/dev/null
grep "liveness check sent\|dead peer" "$WORK/cp.log" | sed 's/^/  rampartd: /'
grep -q "liveness check sent (dpd on-demand)" "$WORK/cp.log" ||
	fail "rampartd did not log the liveness check it sent"
grep "dead peer" "$WORK/cp.log" | grep -q "address $POOL_NET.10" ||
	fail "the dead-peer log line does not name the address released"
ok "rampartd sent a liveness check while sending ESP to the silent client, then declared it dead"
within 5 sh -c "'$CTL' -c '$conf' show sessions | grep -q '^ *0 sessions'" ||
	{ sessions; fail "the dead client's session is still listed"; }
ok "rampartctl show sessions lists no session"
for _ in $(seq 25); do n=$(n_sas); [ "$n" = 0 ] && break; sleep 0.2; done
[ "$n" = 0 ] || fail "rampart-dp still has $n SAs after the dead peer was deleted"
ok "rampart-dp has no SA left"
start_charon
connect second
[ "$vip" = "$POOL_NET.10" ] || fail "after the dead peer, got $vip instead of $POOL_NET.10"
ok "a new connection got the pool's only address $vip back: the dead session's lease was freed"

# --- 3. clear session on a live client ---------------------------------------------------------
out=$(ctl clear session nonsense 2>&1) && fail "clear session nonsense succeeded: $out"
echo "$out" | grep -q "neither a session id" || fail "clear session nonsense: $out"
out=$(ctl clear session 4711 2>&1) && fail "clear session 4711 succeeded: $out"
echo "$out" | grep -q "no session 4711" || fail "clear session 4711: $out"
ok "clear session refuses what it cannot find: '$out'"
id=$(ctl show sessions | awk '$3 == "ESTABLISHED" {print $1; exit}')
[ -n "$id" ] || { sessions; fail "no established session id in show sessions"; }
ctl --json clear session "$id" >"$WORK/clear.json" 2>&1 || { cat "$WORK/clear.json"; fail "clear session $id"; }
cat "$WORK/clear.json" | sed 's/^/  /'
"$SCAPY_PY" - "$WORK/clear.json" "$id" <<'PYEOF' || fail "clear session --json (above)"
import json, sys
d = json.load(open(sys.argv[1]))
c = d["cleared"]
sys.exit(0 if d["count"] == 1 and len(c) == 1 and c[0]["id"] == int(sys.argv[2])
         and c[0]["peer_id"] == "client@example.test" else 1)
PYEOF
ok "rampartctl --json clear session $id: cleared session $id of client@example.test"
within 10 grep -q "received DELETE for IKE_SA" "$CH/charon.log" ||
	{ tail -n 20 "$CH/charon.log"; fail "charon did not log the Delete it received"; }
ok "charon: $(grep -m1 'received DELETE for IKE_SA' "$CH/charon.log" | sed 's/^ *//')"
for _ in $(seq 25); do n=$(n_sas); [ "$n" = 0 ] && break; sleep 0.2; done
[ "$n" = 0 ] || fail "rampart-dp still has $n SAs after clear session"
within 5 sh -c "'$CTL' -c '$conf' show sessions | grep -q '^ *0 sessions'" ||
	{ sessions; fail "the cleared session is still listed"; }
grep -q "cleared by the operator" "$WORK/cp.log" || fail "rampartd did not log the clear"
ok "cleared: rampart-dp has no SA left, show sessions lists none, rampartd logged it"
# charon may reconnect by itself; either way the pool's only address must be free
sw --terminate --ike good --timeout 5 >/dev/null 2>&1
within 10 sh -c "'$CTL' -c '$conf' show sessions | grep -q '^ *0 sessions'" || true
connect third
ok "one more connection got $vip: clear session freed the address"
ctl clear session all >"$WORK/clear.all" 2>&1 || { cat "$WORK/clear.all"; fail "clear session all"; }
grep -q "1 session cleared" "$WORK/clear.all" || { cat "$WORK/clear.all"; fail "clear session all"; }
within 5 sh -c "'$CTL' -c '$conf' show sessions | grep -q '^ *0 sessions'" ||
	{ sessions; fail "a session is still listed after clear session all"; }
ok "rampartctl clear session all"

{ kill -0 "$dp_pid" && kill -0 "$cp_pid"; } || fail "rampart-dp or rampartd died"
echo "PASS"
