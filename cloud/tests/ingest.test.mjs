// Ingest (PROTOCOL.md §3) over real HTTP against a cloud: the simulated
// camera's fixtures stored and played back by ffprobe with the exact frame
// counts pushed; retries, conflicts, cuts, bad input — nothing stored from a
// refused request.
import test from "ava";
import { createHash } from "node:crypto";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { cloudFor, deviceIn, engines, onEngine } from "./_cloud.mjs";
import { countFrames, storedStream } from "./_ingest.mjs";
import { Camera } from "../../build/node/cloud/sim/camera.js";
import { Uploader } from "../../build/node/cloud/sim/uploader.js";
import { packageStream } from "../../build/node/cloud/sim/packager.js";
import { signRequest, STREAMING } from "../../build/node/cloud/sim/sign.js";
import { parseInit } from "../../build/node/cloud/src/media/init.js";
import { sameBytesSegment } from "./_hostile-mp4.mjs";
import { fragmentsOf, rebaseMoof, trackTimescales } from "../../build/node/cloud/src/media/rebase.js";
import { Verdict, verdictOfAnswer } from "../../build/node/modules/protocol/verdict.js";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const av = packageStream({ seconds: 6 });

async function setup(t, overrides) {
	const cloud = await cloudFor(t, overrides);
	const device = await deviceIn(cloud, undefined, { channels: 2 });
	const uploader = new Uploader({ cloud: cloud.url, device: device.id, secret: device.secret, backoffMs: 50, maxAttempts: 4 });
	t.teardown(() => uploader.close());
	return { cloud, device, uploader };
}

const rows = (cloud, device) => cloud.ctx.sql.all("SELECT * FROM segments WHERE device = ? ORDER BY seq", [device.id]);
const objects = (cloud, device) => {
	try {
		return readdirSync(join(cloud.dataDir, "objects/media", device.id), { recursive: true }).filter((name) => name.endsWith(".m4s")).sort();
	}
	catch {
		return [];
	}
};

for (const [name, options, codecs] of [
	["audio and video", {}, "avc1.4d4016,mp4a.40.2"],
	["video only", { audio: false }, "avc1.4d4016"],
	["audio only", { video: false }, "mp4a.40.2"],
]) {
	for (const metadata of name === "audio and video" ? engines : ["sqlite"]) test(onEngine(metadata, `${name}: the camera's segments are stored and play back with exactly the frames pushed`), async (t) => {
		const { cloud, device } = await setup(t, { metadata });
		const events = [];
		const listener = (row) => row.device === device.id && events.push(row);
		cloud.ctx.segmentEvents.on("segment", listener);
		t.teardown(() => cloud.ctx.segmentEvents.off("segment", listener));
		const camera = new Camera({ cloud: cloud.url, device: device.id, secret: device.secret, seconds: 5, speed: 0, channel: 1, ...options });
		t.teardown(() => camera.close());
		const stats = await camera.run();
		t.like(stats, { segments: 5, stored: 5, duplicates: 0, refused: 0, resent: 0 });
		t.is(stats.videoFrames, options.video === false ? 0 : 75);
		t.true(options.audio === false ? stats.audioFrames === 0 : stats.audioFrames >= 77);
		const { row, segments, bytes } = await storedStream(cloud, device.id, 1, camera.stream);
		t.like(row, { codecs, has_video: options.video === false ? 0 : 1, has_audio: options.audio === false ? 0 : 1 });
		t.not(row.ended, null);
		t.deepEqual(segments.map((s) => s.seq), [0, 1, 2, 3, 4]);
		// Wall clock = epoch + decode time: 1-s segments back to back.
		// (Audio alone: a segment is cut at the first 64-ms AAC frame past each second.)
		const step = options.video === false ? 1024 : 1000;
		t.deepEqual(segments.map((s) => s.start_ms - row.epoch_ms), [0, 1, 2, 3, 4].map((n) => n * step));
		t.is(segments[4].end_ms - row.epoch_ms, options.video === false ? 5056 : 5000);
		t.deepEqual(events.map((e) => e.seq).sort(), [0, 1, 2, 3, 4]); // uploads overlap: any order
		const frames = countFrames(bytes);
		t.deepEqual(frames, { ...(options.video === false ? {} : { h264: stats.videoFrames }), ...(options.audio === false ? {} : { aac: stats.audioFrames }) });
		const metrics = await (await fetch(`${cloud.url}/metrics`)).text();
		t.regex(metrics, /ivxs_ingest_segments_total 5/);
		t.regex(metrics, new RegExp(`ivxs_ingest_bytes_total ${stats.bytes}\\b`));
		t.regex(metrics, /ivxs_ingest_upload_seconds_count 5/);
	});
}

