# aiortc (Debian python3-aiortc) as a WHEP client (draft-ietf-wish-whep) of the cloud: it POSTs its
# SDP offer (application/sdp, Authorization: Bearer TOKEN) to URL, takes the camera's answer from
# the 201, connects straight to the camera (ICE, DTLS-SRTP) and decodes the video for SECONDS
# (FFmpeg through PyAV), then DELETEs the session's Location. Prints one JSON line: the HTTP
# statuses, frames decoded, their size, the first frame's delay, the ICE and DTLS states.
# With IVXS_WHEP_COMMANDS (a JSON array of commands) it also offers a DataChannel "commands"
# (aiortc's own SCTP and DCEP) and sends each command on it once open, one at a time: "replies"
# holds each reply (JSON), or null when none came within 5 s. Then it closes that channel (an SCTP
# stream reset, RFC 8831 §6.7: "closed" is its readyState 5 s later) and opens a second one, which
# aiortc puts on the freed stream, with the first command again ("reopened": its stream id and the
# reply: the camera reset its side of the stream too). With IVXS_WHEP_AUDIO=1 it also
# receives the camera's audio (G.711) and decodes it: "audio" holds frames, samples, rate, peak.
# With IVXS_WHEP_HOSTILE=1 it is a hostile viewer too: from a second after its first frame, every
# 50 ms it sends what a broken or hostile stack might — a long SRTCP compound (an RR and an APP,
# 1,614 bytes), SRTCP of garbage under its keys, SCTP of garbage under its DTLS keys, a datagram
# longer than any path's MTU, a DTLS record of garbage, a STUN-looking datagram of garbage —
# straight to the camera on the nominated
# path; "hostile" counts each kind sent. It keeps decoding meanwhile: the camera may end it, never
# anyone else.
#   python3 aiortc_whep.py URL TOKEN SECONDS [STUN_URL]
import asyncio
import json
import os
import random
import struct
import sys
import time
import urllib.parse

from aiortc import RTCSessionDescription
from pylibsrtp._binding import ffi

from receiver import decode, hear, http, video_receiver


async def opened_with_replies(channel):
    """The channel once open (None if not within 10 s), and a queue of its messages."""
    replies = asyncio.Queue()
    channel.on("message", lambda message: replies.put_nowait(message))
    opened = asyncio.get_running_loop().create_future()
    channel.on("open", lambda: opened.done() or opened.set_result(True))
    try:
        await asyncio.wait_for(opened, 10)
    except asyncio.TimeoutError:
        return None
    return replies


async def reply_to(channel, replies, command):
    """The command sent, its reply (JSON) or None when none came within 5 s."""
    channel.send(json.dumps(command))
    try:
        return json.loads(await asyncio.wait_for(replies.get(), 5))
    except asyncio.TimeoutError:
        return None


async def ask(pc, channel, commands, result):
    """Each command on the channel once it opens, its reply awaited before the next; then the
    channel closed and a second one opened on the freed stream (see the header)."""
    result["replies"] = []
    replies = await opened_with_replies(channel)
    if replies is None:
        result["channel"] = "never opened"
        return
    result["channel"] = "open"
    for command in commands:
        result["replies"].append(await reply_to(channel, replies, command))
    first_id = channel.id
    channel.close()
    for _ in range(50):
        if channel.readyState == "closed":
            break
        await asyncio.sleep(0.1)
    result["closed"] = channel.readyState
    again = pc.createDataChannel("commands")
    replies = await opened_with_replies(again)
    result["reopened"] = {"firstStream": first_id, "stream": again.id,
                          "reply": await reply_to(again, replies, commands[0]) if replies and commands else None}


