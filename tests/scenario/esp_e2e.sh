#!/usr/bin/env bash
# ESP end to end through rampart-dp, judged by an independent ESP peer.
#
#   rp-cl-ID (ESP client: tools/esp_tun_client.py, scapy)
#      out0 192.0.2.2 / 2001:db8:1::2  -- veth --  dp-out [ rampart-dp ] dp-in  -- veth --  lan0 198.51.100.10 / 2001:db8:2::10
#                                                   rp-dp-ID, net_af_packet              rp-lan-ID
#   (topology, addresses and static neighbours: netns.sh)
#
# rampart-dp runs on net_af_packet ports (--no-huge, --no-pci) with manually keyed SAs for
# several clients, one per algorithm / encapsulation case (`dataplane.manual_sas` in the
# configuration file, next to the ports' static neighbours; see dataplane/README.md). No
# rampartd: the dataplane forwards on its own.
#
# Expectations, per case (the client of each case runs in turn, with its own VIP; cases:
# AES-GCM-128 / AES-CBC-256+SHA-256 / AES-GCM-256 / ChaCha20-Poly1305 / AES-CBC-128+SHA-1 /
# NULL+SHA-512, outer IPv4 and IPv6, raw ESP and NAT-T, with and without ESN):
#   - client -> LAN host ping (inner IPv4 and IPv6) and LAN host -> client ping;
#   - one TCP connection from the client to the LAN host, data both ways at once
#     (2 MB each way in case 1), inner IPv4 and IPv6, SHA-256 equal at both ends;
#   - every ESP packet rampart-dp sent passed the client's checks (SPI, anti-replay,
#     integrity, padding, next header, inner source): its drop counters stay 0;
#   - then, in a quiet moment: one tampered packet (ciphertext byte flipped), one replay of
#     the latest packet, one replay of the oldest kept packet (case 1: left of the 64-packet
#     window), one packet under an unknown SPI (and for NAT-T one keepalive) are dropped and
#     counted by rampart-dp on the outside port as auth_failed, replay_duplicate,
#     replay_too_old, no_sa (natt_keepalive), and the SA-attributable ones also on the
#     case's inbound SA (/rampart/sa,ID drop_reasons); the outside port's total drops rise
#     by exactly that many; nothing is decrypted, nothing is sent on either port (rampart-dp
#     tx_packets and ethdev opackets unchanged: nothing reached the LAN, nothing was
#     answered); the inside port receives and drops nothing; no other SA moves;
#   - ping still works both ways afterwards; over the whole case the inbound SA dropped only
#     the mischief, the outbound SA nothing, the other cases' SAs (installed all along) did
#     not move, and the SAs' packet counts agree with what the client sent and received.
# Counters are read with DPDK telemetry: tools/dp_tel.py runs /usr/bin/dpdk-telemetry.py
# -f rampart-INSTANCE with /rampart/drops,PORT, /rampart/sa,ID and /ethdev/stats,PORT_ID.
# E2E_CASES="1 4" runs only those cases.
#
# Skips (77): not root, no netns / TUN / scapy, fewer than 2 CPUs, no net_af_packet PMD,
# rampart-dp not built. Fails, saying "NOT READY", when rampart-dp lacks what this test
# needs (the ESP path).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns.sh"
netns_need
[ -x "$DP" ] || skip "rampart-dp not built (no DPDK)"
read -r cpu0 cpu1 < <("$SCAPY_PY" -c 'import os; print(*sorted(os.sched_getaffinity(0))[:2])')
[ -n "${cpu1:-}" ] || skip "needs 2 CPUs (main lcore + one worker)"
ls /usr/lib/*/dpdk/pmds-*/librte_net_af_packet.so* >/dev/null 2>&1 || skip "no net_af_packet PMD"
TELEMETRY=/usr/bin/dpdk-telemetry.py
[ -x "$TELEMETRY" ] || skip "no $TELEMETRY (Debian package dpdk)"

