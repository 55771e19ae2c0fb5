#!/usr/bin/python3
# SPDX-License-Identifier: LicenseRef-Rampart-Proprietary
"""
rampart-dp against an independent ESP implementation (scapy + python3-cryptography).

  dp_esp_scapy.py gen DIR    write DIR/dataplane.inc (the fast path's part of the configuration
                        file's dataplane section: ports with their L2 settings, sa_max,
                        manual SAs), the input pcaps
                        DIR/outside_in.pcap (ESP from the clients, keepalives, IKE...) and
                        DIR/inside_in.pcap (plain packets to the clients), and DIR/expect.json
  dp_esp_scapy.py check DIR  read what rampart-dp wrote (DIR/outside_out.pcap, DIR/inside_out.pcap)
                        and its log (DIR/dp.log); check packet by packet; exit 0 if all is well

One client per combination of algorithm x outer IPv4/IPv6 x inner IPv4/IPv6 x NAT-T x ESN,
each with an inbound and an outbound manual SA:
  - inbound:  scapy encrypts packets that rampart-dp must decrypt and send out of the inside
              port byte for byte unchanged (with the configured next-hop MAC);
  - outbound: rampart-dp encrypts plain packets from the inside port; scapy must decrypt every
              one of them to the original bytes, with the right outer header, SPI and
              consecutive sequence numbers from seq_start + 1 (ESN: high half checked);
  - hairpin:  a client's packet to another client's address comes out of the outside port
              encrypted with the other client's SA;
  - drops:    a replayed packet (SAs with a replay window), a spoofed inner source (traffic
              selectors), NAT-T keepalives, an unknown SPI, IKE on 4500 with no exception
              port, an inside packet with no route: each counted under its reason.

Two scapy 2.5 shortcomings are worked around here, with the crypto still scapy's and
python3-cryptography's: its ESP leaves the ESN high half out of HMAC ICVs (it handles it for
AEAD only), so for ESN with HMAC this script computes and checks the ICV itself (RFC 4303
section 2.2.1: HMAC over ESP header, IV, ciphertext and the high 32 bits); and its NAT-T
encapsulation writes a UDP length of 8, so the outer headers are rebuilt around its ESP.
"""
import hashlib
import hmac
import json
import os
import random
import re
import struct
import sys

try:
    from scapy.all import Ether, IP, IPv6, UDP, Raw, ARP, wrpcap, rdpcap
    from scapy.layers.ipsec import ESP, SecurityAssociation
except ImportError as e:  # reported by the shell wrapper as a skip
    print("SKIP: scapy not importable: %s" % e)
    sys.exit(77)

# name, cipher, integrity, key bytes, salt bytes, scapy cipher, scapy auth, auth key, icv
ALGS = [
    ("null-sha256", "null", "hmac-sha256-128", 0, 0, "NULL", "SHA2-256-128", 32, 16),
    ("cbc128-sha1", "aes-cbc-128", "hmac-sha1-96", 16, 0, "AES-CBC", "HMAC-SHA1-96", 20, 12),
    ("cbc256-sha256", "aes-cbc-256", "hmac-sha256-128", 32, 0, "AES-CBC", "SHA2-256-128", 32, 16),
    ("cbc128-sha384", "aes-cbc-128", "hmac-sha384-192", 16, 0, "AES-CBC", "SHA2-384-192", 48, 24),
    ("cbc256-sha512", "aes-cbc-256", "hmac-sha512-256", 32, 0, "AES-CBC", "SHA2-512-256", 64, 32),
    ("gcm128", "aes-gcm-128", "none", 16, 4, "AES-GCM", None, 0, 16),
    ("gcm256", "aes-gcm-256", "none", 32, 4, "AES-GCM", None, 0, 16),
    ("chacha20", "chacha20-poly1305", "none", 32, 4, "CHACHA20-POLY1305", None, 0, 16),
]
HMAC_HASH = {"HMAC-SHA1-96": hashlib.sha1, "SHA2-256-128": hashlib.sha256,
             "SHA2-384-192": hashlib.sha384, "SHA2-512-256": hashlib.sha512}

