// libivxs, the seed's C API (native/capi/include/iv_cs.h, iv_av.h, hosts/linux/capi): its C tests of
// wrong use (iv_cs_*, iv_avt_p2p_*), plain, with ASan + UBSan, with ThreadSanitizer and 32-bit (a board's pointers), against a test cloud; the C sample
// firmware (seed 000's loop: encoder → iv_cs_push_stream) uploading the sample clip, where ffprobe
// decodes exactly the frames the sample pushed and the camera uploaded, and under ThreadSanitizer;
// and seed 000's own sample code compiled unchanged against the headers. The sanitizer,
// ThreadSanitizer and 32-bit builds happen once, before any test, under a budget of their own.
import test from "ava";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cloudFor, deviceIn, session } from "../cloud/tests/_cloud.mjs";
import { tokenOf, whepClient } from "./_webrtc.mjs";
import { build, buildHostVariant, root, runHost } from "./_host.mjs";
import { storedFrames, totalFrames } from "./_camera.mjs";
import { Writable } from "node:stream";
import { randomBytes } from "node:crypto";
import { view } from "../scripts/view.mjs";

const CLIP = "fixtures/media/h264-main-640x480.h264";
const ADMIN_PASSWORD = "admin-secret-1";

/** A device file whose channel the C firmware feeds, and a data folder (both removed at teardown). */
function firmwareDevice(t, device, cloudUrl, firmware = { audio: true }) {
	const dir = mkdtempSync(join(tmpdir(), "ivxs-capi-"));
	t.teardown(() => rmSync(dir, { recursive: true, force: true }));
	const file = join(dir, "device.json");
	writeFileSync(file, JSON.stringify({ id: device.id, secret: device.secret, cloud: cloudUrl, channels: [{ codec: "h264", firmware }] }));
	return { IVXS_DEVICE: file, IVXS_DATA: join(dir, "data") };
}

/** The sample firmware running for `seconds`, once its camera app's control channel is up: { done }, its run's promise. */
async function sampleConnected(env, seconds, args = []) {
	let connected;
	const ready = new Promise((resolve) => { connected = resolve; });
	const done = runHost(["--seconds", String(seconds), ...args], { binary: join(build, "bin", "iv_cs_sample"), env, timeoutMs: 90_000,
		onStdout: (chunk) => chunk.includes("control channel connected") && connected() });
	await Promise.race([ready, done]);
	return { done };   // wrapped: an async function's returned promise would be awaited with it
}

/** A cloud, a device the sample firmware runs as (P2P on loopback), and `bytes` of G.711 μ-law for a viewer to talk. */
async function talkRig(t, name, bytes) {
	const cloud = await cloudFor(t, { adminPassword: ADMIN_PASSWORD });
	const device = await deviceIn(cloud, name);
	const env = { ...firmwareDevice(t, device, cloud.url), IVXS_CAMERA_ARGS: "--p2p-loopback" };
	const ulaw = join(env.IVXS_DATA, "..", "talk.ul");   // in firmwareDevice's folder, removed with it
	writeFileSync(ulaw, randomBytes(bytes));   // any bytes are μ-law samples
	return { cloud, env, ulaw };
}

const VARIANT_NAMES = { release: "plain", sanitize: "ASan + UBSan", tsan: "ThreadSanitizer", m32: "32-bit" };
/** A test running a sanitized or 32-bit program: as long as its runHost may take, with room. */
const SLOW_RUN_MS = 240_000;

