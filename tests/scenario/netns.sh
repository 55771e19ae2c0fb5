# Network namespaces for the ESP scenarios (sourced, after lib.sh if the script uses it).
#
# Names are unique per run (the id defaults to the script's PID), everything made here is
# removed on exit: the EXIT trap runs lib.sh's cleanup() first (it kills the PIDs in PIDS),
# then kills whatever still runs inside *our* namespaces (by PID, from `ip netns pids`) and
# deletes them. Addresses: documentation and benchmark ranges only, and only inside these
# namespaces.
#
# Two topologies:
#
#   netns_topo_pair   two ESP peers back to back (esp_client_selftest.sh)
#
#       rp-cl-ID                         rp-peer-ID
#       out0 192.0.2.2/24  ------------  peer0 192.0.2.1/24
#            2001:db8:1::2/64                  2001:db8:1::1/64
#
#   netns_topo_dp     rampart-dp between a client and a LAN (esp_e2e.sh)
#
#       rp-cl-ID               rp-dp-ID (no IP addresses)            rp-lan-ID
#       out0 192.0.2.2/24 ---- dp-out  [rampart-dp]  dp-in ---- lan0 198.51.100.10/24
#            2001:db8:1::2/64  outside (net_af_packet)  inside      2001:db8:2::10/64
#
#     The veth ends rampart-dp attaches to (net_af_packet, iface=dp-out / dp-in) live in a
#     namespace of their own with no IP address and IPv6 disabled, so that no kernel stack
#     answers ARP/ND, sends ICMP or otherwise touches traffic meant for rampart-dp; it must
#     run there: `ip netns exec $NS_DP rampart-dp ...`. Its telemetry socket is still under
#     /var/run/dpdk (network namespaces do not separate the file system).
#
#     rampart-dp has no IP stack and (without an exception port) answers no ARP/ND, so its
#     two addresses, the outside 192.0.2.1 / 2001:db8:1::1 (ESP endpoint) and the inside
#     next hop 198.51.100.1 / 2001:db8:2::1, exist only as static neighbour entries:
#       - client: 192.0.2.1 and 2001:db8:1::1 -> dp-out's MAC (permanent);
#       - lan: 198.51.100.1 and 2001:db8:2::1 -> dp-in's MAC (permanent); routes to the
#         clients' inner addresses (203.0.113.0/24, 2001:db8:200::/64) via them.
#     In the other direction rampart-dp needs the MACs of out0 and lan0: fixed here
#     ($MAC_CL_OUT, $MAC_LAN), for its static `neighbors` / `gateway_mac` settings.
#
#     TX checksum offload is off on every veth whose traffic reaches a DPDK port: otherwise
#     TCP/UDP leave with a partial checksum that af_packet readers see unfinished (see
#     /work/shared/interop/RECIPES.md section 4).
#
# Clients' inner addresses (the "VIP pool"): 203.0.113.0/24 and 2001:db8:200::/64.

# shellcheck disable=SC2034 # the addresses below are used by the scripts that source this
NETNS_ID=${NETNS_ID:-$$}
NS_CL=rp-cl-$NETNS_ID
NS_PEER=rp-peer-$NETNS_ID
NS_DP=rp-dp-$NETNS_ID
NS_LAN=rp-lan-$NETNS_ID
NETNS_MADE=()

# Outer (client <-> concentrator) network
CL_OUT4=192.0.2.2
DP_OUT4=192.0.2.1
CL_OUT6=2001:db8:1::2
DP_OUT6=2001:db8:1::1
# Protected network behind the concentrator
LAN_NET4=198.51.100.0/24
LAN_NET6=2001:db8:2::/64
LAN_HOST4=198.51.100.10
LAN_HOST6=2001:db8:2::10
LAN_GW4=198.51.100.1
LAN_GW6=2001:db8:2::1
# Clients' inner addresses
VIP_NET4=203.0.113.0/24
VIP_NET6=2001:db8:200::/64
CL_VIP4=203.0.113.2
CL_VIP6=2001:db8:200::2
# Fixed MACs (locally administered), so configurations can be written before start.
MAC_CL_OUT=02:72:70:01:00:02
MAC_DP_OUT=02:72:70:01:00:01
MAC_DP_IN=02:72:70:02:00:01
MAC_LAN=02:72:70:02:00:10
MAC_PEER=02:72:70:01:00:01

ESP_CLIENT=${ESP_CLIENT:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/tools/esp_tun_client.py}
SCAPY_PY=/usr/bin/python3

# Skip (77) unless this machine can build the topologies and run the scapy client.
netns_need() {
	[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces)"
	command -v ip >/dev/null || skip "no iproute2"
	command -v ethtool >/dev/null || skip "no ethtool (checksum offload must be turned off)"
	[ -c /dev/net/tun ] || skip "no /dev/net/tun"
	"$SCAPY_PY" -c 'import scapy.layers.ipsec, cryptography' 2>/dev/null ||
		skip "$SCAPY_PY has no scapy/cryptography (apt install python3-scapy)"
	ip netns add "rp-probe-$NETNS_ID" 2>/dev/null || skip "cannot create network namespaces here"
	ip netns del "rp-probe-$NETNS_ID"
}