LOCAL4, LOCAL6 = "192.0.2.1", "2001:db8::1"
HOST4, HOST6 = "198.19.0.10", "2001:db8:200::10"          # inside hosts (gateway_mac)
HOST4S, HOST6S = "198.19.0.11", "2001:db8:200::11"        # inside hosts (static neighbours)
GW_OUT, GW_IN = "02:00:00:00:0a:01", "02:00:00:00:0b:01"   # gateway_mac outside / inside
NB_OUT, NB_IN = "02:00:00:00:0a:77", "02:00:00:00:0b:77"   # static neighbour MACs
CLIENT_MAC = "02:00:00:00:0c:01"
DP_MAC = "02:00:00:00:0d:01"                                # what the clients address
PKTS = 3                                                    # packets per SA and direction
SEQ_START = 100
ESN_SEQ_START = (1 << 32) + 7                               # high half 1 on the wire


def clients():
    out = []
    i = 0
    for alg in ALGS:
        for outer in (4, 6):
            for inner in (4, 6):
                for natt in (False, True):
                    for esn in (False, True):
                        out.append(dict(i=i, alg=alg[0], outer=outer, inner=inner,
                                        natt=natt, esn=esn))
                        i += 1
    return out


def alg_of(c):
    return next(a for a in ALGS if a[0] == c["alg"])


def c_outer(c):
    return "198.51.100.%d" % (c["i"] + 1) if c["outer"] == 4 else "2001:db8:1::%x" % (c["i"] + 1)


def c_inner(c):
    return "198.18.1.%d" % (c["i"] + 1) if c["inner"] == 4 else "2001:db8:100::%x" % (c["i"] + 1)


def c_local(c):
    return LOCAL4 if c["outer"] == 4 else LOCAL6


def c_host(c, static=False):
    if c["inner"] == 4:
        return HOST4S if static else HOST4
    return HOST6S if static else HOST6


def ip_cls(af):
    return IP if af == 4 else IPv6


def keys(c, direction):
    rnd = random.Random("%d-%s" % (c["i"], direction))
    a = alg_of(c)
    enc = bytes(rnd.getrandbits(8) for _ in range(a[3] + a[4]))
    auth = bytes(rnd.getrandbits(8) for _ in range(a[7]))
    return enc, auth


def spi(c, direction):
    return (0x10000 if direction == "in" else 0x20000) + c["i"]


def sa_id(c, direction):
    return 1000 + 2 * c["i"] + (0 if direction == "in" else 1)


def replay_window(c):
    return 64 if c["i"] % 2 == 0 else 0


def seq_start(c):
    return ESN_SEQ_START if c["esn"] else SEQ_START


def scapy_sa(c, direction, with_auth=True):
    a = alg_of(c)
    enc, auth = keys(c, direction)
    if direction == "in":   # client -> concentrator
        th = ip_cls(c["outer"])(src=c_outer(c), dst=c_local(c))
    else:
        th = ip_cls(c["outer"])(src=c_local(c), dst=c_outer(c))
    kw = dict(spi=spi(c, direction), crypt_algo=a[5], crypt_key=enc if a[5] != "NULL" else None,
              tunnel_header=th)
    if a[6] and with_auth:
        kw.update(auth_algo=a[6], auth_key=auth)
    if c["natt"]:
        kw["nat_t_header"] = UDP(sport=4500, dport=4500)
    if c["esn"]:
        kw["esn_en"] = True
    return SecurityAssociation(ESP, **kw)


def esn_hmac(c):
    return c["esn"] and alg_of(c)[6] is not None


def icv(c, direction, esp_bytes, hi):
    a = alg_of(c)
    _, auth = keys(c, direction)
    return hmac.new(auth, esp_bytes + struct.pack("!I", hi), HMAC_HASH[a[6]]).digest()[:a[8]]


