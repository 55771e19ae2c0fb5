#!/usr/bin/env bash
# rampart-dp for real, on DPDK virtual devices (net_pcap and net_null, --no-huge, --no-pci),
# with traffic flowing: the inside port replays 10 frames to 198.18.0.2 forever (net_pcap
# infinite_rx), the outside port discards what it is given (net_null).
#   - it starts, brings both ports up and attaches to its control region;
#   - dp_probe, standing in for rampartd, checks every answer: PONG, PORT_INFO + DUMP_END,
#     SA_ADD / ROUTE_ADD ACKed 0 and the traffic encrypted, every refusal with its reason,
#     a make-before-break rekey, SA_DUMP, LIFETIME soft/hard with the hard limit enforced,
#     a resync, 5000 SA pairs added / dumped / deleted while traffic flows, ERROR for a
#     malformed command, no answer lost when the event ring is full;
#   - telemetry shows the counters (/rampart/drops, /rampart/sa, /rampart/workers);
#   - SIGINT stops it with status 0;
#   - a control region of another layout version makes it exit non-zero, saying so.
# Exits 77 (skipped) when it cannot run here: not root, fewer than 2 CPUs, no net_pcap or
# net_null driver.
set -u

B=${RAMPART_BUILD_DIR:?run through meson test}
DP=$B/dataplane/rampart-dp
PROBE=$B/tests/dp/dp_probe
PY=/usr/bin/python3
SCALE=${DP_LIVE_SCALE:-5000}

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "DPDK needs root here"
read -r cpu0 cpu1 < <($PY -c 'import os; print(*sorted(os.sched_getaffinity(0))[:2])')
[ -n "${cpu1:-}" ] || skip "needs 2 CPUs (main lcore + one worker)"
ls /usr/lib/*/dpdk/pmds-*/librte_net_pcap.so* >/dev/null 2>&1 || skip "no net_pcap driver"
ls /usr/lib/*/dpdk/pmds-*/librte_net_null.so* >/dev/null 2>&1 || skip "no net_null driver"

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

# 10 Ethernet/IPv4/UDP frames 198.18.0.1 -> 198.18.0.2, pcap format written by hand.
$PY - "$tmp/in.pcap" <<'PYEOF'
import struct, sys
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i in range(10):
        udp = struct.pack("!HHHH", 4000, 5000, 8 + 18, 0) + bytes(18)
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i, 0, 64, 17, 0,
                          bytes([198, 18, 0, 1]), bytes([198, 18, 0, 2]))
        s = sum(struct.unpack("!10H", hdr))
        s = (s & 0xffff) + (s >> 16)
        s = (s & 0xffff) + (s >> 16)
        ip = hdr[:10] + struct.pack("!H", ~s & 0xffff) + hdr[12:] + udp
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
  memory_mb = 512;
  idle_sleep_us = 100;
  sa_max = 16384;
  ports = (
    { name = "outside"; role = "outside"; device = "net_null0,no-rx=1";
      gateway_mac = "02:00:00:00:00:fe"; },
    { name = "inside";  role = "inside";  device = "net_pcap0,rx_pcap=$tmp/in.pcap,infinite_rx=1"; }
  );
};
EOF2

args=$("$DP" -c "$tmp/dp.conf" --print-eal-args)
echo "EAL arguments: $args"
case " $args " in *" --no-huge "*" --no-pci "*) pass "--print-eal-args: --no-huge, --no-pci" ;;
	*) fail "--print-eal-args lacks --no-huge or --no-pci" ;; esac
out=$("$DP" -c "$tmp/dp.conf" --check-config) &&
	pass "--check-config: $out" || fail "--check-config: $out"

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

if "$PROBE" "$tmp/ctl" 2 "$SCALE"; then pass "control channel: every command answered as expected"
else fail "control channel (dp_probe above)"; fi

wait_log "rampartd detached" 3 && grep -q "rampartd attached (pid" "$tmp/dp.log" &&
	pass "rampartd's attach and detach are logged" || fail "peer attach/detach not logged"

tele=$($PY - "/var/run/dpdk/rampart-$inst/dpdk_telemetry.v2" <<'PYEOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
json.loads(s.recv(16384).decode())
def q(cmd):
    s.send(cmd.encode())
    return json.loads(s.recv(65536).decode())[cmd.split(",")[0]]
d = q("/rampart/drops")
sa = q("/rampart/sa")
print(json.dumps(d, sort_keys=True))
print(json.dumps(sa, sort_keys=True))
print(json.dumps(q("/rampart/drop_reasons"), sort_keys=True)[:400] + "...")
print(json.dumps(q("/rampart/workers"), sort_keys=True))
ok = (d["inside"]["encrypted"] > 0 and d["inside"].get("no_route", 0) > 0 and
      d["inside"].get("sa_hard_limit", 0) > 0 and d["outside"]["tx_packets"] > 0 and
      sa["added"] >= 3 and sa["inbound"] == 0 and sa["outbound"] == 0 and
      sa["refused"] >= 7 and sa["updated"] == 1)
print("TELEMETRY_OK" if ok else "TELEMETRY_BAD")
PYEOF
)
echo "$tele"
if echo "$tele" | grep -q TELEMETRY_OK; then
	pass "telemetry: inside packets encrypted, no_route before the route, sa_hard_limit after the hard lifetime, outside sent them; /rampart/sa counts"
else
	fail "telemetry counters (above)"
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
grep -q 'port "inside": .* packets received by workers, .* encrypted' "$tmp/dp.log" &&
	pass "exit summary counts the packets" || fail "exit summary lacks the counters"
grep -q 'answers held for a full ring, 0 lost' "$tmp/dp.log" &&
	pass "no answer lost" || fail "answers lost"
echo "--- rampart-dp log (last 40 lines) ---"
tail -n 40 "$tmp/dp.log"
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
