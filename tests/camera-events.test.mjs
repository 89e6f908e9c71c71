// Event clips (SPEC §1, plan mode "event") from the camera app on the XS host to the real cloud:
// each clip starts at a key frame at or before event − pre-roll (taken from the ring), an event
// during a clip extends it, a clip ends post-roll after its last event, and a later event's
// pre-roll never reaches back into the previous clip.
import test from "ava";
import { cloudFor, deviceIn } from "../cloud/tests/_cloud.mjs";
import { defaultPlan, mergePlan, publishPlan, writePlan } from "../build/node/cloud/src/control/plans.js";
import { deviceFile, runCamera, storedFrames, totalFrames } from "./_camera.mjs";

test("xs › event clips hold their pre-roll from a key frame, extend with events and end post-roll after the last one", async (t) => {
	const cloud = await cloudFor(t);
	const device = await deviceIn(cloud);
	const plan = await writePlan(cloud.ctx.sql, device.id, mergePlan(defaultPlan(1), { mode: "event", preRollS: 3, postRollS: 4, segmentS: 1 }, 1));
	await publishPlan(cloud.ctx, device.id, plan);
	const run = await runCamera(deviceFile(t, device, cloud.url), { seconds: 36, args: ["--event-at", "10,13,28"] });
	t.is(run.code, 0, run.stderr + run.stdout);
	const events = [...run.stdout.matchAll(/event at (\d+)/g)].map((m) => Number(m[1]));
	t.is(events.length, 3);
	const segments = cloud.ctx.sql.db.prepare("SELECT stream, seq, start_ms, end_ms FROM segments WHERE device = ? ORDER BY start_ms").all(device.id);
	const clips = new Map();
	for (const s of segments) {
		const clip = clips.get(s.stream) ?? { start: s.start_ms, end: s.end_ms, segments: 0 };
		clip.end = Math.max(clip.end, s.end_ms);
		clip.segments++;
		clips.set(s.stream, clip);
	}
	const list = [...clips.values()];
	t.log(`events ${events.map((e) => e - events[0]).join(", ")} ms after the first; clips ${list.map((c) => `${c.start - events[0]}..${c.end - events[0]} (${c.segments} segments)`).join(", ")}`);
	t.is(list.length, 2, "two clips: the second event extends the first clip, the third starts another");
	const frameMs = 1000 / 15;
	// Clip 1: pre-roll of the first event (from a key frame at or before it: GOPs are 1 s here), to
	// post-roll after the second.
	t.true(list[0].start <= events[0] - 3000, "the clip starts at or before event − pre-roll");
	t.true(list[0].start > events[0] - 3000 - 1000 - frameMs, "…at the key frame just before it (1-s GOPs)");
	t.true(list[0].end >= events[1] + 4000 - frameMs, "the clip lasts until post-roll after the last event");
	t.true(list[0].end < events[1] + 4000 + 1000, "…and stops there");
	// Clip 2: its own pre-roll, post-roll after its event, and nothing of clip 1 again.
	t.true(list[1].start <= events[2] - 3000);
	t.true(list[1].start >= list[0].end - 1, "no overlap with the previous clip");
	t.true(list[1].end >= events[2] + 4000 - frameMs);
	// Every segment starts at a key frame: the cloud refuses a segment whose first video sample is
	// not a sync sample (PROTOCOL §3.2), so all of them being stored proves it.
	const stats = run.summary.channels["0"];
	t.is(stats.segmentsRefused, 0);
	t.is(totalFrames(await storedFrames(cloud, device.id)).total, stats.framesUploaded);
	t.is(stats.framesLost, 0);
	// The events themselves reached the cloud's list.
	t.is(cloud.ctx.sql.db.prepare("SELECT count(*) AS n FROM events WHERE device = ?").get(device.id).n, 3);
});
