#!/usr/bin/env bash
# rampart-dp between two network namespaces over veth pairs (net_af_packet), with a net_tap
# exception port per side, and scapy playing the client:
#
#   ns rpx-cli (client)         ns rpx-dp: rampart-dp                ns rpx-host (inside)
#   203.0.113.2 --veth-- outside [af_packet] ... inside [af_packet] --veth-- 198.51.100.2
#                        |  exception tap rpx-to          | exception tap rpx-ti
#                        |  203.0.113.1/24 (kernel)         | 198.51.100.1/24 (kernel)
#
# Checks, each stated: the kernel answers ARP for the taps' addresses through rampart-dp
# (ping from both namespaces works: ARP, ICMP in, ICMP out); rampart-dp learned both
# neighbours from that ARP (/rampart/neighbors) with no gateway_mac configured; IKE on UDP 500
# and on 4500 with the non-ESP marker reaches a socket on the tap address and its answer
# returns; a NAT-T keepalive is dropped and counted, not delivered; ESP from the client
# (scapy, AES-GCM over UDP 4500) is decrypted and the inner packet reaches the host's socket
# unchanged; the host's answer is encrypted back to the client's learned MAC and scapy
# decrypts it.
# rampart-dp runs in a namespace of its own (rpx-dp), so the taps' kernel side (the
# concentrator's own stack, where IKE sockets live) is separate from the machine's. That
# kernel must not also answer on the veth ends rampart-dp reads with af_packet (it would see
# the same frames): ARP is off there (arp_ignore 8) and strict reverse-path filtering drops
# IP that would reach the taps' addresses through them.
# Exits 77 when it cannot run here: not root, < 2 CPUs, no net_af_packet / net_tap, no
# /dev/net/tun, no netns support, no ethtool, no scapy.
set -u

B=${RAMPART_BUILD_DIR:?run through meson test}
DP=$B/dataplane/rampart-dp
PY=/usr/bin/python3

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root"
read -r cpu0 cpu1 < <($PY -c 'import os; print(*sorted(os.sched_getaffinity(0))[:2])')
[ -n "${cpu1:-}" ] || skip "needs 2 CPUs (main lcore + one worker)"
ls /usr/lib/*/dpdk/pmds-*/librte_net_af_packet.so* >/dev/null 2>&1 || skip "no net_af_packet driver"
ls /usr/lib/*/dpdk/pmds-*/librte_net_tap.so* >/dev/null 2>&1 || skip "no net_tap driver"
[ -c /dev/net/tun ] || skip "no /dev/net/tun (net_tap needs it)"
$PY -c 'import scapy.layers.ipsec' 2>/dev/null || skip "python3-scapy is needed"

