// The seed's cloud-storage API in push mode (modules/cs/cloud-storage.ts) on the XS host against
// a real cloud in this Node process: tests/cs/api.test.ts pushes the fixture clip with malformed
// frames and wrong calls mixed in, and logs "@@pushed {channel, h264, aac}" per upload; here
// ffprobe counts what the cloud stored for that channel, which must be exactly the good frames.
import test from "ava";
import { runXsTests as runXs } from "./_host.mjs";
import { storedFrames, totalFrames } from "./_camera.mjs";
import { cloudFor, deviceIn } from "../cloud/tests/_cloud.mjs";

/** The "@@name {json}" log lines of the XS tests. */
const tagged = (results, name) => results.flatMap((r) => r.logs ?? []).filter((l) => l.startsWith(`@@${name} `)).map((l) => JSON.parse(l.slice(name.length + 3)));

test("xs › cs: the push API refuses wrong use and malformed frames with clear codes; the cloud holds exactly the good frames (ffprobe)", async (t) => {
	const cloud = await cloudFor(t);
	const device = await deviceIn(cloud, undefined, { channels: 4 });
	const results = await runXs(t, "tests/cs/api.test", { port: Number(new URL(cloud.url).port), id: device.id, secret: device.secret });
	const pushed = tagged(results, "pushed");
	t.deepEqual(pushed.map((p) => p.channel).sort(), [0, 1]);
	for (const p of pushed) {
		const streams = await storedFrames(cloud, device.id, p.channel);
		const frames = totalFrames(streams);
		t.log(`channel ${p.channel}: pushed ${p.h264} h264 + ${p.aac} aac; ffprobe decodes ${frames.h264} h264 + ${frames.aac} aac from ${streams.length} stream(s), ${streams.reduce((n, s) => n + s.segments.length, 0)} segments`);
		t.deepEqual({ h264: frames.h264, aac: frames.aac }, { h264: p.h264, aac: p.aac }, `channel ${p.channel}: the cloud holds exactly the good frames pushed`);
	}
	const [m] = tagged(results, "memory");
	t.log(`memory: ${m.heap} bytes of XS heap (chunks + slots in use after GC, worst of ${m.samples} samples while uploading) + the ring's ${m.ring} bytes of native memory`);
	t.true(m.heap <= 32 * 1024);
});

// Bugs of modules/cs/recorder.ts found by tests/cs/api.test.ts (config.only), fixed: each case
// failed on the recorder before its fix.
for (const [title, before] of [
	["recorder: a push whose timestamps start at 0 gets one stream, not an init refused for epoch 0",
		"#offset() took a newest timestamp of 0 for 'no frames': the first stream's epoch was 0, the cloud answered 400, the recorder began a new stream after a backoff"],
	["recorder: stop() right after a burst of pushes uploads every frame pushed before it",
		"stop() set want=Nothing first, so #segment ended at the next frame it read (!#active()): frames in the ring not read yet were dropped, with no gap"],
	["recorder: a clock jump of more than a minute ends the stream; the next is timed by the new clock",
		"a stream kept the epoch of the clock it began with: after the camera learnt the cloud's time, its segments were still stamped 10 minutes in the past (or, ahead, refused as in the future)"],
]) {
	test(`xs › cs ${title}`, async (t) => {
		const cloud = await cloudFor(t);
		const device = await deviceIn(cloud, undefined, { channels: 4 });
		t.log(`before the fix: ${before}`);
		await runXs(t, "tests/cs/api.test", { port: Number(new URL(cloud.url).port), id: device.id, secret: device.secret, only: title });
	});
}
