// The seed's cloud-storage API in push mode (SPEC §1: init / push / notifyEvent / exit, onStart /
// onStop from the plan) on the XS host, uploading to a real cloud started by tests/cs.test.mjs
// (its port and a device come as the second argument: JSON). Frames come from the media
// fixtures, split on XS; wrong use and malformed frames must be refused with a clear CsError code
// and leave the upload undamaged: tests/cs.test.mjs counts with ffprobe what the cloud stored
// and compares it with the good frames this file pushed (the "@@pushed" log lines).
import avaTest from "ava";
import * as crypto from "ivxs/crypto";
import { argv, collectGarbage, memory } from "ivxs/host";
import { readFile } from "ivxs/platform";
import { accessUnits } from "annexb";
import Timer from "timer";
import { Ring } from "ring";
import { HttpClient } from "../../modules/net/http-client.js";
import { DeviceSigner } from "../../modules/net/signing.js";
import { AbortedError, ChangedError, ConnectionResetError } from "../../modules/net/errors.js";
import { againAfter } from "../../modules/cs/uploader.js";
import { CloudStorage, CsError, parsePlan, type CsErrorCode, type RecorderStats } from "../../modules/cs/index.js";
import { splitAdtsFrames } from "../../modules/media/index.js";

// `only`: run just this test (tests/cs.test.mjs runs the known recorder.ts bugs one by one, as ava test.failing).
interface Config { port: number; id: string; secret: string; only?: string }
const config = JSON.parse(argv()[1]) as Config;
const signer = new DeviceSigner(config.id, config.secret, crypto);
const newHttp = () => new HttpClient({ address: "127.0.0.1", port: config.port, connectTimeout: 5000, idleTimeout: 15_000 });
const newCs = (http = newHttp()) => new CloudStorage({ http, signer, retry: { minDelay: 100, maxDelay: 1000 }, log: (m) => trace(`${m}\n`) });

// --- the fixtures, split on XS (the native scanner: XS is slow at byte loops) ---

function videoUnits(path: string): Uint8Array[] {
	const bytes = new Uint8Array(readFile(path));
	const triples = accessUnits(bytes, "h264");
	if (typeof triples === "number") throw new Error(`${path}: annexb error ${triples}`);
	const out: Uint8Array[] = [];
	for (let i = 0; i < triples.length; i += 3) out.push(bytes.subarray(triples[i], triples[i + 1]));
	return out;
}
const VIDEO = videoUnits("fixtures/media/h264-main-640x480.h264");   // 60 AUs, 15 fps, GOP 15
const AUDIO = splitAdtsFrames(new Uint8Array(readFile("fixtures/media/aac-lc-16k-mono.aac")));   // 64 frames of 64 ms
const VIDEO_MS = 1000 / 15, AUDIO_MS = 64;

const plan = (fields: Record<string, unknown>) => parsePlan(JSON.stringify({ v: 1, rev: 1, ...fields }));
const CONTINUOUS = plan({ mode: "continuous", push: true, segmentS: 1 });

const sleep = (ms: number) => new Promise<void>((resolve) => { Timer.set(() => resolve(), ms); });

interface Good { type: "audio" | "video"; data: Uint8Array; timestamp: number; index: number }

/** The good frames of `seconds` of media from `base` ms, in timestamp order (the clip looped). */
function schedule(seconds: number, base: number): Good[] {
	const frames: Good[] = [];
	const videos = Math.floor((seconds * 1000) / VIDEO_MS), audios = Math.floor((seconds * 1000) / AUDIO_MS);
	for (let i = 0; i < videos; i++) frames.push({ type: "video", data: VIDEO[i % VIDEO.length], timestamp: base + Math.round(i * VIDEO_MS), index: i });
	for (let i = 0; i < audios; i++) frames.push({ type: "audio", data: AUDIO[i % AUDIO.length], timestamp: base + i * AUDIO_MS, index: i });
	frames.sort((a, b) => a.timestamp - b.timestamp || (a.type === "video" ? -1 : 1));
	return frames;
}

/**
 * Pushes `frames` paced at `speed` × real time (frames whose media time is due are pushed every
 * 20 ms); `before(k)` runs before good frame k (it may push refused frames), `tick()` after each
 * batch. Returns the counts pushed per codec.
 */