def outer_frame(c, esp_bytes, src, dst):
    if c["natt"]:
        l4 = UDP(sport=4500, dport=4500, chksum=0) / Raw(esp_bytes)
        o = ip_cls(c["outer"])(src=src, dst=dst) / l4
    elif c["outer"] == 4:
        o = IP(src=src, dst=dst, proto=50) / Raw(esp_bytes)
    else:
        o = IPv6(src=src, dst=dst, nh=50) / Raw(esp_bytes)
    return Ether(src=CLIENT_MAC, dst=DP_MAC) / o


def encrypt_in(c, inner, seq):
    """What client c sends: inner encrypted with its inbound SA (scapy)."""
    if not esn_hmac(c):
        p = scapy_sa(c, "in").encrypt(inner, seq_num=seq, esn_en=c["esn"] or None, esn=0)
        if not c["natt"]:
            return Ether(src=CLIENT_MAC, dst=DP_MAC) / p
        # scapy 2.5 builds the NAT-T UDP header before the ESP payload is attached, so its
        # length field says 8 (no payload): rebuild the outer headers around its ESP bytes.
        return outer_frame(c, bytes(p[ESP]), c_outer(c), c_local(c))
    # ESN + HMAC: scapy encrypts, the ICV (with seq hi = 0) is ours.
    p = scapy_sa(c, "in", with_auth=False).encrypt(inner, seq_num=seq)
    e = bytes(p[ESP])
    return outer_frame(c, e + icv(c, "in", e, 0), c_outer(c), c_local(c))


def inner_udp(af, src, dst, tag):
    pl = Raw(("%s|" % tag).encode() + bytes(range(40)))
    if af == 4:
        return IP(src=src, dst=dst, ttl=61, tos=0x28, flags="DF") / UDP(sport=1000, dport=2000) / pl
    return IPv6(src=src, dst=dst, hlim=61, tc=0x28) / UDP(sport=1000, dport=2000) / pl


def dataplane_conf(d, cl):
    """Settings of the dataplane section: net_pcap ports reading and writing in d, with
    their next hops; sa_max; the manual SAs. dp_scapy_pcap.sh adds lcores and memory."""
    lines = ["  sa_max = 1024;",
             "  ports = (",
             '    { name = "outside"; role = "outside";',
             '      device = "net_pcap0,rx_pcap=%s/outside_in.pcap,tx_pcap=%s/outside_out.pcap";'
             % (d, d),
             '      gateway_mac = "%s";' % GW_OUT,
             '      neighbors = ( { ip = "%s"; mac = "%s"; } ); },' % (c_outer(cl[0]), NB_OUT),
             '    { name = "inside"; role = "inside";',
             '      device = "net_pcap1,rx_pcap=%s/inside_in.pcap,tx_pcap=%s/inside_out.pcap";'
             % (d, d),
             '      gateway_mac = "%s";' % GW_IN,
             '      neighbors = ( { ip = "%s"; mac = "%s"; }, { ip = "%s"; mac = "%s"; } ); }'
             % (HOST4S, NB_IN, HOST6S, NB_IN),
             "  );", "  manual_sas = ("]
    sas = []
    for c in cl:
        a = alg_of(c)
        for d in ("in", "out"):
            enc, auth = keys(c, d)
            s = ['sa_id = %d;' % sa_id(c, d), 'direction = "%s";' % d,
                 'spi = 0x%x;' % spi(c, d), 'cipher = "%s";' % a[1],
                 'integrity = "%s";' % a[2],
                 'local = "%s";' % c_local(c), 'remote = "%s";' % c_outer(c),
                 'paired_sa_id = %d;' % sa_id(c, "out" if d == "in" else "in")]
            if enc:
                s.append('key = "0x%s";' % enc.hex())
            if auth:
                s.append('auth_key = "%s";' % ":".join("%02x" % b for b in auth))
            if c["natt"]:
                s.append("natt = true;")
            if c["esn"]:
                s.append("esn = true;")
            if d == "in":
                s.append('traffic_selectors = [ "%s" ];' % (c_inner(c) + ("/32" if c["inner"] == 4 else "/128")))
                s.append("replay_window = %d;" % replay_window(c))
            else:
                s.append('routes = [ "%s" ];' % c_inner(c))
                s.append("seq_start = %dL;" % seq_start(c))
            sas.append("    { " + " ".join(s) + " }")
    lines.append(",\n".join(sas))
    lines += ["  );", ""]
    return "\n".join(lines)


