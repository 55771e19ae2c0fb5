#!/usr/bin/env bash
# rampart-dp on net_pcap ports against scapy, packet by packet. usage: dp_scapy_pcap.sh CASE
#   esp   the ESP fast path's acceptance test: every algorithm, IPv4/IPv6 outer and inner, with
#         and without NAT-T, with and without ESN (dp_esp_scapy.py says what is checked);
#   frag  fragmentation and MTU: outer IPv4/IPv6 fragments reassembled before decryption, inner
#         packets over the tunnel MTU fragmented or answered with ICMP "too big" (dp_frag_scapy.py).
#   excfrag  reassembled IKE datagrams larger than one mbuf reach the exception port as chains,
#         cut again to its MTU; ESP ones too big for one mbuf dropped (dp_exc_frag_scapy.py).
# The CASE's script writes the input pcaps and the dataplane section (manual SAs, static next
# hops); rampart-dp reads ESP frames from the outside port's rx_pcap and plain frames from the
# inside port's, and writes tx_pcaps that the script then checks.
# Exits 77 (skipped) when it cannot run here: not root, fewer than 2 CPUs, no net_pcap, no
# scapy.
set -u

B=${RAMPART_BUILD_DIR:?run through meson test}
S=${RAMPART_SOURCE_DIR:?run through meson test}
DP=$B/dataplane/rampart-dp
PY=/usr/bin/python3
case "${1:-}" in
esp)	E2E=$S/tests/dp/dp_esp_scapy.py
	settle=0.3                         # the last burst leaves
	queries='/rampart/sa /rampart/sa,1001' ;;
frag)	E2E=$S/tests/dp/dp_frag_scapy.py
	settle=2.6                         # incomplete datagrams time out after 2 s, scanned every 100 ms
	queries='/rampart/workers' ;;
excfrag) E2E=$S/tests/dp/dp_exc_frag_scapy.py
	settle=0.3
	queries='/rampart/workers' ;;
*)	echo "usage: $0 esp|frag|excfrag" >&2; exit 2 ;;
esac

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "DPDK needs root here"
read -r cpu0 cpu1 < <($PY -c 'import os; print(*sorted(os.sched_getaffinity(0))[:2])')
[ -n "${cpu1:-}" ] || skip "needs 2 CPUs (main lcore + one worker)"
ls /usr/lib/*/dpdk/pmds-*/librte_net_pcap.so* >/dev/null 2>&1 || skip "no net_pcap driver"
$PY -c 'import scapy.layers.ipsec, cryptography' 2>/dev/null ||
	skip "python3-scapy with python3-cryptography is needed (apt-get install python3-scapy)"

tmp=$(mktemp -d /tmp/rp-dp-$1-scapy.XXXXXX)
inst=$1$$
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
{ $PY - "/var/run/dpdk/rampart-$inst/dpdk_telemetry.v2" "$n_out" "$n_in" "$settle" $queries <<'PYEOF'
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
time.sleep(float(sys.argv[4]))
print(json.dumps(q("/rampart/drops"), sort_keys=True))
for cmd in sys.argv[5:]:
    print(json.dumps(q(cmd), sort_keys=True)[:600])
PYEOF
} | tee "$tmp/telemetry.txt"

kill -INT "$dp_pid"
wait "$dp_pid"
rc=$?
dp_pid=
[ $rc -eq 0 ] || { cat "$tmp/dp.log"; echo "FAIL: rampart-dp exited with $rc"; exit 1; }
grep -E 'port "(outside|inside)": .* packets received' "$tmp/dp.log"
$PY "$E2E" check "$tmp"
