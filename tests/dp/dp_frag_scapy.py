#!/usr/bin/python3
# SPDX-License-Identifier: LicenseRef-Rampart-Proprietary
"""
Fragmentation and MTU in rampart-dp, against scapy (same harness as dp_esp_scapy.py).

  dp_frag_scapy.py gen DIR    write DIR/dataplane.inc, DIR/outside_in.pcap, DIR/inside_in.pcap,
                              DIR/expect.json
  dp_frag_scapy.py check DIR  check DIR/outside_out.pcap, DIR/inside_out.pcap and DIR/dp.log

Checked:
  - inbound: ESP and ESP-in-UDP packets cut into outer IPv4 fragments (scapy fragment(), one
    datagram with its fragments in reverse order) and outer IPv6 fragments (fragment6) are
    reassembled and decrypted: the inner packet leaves the inside port unchanged;
  - outbound, IPv4 inner with DF clear bigger than the SA's tunnel_mtu allows: several ESP
    packets, each within the tunnel MTU, that scapy decrypts into inner fragments which
    reassemble to the original packet;
  - outbound, IPv4 inner with DF set / IPv6 inner: ICMP fragmentation needed (3/4) / ICMPv6
    packet too big (2) with the MTU the tunnel admits leaves the inside port towards the
    sender, quoting the packet; nothing encrypted; counted as too_big.
"""
import json
import os
import sys

try:
    from scapy.all import (Ether, IP, IPv6, UDP, Raw, ICMP, IPv6ExtHdrFragment,
                           ICMPv6PacketTooBig, fragment, fragment6, defragment, wrpcap,
                           rdpcap)
    from scapy.layers.ipsec import ESP, SecurityAssociation
except ImportError as e:
    print("SKIP: scapy not importable: %s" % e)
    sys.exit(77)

LOCAL4, LOCAL6 = "192.0.2.1", "2001:db8::1"
HOST4, HOST6 = "198.19.0.10", "2001:db8:200::10"
GW_OUT, GW_IN = "02:00:00:00:0a:01", "02:00:00:00:0b:01"
CLIENT_MAC = "02:00:00:00:0c:01"
HOST_MAC = "02:00:00:00:0e:01"
DP_MAC = "02:00:00:00:0d:01"
INCOMPLETE = 100       # more than DP_FRAG_TBL_ENTRIES (frag.h)
TBL_ENTRIES = 64
GCM_KEY_IN = bytes(range(1, 21))
GCM_KEY_OUT = bytes(range(101, 121))

# i, outer family, NAT-T, inner family, tunnel_mtu of the outbound SA
CLIENTS = [
    dict(i=0, outer=4, natt=True, inner=4, mtu=0),
    dict(i=1, outer=4, natt=False, inner=4, mtu=0),
    dict(i=2, outer=6, natt=False, inner=4, mtu=0),
    dict(i=3, outer=6, natt=True, inner=6, mtu=0),
    dict(i=4, outer=4, natt=False, inner=4, mtu=600),    # outbound fragmentation / ICMP
    dict(i=5, outer=6, natt=False, inner=6, mtu=1400),   # ICMPv6 packet too big
]


def c_outer(c):
    return "198.51.100.%d" % (c["i"] + 1) if c["outer"] == 4 else "2001:db8:1::%x" % (c["i"] + 1)


def c_inner(c):
    return "198.18.1.%d" % (c["i"] + 1) if c["inner"] == 4 else "2001:db8:100::%x" % (c["i"] + 1)


def c_local(c):
    return LOCAL4 if c["outer"] == 4 else LOCAL6


def c_host(c):
    return HOST4 if c["inner"] == 4 else HOST6


def spi(c, d):
    return (0x10000 if d == "in" else 0x20000) + c["i"]


def ipc(af):
    return IP if af == 4 else IPv6


def sa(c, d):
    th = (ipc(c["outer"])(src=c_outer(c), dst=c_local(c)) if d == "in" else
          ipc(c["outer"])(src=c_local(c), dst=c_outer(c)))
    kw = dict(spi=spi(c, d), crypt_algo="AES-GCM",
              crypt_key=GCM_KEY_IN if d == "in" else GCM_KEY_OUT, tunnel_header=th)
    if c["natt"]:
        kw["nat_t_header"] = UDP(sport=4500, dport=4500)
    return SecurityAssociation(ESP, **kw)


def inner_pkt(af, src, dst, size, df=False, tag=""):
    pl = (tag.encode() + bytes(i & 0xff for i in range(size)))[:size]
    if af == 4:
        return IP(src=src, dst=dst, ttl=61, id=0x1234, flags="DF" if df else 0) / \
            UDP(sport=1000, dport=2000) / Raw(pl)
    return IPv6(src=src, dst=dst, hlim=61) / UDP(sport=1000, dport=2000) / Raw(pl)


