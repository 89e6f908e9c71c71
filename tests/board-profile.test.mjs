// The board profile (issue 29 item 1): the camera app on the 32-bit host (a board's pointer and
// slot size: build/bin/ivxs-m32) with a board's limits — 4 viewers at most, the manifest's
// creation sizes (--creation: XS collects when what it reserved is full, as on a board), and an
// XS heap that cannot grow past a budget (--heap-limit: the host's allocator refuses past it, as a board's
// fixed `creation.static` block would; XS collects, and aborts "memory full" if that is not
// enough) — for two minutes of cloud storage, 4 live viewers (2 on the native wire, 2 over WebRTC:
// aiortc, Debian's python3-aiortc, as WHEP clients through the cloud, hearing the G.711 track too),
// an event every 20 s and the snapshot each takes. It must not run out of memory, lose a frame or
// fall behind.
//
// BUDGET is the peak target for chunks + slots (≤ 384 KiB, 16-byte slots) plus the XS
// stack the manifest reserves (the cap counts every block XS takes; the Moddable instruments the
// target comes from count the stack apart). The manifest's creation reserves 192 KiB of chunks +
// slots up front (56 + 136 KiB: the split that makes the chunks fill first, so that every
// collection compacts them — hosts/esp32s3/README.md "How the 192 KiB is split"); XS grows past it
// by its increments only when a collection leaves too little free, within the cap here. The modules are preloaded (the host's default),
// as a board keeps them in flash, so the cap is the app's heap alone (hosts/linux/README.md
// "Preloading").
import test from "ava";
import { cloudFor, deviceIn, session } from "../cloud/tests/_cloud.mjs";
import { deviceFile, storedFrames, totalFrames } from "./_camera.mjs";
import { boardCreation, build, runHost } from "./_host.mjs";
import { tokenOf, whepClient } from "./_webrtc.mjs";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const { stack } = JSON.parse(readFileSync(new URL("../manifest.json", import.meta.url), "utf8")).creation;
const BUDGET = `${384 + stack * 16 / 1024}k`;
const SECONDS = 130, WATCH = 110, VIEWERS = 4, NATIVE = 2, WEBRTC = VIEWERS - NATIVE;

