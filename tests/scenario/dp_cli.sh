#!/usr/bin/env bash
# rampartctl's dataplane commands end to end: "sa add" / "sa del" (manual keying through
# rampartd and the control channel), "show drops" and "show ports", judged by an independent
# ESP peer (tools/esp_tun_client.py, scapy).
#
#   rp-cl-ID (ESP client)  -- veth --  [ rampart-dp ] rp-dp-ID  -- veth --  rp-lan-ID (LAN host)
#   (topology, addresses and static neighbours: netns.sh netns_topo_dp)
#   rampartd runs beside them (it needs no network: control region + management socket).
#
# The configuration has NO manual SAs: every SA comes from `rampartctl sa add`.
# Expectations:
#   - a malformed "sa add" (wrong key length; unknown field; sa_id outside the reserved
#     range) is refused with a precise message (exit 2) and the dataplane has no SA after it;
#   - "sa add" of the inbound and the outbound SA (AES-CBC-256 + HMAC-SHA-256, outer IPv4)
#     answers with ids from the range reserved for rampartctl; "show sa" lists both;
#   - ping client <-> LAN host works through them, both ways;
#   - "show ports" (text and --json): the outside and inside ports' rx/tx packet and byte
#     counters moved with that traffic, links are up;
#   - one tampered packet and one packet under an unknown SPI are counted by "show drops"
#     --json as outside auth_failed +1 and no_sa +1 (nothing else moves), and the text form
#     shows those reasons and hides reasons that never counted unless "all" is given;
#   - "sa del" of the inbound SA: "show sa" no longer lists it; the client's pings now fail and
#     every one of its ESP packets counts as no_sa on the outside port; "sa del" of an id
#     rampartctl did not add, or of an id already deleted, is refused.
#
# Skips (77): not root, no netns / TUN / scapy, fewer than 2 CPUs, no net_af_packet PMD,
# rampart-dp not built.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns.sh"
netns_need
[ -x "$DP" ] || skip "rampart-dp not built (no DPDK)"
[ -x "$CPD" ] && [ -x "$CTL" ] || skip "rampartd / rampartctl not built"
read -r cpu0 cpu1 < <("$SCAPY_PY" -c 'import os; print(*sorted(os.sched_getaffinity(0))[:2])')
[ -n "${cpu1:-}" ] || skip "needs 2 CPUs (main lcore + one worker)"
ls /usr/lib/*/dpdk/pmds-*/librte_net_af_packet.so* >/dev/null 2>&1 || skip "no net_af_packet PMD"

inst=scdpcli$$
scenario_cleanup() { rm -rf "/var/run/dpdk/rampart-$inst"; }
conf=$WORK/rampart.conf
REGION=$WORK/$inst.ctl
SOCK=$WORK/$inst.sock
VIP4=203.0.113.2

"$SCAPY_PY" "$ESP_CLIENT" gen-sa --local "$CL_OUT4" --remote "$DP_OUT4" --cipher aes-cbc-256 \
	--integrity hmac-sha256-128 --spi-a2b 0x3001 --spi-b2a 0x4001 \
	-o "$WORK/c1.json" --peer-out "$WORK/dp1.json" || fail "gen-sa"

cat >"$conf" <<EOF
instance = "$inst";
log = { level = "info"; };
control = { region = "$REGION"; slots = 256; };
management = { socket = "$SOCK"; };
dataplane = {
  main_lcore = $cpu0;
  workers = [ $cpu1 ];
  hugepages = false;
  memory_mb = 256;
  idle_sleep_us = 50;
  sa_max = 64;
  ports = (
    { name = "outside"; role = "outside"; device = "net_af_packet0,iface=dp-out";
      gateway_mac = "$MAC_CL_OUT";
      neighbors = ( { ip = "$CL_OUT4"; mac = "$MAC_CL_OUT"; } ); },
    { name = "inside";  role = "inside";  device = "net_af_packet1,iface=dp-in";
      gateway_mac = "$MAC_LAN";
      neighbors = ( { ip = "$LAN_HOST4"; mac = "$MAC_LAN"; } ); }
  );
};
EOF

netns_topo_dp
ok "namespaces $NS_CL, $NS_DP, $NS_LAN up"

