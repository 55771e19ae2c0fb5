# SPDX-License-Identifier: LicenseRef-Rampart-Proprietary
"""A stand-in for TRex's trex_stl_lib.api, for perf/profiles/check-profiles ONLY.

TRex cannot run on this machine (no NICs, no TRex). This is a mock of an unavailable tool,
and deliberately a small one: it takes the constructor arguments of the TRex classes the
profiles use, with TRex's parameter names (an argument TRex does not have is a TypeError
here too), records the streams, and renders the packets a stream would send, applying the
field-engine instructions the way TRex documents them (flow variable op "inc" from
init_value, write / masked write big-endian with add value, checksum fixes; the NIC's
checksum offload of STLVmFixChecksumHw done in software). load_pcap() reads the pcap and
chains one single-packet stream per packet, as TRex does. Nothing else of TRex is modelled:
rates are only recorded, cores and timing do not exist.
"""
import struct

__all__ = ["STLProfile", "STLStream", "STLPktBuilder", "STLTXCont", "STLTXSingleBurst",
           "STLFlowStats", "STLFlowLatencyStats", "STLScVmRaw", "STLVmFlowVar",
           "STLVmWrFlowVar", "STLVmWrMaskFlowVar", "STLVmFixIpv4", "STLVmFixChecksumHw",
           "CTRexVmInsFixHwCs"]


def _csum(b):
    if len(b) & 1:
        b += b"\x00"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


class CTRexVmInsFixHwCs(object):
    L4_TYPE_UDP = 11
    L4_TYPE_TCP = 13
    L4_TYPE_IP = 17


class STLTXCont(object):
    def __init__(self, bps_L2=None, bps_L1=None, pps=None, percentage=None):
        if sum(x is not None for x in (bps_L2, bps_L1, pps, percentage)) > 1:
            raise ValueError("STLTXCont: one rate only")
        self.pps, self.percentage = (1 if pps is None and percentage is None and bps_L1 is None
                                     and bps_L2 is None else pps), percentage


class STLTXSingleBurst(object):
    def __init__(self, total_pkts=1, bps_L2=None, bps_L1=None, pps=None, percentage=None):
        self.total_pkts, self.pps, self.percentage = total_pkts, pps, percentage


class STLFlowStats(object):
    def __init__(self, pg_id, vxlan=False):
        self.pg_id, self.latency = pg_id, False


class STLFlowLatencyStats(STLFlowStats):
    def __init__(self, pg_id, vxlan=False):
        self.pg_id, self.latency = pg_id, True


class STLVmFlowVar(object):
    def __init__(self, name, init_value=None, min_value=0, max_value=255, size=4, step=1,
                 op="inc", value_list=None, next_var=None, split_to_cores=True):
        if size not in (1, 2, 4, 8) or op not in ("inc", "dec", "random"):
            raise ValueError("STLVmFlowVar: size %r op %r" % (size, op))
        if min_value > max_value or max_value >= 1 << (8 * size):
            raise ValueError("STLVmFlowVar %s: range %r..%r does not fit %d bytes" % (name, min_value, max_value, size))
        self.name, self.min, self.max, self.size, self.step, self.op = name, min_value, max_value, size, step, op
        self.init = min_value if init_value is None else init_value
        self.split_to_cores = split_to_cores

    def value(self, n):
        if self.op != "inc":
            raise NotImplementedError("mock renders op inc only")
        span = self.max - self.min + 1
        return self.min + (self.init - self.min + n * self.step) % span


class STLVmWrFlowVar(object):
    def __init__(self, fv_name, pkt_offset, offset_fixup=0, add_val=0, is_big=True):
        if not isinstance(pkt_offset, int):
            raise TypeError("mock: numeric pkt_offset only (a pkt_buffer has no scapy layers)")
        self.name, self.offset, self.add, self.big = fv_name, pkt_offset + offset_fixup, add_val, is_big


class STLVmWrMaskFlowVar(object):
    def __init__(self, fv_name, pkt_offset, pkt_cast_size=1, mask=0xff, shift=0, add_value=0,
                 offset_fixup=0, is_big=True):
        if not isinstance(pkt_offset, int) or pkt_cast_size not in (1, 2, 4):
            raise TypeError("mock: numeric pkt_offset, cast size 1/2/4")
        self.name, self.offset, self.cast, self.mask = fv_name, pkt_offset + offset_fixup, pkt_cast_size, mask
        self.shift, self.add, self.big = shift, add_value, is_big


class STLVmFixIpv4(object):
    def __init__(self, offset):
        if not isinstance(offset, int):
            raise TypeError("mock: numeric offset only")
        self.offset = offset


class STLVmFixChecksumHw(object):
    def __init__(self, l3_offset, l4_offset, l4_type):
        if not isinstance(l3_offset, int) or not isinstance(l4_offset, int):
            raise TypeError("mock: numeric offsets only")
        self.l3, self.l4, self.l4_type = l3_offset, l4_offset, l4_type


class STLScVmRaw(object):
    def __init__(self, list_of_commands=None, cache_size=None):
        self.commands = list(list_of_commands or [])


