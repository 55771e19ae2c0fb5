# SPDX-License-Identifier: LicenseRef-Rampart-Proprietary
"""dp-bench's traffic: clear and ESP (tunnel mode) pcaps built with struct and
python3-cryptography, without a scapy object per packet (about 100x faster: 100 000 SAs x
2 packets in seconds instead of over ten minutes).

Every frame is byte for byte what scapy makes for the same packet (Ether / IP / UDP with
scapy's defaults: IP id 1, TTL 64, UDP checksum; ESP through scapy's SecurityAssociation with
the same IV): check() compares a sample of them with scapy for every algorithm and decrypts
them with scapy, so this fast path cannot silently produce garbage (dp-bench --check-gen,
also run by --quick).

ESP: tunnel mode (next header 4), padding 1, 2, 3, ... to 4 bytes (16 for AES-CBC) as in
RFC 4303, no ESN; the IV is the sequence number as 8 bytes (16 for CBC: zero-extended), so a
nonce never repeats within an SA.
"""
import struct
import hashlib
import hmac

# crypt name (as scapy names it) -> (IV bytes, block alignment, ICV bytes, salt bytes)
CRYPT = {
    "AES-GCM": (8, 4, 16, 4),
    "CHACHA20-POLY1305": (8, 4, 16, 4),
    "AES-CBC": (16, 16, 0, 0),
}
AUTH = {None: 0, "SHA2-256-128": 16}


def ip_bytes(s):
    return bytes(int(x) for x in s.split("."))


def mac_bytes(s):
    return bytes.fromhex(s.replace(":", ""))


def csum(b):
    """Internet checksum (RFC 1071) of b."""
    if len(b) & 1:
        b += b"\x00"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(src, dst, proto, payload, ttl=64, ident=1):
    """IPv4 header (scapy defaults: tos 0, id 1, no flags) + payload; src/dst as 4 bytes."""
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0, ttl, proto, 0, src, dst)
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


def udp(src, dst, sport, dport, payload, zero=False):
    """UDP header with checksum (pseudo header from src/dst, 4 bytes each) + payload
    (zero: the payload is all zero bytes, which add nothing to the checksum)."""
    ln = 8 + len(payload)
    h = struct.pack("!HHHH", sport, dport, ln, 0)
    c = csum(src + dst + struct.pack("!BBH", 0, 17, ln) + h + (b"" if zero else payload))
    return h[:6] + struct.pack("!H", c or 0xFFFF) + payload


def udp_packet(src, dst, sport, dport, frame_len, zero_payload=b"\x00" * 2048):
    """IPv4/UDP packet (src/dst as text) for an Ethernet frame of frame_len bytes, zero payload."""
    s, d = ip_bytes(src), ip_bytes(dst)
    return ipv4(s, d, 17, udp(s, d, sport, dport, zero_payload[:frame_len - 14 - 28], zero=True))


def ether(dst_mac, src_mac, payload, ethertype=0x0800):
    return mac_bytes(dst_mac) + mac_bytes(src_mac) + struct.pack("!H", ethertype) + payload


class EspSa:
    """One outbound ESP SA in tunnel mode (what scapy's SecurityAssociation(ESP, ...,
    tunnel_header=IP(src, dst)) does), with the key schedule made once."""

    def __init__(self, crypt, auth, spi, key, auth_key, src, dst):
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
        if crypt not in CRYPT or auth not in AUTH:
            raise ValueError("unsupported %s / %s" % (crypt, auth))
        self.crypt, self.spi = crypt, spi
        self.iv_len, self.align, self.icv_len, salt_len = CRYPT[crypt]
        self.src, self.dst = ip_bytes(src), ip_bytes(dst)
        if crypt == "AES-GCM":
            self.aead, self.salt = AESGCM(key[:-salt_len]), key[-salt_len:]
        elif crypt == "CHACHA20-POLY1305":
            self.aead, self.salt = ChaCha20Poly1305(key[:-salt_len]), key[-salt_len:]
        else:
            self.aead = None
            self.cbc = (Cipher, algorithms.AES(key), modes.CBC)
        self.auth_key, self.auth_len = auth_key, AUTH[auth]

    def encrypt(self, inner, seq, iv=None):
        """Outer IPv4 header + ESP (header, IV, ciphertext, ICV) of the inner IP packet."""
        if iv is None:
            iv = struct.pack("!Q", seq).rjust(self.iv_len, b"\x00")
        padlen = -(len(inner) + 2) % self.align
        plain = inner + bytes(range(1, padlen + 1)) + struct.pack("BB", padlen, 4)
        hdr = struct.pack("!II", self.spi, seq)
        if self.aead is not None:
            body = iv + self.aead.encrypt(self.salt + iv, plain, hdr)
        else:
            Cipher, alg, mode = self.cbc
            enc = Cipher(alg, mode(iv)).encryptor()
            body = iv + enc.update(plain) + enc.finalize()
        esp = hdr + body
        if self.auth_len:
            esp += hmac.new(self.auth_key, esp, hashlib.sha256).digest()[:self.auth_len]
        return ipv4(self.src, self.dst, 50, esp)


class PcapWriter:
    """Classic pcap (microseconds, Ethernet), records with zero timestamps."""

    def __init__(self, path):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        self.rec = struct.Struct("<IIII")

    def write(self, frame):
        self.f.write(self.rec.pack(0, 0, len(frame), len(frame)))
        self.f.write(frame)

    def close(self):
        self.f.close()


def read_pcap(path):
    """Frames of a classic little-endian pcap (for the checks)."""
    out = []
    with open(path, "rb") as f:
        data = f.read()
    if struct.unpack("<I", data[:4])[0] != 0xA1B2C3D4:
        raise ValueError("%s: not a little-endian microsecond pcap" % path)
    off = 24
    while off < len(data):
        _, _, incl, _ = struct.unpack("<IIII", data[off:off + 16])
        out.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return out
