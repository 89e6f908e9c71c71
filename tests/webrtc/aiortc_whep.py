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
#   python3 aiortc_whep.py URL TOKEN SECONDS [STUN_URL]
import asyncio
import json
import os
import sys
import time
import urllib.parse

from aiortc import RTCSessionDescription

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
    await decode(pc, track_ready, seconds, asked, result)
    for task in (asking, hearing):
        if task:
            await task
    result["deleteStatus"], _, _ = await loop.run_in_executor(None, http, "DELETE", urllib.parse.urljoin(url, location), token)
    print(json.dumps(result), flush=True)
    await pc.close()


asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else None))
