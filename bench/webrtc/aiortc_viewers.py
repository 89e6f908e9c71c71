# aiortc (Debian python3-aiortc, a WebRTC stack we did not write) as WHEP viewers of the camera
# through the cloud, for `node bench/run.mjs webrtc_product` and `board_cpu` (started by bench/webrtc/aiortc.mjs):
#   python3 aiortc_viewers.py at-once URL TOKENS N SECONDS [APART_S [go]]
#       N viewers at once (started APART_S apart, STAGGER_S unless given; TOKENS: API tokens, comma-separated, taken in turn), each decoding the video for SECONDS (FFmpeg through PyAV), then DELETE;
#       with `go`, the first starts when a line comes on stdin (aiortc already imported: a bench's moment, not Python's);
#       prints {"viewers": [each one's statuses, frames, firstFrameS (POST -> first frame decoded),
#       firstFrameAt (the same moment on the wall clock, seconds since the epoch)]}
#   python3 aiortc_viewers.py cycles URL TOKEN K
#       K viewers one after another: each connects, decodes one frame, DELETEs its session and
#       closes; prints {"cycles", "ok", "firstFrameS": [each], "failures": [the first few]}
# One process for all of them: aiortc's import alone takes most of a second.
import asyncio
import json
import os
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../tests/webrtc"))

from aiortc import RTCSessionDescription  # noqa: E402

from receiver import decode, http, video_receiver  # noqa: E402


# Viewers at once start this far apart: their handshakes and decoders share this machine's cores
# with the camera, and 32 POSTs in the same instant starve aioice's checks here (not on the camera).
STAGGER_S = 0.1


async def watch(url, token, seconds, frames=None):
    """One viewer: offer, answer, ICE + DTLS straight to the camera, decode, DELETE, close."""
    pc, track_ready = video_receiver()
    loop = asyncio.get_running_loop()
    result = {}
    try:
        await pc.setLocalDescription(await pc.createOffer())
        asked, asked_at = time.monotonic(), time.time()
        status, headers, answer = await loop.run_in_executor(None, http, "POST", url, token, pc.localDescription.sdp.encode(), "application/sdp")
        result["status"] = status
        if status != 201:
            result["error"] = answer[:300]
            return result
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        await decode(pc, track_ready, seconds, asked, result, frames)
        if result["firstFrameS"] is not None:
            result["firstFrameAt"] = round(asked_at + result["firstFrameS"], 3)
        location = headers.get("Location") or headers.get("location")
        result["deleteStatus"], _, _ = await loop.run_in_executor(None, http, "DELETE", urllib.parse.urljoin(url, location), token)
        return result
    finally:
        await pc.close()


async def at_once(url, tokens, n, seconds, apart=STAGGER_S):
    async def one(i):
        await asyncio.sleep(i * apart)
        return await watch(url, tokens[i % len(tokens)], seconds)
    return {"viewers": await asyncio.gather(*(one(i) for i in range(n)))}


async def cycles(url, token, k):
    firsts, failures = [], []
    for i in range(k):
        result = await watch(url, token, 10, frames=1)
        if result.get("frames") and result.get("deleteStatus") == 200:
            firsts.append(result["firstFrameS"])
        elif len(failures) < 5:
            failures.append({"cycle": i, **result})
        if (i + 1) % 100 == 0:
            print(f"cycles: {i + 1} of {k}", file=sys.stderr, flush=True)
    return {"cycles": k, "ok": len(firsts), "firstFrameS": firsts, "failures": failures}


mode, url, token = sys.argv[1], sys.argv[2], sys.argv[3]
if mode == "at-once":
    if sys.argv[7:8] == ["go"]:
        sys.stdin.readline()
    out = asyncio.run(at_once(url, token.split(","), int(sys.argv[4]), float(sys.argv[5]), *map(float, sys.argv[6:7])))
elif mode == "cycles":
    out = asyncio.run(cycles(url, token.split(",")[0], int(sys.argv[4])))
else:
    sys.exit(f"aiortc_viewers.py: no mode {mode} (at-once, cycles)")
print(json.dumps(out), flush=True)