async function feed(cs: CloudStorage, frames: Good[], { speed = 2, before, tick }: { speed?: number; before?: (k: number) => void; tick?: () => void } = {}) {
	const counts = { h264: 0, aac: 0 };
	const start = Date.now(), first = frames[0].timestamp;
	for (let k = 0; k < frames.length;) {
		const due = first + (Date.now() - start) * speed;
		while (k < frames.length && frames[k].timestamp <= due) {
			before?.(k);
			const f = frames[k++];
			cs.push(f.type, "h264", { data: f.data, timestamp: f.timestamp });
			if (f.type === "video") counts.h264++;
			else counts.aac++;
		}
		tick?.();
		await sleep(20);
	}
	return counts;
}

/** Waits until the recorder stored every frame pushed (or `ms` passed). */
async function uploaded(stats: RecorderStats, frames: number, ms = 15000) {
	for (const end = Date.now() + ms; stats.framesUploaded < frames && Date.now() < end;) await sleep(50);
}

/** Registers a test: the API tests by default, or the one `config.only` names. */
function test(title: string, fn: (t: any) => unknown, { knownBug = false } = {}) {
	if (config.only === undefined ? !knownBug : config.only === title) avaTest(title, fn);
}

function refused(t: any, code: CsErrorCode, fn: () => void, what: string) {
	t.throws(fn, { instanceOf: CsError, code }, `${what}: expected CsError ${code}`);
}

// --- wrong use: state ---

test("wrong order of calls is a CsError 'state': push before init, init twice, exit twice, push/notify/stop after exit", async (t) => {
	const cs = newCs();
	const frame = { data: VIDEO[0], timestamp: 0 };
	refused(t, "state", () => cs.push("video", "h264", frame), "push before init");
	refused(t, "state", () => cs.exit(), "exit before init");
	await t.throwsAsync(cs.stop(), { instanceOf: CsError, code: "state" }, "stop before init");
	cs.init({ maxGopBytes: 64 * 1024 });
	refused(t, "state", () => cs.init({ maxGopBytes: 64 * 1024 }), "init twice");
	cs.push("video", "h264", frame);   // no plan yet: accepted into the pre-roll ring
	cs.exit();
	refused(t, "state", () => cs.exit(), "exit twice");
	refused(t, "state", () => cs.push("video", "h264", { data: VIDEO[1], timestamp: 67 }), "push after exit");
	refused(t, "state", () => cs.init({ maxGopBytes: 64 * 1024 }), "init after exit");
	refused(t, "state", () => cs.notifyEvent(1), "notifyEvent after exit");
	await t.throwsAsync(cs.stop(), { instanceOf: CsError, code: "state" }, "stop after exit");
	t.deepEqual(cs.stats(), {}, "exit released the channel");
});

// --- wrong use: init arguments ---

test("bad init arguments are refused with a clear code, and a good init still works afterwards", (t) => {
	const cs = newCs();
	const ringBytes = () => memory().native.ring?.bytes ?? 0;
	const rings = ringBytes();
	for (const maxGopBytes of [0, 1023, 64 * 1024 * 1024 + 1, 1.5, NaN, -1, Infinity, "512k", undefined]) {
		refused(t, "argument", () => cs.init({ maxGopBytes } as any), `maxGopBytes ${String(maxGopBytes)}`);
	}
	refused(t, "argument", () => cs.init({ maxGopBytes: 65536, onStart: "go" } as any), "onStart a string");
	refused(t, "argument", () => cs.init({ maxGopBytes: 65536, onStop: {} } as any), "onStop an object");
	refused(t, "argument", () => cs.init(undefined as any), "no options");
	refused(t, "codec", () => cs.init({ maxGopBytes: 65536, video: "vp8" } as any), "video vp8");
	refused(t, "argument", () => cs.init({ maxGopBytes: 65536, video: false, audio: false }), "neither video nor audio");
	refused(t, "argument", () => cs.init({ maxGopBytes: 65536, channel: 64 }), "channel 64");
	t.throws(() => new CloudStorage({} as any), { instanceOf: TypeError });
	t.is(ringBytes(), rings, "a refused init reserved no ring");
	cs.init({ maxGopBytes: 1024 });   // the smallest GOP estimate: refused calls left no state behind
	cs.exit();
	t.pass();
});

