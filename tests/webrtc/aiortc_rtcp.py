# RTCP made and read by an independent stack, aiortc (Debian python3-aiortc), for the camera's
# RTCP core (native/webrtc/rtcp.c) to be checked against:
#   aiortc_rtcp.py make N SEED   N compound packets of random SR, RR, NACK, PLI, SDES and BYE:
#                                one JSON line each, {"hex": the bytes, "packets": [what aiortc put in]}
#   aiortc_rtcp.py read HEX      aiortc's reading of one compound packet (the camera's sender report)
import json
import random
import sys

from aiortc import rtp


def report(r):
    return rtp.RtcpReceiverInfo(ssrc=r.getrandbits(32), fraction_lost=r.randrange(256), packets_lost=r.randrange(-(1 << 23), 1 << 23),
                                highest_sequence=r.getrandbits(32), jitter=r.getrandbits(32), lsr=r.getrandbits(32), dlsr=r.getrandbits(32))


def described(p):
    if isinstance(p, (rtp.RtcpSrPacket, rtp.RtcpRrPacket)):
        d = {"type": 200 if isinstance(p, rtp.RtcpSrPacket) else 201, "count": len(p.reports), "sender": p.ssrc,
             "reports": [{"ssrc": b.ssrc, "fractionLost": b.fraction_lost, "cumulativeLost": b.packets_lost, "highestSeq": b.highest_sequence,
                          "jitter": b.jitter, "lastSr": b.lsr, "delaySinceLastSr": b.dlsr} for b in p.reports]}
        if isinstance(p, rtp.RtcpSrPacket):
            i = p.sender_info
            d["info"] = {"ntp": str(i.ntp_timestamp), "rtpTimestamp": i.rtp_timestamp, "packets": i.packet_count, "octets": i.octet_count}
        return d
    if isinstance(p, rtp.RtcpRtpfbPacket):
        return {"type": 205, "count": p.fmt, "sender": p.ssrc, "media": p.media_ssrc, "nacks": list(p.lost)}
    if isinstance(p, rtp.RtcpPsfbPacket):
        return {"type": 206, "count": p.fmt, "sender": p.ssrc, "media": p.media_ssrc}
    if isinstance(p, rtp.RtcpByePacket):
        return {"type": 203, "count": len(p.sources), "sender": p.sources[0]}
    if isinstance(p, rtp.RtcpSdesPacket):
        return {"type": 202, "count": len(p.chunks), "sender": p.chunks[0].ssrc}
    raise ValueError(type(p))


def make(n, seed):
    r = random.Random(seed)
    for _ in range(n):
        packets = []
        for _ in range(r.randrange(1, 5)):
            kind = r.randrange(6)
            if kind == 0:
                info = rtp.RtcpSenderInfo(ntp_timestamp=r.getrandbits(64), rtp_timestamp=r.getrandbits(32), packet_count=r.getrandbits(32), octet_count=r.getrandbits(32))
                packets.append(rtp.RtcpSrPacket(ssrc=r.getrandbits(32), sender_info=info, reports=[report(r) for _ in range(r.randrange(3))]))
            elif kind == 1:
                packets.append(rtp.RtcpRrPacket(ssrc=r.getrandbits(32), reports=[report(r) for _ in range(r.randrange(1, 4))]))
            elif kind == 2:
                start = r.randrange(65536 - 200)
                lost = sorted(set(start + r.randrange(200) for _ in range(r.randrange(1, 40))))
                packets.append(rtp.RtcpRtpfbPacket(fmt=1, ssrc=r.getrandbits(32), media_ssrc=r.getrandbits(32), lost=lost))
            elif kind == 3:
                packets.append(rtp.RtcpPsfbPacket(fmt=1, ssrc=r.getrandbits(32), media_ssrc=r.getrandbits(32), fci=b""))
            elif kind == 4:
                packets.append(rtp.RtcpSdesPacket(chunks=[rtp.RtcpSourceInfo(ssrc=r.getrandbits(32), items=[(1, b"viewer-cname")])]))
            else:
                packets.append(rtp.RtcpByePacket(sources=[r.getrandbits(32)]))
        print(json.dumps({"hex": b"".join(bytes(p) for p in packets).hex(), "packets": [described(p) for p in packets]}))


if sys.argv[1] == "make":
    make(int(sys.argv[2]), int(sys.argv[3]))
else:
    print(json.dumps([described(p) for p in rtp.RtcpPacket.parse(bytes.fromhex(sys.argv[2]))]))
