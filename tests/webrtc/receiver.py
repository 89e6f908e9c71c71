# What aiortc_viewer.py and aiortc_whep.py share: an aiortc peer that receives video, and the
# decoding of its track for a while into the JSON result both print.
import asyncio
import time

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection


def video_receiver(stun=None):
    """A peer offering to receive video, and a future of its track; `stun`: its STUN server's URL
    (none: no server-reflexive candidate, and no wait for a STUN server this machine cannot reach)."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[RTCIceServer(urls=stun)] if stun else []))
    pc.addTransceiver("video", direction="recvonly")
    track_ready = asyncio.get_running_loop().create_future()

    @pc.on("track")
    def on_track(track):
        if not track_ready.done():
            track_ready.set_result(track)

    return pc, track_ready


async def decode(pc, track_ready, seconds, asked, result):
    """Decodes the track for `seconds` (FFmpeg through PyAV) into `result`: frames, their size, the
    first frame's delay after `asked`, the ICE and DTLS states reached."""
    result.update({"frames": 0, "width": 0, "height": 0, "firstFrameS": None})
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