class STLPktBuilder(object):
    def __init__(self, pkt=None, pkt_buffer=None, vm=None, path_relative_to_profile=False,
                 build_raw=False, remove_fcs=True):
        if pkt_buffer is None:
            raise NotImplementedError("mock: pkt_buffer only")
        self.buf = bytes(pkt_buffer)
        cmds = vm.commands if isinstance(vm, STLScVmRaw) else list(vm or [])
        self.vars = {c.name: c for c in cmds if isinstance(c, STLVmFlowVar)}
        self.cmds = [c for c in cmds if not isinstance(c, STLVmFlowVar)]
        for c in self.cmds:
            if isinstance(c, (STLVmWrFlowVar, STLVmWrMaskFlowVar)) and c.name not in self.vars:
                raise ValueError("field engine writes unknown variable %s" % c.name)

    def render(self, n):
        """The n-th packet (0-based) this builder's stream sends."""
        b = bytearray(self.buf)
        vals = {k: v.value(n) for k, v in self.vars.items()}
        for c in self.cmds:
            if isinstance(c, STLVmWrFlowVar):
                sz = self.vars[c.name].size
                b[c.offset:c.offset + sz] = ((vals[c.name] + c.add) % (1 << 8 * sz)).to_bytes(sz, "big")
            elif isinstance(c, STLVmWrMaskFlowVar):
                v = (vals[c.name] % (1 << 8 * c.cast)) + c.add
                v = v << c.shift if c.shift >= 0 else v >> -c.shift
                old = int.from_bytes(b[c.offset:c.offset + c.cast], "big")
                new = (old & ~c.mask | v & c.mask) % (1 << 8 * c.cast)
                b[c.offset:c.offset + c.cast] = new.to_bytes(c.cast, "big")
            elif isinstance(c, STLVmFixIpv4):
                self._fix_ip(b, c.offset)
            elif isinstance(c, STLVmFixChecksumHw):
                self._fix_ip(b, c.l3)
                if c.l4_type != CTRexVmInsFixHwCs.L4_TYPE_UDP:
                    raise NotImplementedError("mock: UDP checksum offload only")
                ulen = struct.unpack("!H", b[c.l4 + 4:c.l4 + 6])[0]
                b[c.l4 + 6:c.l4 + 8] = b"\x00\x00"
                ph = bytes(b[c.l3 + 12:c.l3 + 20]) + struct.pack("!BBH", 0, 17, ulen)
                s = _csum(ph + bytes(b[c.l4:c.l4 + ulen]))
                b[c.l4 + 6:c.l4 + 8] = struct.pack("!H", s or 0xFFFF)
        return bytes(b)

    @staticmethod
    def _fix_ip(b, off):
        ihl = (b[off] & 15) * 4
        b[off + 10:off + 12] = b"\x00\x00"
        b[off + 10:off + 12] = struct.pack("!H", _csum(bytes(b[off:off + ihl])))


class STLStream(object):
    def __init__(self, name=None, packet=None, mode=None, enabled=True, self_start=True,
                 isg=0.0, flow_stats=None, next=None, stream_id=None, action_count=0,
                 random_seed=0, mac_src_override_by_pkt=None, mac_dst_override_mode=None,
                 dummy_stream=False, start_paused=False, core_id=-1):
        self.name, self.packet, self.mode = name, packet, mode or STLTXCont(pps=1)
        self.self_start, self.isg, self.flow_stats, self.next = self_start, isg, flow_stats, next
        self.action_count = action_count


class STLProfile(object):
    def __init__(self, streams=None):
        streams = [] if streams is None else streams
        self.streams = streams if isinstance(streams, list) else [streams]
        if not all(isinstance(s, STLStream) for s in self.streams):
            raise TypeError("STLProfile: STLStream objects only")

    def get_streams(self):
        return self.streams

    @staticmethod
    def load_pcap(pcap_file, ipg_usec=None, speedup=1.0, loop_count=1, vm=None, packet_hook=None,
                  split_mode=None, min_ipg_usec=None, src_mac_pcap=False, dst_mac_pcap=False):
        with open(pcap_file, "rb") as f:
            data = f.read()
        if struct.unpack("<I", data[:4])[0] != 0xA1B2C3D4:
            raise ValueError("mock: little-endian microsecond pcap only")
        pkts, off = [], 24
        while off < len(data):
            incl = struct.unpack("<IIII", data[off:off + 16])[2]
            pkts.append(data[off + 16:off + 16 + incl])
            off += 16 + incl
        streams = []
        for i, cap in enumerate(pkts, start=1):
            last = i == len(pkts)
            streams.append(STLStream(name=i, packet=STLPktBuilder(pkt_buffer=cap, vm=vm),
                                     mode=STLTXSingleBurst(total_pkts=1, percentage=100),
                                     self_start=i == 1, isg=ipg_usec or 0.0,
                                     next=1 if last else i + 1,
                                     action_count=loop_count if last else 0))
        return STLProfile(streams)
