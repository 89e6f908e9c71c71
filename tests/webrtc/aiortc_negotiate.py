# aiortc (Debian python3-aiortc) as a viewer negotiating with the camera's SDP (modules/webrtc/sdp.ts):
# it offers to receive video, to send and receive audio (talkback) and a DataChannel, prints its
# offer as one JSON line, reads the camera's answer as one JSON line on stdin, applies it
# (setRemoteDescription validates it the way a WebRTC stack does) and prints what was agreed.
import asyncio
import json
import sys

from aiortc import RTCPeerConnection


async def main():
    pc = RTCPeerConnection()
    pc.addTransceiver("video", direction="recvonly")
    pc.addTransceiver("audio", direction="sendrecv")
    pc.createDataChannel("commands")
    await pc.setLocalDescription(await pc.createOffer())
    print(json.dumps({"offer": pc.localDescription.sdp}), flush=True)
    answer = json.loads(sys.stdin.readline())["answer"]
    from aiortc import RTCSessionDescription
    try:
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        agreed = []
        for t in pc.getTransceivers():
            codecs = [c.mimeType for c in t._codecs] if getattr(t, "_codecs", None) else []
            agreed.append({"kind": t.kind, "mid": t.mid, "direction": t.currentDirection, "codecs": codecs})
        remote = pc.remoteDescription
        print(json.dumps({"ok": True, "transceivers": agreed, "sctp": pc.sctp is not None,
                          "iceLite": "a=ice-lite" in remote.sdp}), flush=True)
    except Exception as error:  # what a stack refuses in the answer
        print(json.dumps({"ok": False, "error": f"{type(error).__name__}: {error}"}), flush=True)
    await pc.close()


asyncio.run(main())
