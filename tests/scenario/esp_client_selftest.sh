#!/usr/bin/env bash
# The scapy ESP tunnel client (tools/esp_tun_client.py) is a working, strict ESP peer: two
# instances in two network namespaces, with mirrored manual SAs, carry ping and TCP between
# their TUN devices, and each drops and counts what it must (tampered, replayed, unknown
# SPI). esp_e2e.sh relies on this client to judge rampart-dp, so it must be right first.
#
# Expectations:
#   - offline `self-check`: every supported algorithm round-trips with and without ESN,
#     flipped bytes and wrong ESN high halves fail integrity, HMAC ICVs match hashlib's,
#     the anti-replay window and ESN inference (RFC 4303 appendix A) behave;
#   - AES-GCM-128, outer IPv4, raw ESP: inner IPv4 and IPv6 ping; 2 MB each way over one
#     TCP connection, SHA-256 equal at both ends; then 1 tampered, 1 replayed (latest:
#     duplicate), 1 replayed (oldest kept: left of the window) and 1 unknown-SPI packet are
#     dropped by the peer under auth_failed, replay_duplicate, replay_too_old, no_sa, and
#     nothing else moves (decrypted, tun_tx); ping still works;
#   - AES-CBC-256 + HMAC-SHA-256-128, outer IPv6, NAT-T (UDP 4500), ESN starting 100 below
#     2^32, window 128: 200 pings cross 2^32 in both directions, 1 MB each way, a tampered
#     ICV, a replay, an unknown SPI and a NAT-T keepalive are each counted as such;
#   - every other algorithm (AES-GCM-256, ChaCha20-Poly1305, AES-CBC-128 with SHA-1 and
#     SHA-384, AES-CBC-256 with SHA-512, NULL with SHA-256, NULL without integrity), over
#     IPv4 and IPv6, raw and NAT-T: ping, and tamper/replay are dropped where the algorithm
#     has integrity.
# Skips (77) without root, network namespaces, /dev/net/tun, or Debian's python3-scapy.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns.sh"
netns_need

out=$("$SCAPY_PY" "$ESP_CLIENT" self-check) || { echo "$out"; fail "offline self-check"; }
ok "$out"

netns_topo_pair
ok "namespaces $NS_CL <-> $NS_PEER up, outer IPv4 and IPv6 reachable"

# The client (A) in $NS_CL: VIP 203.0.113.2 / 2001:db8:200::2, the LAN routed into the tunnel.
A_OPTS=(--tun esp0 --addr "$CL_VIP4/32" --addr "$CL_VIP6/128" --route "$LAN_NET4" --route "$LAN_NET6"
	--ts "$LAN_NET4" --ts "$LAN_NET6" --probe-dst "$LAN_HOST4")
# Its peer (B) in $NS_PEER stands for concentrator + LAN host: it owns 198.51.100.10.
B_OPTS=(--tun esp0 --addr "$LAN_HOST4/32" --addr "$LAN_HOST6/128" --route "$VIP_NET4" --route "$VIP_NET6"
	--ts "$CL_VIP4/32" --ts "$CL_VIP6/128" --probe-dst "$CL_VIP4")

A_PID='' B_PID=''
# case_up LABEL OUTER_FAMILY gen-sa options...
case_up() {
	local label=$1 fam=$2 la=$CL_OUT4 lb=$DP_OUT4; shift 2
	[ "$fam" = 6 ] && { la=$CL_OUT6; lb=$DP_OUT6; }
	echo "--- $label"
	"$SCAPY_PY" "$ESP_CLIENT" gen-sa --local "$la" --remote "$lb" -o "$WORK/a.json" \
		--peer-out "$WORK/b.json" "$@" || fail "$label: gen-sa"
	netns_client "$NS_CL" A "$WORK/a.json" "${A_OPTS[@]}"; A_PID=$CLIENT_PID
	netns_client "$NS_PEER" B "$WORK/b.json" "${B_OPTS[@]}"; B_PID=$CLIENT_PID
}