tag=rpx$$
tag=${tag:0:8}
CLI=$tag-cli
HOST=$tag-host
DPNS=$tag-dp
tmp=$(mktemp -d /tmp/rp-dp-exc.XXXXXX)
inst=exc$$
dp_pid=
cleanup() {
	[ -n "$dp_pid" ] && kill -TERM "$dp_pid" 2>/dev/null && sleep 1 && kill -KILL "$dp_pid" 2>/dev/null
	ip netns del "$CLI" 2>/dev/null
	ip netns del "$HOST" 2>/dev/null
	ip netns del "$DPNS" 2>/dev/null
	rm -rf "/var/run/dpdk/rampart-$inst"
	[ "${KEEP_WORK:-0}" = 1 ] && echo "work directory kept: $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT

fails=0
pass() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

ip netns add "$CLI" 2>/dev/null || skip "cannot create network namespaces here"
ip netns add "$HOST"
ip netns add "$DPNS"
ip -n "$DPNS" link add "$tag-o" type veth peer name "$tag-c" netns "$CLI" ||
	skip "cannot create veth pairs"
ip -n "$DPNS" link add "$tag-i" type veth peer name "$tag-h" netns "$HOST"
ip -n "$DPNS" link set lo up
ip netns exec "$DPNS" sysctl -qw net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.default.rp_filter=1
for l in "$tag-o" "$tag-i"; do
	ip -n "$DPNS" link set "$l" up
	# rampart-dp owns these: keep the namespace's own stack off them.
	ip netns exec "$DPNS" sysctl -qw "net.ipv6.conf.$l.disable_ipv6=1" \
		"net.ipv4.conf.$l.arp_ignore=8" "net.ipv4.conf.$l.rp_filter=1"
done
ip -n "$CLI" link set lo up
ip -n "$CLI" link set "$tag-c" address 02:00:00:00:0c:02 up
ip -n "$CLI" addr add 203.0.113.2/24 dev "$tag-c"
ip -n "$HOST" link set lo up
ip -n "$HOST" link set "$tag-h" address 02:00:00:00:0e:02 up
ip -n "$HOST" addr add 198.51.100.2/24 dev "$tag-h"
ip -n "$HOST" route add 198.18.0.0/15 via 198.51.100.1
# A veth hands its peer packets whose TCP/UDP checksum is left for a NIC to fill in; read
# with af_packet they would reach the taps (and the tunnel) with it unfilled. Real NICs and
# real clients do not do that: make the namespaces' stacks compute it.
for ns in "$CLI:$tag-c" "$HOST:$tag-h"; do
	ip netns exec "${ns%%:*}" ethtool -K "${ns#*:}" tx off >/dev/null 2>&1 ||
		skip "cannot turn off checksum offload on the veths (ethtool)"
done

KEY=000102030405060708090a0b0c0d0e0fa1a2a3a4
# No gateway_mac, no static neighbours: every MAC must come from ARP.
cat > "$tmp/dp.conf" <<EOF2
instance = "$inst";
log = { level = "info"; };
control = { region = "$tmp/ctl"; slots = 64; };
dataplane = {
  main_lcore = $cpu0;
  workers = [ $cpu1 ];
  hugepages = false;
  memory_mb = 256;
  idle_sleep_us = 100;
  sa_max = 64;
  ports = (
    { name = "outside"; role = "outside"; device = "net_af_packet0,iface=$tag-o"; },
    { name = "inside";  role = "inside";  device = "net_af_packet1,iface=$tag-i"; },
    { name = "kern-o";  role = "exception"; device = "net_tap0,iface=$tag-to"; },
    { name = "kern-i";  role = "exception"; device = "net_tap1,iface=$tag-ti"; }
  );
  manual_sas = (
    { sa_id = 1; direction = "in"; spi = 0x1001; cipher = "aes-gcm-128"; key = "0x$KEY";
      local = "203.0.113.1"; remote = "203.0.113.2"; natt = true;
      traffic_selectors = [ "198.18.0.0/24" ]; replay_window = 64; },
    { sa_id = 2; direction = "out"; spi = 0x2002; cipher = "aes-gcm-128"; key = "0x$KEY";
      local = "203.0.113.1"; remote = "203.0.113.2"; natt = true; routes = [ "198.18.0.0/24" ]; }
  );
};
EOF2

ip netns exec "$DPNS" "$DP" -c "$tmp/dp.conf" 2>"$tmp/dp.log" &
dp_pid=$!
for _ in $(seq 300); do
	grep -q "rampart-dp running" "$tmp/dp.log" && break
	kill -0 "$dp_pid" 2>/dev/null || break
	sleep 0.1
done
grep -q "rampart-dp running" "$tmp/dp.log" || { cat "$tmp/dp.log"; fail "rampart-dp did not come up"; exit 1; }
pass "rampart-dp up with net_af_packet ports and net_tap exception ports"

# The kernel's side of each exception port.
ip -n "$DPNS" addr add 203.0.113.1/24 dev "$tag-to" && ip -n "$DPNS" link set "$tag-to" up
ip -n "$DPNS" addr add 198.51.100.1/24 dev "$tag-ti" && ip -n "$DPNS" link set "$tag-ti" up
ip netns exec "$DPNS" sysctl -qw "net.ipv6.conf.$tag-to.disable_ipv6=1" \
	"net.ipv6.conf.$tag-ti.disable_ipv6=1"
omac=$(ip netns exec "$DPNS" cat "/sys/class/net/$tag-to/address" | tr a-f A-F)
grep -q "exception port \"kern-o\" (kernel interface $tag-to, MAC $omac) is the kernel path of port \"outside\"" "$tmp/dp.log" &&
	pass "tap $tag-to has the outside port's MAC ($omac)" || fail "tap MAC / pairing not as logged"

if ip netns exec "$CLI" ping -c 2 -W 2 203.0.113.1 >"$tmp/ping1" 2>&1; then
	pass "client pings 203.0.113.1 (ARP and ICMP through the outside exception path)"
else
	fail "client cannot ping the concentrator"; cat "$tmp/ping1"
fi
if ip netns exec "$HOST" ping -c 2 -W 2 198.51.100.1 >"$tmp/ping2" 2>&1; then
	pass "inside host pings 198.51.100.1 (inside exception path)"
else
	fail "inside host cannot ping the concentrator"; cat "$tmp/ping2"
fi

# IKE: UDP 500, and 4500 with the non-ESP marker, to a socket on the tap address; and a
# NAT-T keepalive that must not arrive.
ip netns exec "$DPNS" $PY -u - <<'PYEOF' >"$tmp/ike.srv" 2>&1 &
import socket, select, time
socks = []
for port in (500, 4500):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("203.0.113.1", port))
    socks.append(s)
