// A camera serving one WebRTC viewer, for tests/webrtc.test.mjs (aiortc is the viewer): the
// sample clip captured into a ring at its frame rate, the viewer's SDP offer read from a file,
// the answer printed ("@@answer {json}"), then ICE-lite, DTLS-SRTP and the video as SRTP on one
// UDP socket (modules/webrtc/session.ts); at the end "@@webrtc {stats}".
//   ivxs tests/xs-apps/webrtc-camera -- OFFER_FILE SECONDS
import Timer from "timer";
import { Ring, RingReader } from "ring";
import { Capture } from "capture";
import { DtlsIdentity } from "webrtc";
import { argv, exit, hmacSha1, monotonic, now, readFile } from "ivxs/platform";
import { openUdp } from "../../modules/p2p/udp.js";
import { chooseH264, parseOffer, writeAnswer } from "../../modules/webrtc/sdp.js";
import { WebRtcSession } from "../../modules/webrtc/session.js";

export default function main(): void {
	const [offerFile, seconds] = argv();
	const bytes = new Uint8Array(readFile(offerFile, { maxBytes: 64 * 1024 }));
	let text = "";
	for (let i = 0; i < bytes.length; i += 1024) text += String.fromCharCode(...bytes.subarray(i, i + 1024));   // (a browser's offer: thousands of bytes, more than XS's stack takes as arguments)
	const offer = parseOffer(text);
	const video = offer.media.find((m) => m.kind === "video");
	const h264 = video && chooseH264(video, 77);   // the clip is H.264 Main
	if (!video || !h264) {
		trace("@@answer {\"error\":\"no H.264 the viewer takes\"}\n");
		return exit(1);
	}
	const { key, certificate } = DtlsIdentity.create();
	const identity = new DtlsIdentity(key, certificate);
	const local = { ufrag: "ivxsCam1", pwd: "ivxsCameraIcePassword01" };
	let session: WebRtcSession | undefined;
	const socket = openUdp({
		address: "127.0.0.1", port: 0,
		onReadable() {
			for (let d = socket.read(); d; d = socket.read()) session?.receive(d, d.address, d.port);
		},
	});
	session = new WebRtcSession({
		identity, remoteFingerprint: offer.fingerprint.bytes, local, video: { payloadType: h264.codec.pt, ssrc: 0x1ce1ce, codec: 1 },
		send: (bytes, address, port) => socket.write(bytes, address, port), now: monotonic, hmacSha1, log: (m) => trace(`${m}\n`),
		onFeedback: () => session!.feed(),   // (a key frame request too: the feed takes it in C)
	});
	const answer = writeAnswer(offer, {
		sessionId: String(Math.floor(now())), ice: local, fingerprint: new Uint8Array(identity.fingerprint), iceLite: true,
		candidates: [{ address: "127.0.0.1", port: socket.port, type: "host" }],
		accept: { [video.mid]: { codec: h264.codec, ssrc: 0x1ce1ce, direction: "sendonly" } },
	});
	trace(`@@answer ${JSON.stringify({ answer, exact: h264.exact })}\n`);
	const ring = new Ring({ maxGopBytes: 512 * 1024 });
	const capture = new Capture({ ring, video: "fixtures/media/h264-main-640x480.h264", codec: "h264", fps: 15 });
	// once connected the session's feed sends from the ring (its newest key frame on), run at each push
	let retry: Timer | undefined;
	const feed = () => {
		if (!session?.connected) return;
		session.watch(ring, undefined, undefined);
		const ms = session.feed();
		if (retry !== undefined) Timer.clear(retry);
		retry = ms >= 0 ? Timer.set(() => { retry = undefined; feed(); }, Math.max(1, ms)) : undefined;
	};
	const reader = new RingReader(ring, { at: "live", onReadable: feed });
	capture.start();
	const tick = Timer.repeat(() => session?.tick(), 50);
	Timer.set(() => {
		Timer.clear(tick);
		if (retry !== undefined) Timer.clear(retry);
		trace(`@@webrtc ${JSON.stringify({ ...session!.stats, connected: session!.connected, closed: session!.closed, failed: session!.failed })}\n`);
		capture.close();
		reader.close();
		session!.close();
		socket.close();
		Timer.set(() => exit(0), 50);
	}, Number(seconds) * 1000);
}