case_down() {
	ctl A quit >/dev/null; ctl B quit >/dev/null
	for p in $A_PID $B_PID; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		stop_pid "$p"
	done
	A_PID='' B_PID=''
}

# ping_ok NS DEST COUNT INTERVAL
ping_ok() {
	local r
	r=$(ip netns exec "$1" ping -c "$3" -i "$4" -W 2 -q "$2" 2>&1) && return 0
	echo "$r" | tail -n 3
	return 1
}

# expect_delta CLIENT BEFORE_JSON "key=delta ..." SECONDS: wait until every counter of CLIENT
# moved by exactly its delta since BEFORE_JSON (a stats answer), then 0.3 s more to see that
# nothing more comes. Prints the deltas.
expect_delta() {
	local name=$1 before=$2 want=$3 t=$4 now i
	for ((i = 0; i <= t * 10; i++)); do
		now=$(ctl "$name" stats)
		"$SCAPY_PY" - "$before" "$now" "$want" check <<<"$DELTA_PY" && break
		sleep 0.1
	done
	sleep 0.3
	now=$(ctl "$name" stats)
	"$SCAPY_PY" - "$before" "$now" "$want" report <<<"$DELTA_PY"
}
DELTA_PY='
import json, sys
b, n = (json.loads(x)["counters"] for x in sys.argv[1:3])
want = dict((k, int(v)) for k, v in (kv.split("=") for kv in sys.argv[3].split()))
got = {k: n[k] - b[k] for k in want}
if sys.argv[4] == "report":
    print("  " + ", ".join("%s +%d%s" % (k, got[k], "" if got[k] == want[k] else
                                          " (want +%d)" % want[k]) for k in want))
sys.exit(0 if got == want else 1)
'

# --- 1: AES-GCM-128, outer IPv4, raw ESP: the full check ------------------------------------
case_up "AES-GCM-128, outer IPv4, ESP (protocol 50)" 4 --cipher aes-gcm-128
ping_ok "$NS_CL" "$LAN_HOST4" 3 0.2 || fail "inner IPv4 ping through the ESP pair"
ok "inner IPv4 ping $CL_VIP4 -> $LAN_HOST4"
ping_ok "$NS_CL" "$LAN_HOST6" 3 0.2 || fail "inner IPv6 ping through the ESP pair"
ok "inner IPv6 ping $CL_VIP6 -> $LAN_HOST6"
ping_ok "$NS_PEER" "$CL_VIP4" 2 0.2 || fail "ping from the peer's side"
ok "inner IPv4 ping started on the other side"
r=$(tcp_transfer "$NS_PEER" "$LAN_HOST4" "$NS_CL" 5201 2000000 2000000 120) || { echo "$r"; fail "TCP transfer"; }
ok "IPv4 TCP $r"
r=$(tcp_transfer "$NS_PEER" "$LAN_HOST6" "$NS_CL" 5202 300000 300000 60) || { echo "$r"; fail "TCP transfer over inner IPv6"; }
ok "IPv6 TCP $r"
before=$(ctl B stats)
ctl A tamper 1 >/dev/null || fail "ctl tamper"
ctl A replay latest >/dev/null || fail "ctl replay latest"
ctl A replay oldest >/dev/null || fail "ctl replay oldest"
ctl A unknown-spi >/dev/null || fail "ctl unknown-spi"
d=$(expect_delta B "$before" "auth_failed=1 replay_duplicate=1 replay_too_old=1 no_sa=1 decrypted=0 tun_tx=0" 5) ||
	{ echo "$d"; tail -n 8 "$WORK/B.log"; fail "the peer did not drop exactly the four mischief packets"; }
ok "mischief dropped by the peer, nothing else moved:$d"
grep -E "drop (auth_failed|replay_duplicate|replay_too_old|no_sa)" "$WORK/B.log" | tail -n 4 | sed 's/^/  B: /'
ping_ok "$NS_CL" "$LAN_HOST4" 3 0.2 || fail "ping after the mischief"
ok "ping still works after the mischief"
case_down

