#!/usr/bin/python3
# SPDX-License-Identifier: LicenseRef-Rampart-Proprietary
"""
esp_tun_client: a userspace ESP tunnel-mode peer for scenario tests, built on scapy's ESP
implementation (scapy.layers.ipsec: SecurityAssociation and its CryptAlgo/AuthAlgo). Run it
with Debian's /usr/bin/python3 (python3-scapy 2.5); the python3 on PATH may lack scapy.

It is an independent ESP implementation: it shares no code with rampart-dp, so a packet that
passes between the two was understood the same way by both.

  run       the client: a TUN device in the current network namespace whose inner IP
            packets are encrypted (tunnel mode, outer IPv4 or IPv6, raw ESP = IP protocol
            50, or UDP-encapsulated per RFC 3948) and sent to the peer; ESP received from
            the peer is checked (SPI, anti-replay window, integrity), decrypted and written
            to the TUN device. A unix control socket (--control) answers "stats" and sends
            misbehaving packets on demand (see `ctl`).
  ctl       talk to a running client: stats, probe, tamper, replay, unknown-spi,
            keepalive, quit. Prints the JSON answer; exit status 0 if it says ok.
  gen-sa    write two mirrored SA files (random keys) for the two ends of a tunnel.
  manual-sas  print a client SA file as the concentrator's `manual_sas` entries
            (libconfig, for rampart-dp's configuration).
  algs      list the algorithms this client supports with this scapy.
  self-check  offline checks: every algorithm round-trips, tampering and wrong padding are
            caught, packets equal SecurityAssociation.encrypt()'s, HMAC ICVs with ESN match
            hashlib's, replay window and ESN inference (RFC 4303 appendix A).

SA file (JSON), one per end, describing both directions as seen from that end. Names follow
rampart-dp's `manual_sas` settings:

  { "local": "192.0.2.2", "remote": "192.0.2.1",       # outer addresses, same family
    "cipher": "aes-gcm-128", "integrity": "none",       # see `algs`
    "esn": false, "natt": false, "natt_sport": 4500, "natt_dport": 4500,
    "replay_window": 64,                                # inbound, 0 = no anti-replay
    "out": { "spi": 4097, "key": "HEX", "auth_key": "HEX", "seq_start": 0 },
    "in":  { "spi": 4098, "key": "HEX", "auth_key": "HEX", "seq_start": 0 } }

"key" is the cipher key followed by the 4-byte salt for AES-GCM and ChaCha20-Poly1305
(RFC 4106 / RFC 7634 KEYMAT), empty for null. out.seq_start: the first packet sent carries
seq_start + 1. in.seq_start: the highest sequence number taken as already received (only
useful to start an ESN test near 2^32 on both ends).

Mischief (all through the control socket, so that it uses the live SA state):
  tamper [N] [ciphertext|icv]   N valid packets (next sequence numbers) with one byte of the
                                ciphertext (or of the ICV) flipped: the peer must drop them
                                as integrity failures; they never move its replay window.
  replay [latest|oldest|SEQ] [N]  resend a packet this client sent earlier, byte for byte
                                (the last 4096 good ones are kept): latest is a duplicate
                                for the peer, oldest (after > window packets) is too old.
  unknown-spi [SPI]             a packet well formed and keyed like ours, under an SPI the
                                peer has no SA for (default: our outbound SPI xor 0x5a5a0000).
  keepalive                     NAT-T keepalive (one 0xff byte, RFC 3948), NAT-T SAs only.
  probe [N]                     N valid packets (ICMP echo from --probe-src to --probe-dst).
Every mischief packet carries an ICMP echo request from --probe-src to --probe-dst.

Counters (stats) use rampart-dp's drop-reason names where one applies: no_sa, auth_failed,
replay_duplicate, replay_too_old, seq_zero, bad_length, bad_padding, bad_next_header,
dummy_packet, inner_malformed, ts_mismatch, plus rx_esp, decrypted, tun_tx (written to
TUN), tun_rx (read from TUN), encrypted, tx_ts_mismatch (inner source not ours: not sent),
seq_overflow, send_error, keepalive_rx, non_esp_rx, and the tx_* counters of mischief sent.
"""
import argparse
import fcntl
import hmac
import ipaddress
import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import time
import warnings
from collections import OrderedDict

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from scapy.config import conf as scapy_conf

    scapy_conf.verb = 0
    scapy_conf.ipv6_enabled = True
    from scapy.layers.inet import IP, ICMP
    from scapy.layers.inet6 import IPv6, ICMPv6EchoRequest
    from scapy.layers.ipsec import (ESP, SecurityAssociation, CRYPT_ALGOS, AUTH_ALGOS,
                                    IPSecIntegrityError, _ESPPlain)
    from scapy.packet import Raw, raw

# rampart-dp's names (common/conf_dp.c manual_sas, common/msg.h) -> scapy's, key length.
CIPHERS = OrderedDict([
    # name: (scapy name, key bytes, salt bytes)
    ("null", ("NULL", 0, 0)),
    ("aes-cbc-128", ("AES-CBC", 16, 0)),
    ("aes-cbc-256", ("AES-CBC", 32, 0)),
    ("aes-gcm-128", ("AES-GCM", 16, 4)),
    ("aes-gcm-256", ("AES-GCM", 32, 4)),
    ("chacha20-poly1305", ("CHACHA20-POLY1305", 32, 4)),
])
INTEGS = OrderedDict([
    # name: (scapy name, key bytes, ICV bytes)
    ("none", ("NULL", 0, 0)),
    ("hmac-sha1-96", ("HMAC-SHA1-96", 20, 12)),
    ("hmac-sha256-128", ("SHA2-256-128", 32, 16)),
    ("hmac-sha384-192", ("SHA2-384-192", 48, 24)),
    ("hmac-sha512-256", ("SHA2-512-256", 64, 32)),
])
AEAD = ("aes-gcm-128", "aes-gcm-256", "chacha20-poly1305")

IPPROTO_ESP = 50
NATT_PORT = 4500
REPLAY_KEEP = 4096        # good packets kept for `replay`
LOG_PER_REASON = 20       # drops logged per reason before going quiet (then every 1000th)

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000

M32 = 0xFFFFFFFF


