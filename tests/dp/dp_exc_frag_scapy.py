#!/usr/bin/python3
# SPDX-License-Identifier: LicenseRef-Rampart-Proprietary
"""
Reassembled datagrams larger than one mbuf on their way to the kernel (same harness as
dp_frag_scapy.py: tests/dp/dp_scapy_pcap.sh excfrag).

  dp_exc_frag_scapy.py gen DIR    write DIR/dataplane.inc, the input pcaps, DIR/expect.json
  dp_exc_frag_scapy.py check DIR  check DIR/kern_out.pcap (the exception port's output), the
                                  other ports' output, DIR/dp.log and DIR/telemetry.txt

rampart-dp runs with the default mbuf data room (2048 bytes: every port has MTU 1500) and an
exception port (net_pcap, MTU 1500) serving the outside port. The outside port receives IKE-like
UDP datagrams (port 500, and 4500 with the non-ESP marker) of 1300 to 9000 bytes cut into outer
IPv4 / IPv6 fragments, in order, reversed, shuffled and interleaved with another datagram's.
Checked:
  - every such datagram reaches the exception port exactly once: the ones over the exception
    port's MTU as IP fragments of at most 1500 bytes (IPv4 header checksums right; IPv6
    fragment identifications distinct per datagram), which reassemble to a datagram
    byte-identical to the one sent; the ones within it (fragments of 576 bytes and less) whole,
    in one frame, byte-identical; each with the Ethernet header the client sent;
  - ESP (protocol 50) and ESP-in-UDP datagrams that do not fit one mbuf once reassembled are
    dropped and counted as reassembled_too_big, as before; a fragmented ESP datagram that fits
    still goes to the ESP path (no SA here: no_sa);
  - nothing else leaves any port; the drop counters are exactly these; the workers'
    kernel_chains counter (telemetry) counts the chained datagrams for the kernel.
"""
import json
import os
import random
import re
import struct
import sys

try:
    from scapy.all import (Ether, IP, IPv6, UDP, Raw, IPv6ExtHdrFragment, fragment, fragment6,
                           wrpcap, rdpcap)
except ImportError as e:
    print("SKIP: scapy not importable: %s" % e)
    sys.exit(77)

LOCAL4, LOCAL6 = "192.0.2.1", "2001:db8::1"
CLIENT4, CLIENT6 = "198.51.100.7", "2001:db8:1::7"
CLIENT_MAC, DP_MAC = "02:00:00:00:0c:01", "02:00:00:00:0d:01"
GW_OUT, GW_IN = "02:00:00:00:0a:01", "02:00:00:00:0b:01"
EXC_MTU = 1500

# name, family, UDP port (or "esp"), payload bytes, fragment size, order, what rampart-dp does
CASES = [
    ("ike4-3000-inorder", 4, 500, 3000, 1480, "inorder", "kernel"),
    ("ike4-9000-reversed", 4, 4500, 9000, 1480, "reversed", "kernel"),
    ("ike4-5000-shuffled", 4, 500, 5000, 1000, "shuffled", "kernel"),
    ("ike4-1400-whole", 4, 500, 1400, 576, "reversed", "kernel"),
    ("ike6-3000-inorder", 6, 500, 3000, 1500, "inorder", "kernel"),
    ("ike6-8000-reversed", 6, 4500, 8000, 1500, "reversed", "kernel"),
    ("ike6-6000-shuffled", 6, 500, 6000, 1280, "shuffled", "kernel"),
    ("ike6-1300-whole", 6, 4500, 1300, 700, "inorder", "kernel"),
    ("esp4-3000", 4, "esp", 3000, 1480, "inorder", "reassembled_too_big"),
    ("espudp6-4000", 6, "espudp", 4000, 1500, "reversed", "reassembled_too_big"),
    ("esp4-1800-fits", 4, "esp", 1800, 1480, "reversed", "no_sa"),
]
# Two more kernel datagrams whose fragments are interleaved with each other.
INTERLEAVED = [("ike4-4000-interleaved-a", 4, 500, 4000, 1480),
               ("ike4-4000-interleaved-b", 4, 500, 4000, 1480)]