ip netns exec "$NS_DP" "$DP" -c "$conf" >"$WORK/dp.log" 2>&1 &
dp_pid=$!
PIDS+=("$dp_pid")
if ! within 30 sh -c "grep -q 'rampart-dp running' '$WORK/dp.log' || ! kill -0 $dp_pid" ||
	! grep -q "rampart-dp running" "$WORK/dp.log"; then
	tail -n 30 "$WORK/dp.log"
	fail "rampart-dp did not come up"
fi
"$CPD" -c "$conf" >"$WORK/cp.log" 2>&1 &
cp_pid=$!
PIDS+=("$cp_pid")
rctl() { "$CTL" -s "$SOCK" -t 10 "$@"; }
if ! within 20 sh -c "'$CTL' -s '$SOCK' status >/dev/null 2>&1"; then
	tail -n 20 "$WORK/cp.log"
	rctl status
	fail "rampartd and rampart-dp not connected within 20 s"
fi
ok "rampart-dp (pid $dp_pid) and rampartd (pid $cp_pid) up and connected"

diagnose() {
	echo "  --- show drops / show ports / show sa"
	rctl show drops | sed 's/^/    /'
	rctl show ports | sed 's/^/    /'
	rctl show sa | sed 's/^/    /'
	tail -n 15 "$WORK/dp.log" | sed 's/^/  dp: /'
	tail -n 15 "$WORK/cp.log" | sed 's/^/  cp: /'
}

# The words of "sa add" for the concentrator's side of the client's SA file.
#   sa_words in|out [EXTRA WORDS...]
sa_words() {
	"$SCAPY_PY" - "$WORK/c1.json" "$@" <<'PYEOF'
import json, sys
sa = json.load(open(sys.argv[1]))
d = sys.argv[2]
# client out = concentrator in
k = sa["out"] if d == "in" else sa["in"]
w = ["direction", d, "spi", str(int(str(k["spi"]), 0)), "cipher", sa["cipher"],
     "integrity", sa["integrity"], "key", k["key"], "auth_key", k["auth_key"],
     "local", sa["remote"], "remote", sa["local"]]
if d == "in":
    w += ["replay_window", "64", "traffic_selectors", "203.0.113.2/32"]
else:
    w += ["routes", "203.0.113.2/32"]
print(" ".join(w + sys.argv[3:]))
PYEOF
}
sa_count() { rctl show sa --json | "$SCAPY_PY" -c 'import json,sys; print(len(json.load(sys.stdin)))'; }

# --- malformed "sa add": precise error, nothing changes ----------------------------------
[ "$(sa_count)" = 0 ] || fail "the dataplane has SAs before any 'sa add'"
# shellcheck disable=SC2046 # words on purpose
bad_key=$(sa_words in | sed 's/ key [0-9a-fx]* / key 0x0011 /')
out=$(rctl sa add $bad_key 2>&1); rc=$?
echo "  rampartctl sa add ... key 0x0011 ... -> exit $rc: $out"
[ $rc -eq 2 ] || fail "malformed sa add: exit $rc, expected 2"
grep -q "key: AES_CBC_256 needs 32 bytes, this is 2" <<<"$out" || fail "imprecise error: $out"
out=$(rctl sa add $(sa_words in colour blue) 2>&1); rc=$?
echo "  rampartctl sa add ... colour blue -> exit $rc: $out"
[ $rc -eq 2 ] && grep -q "unknown field 'colour'" <<<"$out" || fail "unknown field: exit $rc: $out"
out=$(rctl sa add $(sa_words in sa_id 77) 2>&1); rc=$?
echo "  rampartctl sa add ... sa_id 77 -> exit $rc: $out"
[ $rc -eq 2 ] && grep -q "sa_id 77 is outside the range reserved" <<<"$out" || fail "sa_id 77: $out"
[ "$(sa_count)" = 0 ] || fail "a refused sa add left an SA in the dataplane"
ok "malformed 'sa add' refused with precise errors; the dataplane still has no SA"

# --- sa add -------------------------------------------------------------------------------
out=$(rctl sa add $(sa_words in)) || { echo "$out"; diagnose; fail "sa add (inbound)"; }
echo "  $out"
sa_in=$(sed -n 's/^SA \([0-9]*\) added (in,.*/\1/p' <<<"$out")
out=$(rctl --json sa add $(sa_words out paired_sa_id "$sa_in")) ||
	{ echo "$out"; diagnose; fail "sa add (outbound)"; }