def hostile_datagrams(ssrc):
    """What the hostile viewer sends each round: (kind, bytes, protect as SRTCP?)."""
    rr = struct.pack("!BBHII", 0x81, 201, 7, 7, ssrc) + bytes(20)
    app_length = 1614 - len(rr) - 14
    app = struct.pack("!BBHI4s", 0x80, 204, app_length // 4 - 1, 7, b"TEST") + bytes(app_length - 12)
    garbage = bytes([0x81, 0xC9]) + random.randbytes(60)
    return [
        ("longCompound", rr + app, True),
        ("garbageRtcp", garbage, True),
        ("oversized", bytes([0x81, 0xC9]) + random.randbytes(2100), False),
        ("garbageDtls", bytes([0x17, 0xFE, 0xFD]) + random.randbytes(200), False),
        ("garbageStun", bytes([0x00, 0x01, 0x00, 0x08]) + random.randbytes(28), False),
    ]


async def harass(pc, track_ready, seconds, result):
    """The hostile rounds (see the header), counted in result["hostile"]."""
    sent = result["hostile"] = {}
    try:
        await asyncio.wait_for(track_ready, 10)
    except asyncio.TimeoutError:
        return
    await asyncio.sleep(1)
    receiver = pc.getTransceivers()[0].receiver
    dtls = receiver.transport
    # pylibsrtp protects into a 1,500-byte buffer: a longer one, for the long compound
    dtls._tx_srtp._cdata = ffi.new("char[]", 4096)
    dtls._tx_srtp._buffer = ffi.buffer(dtls._tx_srtp._cdata)
    ssrc = receiver._ssrc if hasattr(receiver, "_ssrc") else 7
    deadline = time.monotonic() + max(0, seconds - 2)
    while time.monotonic() < deadline and dtls.state == "connected":
        for kind, data, protect in hostile_datagrams(ssrc):
            try:
                if protect:
                    await dtls.transport._send(dtls._tx_srtp.protect_rtcp(data))
                else:
                    await dtls.transport._send(data)
                sent[kind] = sent.get(kind, 0) + 1
            except Exception as error:   # (a datagram the OS refuses: counted, the rounds go on)
                sent["refused"] = sent.get("refused", 0) + 1
                sent["error"] = str(error)[:100]
        # an SCTP packet of garbage (a valid common header's ports, a checksum that cannot match) as DTLS application data
        try:
            await dtls._send_data(struct.pack("!HHI", 5000, 5000, 0) + random.randbytes(80))
            sent["garbageSctp"] = sent.get("garbageSctp", 0) + 1
        except Exception:
            sent["refused"] = sent.get("refused", 0) + 1
        await asyncio.sleep(0.05)


async def main(url, token, seconds, stun):
    pc, track_ready = video_receiver(stun, audio=os.environ.get("IVXS_WHEP_AUDIO") == "1")
    commands = json.loads(os.environ.get("IVXS_WHEP_COMMANDS", "null"))
    channel = pc.createDataChannel("commands") if commands is not None else None
    await pc.setLocalDescription(await pc.createOffer())
    asked = time.monotonic()
    loop = asyncio.get_running_loop()
    status, headers, answer = await loop.run_in_executor(None, http, "POST", url, token, pc.localDescription.sdp.encode(), "application/sdp")
    location = headers.get("Location") or headers.get("location")
    result = {"status": status, "contentType": headers.get("Content-Type") or headers.get("content-type"), "location": location}
    if status != 201:
        result["error"] = answer
        print(json.dumps(result), flush=True)
        await pc.close()
        return
    result["answerS"] = round(time.monotonic() - asked, 3)
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    asking = asyncio.ensure_future(ask(pc, channel, commands, result)) if channel else None
    hearing = asyncio.ensure_future(hear(pc, seconds, result)) if pc.audio_track else None
    harassing = asyncio.ensure_future(harass(pc, track_ready, seconds, result)) if os.environ.get("IVXS_WHEP_HOSTILE") == "1" else None
    await decode(pc, track_ready, seconds, asked, result)
    for task in (asking, hearing, harassing):
        if task:
            await task
    result["deleteStatus"], _, _ = await loop.run_in_executor(None, http, "DELETE", urllib.parse.urljoin(url, location), token)
    print(json.dumps(result), flush=True)
    await pc.close()


asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else None))
