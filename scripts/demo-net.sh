# shellcheck shell=bash disable=SC2034
# The demo topology of `scripts/rampart demo` (sourced by scripts/rampart; bash).
#
#   rampart-demo-client          rampart-demo-dp (no addresses but the tap's)       rampart-demo-lan
#   out0 192.0.2.2/24 --veth-- rp-demo-out [ rampart-dp ] rp-demo-in --veth-- lan0 198.51.100.10/24
#   (charon)                   outside (af_packet)   inside (af_packet)       route 198.18.200.0/24
#                              exception port rp-demo-tap (net_tap) 192.0.2.1/24   via 198.51.100.1
#
# The names, addresses and MACs are those of the built-in default configuration
# (common/default.conf); keep them in step. rampart-dp owns rp-demo-out / rp-demo-in: the dp
# namespace's own stack gets no address on them (IPv6 off, ARP ignored), so it never answers
# for rampart-dp. The only addresses rampart-dp "has" exist as static neighbour entries:
# 192.0.2.1 -> rp-demo-out's MAC on the client, 198.51.100.1 -> rp-demo-in's MAC on the LAN
# host. TX checksum offload is off on the veths (af_packet would see partial checksums).
# Addresses: 192.0.2.0/24, 198.51.100.0/24 and 198.18.0.0/15 only, inside these namespaces.

DEMO_NS_CL=rampart-demo-client
DEMO_NS_DP=rampart-demo-dp
DEMO_NS_LAN=rampart-demo-lan
DEMO_NSS=("$DEMO_NS_CL" "$DEMO_NS_DP" "$DEMO_NS_LAN")

DEMO_IF_OUT=rp-demo-out
DEMO_IF_IN=rp-demo-in
DEMO_TAP=rp-demo-tap
DEMO_CL_OUT4=192.0.2.2
DEMO_DP_OUT4=192.0.2.1
DEMO_LAN_NET4=198.51.100.0/24
DEMO_LAN_HOST4=198.51.100.10
DEMO_LAN_GW4=198.51.100.1
DEMO_POOL_NET4=198.18.200.0/24
DEMO_MAC_CL_OUT=02:72:70:01:00:02
DEMO_MAC_DP_OUT=02:72:70:01:00:01
DEMO_MAC_DP_IN=02:72:70:02:00:01
DEMO_MAC_LAN=02:72:70:02:00:10

demo_net_err() { printf 'demo-net: error: %s\n' "$*" >&2; return 1; }

# demo_net_exists: true if any of the demo namespaces exists.
demo_net_exists() {
	local ns
	for ns in "${DEMO_NSS[@]}"; do
		ip netns list | awk '{print $1}' | grep -qx "$ns" && return 0
	done
	return 1
}

# demo_veth NS1 IF1 MAC1 NS2 IF2 MAC2
demo_veth() {
	ip -n "$1" link add "$2" address "$3" type veth peer name "$5" address "$6" netns "$4" ||
		demo_net_err "cannot create veth $1/$2 <-> $4/$5" || return 1
	ip netns exec "$1" ethtool -K "$2" tx off >/dev/null 2>&1 || demo_net_err "ethtool -K $2 tx off" || return 1
	ip netns exec "$4" ethtool -K "$5" tx off >/dev/null 2>&1 || demo_net_err "ethtool -K $5 tx off" || return 1
	ip -n "$1" link set "$2" up && ip -n "$4" link set "$5" up
}

# demo_net_up: the three namespaces, the two veth pairs, addresses, neighbours and routes.
demo_net_up() {
	local ns l
	command -v ethtool >/dev/null || demo_net_err "no ethtool (apt install ethtool)" || return 1
	for ns in "${DEMO_NSS[@]}"; do
		ip netns add "$ns" || demo_net_err "cannot create namespace $ns" || return 1
		ip -n "$ns" link set lo up
	done
	ip netns exec "$DEMO_NS_DP" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 >/dev/null
	demo_veth "$DEMO_NS_CL" out0 "$DEMO_MAC_CL_OUT" "$DEMO_NS_DP" "$DEMO_IF_OUT" "$DEMO_MAC_DP_OUT" || return 1
	demo_veth "$DEMO_NS_LAN" lan0 "$DEMO_MAC_LAN" "$DEMO_NS_DP" "$DEMO_IF_IN" "$DEMO_MAC_DP_IN" || return 1
	# rampart-dp owns these two: the namespace's stack must not answer ARP on them nor accept IP.
	ip netns exec "$DEMO_NS_DP" sysctl -qw net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.default.rp_filter=1
	for l in "$DEMO_IF_OUT" "$DEMO_IF_IN"; do
		ip netns exec "$DEMO_NS_DP" sysctl -qw "net.ipv4.conf.$l.arp_ignore=8" "net.ipv4.conf.$l.rp_filter=1"
	done
	# Client: the concentrator's outside address is rp-demo-out's MAC.
	ip -n "$DEMO_NS_CL" addr add "$DEMO_CL_OUT4/24" dev out0 || return 1
	ip -n "$DEMO_NS_CL" neigh replace "$DEMO_DP_OUT4" lladdr "$DEMO_MAC_DP_OUT" dev out0 nud permanent || return 1
	# LAN host: rampart-dp's inside next hop, and the clients' pool routed through it.
	ip -n "$DEMO_NS_LAN" addr add "$DEMO_LAN_HOST4/24" dev lan0 || return 1
	ip -n "$DEMO_NS_LAN" neigh replace "$DEMO_LAN_GW4" lladdr "$DEMO_MAC_DP_IN" dev lan0 nud permanent || return 1
	ip -n "$DEMO_NS_LAN" route add "$DEMO_POOL_NET4" via "$DEMO_LAN_GW4" dev lan0 || return 1
}

# demo_net_tap_up: once rampart-dp has created its exception port, give the kernel side the
# concentrator's outside address (rampartd's IKE sockets bind to it).
demo_net_tap_up() {
	ip -n "$DEMO_NS_DP" link show "$DEMO_TAP" >/dev/null 2>&1 || demo_net_err "no exception port $DEMO_TAP" || return 1
	ip -n "$DEMO_NS_DP" addr replace "$DEMO_DP_OUT4/24" dev "$DEMO_TAP" || return 1
	ip -n "$DEMO_NS_DP" link set "$DEMO_TAP" up || return 1
	ip -n "$DEMO_NS_DP" neigh replace "$DEMO_CL_OUT4" lladdr "$DEMO_MAC_CL_OUT" dev "$DEMO_TAP" nud permanent
}

# demo_net_down: kill what still runs inside the demo namespaces (by PID, from
# `ip netns pids`), then delete them. Idempotent.
demo_net_down() {
	local ns p
	for ns in "${DEMO_NSS[@]}"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -TERM "$p" 2>/dev/null; done
	done
	for ns in "${DEMO_NSS[@]}"; do
		for _ in $(seq 30); do [ -z "$(ip netns pids "$ns" 2>/dev/null)" ] && break; sleep 0.1; done
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null || true
	done
}