def norm_name(s):
    return (s or "").strip().lower().replace("_", "-")


def supported_ciphers():
    return [c for c, (sc, _, _) in CIPHERS.items() if sc in CRYPT_ALGOS]


def supported_integs():
    return [i for i, (si, _, _) in INTEGS.items() if si in AUTH_ALGOS]


class Log:
    def __init__(self, name):
        self.name = name

    def __call__(self, fmt, *args):
        msg = fmt % args if args else fmt
        sys.stderr.write("%s %s: %s\n" % (time.strftime("%H:%M:%S"), self.name, msg))
        sys.stderr.flush()


# ---- SA file ----------------------------------------------------------------------------

def hexbytes(s, what):
    s = (s or "").strip().lower()
    if s.startswith("0x"):
        s = s[2:]
    try:
        return bytes.fromhex(s)
    except ValueError:
        raise SystemExit("esp_tun_client: %s is not hex: %r" % (what, s))


def int_any(v, what):
    if isinstance(v, int):
        return v
    try:
        return int(str(v), 0)
    except ValueError:
        raise SystemExit("esp_tun_client: %s is not an integer: %r" % (what, v))


def load_sa_file(path):
    """Read and check an SA file; returns a dict with bytes keys and ints."""
    with open(path) as f:
        d = json.load(f)
    sa = {}
    sa["cipher"] = norm_name(d.get("cipher", "aes-gcm-128"))
    sa["integrity"] = norm_name(d.get("integrity", "none"))
    if sa["cipher"] not in CIPHERS:
        raise SystemExit("esp_tun_client: unknown cipher %r (known: %s)" %
                         (sa["cipher"], ", ".join(CIPHERS)))
    if sa["integrity"] not in INTEGS:
        raise SystemExit("esp_tun_client: unknown integrity %r (known: %s)" %
                         (sa["integrity"], ", ".join(INTEGS)))
    if CIPHERS[sa["cipher"]][0] not in CRYPT_ALGOS:
        raise SystemExit("esp_tun_client: this scapy has no %s" % sa["cipher"])
    if sa["cipher"] in AEAD and sa["integrity"] != "none":
        raise SystemExit("esp_tun_client: %s is AEAD: integrity must be none" % sa["cipher"])
    if sa["cipher"].startswith("aes-cbc") and sa["integrity"] == "none":
        raise SystemExit("esp_tun_client: %s needs an integrity algorithm" % sa["cipher"])
    sa["local"] = ipaddress.ip_address(d["local"])
    sa["remote"] = ipaddress.ip_address(d["remote"])
    if sa["local"].version != sa["remote"].version:
        raise SystemExit("esp_tun_client: local and remote are of different families")
    sa["esn"] = bool(d.get("esn", False))
    sa["natt"] = bool(d.get("natt", False))
    sa["natt_sport"] = int_any(d.get("natt_sport", NATT_PORT), "natt_sport")
    sa["natt_dport"] = int_any(d.get("natt_dport", NATT_PORT), "natt_dport")
    sa["replay_window"] = int_any(d.get("replay_window", 64), "replay_window")
    if sa["replay_window"] < 0 or sa["replay_window"] > 65536:
        raise SystemExit("esp_tun_client: replay_window out of range")
    _, klen, slen = CIPHERS[sa["cipher"]]
    _, alen, _ = INTEGS[sa["integrity"]]
    for direction in ("out", "in"):
        dd = d[direction]
        x = {
            "spi": int_any(dd["spi"], direction + ".spi"),
            "key": hexbytes(dd.get("key", ""), direction + ".key"),
            "auth_key": hexbytes(dd.get("auth_key", ""), direction + ".auth_key"),
            "seq_start": int_any(dd.get("seq_start", 0), direction + ".seq_start"),
        }
        if not 256 <= x["spi"] <= M32:
            raise SystemExit("esp_tun_client: %s.spi must be 256..2^32-1" % direction)
        if len(x["key"]) != klen + slen:
            raise SystemExit("esp_tun_client: %s.key: %s needs %d bytes (key %d + salt %d), "
                             "got %d" % (direction, sa["cipher"], klen + slen, klen, slen,
                                         len(x["key"])))
        if len(x["auth_key"]) != alen:
            raise SystemExit("esp_tun_client: %s.auth_key: %s needs %d bytes, got %d" %
                             (direction, sa["integrity"], alen, len(x["auth_key"])))
        if not sa["esn"] and x["seq_start"] > M32:
            raise SystemExit("esp_tun_client: %s.seq_start > 2^32-1 without esn" % direction)
        sa[direction] = x
    return sa


def sa_to_json(sa_dict):
    return json.dumps(sa_dict, indent=2, sort_keys=True) + "\n"


# ---- one direction of the SA --------------------------------------------------------------

