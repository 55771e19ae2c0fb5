#!/usr/bin/env bash
# IKE datagrams larger than the link MTU reach the concentrator's own sockets: a client
# without IKE fragmentation (RFC 7383) sends a big IKE_AUTH (certificates) as IP fragments;
# rampart-dp reassembles outer fragments (it must, to tell ESP-in-UDP from IKE on 4500) and
# hands the datagram to the kernel through the exception port.
#
# net_af_packet cannot show rampart-dp the fragments themselves: DPDK 22.11 opens its socket
# with PACKET_FANOUT_FLAG_DEFRAG, so the kernel reassembles and delivers each datagram as one
# frame (as a NIC with LRO would), truncated to the ring's frame size. So the outside port
# gets 8 KiB frames (and the mbufs room for them) here, and what is tested is rampart-dp's side: a frame
# for the kernel larger than the exception port's MTU (1500) is fragmented again on its way
# there (dp_frag_for_kernel()), and the kernel reassembles it. The reassembly of fragments
# that do reach rampart-dp is tested offline (tests/dp/dp_frag_scapy.py on net_pcap).
#
# Topology and rampart-dp as in ike_lib.sh; instead of rampartd a UDP listener on
# 192.0.2.1:500 and :4500 in rampart-dp's namespace records what arrives. scapy in the client
# namespace sends, to each port, datagrams of 1000, 2400 and 6000 bytes of UDP payload
# (the 4500 ones start with the non-ESP marker), IP-fragmented at 1500 and at 576 bytes.
# Every one must arrive whole and unchanged.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns.sh"
. "$(dirname "$0")/ike_lib.sh"
ike_need
IKE_OUTSIDE_DEVARGS=",framesz=8192,blocksz=8192"
IKE_DP_EXTRA="mbuf_data_room = 8192;"

ike_write_conf
ike_topo
ike_start_dp

ip netns exec "$NS_DP" "$SCAPY_PY" - "$DP_OUT4" "$WORK/got" "$WORK/ready" <<'PY' &
import select, socket, sys
addr, out, ready = sys.argv[1], sys.argv[2], sys.argv[3]
socks = []
for port in (500, 4500):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
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
            f.write("%d %d %s\n" % (s.getsockname()[1], len(data), data[:4].hex() + data[-4:].hex()))
            f.flush()
PY
PIDS+=("$!")
within 10 test -e "$WORK/ready" || fail "the UDP listener did not start"

ip netns exec "$NS_CL" "$SCAPY_PY" - "$CL_OUT4" "$DP_OUT4" >"$WORK/sent" <<'PY' || fail "scapy sender"
import sys
from scapy.all import IP, UDP, Raw, fragment, send, conf
conf.verb = 0
src, dst = sys.argv[1], sys.argv[2]
ident = 1000
for port in (500, 4500):
    for size in (1000, 2400, 6000):
        for fsize in (1480, 552):
            body = bytes((i * 13 + size) % 251 for i in range(size))
            if port == 4500:
                body = b"\x00\x00\x00\x00" + body[4:]
            ident += 1
            p = IP(src=src, dst=dst, id=ident, flags=0) / UDP(sport=port, dport=port) / Raw(body)
            frags = fragment(p, fragsize=fsize) if len(p) > fsize + 20 else [p]
            send(frags)
            print("%d %d %s %d" % (port, size, body[:4].hex() + body[-4:].hex(), len(frags)))
PY
sleep 1
fails=0
while read -r port size sig nfrag; do
	if grep -q "^$port $size $sig$" "$WORK/got"; then
		ok "UDP $port, $size bytes in $nfrag IP fragment(s): arrived whole"
	else
		echo "FAIL: UDP $port, $size bytes in $nfrag IP fragment(s): did not arrive"; fails=$((fails + 1))
	fi
done <"$WORK/sent"
if [ "$fails" != 0 ]; then
	"$SCAPY_PY" "$DP_TEL" get "rampart-$inst" /rampart/drops,outside /rampart/drops,kern-o 2>&1 | tail -n 4
	fail "$fails datagram(s) lost on the way to the kernel"
fi