// --- the plan drives onStart / onStop ---

test("the plan drives onStart/onStop: continuous+push starts, mode none stops, event mode starts, exit stops", async (t) => {
	const calls: string[] = [];
	const cs = newCs();
	cs.init({ maxGopBytes: 65536, onStart: () => calls.push("start"), onStop: () => calls.push("stop") });
	t.deepEqual(calls, [], "no plan yet: nothing to feed");
	cs.applyPlan(CONTINUOUS);
	t.deepEqual(calls, ["start"]);
	cs.applyPlan(plan({ rev: 2, mode: "continuous", push: true, segmentS: 2 }));
	t.deepEqual(calls, ["start"], "a new revision of the same plan does not start again");
	cs.applyPlan(plan({ rev: 3, mode: "none" }));
	t.deepEqual(calls, ["start", "stop"]);
	cs.applyPlan(plan({ rev: 4, mode: "continuous", push: false }));
	t.deepEqual(calls, ["start", "stop"], "continuous without push: no frames wanted");
	cs.applyPlan(plan({ rev: 5, mode: "event" }));
	t.deepEqual(calls, ["start", "stop", "start"], "event mode feeds the pre-roll ring");
	cs.applyPlan(plan({ rev: 6, mode: "continuous", push: true, channels: [1] }));
	t.deepEqual(calls, ["start", "stop", "start", "stop"], "a plan for another channel stops this one");
	cs.applyPlan(CONTINUOUS);
	cs.exit();
	t.deepEqual(calls, ["start", "stop", "start", "stop", "start", "stop"], "exit fires onStop when started");

	const quiet: string[] = [];
	const idle = newCs();
	idle.init({ maxGopBytes: 65536, onStart: () => quiet.push("start"), onStop: () => quiet.push("stop") });
	idle.exit();
	t.deepEqual(quiet, [], "exit without a start fires no onStop");

	// A plan that came before init applies at init; a throwing callback does not break the API.
	const early = newCs();
	early.applyPlan(CONTINUOUS);
	let started = 0;
	early.init({ maxGopBytes: 65536, onStart: () => { started++; throw new Error("app bug"); } });
	t.is(started, 1);
	early.exit();
});

test("a ring fed from outside (attach with onStart/onStop: a C firmware's pushes) follows the plan as init's own; one such channel at most", async (t) => {
	const calls: string[] = [];
	const cs = newCs();
	const ring = new Ring({ maxGopBytes: 65536 }), other = new Ring({ maxGopBytes: 65536 });
	cs.attach(ring, { channel: 0, video: "h264", audio: true, onStart: () => calls.push("start"), onStop: () => calls.push("stop") });
	t.deepEqual(calls, [], "no plan yet");
	cs.applyPlan(plan({ mode: "event" }));
	t.deepEqual(calls, ["start"], "event mode feeds the pre-roll");
	cs.applyPlan(plan({ rev: 2, mode: "none" }));
	t.deepEqual(calls, ["start", "stop"]);
	refused(t, "state", () => cs.attach(other, { channel: 1, video: "h264", onStart: () => calls.push("other") }), "a second fed channel");
	cs.attach(other, { channel: 1, video: "h264" });   // a capture's ring beside it is fine
	cs.applyPlan(CONTINUOUS);
	await cs.stop();
	t.deepEqual(calls, ["start", "stop", "start", "stop"], "stop fires onStop");
	ring.close();
	other.close();
});

// --- malformed frames in a continuous upload ---

/** A copy of an ADTS frame whose header says one byte more than it has (the field written by hand: the test's own reading of ISO/IEC 14496-3, not aac.ts's). */
function wrongLength(frame: Uint8Array): Uint8Array {
	const copy = frame.slice();
	const length = (((copy[3] & 3) << 11) | (copy[4] << 3) | (copy[5] >> 5)) + 1;
	copy[3] = (copy[3] & ~3) | ((length >> 11) & 3);
	copy[4] = (length >> 3) & 0xff;
	copy[5] = (copy[5] & 0x1f) | ((length & 7) << 5);
	return copy;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
	const out = new Uint8Array(a.length + b.length);
	out.set(a);
	out.set(b, a.length);
	return out;
}

