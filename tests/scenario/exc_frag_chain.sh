#!/usr/bin/env bash
# Reassembled IKE datagrams larger than one mbuf reach the kernel through a real net_tap, as
# mbuf chains: rampart-dp's outside port sees the client's IP fragments themselves (net_pcap
# on the veth, which unlike net_af_packet does not make the kernel reassemble them first),
# reassembles them with the default mbuf data room (2048 bytes), and hands each datagram to the
# exception port as the chain of its fragments' mbufs: cut again to the tap's MTU (1500) when
# larger, written as it is (net_tap writes chains with writev) when not. The kernel behind the
# tap reassembles what is cut and delivers every datagram, unchanged, to UDP sockets on 500 and
# 4500 of 192.0.2.1 and [2001:db8:1::1].
#
# Topology: netns.sh's netns_topo_dp; rampart-dp in rp-dp-ID with outside = net_pcap on dp-out,
# inside = net_pcap on dp-in, exception = net_tap (192.0.2.1/24, 2001:db8:1::1/64). scapy in
# the client namespace sends datagrams of 1400 to 9000 bytes of UDP payload (the 4500 ones with
# the non-ESP marker), IPv4 and IPv6, as fragments in order, reversed and shuffled. The offline
# twin of this test, with byte-level checks of every fragment, is tests/dp/dp_exc_frag_scapy.py.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns.sh"
netns_need
[ -x "$DP" ] || skip "rampart-dp not built (no DPDK)"
ls /usr/lib/*/dpdk/pmds-*/librte_net_pcap.so* >/dev/null 2>&1 || skip "no net_pcap PMD"
ls /usr/lib/*/dpdk/pmds-*/librte_net_tap.so* >/dev/null 2>&1 || skip "no net_tap PMD"
read -r cpu0 cpu1 < <("$SCAPY_PY" -c 'import os; print(*sorted(os.sched_getaffinity(0))[:2])')
[ -n "${cpu1:-}" ] || skip "needs 2 CPUs (main lcore + one worker)"

inst=scxfc$$
TAP=rpxfc$$
TAP=${TAP:0:12}-o
scenario_cleanup() { rm -rf "/var/run/dpdk/rampart-$inst"; }

netns_topo_dp
ip netns exec "$NS_DP" sysctl -qw net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.default.rp_filter=1
for l in dp-out dp-in; do
	ip netns exec "$NS_DP" sysctl -qw "net.ipv4.conf.$l.arp_ignore=8" "net.ipv4.conf.$l.rp_filter=1"
done

cat >"$WORK/dp.conf" <<EOF
instance = "$inst";
log = { level = "info"; };
control = { region = "$WORK/$inst.ctl"; slots = 64; };
dataplane = {
  main_lcore = $cpu0;
  workers = [ $cpu1 ];
  hugepages = false;
  memory_mb = 256;
  idle_sleep_us = 50;
  ports = (
    { name = "outside"; role = "outside"; device = "net_pcap0,rx_iface_in=dp-out,tx_iface=dp-out";
      gateway_mac = "$MAC_CL_OUT"; },
    { name = "inside";  role = "inside";  device = "net_pcap1,rx_iface_in=dp-in,tx_iface=dp-in";
      gateway_mac = "$MAC_LAN"; },
    { name = "kern-o";  role = "exception"; device = "net_tap0,iface=$TAP"; serves = "outside"; }
  );
};
EOF
ip netns exec "$NS_DP" "$DP" -c "$WORK/dp.conf" >"$WORK/dp.log" 2>&1 &
dp_pid=$!
PIDS+=("$dp_pid")
if ! within 30 sh -c "grep -q 'rampart-dp running' '$WORK/dp.log' || ! kill -0 $dp_pid" ||
	! grep -q "rampart-dp running" "$WORK/dp.log"; then
	tail -n 30 "$WORK/dp.log"
	fail "rampart-dp did not come up"
fi
within 10 ip -n "$NS_DP" link show "$TAP" || fail "no exception tap $TAP"
ip netns exec "$NS_DP" sysctl -qw "net.ipv6.conf.$TAP.disable_ipv6=0" || fail "IPv6 on $TAP"
netns_addr "$NS_DP" "$TAP" "$DP_OUT4/24" "$DP_OUT6/64"
ip -n "$NS_DP" link set "$TAP" up
ip -n "$NS_DP" neigh replace "$CL_OUT4" lladdr "$MAC_CL_OUT" dev "$TAP" nud permanent
ip -n "$NS_DP" -6 neigh replace "$CL_OUT6" lladdr "$MAC_CL_OUT" dev "$TAP" nud permanent
mtu=$(ip netns exec "$NS_DP" cat "/sys/class/net/$TAP/mtu")
[ "$mtu" = 1500 ] || fail "the tap's MTU is $mtu, the test assumes 1500"
# The tap has the outside port's MAC: the client's frames go there.
dp_mac=$(ip netns exec "$NS_DP" cat "/sys/class/net/$TAP/address")
netns_neigh "$NS_CL" out0 "$DP_OUT4" "$dp_mac"
netns_neigh "$NS_CL" out0 "$DP_OUT6" "$dp_mac"
wait_ping "$NS_CL" "$DP_OUT4" 10 || { tail -n 20 "$WORK/dp.log"; fail "client cannot ping $DP_OUT4 (exception path)"; }
wait_ping "$NS_CL" "$DP_OUT6" 10 || { tail -n 20 "$WORK/dp.log"; fail "client cannot ping $DP_OUT6 (exception path)"; }
ok "rampart-dp up, client reaches $DP_OUT4 and $DP_OUT6 through the exception port ($TAP, MAC $dp_mac)"

