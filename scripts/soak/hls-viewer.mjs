// The soak's LL-HLS viewer: hls.js in Debian's Chromium (playwright-core, the flags of
// cloud/tests/_browser.mjs) playing the camera's live playlist. The page comes from a small proxy
// on loopback that serves it and hls.js and passes every other request to the cloud with the
// admin's cookie (same origin, no CORS; a cloud restarted on its port is simply reached again).
// On a fatal player error the page starts a new player after 2 s. `frames`: decoded frames over
// every player the page made.
import http from "node:http";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";
import { chromiumArgs } from "../../cloud/tests/_browser.mjs";

const hlsJs = readFileSync(createRequire(import.meta.url).resolve("hls.js/dist/hls.min.js"));

const page = (src) => `<!doctype html><meta charset="utf-8"><video id="v" muted playsinline></video>
<script src="/soak/hls.js"></script>
<script>
window.soak = { frames: 0, players: 0, errors: [] };
let base = 0;
function play() {
	const video = document.getElementById("v");
	if (window.hls) {
		base += video.getVideoPlaybackQuality().totalVideoFrames;
		window.hls.destroy();
	}
	soak.players++;
	const hls = window.hls = new Hls({ lowLatencyMode: true, manifestLoadingMaxRetry: 2, levelLoadingMaxRetry: 4, fragLoadingMaxRetry: 4 });
	hls.on(Hls.Events.ERROR, (_, data) => {
		if (!data.fatal) return;
		soak.errors.push(data.type + " " + data.details);
		setTimeout(play, 2000);
	});
	hls.loadSource(${JSON.stringify(src)});
	hls.attachMedia(video);
	hls.on(Hls.Events.MANIFEST_PARSED, () => video.play().catch(() => {}));
}
setInterval(() => { soak.frames = base + document.getElementById("v").getVideoPlaybackQuality().totalVideoFrames; }, 500);
play();
</script>`;

export class HlsViewer {
	#o;
	#server;
	#browser;
	#page;
	frames = 0;
	players = 0;
	errors = [];

	constructor({ cloudUrl, device, session }) {
		this.#o = { cloudUrl, device, session };
	}

	async start() {
		const { cloudUrl, device, session } = this.#o;
		const cloud = new URL(cloudUrl);
		this.#server = http.createServer(async (req, res) => {
			if (req.url === "/soak/page") return res.writeHead(200, { "content-type": "text/html" }).end(page(`/v1/hls/${device}/0/live.m3u8`));
			if (req.url === "/soak/hls.js") return res.writeHead(200, { "content-type": "text/javascript" }).end(hlsJs);
			let cookie;
			try {
				cookie = await session.cookie();
			}
			catch {
				return res.writeHead(502).end();
			}
			const upstream = http.request({ host: cloud.hostname, port: cloud.port, path: req.url, method: req.method, headers: { ...req.headers, host: cloud.host, cookie } }, (answer) => {
				if (answer.statusCode === 401) session.cookie(true).catch(() => {});
				res.writeHead(answer.statusCode, answer.headers);
				answer.pipe(res);
			});
			upstream.on("error", () => res.headersSent ? res.destroy() : res.writeHead(502).end());
			req.pipe(upstream);
		});
		this.#server.listen(0, "127.0.0.1");
		await once(this.#server, "listening");
		this.#browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: chromiumArgs });
		this.#page = await (await this.#browser.newContext({ viewport: { width: 640, height: 480 } })).newPage();
		await this.#page.goto(`http://127.0.0.1:${this.#server.address().port}/soak/page`);
	}

	/** Reads the page's counters (call once a second or so). */
	async poll() {
		try {
			const s = await this.#page.evaluate(() => window.soak);
			this.frames = s.frames;
			this.players = s.players;
			this.errors = s.errors;
		}
		catch {}
	}

	/** The browser's own processes' RSS is not ours to judge: only that it plays. */
	async stop() {
		await this.#browser?.close().catch(() => {});
		this.#server?.closeAllConnections();
		this.#server?.close();
	}
}
