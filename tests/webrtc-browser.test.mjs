// Chromium watches the camera over WebRTC (issue 28): a page makes an RTCPeerConnection offer
// to receive video, a test server hands it to a camera (tests/xs-apps/webrtc-camera: the sample
// clip, the answer from modules/webrtc/sdp.ts, ICE-lite, DTLS-SRTP, H.264 as SRTP) and returns the
// answer; the page plays the track in a <video>. Chromium must decode frames at 640×480
// (getStats), and the picture must be a picture (many colours), which a person can look at in the
// screenshot; and it must know the round trip from the camera's answers to its receiver reference
// times. Chromium gathers loopback candidates only with --allow-loopback-in-peer-connection
// (the camera and the browser are on one host here).
import test from "ava";
import { createServer } from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { chromiumArgs, pictureColours, screenshotFolder } from "../cloud/tests/_browser.mjs";
import { runHost } from "./_host.mjs";

const page = `<!doctype html><meta charset="utf-8"><title>ivxs WebRTC</title>
<video id="v" muted autoplay playsinline style="width:640px;height:480px;background:#000"></video>
<script>
window.result = (async () => {
	const pc = new RTCPeerConnection();
	pc.addTransceiver("video", { direction: "recvonly" });
	const video = document.getElementById("v");
	pc.ontrack = (e) => { video.srcObject = new MediaStream([e.track]); };
	await pc.setLocalDescription(await pc.createOffer());
	const asked = performance.now();
	const answer = await (await fetch("/offer", { method: "POST", body: pc.localDescription.sdp })).text();
	await pc.setRemoteDescription({ type: "answer", sdp: answer });
	let inbound, remote, firstFrameMs;
	for (let i = 0; i < 60; i++) {
		await new Promise((r) => setTimeout(r, 250));
		const stats = await pc.getStats();
		stats.forEach((s) => { if (s.type === "inbound-rtp" && s.kind === "video") inbound = s; });
		stats.forEach((s) => { if (s.type === "remote-outbound-rtp" && s.kind === "video") remote = s; });
		if (inbound && inbound.framesDecoded > 0 && firstFrameMs === undefined) firstFrameMs = Math.round(performance.now() - asked);
		if (inbound && inbound.framesDecoded >= 45 && remote?.roundTripTimeMeasurements > 0) break;
	}
	let codec;
	if (inbound) (await pc.getStats()).forEach((s) => { if (s.id === inbound.codecId) codec = s.mimeType; });
	return { ice: pc.iceConnectionState, framesDecoded: inbound?.framesDecoded ?? 0, width: inbound?.frameWidth, height: inbound?.frameHeight,
		codec, packetsLost: inbound?.packetsLost, firstFrameMs, roundTrips: remote?.roundTripTimeMeasurements ?? 0, roundTripMs: remote && remote.roundTripTime * 1000 };
})();
</script>`;

test("Chromium plays the camera over WebRTC: H.264 decoded at 640×480, a real picture on screen", async (t) => {
	const dir = mkdtempSync(join(tmpdir(), "ivxs-webrtc-browser-"));
	t.teardown(() => rmSync(dir, { recursive: true, force: true }));
	let camera;
	const server = createServer((req, res) => {
		if (req.method === "GET") return res.writeHead(200, { "content-type": "text/html" }).end(page);
		let body = "";
		req.setEncoding("utf8").on("data", (c) => { body += c; }).on("end", () => {
			const offerFile = join(dir, "offer.sdp");
			writeFileSync(offerFile, body);
			let answered;
			const answer = new Promise((resolve) => { answered = resolve; });
			camera = runHost(["tests/xs-apps/webrtc-camera", "--", offerFile, "20"], {
				timeoutMs: 60_000, onStdout: (chunk) => { const m = chunk.match(/@@answer (.*)\n/); if (m) answered(JSON.parse(m[1])); },
			});
			Promise.race([answer, camera.then((r) => ({ error: r.stdout + r.stderr }))]).then((a) => {
				if (a.error) res.writeHead(500).end(a.error);
				else res.writeHead(200, { "content-type": "application/sdp" }).end(a.answer);
			});
		});
	});
	await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
	t.teardown(() => server.close());
	const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: [...chromiumArgs, "--allow-loopback-in-peer-connection"] });
	t.teardown(() => browser.close());
	const tab = await (await browser.newContext({ viewport: { width: 700, height: 520 } })).newPage();
	await tab.goto(`http://127.0.0.1:${server.address().port}/`);
	const result = await tab.evaluate(() => window.result);
	const colours = await pictureColours(tab, "#v");
	const shot = join(screenshotFolder(), "webrtc-chromium.png");
	await tab.screenshot({ path: shot });
	t.log({ ...result, colours, screenshot: shot });
	t.is(result.ice, "connected");
	t.is(result.codec, "video/H264");
	t.true(result.framesDecoded >= 45, `${result.framesDecoded} frames decoded`);
	t.deepEqual([result.width, result.height], [640, 480]);
	// the answer's rrtr: Chromium sent its receiver reference times and timed the round trip by our
	// DLRR answers (RFC 3611 §4.5) — what it waits before asking for a lost packet again
	t.true(result.roundTrips > 0 && result.roundTripMs < 1000, `round trips timed by our DLRR: ${result.roundTrips}, ${result.roundTripMs} ms`);
	t.true(colours > 8, `${colours} colours: a decoded picture, not a blank one`);
	await browser.close();
	const run = await camera;
	t.is(run.code, 0, run.stdout.slice(-2000) + run.stderr.slice(-2000));
});
