// What a person sees: the camera app on the XS host uploads to the cloud, and the cloud's console
// in Chromium shows it online with its snapshot, plays it live, and plays what was recorded.
import test from "ava";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cloudFor, deviceIn } from "../cloud/tests/_cloud.mjs";
import { browserFor, checkLiveView, pictureColours, signIn, until, widestSpan } from "../cloud/tests/_browser.mjs";
import { deviceFile, runCamera } from "./_camera.mjs";

const password = "camera-browser-password";
// The camera answers WebRTC with its host candidates, loopback among them on this test rig.
const webrtcArgs = ["--allow-loopback-in-peer-connection"];
// A microphone for the Talk button: Chromium's fake one (a beep each second), allowed without asking.
const micArgs = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"];

test("xs › the console shows the XS camera online with its snapshot, plays it live with its sound, talks to it from the microphone and plays its recording", async (t) => {
	const cloud = await cloudFor(t, { adminPassword: password });
	const device = await deviceIn(cloud, "xs-cam", { name: "XS camera" });
	const talkback = mkdtempSync(join(tmpdir(), "ivxs-talkback-"));
	t.teardown(() => rmSync(talkback, { recursive: true, force: true }));
	const camera = runCamera(deviceFile(t, device, cloud.url), { seconds: 45, args: ["--event-every", "6", "--p2p-loopback", "--talkback", talkback] });
	const { page } = await browserFor(t, { args: [...webrtcArgs, ...micArgs] });
	await signIn(page, cloud.url, "admin", password);

	await until(page, "the camera online with a thumbnail", () => {
		const card = document.querySelector('.device-card[data-device="xs-cam"]');
		const img = card?.querySelector(".thumb img");
		return card?.dataset.online === "true" && img?.complete && img.naturalWidth > 0;
	}, undefined, 30000).catch(async () => {
		await page.reload();   // the list refreshes every 10 s
		await until(page, "the camera online with a thumbnail (after a reload)", () => {
			const card = document.querySelector('.device-card[data-device="xs-cam"]');
			const img = card?.querySelector(".thumb img");
			return card?.dataset.online === "true" && img?.complete && img.naturalWidth > 0 || undefined;
		});
	});
	await page.shot("xs-camera-1-devices");

	// Live straight from the camera over WebRTC (the camera says it serves it; a path within 3 s).
	await checkLiveView(t, page, "xs-cam");
	t.deepEqual(await page.evaluate(() => ({ ...document.querySelector("#live-path").dataset })), { wire: "webrtc", path: "host" });
	t.is(await page.textContent("#live-path"), "Direct · same network");
	t.regex(await page.textContent("#live-latency"), /^\d+ ms$/, "a direct path's delay is tens of milliseconds");
	await page.shot("xs-camera-2-live");

	// the camera's G.711 track plays beside the picture (the sample clip's audio, made from its AAC)
	await page.click("#live-sound");
	const heard = await until(page, "the camera's audio arriving", async () => {
		const audio = await document.querySelector("#live-video").ivxsPlayer.inbound("audio");
		return audio?.totalSamplesReceived > 8000 ? { packets: audio.packetsReceived, samples: audio.totalSamplesReceived, concealed: audio.concealedSamples, level: audio.audioLevel, energy: audio.totalAudioEnergy, codec: audio.codecId } : undefined;
	}, undefined, 15000);
	t.log("audio received", heard);
	t.true(heard.packets > 0 && heard.concealed < heard.samples / 10, "decoded, hardly any concealed");
	// what the page plays: the video element's stream carries the track, and Web Audio hears a tone in it
	const played = await page.evaluate(async () => {
		const stream = document.querySelector("#live-video").srcObject;
		const context = new AudioContext();
		await context.resume();
		const analyser = context.createAnalyser();
		context.createMediaStreamSource(stream).connect(analyser);
		let peak = 0;
		const samples = new Float32Array(analyser.fftSize);
		for (let i = 0; i < 20; i++) {
			await new Promise((resolve) => setTimeout(resolve, 100));
			analyser.getFloatTimeDomainData(samples);
			for (const v of samples) peak = Math.max(peak, Math.abs(v));
		}
		void context.close();
		return { tracks: stream.getAudioTracks().length, peak };
	});
	t.log("played", played);
	t.is(played.tracks, 1, "the live view's stream has the camera's audio");
	t.true(played.peak > 0.01, `a tone, not silence (peak ${played.peak})`);

	// Talk: the microphone goes to the camera over the same WebRTC session (G.711), into its talkback
	t.false(await page.isHidden("#live-talk"), "the admin's grant gives talk: the button shows");
	await page.click("#live-talk");
	await until(page, "talking", () => document.querySelector("#live-talk").getAttribute("aria-pressed") === "true", undefined, 10000);
	t.is(await page.textContent("#live-talk-status"), "The camera hears you");
	await page.shot("xs-camera-2b-talking");
	await page.waitForTimeout(3000);
	await page.click("#live-talk");
	await until(page, "not talking", () => document.querySelector("#live-talk").getAttribute("aria-pressed") === "false", undefined, 10000);

	// PTZ: a command over the session's DataChannel (Chromium's SCTP, the camera's), answered as on the native wire
	await until(page, "the PTZ buttons", () => !document.querySelector("#live-ptz").hidden, undefined, 10000);
	await page.click("#live-ptz-left");
	await until(page, "the PTZ reply", () => document.querySelector("#live-ptz-status").textContent !== "", undefined, 10000);
	t.is(await page.textContent("#live-ptz-status"), "This camera has no PTZ motor");
	await page.shot("xs-camera-2c-ptz");

	await page.click('a[data-tab="recordings"]');
	await page.click('button[data-range="300000"]');
	await until(page, "a recorded span and an event marker", () => document.querySelector(".tl-span") && document.querySelector(".tl-event"), undefined, 30000);
	const span = await widestSpan(page);
	await page.mouse.click(span.x + span.width * 0.2, span.y + span.height / 2);
	await until(page, "the recording playing", () => document.querySelector("#vod-video")?.currentTime > 1, undefined, 30000);
	t.true(await pictureColours(page, "#vod-video") > 8, "the recorded frame is a picture");
	await page.shot("xs-camera-3-recording");
	// 404s are expected while the camera starts (no snapshot or segment yet for the page's first asks).
	t.deepEqual(page.problems.filter((problem) => !/status of 40[14] /.test(problem)), [], "no script errors or other failed requests");

	const run = await camera;
	t.is(run.code, 0, run.stderr);
	t.true(run.summary.snapshots.ok >= 1, `snapshots ${JSON.stringify(run.summary.snapshots)}`);
	t.is(run.summary.channels["0"].framesLost, 0);
	// what the camera heard: one μ-law file, about the 3 s the button was on, a tone (ffmpeg decodes it)
	const files = readdirSync(talkback);
	t.log("talkback", files.map((f) => `${f}: ${statSync(join(talkback, f)).size} bytes`));
	t.regex(run.stdout, /p2p: [0-9a-f]{16} talks \(pcmu\) into /);
	t.regex(run.stdout, /webrtc: DataChannel "commands" opened on stream \d+/);
	t.regex(run.stdout, /p2p: [0-9a-f]{16}: ptz left \(no motor: a placeholder\)/);
	t.is(files.filter((f) => f.endsWith(".ulaw")).length, 1, run.stdout);
	const file = join(talkback, files.find((f) => f.endsWith(".ulaw")));
	const seconds = statSync(file).size / 8000;
	t.true(seconds > 2 && seconds < 6, `${seconds} s of talk`);
	const pcm = spawnSync("ffmpeg", ["-v", "error", "-f", "mulaw", "-ar", "8000", "-ac", "1", "-i", file, "-f", "s16le", "-"], { maxBuffer: 1 << 24 }).stdout;
	const samples = new Int16Array(pcm.buffer, pcm.byteOffset, pcm.length >> 1);
	const peak = samples.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
	t.log(`ffmpeg decoded ${samples.length} samples, peak ${peak}`);
	t.true(samples.length > 2 * 8000 && peak > 1000, "the fake microphone's beep, not silence");
});