inst=scesp$$
# DPDK leaves its runtime directory (telemetry socket, config lock) behind.
scenario_cleanup() { rm -rf "/var/run/dpdk/rampart-$inst"; }
conf=$WORK/rampart.conf
REGION=$WORK/$inst.ctl

# case: name | outer family | natt | cipher | integrity | esn
CASES=(
	"gcm128-v4-esp|4|0|aes-gcm-128|none|0"
	"cbc256sha256-v6-natt|6|1|aes-cbc-256|hmac-sha256-128|0"
	"gcm256-v4-natt-esn|4|1|aes-gcm-256|none|1"
	"chacha-v6-esp|6|0|chacha20-poly1305|none|0"
	"cbc128sha1-v4-esp-esn|4|0|aes-cbc-128|hmac-sha1-96|1"
	"null-sha512-v6-esp|6|0|null|hmac-sha512-256|0"
)
[ -n "${E2E_CASES:-}" ] && read -r -a pick <<<"$E2E_CASES" # e.g. E2E_CASES="1 3"

# --- configuration -------------------------------------------------------------------------
manual=()
for i in "${!CASES[@]}"; do
	IFS='|' read -r name fam natt cipher integ esn <<<"${CASES[$i]}"
	n=$((i + 1))
	vip4=203.0.113.$((n + 1)) vip6=2001:db8:200::$((n + 1))
	la=$CL_OUT4 lb=$DP_OUT4
	[ "$fam" = 6 ] && { la=$CL_OUT6; lb=$DP_OUT6; }
	opts=(--cipher "$cipher" --integrity "$integ" --spi-a2b $((0x1000 + n)) --spi-b2a $((0x2000 + n)))
	[ "$natt" = 1 ] && opts+=(--natt)
	[ "$esn" = 1 ] && opts+=(--esn)
	"$SCAPY_PY" "$ESP_CLIENT" gen-sa --local "$la" --remote "$lb" "${opts[@]}" \
		-o "$WORK/c$n.json" --peer-out "$WORK/dp$n.json" || fail "gen-sa $name"
	sep=,
	[ "$n" -eq "${#CASES[@]}" ] && sep=
	manual+=("$("$SCAPY_PY" "$ESP_CLIENT" manual-sas --sa "$WORK/c$n.json" --sa-id $((n * 10)) \
		--ts "$vip4/32" --ts "$vip6/128" --routes "$vip4/32" --routes "$vip6/128" --sep "$sep")") ||
		fail "manual-sas $name"
done

# Static neighbours (so that rampart-dp never needs ARP/ND) and the manual SAs.
cat >"$conf" <<EOF
instance = "$inst";
log = { level = "info"; };
control = { region = "$REGION"; slots = 256; };
management = { socket = "$WORK/$inst.sock"; };
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
      neighbors = ( { ip = "$CL_OUT4"; mac = "$MAC_CL_OUT"; }, { ip = "$CL_OUT6"; mac = "$MAC_CL_OUT"; } ); },
    { name = "inside";  role = "inside";  device = "net_af_packet1,iface=dp-in";
      gateway_mac = "$MAC_LAN";
      neighbors = ( { ip = "$LAN_HOST4"; mac = "$MAC_LAN"; }, { ip = "$LAN_HOST6"; mac = "$MAC_LAN"; } ); }
  );
  manual_sas = (
$(printf '%s\n' "${manual[@]}" | sed 's/^/    /')
  );
};
EOF
dp_args=(-c "$conf")
if ! out=$("$DP" "${dp_args[@]}" --check-config 2>&1); then
	echo "$out" | tail -n 20
	fail "rampart-dp --check-config refused the generated configuration (above; $conf)"
fi
ok "configuration accepted (rampart-dp ${dp_args[*]}): $(echo "$out" | tail -n 1)"

# --- topology and rampart-dp ---------------------------------------------------------------
netns_topo_dp
ok "namespaces $NS_CL, $NS_DP, $NS_LAN up"