echo "  $out"
sa_out=$("$SCAPY_PY" -c 'import json,sys; print(json.loads(sys.argv[1])["sa_id"])' "$out")
[ -n "$sa_in" ] && [ -n "$sa_out" ] || fail "no SA ids in the answers"
for id in "$sa_in" "$sa_out"; do
	[ "$id" -ge $((0xff000000)) ] && [ "$id" -le $((0xfffffffe)) ] ||
		fail "SA id $id outside the range reserved for rampartctl"
done
rctl show sa | sed 's/^/  /'
rctl show sa --json | "$SCAPY_PY" -c '
import json, sys
ids = {s["sa_id"]: s for s in json.load(sys.stdin)}
i, o = int(sys.argv[1]), int(sys.argv[2])
assert set(ids) == {i, o}, ids
assert ids[i]["dir"] == "in" and ids[i]["spi"] == "00003001", ids[i]
assert ids[o]["dir"] == "out" and ids[o]["spi"] == "00004001", ids[o]' "$sa_in" "$sa_out" ||
	fail "show sa does not list SAs $sa_in (in, SPI 0x3001) and $sa_out (out, SPI 0x4001)"
ok "sa add: SA $sa_in (in) and SA $sa_out (out) installed, listed by show sa"

ports_before=$(rctl show ports --json) || fail "show ports --json"

# --- traffic ------------------------------------------------------------------------------
netns_client "$NS_CL" c1 "$WORK/c1.json" --tun esp0 --addr "$VIP4/32" --route "$LAN_NET4" \
	--ts "$LAN_NET4" --probe-dst "$LAN_HOST4"
ping_ok() { ip netns exec "$1" ping -c "$3" -i 0.2 -W 2 -q "$2" >/dev/null 2>&1; }
wait_ping "$NS_CL" "$LAN_HOST4" 10 || { diagnose; fail "no ping client -> LAN through the CLI SAs"; }
ping_ok "$NS_CL" "$LAN_HOST4" 3 || { diagnose; fail "ping client -> LAN"; }
ping_ok "$NS_LAN" "$VIP4" 3 || { diagnose; fail "ping LAN -> client"; }
ok "ping client <-> LAN host through the SAs added with rampartctl"

rctl show ports | sed 's/^/  /'
ports_after=$(rctl show ports --json) || fail "show ports --json"
"$SCAPY_PY" - "$ports_before" "$ports_after" <<'PYEOF' || fail "show ports counters did not move as expected"
import json, sys
b, a = ({p["name"]: p for p in json.loads(x)} for x in sys.argv[1:3])
assert set(a) == {"outside", "inside"}, a.keys()
for name in ("outside", "inside"):
    for k in ("rx_packets", "tx_packets", "rx_bytes", "tx_bytes"):
        d = a[name][k] - b[name][k]
        # at least the 6 pings + replies each way crossed both ports
        assert d >= (6 if k.endswith("packets") else 6 * 84), (name, k, d)
    assert a[name]["link_up"], name
    print("  %s: rx %+d packets %+d bytes, tx %+d packets %+d bytes" % (name,
          a[name]["rx_packets"] - b[name]["rx_packets"], a[name]["rx_bytes"] - b[name]["rx_bytes"],
          a[name]["tx_packets"] - b[name]["tx_packets"], a[name]["tx_bytes"] - b[name]["tx_bytes"]))
PYEOF
ok "show ports: both ports' rx/tx packet and byte counters moved with the traffic, links up"

# --- drops: tampered and unknown SPI ------------------------------------------------------
# drops_delta BEFORE AFTER: "port.reason=+N ..." for every counter that moved.
drops_delta() {
	"$SCAPY_PY" - "$1" "$2" <<'PYEOF'
import json, sys
b, a = (json.loads(x) for x in sys.argv[1:3])
bp = {p["name"]: p["drops"] for p in b["ports"]}
out = []
for p in a["ports"]:
    for r, v in sorted(p["drops"].items()):
        d = v - bp[p["name"]][r]
        if d:
            out.append("%s.%s=+%d" % (p["name"], r, d))
print(" ".join(out))
PYEOF
}
sleep 0.5
before=$(rctl show drops --json) || fail "show drops --json"
"$SCAPY_PY" -c 'import json,sys; d=json.loads(sys.argv[1]); assert "auth_failed" in d["total"] and "no_sa" in d["total"] and "unhandled" in d["total"], d["total"]' "$before" ||
	fail "show drops --json does not list every reason"