def body(name, size, port):
    b = (name.encode() + b":" + bytes((i * 7 + len(name)) & 0xff for i in range(size)))[:size]
    if port == 4500:
        return b"\x00\x00\x00\x00" + b[4:]          # non-ESP marker: IKE
    if port == "espudp" or port == "esp":
        return b"\x00\x01\x02\x03" + b[4:]          # an SPI: ESP
    return b


def datagram(i, af, port, payload):
    """The client's IP datagram: UDP to port (500, 4500; "espudp": 4500 carrying ESP), or
    ESP ("esp", protocol 50)."""
    ip = (IP(src=CLIENT4, dst=LOCAL4, id=0x5000 + i, ttl=57, flags=0) if af == 4 else
          IPv6(src=CLIENT6, dst=LOCAL6, hlim=57))
    if port == "esp":
        if af == 4:
            ip.proto = 50
        else:
            ip.nh = 50
        p = ip / Raw(payload)
    else:
        sp = 4500 if port == "espudp" else port
        p = ip / UDP(sport=sp, dport=sp) / Raw(payload)
    return (IP if af == 4 else IPv6)(bytes(p))


def cut(i, af, d, size):
    if af == 4:
        fr = fragment(d, fragsize=size)
    else:
        p = IPv6(src=d.src, dst=d.dst, hlim=d.hlim, nh=44) / \
            IPv6ExtHdrFragment(nh=d.nh, id=0x9000 + i) / Raw(bytes(d.payload))
        fr = fragment6(p, size)
    assert 1 < len(fr) <= 8, (i, len(fr))   # RTE_LIBRTE_IP_FRAG_MAX_FRAG
    return [Ether(src=CLIENT_MAC, dst=DP_MAC) / f for f in fr]


def order(frames, how, rnd):
    if how == "reversed":
        return list(reversed(frames))
    if how == "shuffled":
        idx = list(range(len(frames)))
        while idx in (sorted(idx), sorted(idx, reverse=True)):
            rnd.shuffle(idx)
        return [frames[i] for i in idx]
    return frames


def pcap_port(name, idx, d, extra=""):
    return ('    { name = "%s"; %s device = "net_pcap%d,rx_pcap=%s/%s_in.pcap,tx_pcap=%s/%s_out.pcap"; }'
            % (name, extra, idx, d, name, d, name))


def gen(d):
    rnd = random.Random(4242)
    frames, exp = [], {"kernel": [], "drops": {}, "chains": 0}
    for i, (name, af, port, size, fsize, how, verdict) in enumerate(CASES):
        dg = datagram(i, af, port, body(name, size, port))
        frames += order(cut(i, af, dg, fsize), how, rnd)
        if verdict == "kernel":
            exp["kernel"].append({"name": name, "af": af, "ip": bytes(dg).hex(),
                                  "whole": len(dg) <= EXC_MTU})
            exp["chains"] += 1
        else:
            exp["drops"][verdict] = exp["drops"].get(verdict, 0) + 1
    parts = []
    for k, (name, af, port, size, fsize) in enumerate(INTERLEAVED):
        i = len(CASES) + k
        dg = datagram(i, af, port, body(name, size, port))
        parts.append(cut(i, af, dg, fsize))
        exp["kernel"].append({"name": name, "af": af, "ip": bytes(dg).hex(), "whole": False})
        exp["chains"] += 1
    for a, b in zip(*parts):
        frames += [a, b]
    os.makedirs(d, exist_ok=True)
    wrpcap(os.path.join(d, "outside_in.pcap"), frames)
    # The other ports read nothing.
    for p in ("inside", "kern"):
        wrpcap(os.path.join(d, "%s_in.pcap" % p), [])
    with open(os.path.join(d, "dataplane.inc"), "w") as f:
        f.write("\n".join([
            "  ports = (",
            pcap_port("outside", 0, d, 'role = "outside"; gateway_mac = "%s";' % GW_OUT) + ",",
            pcap_port("inside", 1, d, 'role = "inside"; gateway_mac = "%s";' % GW_IN) + ",",
            pcap_port("kern", 2, d, 'role = "exception"; serves = "outside";'),
            "  );", ""]))
    exp["outside_in"] = len(frames)
    exp["inside_in"] = 0
    with open(os.path.join(d, "expect.json"), "w") as f:
        json.dump(exp, f)
    print("generated %d outside frames: %d datagrams for the kernel, %d ESP" %
          (len(frames), len(exp["kernel"]), sum(exp["drops"].values())))