test("malformed frames and bad calls are refused with clear codes; the upload holds exactly the good frames", async (t) => {
	const cs = newCs();
	let starts = 0, stops = 0;
	cs.init({ maxGopBytes: 128 * 1024, onStart: () => starts++, onStop: () => stops++ });
	cs.applyPlan(CONTINUOUS);
	t.is(starts, 1, "onStart fired for a continuous plan with push");
	const stats = cs.stats()[0];
	const frames = schedule(6, 10_000);   // (from time 0: tests/cs/recorder-bugs.test.ts)
	const lastTs = { audio: -1, video: -1 };
	let refusals = 0;
	const bad = new Map<number, () => void>();
	const at = (k: number, what: string, code: CsErrorCode, fn: () => void) => {
		bad.set(k, () => {
			refused(t, code, fn, what);
			refusals++;
		});
	};
	const sps = VIDEO[0].subarray(0, 30);   // AUD + SPS + PPS …, no slice
	const noise = new Uint8Array(500).map((_, i) => (i * 37 + 11) & 0xff).fill(0x47, 0, 1);
	// Each runs before good frame k (frames[k] is the next good one): every refusal is followed by good frames.
	at(3, "type 'data'", "argument", () => cs.push("data" as any, "h264", { data: VIDEO[1], timestamp: 70 }));
	at(5, "codec h265 on an h264 channel", "codec", () => cs.push("video", "h265", { data: frames[5].data, timestamp: frames[5].timestamp }));
	at(7, "codec 'mjpeg'", "codec", () => cs.push("video", "mjpeg" as any, { data: VIDEO[2], timestamp: frames[7].timestamp }));
	at(9, "empty video data", "frame", () => cs.push("video", "h264", { data: new Uint8Array(0), timestamp: frames[9].timestamp }));
	at(11, "empty audio data", "frame", () => cs.push("audio", "h264", { data: new ArrayBuffer(0), timestamp: frames[11].timestamp }));
	at(13, "data a string", "frame", () => cs.push("video", "h264", { data: "frame" as any, timestamp: frames[13].timestamp }));
	at(15, "no frame object", "argument", () => cs.push("video", "h264", undefined as any));
	at(17, "non-Annex-B bytes", "frame", () => cs.push("video", "h264", { data: noise, timestamp: frames[17].timestamp }));
	at(19, "two access units in one frame", "frame", () => cs.push("video", "h264", { data: concat(VIDEO[3], VIDEO[4]), timestamp: frames[19].timestamp }));
	at(21, "parameter sets without a slice", "frame", () => cs.push("video", "h264", { data: sps, timestamp: frames[21].timestamp }));
	at(23, "ADTS frame with a wrong length", "frame", () => cs.push("audio", "h264", { data: wrongLength(AUDIO[5]), timestamp: frames[23].timestamp }));
	at(25, "audio bytes pushed as video", "frame", () => cs.push("video", "h264", { data: AUDIO[6], timestamp: frames[25].timestamp }));
	at(27, "video bytes pushed as audio", "frame", () => cs.push("audio", "h264", { data: VIDEO[6], timestamp: frames[27].timestamp }));
	at(29, "video timestamp going backwards", "timestamp", () => cs.push("video", "h264", { data: VIDEO[7], timestamp: lastTs.video - 1 }));
	at(31, "audio timestamp going backwards", "timestamp", () => cs.push("audio", "h264", { data: AUDIO[7], timestamp: lastTs.audio - 1 }));
	at(33, "timestamp NaN", "timestamp", () => cs.push("video", "h264", { data: VIDEO[8], timestamp: NaN }));
	at(35, "timestamp -1", "timestamp", () => cs.push("audio", "h264", { data: AUDIO[8], timestamp: -1 }));
	at(37, "timestamp Infinity", "timestamp", () => cs.push("video", "h264", { data: VIDEO[8], timestamp: Infinity }));
	at(39, "timestamp a string", "timestamp", () => cs.push("video", "h264", { data: VIDEO[8], timestamp: "100" as any }));
	at(41, "timestamp missing", "timestamp", () => cs.push("audio", "h264", { data: AUDIO[8] } as any));
	at(43, "timestamp 2^53", "timestamp", () => cs.push("video", "h264", { data: VIDEO[8], timestamp: 2 ** 53 }));
	at(45, "init again while pushing", "state", () => cs.init({ maxGopBytes: 65536 }));
	at(47, "event bits 0", "argument", () => cs.notifyEvent(0));
	at(49, "event bits 2^32", "argument", () => cs.notifyEvent(2 ** 32));
	// The same again in the middle of a later GOP (and a segment being uploaded).
	at(140, "two access units, later", "frame", () => cs.push("video", "h264", { data: concat(VIDEO[20], VIDEO[21]), timestamp: frames[140].timestamp }));
	at(142, "video backwards, later", "timestamp", () => cs.push("video", "h264", { data: VIDEO[22], timestamp: lastTs.video - 200 }));
	at(144, "ADTS wrong length, later", "frame", () => cs.push("audio", "h264", { data: wrongLength(AUDIO[9]), timestamp: frames[144].timestamp }));
	const counts = await feed(cs, frames, {
		before(k) {
			bad.get(k)?.();
			lastTs[frames[k].type] = Math.max(lastTs[frames[k].type], frames[k].timestamp);
			if (k === 60) cs.notifyEvent(1);   // continuous: an event changes nothing uploaded
		},
	});
	t.is(refusals, bad.size, "every bad call was made and refused");
	await uploaded(stats, counts.h264 + counts.aac);
	await cs.stop();   // uploads the last (partial) segment
	t.is(stops, 1, "stop fired onStop");
	t.log(`pushed ${counts.h264} h264 + ${counts.aac} aac good frames, ${refusals} refused; uploaded ${stats.framesUploaded} frames in ${stats.segmentsStored} segments (${stats.streams} stream(s)), ${stats.framesRejected} rejected, ${stats.framesLost} lost`);
	t.log(`@@pushed ${JSON.stringify({ channel: 0, ...counts })}`);
	t.is(stats.framesUploaded, counts.h264 + counts.aac, "every good frame was uploaded");
	t.is(stats.framesRejected, 0);
	t.is(stats.framesLost, 0);
	t.is(stats.firstSeq, 0, "from the first frame pushed");
	t.is(stats.streams, 1, "one stream: nothing was refused");
	t.is(stats.segmentsRefused, 0);
});