netns_add() {
	ip netns add "$1" || fail "cannot create namespace $1"
	NETNS_MADE+=("$1")
	ip -n "$1" link set lo up
	# Quiet IPv6 on the interfaces made later: no link-local address, no router
	# solicitation, no DAD (nothing unasked-for reaches rampart-dp's ports).
	ip netns exec "$1" sysctl -qw net.ipv6.conf.default.addr_gen_mode=1 \
		net.ipv6.conf.default.router_solicitations=0 net.ipv6.conf.default.accept_dad=0 \
		net.ipv6.conf.default.accept_ra=0 >/dev/null
}

# netns_veth NS1 IF1 MAC1 NS2 IF2 MAC2: a veth pair made directly in its namespaces (no
# name in the root namespace, so concurrent runs cannot collide), TX checksum offload off.
# within SECONDS COMMAND...: retry a command until it succeeds, for SECONDS of wall time
# (lib.sh's wait_for bounds the number of tries, fine for instant commands only).
within() {
	local end=$((SECONDS + $1)); shift
	while [ $SECONDS -lt $end ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

# wait_ping NS DEST SECONDS: one ping at a time until one is answered, within SECONDS.
wait_ping() { within "$3" ip netns exec "$1" ping -c 1 -W 1 -q "$2"; }

netns_veth() {
	ip -n "$1" link add "$2" address "$3" type veth peer name "$5" address "$6" netns "$4" ||
		fail "cannot create veth $1/$2 <-> $4/$5"
	ip netns exec "$1" ethtool -K "$2" tx off >/dev/null 2>&1 || fail "ethtool -K $2 tx off"
	ip netns exec "$4" ethtool -K "$5" tx off >/dev/null 2>&1 || fail "ethtool -K $5 tx off"
	ip -n "$1" link set "$2" up
	ip -n "$4" link set "$5" up
}

netns_addr() { # NS IF ADDR/LEN...
	local ns=$1 dev=$2 a; shift 2
	for a in "$@"; do
		case $a in
		*:*) ip -n "$ns" -6 addr add "$a" dev "$dev" nodad || fail "addr $a on $ns/$dev" ;;
		*) ip -n "$ns" addr add "$a" dev "$dev" || fail "addr $a on $ns/$dev" ;;
		esac
	done
}

netns_neigh() { # NS IF IP MAC
	ip -n "$1" neigh replace "$3" lladdr "$4" dev "$2" nud permanent || fail "neigh $3 in $1"
}

netns_topo_pair() {
	netns_add "$NS_CL"
	netns_add "$NS_PEER"
	netns_veth "$NS_CL" out0 "$MAC_CL_OUT" "$NS_PEER" peer0 "$MAC_PEER"
	netns_addr "$NS_CL" out0 "$CL_OUT4/24" "$CL_OUT6/64"
	netns_addr "$NS_PEER" peer0 "$DP_OUT4/24" "$DP_OUT6/64"
	# Plain reachability of the outer addresses, before any tunnel.
	wait_ping "$NS_CL" "$DP_OUT4" 5 || fail "outer IPv4 ping"
	wait_ping "$NS_CL" "$DP_OUT6" 5 || fail "outer IPv6 ping"
}

netns_topo_dp() {
	netns_add "$NS_CL"
	netns_add "$NS_DP"
	netns_add "$NS_LAN"
	ip netns exec "$NS_DP" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 >/dev/null
	netns_veth "$NS_CL" out0 "$MAC_CL_OUT" "$NS_DP" dp-out "$MAC_DP_OUT"
	netns_veth "$NS_LAN" lan0 "$MAC_LAN" "$NS_DP" dp-in "$MAC_DP_IN"
	netns_addr "$NS_CL" out0 "$CL_OUT4/24" "$CL_OUT6/64"
	netns_neigh "$NS_CL" out0 "$DP_OUT4" "$MAC_DP_OUT"
	netns_neigh "$NS_CL" out0 "$DP_OUT6" "$MAC_DP_OUT"
	netns_addr "$NS_LAN" lan0 "$LAN_HOST4/24" "$LAN_HOST6/64"
	netns_neigh "$NS_LAN" lan0 "$LAN_GW4" "$MAC_DP_IN"
	netns_neigh "$NS_LAN" lan0 "$LAN_GW6" "$MAC_DP_IN"
	ip -n "$NS_LAN" route add "$VIP_NET4" via "$LAN_GW4" dev lan0 || fail "lan route v4"
	ip -n "$NS_LAN" -6 route add "$VIP_NET6" via "$LAN_GW6" dev lan0 || fail "lan route v6"
}