end = time.time() + 8
while time.time() < end:
    r, _, _ = select.select(socks, [], [], 0.2)
    for s in r:
        data, peer = s.recvfrom(2048)
        print("got %d %s %s" % (s.getsockname()[1], peer[0], data.hex()), flush=True)
        s.sendto(b"\x00\x00\x00\x00answer" if s.getsockname()[1] == 4500 else b"answer", peer)
PYEOF
srv=$!
sleep 0.5
ip netns exec "$CLI" $PY - <<'PYEOF' >"$tmp/ike.cli" 2>&1
import socket
out = []
for port, payload in ((500, b"ike-sa-init"), (4500, b"\x00\x00\x00\x00ike-auth")):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("203.0.113.2", port))
    s.settimeout(2)
    s.sendto(payload, ("203.0.113.1", port))
    try:
        print("answer %d %s" % (port, s.recvfrom(2048)[0].hex()), flush=True)
    except socket.timeout:
        print("timeout %d" % port, flush=True)
    if port == 4500:
        s.sendto(b"\xff", ("203.0.113.1", 4500))   # NAT-T keepalive
    s.close()
PYEOF
sleep 0.5
kill "$srv" 2>/dev/null; wait "$srv" 2>/dev/null
cat "$tmp/ike.srv" "$tmp/ike.cli"
grep -q "got 500 203.0.113.2 $(printf 'ike-sa-init' | od -An -tx1 | tr -d ' \n')" "$tmp/ike.srv" &&
	grep -q "answer 500 $(printf 'answer' | od -An -tx1 | tr -d ' \n')" "$tmp/ike.cli" &&
	pass "IKE on UDP 500 reaches the kernel socket and the answer comes back" ||
	fail "IKE on UDP 500"
grep -q "got 4500 203.0.113.2 00000000$(printf 'ike-auth' | od -An -tx1 | tr -d ' \n')" "$tmp/ike.srv" &&
	grep -q "answer 4500 00000000" "$tmp/ike.cli" &&
	pass "IKE on UDP 4500 (non-ESP marker) reaches the kernel socket and the answer comes back" ||
	fail "IKE on UDP 4500"
[ "$(grep -c "^got 4500" "$tmp/ike.srv")" = 1 ] &&
	pass "the NAT-T keepalive was not delivered to the socket" || fail "keepalive delivered"

# ESP both ways, scapy on the client; the host answers with a UDP echo.
ip netns exec "$HOST" $PY - <<'PYEOF' >"$tmp/host.out" 2>&1 &
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.51.100.2", 7000))
s.settimeout(6)
try:
    data, peer = s.recvfrom(2048)
    print("host got %s from %s:%d" % (data.decode(), peer[0], peer[1]), flush=True)
    s.sendto(b"echo:" + data, peer)
except socket.timeout:
    print("host timeout", flush=True)
PYEOF
host=$!
sleep 0.5
ip netns exec "$CLI" $PY - "$tag-c" "$KEY" <<'PYEOF' >"$tmp/esp.out" 2>&1
import sys, time
from scapy.all import Ether, IP, UDP, Raw, sendp, AsyncSniffer, conf
from scapy.layers.ipsec import ESP, SecurityAssociation
conf.verb = 0
iface, key = sys.argv[1], bytes.fromhex(sys.argv[2])
sa_in = SecurityAssociation(ESP, spi=0x1001, crypt_algo="AES-GCM", crypt_key=key,
                            tunnel_header=IP(src="203.0.113.2", dst="203.0.113.1"))