// --- memory ---

test("memory: cloud storage in push mode costs at most 32 KiB of XS heap besides its ring", async (t) => {
	// The test's own data first (the frame list is some 150 small objects), so that the
	// difference is cloud storage's: its HTTP connection, CloudStorage, the recorder, the muxer of
	// the segment in flight, the ring's JS side. Earlier tests already ran every code path once:
	// what XS allocates once per process on first use is not counted (the log says so).
	const frames = schedule(5, 1_000_000);
	const sample = { worst: 0, count: 0, ring: 0, next: Date.now() + 700 };
	collectGarbage();
	const before = memory();
	const http = newHttp();
	const cs = newCs(http);
	cs.init({ maxGopBytes: 512 * 1024, channel: 1 });   // the seed sample's GOP estimate
	cs.applyPlan(CONTINUOUS);
	const stats = cs.stats()[1];
	const counts = await feed(cs, frames, {
		tick() {
			if (Date.now() < sample.next) return;
			sample.next = Date.now() + 300;
			collectGarbage();
			const m = memory();
			sample.worst = Math.max(sample.worst, (m.chunks - before.chunks) + (m.slots - before.slots));
			sample.ring = m.native.ring?.bytes ?? 0;
			sample.count++;
		},
	});
	const { worst, count: samples, ring: ringBytes } = sample;
	await uploaded(stats, counts.h264 + counts.aac);
	await cs.stop();
	http.close();
	t.true(samples >= 5, `${samples} samples`);
	t.true(stats.segmentsStored >= 3, "the samples were taken while segments were uploaded");
	t.log(`XS heap of cloud storage in push mode (chunks + slots in use after GC, over ${samples} samples while uploading): at most ${worst} bytes; ring (native): ${ringBytes} bytes`);
	t.log(`@@memory ${JSON.stringify({ heap: worst, ring: ringBytes, samples })}`);
	t.log(`@@pushed ${JSON.stringify({ channel: 1, ...counts })}`);
	t.true(worst <= 32 * 1024, `${worst} bytes > 32 KiB`);
	t.is(stats.framesUploaded, counts.h264 + counts.aac);
});
test("a fragment whose ring views were overwritten while sent is made again at once; other failures after a backoff", (t) => {
	t.deepEqual(againAfter(new ChangedError("the bytes changed while they were sent")), { again: true, delay: false, reason: "a ring frame was overwritten while it was sent" });
	t.deepEqual(againAfter(new ConnectionResetError("reset by the peer")), { again: true, delay: true, reason: "reset by the peer" });
	t.deepEqual(againAfter(new AbortedError("client closed")), { again: true, delay: true, reason: "client closed" });
});