for (const metadata of engines) test(onEngine(metadata, "a retry of a stored segment is a 200 duplicate; other bytes under its seq or overlapping times are 409"), async (t) => {
	const { cloud, device, uploader } = await setup(t, { metadata });
	const epoch = Date.now() - 60_000;
	t.is((await uploader.putInit("s1", av.init, epoch)).status, 201);
	t.is((await uploader.putInit("s1", av.init, epoch)).status, 200);
	t.is((await uploader.putInit("s1", av.init, epoch + 1)).status, 409);
	for (const seq of [0, 1, 3]) t.is((await uploader.sendFixed("PUT", uploader.path("s1", `segments/${seq}`), av.segments[seq].bytes)).status, 201);
	const again = await uploader.sendFixed("PUT", uploader.path("s1", "segments/1"), av.segments[1].bytes);
	t.is(again.status, 200);
	t.true(again.json.duplicate);
	const other = await uploader.sendFixed("PUT", uploader.path("s1", "segments/1"), av.segments[2].bytes);
	t.is(other.status, 409);
	t.regex(other.json.error, /different bytes/);
	// It names the hash of what it holds: a camera that sent several segments under a seq without an answer learns which one (PROTOCOL §3.2).
	t.is(other.headers["x-ivxs-stored-sha256"], createHash("sha256").update(av.segments[1].bytes).digest("hex"));
	// Segment 2's bytes as seq 4 start before seq 3 ends; segment 4's bytes as seq 2 end after seq 3 starts.
	t.regex((await uploader.sendFixed("PUT", uploader.path("s1", "segments/4"), av.segments[2].bytes)).json.error, /before segment 3 ends/);
	t.regex((await uploader.sendFixed("PUT", uploader.path("s1", "segments/2"), av.segments[4].bytes)).json.error, /after segment 3 starts/);
	// The hole filled late, in order: accepted.
	t.is((await uploader.sendFixed("PUT", uploader.path("s1", "segments/2"), av.segments[2].bytes)).status, 201);
	t.deepEqual((await rows(cloud, device)).map((r) => r.seq), [0, 1, 2, 3]);
	t.deepEqual(objects(cloud, device), ["0/s1/0.m4s", "0/s1/1.m4s", "0/s1/2.m4s", "0/s1/3.m4s"]);
	t.is((await uploader.end("s1")).status, 200);
	t.regex((await uploader.sendFixed("PUT", uploader.path("s1", "segments/5"), av.segments[5].bytes)).json.error, /has ended/);
	t.regex((await uploader.putInit("s1", av.init, epoch)).json.error, /has ended/);
});

