# An independent H.264 depacketizer over our RTP packets: aiortc's (Debian python3-aiortc), as a
# browser-side peer would take them. Reads packets (16-bit big-endian length, bytes) from argv[1],
# parses each RTP header with aiortc.rtp.RtpPacket, depacketizes with aiortc's
# H264PayloadDescriptor (single NAL, STAP-A, FU-A), writes the Annex-B it rebuilds to argv[2] and
# prints one JSON line: packets, access units (marker bits), sequence gaps, timestamps per unit.
import json
import struct
import sys

from aiortc.codecs.h264 import H264PayloadDescriptor
from aiortc.rtp import RtpPacket

packets = units = gaps = 0
last_seq = None
unit_timestamps = set()
with open(sys.argv[1], "rb") as src, open(sys.argv[2], "wb") as out:
    data = src.read()
    pos = 0
    while pos < len(data):
        (length,) = struct.unpack_from("!H", data, pos)
        pos += 2
        packet = RtpPacket.parse(data[pos:pos + length])
        pos += length
        packets += 1
        if last_seq is not None and packet.sequence_number != (last_seq + 1) & 0xFFFF:
            gaps += 1
        last_seq = packet.sequence_number
        descriptor, annexb = H264PayloadDescriptor.parse(packet.payload)
        out.write(annexb)
        if packet.marker:
            units += 1
            unit_timestamps.add(packet.timestamp)
print(json.dumps({"packets": packets, "units": units, "gaps": gaps, "timestamps": len(unit_timestamps)}))