# --- 2: AES-CBC-256 + SHA-256, outer IPv6, NAT-T, ESN across 2^32 ---------------------------
case_up "AES-CBC-256 + HMAC-SHA-256-128, outer IPv6, NAT-T, ESN from 2^32-100, window 128" 6 \
	--cipher aes-cbc-256 --integrity hmac-sha256-128 --natt --esn --seq-start 0xffffff9c \
	--replay-window 128
ping_ok "$NS_CL" "$LAN_HOST4" 200 0.01 || fail "200 pings across 2^32"
st=$(ctl A stats); sb=$(ctl B stats)
"$SCAPY_PY" - "$st" "$sb" <<'PYEOF' || fail "sequence numbers did not cross 2^32 in both directions"
import json, sys
a, b = (json.loads(x) for x in sys.argv[1:3])
print("  A sent up to seq %#x, B received up to %#x; B sent up to %#x, A received up to %#x"
      % (a["tx_seq"], b["rx_top"], b["tx_seq"], a["rx_top"]))
sys.exit(0 if min(a["tx_seq"], b["rx_top"], b["tx_seq"], a["rx_top"]) > 0xffffffff else 1)
PYEOF
ok "200 pings, ESN crossed 2^32 both ways (high half only in the ICV)"
r=$(tcp_transfer "$NS_PEER" "$LAN_HOST6" "$NS_CL" 5203 1000000 1000000 120) || { echo "$r"; fail "TCP transfer (ESN, NAT-T)"; }
ok "IPv6 TCP $r"
before=$(ctl B stats)
ctl A tamper 1 icv >/dev/null && ctl A replay latest >/dev/null && ctl A unknown-spi >/dev/null &&
	ctl A keepalive >/dev/null || fail "mischief commands"
d=$(expect_delta B "$before" "auth_failed=1 replay_duplicate=1 no_sa=1 keepalive_rx=1 decrypted=0 tun_tx=0" 5) ||
	{ echo "$d"; tail -n 8 "$WORK/B.log"; fail "NAT-T/ESN mischief not counted as expected"; }
ok "mischief over NAT-T/ESN dropped:$d"
ping_ok "$NS_CL" "$LAN_HOST6" 3 0.2 || fail "ping after the mischief"
ok "ping still works"
case_down

# --- 3: every other algorithm ------------------------------------------------------------------
while read -r fam natt cipher integ; do
	extra=()
	[ "$natt" = natt ] && extra+=(--natt)
	case_up "$cipher + $integ, outer IPv$fam${extra:+, NAT-T}" "$fam" --cipher "$cipher" --integrity "$integ" "${extra[@]}"
	ping_ok "$NS_CL" "$LAN_HOST4" 3 0.1 || fail "$cipher/$integ: ping"
	ping_ok "$NS_CL" "$LAN_HOST6" 2 0.1 || fail "$cipher/$integ: IPv6 ping"
	before=$(ctl B stats)
	if [ "$integ" = none ] && [ "$cipher" = null ]; then
		ctl A replay latest >/dev/null || fail "replay"
		want="replay_duplicate=1 decrypted=0"
	else
		ctl A tamper 1 >/dev/null && ctl A replay latest >/dev/null || fail "tamper/replay"
		want="auth_failed=1 replay_duplicate=1 decrypted=0"
	fi
	d=$(expect_delta B "$before" "$want" 5) || { echo "$d"; fail "$cipher/$integ: mischief"; }
	ok "$cipher + $integ: ping v4+v6,$d"
	case_down
done <<'EOF'
4 esp aes-gcm-256 none
6 esp chacha20-poly1305 none
4 natt chacha20-poly1305 none
4 natt aes-cbc-128 hmac-sha1-96
6 esp aes-cbc-128 hmac-sha384-192
4 esp aes-cbc-256 hmac-sha512-256
6 natt aes-gcm-128 none
4 esp null hmac-sha256-128
4 esp null none
EOF
echo "(null + none has no integrity: a flipped byte cannot be detected, so only replay is checked)"
echo PASS
