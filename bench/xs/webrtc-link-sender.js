// The camera's side of the p2p link bench's WebRTC transport (bench/p2p/transports.mjs "webrtc"),
// started by bench/p2p/webrtc-sender.mjs in the link's sender namespace:
//   build/bin/ivxs -m bench/xs -m build/ts -m build/mods webrtc-link-sender -- <offer file> <frames file> <fps> <seconds> <drain ms>
// The product's own WebRtcEndpoint (modules/webrtc: ICE-lite, DTLS-SRTP, H.264 RTP, NACK resends,
// PLI, TWCC-driven congestion control and frame-aware skipping) on a UDP socket of this namespace,
// fed from a GOP ring into which the frames file's access units are pushed at `fps` — as the camera
// pushes its encoder's. Lines on stdout (JSON), which the wrapper turns into the bench's contract:
//   {"answer": sdp}            the endpoint's answer to the viewer's offer
//   {"connected": true, "connect_ms": x, "start_ms": t}  ICE + DTLS done; frame n is captured at
//                              t + floor(n * 1000 / fps) ms of CLOCK_MONOTONIC (the ring's and so the
//                              RTP timestamp's clock: ms x 90)
//   {"seq", "capture_ms", "bytes", "key", "sent"}  a frame pushed (sent: the session sent it then)
//   {"drained": true, ...}     drain ms after the last frame: the session's figures; exits 200 ms later
import { readFile } from "ivxs/file";
import { addresses, argv, exit, memory, nowMicroseconds } from "ivxs/host";
import { hmacSha1 } from "ivxs/crypto";
import { DtlsIdentity } from "webrtc";
import { Codec, FrameType, Ring } from "ring";
import Timer from "timer";
import { openUdp } from "modules/p2p/udp";
import { WebRtcEndpoint } from "modules/webrtc/endpoint";

const now = () => nowMicroseconds() / 1000;
const print = (o) => trace(`${JSON.stringify(o)}\n`);

function framesOf(path) {
	const data = new Uint8Array(readFile(path)), view = new DataView(data.buffer);
	const frames = [];
	for (let at = 0; at + 5 <= data.length;) {
		const size = view.getUint32(at);
		frames.push({ key: (data[at + 4] & 1) !== 0, payload: data.subarray(at + 5, at + 5 + size) });
		at += 5 + size;
	}
	return frames;
}

export default function main() {
	const [offerFile, framesFile, fpsText, secondsText, drainText] = argv();
	const fps = Number(fpsText), count = Math.round(Number(secondsText) * fps), drainMs = Number(drainText);
	const frames = framesOf(framesFile);
	const largestGop = frames.reduce((gop, f) => ({ now: (f.key ? 0 : gop.now) + f.payload.length, max: Math.max(gop.max, (f.key ? 0 : gop.now) + f.payload.length) }), { now: 0, max: 0 }).max;
	// the camera's ring: two of the stream's largest GOPs (a reader the link holds back keeps the older)
	const ring = new Ring({ maxGopBytes: 2 * largestGop, maxReaders: 2 });
	const { key, certificate } = DtlsIdentity.create();   // a camera makes it once at provisioning
	const address = addresses()[0];
	const socket = openUdp({ address, port: 0, onReadable() {
		for (let datagram = socket.read(); datagram; datagram = socket.read()) endpoint.take(datagram);
	} });
	const endpoint = new WebRtcEndpoint({
		identity: new DtlsIdentity(key, certificate), ring, codec: "h264", hmacSha1, now,
		send: (bytes, to, port) => socket.write(bytes, to, port), places: () => 1,
		log: (message) => trace(`${message}\n`),
	});
	const offered = now();
	let sdp = "";
	for (const byte of new Uint8Array(readFile(offerFile))) sdp += String.fromCharCode(byte);   // ASCII (RFC 8866)
	endpoint.offer("bench", sdp, async () => [{ type: "host", address, port: socket.port }])
		.then((answer) => print({ answer }), (error) => { trace(`webrtc-link-sender: ${error.message}\n`); exit(2); });
	const figures = () => endpoint.figures()[0];
	const waiting = Timer.repeat(() => {
		if (!figures()?.connected) {
			if (now() - offered > 20_000) { trace("webrtc-link-sender: not connected in 20 s\n"); exit(3); }
			return;
		}
		Timer.clear(waiting);
		const startMs = Math.ceil(now()) + 100;   // the receiver hears of the start before the first frame
		print({ connected: true, connect_ms: now() - offered, start_ms: startMs });
		let seq = 0, pushed;
		// The ring wakes the session's reader after push() returns: whether a frame was sent is
		// known by the next push (or the end), from the session's count of frames sent.
		const reported = () => {
			if (!pushed) return;
			const { frames: before, ...line } = pushed;
			print({ ...line, sent: (figures()?.frames ?? 0) > before });
			pushed = undefined;
		};
		const push = () => {
			for (; seq < count && now() >= startMs + Math.floor(seq * 1000 / fps); seq++) {
				const frame = frames[seq % frames.length], captureMs = startMs + Math.floor(seq * 1000 / fps);
				reported();
				ring.push(FrameType.video, Codec.h264, frame.key, captureMs, frame.payload);
				pushed = { seq, capture_ms: captureMs, bytes: frame.payload.length, key: frame.key, frames: figures()?.frames ?? 0 };
			}
			if (seq < count) Timer.set(push, Math.max(0, startMs + Math.floor(seq * 1000 / fps) - now()));
			else Timer.set(() => {
				reported();
				const f = figures() ?? {};
				const { chunksPeak, slotsPeak } = memory();
				print({ drained: true, frames: f.frames, skipped: f.skipped, nacks: f.nacks, resent: f.resent, resends_refused: f.resendsRefused, resends_unaffordable: f.resendsUnaffordable, resends_gone: f.resendsGone, resends_repeated: f.resendsRepeated, key_frame_requests: f.keyFrameRequests, key_frame_requests_in_repair: f.keyFrameRequestsInRepair, rtt_ms: f.rttMs, path_kbps: f.pathRate === undefined ? null : Math.round(f.pathRate * 8 / 1000), xs_peak_bytes: chunksPeak + slotsPeak });
				endpoint.close();
				Timer.set(() => exit(0), 200);
			}, drainMs);
		};
		Timer.set(push, Math.max(0, startMs - now()));
	}, 5);
}