ip netns exec "$NS_DP" "$DP" "${dp_args[@]}" >"$WORK/dp.log" 2>&1 &
dp_pid=$!
PIDS+=("$dp_pid")
dp_alive() { kill -0 "$dp_pid" 2>/dev/null; }
if ! within 30 sh -c "grep -q 'rampart-dp running' '$WORK/dp.log' || ! kill -0 $dp_pid" ||
	! grep -q "rampart-dp running" "$WORK/dp.log"; then
	tail -n 30 "$WORK/dp.log"
	dp_alive || fail "rampart-dp exited during start-up (log above)"
	fail "rampart-dp did not come up within 30 s"
fi
ok "rampart-dp up (pid $dp_pid) in $NS_DP on net_af_packet dp-out / dp-in"
grep -iE "manual|SA " "$WORK/dp.log" | head -n 20 | sed 's/^/  dp: /'

DP_TEL=$(dirname "$0")/tools/dp_tel.py
tel() { "$SCAPY_PY" "$DP_TEL" get "rampart-$inst" "$@"; }
snap() { "$SCAPY_PY" "$DP_TEL" snapshot "rampart-$inst"; }
judge() { "$SCAPY_PY" "$DP_TEL" judge "$@"; }
within 10 tel / || fail "telemetry socket of rampart-$inst does not answer"
tel /rampart/sa_summary | sed 's/^/  /'
tel /rampart/neighbors | sed 's/^/  /'

# wait_judge BEFORE "loose specs" strict-judge-args...: poll (5 s at most) until the loose
# specs hold, then judge strictly after a short quiet time.
wait_judge() {
	local before=$1 loose=$2 i; shift 2
	for ((i = 0; i < 50; i++)); do
		judge "$before" "$(snap)" "$loose" >/dev/null && break
		sleep 0.1
	done
	sleep 0.5
	judge "$before" "$(snap)" "$@"
}

# Why nothing passes, in a few lines, from the counters.
diagnose() {
	echo "  rampart-dp counters now:"
	tel /rampart/drops | sed 's/^/    /' | cut -c1-1500
	tel /rampart/drops | "$SCAPY_PY" -c '
import json, sys
o = json.loads(sys.stdin.read())["outside"]
if o.get("unhandled", 0) and o["unhandled"] >= o.get("rx_packets", 0) - 2:
    print("  hint: NOT READY: every packet on the outside port is unhandled: no ESP path yet")'
	tail -n 15 "$WORK/dp.log" | sed 's/^/  dp: /'
}

ping_ok() { # NS DEST COUNT
	local r
	r=$(ip netns exec "$1" ping -c "$3" -i 0.2 -W 2 -q "$2" 2>&1) && return 0
	echo "$r" | tail -n 2
	return 1
}

# client_clean NAME: every ESP packet from rampart-dp was accepted by the client.
client_clean() {
	ctl "$1" stats | "$SCAPY_PY" -c '
import json, sys
s = json.load(sys.stdin)["counters"]
bad = {k: v for k, v in s.items() if v and k in ("no_sa", "auth_failed", "replay_duplicate",
       "replay_too_old", "seq_zero", "bad_length", "bad_padding", "bad_next_header", "dummy_packet",
       "inner_malformed", "ts_mismatch", "wrong_peer", "non_esp_rx")}
print("  client: %d ESP packets received from rampart-dp, %d decrypted, %d sent%s" % (
      s["rx_esp"], s["decrypted"], s["tx_esp"], "; DROPPED: %s" % bad if bad else ""))
sys.exit(1 if bad or s["decrypted"] != s["rx_esp"] else 0)'
}