def outer_ip(c, esp_bytes):
    """Client c's outer datagram (no Ethernet) carrying esp_bytes."""
    if c["natt"]:
        l4 = UDP(sport=4500, dport=4500, chksum=0) / Raw(esp_bytes)
        if c["outer"] == 4:
            return IP(src=c_outer(c), dst=c_local(c), id=0x4242 + c["i"]) / l4
        return IPv6(src=c_outer(c), dst=c_local(c)) / l4
    if c["outer"] == 4:
        return IP(src=c_outer(c), dst=c_local(c), proto=50, id=0x4242 + c["i"]) / Raw(esp_bytes)
    return IPv6(src=c_outer(c), dst=c_local(c), nh=50) / Raw(esp_bytes)


def outer_fragments(c, o, size):
    if c["outer"] == 4:
        return fragment(IP(bytes(o)), fragsize=size)
    # IPv6: a fragment header right after the IPv6 header.
    v6 = IPv6(bytes(o))
    nh = v6.nh
    pl = bytes(v6.payload)
    p = IPv6(src=v6.src, dst=v6.dst, nh=44) / IPv6ExtHdrFragment(nh=nh, id=0x777 + c["i"]) / Raw(pl)
    return fragment6(p, size)


def dataplane_conf(d):
    lines = ["  sa_max = 64;", "  ports = (",
             '    { name = "outside"; role = "outside";',
             '      device = "net_pcap0,rx_pcap=%s/outside_in.pcap,tx_pcap=%s/outside_out.pcap";' % (d, d),
             '      gateway_mac = "%s"; },' % GW_OUT,
             '    { name = "inside"; role = "inside";',
             '      device = "net_pcap1,rx_pcap=%s/inside_in.pcap,tx_pcap=%s/inside_out.pcap";' % (d, d),
             '      gateway_mac = "%s"; }' % GW_IN,
             "  );", "  manual_sas = ("]
    sas = []
    for c in CLIENTS:
        for dr in ("in", "out"):
            key = GCM_KEY_IN if dr == "in" else GCM_KEY_OUT
            s = ["sa_id = %d;" % (100 + 2 * c["i"] + (dr == "out")), 'direction = "%s";' % dr,
                 "spi = 0x%x;" % spi(c, dr), 'cipher = "aes-gcm-128";',
                 'key = "0x%s";' % key.hex(), 'local = "%s";' % c_local(c),
                 'remote = "%s";' % c_outer(c)]
            if c["natt"]:
                s.append("natt = true;")
            if dr == "in":
                s.append('traffic_selectors = [ "%s" ];' % c_inner(c))
            else:
                s.append('routes = [ "%s" ];' % c_inner(c))
                if c["mtu"]:
                    s.append("tunnel_mtu = %d;" % c["mtu"])
            sas.append("    { " + " ".join(s) + " }")
    lines.append(",\n".join(sas))
    lines += ["  );", ""]
    return "\n".join(lines)


def inner_max(c):
    # GCM-128: ESP header 8 + IV 8, ICV 16, padding to 4; outer IPv4 20 / IPv6 40 (+ UDP 8).
    hdr = (20 if c["outer"] == 4 else 40) + (8 if c["natt"] else 0) + 16
    return (c["mtu"] - hdr - 16) // 4 * 4 - 2