// The C builds (incremental; minutes each on a loaded 2-core machine) before any test, so none
// waits on a build under ava's timeout: this hook's own budget tells ava to wait for it.
test.before("the host and libivxs built with ASan + UBSan, ThreadSanitizer and 32-bit", async (t) => {
	t.timeout(45 * 60_000, "building the sanitizer, ThreadSanitizer and 32-bit variants");
	await new Promise((resolve) => setImmediate(resolve));   // the budget's notice goes out before the builds hold this thread
	for (const variant of ["sanitize", "tsan", "m32"]) buildHostVariant(variant);
});
for (const variant of ["release", "sanitize", "tsan", "m32"]) {
	test.serial(`${VARIANT_NAMES[variant]}: iv_cs_* used wrongly returns the right IV_ERR_* and harms nothing (C tests)`, async (t) => {
		t.timeout(SLOW_RUN_MS);
		const cloud = await cloudFor(t);
		const device = await deviceIn(cloud);
		const env = firmwareDevice(t, device, cloud.url);
		const binary = join(build, "bin", variant === "release" ? "iv_cs_test" : `iv_cs_test-${variant}`);
		const run = await runHost([CLIP], { binary, env, timeoutMs: 120_000 });
		t.log(run.stdout.trim());
		t.is(run.code, 0, run.stdout + run.stderr.slice(-4000));
		t.regex(run.stdout, /6 passed, 0 failed/);
		t.false(/AddressSanitizer|LeakSanitizer|ThreadSanitizer|runtime error:/.test(run.stderr), run.stderr.slice(-4000));
		// 100,000 iv_cs_event_happen_notify calls in a burst: the cloud hears of them once per app tick (200 ms)
		const { n } = cloud.ctx.sql.db.prepare("SELECT COUNT(*) AS n FROM events WHERE device = ?").get(device.id);
		t.log(`events the cloud stored: ${n}`);
		t.true(n >= 1 && n <= 12, `${n} events`);
	});
}

for (const variant of ["release", "sanitize", "tsan", "m32"]) {
	test.serial(`${VARIANT_NAMES[variant]}: iv_avt_p2p_* used wrongly returns the right IV_ERR_*; exit waits for the firmware's channels (C tests)`, async (t) => {
		t.timeout(SLOW_RUN_MS);
		const binary = join(build, "bin", variant === "release" ? "iv_av_test" : `iv_av_test-${variant}`);
		const run = await runHost([], { binary, timeoutMs: 60_000 });
		t.log(run.stdout.trim());
		t.is(run.code, 0, run.stdout + run.stderr.slice(-4000));
		t.regex(run.stdout, /3 passed, 0 failed/);
		t.false(/AddressSanitizer|LeakSanitizer|ThreadSanitizer|runtime error:/.test(run.stderr), run.stderr.slice(-4000));
	});
}

test.serial("the C sample firmware uploads the clip: ffprobe decodes exactly the frames it pushed and the camera uploaded", async (t) => {
	const cloud = await cloudFor(t);
	const device = await deviceIn(cloud);
	const env = { ...firmwareDevice(t, device, cloud.url), IVXS_CAMERA_ARGS: "--summary --no-p2p" };
	const run = await runHost(["--seconds", "8", "--event-at", "3"], { binary: join(build, "bin", "iv_cs_sample"), env, timeoutMs: 90_000 });
	t.is(run.code, 0, run.stdout + run.stderr);
	const sample = JSON.parse(run.stdout.split("\n").find((l) => l.startsWith("@@sample ")).slice(9));
	const summary = JSON.parse(run.stdout.split("\n").find((l) => l.startsWith("@@camera ")).slice(9));
	const stats = summary.channels["0"];
	const frames = totalFrames(await storedFrames(cloud, device.id));
	t.log(`sample pushed ${sample.video} video + ${sample.audio} audio (refused ${JSON.stringify(sample.refused)}); camera uploaded ${stats.framesUploaded} in ${stats.segmentsStored} segments; ffprobe: ${frames.h264} h264 + ${frames.aac} aac`);
	t.true(sample.video > 60 && sample.audio > 60, "8 s of the clip (15 fps) went in");
	t.regex(run.stdout, /start_cb: pushing/);
	t.regex(run.stdout, /stop_cb: not pushing/);
	t.is(frames.h264, sample.video, "ffprobe decodes every video frame the sample pushed");
	t.is(frames.aac, sample.audio, "and every audio frame");
	t.is(frames.total, stats.framesUploaded, "exactly what the camera uploaded");
	t.is(stats.framesLost, 0);
	// the firmware's event reached the cloud
	const events = cloud.ctx.sql.db.prepare("SELECT COUNT(*) AS n FROM events WHERE device = ?").get(device.id);
	t.true(events.n >= 1, "iv_cs_event_happen_notify raised an event");
});

