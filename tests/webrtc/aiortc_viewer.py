# aiortc (Debian python3-aiortc) as a WebRTC viewer of the camera: it offers to receive video,
# prints the offer as one JSON line, reads the camera's answer as one JSON line on stdin, connects
# (ICE with the camera's ice-lite candidate, DTLS-SRTP as the client) and decodes the video for
# SECONDS (aiortc's H.264 decoder: FFmpeg through PyAV); prints one JSON line: frames decoded,
# their size, the first frame's delay, the ICE and DTLS states it reached.
import asyncio
import json
import sys
import time

from aiortc import RTCSessionDescription

from receiver import decode, video_receiver


async def main(seconds):
    pc, track_ready = video_receiver()
    await pc.setLocalDescription(await pc.createOffer())
    print(json.dumps({"offer": pc.localDescription.sdp}), flush=True)
    answer = json.loads(await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline))["answer"]
    asked = time.monotonic()
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    result = {}
    await decode(pc, track_ready, seconds, asked, result)
    print(json.dumps(result), flush=True)
    await pc.close()


asyncio.run(main(float(sys.argv[1])))