sa_out = SecurityAssociation(ESP, spi=0x2002, crypt_algo="AES-GCM", crypt_key=key,
                             tunnel_header=IP(src="203.0.113.1", dst="203.0.113.2"))
inner = IP(src="198.18.0.5", dst="198.51.100.2") / UDP(sport=7001, dport=7000) / Raw(b"hello through the tunnel")
esp = bytes(sa_in.encrypt(inner, seq_num=1)[ESP])
frame = (Ether(src="02:00:00:00:0c:02", dst="ff:ff:ff:ff:ff:ff") /
         IP(src="203.0.113.2", dst="203.0.113.1") / UDP(sport=4500, dport=4500, chksum=0) / Raw(esp))
sn = AsyncSniffer(iface=iface, filter="udp and dst port 4500 and src host 203.0.113.1")
sn.start()
time.sleep(0.5)
sendp(frame, iface=iface)
time.sleep(2)
sn.stop()
ok = 0
for f in sn.results:
    pl = bytes(f[UDP].payload)
    if pl[:4] == b"\x00\x00\x00\x00":
        continue
    dec = sa_out.decrypt(IP(src=f[IP].src, dst=f[IP].dst, proto=50) / ESP(pl))
    print("client decrypted from %s: %s %s -> %s %r" % (f.src, dec.summary(), dec[IP].src,
          dec[IP].dst, bytes(dec[UDP].payload)), flush=True)
    # The inner UDP checksum as the host computed it, carried unchanged.
    sent = dec[UDP].chksum
    dec[UDP].chksum = None
    good_ck = IP(bytes(dec))[UDP].chksum == sent
    if (f.dst == "02:00:00:00:0c:02" and good_ck and
            bytes(dec[UDP].payload) == b"echo:hello through the tunnel"):
        ok += 1
print("ESP_OK" if ok == 1 else "ESP_BAD %d" % ok)
PYEOF
wait "$host" 2>/dev/null
cat "$tmp/host.out" "$tmp/esp.out"
grep -q "host got hello through the tunnel from 198.18.0.5:7001" "$tmp/host.out" &&
	pass "ESP from the client (scapy, AES-GCM, UDP 4500) decrypted; the inner packet reached the inside host" ||
	fail "inbound ESP did not reach the host"
grep -q "ESP_OK" "$tmp/esp.out" &&
	pass "the host's answer was encrypted to the client's learned MAC and scapy decrypted it" ||
	fail "outbound ESP to the client"

tele=$($PY - "/var/run/dpdk/rampart-$inst/dpdk_telemetry.v2" <<'PYEOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
json.loads(s.recv(16384).decode())
def q(cmd):
    s.send(cmd.encode())
    return json.loads(s.recv(65536).decode())[cmd.split(",")[0]]
print(json.dumps(q("/rampart/neighbors"), sort_keys=True))
print(json.dumps(q("/rampart/drops"), sort_keys=True))
PYEOF
)
echo "$tele"
echo "$tele" | head -1 | grep -q '"outside/203_0_113_2": "02:00:00:00:0C:02"' &&
	echo "$tele" | head -1 | grep -q '"inside/198_51_100_2": "02:00:00:00:0E:02"' &&
	pass "both neighbours learned from ARP (no gateway_mac configured)" ||
	fail "neighbours not learned"
echo "$tele" | tail -1 | grep -q '"natt_keepalive": 1' &&
	pass "keepalive counted (natt_keepalive 1)" || fail "keepalive not counted"

kill -INT "$dp_pid"
wait "$dp_pid"
rc=$?
dp_pid=
[ $rc -eq 0 ] && pass "SIGINT: clean exit" || fail "exit status $rc"
grep -E 'port "(outside|inside|kern-o|kern-i)":' "$tmp/dp.log" | tail -4
[ $fails -eq 0 ] && echo "dp_exception: all passed" || { echo "dp_exception: $fails failed"; tail -30 "$tmp/dp.log"; }
exit $((fails > 0))
