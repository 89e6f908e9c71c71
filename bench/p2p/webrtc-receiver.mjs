// The WebRTC transport's receiver (transports.mjs "webrtc"), in the link's namespace B: Debian's
// Chromium — the viewer people use — receiving the camera's video in a page, so its jitter-free
// frame assembly, NACKs, PLIs and TWCC feedback are the browser's own.
//   node webrtc-receiver.mjs --listen <host>:<port> --frames <file>
// Signalling over HTTP on the listen address (TCP): GET /offer (the page's recvonly H.264 offer),
// POST /answer (the camera's SDP), POST /start ({start_ms, fps}: when the camera's frame 0 was captured, and its rate).
// A frame is received when Chromium has assembled it from its RTP packets: the page takes every
// encoded frame (encodedInsertableStreams, before the decoder and its jitter buffer — what the
// other receivers report too) and passes it on to the decoder unchanged. Per frame:
//   capture time — from its RTP timestamp (the camera's capture clock, ms x 90, unwrapped about
//     the arrival), seq from that and the start;
//   recv_ns — the page's clock (performance.timeOrigin + now(), ms since the epoch) moved onto
//     CLOCK_MONOTONIC by the offset between the two measured in this process (about 0.1 ms);
//   intact — its NAL units (Annex B as the browser's depacketizer writes them) equal the frames
//     file's frame's (nalDigest below), access unit delimiters aside (RFC 6184 senders may drop them),
//     and parameter sets aside when they are the ones the decoder holds (arrived() says why).
import { createServer } from "node:http";
import { chromium } from "playwright-core";
import { chromiumArgs } from "../../cloud/tests/_browser.mjs";
import { parseArgs, print, readFramesFile } from "./frames.mjs";

const o = parseArgs(process.argv.slice(2));
const [host, port] = o.listen.split(":");
const frames = readFramesFile(o.frames);
process.stdin.on("end", () => close(0)).resume();

/**
 * Digests of an Annex-B frame's NAL units (FNV-1a over each unit, trailing zero bytes dropped,
 * H.264 access unit delimiters skipped), so two framings of the same units agree: `all` of them,
 * the parameter sets (SPS, PPS) alone, and the rest (`picture`). Runs in the page too (its source
 * is sent there): no closures.
 */
function nalDigest(bytes) {
	const digest = { all: [0x811c9dc5, 0], params: [0x811c9dc5, 0], picture: [0x811c9dc5, 0] };
	const n = bytes.length;
	let i = 0;
	const startAt = (k) => k + 2 < n && bytes[k] === 0 && bytes[k + 1] === 0 && bytes[k + 2] === 1;
	while (i < n && !startAt(i)) i++;
	while (i < n) {
		const begin = i + 3;
		let end = begin;
		while (end < n && !startAt(end)) end++;
		let last = end;
		while (last > begin && bytes[last - 1] === 0) last--;
		const type = bytes[begin] & 0x1f;
		if (last > begin && type !== 9) {
			for (const d of [digest.all, type === 7 || type === 8 ? digest.params : digest.picture]) {
				d[1]++;
				for (let k = begin; k < last; k++) d[0] = Math.imul(d[0] ^ bytes[k], 0x01000193) >>> 0;
				d[0] = Math.imul(d[0] ^ 0xff, 0x01000193) >>> 0;
			}
		}
		i = end;
	}
	const text = ([hash, units]) => `${units}:${hash.toString(16)}`;
	return { all: text(digest.all), params: text(digest.params), picture: text(digest.picture) };
}
const expected = frames.map((f) => nalDigest(f.payload));

// CLOCK_MONOTONIC ns = the epoch ms of performance's clock (which the page shares) + offset
const offsetNs = process.hrtime.bigint() - BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
let startMs = null, fps = null;
const waiting = [];

/**
 * An RTP timestamp seen at `atMs` (the page's epoch ms) as the frame's capture: { seq, ticks, atNs }
 * on CLOCK_MONOTONIC, or undefined when it is no frame of the schedule. The 90 kHz capture clock is
 * unwrapped about a second after `atMs` (a frame is never captured after it is seen; clocks read in
 * two processes may differ by a fraction of a ms).
 */
function captureOf(ts, atMs) {
	const atNs = BigInt(Math.round(atMs * 1e6)) + offsetNs;
	const reference = (atNs / 1_000_000n + 1000n) * 90n;
	const ticks = reference - ((reference - BigInt(ts)) % 2n ** 32n);
	const seq = Math.round((Number(ticks / 90n) - startMs) * fps / 1000);
	if (ticks % 90n || seq < 0) return void print({ unparsed: `RTP timestamp ${ts} at ${atNs} ns` });
	return { seq, ticks, atNs };
}

