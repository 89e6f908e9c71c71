# aiortc (Debian python3-aiortc) as a WebRTC viewer of the camera: it offers to receive video,
# prints the offer as one JSON line, reads the camera's answer as one JSON line on stdin, connects
# (ICE with the camera's ice-lite candidate, DTLS-SRTP as the client) and decodes the video for
# SECONDS (aiortc's H.264 decoder: FFmpeg through PyAV); prints one JSON line: frames decoded,
# their size, the first frame's delay, the ICE and DTLS states it reached.
import asyncio
import json
import sys
import time

from aiortc import RTCPeerConnection, RTCSessionDescription


async def main(seconds):
    pc = RTCPeerConnection()
    pc.addTransceiver("video", direction="recvonly")
    result = {"frames": 0, "width": 0, "height": 0, "firstFrameS": None}
    track_ready = asyncio.get_running_loop().create_future()

    @pc.on("track")
    def on_track(track):
        if not track_ready.done():
            track_ready.set_result(track)

    await pc.setLocalDescription(await pc.createOffer())
    print(json.dumps({"offer": pc.localDescription.sdp}), flush=True)
    answer = json.loads(await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline))["answer"]
    asked = time.monotonic()
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    try:
        track = await asyncio.wait_for(track_ready, 10)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            frame = await asyncio.wait_for(track.recv(), max(0.1, deadline - time.monotonic()))
            if result["firstFrameS"] is None:
                result["firstFrameS"] = round(time.monotonic() - asked, 3)
            result["frames"] += 1
            result["width"], result["height"] = frame.width, frame.height
    except asyncio.TimeoutError:
        pass
    result["ice"] = pc.iceConnectionState
    result["dtls"] = pc.getTransceivers()[0].receiver.transport.state
    print(json.dumps(result), flush=True)
    await pc.close()


asyncio.run(main(float(sys.argv[1])))
