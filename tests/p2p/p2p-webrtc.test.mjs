// The "webrtc" transport of the p2p benchmark (bench/p2p/webrtc-sender.mjs: the camera's
// WebRtcEndpoint on XS; bench/p2p/webrtc-receiver.mjs: Debian's Chromium taking its encoded frames
// as they are assembled) across a TUN link: the contract of bench/p2p/transports.mjs — every frame
// Chromium assembles matches the frames file, its capture time carried by the RTP timestamp. Needs
// root, like tun.test.mjs; CI runs as root.
import test from "ava";
import { runOne } from "../../bench/p2p/run.mjs";
import { webrtc } from "../../bench/p2p/transports.mjs";
import { framesFile as sharedFramesFile, tunTest } from "./_tun-test.mjs";

const framesFile = async () => (await sharedFramesFile("p2p-webrtc-frames.bin")).file;

test("the webrtc transport has what it needs: the XS host and Chromium", (t) => {
	t.deepEqual(webrtc.available(), { ok: true });
});

tunTest("webrtc: the camera's endpoint to Chromium on a clean 60 ms RTT link — every frame assembled intact, on time, its capture time from the RTP timestamp, and shown in a <video> (glass-to-glass)", async (t) => {
	const file = await framesFile();
	// (runOne throws if a frame's capture time is not the one the camera sent)
	const r = await runOne(webrtc, { name: "clean", model: { delayMs: 30 } }, { framesFile: file, seconds: 3, drainMs: 1000, seed: 1 });
	t.log(JSON.stringify(r.latency_ms), `presented ${JSON.stringify(r.glass_to_glass_ms)}; ICE + DTLS ${r.handshake_ms} ms; sender ${JSON.stringify(r.sender)}`);
	t.is(r.frames, 45);
	t.is(r.frames_corrupt, 0);
	t.is(r.frames_received, 45);
	t.is(r.on_time_share, 1);
	t.true(r.latency_ms.min_received >= 30 && r.latency_ms.p50 < 120, JSON.stringify(r.latency_ms));
	// the page's <video> presented the frames (its requestVideoFrameCallback, by RTP timestamp), never before they were captured
	// plus the link's 30 ms, and after Chromium assembled them
	t.true(r.glass_to_glass_ms?.frames_presented >= 40, JSON.stringify(r.glass_to_glass_ms));
	t.true(r.glass_to_glass_ms.p50 >= r.latency_ms.p50 && r.glass_to_glass_ms.p50 < 400, JSON.stringify(r.glass_to_glass_ms));
	t.like(r.sender, { frames: 45, skipped: 0, key_frame_requests: 0 });
	t.true(r.handshake_ms > 60 && r.handshake_ms < 5000, `${r.handshake_ms}`);
});