class Direction:
    """One direction of the SA, on scapy's SecurityAssociation and its algorithm objects.
    Adds what scapy 2.5 lacks: the ESN high half in HMAC ICVs (scapy covers ESN only in the
    AEAD AAD), explicit IVs = sequence number for AEAD; ReplayWindow does anti-replay and
    ESN inference (RFC 4303 appendix A)."""

    def __init__(self, sa, d, outbound):
        self.cipher = sa["cipher"]
        self.integ = sa["integrity"]
        self.esn = sa["esn"]
        self.spi = d["spi"]
        self.key = d["key"]
        self.auth_key = d["auth_key"]
        scipher = CIPHERS[self.cipher][0]
        sinteg = INTEGS[self.integ][0]
        self.icv_len = INTEGS[self.integ][2]
        self.hmac = self.integ != "none"
        v6 = sa["local"].version == 6
        src, dst = (sa["local"], sa["remote"]) if outbound else (sa["remote"], sa["local"])
        self.tunnel = IPv6(src=str(src), dst=str(dst)) if v6 else IP(src=str(src), dst=str(dst))
        kw = dict(crypt_algo=scipher, crypt_key=self.key or None,
                  tunnel_header=self.tunnel, esn_en=self.esn)
        self.sa = SecurityAssociation(ESP, spi=self.spi, auth_algo=sinteg,
                                      auth_key=self.auth_key or None, **kw)
        self.algo = self.sa.crypt_algo
        self.iv_len = self.algo.iv_size
        self.aead_icv = self.algo.icv_size if self.algo.is_aead else 0
        self.trailer_icv = self.aead_icv or self.icv_len
        self.auth_algo = self.sa.auth_algo

    def _mac(self, data, hi):
        mac = self.auth_algo.new_mac(self.auth_key)
        mac.update(data)
        if self.esn:
            mac.update(struct.pack("!L", hi))
        return mac.finalize()[:self.icv_len]

    def iv_for(self, seq):
        if self.iv_len == 0:
            return b""
        if self.algo.is_aead:
            return struct.pack("!Q", seq)     # unique per key by construction (RFC 4106 3.1)
        return os.urandom(self.iv_len)       # CBC: unpredictable (RFC 3602 2.1)

    def encrypt(self, inner, seq, spi=None):
        """inner: the inner IPv4/IPv6 packet (bytes or scapy packet). Returns the ESP bytes
        (header .. ICV). Byte for byte what SecurityAssociation.encrypt() gives for the same
        IV (self-check verifies it), built from scapy's ESP primitives directly: the
        wrapper's outer-header build and re-dissection cost ten times the crypto."""
        b = inner if isinstance(inner, bytes) else raw(inner)
        lo, hi = seq & M32, seq >> 32
        s = self.sa
        esp = _ESPPlain(spi=self.spi if spi is None else spi, seq=lo, iv=self.iv_for(seq))
        esp.data = b
        esp.nh = 4 if b[0] >> 4 == 4 else 41
        esp = self.algo.pad(esp)
        out = raw(self.algo.encrypt(s, esp, s.crypt_key, s.crypt_icv_size, esn_en=self.esn,
                                    esn=hi))
        if self.hmac:
            out += self._mac(out, hi)
        return out

    def encrypt_reference(self, inner, seq, iv):
        """The same through SecurityAssociation.encrypt() (scapy's ESP ICV ignores the ESN
        high half, so not for HMAC with ESN)."""
        lo, hi = seq & M32, seq >> 32
        self.sa.seq_num, self.sa.esn = lo, hi
        return raw(self.sa.encrypt(inner, seq_num=lo, iv=iv, esn_en=self.esn, esn=hi)[ESP])

    def verify_hmac(self, b, hi):
        if not self.hmac:
            return True
        icv = b[-self.icv_len:]
        want = self._mac(b[:-self.icv_len], hi)
        return hmac.compare_digest(icv, want)

    def decrypt(self, b, hi):
        """b: ESP bytes whose ICV (HMAC) was verified. Returns (next header, payload bytes,
        padding ok). Raises IPSecIntegrityError for an AEAD tag mismatch.

        scapy returns neither the padding bytes nor a full pad-length check, so the
        trailer is checked by building the plaintext the sender must have encrypted
        (payload, padding 1, 2, 3..., pad length, next header; RFC 4303 section 2.4) and
        encrypting it again under the same IV: the result equals what was received only
        if every padding byte and the pad length were right."""
        s = self.sa
        plain = self.algo.decrypt(s, ESP(b), s.crypt_key, self.trailer_icv, esn_en=self.esn,
                                  esn=hi)
        data = plain.data if isinstance(plain.data, bytes) else raw(plain.data)
        want = _ESPPlain(spi=plain.spi, seq=plain.seq, iv=plain.iv, data=data,
                         padding=bytes(range(1, plain.padlen + 1)), padlen=plain.padlen,
                         nh=plain.nh)
        again = raw(self.algo.encrypt(s, want, s.crypt_key, s.crypt_icv_size,
                                      esn_en=self.esn, esn=hi))
        body = b[:-self.icv_len] if self.hmac else b
        return plain.nh, data, again == body


class ReplayWindow:
    """RFC 4303 3.4.3 with appendix A ESN inference; window 0 = accept everything."""

    def __init__(self, size, esn, start):
        self.size = size
        self.esn = esn
        self.top = start      # highest sequence number received (64-bit)
        self.bits = 0         # bit i = top - i received
        self.w = max(size, 64)

    def infer_hi(self, lo):
        if not self.esn:
            return 0
        tl, th, w = self.top & M32, self.top >> 32, self.w
        if tl >= w - 1:
            return th if lo >= tl - w + 1 else th + 1
        bottom = (tl - w + 1) & M32
        if lo >= bottom:
            return th - 1 if th > 0 else 0
        return th

    def check(self, seq):
        """None if acceptable, else the drop reason."""
        if seq == 0:
            return "seq_zero"
        if self.size == 0 or seq > self.top:
            return None
        diff = self.top - seq
        if diff >= self.size:
            return "replay_too_old"
        if self.bits >> diff & 1:
            return "replay_duplicate"
        return None

    def update(self, seq):
        if seq > self.top:
            shift = seq - self.top
            self.bits = ((self.bits << shift) | 1) & ((1 << self.w) - 1) if shift < self.w else 1
            self.top = seq
        else:
            self.bits |= 1 << (self.top - seq)


# ---- the client ----------------------------------------------------------------------------

def tun_open(name):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    ifr = struct.pack("16sH22x", name.encode(), IFF_TUN | IFF_NO_PI)
    fcntl.ioctl(fd, TUNSETIFF, ifr)
    os.set_blocking(fd, False)
    return fd


def sh(*cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=10)
    if r.returncode != 0:
        raise SystemExit("esp_tun_client: %s failed: %s" % (" ".join(cmd), r.stdout.strip()))