test("xs › with no direct path to the camera the live view goes through the cloud within 3 s, says so, and ends the camera's WebRTC session", async (t) => {
	const cloud = await cloudFor(t, { adminPassword: password });
	const device = await deviceIn(cloud, "xs-cam-udp", { name: "XS camera" });
	let stdout = "";
	const camera = runCamera(deviceFile(t, device, cloud.url), { seconds: 35, args: ["--p2p-loopback"], onStdout: (chunk) => { stdout += chunk; } });
	const { page } = await browserFor(t, { args: webrtcArgs });
	// A camera the browser cannot reach (behind a NAT that lets nothing in): its answer's candidates
	// become an address nobody answers on (TEST-NET-1, RFC 5737).
	await page.route("**/whep", async (route) => {
		const response = await route.fetch();
		const body = (await response.text()).replace(/a=candidate:[^\r]*\r\n/g, "").replace(/a=mid:([^\r]*)\r\n/, "a=mid:$1\r\na=candidate:1 1 udp 2130706431 192.0.2.1 40000 typ host\r\n");
		await route.fulfill({ response, body });
	});
	await signIn(page, cloud.url, "admin", password);
	await until(page, "the camera online", () => document.querySelector('.device-card[data-device="xs-cam-udp"]')?.dataset.online === "true", undefined, 30000)
		.catch(async () => {
			await page.reload();
			await until(page, "the camera online (after a reload)", () => document.querySelector('.device-card[data-device="xs-cam-udp"]')?.dataset.online === "true" || undefined);
		});
	const opened = Date.now();
	await page.click('.device-card[data-device="xs-cam-udp"]');
	await until(page, "the live view going through the cloud", () => document.querySelector("#live-path")?.dataset.wire === "cloud", undefined, 10000)
		.catch(async (error) => {
			t.log(await page.evaluate(() => [document.querySelector("#live-path")?.outerHTML, document.querySelector("#live-overlay")?.textContent]), page.problems);
			throw error;
		});
	const fellBack = Date.now() - opened;
	t.log(`fell back to LL-HLS ${fellBack} ms after opening the live view: ${await page.getAttribute("#live-path", "title")}`);
	t.true(fellBack < 4500, `${fellBack} ms (3 s for a direct path, then the cloud)`);
	t.is(await page.textContent("#live-path"), "Through the cloud (LL-HLS)");
	await until(page, "live playback past 2 s", () => document.querySelector("#live-video")?.currentTime > 2, undefined, 45000);
	t.true(await pictureColours(page, "#live-video") > 8, "the live frame is a picture");
	await until(page, "the picture with nothing over it", () => document.querySelector("#live-overlay").hidden, undefined, 10000);
	await page.shot("xs-camera-4-live-through-cloud");
	t.regex(stdout, /webrtc: viewer [0-9a-f]{16} offered H264/, "the camera answered: the path is what failed");
	t.regex(stdout, /webrtc: viewer [0-9a-f]{16} ended by the cloud: 0 frames/, "the console's DELETE ended the session at once");
	await camera;
});
