# SPDX-License-Identifier: LicenseRef-Rampart-Proprietary
"""dp-bench's scenarios for the hardware traffic generators (TRex, pktgen-dpdk).

Nothing here defines an address, SPI, key, size or packet count of its own: perf/dp-bench is
loaded as a module (it is a script without .py, so through importlib's SourceFileLoader; its
main() does not run) and its definitions are used: LOCAL, SERVER, client(i), remote(i),
keys(), ALGS, IMIX, npkts_for(), frames_fast(), make_pcaps() and rampart_conf(), with
perf/dp_pcap.py underneath. perf/profiles/check-profiles verifies that what the profiles send
is byte for byte what dp-bench sends.

RAMPART_DP_BENCH=FILE loads another copy of dp-bench (check-profiles uses it to prove that it
notices a change).
"""
import collections
import importlib.machinery
import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PERF = os.path.dirname(HERE)

SIZES = ("64", "imix", "1400")
# destination MAC of dp-bench's clear frames (dp-bench's frames_fast() writes it as a literal;
# check-profiles compares every frame with frames_fast(), so a change there is noticed)
CLEAR_DST_MAC = "02:00:00:00:0d:02"
CLEAR_SPORT, CLEAR_DPORT_BASE, DPORT_SPAN = 2000, 1000, 50000


def _load_dp_bench():
    path = os.environ.get("RAMPART_DP_BENCH") or os.path.join(PERF, "dp-bench")
    name = "rampart_dp_bench"
    mod = sys.modules.get(name)
    if mod is not None and getattr(mod, "__file__", None) == path:
        return mod
    if PERF not in sys.path:
        sys.path.insert(0, PERF)      # dp_pcap.py, also for a copy of dp-bench elsewhere
    loader = importlib.machinery.SourceFileLoader(name, path)
    spec = importlib.util.spec_from_loader(name, loader)
    mod = importlib.util.module_from_spec(spec)
    mod.__file__ = path
    loader.exec_module(mod)   # dp-bench puts perf/ on sys.path and imports dp_pcap
    sys.modules[name] = mod
    return mod


dpb = _load_dp_bench()
dp_pcap = dpb.dp_pcap


def default_pcap_dir():
    return os.environ.get("RAMPART_PCAP_DIR") or os.path.join(HERE, "pcap")


def size_mix(size):
    """[(clear frame length, weight)] of a dp-bench size: '64' -> [(64, 1)], 'imix' ->
    [(64, 7), (576, 4), (1400, 1)] (counted from dp-bench's IMIX list)."""
    lens = dpb.sizes_of(str(size))
    return sorted(collections.Counter(lens).items())


def check_size(size):
    size = str(size)
    if size != "imix" and not (size.isdigit() and 64 <= int(size) <= 1500):
        raise ValueError("size must be imix or a frame length 64..1500, not %r" % size)
    return size


def clear_frame(i, flen):
    """dp-bench's clear frame to SA i's client (encrypt direction), flen bytes without FCS."""
    return dp_pcap.ether(CLEAR_DST_MAC, dpb.MAC_IN,
                         dp_pcap.udp_packet(dpb.SERVER, dpb.client(i), CLEAR_SPORT,
                                            CLEAR_DPORT_BASE + i % DPORT_SPAN, flen))


def ip_int(s):
    a, b, c, d = (int(x) for x in s.split("."))
    return a << 24 | b << 16 | c << 8 | d


def client_base(nsa):
    """client(0) as an integer, after checking that client(i) = client(0) + i over the N SAs
    (what a generator's address range can express)."""
    base = ip_int(dpb.client(0))
    for i in sorted({1, nsa // 2, nsa - 1}):
        if i > 0 and ip_int(dpb.client(i)) != base + i:
            raise ValueError("dp-bench's client(%d) = %s is not client(0) + %d: a range cannot "
                             "express it" % (i, dpb.client(i), i))
    return base


def npkts(nsa, size, max_pkts=16384):
    return dpb.npkts_for(nsa, str(size), max_pkts)


def pcaps(alg, nsa, size, max_pkts=16384, pcap_dir=None):
    """(clear pcap, ESP pcap, packets) of a scenario: dp-bench's make_pcaps() (same file
    names, same frames; made once, then reused)."""
    if alg not in dpb.ALGS:
        raise ValueError("unknown algorithm %s (one of %s)" % (alg, ", ".join(dpb.ALGS)))
    d = pcap_dir or default_pcap_dir()
    os.makedirs(d, exist_ok=True)
    plain, esp = dpb.make_pcaps(d, alg, int(nsa), str(size), int(max_pkts))
    return plain, esp, npkts(nsa, size, max_pkts)


def tunables(tun, kwargs, defaults):
    """TRex tunables in either style: old consoles pass `-t size=imix,sas=1000` as keyword
    arguments, newer ones a list of strings (`-t size=imix,sas=1000` or `-t --size imix`).
    Values take the type of the default; unknown names are an error."""
    out = dict(defaults)
    items = list(kwargs.items())
    toks = list(tun or [])
    if isinstance(tun, str):
        toks = [tun]
    k = 0
    while k < len(toks):
        tok = str(toks[k])
        k += 1
        if tok.startswith("--"):
            name, eq, val = tok[2:].partition("=")
            if not eq:
                if k >= len(toks):
                    raise ValueError("tunable %s needs a value" % tok)
                val = str(toks[k])
                k += 1
            items.append((name, val))
            continue
        for part in tok.split(","):
            if not part:
                continue
            name, eq, val = part.partition("=")
            if not eq:
                raise ValueError("tunable %r is not NAME=VALUE" % part)
            items.append((name, val))
    for name, val in items:
        name = name.replace("-", "_")
        if name not in defaults:
            raise ValueError("unknown tunable %r (known: %s)" % (name, ", ".join(sorted(defaults))))
        d = defaults[name]
        out[name] = type(d)(val) if d is not None and not isinstance(d, str) else str(val)
    return out
