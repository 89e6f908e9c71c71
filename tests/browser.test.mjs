// What a person would watch, played where they would watch it: the demo's
// live fMP4 (from the XS host) fed to Chromium through Media Source
// Extensions, as a web viewer of recordings will. It must play past 2 s at
// 640x480 with colourful (decoded, not black) frames.
import test from "ava";
import { createServer } from "node:http";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { browserFor, videoColours } from "../cloud/tests/_browser.mjs";
import { runHost } from "./_host.mjs";

const page = `<!doctype html><meta charset="utf-8"><video id="v" muted playsinline></video>
<script>
window.result = new Promise(async (resolve) => {
	const video = document.getElementById("v");
	const mime = new URLSearchParams(location.search).get("mime");
	if (!MediaSource.isTypeSupported(mime)) return resolve({ error: "unsupported " + mime });
	const source = new MediaSource();
	video.src = URL.createObjectURL(source);
	await new Promise((r) => source.addEventListener("sourceopen", r, { once: true }));
	const buffer = source.addSourceBuffer(mime);
	const bytes = await (await fetch("/live.mp4")).arrayBuffer();
	buffer.addEventListener("error", () => resolve({ error: "SourceBuffer error" }));
	video.addEventListener("error", () => resolve({ error: "video error " + (video.error && video.error.message) }));
	buffer.appendBuffer(bytes);
	await new Promise((r) => buffer.addEventListener("updateend", r, { once: true }));
	source.endOfStream();
	await video.play();
	const started = performance.now();
	while (video.currentTime < 2 && performance.now() - started < 15000) await new Promise((r) => setTimeout(r, 100));
	video.pause();   // the picture videoColours draws
	resolve({ currentTime: video.currentTime, width: video.videoWidth, height: video.videoHeight,
		buffered: buffer.buffered.length ? buffer.buffered.end(0) : 0 });
});
</script>`;

test("Chromium plays the demo's live fMP4 (H.264 + AAC) through Media Source Extensions", async (t) => {
	const out = mkdtempSync(join(tmpdir(), "ivxs-browser-"));
	t.teardown(() => rmSync(out, { recursive: true, force: true }));
	const demo = await runHost(["modules/app/main", "--", "--seconds", "4", "--out", out]);
	t.is(demo.code, 0, demo.stderr);
	const mp4 = readFileSync(join(out, "live.mp4"));
	const codecs = demo.stdout.match(/init segment: 640x480 codecs ([^\n]+)/)?.[1];
	t.truthy(codecs, demo.stdout);
	const server = createServer((request, response) => {
		if (request.url.startsWith("/live.mp4")) {
			response.writeHead(200, { "content-type": "video/mp4" });
			response.end(mp4);
		}
		else {
			response.writeHead(200, { "content-type": "text/html" });
			response.end(page);
		}
	});
	await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
	t.teardown(() => server.close());
	const { page: tab } = await browserFor(t);   // cloud/tests/_browser.mjs: the flags, a fresh profile
	const mime = `video/mp4; codecs="${codecs}"`;
	await tab.goto(`http://127.0.0.1:${server.address().port}/?mime=${encodeURIComponent(mime)}`);
	const result = { ...await tab.evaluate(() => window.result), colours: await videoColours(tab, "#v") };
	t.log(JSON.stringify({ mime, ...result }));
	t.falsy(result.error, result.error);
	t.true(result.currentTime >= 2, `played to ${result.currentTime} s`);
	t.is(result.width, 640);
	t.is(result.height, 480);
	t.true(result.colours > 8, "the frame drawn from the video is a picture, not a flat colour");
});