# --- the cases -----------------------------------------------------------------------------
for i in "${!CASES[@]}"; do
	n=$((i + 1))
	if [ -n "${pick[*]:-}" ] && ! grep -qw "$n" <<<"${pick[*]}"; then continue; fi
	IFS='|' read -r name fam natt cipher integ esn <<<"${CASES[$i]}"
	vip4=203.0.113.$((n + 1)) vip6=2001:db8:200::$((n + 1))
	label="$cipher"
	[ "$integ" != none ] && label+=" + $integ"
	label+=", outer IPv$fam"
	[ "$natt" = 1 ] && label+=", NAT-T (UDP 4500)" || label+=", ESP (protocol 50)"
	[ "$esn" = 1 ] && label+=", ESN"
	echo "--- case $n: $label"
	netns_client "$NS_CL" "c$n" "$WORK/c$n.json" --tun esp0 --addr "$vip4/32" --addr "$vip6/128" \
		--route "$LAN_NET4" --route "$LAN_NET6" --ts "$LAN_NET4" --ts "$LAN_NET6" \
		--probe-dst "$LAN_HOST4"
	cpid=$CLIENT_PID
	case_start=$(snap)

	if ! wait_ping "$NS_CL" "$LAN_HOST4" 10; then
		echo "  first ping $vip4 -> $LAN_HOST4 through rampart-dp failed"
		diagnose
		tail -n 5 "$WORK/c$n.log" | sed 's/^/  client: /'
		fail "case $n ($name): no IPv4 ping through rampart-dp"
	fi
	ping_ok "$NS_CL" "$LAN_HOST4" 3 || { diagnose; fail "case $n: IPv4 ping client -> LAN"; }
	ping_ok "$NS_CL" "$LAN_HOST6" 3 || { diagnose; fail "case $n: inner IPv6 ping client -> LAN"; }
	ping_ok "$NS_LAN" "$vip4" 3 || { diagnose; fail "case $n: IPv4 ping LAN -> client"; }
	ping_ok "$NS_LAN" "$vip6" 3 || { diagnose; fail "case $n: IPv6 ping LAN -> client"; }
	ok "case $n: ping client <-> LAN host, inner IPv4 and IPv6, both directions"

	bytes=500000
	[ "$n" -eq 1 ] && bytes=2000000
	r=$(tcp_transfer "$NS_LAN" "$LAN_HOST4" "$NS_CL" $((5200 + n)) "$bytes" "$bytes" 180) ||
		{ echo "$r"; diagnose; fail "case $n: TCP transfer through rampart-dp"; }
	ok "case $n: TCP $r"
	r=$(tcp_transfer "$NS_LAN" "$LAN_HOST6" "$NS_CL" $((5300 + n)) 200000 200000 120) ||
		{ echo "$r"; diagnose; fail "case $n: TCP transfer over inner IPv6"; }
	ok "case $n: IPv6 TCP $r"
	client_clean "c$n" || fail "case $n: the client dropped packets rampart-dp sent"
	ok "case $n: every ESP packet rampart-dp sent passed the independent peer's checks"

	# Mischief, in a quiet moment (no other traffic). Per SA, rampart-dp counts what it
	# could attribute to the SA (integrity, replay); no_sa and keepalives only per port.
	sa_in=$((n * 10)) sa_out=$((n * 10 + 1))
	sleep 0.5
	before=$(snap)
	ctl "c$n" tamper 1 >/dev/null || fail "ctl tamper"
	ctl "c$n" replay latest >/dev/null || fail "ctl replay latest"
	port="outside.auth_failed=1 outside.replay_duplicate=1 outside.no_sa=1"
	sa="sa.$sa_in.drop_reasons.auth_failed=1 sa.$sa_in.drop_reasons.replay_duplicate=1"
	drops=3 sa_drops=2
	if [ "$n" -eq 1 ]; then
		ctl "c$n" replay oldest >/dev/null || fail "ctl replay oldest"
		port+=" outside.replay_too_old=1"
		sa+=" sa.$sa_in.drop_reasons.replay_too_old=1"
		drops=$((drops + 1)) sa_drops=$((sa_drops + 1))
	fi
	ctl "c$n" unknown-spi >/dev/null || fail "ctl unknown-spi"
	if [ "$natt" = 1 ]; then
		ctl "c$n" keepalive >/dev/null || fail "ctl keepalive"
		port+=" outside.natt_keepalive=1"
		drops=$((drops + 1))
	fi
	d=$(wait_judge "$before" "$port" "$port" "outside.total_drops=$drops" \
		"outside.rx_packets=$drops outside.decrypted=0 outside.tx_packets=0" \
		"inside.rx_packets=0 inside.total_drops=0 inside.tx_packets=0 eth0.opackets=0 eth1.opackets=0" \
		"$sa sa.$sa_in.drops=$sa_drops sa.$sa_in.packets=0 sa.$sa_out.packets=0 sa.$sa_out.drops=0" \
		--quiet-sas-except "$sa_in,$sa_out") ||
		{ echo "$d"; diagnose; fail "case $n: mischief not dropped and counted as expected"; }
	ok "case $n: mischief dropped and counted, on the port and on SA $sa_in; nothing sent, nothing else moved:"
	echo "$d" | fold -s -w 150 | sed 's/^ */    /'

	# wait_ping, not ping_ok: the scapy client may be starved for seconds on a loaded machine
	wait_ping "$NS_CL" "$LAN_HOST4" 10 || { diagnose; fail "case $n: ping after the mischief"; }
	wait_ping "$NS_LAN" "$vip6" 10 || { diagnose; fail "case $n: ping LAN -> client after the mischief"; }
	client_clean "c$n" >/dev/null || fail "case $n: client drops after the mischief"
	ok "case $n: ping still works both ways after the mischief"

	# Over the whole case: SA $sa_in dropped only the mischief, SA $sa_out nothing, no
	# other SA moved; what the client sent and received agrees with the SAs' counts.
	d=$(judge "$case_start" "$(snap)" "sa.$sa_in.drops=$sa_drops sa.$sa_out.drops=0" \
		--quiet-sas-except "$sa_in,$sa_out") || { echo "$d"; fail "case $n: unexpected SA drops"; }
	ok "case $n: over the case, SA $sa_in dropped only the mischief, SA $sa_out nothing:$d"
	"$SCAPY_PY" - "$case_start" "$(snap)" "$(ctl "c$n" stats)" "$sa_in" "$sa_out" <<'PYEOF' ||