def ip4_cksum_ok(hdr):
    s = sum(struct.unpack("!%dH" % (len(hdr) // 2), hdr))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s == 0xffff


def reassemble(frags):
    """frags: (offset, more, payload, first IP packet bytes) of one datagram. Returns the
    datagram's payload bytes, or None (hole, overlap, no last fragment). Two datagrams with
    the same key (an IPv6 identification used twice) overlap, and fail here."""
    frags = sorted(frags, key=lambda f: f[0])
    data, pos = b"", 0
    for ofs, more, pl, _ in frags:
        if ofs != pos:
            return None
        data += pl
        pos += len(pl)
    if frags[-1][1] or any(f[1] == 0 for f in frags[:-1]):
        return None
    return data


def check(d):
    exp = json.load(open(os.path.join(d, "expect.json")))
    fails = []

    def fail(msg):
        fails.append(msg)
        print("FAIL: " + msg)

    got = rdpcap(os.path.join(d, "kern_out.pcap"))
    whole, groups = [], {}
    for f in got:
        raw = bytes(f)
        if f.src != CLIENT_MAC or f.dst != DP_MAC:
            fail("kernel: frame %s -> %s, expected the client's Ethernet header" % (f.src, f.dst))
        if len(raw) - 14 > EXC_MTU:
            fail("kernel: %d-byte IP packet over the exception port's MTU %d" %
                 (len(raw) - 14, EXC_MTU))
        ip = raw[14:]
        if ip[0] >> 4 == 4:
            hl = (ip[0] & 0xf) * 4
            if not ip4_cksum_ok(ip[:hl]):
                fail("kernel: IPv4 header checksum wrong in %s" % f.summary())
            tot = struct.unpack("!H", ip[2:4])[0]
            fo = struct.unpack("!H", ip[6:8])[0]
            if tot != len(ip):
                fail("kernel: IPv4 total length %d, packet %d bytes" % (tot, len(ip)))
            if fo & 0x3fff == 0:
                whole.append(ip)
                continue
            key = (4, ip[12:20], ip[4:6], ip[9])
            groups.setdefault(key, []).append(((fo & 0x1fff) * 8, (fo >> 13) & 1, ip[hl:tot], ip))
        else:
            pl = struct.unpack("!H", ip[4:6])[0]
            if pl + 40 != len(ip):
                fail("kernel: IPv6 payload length %d, packet %d bytes" % (pl, len(ip)))
            if ip[6] != 44:
                whole.append(ip)
                continue
            fh = ip[40:48]
            fo = struct.unpack("!H", fh[2:4])[0]
            key = (6, ip[8:40], fh[4:8])
            groups.setdefault(key, []).append((fo & 0xfff8, fo & 1, ip[48:], ip))
    rebuilt = []
    for key, frs in groups.items():
        data = reassemble(frs)
        if data is None:
            fail("kernel: fragments %r do not reassemble" % (key,))
            continue
        first = min(frs, key=lambda f: f[0])[3]
        if key[0] == 4:
            hl = (first[0] & 0xf) * 4
            h = bytearray(first[:hl])
            h[2:4] = struct.pack("!H", hl + len(data))
            h[6:8] = struct.pack("!H", struct.unpack("!H", h[6:8])[0] & 0x4000)
            h[10:12] = b"\0\0"
            s = sum(struct.unpack("!%dH" % (hl // 2), bytes(h)))
            while s >> 16:
                s = (s & 0xffff) + (s >> 16)
            h[10:12] = struct.pack("!H", ~s & 0xffff)
            rebuilt.append((bytes(h) + data, len(frs)))
        else:
            h = bytearray(first[:40])
            h[4:6] = struct.pack("!H", len(data))
            h[6] = first[40]          # the fragment header's next header
            rebuilt.append((bytes(h) + data, len(frs)))
    print("kernel port: %d frames: %d whole datagrams, %d fragmented ones" %
          (len(got), len(whole), len(groups)))
    for e in exp["kernel"]:
        want = bytes.fromhex(e["ip"])
        if e["whole"]:
            n = sum(1 for w in whole if w == want)
            if n != 1:
                fail("%s (%d bytes, within the MTU): %d whole copies reached the kernel, "
                     "expected 1" % (e["name"], len(want), n))
            else:
                print("%s: %d-byte datagram reached the kernel whole, byte-identical" %
                      (e["name"], len(want)))
            continue
        hits = [n for r, n in rebuilt if r == want]
        if len(hits) != 1:
            fail("%s (%d bytes): %d byte-identical copies reassembled from the kernel's "
                 "fragments, expected 1" % (e["name"], len(want), len(hits)))
        else:
            print("%s: %d-byte datagram reached the kernel in %d fragments that reassemble "
                  "byte-identical" % (e["name"], len(want), hits[0]))
    expected = {bytes.fromhex(e["ip"]) for e in exp["kernel"]}
    for w in whole:
        if w not in expected:
            fail("kernel: unexpected %d-byte packet %s" % (len(w), w[:40].hex()))
    for r, _ in rebuilt:
        if r not in expected:
            fail("kernel: fragments reassemble to an unexpected %d-byte datagram" % len(r))

    for p in ("outside", "inside"):
        n = len(rdpcap(os.path.join(d, "%s_out.pcap" % p)))
        if n:
            fail("%s port sent %d frames, expected none" % (p, n))

    log = open(os.path.join(d, "dp.log")).read()
    m = re.search(r'port "outside": .* (\d+) to the kernel, \d+ from it, drops:(.*)$', log, re.M)
    if not m:
        fail("no counter summary for the outside port in dp.log")
    else:
        drops = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(2))}
        if drops != exp["drops"]:
            fail("outside drops %s, expected %s" % (drops, exp["drops"]))
        else:
            print("outside drops: %s" % drops)
        if int(m.group(1)) != len(exp["kernel"]):
            fail("%s datagrams to the kernel, expected %d" % (m.group(1), len(exp["kernel"])))
    if exp["drops"].get("reassembled_too_big") and \
            "dropped (reassembled_too_big); raise dataplane.mbuf_data_room" not in log:
        fail("no log line explaining reassembled_too_big")
    tel = open(os.path.join(d, "telemetry.txt")).read().splitlines()
    wk = [json.loads(l) for l in tel if l.startswith("{") and "kernel_chains" in l]
    chains = sum(w.get("kernel_chains", 0) for x in wk for w in x.values()
                 if isinstance(w, dict))
    if chains != exp["chains"]:
        fail("telemetry kernel_chains = %d, expected %d" % (chains, exp["chains"]))
    else:
        print("telemetry: kernel_chains = %d" % chains)
    if fails:
        print("dp_exc_frag_scapy: %d failure(s)" % len(fails))
        return 1
    print("dp_exc_frag_scapy: chained datagrams for the kernel arrive byte-identical; ESP "
          "over the data room dropped as reassembled_too_big")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("gen", "check"):
        print(__doc__)
        sys.exit(2)
    if sys.argv[1] == "gen":
        gen(sys.argv[2])
        sys.exit(0)
    sys.exit(check(sys.argv[2]))