test.serial("a board's microphone: the sample firmware encodes PCM to G.711 in C and pushes it with iv_cs_push_stream; a WebRTC viewer (aiortc) hears it from the ring; cloud storage keeps the video (AAC only) and counts the rest", async (t) => {
	const cloud = await cloudFor(t, { adminPassword: ADMIN_PASSWORD });
	const device = await deviceIn(cloud, "fw-mic");
	const env = { ...firmwareDevice(t, device, cloud.url, { audio: "pcmu" }), IVXS_CAMERA_ARGS: "--p2p-loopback --summary" };
	const { done } = await sampleConnected(env, 16, ["--g711", "pcmu"]);
	const token = await tokenOf(await session(cloud, "admin", ADMIN_PASSWORD));
	const heard = await whepClient(`${cloud.url}/v1/devices/fw-mic/whep`, token, 5, { audio: true });
	const run = await done;
	t.is(run.code, 0, run.stdout.slice(-3000) + run.stderr.slice(-3000));
	t.log("aiortc", heard);
	t.is(heard.status, 201);
	// by counts, not the clock: a starved aiortc decodes fewer of both, in the same ratio (50 audio frames a second, 15 video)
	t.true(heard.frames >= 5, `${heard.frames} video frames decoded`);
	t.is(heard.audio.rate, 8000);
	t.true(heard.audio.frames >= 2 * heard.frames, `${heard.audio.frames} audio frames beside ${heard.frames} video (50 and 15 a second)`);
	t.true(heard.audio.peak > 1000, `the clip's tone, not silence (peak ${heard.audio.peak})`);
	const sample = JSON.parse(run.stdout.split("\n").find((l) => l.startsWith("@@sample ")).slice(9));
	const stats = JSON.parse(run.stdout.split("\n").find((l) => l.startsWith("@@camera ")).slice(9)).channels["0"];
	t.log(`sample pushed ${sample.video} video + ${sample.audio} G.711 (refused ${JSON.stringify(sample.refused)}); camera uploaded ${stats.framesUploaded}, not stored ${stats.framesNotStored}`);
	t.true(sample.audio > 300, "20-ms frames pushed as the channel's audio");
	t.true(stats.framesNotStored > 0, "G.711 is not cloud storage's");
	const frames = totalFrames(await storedFrames(cloud, device.id));
	t.is(frames.aac, 0);
	t.is(frames.total, stats.framesUploaded, "what the camera uploaded: its video, which ffprobe decodes");
});

test.serial("P2P: a viewer's command (npm run view -- --command) is answered by the C firmware's command_cb, its reply freed through buf_free_fn; event_notify_cb hears PEER_READY", async (t) => {
	const cloud = await cloudFor(t, { adminPassword: ADMIN_PASSWORD });
	const device = await deviceIn(cloud, "fw-cam");
	const env = { ...firmwareDevice(t, device, cloud.url), IVXS_CAMERA_ARGS: "--p2p-loopback" };
	const { done } = await sampleConnected(env, 25);
	const command = JSON.stringify({ cmd: "recordings" });
	const printed = [];
	const output = new Writable({ write(chunk, _encoding, next) { printed.push(chunk); next(); } });
	const code = await view({ device: "fw-cam", cloud: cloud.url, user: "admin", password: ADMIN_PASSWORD, quiet: true, command }, { output });
	const run = await done;
	t.is(code, 0, run.stdout.slice(-3000) + run.stderr.slice(-3000));
	const reply = JSON.parse(Buffer.concat(printed).toString());
	t.log("reply", reply);
	t.deepEqual(reply, { ok: true, from: "iv_cs_sample", bytes: command.length }, "the firmware's reply, not the built-in recordings command's");
	t.is(run.code, 0, run.stdout.slice(-3000) + run.stderr.slice(-3000));
	const sample = JSON.parse(run.stdout.split("\n").find((l) => l.startsWith("@@sample ")).slice(9));
	t.is(sample.commands, 1);
	t.is(sample.freed, 1, "buf_free_fn called once the reply was copied");
	t.regex(run.stdout, /command_cb: \d+ bytes from \S+/);
	t.regex(run.stdout, /event_notify_cb: 0 \(PEER_READY\)\n/, "the app's P2P started: the firmware's event_notify_cb heard it, handle NULL");
});