test(`board profile: 32-bit host, XS heap capped at ${BUDGET}, ${VIEWERS} viewers (${NATIVE} native, ${WEBRTC} WebRTC), cloud storage, events and snapshots for ${SECONDS} s — no memory full, no frame lost, not behind`, async (t) => {
	const cloud = await cloudFor(t, { adminPassword: "admin-secret-1" });
	const device = await deviceIn(cloud, "board-cam");
	const token = await tokenOf(await session(cloud, "admin", "admin-secret-1"));
	const file = deviceFile(t, device, cloud.url);
	const port = 20000 + Math.floor(Math.random() * 30000);
	let ready;
	const started = new Promise((resolve) => { ready = resolve; });
	const camera = runHost(["--heap-limit", BUDGET, ...boardCreation(), "modules/app/camera", "--", "--device", file, "--seconds", String(SECONDS), "--summary",
		"--p2p", String(port), "--p2p-loopback", "--viewers", String(VIEWERS), "--event-every", "20", "--memory-probe", "10"], {
		binary: join(build, "bin", "ivxs-m32"), timeoutMs: (SECONDS + 90) * 1000,
		onStdout: (chunk) => { if (chunk.includes("p2p: viewers on UDP port")) ready(); },
	});
	await Promise.race([started, camera]);
	await new Promise((r) => setTimeout(r, 3000));
	// (the WebRTC viewers' candidates: the camera's loopback address, allowed by --p2p-loopback)
	const browsers = Array.from({ length: WEBRTC }, () => whepClient(`${cloud.url}/v1/devices/board-cam/whep`, token, WATCH, { audio: true }));
	const watched = await runHost(["tests/xs-apps/p2p-viewers", "--", String(port), device.id, device.secret, String(NATIVE), String(WATCH)], { timeoutMs: (WATCH + 60) * 1000 });
	const webrtc = await Promise.all(browsers);
	const run = await camera;
	const out = run.stdout + run.stderr;
	t.false(/memory full/.test(out), out.slice(-3000));
	t.is(run.code, 0, out.slice(-3000));
	const summary = JSON.parse(run.stdout.split("\n").find((l) => l.startsWith("@@camera ")).slice(9));
	const probes = run.stdout.split("\n").filter((l) => l.startsWith("@@memory ")).map((l) => JSON.parse(l.slice(9)));
	const stats = summary.channels["0"];
	t.log(`heap: live ${Math.max(...probes.map((p) => p.heap))} B at most after a collection, peak ${summary.heapPeak} B; ${stats.framesUploaded} frames uploaded in ${stats.segmentsStored} segments`);
	// nothing lost, nothing behind: every frame pushed reached the cloud, in order
	t.is(stats.framesLost, 0);
	// every ring frame in that span is uploaded or of the G.711 track cloud storage does not keep
	t.is(stats.lastSeq - stats.firstSeq + 1, stats.framesUploaded + stats.framesNotStored, "no frame skipped between the first and the last uploaded");
	t.is(totalFrames(await storedFrames(cloud, device.id)).total, stats.framesUploaded, "ffprobe decodes every frame uploaded");
	t.true(stats.segmentsStored >= (SECONDS - 10) / 2 * 0.8, `${stats.segmentsStored} segments of 2 s in ${SECONDS} s`);
	// the viewers watched all along, each with key frames
	const line = watched.stdout.split("\n").find((l) => l.startsWith("@@viewers "));
	t.truthy(line, watched.stdout + watched.stderr);
	const seen = JSON.parse(line.slice(10));
	t.deepEqual(seen.filter((v) => v.error), []);
	for (const [i, v] of seen.entries()) t.true(v.frames >= WATCH * 15 * 0.9 && v.keys >= WATCH / 2, `viewer ${i}: ${v.frames} frames, ${v.keys} key frames in ${WATCH} s`);
	// ... and so did the WebRTC ones: aiortc decoded the video and heard the sound all along
	for (const [i, v] of webrtc.entries()) {
		t.log(`WebRTC viewer ${i}: ${v.frames} frames decoded (${v.width}x${v.height}), the first ${v.firstFrameS} s after its offer; audio ${JSON.stringify(v.audio)}`);
		t.is(v.status, 201, JSON.stringify(v));
		t.true(v.frames >= WATCH * 15 * 0.85, `WebRTC viewer ${i}: ${v.frames} frames decoded in ${WATCH} s`);
		t.true(v.audio?.frames >= WATCH * 50 * 0.85, `WebRTC viewer ${i}: ${v.audio?.frames} audio frames (20 ms) in ${WATCH} s`);
	}
	// an event every 20 s, each with its snapshot
	const events = cloud.ctx.sql.db.prepare("SELECT COUNT(*) AS n FROM events WHERE device = ?").get(device.id).n;
	const stills = cloud.ctx.sql.db.prepare("SELECT COUNT(*) AS n FROM snapshots WHERE device = ?").get(device.id).n;
	t.true(events >= 5 && stills >= events, `${events} events, ${stills} snapshots`);
	t.true(summary.heapPeak <= 384 * 1024, `heap peak ${summary.heapPeak}`);
});

test("board profile: the cap is real — under a budget the app cannot start in, it ends with the host's clear error, not a crash", async (t) => {
	const file = deviceFile(t, { id: "board-small", secret: "s".repeat(16) + "0123456789abcdef0123456789abcdef" }, "http://127.0.0.1:9");
	const run = await runHost(["--heap-limit", "256k", "modules/app/camera", "--", "--device", file, "--seconds", "5"], { binary: join(build, "bin", "ivxs-m32"), timeoutMs: 60_000 });
	t.is(run.code, 2, run.stdout + run.stderr);
	t.regex(run.stdout + run.stderr, /fatal: memory full \(see --heap-limit\)/);
});
