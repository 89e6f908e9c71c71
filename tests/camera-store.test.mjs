// The camera app's local recording store and what P2P viewers do with it (issue 14 §2): playback
// of a span with seek, pause and faster than real time; the store bounded (oldest deleted first);
// a SIGKILL loses at most the segment being written; the built-in commands; talkback to a file.
// The viewer is a second XS host (tests/xs-apps/p2p-script) with a ticket minted as the cloud
// mints it. No cloud is needed (the control channel just keeps retrying).
import test from "ava";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deviceFile, runCamera } from "./_camera.mjs";
import { runHost } from "./_host.mjs";

const device = { id: "storecam-1", secret: "s".repeat(16) + "0123456789abcdef0123456789abcdef" };
const SEGMENT = /^(\d+)-(\d+)\.mp4$/;

function tempDir(t) {
	const dir = mkdtempSync(join(tmpdir(), "ivxs-store-"));
	t.teardown(() => rmSync(dir, { recursive: true, force: true }));
	return dir;
}

const segments = (dir) => existsSync(dir) ? readdirSync(dir).filter((n) => SEGMENT.test(n)).sort() : [];
const until = async (what, ms = 60_000) => {
	for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 200))) if (what()) return true;
	return false;
};

/** The video frames ffprobe decodes in a file and their first and last pts (s). */
function probe(file) {
	const out = execFileSync("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "frame=pts_time", "-of", "csv=p=0", file], { encoding: "utf8" });
	const times = out.split("\n").filter((l) => /^[0-9]/.test(l)).map((l) => parseFloat(l));
	return { frames: times.length, first: times[0], last: times[times.length - 1] };
}

/** Starts the camera app; resolves { camera, port } once its P2P port is open. */
async function startCamera(t, args, seconds = 40) {
	const file = deviceFile(t, device, "http://127.0.0.1:9");
	const port = 20000 + Math.floor(Math.random() * 30000);
	let ready;
	const started = new Promise((resolve) => { ready = resolve; });
	let child;
	const camera = runCamera(file, {
		seconds, args: ["--p2p", String(port), ...args],
		onStdout: (chunk, c) => { child = c; if (chunk.includes("p2p: viewers on UDP port")) ready(); },
	});
	await Promise.race([started, camera]);
	return { camera, port, kill: () => child?.kill("SIGKILL") };
}

/** Runs the scripted viewer's steps; `rights`: its ticket's bits (default all four). */
async function script(port, steps, rights) {
	const { stdout, stderr } = await runHost(["tests/xs-apps/p2p-script", "--", String(port), device.id, device.secret, JSON.stringify(steps), ...(rights ? [String(rights)] : [])], { timeoutMs: 60_000 });
	const lines = stdout.split("\n");
	const results = lines.filter((l) => l.startsWith("@@step ")).map((l) => JSON.parse(l.slice(7)));
	const end = lines.find((l) => l.startsWith("@@script "));
	return { results, seen: end ? JSON.parse(end.slice(9)) : { error: `no result: ${stdout.slice(-1000)}${stderr}` } };
}

test("playback streams a stored span as fMP4, faster than real time, and pauses and seeks", async (t) => {
	const dir = tempDir(t), store = join(dir, "store");
	const { camera, port } = await startCamera(t, ["--store", store, "--store-segment-s", "2"], 45);
	t.true(await until(() => segments(store).length >= 5), "five stored segments");
	const first = Number(SEGMENT.exec(segments(store)[0])[1]);
	const fast = join(dir, "fast.mp4"), paused = join(dir, "paused.mp4");
	const start = first + 1000, end = start + 6000;
	// 6 s of recording at 8×: done in well under the 3 s waited (at 1× it would take 6 s)
	const a = await script(port, [
		{ command: { cmd: "recordings" } },
		{ open: `action=playback&start=${start}&end=${end}&speed=8`, save: fast },
		{ wait: 3000 },
		{ command: { cmd: "playback" } },
		{ stop: true },
	]);
	t.is(a.seen.error, "", JSON.stringify(a));
	const spans = a.results[0].result;
	t.true(spans.ok && spans.spans.length >= 1 && spans.spans[0][0] === first && spans.spans[0][1] - first >= 8000, JSON.stringify(spans));
	const status = a.results[3].result;
	t.true(status.ok && status.done && status.speed === 8, JSON.stringify(status));
	t.true(a.seen.firstKey, "the first chunk is a key (the init segment)");
	const fastProbe = probe(fast);
	t.log({ fast: fastProbe, start, end });
	// from the key frame at or before start to the last fragment starting before end: every frame of the span
	t.true(fastProbe.first <= start / 1000 && fastProbe.first > start / 1000 - 3, `first pts ${fastProbe.first}`);
	t.true(fastProbe.last >= end / 1000 - 1.1 && fastProbe.last < end / 1000 + 3, `last pts ${fastProbe.last}`);
	t.true(fastProbe.frames >= ((fastProbe.last - fastProbe.first) * 15) * 0.95, `${fastProbe.frames} frames`);

	// pause: nothing arrives (after what was in flight); seek: it goes on from there
	const b = await script(port, [
		{ open: `action=playback&start=${start}&end=${start + 20000}`, save: paused },
		{ wait: 1500 },
		{ command: { cmd: "playback", pause: true } },
		{ wait: 500 },
		{ wait: 2000 },
		{ command: { cmd: "playback", pause: false, seek: start + 4000 } },
		{ wait: 2500 },
		{ command: { cmd: "playback" } },
	]);
	t.is(b.seen.error, "", JSON.stringify(b));
	t.log(b.results.map((r) => ({ step: r.step, frames: r.frames, result: r.result })));
	t.true(b.results[1].frames > 0, "frames before the pause");
	t.is(b.results[4].frames, 0, "no frame during the pause");
	t.true(b.results[6].frames > 0, "frames after the seek");
	const position = b.results[7].result.position;
	t.true(position >= start + 4000 + 1500 && position <= start + 4000 + 4000, `position ${position - start} ms after start`);
	const { code } = await camera;
	t.is(code, 0);
});

test("the store keeps at most its bound (oldest deleted first) and a SIGKILL loses at most the segment being written", async (t) => {
	const dir = tempDir(t), store = join(dir, "store");
	// about 36 KB per 2 s segment of the sample: a bound of 0.2 MiB keeps 5–6 of them
	const { camera, kill } = await startCamera(t, ["--store", store, "--store-segment-s", "2", "--store-mb", "0.2"], 60);
	let oldest;
	t.true(await until(() => {
		const names = segments(store);
		oldest ??= names[0];
		return names.length >= 2 && oldest && !names.includes(oldest) && readdirSync(store).some((n) => n.endsWith(".part"));
	}), "the first segment was deleted");
	await new Promise((r) => setTimeout(r, 700));   // mid-segment
	kill();
	const { signal } = await camera;
	t.is(signal, "SIGKILL");
	const names = readdirSync(store);
	const parts = names.filter((n) => n.endsWith(".part"));
	const done = segments(store);
	const bytes = done.reduce((sum, n) => sum + statSync(join(store, n)).size, 0);
	t.log({ done, parts, bytes });
	t.is(parts.length, 1, "one segment was being written");
	t.true(bytes <= 0.2 * 1024 * 1024, `${bytes} bytes stored`);
	// every finished segment is whole: it decodes to its last frame, at its named span
	for (const name of done) {
		const [, s, e] = SEGMENT.exec(name).map(Number);
		const p = probe(join(store, name));
		t.true(p.frames >= 25 && Math.abs(p.first - s / 1000) < 0.01 && p.last < e / 1000 && p.last > e / 1000 - 0.2, `${name}: ${JSON.stringify(p)}`);
	}
	// the next start deletes the interrupted segment and keeps the rest
	const again = await runCamera(deviceFile(t, device, "http://127.0.0.1:9"), { seconds: 2, args: ["--store", store, "--store-mb", "0.2"] });
	t.regex(again.stdout, /store: 1 interrupted segment\(s\) deleted/);
	t.false(readdirSync(store).includes(parts[0]));
	// (the bound may have taken the oldest meanwhile: the newest are there)
	for (const name of done.slice(-2)) t.true(existsSync(join(store, name)), name);
	// a clean stop finishes the segment under way: no part, a newer segment
	const after = readdirSync(store);
	t.deepEqual(after.filter((n) => n.endsWith(".part")), []);
	t.true(segments(store).some((n) => Number(SEGMENT.exec(n)[1]) > Number(SEGMENT.exec(done[done.length - 1])[1])), after.join(" "));
});

test("built-in commands answer over P2P and talkback is written to a file in order", async (t) => {
	const dir = tempDir(t), talkDir = join(dir, "talk"), audio = join(dir, "voice.ulaw");
	const voice = randomBytes(8000);   // 1 s of G.711 μ-law at 8 kHz
	writeFileSync(audio, voice);
	const { camera, port } = await startCamera(t, ["--talkback", talkDir], 20);
	const r = await script(port, [
		{ command: { cmd: "ptz", op: "left" } },
		{ command: { cmd: "snapshot" } },
		{ command: { cmd: "recordings" } },
		{ command: { cmd: "playback", pause: true } },
		{ command: { cmd: "zoom" } },
		{ talk: "codec=pcmu&rate=8000", file: audio, frameBytes: 160, everyMs: 20 },
		{ command: { cmd: "ptz", op: "stop" } },
	]);
	t.is(r.seen.error, "", JSON.stringify(r));
	const [ptz, snapshot, recordings, playback, unknown, talk, after] = r.results.map((x) => x.result);
	t.deepEqual(ptz, { ok: true, ptz: "left", moved: false });
	t.true(snapshot.ok && Math.abs(snapshot.time - Date.now()) < 60_000, JSON.stringify(snapshot));
	t.deepEqual(recordings, { ok: false, error: "no local store" });
	t.deepEqual(playback, { ok: false, error: "no playback open" });
	t.false(unknown.ok);
	t.deepEqual(talk, { sent: 50 });
	t.true(after.ok, "the session lives on after talkback");
	const { stdout } = await camera;
	t.regex(stdout, /test-viewer ended talkback: 50 frames, 8000 bytes/);
	const files = readdirSync(talkDir);
	t.is(files.length, 1);
	t.regex(files[0], /^\d+-test-viewer\.ulaw$/);
	t.deepEqual(readFileSync(join(talkDir, files[0])), voice, "every byte, in order");
});

test("every command needs its right: a live ticket (as the cloud mints [\"live\"]) watches and nothing more; a playback one lists recordings but may not take a still or move the camera", async (t) => {
	const dir = tempDir(t);
	const { camera, port } = await startCamera(t, ["--store", join(dir, "store")], 20);
	const commands = [{ cmd: "recordings" }, { cmd: "playback", pause: true }, { cmd: "snapshot" }, { cmd: "ptz", op: "left" }].map((command) => ({ command }));
	const RIGHTS = { live: 1, playback: 2, command: 8 };
	// The rights exactly as the cloud mints them now: it no longer adds the command right to every
	// ticket, and the transport hands every request to the app (it dropped, unanswered, those of a
	// ticket without the command right).
	const live = await script(port, commands, RIGHTS.live);
	const playback = await script(port, commands, RIGHTS.playback);
	t.is(live.seen.error, "", JSON.stringify(live));
	t.is(playback.seen.error, "", JSON.stringify(playback));
	const [recordings, control, still, ptz] = live.results.map((r) => r.result);
	t.deepEqual(recordings, { ok: false, code: "ERIGHTS", error: "recordings needs the ticket's playback right" });
	t.deepEqual(control, { ok: false, code: "ERIGHTS", error: "playback needs the ticket's playback right" });
	t.deepEqual(still, { ok: false, code: "ERIGHTS", error: "snapshot needs the ticket's command right" });
	t.deepEqual(ptz, { ok: false, code: "ERIGHTS", error: "ptz needs the ticket's command right" });
	const [listed, noPlayback, refusedStill, ptz2] = playback.results.map((r) => r.result);
	t.true(listed.ok && Array.isArray(listed.spans), JSON.stringify(listed));
	t.deepEqual(noPlayback, { ok: false, error: "no playback open" });
	t.deepEqual(refusedStill, { ok: false, code: "ERIGHTS", error: "snapshot needs the ticket's command right" });
	t.deepEqual(ptz2, { ok: false, code: "ERIGHTS", error: "ptz needs the ticket's command right" });
	const { stdout } = await camera;
	t.regex(stdout, /test-viewer: recordings needs the ticket's playback right: refused/);
});

test("talkback is bounded: AAC claiming 96 kHz at 10× real time writes nothing, 48 kHz at 10× no more than real time allows", async (t) => {
	const dir = tempDir(t), talkDir = join(dir, "talk");
	const aac96 = join(dir, "96k.aac"), aac48 = join(dir, "48k.aac");
	// 10 s of each (ADTS as ffmpeg writes it): 96 kHz is 938 frames of 10.7 ms, 48 kHz 469 of 21.3 ms
	for (const [file, rate] of [[aac96, 96000], [aac48, 48000]])
		execFileSync("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", `anoisesrc=duration=10:sample_rate=${rate}`, "-c:a", "aac", "-b:a", "256k", "-f", "adts", file]);
	const { camera, port } = await startCamera(t, ["--talkback", talkDir], 25);
	const r = await script(port, [
		{ talk: "codec=aac", file: aac96, adts: true, everyMs: 1 },
		{ talk: "codec=aac&rate=48000", file: aac48, adts: true, everyMs: 2 },
		{ command: { cmd: "ptz", op: "stop" } },
	]);
	t.is(r.seen.error, "", JSON.stringify(r));
	t.log(r.results.map((x) => ({ result: x.result, ms: x.ms })));
	const { stdout } = await camera;
	const files = readdirSync(talkDir).sort((a, b) => a.localeCompare(b));
	t.is(files.length, 2);
	const sizes = files.map((f) => statSync(join(talkDir, f)).size);
	t.log({ files, sizes, sent: [statSync(aac96).size, statSync(aac48).size] });
	t.is(sizes[0], 0, "no 96 kHz frame written");
	t.regex(stdout, /talkback cut short: 50 frames dropped \(the last: AAC at 96000 Hz\)/);
	// 48 kHz sent in about a second: at most (that second + 1 s ahead) of audio written, far from all 10 s
	const ms48 = r.results[1].ms, perFrame = 1024 / 48;
	const adtsFrames = (b) => { let n = 0; for (let at = 0; at < b.length; n++) at += ((b[at + 3] & 3) << 11) | (b[at + 4] << 3) | (b[at + 5] >> 5); return n; };
	const written = adtsFrames(readFileSync(join(talkDir, files[1])));
	t.true(written <= (ms48 + 1000) / perFrame + 1 && written < 469 / 2, `${written} of 469 frames written in ${ms48} ms`);
	t.true(r.results[2].result.ok, "the session lives on");
});

test("a viewer opens at most 5 talkbacks or playbacks at once, then one a second: the 6th in a row is refused, no file made for it", async (t) => {
	const dir = tempDir(t), talkDir = join(dir, "talk"), audio = join(dir, "click.ulaw");
	writeFileSync(audio, randomBytes(160));
	const { camera, port } = await startCamera(t, ["--talkback", talkDir], 20);
	const r = await script(port, Array.from({ length: 7 }, () => ({ talk: "codec=pcmu", file: audio, frameBytes: 160, everyMs: 20 })));
	t.log(r.seen.error, r.results.map((x) => x.ms));
	t.is(r.results.length, 5, "five talkbacks");
	t.regex(r.seen.error, /ECLOSED|refused/i, "the sixth refused");
	t.is(readdirSync(talkDir).length, 5);
	const { stdout } = await camera;
	t.regex(stdout, /test-viewer: more than 1 playback or talkback a second: refused/);
});