ip netns exec "$NS_DP" "$SCAPY_PY" - "$DP_OUT4" "$DP_OUT6" "$WORK/got" "$WORK/ready" <<'PY' &
import hashlib, select, socket, sys
a4, a6, out, ready = sys.argv[1:5]
socks = []
for fam, addr in ((socket.AF_INET, a4), (socket.AF_INET6, a6)):
    for port in (500, 4500):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.bind((addr, port))
        socks.append(s)
open(ready, "w").close()
with open(out, "w") as f:
    while True:
        r, _, _ = select.select(socks, [], [], 30)
        if not r:
            break
        for s in r:
            data, peer = s.recvfrom(70000)
            f.write("%d %d %s\n" % (s.getsockname()[1], len(data), hashlib.sha256(data).hexdigest()))
            f.flush()
PY
PIDS+=("$!")
within 10 test -e "$WORK/ready" || fail "the UDP listener did not start"

ip netns exec "$NS_CL" "$SCAPY_PY" - "$CL_OUT4" "$DP_OUT4" "$CL_OUT6" "$DP_OUT6" "$dp_mac" \
	>"$WORK/sent" <<'PY' || fail "scapy sender"
import hashlib, random, sys
from scapy.all import (Ether, IP, IPv6, IPv6ExtHdrFragment, UDP, Raw, fragment, fragment6,
                       sendp, conf)
conf.verb = 0
c4, d4, c6, d6, mac = sys.argv[1:6]
rnd = random.Random(7)
ident = 3000
for af in (4, 6):
    for port, size, fsize, order in ((500, 3000, 1480, "inorder"), (4500, 9000, 1480, "reversed"),
                                     (500, 6000, 1232, "shuffled"), (4500, 1400, 576, "reversed"),
                                     (500, 2400, 1232, "inorder")):
        ident += 1
        body = bytes((i * 11 + size + af) % 251 for i in range(size))
        if port == 4500:
            body = b"\x00\x00\x00\x00" + body[4:]
        u = UDP(sport=port, dport=port) / Raw(body)
        if af == 4:
            frags = fragment(IP(src=c4, dst=d4, id=ident, flags=0) / u, fragsize=fsize)
        else:
            p = IPv6(src=c6, dst=d6, nh=44) / IPv6ExtHdrFragment(nh=17, id=ident) / u
            frags = fragment6(p, min(fsize + 48, 1500))
        frags = [Ether(dst=mac) / f for f in frags]
        if order == "reversed":
            frags.reverse()
        elif order == "shuffled":
            rnd.shuffle(frags)
        sendp(frags, iface="out0")
        print("%d %d %d %s %d %s" % (af, port, size, hashlib.sha256(body).hexdigest(),
                                      len(frags), order))
PY
fails=0
while read -r af port size sig nfrag order; do
	if within 5 grep -q "^$port $size $sig$" "$WORK/got"; then
		ok "IPv$af UDP $port, $size bytes in $nfrag fragments ($order): arrived whole and unchanged"
	else
		echo "FAIL: IPv$af UDP $port, $size bytes in $nfrag fragments ($order): did not arrive"
		fails=$((fails + 1))
	fi
done <"$WORK/sent"
n_sent=$(wc -l <"$WORK/sent")
n_got=$(wc -l <"$WORK/got")
[ "$n_got" = "$n_sent" ] || { echo "FAIL: $n_got datagrams received, $n_sent sent"; fails=$((fails + 1)); }

stop_pid "$dp_pid"
grep -E 'port "outside":|notice frag|kernel_frag_failed' "$WORK/dp.log"
if grep -E 'port "outside": .*(reassembl|frag_timeout|kernel_frag_failed)' "$WORK/dp.log"; then
	echo "FAIL: fragments or datagrams dropped on the outside port"
	fails=$((fails + 1))
fi
[ "$fails" = 0 ] || fail "$fails check(s) failed"
ok "every datagram reached the kernel through net_tap unchanged, no fragment dropped"