# netns_client NS NAME SAFILE [esp_tun_client run options...]: start an ESP client in NS,
# with control socket $WORK/NAME.sock, log $WORK/NAME.log, counters at exit in
# $WORK/NAME.stats; returns once it is up. Its PID is in CLIENT_PID and added to PIDS.
netns_client() {
	local ns=$1 name=$2 sa=$3; shift 3
	rm -f "$WORK/$name.ready" "$WORK/$name.sock"
	ip netns exec "$ns" "$SCAPY_PY" "$ESP_CLIENT" run --sa "$sa" --name "$name" \
		--control "$WORK/$name.sock" --ready-file "$WORK/$name.ready" \
		--stats-file "$WORK/$name.stats" "$@" >>"$WORK/$name.log" 2>&1 &
	CLIENT_PID=$!
	PIDS+=("$CLIENT_PID")
	if ! within 15 sh -c "test -e '$WORK/$name.ready' || ! kill -0 $CLIENT_PID"; then
		tail -n 20 "$WORK/$name.log"
		fail "ESP client $name did not come up within 15 s"
	fi
	if ! kill -0 "$CLIENT_PID" 2>/dev/null; then
		tail -n 20 "$WORK/$name.log"
		fail "ESP client $name exited during start-up"
	fi
}

# ctl NAME WORDS...: a control command to client NAME; prints the JSON answer.
ctl() {
	local name=$1; shift
	"$SCAPY_PY" "$ESP_CLIENT" ctl "$WORK/$name.sock" "$@"
}

TCP_XFER=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/tools/tcp_xfer.py

# tcp_transfer SERVER_NS SERVER_ADDR CLIENT_NS PORT UP_BYTES DOWN_BYTES TIMEOUT: one TCP
# connection from CLIENT_NS to SERVER_ADDR:PORT, UP_BYTES sent by the client and DOWN_BYTES
# by the server at the same time, both checked by SHA-256. Prints one summary line.
tcp_transfer() {
	local sns=$1 saddr=$2 cns=$3 port=$4 up=$5 down=$6 t=$7 spid rc=0
	ip netns exec "$sns" "$SCAPY_PY" "$TCP_XFER" serve --bind "$saddr" --port "$port" \
		--send "$down" --timeout "$t" >"$WORK/xfer.srv" 2>&1 &
	spid=$!
	PIDS+=("$spid")
	ip netns exec "$cns" "$SCAPY_PY" "$TCP_XFER" connect --to "$saddr" --port "$port" \
		--send "$up" --timeout "$t" >"$WORK/xfer.cli" 2>&1 || rc=1
	wait "$spid" || rc=1
	"$SCAPY_PY" - "$WORK/xfer.cli" "$WORK/xfer.srv" "$up" "$down" <<'PYEOF' || rc=1
import json, sys
try:
    c, s = (json.loads(open(f).read().strip().splitlines()[-1]) for f in sys.argv[1:3])
except (ValueError, IndexError, OSError) as e:
    print("transfer: no result (%s): %s / %s" % (e, open(sys.argv[1]).read().strip(),
                                                 open(sys.argv[2]).read().strip()))
    sys.exit(1)
up, down = int(sys.argv[3]), int(sys.argv[4])
if "error" in c or "error" in s:
    print("transfer failed: client %s, server %s" % (c, s)); sys.exit(1)
ok = (c["sent"] == up == s["received"] and c["sent_sha256"] == s["received_sha256"] and
      s["sent"] == down == c["received"] and s["sent_sha256"] == c["received_sha256"])
print("transfer: %d bytes up, %d down in %.2f s (%.1f Mbit/s), SHA-256 %s" %
      (s["received"], c["received"], c["seconds"], c["mbit_s"], "match" if ok else "MISMATCH"))
sys.exit(0 if ok else 1)
PYEOF
	return $rc
}

# stop_pid PID: TERM, wait up to 3 s, then KILL (only a PID we started).
stop_pid() {
	kill -TERM "$1" 2>/dev/null || return 0
	for _ in $(seq 30); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

netns_del_all() {
	local ns p
	for ns in "${NETNS_MADE[@]}"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -TERM "$p" 2>/dev/null; done
	done
	for ns in "${NETNS_MADE[@]}"; do
		for _ in $(seq 30); do [ -z "$(ip netns pids "$ns" 2>/dev/null)" ] && break; sleep 0.1; done
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	NETNS_MADE=()
}

# On exit: lib.sh's cleanup() (kills PIDS, removes WORK), then the script's own
# scenario_cleanup() if it defines one, then our namespaces.
netns_exit() {
	local rc=$?
	trap - EXIT
	declare -F cleanup >/dev/null && cleanup
	declare -F scenario_cleanup >/dev/null && scenario_cleanup
	netns_del_all
	exit $rc
}
trap netns_exit EXIT