for (const metadata of engines) test(onEngine(metadata, "two different inits sent at once for one new stream: one is stored, the other is a 409, and the object is the stored one's"), async (t) => {
	const { cloud, device, uploader } = await setup(t, { metadata });
	const videoOnly = packageStream({ seconds: 1, audio: false }).init;
	const epoch = Date.now();
	for (let round = 0; round < 5; round++) {
		const stream = `race${round}`;
		const answers = await Promise.all([uploader.putInit(stream, av.init, epoch), uploader.putInit(stream, videoOnly, epoch)]);
		t.deepEqual(answers.map((a) => a.status).sort(), [201, 409]);
		const winner = answers[0].status === 201 ? av.init : videoOnly;
		const row = await cloud.ctx.sql.get("SELECT * FROM streams WHERE device = ? AND stream = ?", [device.id, stream]);
		t.true((await cloud.ctx.store.get(row.init_key)).equals(winner));
		t.is(row.codecs, winner === av.init ? "avc1.4d4016,mp4a.40.2" : "avc1.4d4016");
	}
});

test("bad input is a 4xx with a clear message and stores nothing", async (t) => {
	const { cloud, device, uploader } = await setup(t, { maxSegmentBytes: 64 * 1024 });
	const seg = (seq, body, stream = "s2") => uploader.sendFixed("PUT", uploader.path(stream, `segments/${seq}`), body);
	const noInit = await seg(0, av.segments[0].bytes);
	t.is(noInit.status, 404);
	t.regex(noInit.json.error, /has no init/);
	const badInit = await uploader.sendFixed("PUT", `${uploader.path("s2", "init")}?epoch=${Date.now()}`, av.segments[0].bytes);
	t.is(badInit.status, 400);
	t.regex(badInit.json.error, /malformed init segment: init segment must start with 'ftyp'/);
	t.is((await uploader.sendFixed("PUT", `${uploader.path("s2", "init")}?epoch=12`, av.init)).status, 400);
	t.is((await uploader.putInit("s2", av.init, Date.now())).status, 201);
	const garbled = Buffer.from(av.segments[0].bytes);
	garbled.writeUInt32BE(7, 60); // inside the first traf: a wrong size or track somewhere
	const bad = await seg(0, garbled);
	t.is(bad.status, 400);
	t.regex(bad.json.error, /^malformed segment: /);
	const cutFirst = Buffer.from(av.segments[1].bytes.subarray(0, 1000));
	t.regex((await seg(0, cutFirst)).json.error, /malformed segment: .*runs past its container/);
	t.is((await seg(0, Buffer.alloc(70 * 1024))).status, 413);
	t.is((await seg("01", av.segments[0].bytes)).status, 400);
	const wrongChannel = await uploader.sendFixed("PUT", `/v1/devices/${device.id}/channels/7/streams/s2/segments/0`, av.segments[0].bytes);
	t.is(wrongChannel.status, 404);
	t.regex(wrongChannel.json.error, /channel 7 does not exist/);
	t.is((await uploader.sendFixed("PUT", `/v1/devices/${device.id}/channels/0/streams/s2/segments/..%2F..%2Fx`, av.segments[0].bytes)).status, 404);
	t.deepEqual((await rows(cloud, device)), []);
	t.deepEqual(objects(cloud, device), []);
	t.regex(await (await fetch(`${cloud.url}/metrics`)).text(), /ivxs_ingest_errors_total\{reason="400"\} \d+/);
});

test("a streamed segment cut mid-body stores nothing; its resend is stored exactly once", async (t) => {
	const { cloud, device, uploader } = await setup(t);
	t.is((await uploader.putInit("s3", av.init, Date.now())).status, 201);
	const [first, ...rest] = av.segments[0].fragments.map((f) => f.bytes);
	const upload = uploader.streamSegment("s3", 0);
	upload.write(first);
	await sleep(200); // the cloud has the first fragment
	upload.cut();
	const cutAnswer = await upload.end();
	t.is(cutAnswer.status, 0);
	await sleep(100);
	t.deepEqual((await rows(cloud, device)), []);
	t.deepEqual(objects(cloud, device), []);
	t.is(rest.length, 4); // five 200-ms fragments (LL-HLS parts) per 1-s segment
	const resent = await uploader.resendSegment("s3", 0, av.segments[0].bytes, async () => t.fail("the init is there"));
	t.is(resent.status, 201);
	t.is((await uploader.resendSegment("s3", 0, av.segments[0].bytes, async () => {})).status, 200);
	t.is((await rows(cloud, device)).length, 1);
	t.deepEqual(objects(cloud, device), ["0/s3/0.m4s"]);
	t.regex(await (await fetch(`${cloud.url}/metrics`)).text(), /ivxs_ingest_errors_total\{reason="cut"\} 1/);
});