def gen(d):
    cl = clients()
    out_in, in_in = [], []
    exp = {"inside": [], "outbound": {}, "drops": {}}
    for c in cl:
        exp["outbound"][str(spi(c, "out"))] = []
    by_af = {4: [c for c in cl if c["inner"] == 4], 6: [c for c in cl if c["inner"] == 6]}
    for c in cl:
        seq = 1
        for k in range(PKTS):
            # The first packet goes to the static neighbour, the others via gateway_mac.
            static = k == 0
            p = inner_udp(c["inner"], c_inner(c), c_host(c, static), "in-%d-%d" % (c["i"], k))
            out_in.append(encrypt_in(c, p, seq))
            exp["inside"].append({"hex": bytes(p).hex(), "dst": NB_IN if static else GW_IN})
            seq += 1
        # Hairpin: to the next client with the same inner family.
        peers = by_af[c["inner"]]
        o = peers[(peers.index(c) + 1) % len(peers)]
        p = inner_udp(c["inner"], c_inner(c), c_inner(o), "hp-%d-%d" % (c["i"], o["i"]))
        out_in.append(encrypt_in(c, p, seq))
        seq += 1
        exp["outbound"][str(spi(o, "out"))].append(bytes(p).hex())
        # Replayed (dropped with a window; accepted again without one: then it is expected).
        out_in.append(out_in[-1 - PKTS].copy())
        if replay_window(c):
            exp["drops"]["replay_duplicate"] = exp["drops"].get("replay_duplicate", 0) + 1
        else:
            first = inner_udp(c["inner"], c_inner(c), c_host(c, True), "in-%d-0" % c["i"])
            exp["inside"].append({"hex": bytes(first).hex(), "dst": NB_IN})
        # Spoofed inner source: outside the SA's traffic selectors.
        spoof = "198.18.99.99" if c["inner"] == 4 else "2001:db8:99::99"
        out_in.append(encrypt_in(c, inner_udp(c["inner"], spoof, c_host(c), "spoof"), seq))
        seq += 1
        exp["drops"]["ts_mismatch"] = exp["drops"].get("ts_mismatch", 0) + 1
        # Inside -> client.
        for k in range(PKTS):
            p = inner_udp(c["inner"], c_host(c), c_inner(c), "out-%d-%d" % (c["i"], k))
            in_in.append(Ether(src="02:00:00:00:0e:01", dst=DP_MAC) / p)
            exp["outbound"][str(spi(c, "out"))].append(bytes(p).hex())
    # NAT-T keepalives (RFC 3948 section 2.3), IKE with the non-ESP marker, unknown SPIs.
    for _ in range(3):
        out_in.append(Ether(src=CLIENT_MAC, dst=DP_MAC) / IP(src="198.51.100.200", dst=LOCAL4) /
                      UDP(sport=4500, dport=4500) / Raw(b"\xff"))
    exp["drops"]["natt_keepalive"] = 3
    for _ in range(2):
        out_in.append(Ether(src=CLIENT_MAC, dst=DP_MAC) / IP(src="198.51.100.200", dst=LOCAL4) /
                      UDP(sport=4500, dport=4500) / Raw(b"\x00" * 4 + bytes(36)))
    exp["drops"]["no_exception_path"] = 2
    for s in (0x77777777, 0x12345678):
        out_in.append(Ether(src=CLIENT_MAC, dst=DP_MAC) / IP(src="198.51.100.200", dst=LOCAL4, proto=50) /
                      Raw(struct.pack("!II", s, 1) + bytes(40)))
    exp["drops"]["no_sa"] = 2
    for _ in range(2):
        in_in.append(Ether(src="02:00:00:00:0e:01", dst=DP_MAC) /
                     inner_udp(4, HOST4, "198.18.200.1", "noroute"))
    exp["drops"]["no_route"] = 2
    exp["outside_in"] = len(out_in)
    exp["inside_in"] = len(in_in)
    exp["clients"] = cl
    os.makedirs(d, exist_ok=True)
    wrpcap(os.path.join(d, "outside_in.pcap"), out_in)
    wrpcap(os.path.join(d, "inside_in.pcap"), in_in)
    with open(os.path.join(d, "dataplane.inc"), "w") as f:
        f.write(dataplane_conf(os.path.abspath(d), cl))
    with open(os.path.join(d, "expect.json"), "w") as f:
        json.dump(exp, f)
    print("generated %d clients (%d SAs), %d outside and %d inside input frames" %
          (len(cl), 2 * len(cl), len(out_in), len(in_in)))


