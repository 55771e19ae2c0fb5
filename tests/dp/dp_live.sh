#!/usr/bin/env bash
# rampart-dp for real, on DPDK virtual devices (net_ring and net_pcap, --no-huge, --no-pci):
#   - it starts, brings both ports up and attaches to its control region;
#   - dp_probe, standing in for rampartd, gets an answer to every command (PONG, PORT_INFO +
#     DUMP_END, ACK -EOPNOTSUPP for SA/route commands, ERROR for a malformed one) and loses
#     none when the event ring is full;
#   - the 10 frames of the inside port's pcap are counted as "unhandled" drops (telemetry
#     /rampart/drops, and the exit summary);
#   - SIGINT stops it with status 0;
#   - a control region of another layout version makes it exit non-zero, saying so.
# Exits 77 (skipped) when it cannot run here: not root, fewer than 2 CPUs, no net_pcap driver.
set -u

B=${RAMPART_BUILD_DIR:?run through meson test}
DP=$B/dataplane/rampart-dp
PROBE=$B/tests/dp/dp_probe
PY=/usr/bin/python3

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "DPDK needs root here"
read -r cpu0 cpu1 < <($PY -c 'import os; print(*sorted(os.sched_getaffinity(0))[:2])')
[ -n "${cpu1:-}" ] || skip "needs 2 CPUs (main lcore + one worker)"
ls /usr/lib/*/dpdk/pmds-*/librte_net_pcap.so* >/dev/null 2>&1 || skip "no net_pcap driver"

tmp=$(mktemp -d /tmp/rp-dp-live.XXXXXX)
inst=dplive$$
dp_pid=
cleanup() {
	[ -n "$dp_pid" ] && kill -KILL "$dp_pid" 2>/dev/null
	rm -rf "$tmp" "/var/run/dpdk/rampart-$inst"
}
trap cleanup EXIT

fails=0
pass() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# 10 Ethernet/IPv4/UDP frames, pcap format written by hand (no scapy needed).
$PY - "$tmp/in.pcap" <<'PYEOF'
import struct, sys
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i in range(10):
        udp = struct.pack("!HHHH", 4000, 5000, 8 + 18, 0) + bytes(18)
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i, 0, 64, 17, 0,
                         bytes([198, 18, 0, 1]), bytes([198, 18, 0, 2])) + udp
        eth = bytes.fromhex("020000000002" "020000000001" "0800") + ip
        f.write(struct.pack("<IIII", 1, i, len(eth), len(eth)) + eth)
PYEOF

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
  ports = (
    { name = "outside"; role = "outside"; device = "net_ring0"; },
    { name = "inside";  role = "inside";  device = "net_pcap0,rx_pcap=$tmp/in.pcap,tx_pcap=$tmp/out.pcap"; }
  );
};
EOF2

args=$("$DP" -c "$tmp/dp.conf" --print-eal-args)
echo "EAL arguments: $args"
case " $args " in *" --no-huge "*" --no-pci "*) pass "--print-eal-args: --no-huge, --no-pci" ;;
	*) fail "--print-eal-args lacks --no-huge or --no-pci" ;; esac

# wait_log PATTERN SECONDS
wait_log() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		grep -q -- "$1" "$tmp/dp.log" && return 0
		[ -n "$dp_pid" ] && ! kill -0 "$dp_pid" 2>/dev/null && return 1
		sleep 0.1
	done
	return 1
}

"$DP" -c "$tmp/dp.conf" 2>"$tmp/dp.log" &
dp_pid=$!
if wait_log "rampart-dp running" 30; then
	pass "rampart-dp is up (pid $dp_pid)"
else
	fail "rampart-dp did not come up"; cat "$tmp/dp.log"; exit 1
fi

if "$PROBE" "$tmp/ctl" 2; then pass "control channel: every command answered"
else fail "control channel (dp_probe above)"; fi

wait_log "rampartd detached" 3 && grep -q "rampartd attached (pid" "$tmp/dp.log" &&
	pass "rampartd's attach and detach are logged" || fail "peer attach/detach not logged"

# The pcap's frames: received by the worker and dropped as "unhandled".
tele=$($PY - "/var/run/dpdk/rampart-$inst/dpdk_telemetry.v2" <<'PYEOF'
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
json.loads(s.recv(16384).decode())
def q(cmd):
    s.send(cmd.encode())
    return json.loads(s.recv(65536).decode())[cmd.split(",")[0]]
for _ in range(50):
    d = q("/rampart/drops")
    if d["inside"]["unhandled"] >= 10:
        break
    time.sleep(0.1)
print(json.dumps(d, sort_keys=True))
print(json.dumps(q("/rampart/drops,inside"), sort_keys=True))
print(json.dumps(q("/rampart/drop_reasons"), sort_keys=True))
print(json.dumps(q("/rampart/workers"), sort_keys=True))
PYEOF
)
echo "$tele"
if echo "$tele" | head -1 | grep -q '"inside": {"rx_packets": 10, "total_drops": 10, "unhandled": 10}'; then
	pass "telemetry /rampart/drops: 10 frames received on inside, 10 dropped as unhandled"
else
	fail "telemetry /rampart/drops does not show the 10 unhandled frames"
fi

kill -INT "$dp_pid"
wait "$dp_pid"
rc=$?
dp_pid=
if [ $rc -eq 0 ] && grep -q "rampart-dp stopped$" "$tmp/dp.log"; then
	pass "SIGINT: clean exit (status 0)"
else
	fail "SIGINT: status $rc"
fi
grep -q 'port "inside": 10 packets received by workers, drops: unhandled=10' "$tmp/dp.log" &&
	pass "exit summary counts the drops" || fail "exit summary lacks the drops"
grep -q 'answers held for a full ring, 0 lost' "$tmp/dp.log" &&
	pass "no answer lost" || fail "answers lost"
echo "--- rampart-dp log ---"
cat "$tmp/dp.log"
echo "---"

# A region left by a build of another layout version: refuse, say why, exit non-zero.
printf '\x63\x00\x00\x00' | dd of="$tmp/ctl" bs=1 seek=8 conv=notrunc status=none
"$DP" -c "$tmp/dp.conf" 2>"$tmp/dp2.log"
rc=$?
if [ $rc -ne 0 ] && grep -q "layout version 99" "$tmp/dp2.log"; then
	pass "version mismatch: exit $rc, $(grep -o 'control region has layout version 99[^;]*' "$tmp/dp2.log" | head -1)"
else
	fail "version mismatch: status $rc"; cat "$tmp/dp2.log"
fi

[ $fails -eq 0 ] && echo "dp_live: all passed" || echo "dp_live: $fails failed"
exit $((fails > 0))