def gen(d):
    out_in, in_in = [], []
    exp = {"inside": [], "icmp": [], "outbound": {}, "drops": {}}
    seq = {c["i"]: 1 for c in CLIENTS}
    # Inbound: outer fragments of clients 0..3.
    for c in CLIENTS[:4]:
        for k, (size, frag) in enumerate(((1200, 400), (900, 512))):
            p = inner_pkt(c["inner"], c_inner(c), c_host(c), size, tag="in-%d-%d" % (c["i"], k))
            e = sa(c, "in").encrypt(p, seq_num=seq[c["i"]])
            seq[c["i"]] += 1
            fr = outer_fragments(c, outer_ip(c, bytes(e[ESP])), frag)
            assert len(fr) > 1
            if k == 1:
                fr = list(reversed(fr))
            out_in += [Ether(src=CLIENT_MAC, dst=DP_MAC) / f for f in fr]
            exp["inside"].append(bytes(p).hex())
        if c["outer"] == 4:
            # A last fragment of 1..8 bytes: a frame shorter than Ethernet's minimum.
            p = inner_pkt(c["inner"], c_inner(c), c_host(c), 600, tag="tiny-%d" % c["i"])
            e = sa(c, "in").encrypt(p, seq_num=seq[c["i"]])
            seq[c["i"]] += 1
            o = outer_ip(c, bytes(e[ESP]))
            n = len(bytes(o.payload))
            fr = fragment(IP(bytes(o)), fragsize=(n - 1) // 8 * 8)
            assert len(fr) == 2 and len(bytes(fr[1])) <= 28
            out_in += [Ether(src=CLIENT_MAC, dst=DP_MAC) / f for f in fr]
            exp["inside"].append(bytes(p).hex())
    # Outbound: client 4 (tunnel MTU 600), DF clear: fragments; DF set: ICMP.
    c4, c5 = CLIENTS[4], CLIENTS[5]
    big = inner_pkt(4, HOST4, c_inner(c4), 1400, tag="big-df-clear")
    in_in.append(Ether(src=HOST_MAC, dst=DP_MAC) / big)
    exp["outbound"][str(spi(c4, "out"))] = bytes(big).hex()
    df = inner_pkt(4, HOST4, c_inner(c4), 1400, df=True, tag="big-df-set")
    in_in.append(Ether(src=HOST_MAC, dst=DP_MAC) / df)
    exp["icmp"].append({"af": 4, "mtu": inner_max(c4), "quote": bytes(df)[:548].hex(),
                        "dst": HOST4})
    # Client 5: IPv6 inner over the tunnel MTU: ICMPv6 packet too big.
    v6 = inner_pkt(6, HOST6, c_inner(c5), 1400, tag="big-v6")
    in_in.append(Ether(src=HOST_MAC, dst=DP_MAC) / v6)
    exp["icmp"].append({"af": 6, "mtu": inner_max(c5), "quote": bytes(v6)[:1232].hex(),
                        "dst": HOST6})
    # A small one through client 4 still goes as it is.
    small = inner_pkt(4, HOST4, c_inner(c4), 100, df=True, tag="small")
    in_in.append(Ether(src=HOST_MAC, dst=DP_MAC) / small)
    exp["small"] = bytes(small).hex()
    exp["drops"]["too_big"] = 2
    # A stranger's incomplete datagrams (first fragments only, more of them than the table
    # holds): refused once the table is full, the others dropped when they time out.
    c1 = CLIENTS[1]
    for k in range(INCOMPLETE):
        o = IP(src="198.51.100.%d" % (100 + k % 50), dst=LOCAL4, proto=50, id=k + 1,
               flags="MF") / Raw(bytes(400))
        out_in.append(Ether(src=CLIENT_MAC, dst=DP_MAC) / o)
    exp["incomplete"] = INCOMPLETE
    exp["outside_in"] = len(out_in)
    exp["inside_in"] = len(in_in)
    os.makedirs(d, exist_ok=True)
    wrpcap(os.path.join(d, "outside_in.pcap"), out_in)
    wrpcap(os.path.join(d, "inside_in.pcap"), in_in)
    with open(os.path.join(d, "dataplane.inc"), "w") as f:
        f.write(dataplane_conf(os.path.abspath(d)))
    with open(os.path.join(d, "expect.json"), "w") as f:
        json.dump(exp, f)
    print("generated %d outside and %d inside frames" % (len(out_in), len(in_in)))


def drops_from_log(log, port):
    import re
    m = re.search(r'port "%s": .* drops:(.*)$' % port, log, re.M)
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(1))} if m else {}