/** The parameter sets of the last frame handed out with some: the ones Chromium's decoder holds. */
let decoderParams;

/**
 * A frame the page assembled: RTP timestamp, arrival (epoch ms), its digests. Intact: its NAL
 * units are the frame's — or they are but for its parameter sets, when those are the ones the
 * decoder already holds. Chromium hands out a key frame whose first packet (the STAP-A of SPS and
 * PPS) is still missing: libwebrtc finds an H.264 frame's start by walking back over the packets
 * present (webrtc bug 7106), so it begins at the IDR, and the decoder decodes it with what it has
 * — the page presents it and the GOP behind it (p2p bench, fixture 1.25x 5 %, seed 1004: three
 * such key frames presented, each with its GOP). The same IDR after other parameter sets would not
 * decode right: that one is not intact.
 */
function arrived(ts, atMs, digest) {
	if (startMs === null) return void waiting.push([ts, atMs, digest]);
	const frame = captureOf(ts, atMs);
	if (!frame) return;
	const want = expected[frame.seq % expected.length];
	const withParams = !digest.params.startsWith("0:");
	const intact = digest.all === want.all || (!withParams && digest.picture === want.picture && want.params === decoderParams);
	if (withParams) decoderParams = digest.params;
	print({ seq: frame.seq, capture_ns: String((frame.ticks / 90n) * 1_000_000n), recv_ns: String(frame.atNs), bytes: intact ? frames[frame.seq % frames.length].payload.length : 0, intact });
}

/**
 * A frame the page's <video> presented (requestVideoFrameCallback: its RTP timestamp and the
 * compositor's expected display time, epoch ms): glass-to-glass is that minus the capture.
 */
function presented(ts, atMs) {
	if (startMs === null) return;
	const frame = captureOf(ts, atMs);
	if (frame) print({ presented: frame.seq, present_ns: String(frame.atNs) });
}

const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: [...chromiumArgs, "--disable-features=WebRtcHideLocalIpsWithMdns"] });
async function close(code) {
	await browser.close().catch(() => {});
	process.exit(code);
}
process.once("SIGTERM", () => close(0));
const page = await browser.newPage();
page.on("pageerror", (error) => process.stderr.write(`page: ${error.message}\n`));
await page.exposeFunction("ivxsFrame", arrived);
await page.exposeFunction("ivxsPresented", presented);
const offer = await page.evaluate(async (digestSource) => {
	const nalDigest = new Function(`return ${digestSource}`)();
	const pc = new RTCPeerConnection({ encodedInsertableStreams: true });
	window.pc = pc;
	pc.addTransceiver("video", { direction: "recvonly" });
	pc.ontrack = ({ receiver, track }) => {
		// shown, as a viewer's page would: each frame presented is reported with its RTP timestamp
		const video = document.createElement("video");
		video.muted = true;
		video.autoplay = true;
		video.srcObject = new MediaStream([track]);
		document.body.append(video);
		const onFrame = (now, meta) => {
			if (meta.rtpTimestamp !== undefined) window.ivxsPresented(meta.rtpTimestamp, performance.timeOrigin + meta.expectedDisplayTime);
			video.requestVideoFrameCallback(onFrame);
		};
		video.requestVideoFrameCallback(onFrame);
		video.play().catch(() => {});
		const { readable, writable } = receiver.createEncodedStreams();
		readable.pipeThrough(new TransformStream({
			transform(frame, controller) {
				const at = performance.timeOrigin + performance.now();
				window.ivxsFrame(frame.timestamp, at, nalDigest(new Uint8Array(frame.data)));
				controller.enqueue(frame);
			},
		})).pipeTo(writable);
	};
	await pc.setLocalDescription(await pc.createOffer());
	await new Promise((resolve) => {
		if (pc.iceGatheringState === "complete") resolve();
		pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && resolve();
	});
	return pc.localDescription.sdp;
}, nalDigest.toString());

const body = (request) => new Promise((resolve) => {
	let text = "";
	request.on("data", (d) => { text += d; }).on("end", () => resolve(text));
});
const server = createServer(async (request, response) => {
	try {
		if (request.method === "GET" && request.url === "/offer") return response.end(offer);
		if (request.method === "POST" && request.url === "/answer") {
			await page.evaluate((sdp) => window.pc.setRemoteDescription({ type: "answer", sdp }), await body(request));
			return response.end("ok");
		}
		if (request.method === "POST" && request.url === "/start") {
			({ start_ms: startMs, fps } = JSON.parse(await body(request)));
			for (const frame of waiting.splice(0)) arrived(...frame);
			return response.end("ok");
		}
		response.writeHead(404).end();
	} catch (error) {
		response.writeHead(500).end(error.message);
	}
});
server.listen(Number(port), host, () => print({ ready: true }));