def decrypt_out(c, frame):
    """scapy's view of one ESP frame rampart-dp sent to client c: (inner bytes, seq64)."""
    o = frame.payload
    if c["natt"]:
        udp = o[UDP]
        assert udp.sport == 4500 and udp.dport == 4500, "NAT-T ports %d -> %d" % (udp.sport, udp.dport)
        if c["outer"] == 4:
            assert udp.chksum == 0, "UDP checksum over IPv4 must be 0 (RFC 3948)"
        esp_bytes = bytes(udp.payload)
    else:
        esp_bytes = bytes(o.payload)
    src, dst = (o.src, o.dst)
    assert (src, dst) == (c_local(c), c_outer(c)), "outer %s -> %s" % (src, dst)
    spi_w, seq_lo = struct.unpack("!II", esp_bytes[:8])
    assert spi_w == spi(c, "out"), "SPI %x" % spi_w
    hi = 1 if c["esn"] else 0
    if c["outer"] == 4:
        pkt = IP(src=src, dst=dst, proto=50) / ESP(esp_bytes)
    else:
        pkt = IPv6(src=src, dst=dst, nh=50) / ESP(esp_bytes)
    if esn_hmac(c):
        a = alg_of(c)
        body, got = esp_bytes[:-a[8]], esp_bytes[-a[8]:]
        assert hmac.compare_digest(got, icv(c, "out", body, hi)), "ESN HMAC ICV mismatch"
        pkt = (IP(src=src, dst=dst, proto=50) if c["outer"] == 4 else
               IPv6(src=src, dst=dst, nh=50)) / ESP(body)
        inner = scapy_sa(c, "out", with_auth=False).decrypt(pkt)
    else:
        inner = scapy_sa(c, "out").decrypt(pkt, esn_en=c["esn"] or None, esn=hi)
    return bytes(inner), (hi << 32) | seq_lo


def drops_from_log(log, port):
    m = re.search(r'port "%s": .* drops:(.*)$' % port, log, re.M)
    out = {}
    if m:
        for k, v in re.findall(r"(\w+)=(\d+)", m.group(1)):
            out[k] = int(v)
    return out


