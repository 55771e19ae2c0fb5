#!/usr/bin/env bash
# Quick single-worker throughput of rampart-dp on virtual devices (not a test: figures only).
#   outbound: inside = net_pcap replaying plain 64-byte-payload UDP packets forever
#             (infinite_rx), outside = net_null: packets/s encrypted;
#   inbound:  outside = net_pcap replaying ESP packets (scapy, SA without anti-replay),
#             inside = net_null: packets/s decrypted.
# usage: dp_bench.sh [cipher (aes-gcm-128|aes-cbc-128|chacha20-poly1305)] [seconds]
# The worker busy-polls (idle_sleep_us = 0); net_pcap's copying of every mbuf is part of
# the cost, so these are floors for what the ESP path does on a real NIC.
set -u
B=${RAMPART_BUILD_DIR:-/tmp/rp-h5}
DP=$B/dataplane/rampart-dp
PY=/usr/bin/python3
CIPHER=${1:-aes-gcm-128}
SECS=${2:-3}
read -r cpu0 cpu1 < <($PY -c 'import os; print(*sorted(os.sched_getaffinity(0))[:2])')
tmp=$(mktemp -d /tmp/rp-bench.XXXXXX)
trap 'rm -rf "$tmp" /var/run/dpdk/rampart-bench$$*' EXIT

$PY - "$tmp" "$CIPHER" <<'PYEOF'
import sys
from scapy.all import Ether, IP, UDP, Raw, wrpcap
from scapy.layers.ipsec import ESP, SecurityAssociation
d, cipher = sys.argv[1], sys.argv[2]
key = bytes(range(32))
alg = {"aes-gcm-128": ("AES-GCM", key[:20], None, None, "none"),
       "aes-cbc-128": ("AES-CBC", key[:16], "SHA2-256-128", bytes(32), "hmac-sha256-128"),
       "chacha20-poly1305": ("CHACHA20-POLY1305", key[:32] + b"salt", None, None, "none")}[cipher]
plain, esp = [], []
sa = SecurityAssociation(ESP, spi=0x1001, crypt_algo=alg[0], crypt_key=alg[1],
                         auth_algo=alg[2], auth_key=alg[3],
                         tunnel_header=IP(src="198.51.100.7", dst="192.0.2.1"))
for i in range(256):
    inner = IP(src="198.19.0.10", dst="198.18.0.%d" % (i % 250 + 1)) / UDP(sport=1000 + i, dport=2000) / Raw(bytes(64))
    plain.append(Ether(src="02:00:00:00:0e:01", dst="02:00:00:00:0d:01") / inner)
    back = IP(src="198.18.0.%d" % (i % 250 + 1), dst="198.19.0.10") / UDP(sport=2000, dport=1000 + i) / Raw(bytes(64))
    esp.append(Ether(src="02:00:00:00:0c:01", dst="02:00:00:00:0d:01") / sa.encrypt(back, seq_num=i + 1))
wrpcap(d + "/plain.pcap", plain)
wrpcap(d + "/esp.pcap", esp)
k = alg[1].hex()
# The manual SAs, pasted into the dataplane section of each run's configuration.
with open(d + "/manual_sas.inc", "w") as f:
    f.write('  manual_sas = (\n'
            '  { sa_id = 1; direction = "in"; spi = 0x1001; cipher = "%s"; integrity = "%s"; key = "%s"; %s'
            ' local = "192.0.2.1"; remote = "198.51.100.7"; traffic_selectors = [ "198.18.0.0/24" ]; },\n'
            '  { sa_id = 2; direction = "out"; spi = 0x2002; cipher = "%s"; integrity = "%s"; key = "%s"; %s'
            ' local = "192.0.2.1"; remote = "198.51.100.7"; routes = [ "198.18.0.0/24" ]; } );\n'
            % (cipher, alg[4], k, 'auth_key = "%s";' % alg[3].hex() if alg[3] else "",
               cipher, alg[4], k, 'auth_key = "%s";' % alg[3].hex() if alg[3] else ""))
PYEOF

run() { # name outside-device inside-device counter port
	local inst=bench$$$1
	cat > "$tmp/$1.conf" <<EOF2
instance = "$inst";
log = { level = "warn"; };
control = { region = "$tmp/$1.ctl"; slots = 64; };
dataplane = { main_lcore = $cpu0; workers = [ $cpu1 ]; hugepages = false; memory_mb = 512;
  idle_sleep_us = 0; burst = 32; sa_max = 64;
  ports = ( { name = "outside"; role = "outside"; device = "$2"; gateway_mac = "02:00:00:00:0a:01"; },
            { name = "inside"; role = "inside"; device = "$3"; gateway_mac = "02:00:00:00:0b:01"; } );
$(cat "$tmp/manual_sas.inc")
};
EOF2
	"$DP" -c "$tmp/$1.conf" 2>"$tmp/$1.log" &
	local pid=$!
	sleep 3
	$PY - "/var/run/dpdk/rampart-$inst/dpdk_telemetry.v2" "$4" "$5" "$SECS" "$1" "$CIPHER" <<'PYEOF'
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1]); json.loads(s.recv(16384).decode())
def q():
    s.send(b"/rampart/drops"); return json.loads(s.recv(65536).decode())["/rampart/drops"]
ctr, port, secs = sys.argv[2], sys.argv[3], float(sys.argv[4])
a = q(); t0 = time.time(); time.sleep(secs); b = q(); t1 = time.time()
rate = (b[port][ctr] - a[port][ctr]) / (t1 - t0)
drops = b[port]["total_drops"] - a[port]["total_drops"]
print("%s %s: %.2f Mpps %s on one worker (%d drops in the window)" % (sys.argv[5], sys.argv[6], rate / 1e6, ctr, drops))
PYEOF
	kill -INT $pid; wait $pid
}
run outbound "net_null0,no-rx=1" "net_pcap0,rx_pcap=$tmp/plain.pcap,infinite_rx=1" encrypted inside
run inbound "net_pcap0,rx_pcap=$tmp/esp.pcap,infinite_rx=1" "net_null0,no-rx=1" decrypted outside
