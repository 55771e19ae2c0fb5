# SPDX-License-Identifier: LicenseRef-Rampart-Proprietary
"""TRex stateless profile: dp-bench's DECRYPT direction on hardware.

Send on the TRex port cabled to rampart-dp's OUTSIDE port; rampart-dp sends the decrypted
clear packets out of its inside port (to the other TRex port: count them there).
perf/README.md, "Traffic generators".

  start -f perf/profiles/trex_dec.py -p 1 -m 5mpps -t size=imix,sas=1000
  start -f perf/profiles/trex_dec.py -p 1 -m 5mpps -t size=64,sas=1000,mode=pcap

Tunables: size = 64 | imix | 1400 (default 64), sas (default 1), alg = one of dp-bench's
algorithms (default aes-gcm-128), max_pkts = dp-bench's --max-pkts (default 16384),
pcap_dir (default perf/profiles/pcap or $RAMPART_PCAP_DIR), mode = streams | pcap,
loops (pcap mode: times through the pcap, 0 = for ever; default 0).

Traffic: the ESP pcap that dp-bench replays for the same scenario, made by dp-bench's own
make_pcaps() (perf/dp_pcap.py: same SPIs 0x10000 + i, keys, outer 10.128.0.0 + i + 1 ->
198.18.0.1, sequence numbers 1, 2, ... per SA, IV = sequence number) into pcap_dir, once; run
perf/profiles/make-pcaps beforehand if TRex's Python has no python3-cryptography.
  mode=streams (default): one continuous stream per packet of the pcap, all at the same rate
    (1 Mpps together at multiplier 1; `-m` scales): line rate, each packet repeated as is.
  mode=pcap: STLProfile.load_pcap(): the packets chained in the pcap's order, `loops` times,
    at `ipg_usec` (default 1) apart: dp-bench's order exactly, slower.

TRex cannot encrypt: every packet is sent again with the SAME sequence number. rampart-dp must
therefore run with anti-replay OFF (replay_window = 0, the manual-SA default, which
perf/profiles/dut-config keeps, as dp-bench does), or the run must not repeat the pcap
(mode=pcap, loops=1, with a pcap long enough for the run: make-pcaps --max-pkts). For
fresh sequence numbers and anti-replay on use rampart-gen (perf/gen), which encrypts itself.
No latency streams here: TRex's signature would have to be inside the encrypted payload.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from trex_stl_lib.api import STLProfile, STLStream, STLPktBuilder, STLTXCont  # noqa: E402
import rampart_scen as rs  # noqa: E402

DEFAULTS = {"size": "64", "sas": 1, "alg": "aes-gcm-128", "max_pkts": 16384, "pcap_dir": "",
            "mode": "streams", "loops": 0, "ipg_usec": 1.0}
TOTAL_PPS = 1000000.0


class RampartDec(object):
    # tunables as named arguments too: TRex consoles that pass `-t a=b` as keyword arguments
    # accept only names get_streams() declares; newer ones pass the list `tunables`
    def get_streams(self, direction=0, port_id=0, tunables=None, size="64", sas=1,
                    alg="aes-gcm-128", max_pkts=16384, pcap_dir="", mode="streams", loops=0,
                    ipg_usec=1.0, **kwargs):
        named = dict(size=size, sas=sas, alg=alg, max_pkts=max_pkts, pcap_dir=pcap_dir, mode=mode,
                     loops=loops, ipg_usec=ipg_usec)
        kwargs.update((k, v) for k, v in named.items() if v != DEFAULTS[k])
        t = rs.tunables(tunables, kwargs, DEFAULTS)
        size, nsa = rs.check_size(t["size"]), t["sas"]
        if t["mode"] not in ("streams", "pcap"):
            raise ValueError("mode must be streams or pcap, not %r" % t["mode"])
        _, esp, n = rs.pcaps(t["alg"], nsa, size, t["max_pkts"], t["pcap_dir"] or None)
        if t["mode"] == "pcap":
            return STLProfile.load_pcap(esp, ipg_usec=t["ipg_usec"], loop_count=t["loops"]).get_streams()
        frames = rs.dp_pcap.read_pcap(esp)
        if len(frames) != n:
            raise ValueError("%s: %d packets, dp-bench makes %d: remove it (stale)" % (esp, len(frames), n))
        return STLProfile([STLStream(name="dec-%d" % k, packet=STLPktBuilder(pkt_buffer=f),
                                     mode=STLTXCont(pps=TOTAL_PPS / n))
                           for k, f in enumerate(frames)]).get_streams()


def register():
    return RampartDec()