ctl c1 tamper 1 >/dev/null || fail "ctl tamper"
ctl c1 unknown-spi >/dev/null || fail "ctl unknown-spi"
want="outside.auth_failed=+1 outside.no_sa=+1"
for _ in $(seq 50); do
	got=$(drops_delta "$before" "$(rctl show drops --json)")
	[ "$got" = "$want" ] && break
	sleep 0.1
done
sleep 0.3
after=$(rctl show drops --json)
got=$(drops_delta "$before" "$after")
[ "$got" = "$want" ] || { diagnose; fail "show drops --json moved by '$got', expected '$want'"; }
ok "show drops --json: tampered packet -> outside auth_failed +1, unknown SPI -> outside no_sa +1, nothing else"
text=$(rctl show drops) || fail "show drops"
echo "$text" | sed 's/^/  /'
for r in auth_failed no_sa; do
	n=$("$SCAPY_PY" -c 'import json,sys; d=json.loads(sys.argv[1]); print([p for p in d["ports"] if p["name"]=="outside"][0]["drops"][sys.argv[2]])' "$after" "$r")
	grep -Eq "^$r +$n +[0-9]+ +$n\$" <<<"$text" || fail "show drops text has no '$r $n ... $n' row"
done
grep -q "^replay_too_old " <<<"$text" && fail "show drops (text) lists a reason that never counted"
rctl show drops all | grep -q "^replay_too_old " || fail "show drops all does not list every reason"
ok "show drops (text): the counted reasons per port with totals; 'all' lists the others too"

# --- sa del -------------------------------------------------------------------------------
out=$(rctl sa del 5 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "SA 5 was not added with 'sa add'" <<<"$out" || fail "sa del 5: exit $rc: $out"
out=$(rctl sa del "$sa_in") || { echo "$out"; diagnose; fail "sa del $sa_in"; }
echo "  $out"
[ "$(sa_count)" = 1 ] || fail "show sa still lists SA $sa_in after sa del"
out=$(rctl sa del "$sa_in" 2>&1); rc=$?
[ $rc -eq 2 ] || fail "second sa del $sa_in: exit $rc: $out"
ok "sa del: SA $sa_in gone; deleting it again, or an SA rampartctl did not add, is refused"

sleep 0.3
before=$(rctl show drops --json)
ip netns exec "$NS_CL" ping -c 3 -i 0.2 -W 1 -q "$LAN_HOST4" >/dev/null 2>&1 &&
	fail "ping through a deleted SA succeeded"
sent=$(ctl c1 stats | "$SCAPY_PY" -c 'import json,sys; print(json.load(sys.stdin)["counters"]["tx_esp"])')
for _ in $(seq 30); do
	got=$(drops_delta "$before" "$(rctl show drops --json)")
	grep -Eq "^outside\.no_sa=\+[0-9]+$" <<<"$got" && [ "${got##*+}" -ge 3 ] && break
	sleep 0.1
done
grep -Eq "^outside\.no_sa=\+[0-9]+$" <<<"$got" && [ "${got##*+}" -ge 3 ] ||
	{ diagnose; fail "after sa del, drops moved by '$got', expected only outside.no_sa (>= 3)"; }
ok "after sa del, the client's ESP packets (the 3 pings; $sent sent in all) count as unknown SPI: $got"
rctl sa del "$sa_out" >/dev/null || fail "sa del $sa_out"
[ "$(sa_count)" = 0 ] || fail "SAs left after deleting both"
ok "sa del $sa_out: no SA left"

{ kill -0 "$dp_pid" && kill -0 "$cp_pid"; } || fail "rampart-dp or rampartd died"
grep -E "rampartctl: SA" "$WORK/cp.log" | sed 's/^/  cp: /'
echo PASS
