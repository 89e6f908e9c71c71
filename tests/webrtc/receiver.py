# What aiortc_viewer.py and aiortc_whep.py (and bench/webrtc's viewers) share: an aiortc peer that
# receives video, the decoding of its track for a while into the JSON result they print, and WHEP's
# HTTP requests.
import asyncio
import time
import urllib.error
import urllib.request

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection


def http(method, url, token, body=None, content_type=None):
    headers = {"authorization": f"Bearer {token}"}
    if content_type:
        headers["content-type"] = content_type
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def video_receiver(stun=None, audio=False):
    """A peer offering to receive video (and audio, with `audio`), and a future of its video track;
    `stun`: its STUN server's URL (none: no server-reflexive candidate, and no wait for a STUN
    server this machine cannot reach). With `audio`, pc.audio_track is a future of the audio track."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[RTCIceServer(urls=stun)] if stun else []))
    pc.addTransceiver("video", direction="recvonly")
    loop = asyncio.get_running_loop()
    track_ready = loop.create_future()
    pc.audio_track = None
    if audio:
        pc.addTransceiver("audio", direction="recvonly")
        pc.audio_track = loop.create_future()

    @pc.on("track")
    def on_track(track):
        ready = pc.audio_track if track.kind == "audio" else track_ready
        if ready is not None and not ready.done():
            ready.set_result(track)

    return pc, track_ready


async def hear(pc, seconds, result):
    """Decodes the audio track for `seconds` into `result["audio"]`: frames, samples, their rate and
    codec as aiortc's decoder gives them, and the loudest sample (a tone, not silence)."""
    heard = result["audio"] = {"frames": 0, "samples": 0, "rate": 0, "peak": 0}
    try:
        track = await asyncio.wait_for(pc.audio_track, 10)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            frame = await asyncio.wait_for(track.recv(), max(0.1, deadline - time.monotonic()))
            heard["frames"] += 1
            heard["samples"] += frame.samples
            heard["rate"] = frame.sample_rate
            samples = frame.to_ndarray()
            heard["peak"] = max(heard["peak"], int(abs(samples).max()) if samples.size else 0)
    except asyncio.TimeoutError:
        pass


async def decode(pc, track_ready, seconds, asked, result, frames=None):
    """Decodes the track for `seconds` (FFmpeg through PyAV), or until `frames` are decoded, into
    `result`: frames, their size, the first frame's delay after `asked`, the ICE and DTLS states reached."""
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
            if frames is not None and result["frames"] >= frames:
                break
    except asyncio.TimeoutError:
        pass
    result["ice"] = pc.iceConnectionState
    result["dtls"] = pc.getTransceivers()[0].receiver.transport.state
