#!/usr/bin/env bash
# Fragmentation and MTU: rampart-dp on net_pcap ports against scapy (dp_frag_scapy.py says
# what is checked): outer IPv4/IPv6 fragments of ESP and ESP-in-UDP reassembled before
# decryption; inner packets over the SA's tunnel_mtu fragmented before encryption (IPv4, DF
# clear) or answered with ICMP fragmentation needed / ICMPv6 packet too big.
# Exits 77 (skipped) when it cannot run here: not root, fewer than 2 CPUs, no net_pcap, no
# scapy.
set -u

B=${RAMPART_BUILD_DIR:?run through meson test}
S=${RAMPART_SOURCE_DIR:?run through meson test}
DP=$B/dataplane/rampart-dp
PY=/usr/bin/python3
E2E=$S/tests/dp/dp_frag_scapy.py

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "DPDK needs root here"
read -r cpu0 cpu1 < <($PY -c 'import os; print(*sorted(os.sched_getaffinity(0))[:2])')
[ -n "${cpu1:-}" ] || skip "needs 2 CPUs (main lcore + one worker)"
ls /usr/lib/*/dpdk/pmds-*/librte_net_pcap.so* >/dev/null 2>&1 || skip "no net_pcap driver"
$PY -c 'import scapy.layers.ipsec, cryptography' 2>/dev/null ||
	skip "python3-scapy with python3-cryptography is needed (apt-get install python3-scapy)"

tmp=$(mktemp -d /tmp/rp-dp-frag-scapy.XXXXXX)
inst=frag$$
dp_pid=
cleanup() {
	[ -n "$dp_pid" ] && kill -KILL "$dp_pid" 2>/dev/null
	rm -rf "/var/run/dpdk/rampart-$inst"
	[ "${KEEP_WORK:-0}" = 1 ] && echo "work directory kept: $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT

$PY "$E2E" gen "$tmp" || exit $?
read -r n_out n_in < <($PY -c 'import json,sys; e=json.load(open(sys.argv[1])); print(e["outside_in"], e["inside_in"])' "$tmp/expect.json")

cat > "$tmp/dp.conf" <<EOF2
instance = "$inst";
log = { level = "info"; };
control = { region = "$tmp/ctl"; slots = 64; };
dataplane = {
  main_lcore = $cpu0;
  workers = [ $cpu1 ];
  hugepages = false;
  memory_mb = 512;
  idle_sleep_us = 100;
$(cat "$tmp/dataplane.inc")
};
EOF2

"$DP" -c "$tmp/dp.conf" 2>"$tmp/dp.log" &
dp_pid=$!
for _ in $(seq 300); do
	grep -q "rampart-dp running" "$tmp/dp.log" && break
	kill -0 "$dp_pid" 2>/dev/null || break
	sleep 0.1
done
grep -q "rampart-dp running" "$tmp/dp.log" || { cat "$tmp/dp.log"; echo "FAIL: rampart-dp did not come up"; exit 1; }

# Until every input frame was received (and a little longer for the last burst to leave).
$PY - "/var/run/dpdk/rampart-$inst/dpdk_telemetry.v2" "$n_out" "$n_in" <<'PYEOF'
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
json.loads(s.recv(16384).decode())
def q(cmd):
    s.send(cmd.encode())
    return json.loads(s.recv(65536).decode())[cmd.split(",")[0]]
want = {"outside": int(sys.argv[2]), "inside": int(sys.argv[3])}
for _ in range(300):
    d = q("/rampart/drops")
    if all(d[p]["rx_packets"] >= n for p, n in want.items()):
        break
    time.sleep(0.1)
# Incomplete datagrams time out after 2 s (DP_FRAG_TIMEOUT_MS), scanned every 100 ms.
time.sleep(2.6)
print(json.dumps(q("/rampart/drops"), sort_keys=True))
print(json.dumps(q("/rampart/workers"), sort_keys=True))
PYEOF

kill -INT "$dp_pid"
wait "$dp_pid"
rc=$?
dp_pid=
[ $rc -eq 0 ] || { cat "$tmp/dp.log"; echo "FAIL: rampart-dp exited with $rc"; exit 1; }
grep -E 'port "(outside|inside)": .* packets received' "$tmp/dp.log"
$PY "$E2E" check "$tmp"