import json, sys
b, a, c = (json.loads(x) for x in sys.argv[1:4])
i, o = sys.argv[4:6]
d = lambda sa, k: a["sa"][sa][k] - b["sa"][sa][k]
cc = c["counters"]
sent = cc["tx_esp"] + cc["tx_probe"]
print("  client sent %d good ESP packets, SA %s decrypted %d; SA %s encrypted %d, client "
      "received %d" % (sent, i, d(i, "packets"), o, d(o, "packets"), cc["rx_esp"]))
sys.exit(0 if d(i, "packets") <= sent and cc["rx_esp"] <= d(o, "packets") else 1)
PYEOF
		fail "case $n: per-SA packet counts disagree with the client's"

	ctl "c$n" quit >/dev/null
	for _ in $(seq 30); do kill -0 "$cpid" 2>/dev/null || break; sleep 0.1; done
	stop_pid "$cpid"
done

dp_alive || fail "rampart-dp died"
echo "--- rampart-dp counters at the end"
tel /rampart/drops /rampart/sa_summary
kill -INT "$dp_pid"
for _ in $(seq 50); do dp_alive || break; sleep 0.1; done
wait "$dp_pid"
rc=$?
[ $rc -eq 0 ] || { tail -n 20 "$WORK/dp.log"; fail "rampart-dp exit status $rc after SIGINT"; }
grep -E 'port "(outside|inside)": .* drops' "$WORK/dp.log" | sed 's/^/  dp: /'
ok "rampart-dp stopped cleanly"
echo PASS