// --- known bugs of modules/cs/recorder.ts (tests/cs.test.mjs runs these as test.failing) ---

test("recorder: a push whose timestamps start at 0 gets one stream, not an init refused for epoch 0", async (t) => {
	const logs: string[] = [];
	const cs = new CloudStorage({ http: newHttp(), signer, retry: { minDelay: 100, maxDelay: 1000 }, log: (m) => logs.push(m) });
	cs.init({ maxGopBytes: 128 * 1024, channel: 3 });
	cs.applyPlan(CONTINUOUS);
	const stats = cs.stats()[3];
	const counts = await feed(cs, schedule(2.5, 0));
	await uploaded(stats, counts.h264 + counts.aac);
	await cs.stop();
	for (const line of logs) t.log(line);
	t.is(stats.framesUploaded, counts.h264 + counts.aac);
	t.deepEqual(logs.filter((l) => /refused/.test(l)), [], "no refusal");
	t.is(stats.streams, 1);
}, { knownBug: true });

test("recorder: stop() right after a burst of pushes uploads every frame pushed before it", async (t) => {
	const cs = newCs();
	cs.init({ maxGopBytes: 128 * 1024, channel: 2 });
	cs.applyPlan(CONTINUOUS);
	const stats = cs.stats()[2];
	const frames = schedule(2.5, 5_000);   // 2.5 s of media pushed at once (an app catching up after a stall)
	for (const f of frames) cs.push(f.type, "h264", { data: f.data, timestamp: f.timestamp });
	await cs.stop();
	t.log(`pushed ${frames.length} frames at once, then stop(): uploaded ${stats.framesUploaded} frames in ${stats.segmentsStored} segment(s)`);
	t.is(stats.framesUploaded, frames.length, "stop() uploaded what was pushed before it");
}, { knownBug: true });

test("recorder: a clock jump of more than a minute ends the stream; the next is timed by the new clock", async (t) => {
	// A camera 10 minutes behind learns the cloud's time while it records (its clock jumps forward).
	let behind = 600_000;
	const segments: { stream: string; startMs: number; endMs: number }[] = [];
	const logs: string[] = [];
	const cs = new CloudStorage({
		http: newHttp(), signer, clock: () => Date.now() - behind, retry: { minDelay: 100, maxDelay: 1000 },
		log: (m) => logs.push(m), onSegment: (s) => segments.push(s),
	});
	cs.init({ maxGopBytes: 128 * 1024, channel: 3 });
	cs.applyPlan(CONTINUOUS);
	const stats = cs.stats()[3];
	const frames = schedule(6, 10_000);
	const jumpAt = frames.findIndex((f) => f.timestamp >= 13_000);
	let jumped = 0;
	const counts = await feed(cs, frames, { speed: 1, before: (k) => { if (k === jumpAt) { behind = 0; jumped = Date.now(); } } });
	await uploaded(stats, counts.h264 + counts.aac);
	await cs.stop();
	for (const line of logs) t.log(line);
	const after = segments.filter((s) => s.stream !== segments[0].stream);
	t.log(`${segments.length} segments in ${stats.streams} streams; after the jump: ${after.map((s) => `${s.startMs - jumped}..${s.endMs - jumped}`).join(", ")} ms from it`);
	t.is(stats.streams, 2, "the jump ended the first stream");
	t.is(stats.framesUploaded, counts.h264 + counts.aac);
	t.true(after.length > 0);
	// The segments after the jump are timed by the corrected clock: from about the jump (a GOP and a
	// segment of the old stream may straddle it) to now — not 10 minutes in the past.
	for (const s of after) t.true(s.startMs >= jumped - 3000 && s.endMs <= Date.now() + 1000, `${s.stream}: ${s.startMs - jumped}..${s.endMs - jumped} ms from the jump`);
	t.true(logs.some((l) => /the clock moved by more than a minute/.test(l)));
}, { knownBug: true });