test("a streamed segment with a wrong trailer is refused and stores nothing; with the right one it is stored", async (t) => {
	const { cloud, device, uploader } = await setup(t);
	t.is((await uploader.putInit("s4", av.init, Date.now())).status, 201);
	const path = uploader.path("s4", "segments/0");
	const s = signRequest({ device: device.id, key: device.secret, method: "PUT", path, body: STREAMING });
	// fetch streams a ReadableStream chunked but cannot send trailers: the cloud must refuse the body it could not verify.
	const body = new Blob([av.segments[0].bytes]).stream();
	const res = await fetch(`${cloud.url}${path}`, { method: "PUT", headers: s.headers, body, duplex: "half" });
	t.is(res.status, 401);
	t.regex((await res.json()).error, /without valid trailers/);
	t.deepEqual(objects(cloud, device), []);
	const stream = uploader.streamSegment("s4", 0);
	for (const f of av.segments[0].fragments) stream.write(f.bytes);
	t.is((await stream.end()).status, 201);
	t.deepEqual(objects(cloud, device), ["0/s4/0.m4s"]);
});

test("a 231 KB segment whose truns all claim the same mdat is a 400 at once, and /healthz answers while it is checked", async (t) => {
	const { cloud, device, uploader } = await setup(t);
	t.is((await uploader.putInit("s5", av.init, Date.now() - 60_000)).status, 201);
	const hostile = sameBytesSegment(231 * 1024, parseInit(av.init).video.id);
	let answered = false, slowest = 0;
	const upload = uploader.sendFixed("PUT", uploader.path("s5", "segments/0"), hostile).finally(() => (answered = true));
	const health = [];
	do {
		const asked = performance.now();
		health.push((await fetch(`${cloud.url}/healthz`)).status);
		slowest = Math.max(slowest, performance.now() - asked);
	} while (!answered);
	const answer = await upload;
	t.is(answer.status, 400);
	t.regex(answer.json.error, /does not fit in the 0 bytes of its 'mdat' left unclaimed/);
	t.true(health.every((status) => status === 200));
	// Before the bound the check took seconds on the event loop (and /healthz waited for it).
	t.true(slowest < 2000, `/healthz took ${slowest.toFixed(0)} ms`);
	t.log(`/healthz answered ${health.length} times meanwhile, slowest ${slowest.toFixed(0)} ms`);
	t.deepEqual((await rows(cloud, device)), []);
});

for (const metadata of engines) test(onEngine(metadata, "two segments out of order uploaded at once: one is stored, the other is a 409 and leaves no object"), async (t) => {
	const { cloud, device, uploader } = await setup(t, { metadata });
	t.is((await uploader.putInit("s6", av.init, Date.now() - 60_000)).status, 201);
	// Both uploads reach the store before either records its row (the window a neighbour check outside the insert missed).
	const store = cloud.ctx.store, put = store.put.bind(store);
	let waiting = [];
	store.put = async (key, body) => {
		if (key.endsWith(".m4s")) await new Promise((resolve) => {
			waiting.push(resolve);
			if (waiting.length === 2) waiting.forEach((go) => go());
		});
		return put(key, body);
	};
	// Seq 1 with the bytes of 0:02–0:03, seq 2 with those of 0:01–0:02: times go back with seq.
	const answers = await Promise.all([
		uploader.sendFixed("PUT", uploader.path("s6", "segments/1"), av.segments[2].bytes),
		uploader.sendFixed("PUT", uploader.path("s6", "segments/2"), av.segments[1].bytes),
	]);
	t.deepEqual(answers.map((a) => a.status).sort(), [201, 409]);
	t.regex(answers.find((a) => a.status === 409).json.error, /decode times must increase with seq/);
	const stored = await rows(cloud, device);
	t.is(stored.length, 1);
	t.is(stored[0].seq, answers[0].status === 201 ? 1 : 2);
	t.deepEqual(objects(cloud, device), [`0/s6/${stored[0].seq}.m4s`]);
	store.put = put;
	waiting = [];
	// Nothing acknowledged was lost: the stored one plays back as sent.
	t.true((await store.get(stored[0].key)).equals(av.segments[stored[0].seq === 1 ? 2 : 1].bytes));
});