test.serial("P2P talkback: a viewer's voice (npm run view -- --talk) reaches the C firmware's recv_voice_cb, every byte, then its end (NULL, 0)", async (t) => {
	const { cloud, env, ulaw } = await talkRig(t, "fw-talk", 9600);   // 1.2 s of G.711 μ-law: 60 frames of 20 ms
	const { done } = await sampleConnected(env, 20);
	const reports = [];
	const code = await view({ device: "fw-talk", cloud: cloud.url, user: "admin", password: ADMIN_PASSWORD, out: "", quiet: true, talk: ulaw }, { onReport: (kind, r) => reports.push([kind, r]) });
	const run = await done;
	t.is(code, 0, JSON.stringify(reports) + run.stdout.slice(-3000));
	t.is(run.code, 0, run.stdout.slice(-3000) + run.stderr.slice(-3000));
	const sample = JSON.parse(run.stdout.split("\n").find((l) => l.startsWith("@@sample ")).slice(9));
	t.log("the firmware heard", sample.voice);
	t.deepEqual(sample.voice, { frames: 60, bytes: 9600, ends: 1 });
	t.regex(run.stdout, /recv_init_cb: \S+ talks \(codec=pcmu&rate=8000\)/);
	t.regex(run.stdout, /talks to the firmware/);
});

test.serial("P2P: iv_avt_p2p_exit while a viewer talks ends the firmware's talkback (recv_voice_cb NULL, 0) before it returns", async (t) => {
	const { cloud, env, ulaw } = await talkRig(t, "fw-exit", 8000 * 30);   // 30 s of talk: the firmware exits long before it ends
	const { done } = await sampleConnected(env, 8);
	const talking = view({ device: "fw-exit", cloud: cloud.url, user: "admin", password: ADMIN_PASSWORD, out: "", quiet: true, talk: ulaw });
	const run = await done;
	await talking;   // the camera went away under it: whatever it says
	t.is(run.code, 0, run.stdout.slice(-3000) + run.stderr.slice(-3000));
	const sample = JSON.parse(run.stdout.split("\n").find((l) => l.startsWith("@@sample ")).slice(9));
	t.log("the firmware heard", sample.voice);
	t.true(sample.voice.frames > 0 && sample.voice.frames < 1500, "exit came while the viewer talked");
	t.is(sample.voice.ends, 1, "its end came before iv_avt_p2p_exit returned");
	t.false(/iv_avt_p2p_exit failed/.test(run.stderr));
});

/** ffprobe's streams of a file: [{ codec_name, nb_read_frames }], and what it complained of. */
function probeFile(file) {
	const run = spawnSync("ffprobe", ["-v", "error", "-count_frames", "-show_entries", "stream=codec_name,nb_read_frames", "-of", "json", file], { encoding: "utf8" });
	return { streams: run.status === 0 ? JSON.parse(run.stdout).streams : [], errors: run.stderr.trim() };
}

const sampleLine = (run) => JSON.parse(run.stdout.split("\n").find((l) => l.startsWith("@@sample ")).slice(9));

