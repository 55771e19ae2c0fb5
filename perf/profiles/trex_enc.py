# SPDX-License-Identifier: LicenseRef-Rampart-Proprietary
"""TRex stateless profile: dp-bench's ENCRYPT direction on hardware.

Send on the TRex port cabled to rampart-dp's INSIDE port; rampart-dp sends ESP out of its
outside port (to the other TRex port: count it there). perf/README.md, "Traffic generators".

  start -f perf/profiles/trex_enc.py -p 0 -m 10mpps -t size=imix,sas=1000
  start -f perf/profiles/trex_enc.py -p 0 -m 100% -t size=64,sas=1000,lat=0.01

Tunables: size = 64 | imix | 1400 (or any frame length 64..1500; default 64), sas = number
of SAs (default 1), lat = fraction of the SAs that also get a latency stream (default 0,
at most 128 streams), lat_pps = their total rate at multiplier 1 (default 1000).

Traffic: exactly dp-bench's clear frames (perf/dp-bench frames_fast(); check-profiles
compares them byte for byte): UDP 2000 -> 1000 + i % 50000 from the server 198.19.0.10 to SA
i's client 100.64.0.0 + i + 1, frame lengths without FCS, zero payload, IP id 1, TTL 64,
UDP checksum. One continuous stream per frame length (IMIX: 64 / 576 / 1400 B at 7:4:1, the
weights counted from dp-bench's IMIX list) whose field engine walks the N SAs in turn (a
flow per SA, every SA visited in turn as in dp-bench's pcaps): the destination address, the
UDP destination port, then the IPv4 and UDP checksums (the UDP one by the NIC's checksum
offload, STLVmFixChecksumHw). At multiplier 1 the streams send 1 Mpps together: `-m` scales.
TRex replaces both MAC addresses with its port configuration (trex_cfg.yaml), as it should:
rampart-dp's ports are promiscuous.

Latency streams (STLFlowLatencyStats, one pg_id per chosen SA, SA i's frame of the smallest
size) only measure something when the packets come back to TRex in clear: TRex finds its
signature in the payload, and what leaves rampart-dp here is ESP. With one DUT they are all
reported lost; they are for a topology in which a second gateway decrypts before TRex's
receiving port. For latency through one rampart-dp use perf/gen (rampart-gen decrypts).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from trex_stl_lib.api import (STLProfile, STLStream, STLPktBuilder, STLTXCont,  # noqa: E402
                              STLFlowLatencyStats, STLScVmRaw, STLVmFlowVar, STLVmWrFlowVar,
                              STLVmWrMaskFlowVar, STLVmFixChecksumHw,
                              CTRexVmInsFixHwCs)
import rampart_scen as rs  # noqa: E402

DEFAULTS = {"size": "64", "sas": 1, "lat": 0.0, "lat_pps": 1000}
TOTAL_PPS = 1000000.0        # the data streams together at multiplier 1
LAT_MAX = 128
LAT_PG_BASE = 1000
# offsets in dp-bench's clear frame: Ethernet (14) / IPv4 without options (20) / UDP
L3, IP_DST, L4, UDP_DPORT = 14, 30, 34, 36


def field_engine(nsa):
    """SA index 0..N-1 in turn -> IPv4 destination client(0) + i, UDP destination port
    1000 + i % 50000, then both checksums."""
    base = rs.client_base(nsa)
    if base + nsa - 1 > 0xFFFFFFFF:
        raise ValueError("%d SAs overflow the IPv4 range from %s" % (nsa, rs.dpb.client(0)))
    cmds = [STLVmFlowVar(name="sa", min_value=0, max_value=nsa - 1, size=4, step=1, op="inc"),
            STLVmWrFlowVar(fv_name="sa", pkt_offset=IP_DST, add_val=base)]
    if nsa <= rs.DPORT_SPAN:
        cmds.append(STLVmWrMaskFlowVar(fv_name="sa", pkt_offset=UDP_DPORT, pkt_cast_size=2,
                                       mask=0xFFFF, add_value=rs.CLEAR_DPORT_BASE))
    else:
        if nsa % rs.DPORT_SPAN:
            raise ValueError("above %d SAs the SA count must be a multiple of %d (the UDP port "
                             "is 1000 + i %% %d)" % (rs.DPORT_SPAN, rs.DPORT_SPAN, rs.DPORT_SPAN))
        # a second counter that wraps every 50 000; not split between TRex's cores, so the
        # two counters stay in step (each core then walks all SAs, from the first)
        cmds[0] = STLVmFlowVar(name="sa", min_value=0, max_value=nsa - 1, size=4, step=1,
                               op="inc", split_to_cores=False)
        cmds.append(STLVmFlowVar(name="port", min_value=rs.CLEAR_DPORT_BASE,
                                 max_value=rs.CLEAR_DPORT_BASE + rs.DPORT_SPAN - 1, size=2,
                                 step=1, op="inc", split_to_cores=False))
        cmds.append(STLVmWrFlowVar(fv_name="port", pkt_offset=UDP_DPORT))
    # IPv4 header and UDP checksums, by the NIC (checksum offload; TRex has no software
    # L4 checksum fix)
    cmds.append(STLVmFixChecksumHw(l3_offset=L3, l4_offset=L4, l4_type=CTRexVmInsFixHwCs.L4_TYPE_UDP))
    return STLScVmRaw(cmds)


def latency_sas(nsa, frac):
    """The SAs that get a latency stream: round(N x frac), at least 1, at most LAT_MAX,
    spread evenly over 0..N-1."""
    if frac <= 0:
        return []
    n = min(LAT_MAX, nsa, max(1, int(round(nsa * frac))))
    return [j * nsa // n for j in range(n)]


class RampartEnc(object):
    # tunables as named arguments too: TRex consoles that pass `-t a=b` as keyword arguments
    # accept only names get_streams() declares; newer ones pass the list `tunables`
    def get_streams(self, direction=0, port_id=0, tunables=None, size="64", sas=1, lat=0.0,
                    lat_pps=1000, **kwargs):
        named = dict(size=size, sas=sas, lat=lat, lat_pps=lat_pps)
        kwargs.update((k, v) for k, v in named.items() if v != DEFAULTS[k])
        t = rs.tunables(tunables, kwargs, DEFAULTS)
        size, nsa = rs.check_size(t["size"]), t["sas"]
        if not 1 <= nsa <= 1 << 24:
            raise ValueError("sas must be 1..16777216")
        mix = rs.size_mix(size)
        weight = float(sum(w for _, w in mix))
        streams = []
        for flen, w in mix:
            streams.append(STLStream(name="enc-%d" % flen,
                                     packet=STLPktBuilder(pkt_buffer=rs.clear_frame(0, flen),
                                                          vm=field_engine(nsa)),
                                     mode=STLTXCont(pps=TOTAL_PPS * w / weight)))
        lat = latency_sas(nsa, t["lat"])
        for j, i in enumerate(lat):
            streams.append(STLStream(name="lat-sa%d" % i,
                                     packet=STLPktBuilder(pkt_buffer=rs.clear_frame(i, mix[0][0])),
                                     mode=STLTXCont(pps=float(t["lat_pps"]) / len(lat)),
                                     flow_stats=STLFlowLatencyStats(pg_id=LAT_PG_BASE + j)))
        return STLProfile(streams).get_streams()


def register():
    return RampartEnc()