test("an init epoch further ahead of the cloud's clock than the signature skew is a 409 saying the clock is off", async (t) => {
	const { cloud, device, uploader } = await setup(t, { signatureSkewS: 120 });
	// A camera clock 10 minutes ahead (an epoch a day ahead was accepted before).
	for (const ahead of [600_000, 86_000_000]) {
		const answer = await uploader.sendFixed("PUT", `${uploader.path(`ahead${ahead}`, "init")}?epoch=${Date.now() + ahead}`, av.init);
		t.is(answer.status, 409);
		t.regex(answer.json.error, /more than 120 s after the cloud's clock \(\d+\): check the camera's clock/);
		t.true(Math.abs(Number(answer.headers["x-ivxs-time"]) - Date.now() / 1000) < 5, "X-Ivxs-Time: the camera learns its clock is off");
		t.is(verdictOfAnswer(answer), Verdict.Refused);   // the camera sets its clock and begins a new stream
	}
	t.is((await uploader.putInit("close", av.init, Date.now() + 100_000)).status, 201, "within the skew");
	t.deepEqual(cloud.ctx.sql.db.prepare("SELECT stream FROM streams WHERE device = ?").all(device.id).map((r) => r.stream), ["close"]);
	t.regex(await (await fetch(`${cloud.url}/metrics`)).text(), /ivxs_ingest_errors_total\{reason="future"\} 2/);
});

test("a segment ending further ahead of the cloud's clock than the signature skew is a 409 the camera drops (not a retry), whatever its decode time", async (t) => {
	const { cloud, device, uploader } = await setup(t, { signatureSkewS: 120 });
	const put = (stream, seq, bytes) => uploader.sendFixed("PUT", uploader.path(stream, `segments/${seq}`), bytes);
	// Within the skew (a clock 60 s ahead): stored.
	t.is((await uploader.putInit("close", av.init, Date.now() + 60_000)).status, 201);
	t.is((await put("close", 0, av.segments[0].bytes)).status, 201);
	// A sane epoch and a decode time 2^52 ticks on (about 1,600 years at 90 kHz): refused, not a 5xx.
	t.is((await uploader.putInit("far", av.init, Date.now() - 60_000)).status, 201);
	const scales = trackTimescales(av.init);
	const shift = new Map([...scales.keys()].map((track) => [track, -(2n ** 52n)]));
	const far = Buffer.concat(fragmentsOf(av.segments[0].bytes).flatMap(({ moof, mdat }, i) => [rebaseMoof(moof, i + 1, shift), mdat]));
	const answer = await put("far", 0, far);
	t.is(answer.status, 409);
	t.regex(answer.json.error, /more than 120 s after the cloud's clock \(\d+\): check the camera's clock/);
	t.truthy(answer.headers["x-ivxs-time"]);
	t.is(verdictOfAnswer(answer), Verdict.Refused); // the camera drops it and goes on with the next
	t.deepEqual((await rows(cloud, device)).map((r) => r.stream), ["close"]);
	t.deepEqual(objects(cloud, device), ["0/close/0.m4s"]);
	t.regex(await (await fetch(`${cloud.url}/metrics`)).text(), /ivxs_ingest_errors_total\{reason="future"\} 1/);
});