test.serial("P2P: the C firmware's own stream (send_init_cb, send_get_cb every 10 ms, send_stop_cb) reaches a viewer — ffprobe decodes its FLV, H.264 and AAC; the send figures and watermarks are the transport's", async (t) => {
	const cloud = await cloudFor(t, { adminPassword: ADMIN_PASSWORD });
	const device = await deviceIn(cloud, "fw-own");
	const env = { ...firmwareDevice(t, device, cloud.url), IVXS_CAMERA_ARGS: "--p2p-loopback" };
	const out = join(env.IVXS_DATA, "..", "live.flv");   // in firmwareDevice's folder, removed with it
	const { done } = await sampleConnected(env, 20, ["--own-stream"]);
	const reports = [];
	const code = await view({ device: "fw-own", cloud: cloud.url, user: "admin", password: ADMIN_PASSWORD, out, format: "raw", seconds: 6, quiet: true }, { onReport: (kind, r) => reports.push([kind, r]) });
	const run = await done;
	t.is(code, 0, JSON.stringify(reports.slice(-5)) + run.stdout.slice(-3000));
	t.is(run.code, 0, run.stdout.slice(-3000) + run.stderr.slice(-3000));
	const sample = sampleLine(run);
	t.log("the firmware's streams", sample.streams);
	const { streams, errors } = probeFile(out);
	t.log("ffprobe", streams, errors);
	const frames = Object.fromEntries(streams.map((s) => [s.codec_name, Number(s.nb_read_frames)]));
	t.true(frames.h264 >= 70, `${frames.h264} video frames in 6 s at 15 fps`);
	t.true(frames.aac >= 60, `${frames.aac} audio frames in 6 s (16 kHz AAC: 15.6 a second)`);
	t.is(errors, "", "ffprobe decodes it without a complaint: it starts at a key frame, with the sequence headers");
	t.like(sample.streams, { opened: 1, stopped: 1, skipped: 0 });
	t.true(sample.streams.acked > 0, "iv_avt_p2p_get_send_status: bytes acknowledged");
	t.true(sample.streams.bytes >= (await import("node:fs")).statSync(out).size, "the viewer got no byte the firmware did not hand over");
	t.regex(run.stdout, /send_init_cb: \S+ asks for action=live: its own live stream/);
	t.regex(run.stdout, /gets the firmware's stream \(action=live\)/);
	t.regex(run.stdout, /send-buffer watermarks the firmware's: 65536, 131072, 196608 bytes/);
});

test.serial("P2P: a native viewer watches the C firmware's frames live from the ring — the plan starts the pushes seconds after the app prepared the feed, and its frames are stamped when pushed, inside the native wire's media deadline", async (t) => {
	const cloud = await cloudFor(t, { adminPassword: ADMIN_PASSWORD });
	const device = await deviceIn(cloud, "fw-ring");
	const env = { ...firmwareDevice(t, device, cloud.url), IVXS_CAMERA_ARGS: "--p2p-loopback" };
	const out = join(env.IVXS_DATA, "..", "live.mp4");
	const { done } = await sampleConnected(env, 16);
	const reports = [];
	const code = await view({ device: "fw-ring", cloud: cloud.url, user: "admin", password: ADMIN_PASSWORD, out, seconds: 6, quiet: true }, { onReport: (kind, r) => reports.push([kind, r]) });
	const run = await done;
	t.is(code, 0, JSON.stringify(reports.slice(-3)));
	t.is(run.code, 0, run.stdout.slice(-3000) + run.stderr.slice(-3000));
	const end = reports.find(([kind]) => kind === "view-end")?.[1];
	t.log(end);
	t.true(end.frames >= 60, `${end.frames} frames in 6 s (the old stamping: 0, every frame past the deadline)`);
	const { streams, errors } = probeFile(out);
	t.true(Number(streams.find((s) => s.codec_name === "h264")?.nb_read_frames) >= 50, JSON.stringify(streams));
	t.is(errors, "");
});

test.serial("P2P: iv_avt_p2p_exit while a viewer watches the firmware's own stream calls its send_stop_cb before it returns; WATERMARK events reach event_notify_cb with the channel's handle", async (t) => {
	const cloud = await cloudFor(t, { adminPassword: ADMIN_PASSWORD });
	const device = await deviceIn(cloud, "fw-own-exit");
	const env = { ...firmwareDevice(t, device, cloud.url), IVXS_CAMERA_ARGS: "--p2p-loopback" };
	const out = join(env.IVXS_DATA, "..", "live.flv");
	// watermarks of 1 byte: every datagram in flight passes high (send_get_cb pauses) and every acknowledgement falls below low
	const { done } = await sampleConnected(env, 8, ["--own-stream", "--watermarks", "1,1,1"]);
	const watching = view({ device: "fw-own-exit", cloud: cloud.url, user: "admin", password: ADMIN_PASSWORD, out, format: "raw", quiet: true });
	const run = await done;
	await watching;   // the camera went away under it: whatever it says
	t.is(run.code, 0, run.stdout.slice(-3000) + run.stderr.slice(-3000));
	const sample = sampleLine(run);
	t.log("the firmware's streams", sample.streams);
	t.like(sample.streams, { opened: 1, stopped: 1 });
	t.true(sample.streams.bytes > 0);
	t.true(sample.streams.watermarkEvents >= 2, "WATERMARK_HIGH and _LOW reached event_notify_cb with the channel's handle");
	t.regex(run.stdout, /event_notify_cb: 6 \(WATERMARK_HIGH\) on a channel/);
	t.regex(run.stdout, /event_notify_cb: 4 \(WATERMARK_LOW\) on a channel/);
	t.false(/iv_avt_p2p_exit failed/.test(run.stderr));
});

test.serial("ThreadSanitizer: the encoder thread pushes into the ring while the app's thread reads and uploads it — no race", async (t) => {
	t.timeout(SLOW_RUN_MS);
	const cloud = await cloudFor(t);
	const device = await deviceIn(cloud);
	const env = { ...firmwareDevice(t, device, cloud.url), IVXS_CAMERA_ARGS: "--no-p2p", TSAN_OPTIONS: "halt_on_error=0 second_deadlock_stack=1" };
	const run = await runHost(["--seconds", "5", "--event-at", "2"], { binary: join(build, "bin", "iv_cs_sample-tsan"), env, timeoutMs: 180_000 });
	t.is(run.code, 0, run.stdout + run.stderr.slice(-6000));
	t.false(/ThreadSanitizer/.test(run.stderr), run.stderr.slice(-6000));
	const sample = JSON.parse(run.stdout.split("\n").find((l) => l.startsWith("@@sample ")).slice(9));
	t.log(`under TSan: ${sample.video} video + ${sample.audio} audio pushed`);
	t.true(sample.video > 30);
});

test("seed 000's sample code compiles unchanged against iv_cs.h and links libivxs.so (which exports iv_* only)", (t) => {
	const dir = mkdtempSync(join(tmpdir(), "ivxs-seed-"));
	t.teardown(() => rmSync(dir, { recursive: true, force: true }));
	const program = join(dir, "seed_000");
	const cc = spawnSync("cc", ["-std=gnu99", "-Wall", "-Wextra", "-Werror", "-Wno-unused-label", "-I", join(root, "native/capi/include"),
		join(root, "hosts/linux/capi/tests/seed_000.c"), "-L", join(build, "lib"), "-livxs", `-Wl,-rpath,${join(build, "lib")}`, "-o", program], { encoding: "utf8" });
	t.is(cc.status, 0, cc.stderr);
	const run = spawnSync(program, [], { encoding: "utf8", env: { ...process.env, IVXS_DEVICE: "" }, timeout: 20_000 });
	t.is(run.status, 0, run.stdout + run.stderr);
	t.regex(run.stdout, /init -103, exit -605/);
	const exported = spawnSync("nm", ["-D", "--defined-only", join(build, "lib/libivxs.so")], { encoding: "utf8" }).stdout
		.split("\n").filter(Boolean).map((line) => line.split(" ").pop());
	t.deepEqual(exported.filter((name) => !name.startsWith("iv_")), []);
});