def check(d):
    exp = json.load(open(os.path.join(d, "expect.json")))
    cl = exp["clients"]
    by_spi = {spi(c, "out"): c for c in cl}
    fails = []

    def fail(msg):
        fails.append(msg)
        if len(fails) <= 20:
            print("FAIL: " + msg)

    # Inside: every decrypted packet byte for byte, to the right MAC, nothing else.
    got_in = rdpcap(os.path.join(d, "inside_out.pcap"))
    want = {}
    for e in exp["inside"]:
        want[(e["hex"], e["dst"])] = want.get((e["hex"], e["dst"]), 0) + 1
    for f in got_in:
        key = (bytes(f.payload).hex(), f.dst)
        if want.get(key, 0) == 0:
            fail("inside: unexpected frame to %s: %s" % (f.dst, f.summary()))
            continue
        want[key] -= 1
    missing = sum(v for v in want.values())
    if missing:
        fail("inside: %d decrypted packets missing" % missing)
    print("inside port: %d frames, %d expected, %d missing" %
          (len(got_in), len(exp["inside"]), missing))

    # Outside: scapy decrypts every ESP frame; per SA the inner packets and sequence numbers.
    got_out = rdpcap(os.path.join(d, "outside_out.pcap"))
    seen = {s: [] for s in by_spi}
    n_esp = 0
    for f in got_out:
        o = f.payload
        raw = bytes(o.payload)[8:12] if UDP in f else bytes(o.payload)[:4]
        if len(raw) < 4 or struct.unpack("!I", raw)[0] not in by_spi:
            fail("outside: frame with no known outbound SPI: %s" % f.summary())
            continue
        c = by_spi[struct.unpack("!I", raw)[0]]
        want_mac = NB_OUT if c["i"] == 0 else GW_OUT
        if f.dst != want_mac:
            fail("outside: client %d frame to %s, expected %s" % (c["i"], f.dst, want_mac))
        try:
            inner, seq = decrypt_out(c, f)
        except Exception as e:  # noqa: BLE001 - any failure is a test failure
            fail("outside: client %d (%s outer v%d inner v%d natt %s esn %s): scapy cannot "
                 "decrypt: %r" % (c["i"], c["alg"], c["outer"], c["inner"], c["natt"], c["esn"], e))
            continue
        n_esp += 1
        seen[spi(c, "out")].append((seq, inner.hex()))
    for s, c in by_spi.items():
        got = seen[s]
        seqs = [q for q, _ in got]
        base = seq_start(c)
        if seqs != list(range(base + 1, base + 1 + len(seqs))):
            fail("client %d: sequence numbers %s, expected from %d" % (c["i"], seqs[:5], base + 1))
        if sorted(h for _, h in got) != sorted(exp["outbound"][str(s)]):
            fail("client %d (%s outer v%d inner v%d natt %s esn %s): %d inner packets, %d "
                 "expected, or contents differ" % (c["i"], c["alg"], c["outer"], c["inner"],
                                                   c["natt"], c["esn"], len(got),
                                                   len(exp["outbound"][str(s)])))
    n_exp = sum(len(v) for v in exp["outbound"].values())
    print("outside port: %d ESP frames decrypted by scapy, %d expected" % (n_esp, n_exp))

    log = open(os.path.join(d, "dp.log")).read()
    drops = drops_from_log(log, "outside")
    drops_in = drops_from_log(log, "inside")
    for k, v in exp["drops"].items():
        g = drops.get(k, 0) + drops_in.get(k, 0)
        if g != v:
            fail("drop counter %s = %d, expected %d" % (k, g, v))
    extra = {k: v for k, v in list(drops.items()) + list(drops_in.items()) if k not in exp["drops"]}
    if extra:
        fail("unexpected drops: %s" % extra)
    print("drops: outside %s, inside %s" % (drops, drops_in))
    combos = len(cl)
    if fails:
        print("dp_esp_scapy: %d failure(s)" % len(fails))
        return 1
    print("dp_esp_scapy: all %d clients (%d algorithms x outer v4/v6 x inner v4/v6 x NAT-T x ESN) "
          "passed both directions" % (combos, len(ALGS)))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("gen", "check"):
        print(__doc__)
        sys.exit(2)
    if sys.argv[1] == "gen":
        gen(sys.argv[2])
        sys.exit(0)
    sys.exit(check(sys.argv[2]))