def check(d):
    exp = json.load(open(os.path.join(d, "expect.json")))
    fails = []

    def fail(msg):
        fails.append(msg)
        print("FAIL: " + msg)

    # Inside port: the reassembled-and-decrypted packets, and the ICMP errors.
    got_in = rdpcap(os.path.join(d, "inside_out.pcap"))
    want = list(exp["inside"])
    icmps = []
    for f in got_in:
        if f.dst != GW_IN:
            fail("inside: frame to %s" % f.dst)
        b = bytes(f.payload).hex()
        if b in want:
            want.remove(b)
            continue
        if ICMP in f or ICMPv6PacketTooBig in f:
            icmps.append(f)
            continue
        fail("inside: unexpected frame %s" % f.summary())
    if want:
        fail("inside: %d of %d reassembled packets missing" % (len(want), len(exp["inside"])))
    print("inside port: %d frames; %d reassembled inbound packets expected, %d missing; "
          "%d ICMP errors" % (len(got_in), len(exp["inside"]), len(want), len(icmps)))
    for e in exp["icmp"]:
        ok = False
        for f in icmps:
            if e["af"] == 4 and ICMP in f:
                ip = f[IP]
                ic = ip[ICMP]
                chk = IP(bytes(ip))
                del chk.chksum
                del chk[ICMP].chksum
                if (ip.dst == e["dst"] and ic.type == 3 and ic.code == 4 and
                        ic.nexthopmtu == e["mtu"] and bytes(ic.payload).hex() == e["quote"] and
                        bytes(IP(bytes(chk))) == bytes(ip)):
                    ok = True
            elif e["af"] == 6 and ICMPv6PacketTooBig in f:
                ip = f[IPv6]
                pt = f[ICMPv6PacketTooBig]
                chk = IPv6(bytes(ip))
                del chk[ICMPv6PacketTooBig].cksum
                if (ip.dst == e["dst"] and pt.mtu == e["mtu"] and
                        bytes(pt.payload).hex() == e["quote"] and
                        bytes(IPv6(bytes(chk))) == bytes(ip)):
                    ok = True
        if not ok:
            fail("no correct ICMP%s too-big to %s with MTU %d" %
                 ("" if e["af"] == 4 else "v6", e["dst"], e["mtu"]))
        else:
            print("ICMP%s too big to %s, MTU %d, checksums right" %
                  ("" if e["af"] == 4 else "v6", e["dst"], e["mtu"]))
    if len(icmps) != len(exp["icmp"]):
        fail("%d ICMP errors, expected %d" % (len(icmps), len(exp["icmp"])))

    # Outside port: only client 4's ESP: fragments of the DF-clear packet, then the small one.
    c4 = CLIENTS[4]
    got_out = rdpcap(os.path.join(d, "outside_out.pcap"))
    inner = []
    for f in got_out:
        o = f.payload
        if len(bytes(o)) > c4["mtu"]:
            fail("outside: %d-byte packet over the tunnel MTU %d" % (len(bytes(o)), c4["mtu"]))
        try:
            p = sa(c4, "out").decrypt(IP(bytes(o)))
        except Exception as e:  # noqa: BLE001
            fail("outside: scapy cannot decrypt %s: %r" % (f.summary(), e))
            continue
        inner.append(p)
    small = [p for p in inner if bytes(p).hex() == exp["small"]]
    frags = [p for p in inner if bytes(p).hex() != exp["small"]]
    if len(small) != 1:
        fail("the small DF packet: %d copies encrypted, expected 1" % len(small))
    orig = IP(bytes.fromhex(exp["outbound"][str(spi(c4, "out"))]))
    if len(frags) < 2 or any(p.flags.DF or (p.flags.MF == 0 and p.frag == 0) for p in frags):
        fail("expected >= 2 inner fragments, got %d" % len(frags))
    else:
        whole = defragment([IP(bytes(p)) for p in frags])
        w = [p for p in whole if IP in p and not p.flags.MF and p.frag == 0]
        if len(w) != 1:
            fail("inner fragments do not reassemble")
        else:
            r = IP(bytes(w[0]))
            if (bytes(r.payload) != bytes(orig.payload) or r.src != orig.src or
                    r.dst != orig.dst or r.id != orig.id or r.ttl != orig.ttl):
                fail("reassembled inner packet differs from the original")
            else:
                print("outbound: %d ESP packets (<= %d bytes) decrypt to %d inner fragments "
                      "that reassemble to the original %d-byte packet" %
                      (len(frags), c4["mtu"], len(frags), len(orig)))

    log = open(os.path.join(d, "dp.log")).read()
    drops = drops_from_log(log, "outside")
    drops_in = drops_from_log(log, "inside")
    for k, v in exp["drops"].items():
        g = drops.get(k, 0) + drops_in.get(k, 0)
        if g != v:
            fail("drop counter %s = %d, expected %d" % (k, g, v))
    failed = drops.get("reassembly_failed", 0)
    timeout = drops.get("frag_timeout", 0)
    if (failed + timeout != exp["incomplete"] or failed < exp["incomplete"] - TBL_ENTRIES or
            timeout < 1):
        fail("incomplete datagrams: %d refused (reassembly_failed) + %d timed out "
             "(frag_timeout), expected %d in all, at least %d refused" %
             (failed, timeout, exp["incomplete"], exp["incomplete"] - TBL_ENTRIES))
    else:
        print("incomplete datagrams: %d refused with the table full, %d timed out" %
              (failed, timeout))
    known = set(exp["drops"]) | {"reassembly_failed", "frag_timeout"}
    extra = {k: v for k, v in list(drops.items()) + list(drops_in.items()) if k not in known}
    if extra:
        fail("unexpected drops: %s" % extra)
    print("drops: outside %s, inside %s" % (drops, drops_in))
    if fails:
        print("dp_frag_scapy: %d failure(s)" % len(fails))
        return 1
    print("dp_frag_scapy: outer IPv4/IPv6 reassembly, inner fragmentation and ICMP too big passed")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("gen", "check"):
        print(__doc__)
        sys.exit(2)
    if sys.argv[1] == "gen":
        gen(sys.argv[2])
        sys.exit(0)
    sys.exit(check(sys.argv[2]))