def overhead_mtu(sa, outer_mtu):
    """Largest inner packet whose ESP packet fits in outer_mtu (no outer fragments)."""
    outer = 40 if sa["local"].version == 6 else 20
    if sa["natt"]:
        outer += 8
    algo = CRYPT_ALGOS[CIPHERS[sa["cipher"]][0]]
    icv = algo.icv_size if algo.is_aead else INTEGS[sa["integrity"]][2]
    align = 16 if algo.block_size == 16 else 4
    avail = outer_mtu - outer - 8 - algo.iv_size - icv
    return (avail // align) * align - 2


class Client:
    def __init__(self, args):
        self.args = args
        self.log = Log(args.name)
        self.sa = load_sa_file(args.sa)
        self.out = Direction(self.sa, self.sa["out"], outbound=True)
        self.inb = Direction(self.sa, self.sa["in"], outbound=False)
        self.tx_seq = self.sa["out"]["seq_start"]
        self.replay = ReplayWindow(self.sa["replay_window"], self.sa["esn"],
                                   self.sa["in"]["seq_start"])
        self.sent = OrderedDict()          # seq -> ESP bytes of good packets, for `replay`
        self.ctr = OrderedDict((k, 0) for k in (
            "tun_rx", "encrypted", "tx_esp", "tx_ts_mismatch", "seq_overflow", "send_error",
            "rx_esp", "decrypted", "tun_tx", "no_sa", "auth_failed", "replay_duplicate",
            "replay_too_old", "seq_zero", "bad_length", "bad_padding", "bad_next_header",
            "dummy_packet",
            "inner_malformed", "ts_mismatch", "keepalive_rx", "non_esp_rx", "wrong_peer",
            "tx_tamper", "tx_replay", "tx_unknown_spi", "tx_keepalive", "tx_probe"))
        self.v6 = self.sa["local"].version == 6
        self.local_ts = [ipaddress.ip_network(a, strict=False) for a in args.addr]
        self.local_ts += [ipaddress.ip_network(a) for a in args.local_ts]
        self.remote_ts = [ipaddress.ip_network(a) for a in args.ts]
        self.stop = False
        self.tun = None
        self.sock = None
        self.ctl = None

    # -- set-up
    def setup(self):
        a = self.args
        mtu = a.mtu or overhead_mtu(self.sa, a.outer_mtu)
        self.tun = tun_open(a.tun)
        # No link-local address: the kernel would send RS/MLD through the tunnel.
        sh("ip", "link", "set", "dev", a.tun, "addrgenmode", "none")
        sh("ip", "link", "set", "dev", a.tun, "mtu", str(mtu), "up")
        for addr in a.addr:
            net = ipaddress.ip_interface(addr)
            extra = ["nodad"] if net.version == 6 else []
            sh("ip", "addr", "add", str(net), "dev", a.tun, *extra)
        for r in a.route:
            sh("ip", "route", "replace", r, "dev", a.tun)
        fam = socket.AF_INET6 if self.v6 else socket.AF_INET
        if self.sa["natt"]:
            self.sock = socket.socket(fam, socket.SOCK_DGRAM)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.sock.bind((str(self.sa["local"]), self.sa["natt_sport"]))
            self.dest = (str(self.sa["remote"]), self.sa["natt_dport"])
        else:
            self.sock = socket.socket(fam, socket.SOCK_RAW, IPPROTO_ESP)
            self.sock.bind((str(self.sa["local"]), 0))
            self.dest = (str(self.sa["remote"]), 0)
        self.sock.setblocking(False)
        if a.control:
            try:
                os.unlink(a.control)
            except FileNotFoundError:
                pass
            self.ctl = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.ctl.bind(a.control)
            self.ctl.listen(4)
            self.ctl.setblocking(False)
        self.log("up: tun %s mtu %d addr %s routes %s; %s %s -> %s%s, %s%s, spi out 0x%08x "
                 "in 0x%08x, replay window %d%s", a.tun, mtu, ",".join(a.addr) or "-",
                 ",".join(a.route) or "-", "IPv6" if self.v6 else "IPv4", self.sa["local"],
                 self.sa["remote"], " UDP %d->%d" % (self.sa["natt_sport"],
                                                     self.sa["natt_dport"])
                 if self.sa["natt"] else " ESP", self.sa["cipher"],
                 "" if self.sa["integrity"] == "none" else "+" + self.sa["integrity"],
                 self.out.spi, self.inb.spi, self.sa["replay_window"],
                 ", ESN" if self.sa["esn"] else "")
        if a.ready_file:
            with open(a.ready_file + ".tmp", "w") as f:
                f.write("%d\n" % os.getpid())
            os.rename(a.ready_file + ".tmp", a.ready_file)

    # -- helpers
    def drop(self, reason, fmt, *args):
        self.ctr[reason] += 1
        n = self.ctr[reason]
        if n <= LOG_PER_REASON or n % 1000 == 0:
            self.log("drop %s (#%d): " + fmt, reason, n, *args)

    def send_esp(self, b):
        """ESP bytes (header .. ICV): the kernel adds the outer IP header (raw socket of
        protocol 50) or IP + UDP (NAT-T socket)."""
        try:
            self.sock.sendto(b, self.dest)
            return True
        except OSError as e:
            self.ctr["send_error"] += 1
            if self.ctr["send_error"] <= LOG_PER_REASON:
                self.log("send to %s failed: %s", self.dest[0], e)
            return False

    def next_seq(self):
        nxt = self.tx_seq + 1
        if nxt > (2 ** 64 - 1 if self.sa["esn"] else M32):
            return None
        self.tx_seq = nxt
        return nxt

    @staticmethod
    def inner_source(b):
        v = b[0] >> 4 if b else 0
        if v == 4 and len(b) >= 20:
            return ipaddress.ip_address(b[12:16])
        if v == 6 and len(b) >= 40:
            return ipaddress.ip_address(b[8:24])
        return None

    def probe_packet(self, tag):
        src = self.args.probe_src or (self.args.addr[0].split("/")[0] if self.args.addr else None)
        dst = self.args.probe_dst or src
        if not src:
            raise ValueError("no --probe-src and no --addr")
        payload = Raw(load=("rampart-esp-client %s" % tag).encode())
        if ipaddress.ip_address(src).version == 6:
            return IPv6(src=src, dst=dst) / ICMPv6EchoRequest(id=0x7270, seq=1) / payload
        return IP(src=src, dst=dst) / ICMP(id=0x7270, seq=1) / payload

    # -- data path
    def from_tun(self):
        for _ in range(64):
            try:
                b = os.read(self.tun, 65535)
            except BlockingIOError:
                return
            self.ctr["tun_rx"] += 1
            src = self.inner_source(b)
            if src is None:
                self.drop("inner_malformed", "from TUN: %d bytes, not IPv4/IPv6", len(b))
                continue
            if self.local_ts and not any(src in n for n in self.local_ts):
                self.drop("tx_ts_mismatch", "from TUN: source %s is not ours", src)
                continue
            seq = self.next_seq()
            if seq is None:
                self.drop("seq_overflow", "sequence numbers exhausted")
                continue
            esp = self.out.encrypt(b, seq)
            self.ctr["encrypted"] += 1
            if self.send_esp(esp):
                self.ctr["tx_esp"] += 1
                self.sent[seq] = esp
                if len(self.sent) > REPLAY_KEEP:
                    self.sent.popitem(last=False)

    def from_net(self):
        for _ in range(64):
            try:
                data, peer = self.sock.recvfrom(65535)
            except BlockingIOError:
                return
            if self.sa["natt"]:
                if len(data) == 1 and data[0] == 0xFF:
                    self.ctr["keepalive_rx"] += 1
                    continue
                if len(data) >= 4 and data[:4] == b"\0\0\0\0":
                    self.ctr["non_esp_rx"] += 1
                    continue
                esp = data
            elif self.v6:
                esp = data          # IPv6 raw sockets deliver the payload only
            else:
                ihl = (data[0] & 0xF) * 4
                esp = data[ihl:]
            if ipaddress.ip_address(peer[0]) != self.sa["remote"]:
                self.drop("wrong_peer", "ESP from %s, not our peer", peer[0])
                continue
            self.rx_esp(esp)

    def rx_esp(self, b):
        self.ctr["rx_esp"] += 1
        if len(b) < 8:
            self.drop("bad_length", "%d bytes", len(b))
            return
        spi, lo = struct.unpack("!LL", b[:8])
        if spi != self.inb.spi:
            self.drop("no_sa", "SPI 0x%08x (ours: 0x%08x), seq %d", spi, self.inb.spi, lo)
            return
        d = self.inb
        body = len(b) - 8 - d.iv_len - d.trailer_icv
        if body < 2 or (d.algo.block_size > 1 and body % d.algo.block_size):
            self.drop("bad_length", "SPI 0x%08x seq %d: %d bytes", spi, lo, len(b))
            return
        hi = self.replay.infer_hi(lo)
        seq = hi << 32 | lo
        why = self.replay.check(seq)
        if why:
            self.drop(why, "SPI 0x%08x seq %d (top %d)", spi, seq, self.replay.top)
            return
        if not d.verify_hmac(b, hi):
            self.drop("auth_failed", "SPI 0x%08x seq %d: ICV mismatch", spi, seq)
            return
        try:
            nh, payload, pad_ok = d.decrypt(b, hi)
        except IPSecIntegrityError:
            self.drop("auth_failed", "SPI 0x%08x seq %d: AEAD tag mismatch", spi, seq)
            return
        self.replay.update(seq)
        if not pad_ok:
            self.drop("bad_padding", "SPI 0x%08x seq %d: padding is not 1, 2, 3... or pad "
                      "length too large", spi, seq)
            return
        if nh == 59:
            self.drop("dummy_packet", "SPI 0x%08x seq %d", spi, seq)
            return
        if nh not in (4, 41):
            self.drop("bad_next_header", "SPI 0x%08x seq %d: next header %d", spi, seq, nh)
            return
        v = payload[0] >> 4 if payload else 0
        if (nh == 4 and (v != 4 or len(payload) < 20)) or (nh == 41 and (v != 6 or
                                                                          len(payload) < 40)):
            self.drop("inner_malformed", "SPI 0x%08x seq %d: next header %d, version %d, "
                      "%d bytes", spi, seq, nh, v, len(payload))
            return
        if v == 4:
            total = struct.unpack("!H", payload[2:4])[0]
            src = ipaddress.ip_address(payload[12:16])
        else:
            total = 40 + struct.unpack("!H", payload[4:6])[0]
            src = ipaddress.ip_address(payload[8:24])
        if total > len(payload):
            self.drop("inner_malformed", "SPI 0x%08x seq %d: inner length %d > %d", spi, seq,
                      total, len(payload))
            return
        payload = payload[:total]        # TFC padding
        self.ctr["decrypted"] += 1
        if self.remote_ts and not any(src in n for n in self.remote_ts):
            self.drop("ts_mismatch", "SPI 0x%08x seq %d: inner source %s", spi, seq, src)
            return
        try:
            os.write(self.tun, payload)
            self.ctr["tun_tx"] += 1
        except OSError as e:
            self.drop("send_error", "write to TUN: %s", e)

    # -- control
    def control(self):
        try:
            conn, _ = self.ctl.accept()
        except BlockingIOError:
            return
        with conn:
            conn.settimeout(2)
            buf = b""
            try:
                while b"\n" not in buf and len(buf) < 4096:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    buf += chunk
            except socket.timeout:
                pass
            words = buf.decode(errors="replace").split()
            try:
                ans = self.command(words)
            except (ValueError, IndexError, KeyError) as e:
                ans = {"ok": False, "error": "%s: %s" % (type(e).__name__, e)}
            try:
                conn.sendall((json.dumps(ans, sort_keys=True) + "\n").encode())
            except OSError:
                pass

    def stats(self):
        return {"ok": True, "counters": dict(self.ctr), "tx_seq": self.tx_seq,
                "rx_top": self.replay.top, "spi_out": self.out.spi, "spi_in": self.inb.spi,
                "kept_for_replay": len(self.sent),
                "oldest_kept": next(iter(self.sent)) if self.sent else None}

    def command(self, w):
        if not w:
            return {"ok": False, "error": "empty command"}
        cmd, rest = w[0], w[1:]
        if cmd == "stats":
            return self.stats()
        if cmd == "quit":
            self.stop = True
            return {"ok": True}
        if cmd == "probe":
            n = int(rest[0]) if rest else 1
            seqs = []
            for _ in range(min(n, 10000)):
                seq = self.next_seq()
                if seq is None:
                    break
                esp = self.out.encrypt(self.probe_packet("probe %d" % seq), seq)
                if self.send_esp(esp):
                    self.ctr["tx_probe"] += 1
                    self.sent[seq] = esp
                    seqs.append(seq)
            return {"ok": len(seqs) == n, "sent": len(seqs), "seqs": seqs}
        if cmd == "tamper":
            n = int(rest[0]) if rest else 1
            where = rest[1] if len(rest) > 1 else "ciphertext"
            if where not in ("ciphertext", "icv"):
                raise ValueError("tamper where: ciphertext or icv")
            d = self.out
            if where == "icv" and not d.trailer_icv:
                raise ValueError("no ICV with %s/%s" % (d.cipher, d.integ))
            if where == "ciphertext" and not d.trailer_icv:
                self.log("warning: tampering with an SA without integrity: the peer cannot "
                         "tell")
            seqs = []
            for _ in range(min(n, 10000)):
                seq = self.next_seq()
                if seq is None:
                    break
                esp = bytearray(self.out.encrypt(self.probe_packet("tamper %d" % seq), seq))
                pos = 8 + d.iv_len if where == "ciphertext" else len(esp) - 1
                esp[pos] ^= 0x01
                if self.send_esp(bytes(esp)):
                    self.ctr["tx_tamper"] += 1
                    seqs.append(seq)
            self.log("sent %d tampered packet(s) (%s byte flipped), seq %s", len(seqs), where,
                     seqs)
            return {"ok": len(seqs) == n, "sent": len(seqs), "seqs": seqs, "where": where}
        if cmd == "replay":
            which = rest[0] if rest else "latest"
            n = int(rest[1]) if len(rest) > 1 else 1
            if not self.sent:
                raise ValueError("nothing sent yet to replay")
            if which == "latest":
                seq = next(reversed(self.sent))
            elif which == "oldest":
                seq = next(iter(self.sent))
            else:
                seq = int(which, 0)
                if seq not in self.sent:
                    raise KeyError("packet %d not kept (kept: %d..%d)" %
                                   (seq, next(iter(self.sent)), next(reversed(self.sent))))
            sent = 0
            for _ in range(min(n, 10000)):
                if self.send_esp(self.sent[seq]):
                    self.ctr["tx_replay"] += 1
                    sent += 1
            self.log("replayed packet seq %d %d time(s) (our last seq %d)", seq, sent,
                     self.tx_seq)
            return {"ok": sent == n, "sent": sent, "seq": seq, "last_seq": self.tx_seq}
        if cmd == "unknown-spi":
            spi = int(rest[0], 0) if rest else (self.out.spi ^ 0x5A5A0000)
            if spi in (self.out.spi,) or not 256 <= spi <= M32:
                raise ValueError("SPI 0x%x is ours or out of range" % spi)
            esp = self.out.encrypt(self.probe_packet("unknown-spi"), 1, spi=spi)
            ok = self.send_esp(esp)
            self.ctr["tx_unknown_spi"] += ok
            self.log("sent a packet with unknown SPI 0x%08x", spi)
            return {"ok": ok, "sent": int(ok), "spi": spi}
        if cmd == "keepalive":
            if not self.sa["natt"]:
                raise ValueError("keepalive: not a NAT-T SA")
            ok = self.send_esp(b"\xff")
            self.ctr["tx_keepalive"] += ok
            return {"ok": ok, "sent": int(ok)}
        return {"ok": False, "error": "unknown command %r (stats, probe, tamper, replay, "
                "unknown-spi, keepalive, quit)" % cmd}

    # -- main loop
    def run(self):
        def on_sig(sig, _frm):
            self.stop = True
        signal.signal(signal.SIGTERM, on_sig)
        signal.signal(signal.SIGINT, on_sig)
        self.setup()
        deadline = time.monotonic() + self.args.duration if self.args.duration else None
        fds = [self.tun, self.sock] + ([self.ctl] if self.ctl else [])
        while not self.stop:
            if deadline and time.monotonic() > deadline:
                self.log("--duration %g s reached", self.args.duration)
                break
            try:
                r, _, _ = select.select(fds, [], [], 0.5)
            except InterruptedError:
                continue
            if self.tun in r:
                self.from_tun()
            if self.sock in r:
                self.from_net()
            if self.ctl and self.ctl in r:
                self.control()
        self.log("stopping: %s", json.dumps(self.ctr))
        if self.args.stats_file:
            with open(self.args.stats_file, "w") as f:
                json.dump(self.stats(), f, sort_keys=True)
        if self.args.control:
            try:
                os.unlink(self.args.control)
            except OSError:
                pass
        return 0


# ---- subcommands --------------------------------------------------------------------------

def cmd_run(a):
    return Client(a).run()


def cmd_ctl(a):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(a.timeout)
    try:
        s.connect(a.socket)
        s.sendall((" ".join(a.words) + "\n").encode())
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    except OSError as e:
        print(json.dumps({"ok": False, "error": "control socket %s: %s" % (a.socket, e)}))
        return 1
    out = buf.decode().strip()
    print(out)
    try:
        return 0 if json.loads(out).get("ok") else 1
    except ValueError:
        return 1


def cmd_gen(a):
    cipher, integ = norm_name(a.cipher), norm_name(a.integrity)
    if cipher not in CIPHERS or integ not in INTEGS:
        raise SystemExit("gen-sa: unknown cipher or integrity (see `algs`)")
    _, klen, slen = CIPHERS[cipher]
    alen = INTEGS[integ][1]
    rnd = os.urandom

    def keys():
        return {"key": rnd(klen + slen).hex(), "auth_key": rnd(alen).hex()}
    k_a2b, k_b2a = keys(), keys()
    common = {"cipher": cipher, "integrity": integ, "esn": a.esn, "natt": a.natt,
              "replay_window": a.replay_window}
    a_end = dict(common, local=a.local, remote=a.remote, natt_sport=a.natt_port_a,
                 natt_dport=a.natt_port_b,
                 out=dict(k_a2b, spi=a.spi_a2b, seq_start=a.seq_start),
                 **{"in": dict(k_b2a, spi=a.spi_b2a, seq_start=a.seq_start)})
    b_end = dict(common, local=a.remote, remote=a.local, natt_sport=a.natt_port_b,
                 natt_dport=a.natt_port_a,
                 out=dict(k_b2a, spi=a.spi_b2a, seq_start=a.seq_start),
                 **{"in": dict(k_a2b, spi=a.spi_a2b, seq_start=a.seq_start)})
    for path, d in ((a.out, a_end), (a.peer_out, b_end)):
        with open(path, "w") as f:
            f.write(sa_to_json(d))
        load_sa_file(path)      # check what was written
    return 0


def cmd_manual_sas(a):
    """The concentrator's view of a client SA file, as rampart-dp manual_sas entries."""
    sa = load_sa_file(a.sa)

    def q(s):
        return '"%s"' % s

    def strs(lst):
        return "[ " + ", ".join(q(x) for x in lst) + " ]"

    def entry(sa_id, pair, direction, d, extra):
        lines = ["sa_id = %d;" % sa_id, "paired_sa_id = %d;" % pair,
                 "direction = %s;" % q(direction), "spi = %d;" % d["spi"],
                 "cipher = %s;" % q(sa["cipher"]), "integrity = %s;" % q(sa["integrity"])]
        if d["key"]:
            lines.append("key = %s;" % q(d["key"].hex()))
        if d["auth_key"]:
            lines.append("auth_key = %s;" % q(d["auth_key"].hex()))
        # the concentrator's local is the client's remote
        lines += ["local = %s;" % q(sa["remote"]), "remote = %s;" % q(sa["local"])]
        if sa["natt"]:
            lines += ["natt = true;", "natt_sport = %d;" % sa["natt_dport"],
                      "natt_dport = %d;" % sa["natt_sport"]]
        if sa["esn"]:
            lines.append("esn = true;")
        lines += extra
        return "{ " + " ".join(lines) + " }"
    # client out = concentrator in; client in = concentrator out
    # (The concentrator's inbound window starts at 0 whatever the client's out.seq_start.)
    ins = ["replay_window = %d;" % sa["replay_window"],
           "traffic_selectors = %s;" % strs(a.ts)]
    outs = ["routes = %s;" % strs(a.routes)]
    if sa["in"]["seq_start"]:
        outs.append("seq_start = %d;" % sa["in"]["seq_start"])
    print(entry(a.sa_id, a.sa_id + 1, "in", sa["out"], ins) + ",")
    print(entry(a.sa_id + 1, a.sa_id, "out", sa["in"], outs) + a.sep)
    return 0


def cmd_self_check(_a):
    """Offline: every algorithm pair round-trips (with and without ESN) between two mirrored
    Directions; a flipped ciphertext or ICV byte, or a wrong ESN high half, fails integrity;
    the HMAC-with-ESN ICV matches hashlib's; the replay window and ESN inference behave."""
    import hashlib
    fails = []
    local, remote = ipaddress.ip_address("192.0.2.2"), ipaddress.ip_address("192.0.2.1")
    inner = IP(raw(IP(src="203.0.113.2", dst="198.51.100.10") / ICMP() / Raw(load=b"x" * 37)))
    hashes = {"hmac-sha1-96": hashlib.sha1, "hmac-sha256-128": hashlib.sha256,
              "hmac-sha384-192": hashlib.sha384, "hmac-sha512-256": hashlib.sha512}
    n = 0
    for c in supported_ciphers():
        for i in supported_integs():
            if (c in AEAD) != (i == "none") and c != "null":
                continue
            for esn in (False, True):
                _, kl, sl = CIPHERS[c]
                d = {"key": os.urandom(kl + sl), "auth_key": os.urandom(INTEGS[i][1]),
                     "spi": 0x1234, "seq_start": 0}
                sa = {"cipher": c, "integrity": i, "esn": esn, "local": local, "remote": remote}
                o = Direction(sa, d, True)
                r = Direction(dict(sa, local=remote, remote=local), d, False)
                seq = (5 << 32 | 7) if esn else 7
                hi = seq >> 32
                b = o.encrypt(inner, seq)
                what = "%s/%s%s" % (c, i, " esn" if esn else "")
                n += 1
                try:
                    ok = r.verify_hmac(b, hi) and r.decrypt(b, hi) == (4, raw(inner), True)
                except IPSecIntegrityError:
                    ok = False
                if not ok:
                    fails.append(what + ": round trip")
                # wrong padding (zeros), correctly encrypted and authenticated: caught
                align = 16 if o.algo.block_size == 16 else 4
                minimal = (-(len(raw(inner)) + 2)) % align
                for padlen in {minimal or align, minimal + align}:
                    esp = _ESPPlain(spi=0x1234, seq=seq & M32, iv=o.iv_for(seq),
                                    data=raw(inner), padding=bytes(padlen), padlen=padlen, nh=4)
                    bad = raw(o.algo.encrypt(o.sa, esp, o.sa.crypt_key, None, esn_en=esn,
                                             esn=hi))
                    if o.hmac:
                        bad += o._mac(bad, hi)
                    if r.verify_hmac(bad, hi) and r.decrypt(bad, hi)[2]:
                        fails.append(what + ": zero padding (%d bytes) accepted" % padlen)
                if struct.unpack("!LL", b[:8]) != (0x1234, seq & M32):
                    fails.append(what + ": header")
                if not (esn and i != "none"):
                    iv = b[8:8 + o.iv_len]
                    if o.encrypt_reference(inner, seq, iv) != b:
                        fails.append(what + ": differs from SecurityAssociation.encrypt()")
                if i in hashes:
                    ic = INTEGS[i][2]
                    data = b[:-ic] + (struct.pack("!L", hi) if esn else b"")
                    if hmac.new(d["auth_key"], data, hashes[i]).digest()[:ic] != b[-ic:]:
                        fails.append(what + ": ICV differs from hashlib's")
                if c == "null" and i == "none":
                    continue
                variants = [("ciphertext", 8 + o.iv_len), ("icv", len(b) - 1)]
                for label, pos in variants:
                    t = bytearray(b)
                    t[pos] ^= 1
                    try:
                        bad = r.verify_hmac(bytes(t), hi) and r.decrypt(bytes(t), hi) is not None
                    except IPSecIntegrityError:
                        bad = False
                    if bad:
                        fails.append(what + ": flipped %s byte accepted" % label)
                if esn:
                    try:
                        bad = r.verify_hmac(b, hi + 1) and r.decrypt(b, hi + 1) is not None
                    except IPSecIntegrityError:
                        bad = False
                    if bad:
                        fails.append(what + ": wrong ESN high half accepted")
    # replay window: 64, no ESN
    w = ReplayWindow(64, False, 0)
    steps = [(0, "seq_zero"), (1, None), (1, "replay_duplicate"), (100, None), (37, None),
             (37, "replay_duplicate"), (36, "replay_too_old"), (99, None),
             (99, "replay_duplicate"), (101, None), (37, "replay_too_old"), (38, None),
             (1000, None), (101, "replay_too_old"), (999, None), (999, "replay_duplicate")]
    for seq, want in steps:
        got = w.check(seq)
        if got != want:
            fails.append("replay: seq %d gave %s, want %s" % (seq, got, want))
        if got is None:
            w.update(seq)
    # ESN inference across 2^32 (RFC 4303 appendix A)
    w = ReplayWindow(64, True, M32 - 10)
    for lo, want_hi in ((M32 - 5, 0), (3, 1), (M32 - 20, 0)):
        got = w.infer_hi(lo)
        if got != want_hi:
            fails.append("esn: lo %#x gave hi %d, want %d" % (lo, got, want_hi))
        seq = got << 32 | lo
        if w.check(seq) is None:
            w.update(seq)
    if w.top != (1 << 32 | 3):
        fails.append("esn: top %#x after crossing 2^32" % w.top)
    if w.infer_hi(M32 - 30) != 0 or w.check(M32 - 30) is not None:
        fails.append("esn: a recent packet from before 2^32 is not accepted")
    for f in fails:
        print("FAIL: " + f)
    print("self-check: %d algorithm combinations, %d failure%s" % (n, len(fails),
                                                                   "" if len(fails) == 1 else "s"))
    return 1 if fails else 0


def cmd_algs(_a):
    print(json.dumps({"ciphers": supported_ciphers(), "integrity": supported_integs(),
                      "scapy_only": sorted(set(CRYPT_ALGOS) - {v[0] for v in CIPHERS.values()}),
                      "aead": list(AEAD)}, indent=1))
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(prog="esp_tun_client.py",
                                description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    r = sub.add_parser("run", help="run the tunnel client")
    r.add_argument("--sa", required=True, help="SA file (JSON)")
    r.add_argument("--tun", default="esp0", help="TUN device name (default esp0)")
    r.add_argument("--addr", action="append", default=[],
                   help="inner address/prefix on the TUN device (repeatable)")
    r.add_argument("--route", action="append", default=[],
                   help="prefix routed into the tunnel (repeatable)")
    r.add_argument("--ts", action="append", default=[],
                   help="inbound: allowed inner source prefix (repeatable; none = any)")
    r.add_argument("--local-ts", action="append", default=[],
                   help="outbound: allowed inner source besides the --addr prefixes")
    r.add_argument("--mtu", type=int, default=0,
                   help="TUN MTU (default: what fits --outer-mtu after ESP overhead)")
    r.add_argument("--outer-mtu", type=int, default=1500)
    r.add_argument("--control", help="unix socket for `ctl` commands")
    r.add_argument("--probe-src", help="inner source of probe/mischief packets (default: "
                   "first --addr)")
    r.add_argument("--probe-dst", help="inner destination of probe/mischief packets "
                   "(default: the source)")
    r.add_argument("--name", default="esp-client", help="name in log lines")
    r.add_argument("--ready-file", help="written (with our pid) once the client is up")
    r.add_argument("--stats-file", help="counters written here (JSON) at exit")
    r.add_argument("--duration", type=float, default=0,
                   help="exit after this many seconds (0 = until SIGTERM/SIGINT/quit)")
    r.set_defaults(fn=cmd_run)

    c = sub.add_parser("ctl", help="send a command to a running client")
    c.add_argument("socket")
    c.add_argument("words", nargs="+", help="stats | probe [N] | tamper [N] [ciphertext|icv] "
                   "| replay [latest|oldest|SEQ] [N] | unknown-spi [SPI] | keepalive | quit")
    c.add_argument("--timeout", type=float, default=10)
    c.set_defaults(fn=cmd_ctl)

    g = sub.add_parser("gen-sa", help="write two mirrored SA files with random keys")
    g.add_argument("--cipher", default="aes-gcm-128")
    g.add_argument("--integrity", default="none")
    g.add_argument("--local", required=True, help="outer address of this end (A)")
    g.add_argument("--remote", required=True, help="outer address of the peer (B)")
    g.add_argument("--spi-a2b", type=lambda s: int(s, 0), default=0x1001)
    g.add_argument("--spi-b2a", type=lambda s: int(s, 0), default=0x2001)
    g.add_argument("--esn", action="store_true")
    g.add_argument("--natt", action="store_true")
    g.add_argument("--natt-port-a", type=int, default=NATT_PORT)
    g.add_argument("--natt-port-b", type=int, default=NATT_PORT)
    g.add_argument("--replay-window", type=int, default=64)
    g.add_argument("--seq-start", type=lambda s: int(s, 0), default=0,
                   help="both directions, both ends (e.g. 0xffffff00 with --esn)")
    g.add_argument("-o", "--out", required=True, help="SA file of A")
    g.add_argument("--peer-out", required=True, help="SA file of B")
    g.set_defaults(fn=cmd_gen)

    m = sub.add_parser("manual-sas", help="print the concentrator's manual_sas entries for a "
                       "client SA file")
    m.add_argument("--sa", required=True, help="the client's SA file")
    m.add_argument("--sa-id", type=int, default=1, help="sa_id of the inbound SA; the "
                   "outbound one gets sa_id + 1")
    m.add_argument("--ts", action="append", required=True,
                   help="the client's inner prefixes (inbound traffic selectors)")
    m.add_argument("--routes", action="append", required=True,
                   help="inner destinations routed to the client")
    m.add_argument("--sep", default="", help="appended after the last entry (e.g. ',')")
    m.set_defaults(fn=cmd_manual_sas)

    sc = sub.add_parser("self-check", help="offline checks of the crypto and replay logic")
    sc.set_defaults(fn=cmd_self_check)

    al = sub.add_parser("algs", help="list supported algorithms")
    al.set_defaults(fn=cmd_algs)

    a = p.parse_args(argv)
    return a.fn(a)


if __name__ == "__main__":
    sys.exit(main())
