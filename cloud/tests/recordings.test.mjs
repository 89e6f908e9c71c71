// Recording files on local disk: closed windows assembled into one playable
// MP4 each (checked with ffprobe), segments repointed into the file, the old
// segment objects deleted only after the grace period; one instance at a time.
import test from "ava";
import { assembleClosed, partSizeFor } from "../../build/node/cloud/src/recordings/assemble.js";
import { compactUtc, windowOf } from "../../build/node/cloud/src/recordings/files.js";
import { listFiles } from "../../build/node/cloud/src/catalogue/index.js";
import { holdLease } from "../../build/node/cloud/src/recordings/lease.js";
import { sweepTombstones } from "../../build/node/cloud/src/retention/objects.js";
import { NotFoundError } from "../../build/node/cloud/src/storage/object-store.js";
import { bareCloud, fmp4, addStream, addSegment, probe } from "./_recordings.mjs";

const W = Date.UTC(2026, 0, 1, 12, 0, 0); // a window start when fileMinutes = 1
const minute = 60_000;

/** Segments 1 s apart from `at`, one fMP4 fragment each (seq from `seq`). */
async function addRun(cloud, fragments, at, { seq = 0, stream = "s1", device = "cam1", channel = 0 } = {}) {
	const ids = [];
	for (const [i, fragment] of fragments.entries())
		ids.push(await addSegment(cloud, { device, channel, stream, seq: seq + i, startMs: at + i * 1000, endMs: at + (i + 1) * 1000, bytes: fragment.bytes }));
	return ids;
}

const segmentRows = (cloud, stream = "s1") => cloud.ctx.sql.db.prepare(`SELECT id, seq, key, "offset", bytes, file_id, deleted FROM segments WHERE stream = ? ORDER BY seq`).all(stream);

test("file names are the seed's <device>-<channel>_<start>_<end> with compact UTC times", async (t) => {
	const cloud = await bareCloud(t);
	t.is(compactUtc(Date.UTC(2026, 10, 22, 13, 30, 5)), "20261122T133005Z");
	const w = windowOf({ fileMinutes: 90 }, Date.UTC(2026, 10, 22, 13, 10));
	t.is(w.start, Date.UTC(2026, 10, 22, 12, 0));
	t.is(w.end, Date.UTC(2026, 10, 22, 13, 30));
	t.is(cloud.config.fileName, "{name}_{start}_{end}");
});

test("multipart parts: ≥ 5 MiB, and few enough (≤ 10,000) for any file", (t) => {
	const MiB = 1024 * 1024;
	t.is(partSizeFor(1000), 5 * MiB);
	t.is(partSizeFor(40_000 * MiB), 5 * MiB, "40 GB fits in 8,000 parts of 5 MiB");
	t.is(partSizeFor(80_000 * MiB), Math.ceil(80_000 * MiB / 9999));
	// Parts are cut after the segment that reaches the size, so each holds ≥ size bytes: ≤ total/size parts + the last.
	for (const total of [5 * MiB, 49_999 * MiB, 200_000 * MiB]) t.true(Math.floor(total / partSizeFor(total)) + 1 <= 10_000, `${total}`);
});

test("a closed window becomes one playable MP4; its segments point into it; old objects go after the grace", async (t) => {
	const cloud = await bareCloud(t, { fileMinutes: 1, deleteGraceS: 30, urlLifetimeS: 10 });
	const { ctx } = cloud;
	const media = fmp4({ seconds: 6 });
	t.is(media.fragments.length, 6);
	await addStream(cloud, { device: "cam1", init: media.init, epochMs: W });
	// Four fragments at the end of window W, two in the next one.
	const ids = await addRun(cloud, media.fragments, W + 56_000);
	const oldKeys = segmentRows(cloud).map((row) => row.key);

	let now = W + 62_000;
	t.is(await assembleClosed(ctx, { clock: () => now }), 1, "W is closed: a segment lies beyond it; W+1min is not");
	const files = await listFiles(ctx.sql, "cam1", 0, W, W + 2 * minute);
	t.is(files.length, 1);
	const [file] = files;
	t.like(file, { device: "cam1", channel: 0, stream: "s1", name: "cam1-0_20260101T120000Z_20260101T120100Z", key: "files/cam1/0/cam1-0_20260101T120000Z_20260101T120100Z.mp4", startMs: W + 56_000, endMs: W + 60_000, segments: 4 });
	const whole = await ctx.store.get(file.key);
	const four = media.fragments.slice(0, 4);
	t.is(file.bytes, whole.length);
	t.is(whole.length, media.init.length + four.reduce((sum, f) => sum + f.bytes.length, 0));
	const probed = probe(whole);
	t.is(probed.codec, "h264");
	t.is(probed.frames, four.reduce((sum, f) => sum + f.frames, 0));
	t.is(probed.complaints, "");

	// Every assembled segment now reads from the file at its offset: the same bytes.
	const rows = segmentRows(cloud);
	for (const row of rows.slice(0, 4)) {
		t.is(row.key, file.key);
		t.is(row.file_id, file.id);
		t.deepEqual(await ctx.store.get(row.key, { start: row.offset, end: row.offset + row.bytes - 1 }), media.fragments[row.seq].bytes);
	}
	t.deepEqual(rows.slice(4).map((row) => [row.key, row.file_id]), oldKeys.slice(4).map((key) => [key, null]));
	t.deepEqual(rows.map((row) => row.id), ids);

	// The old segment objects stay readable during the grace (30 s), then go.
	t.is(await sweepTombstones(ctx, now + 29_000), 0);
	for (const key of oldKeys) t.truthy(await ctx.store.head(key));
	t.is(await sweepTombstones(ctx, now + 31_000), 4);
	for (const key of oldKeys.slice(0, 4)) t.is(await ctx.store.head(key), undefined);
	for (const key of oldKeys.slice(4)) t.truthy(await ctx.store.head(key));
	t.truthy(await ctx.store.head("media/cam1/0/s1/init.mp4"), "the init stays: the live stream still needs it");

	// Nothing more until the next window closes; the stream ending closes it.
	now += minute;
	t.is(await assembleClosed(ctx, { clock: () => now }), 0);
	ctx.sql.db.prepare("UPDATE streams SET ended = ? WHERE stream = 's1'").run(W + 62_000);
	t.is(await assembleClosed(ctx, { clock: () => now }), 1);
	const second = await listFiles(ctx.sql, "cam1", 0, W + minute, W + 2 * minute);
	t.is(second.length, 1);
	t.is(second[0].name, "cam1-0_20260101T120100Z_20260101T120200Z");
	t.is(probe(await ctx.store.get(second[0].key)).frames, media.fragments[4].frames + media.fragments[5].frames);
	t.is((await listFiles(ctx.sql, "cam1", 0, W, W + 2 * minute)).length, 2);
	t.is((await listFiles(ctx.sql, "cam1", 0, W + 2 * minute, W + 3 * minute)).length, 0);
	t.is((await listFiles(ctx.sql, "cam1", 1, W, W + 2 * minute)).length, 0);
	t.regex(ctx.metrics.render(), /ivxs_files_assembled_total 2/);
});

test("a gap in the recording stays a gap: the file plays, with the frames that were recorded", async (t) => {
	const cloud = await bareCloud(t, { fileMinutes: 1 });
	const media = fmp4({ seconds: 6 });
	await addStream(cloud, { device: "cam1", init: media.init, epochMs: W, ended: W + 30_000 });
	// Fragment 2 never arrived (the camera was offline): seq 0, 1, 3, 4, 5 at their own times.
	const kept = [0, 1, 3, 4, 5];
	for (const i of kept) await addSegment(cloud, { device: "cam1", seq: i, startMs: W + 10_000 + i * 1000, endMs: W + 11_000 + i * 1000, bytes: media.fragments[i].bytes });
	t.is(await assembleClosed(cloud.ctx, { clock: () => W + 30_000 }), 1);
	const [file] = await listFiles(cloud.ctx.sql, "cam1", 0, W, W + minute);
	const probed = probe(await cloud.ctx.store.get(file.key));
	t.is(probed.frames, kept.reduce((sum, i) => sum + media.fragments[i].frames, 0));
	t.is(probed.complaints, "");
	t.is(file.startMs, W + 10_000);
	t.is(file.endMs, W + 16_000);
});

test("a window with no later segment closes once idle for a few minutes after its end", async (t) => {
	const cloud = await bareCloud(t, { fileMinutes: 1 });
	const media = fmp4({ seconds: 6 });
	await addStream(cloud, { device: "cam1", init: media.init, epochMs: W });
	await addRun(cloud, media.fragments.slice(0, 3), W + 10_000);
	const at = (now) => assembleClosed(cloud.ctx, { clock: () => now, idleMs: 3 * minute });
	t.is(await at(W + 30_000), 0, "window still open");
	t.is(await at(W + minute + 2 * minute), 0, "closed 2 min ago, late segments may still come");
	// A late segment of the window arrives 2.5 min after its end: still taken in.
	await addSegment(cloud, { device: "cam1", seq: 3, startMs: W + 13_000, endMs: W + 14_000, bytes: media.fragments[3].bytes, created: W + minute + 150_000 });
	t.is(await at(W + minute + 3 * minute + 1000), 0, "the late arrival restarted the idle time");
	t.is(await at(W + minute + 150_000 + 3 * minute), 1);
	const [file] = await listFiles(cloud.ctx.sql, "cam1", 0, W, W + minute);
	t.is(file.segments, 4);
	t.is(probe(await cloud.ctx.store.get(file.key)).frames, media.fragments.slice(0, 4).reduce((sum, f) => sum + f.frames, 0));
});

test("segments arriving after their window's file get a second file of that window", async (t) => {
	const cloud = await bareCloud(t, { fileMinutes: 1 });
	const media = fmp4({ seconds: 6 });
	await addStream(cloud, { device: "cam1", init: media.init, epochMs: W });
	await addRun(cloud, media.fragments.slice(0, 2), W + 10_000);
	t.is(await assembleClosed(cloud.ctx, { clock: () => W + 10 * minute }), 1);
	await addRun(cloud, media.fragments.slice(2, 4), W + 20_000, { seq: 2 });
	t.is(await assembleClosed(cloud.ctx, { clock: () => W + 20 * minute }), 1);
	const files = await listFiles(cloud.ctx.sql, "cam1", 0, W, W + minute);
	t.deepEqual(files.map((f) => f.name), ["cam1-0_20260101T120000Z_20260101T120100Z", "cam1-0_20260101T120000Z_20260101T120100Z_2"]);
	for (const file of files) t.is(probe(await cloud.ctx.store.get(file.key)).frames, media.fragments[0].frames + media.fragments[1].frames);
});

test("two instances sharing the metadata: only the lease holder assembles; a dead holder's work is redone", async (t) => {
	const a = await bareCloud(t, { fileMinutes: 1 }, "instance-a");
	const b = await bareCloud(t, { fileMinutes: 1, dataDir: a.dataDir }, "instance-b");
	const media = fmp4({ seconds: 6 });
	await addStream(a, { device: "cam1", init: media.init, epochMs: W, ended: W + 20_000 });
	await addRun(a, media.fragments.slice(0, 3), W + 10_000);
	const now = W + 10 * minute;
	t.true(await holdLease(a.ctx.sql, "storage", "instance-a", now, 60_000));
	// A died holding the lease, in the middle of an assembly.
	a.ctx.sql.db.prepare(`INSERT INTO files (device, channel, stream, window_ms, name, start_ms, end_ms, key, state, holder, created)
		VALUES ('cam1', 0, 's1', ?, 'x', ?, ?, 'files/cam1/0/x.mp4', 'assembling', 'instance-a', ?)`).run(W, W, W + 1, now);
	t.is(await assembleClosed(b.ctx, { clock: () => now + 59_000 }), 0, "A's lease still runs");
	t.is(await assembleClosed(b.ctx, { clock: () => now + 60_000 }), 1, "expired: B takes over");
	t.deepEqual(b.ctx.sql.db.prepare("SELECT name, state FROM files").all(), [{ name: "cam1-0_20260101T120000Z_20260101T120100Z", state: "done" }]);
	t.is(await assembleClosed(a.ctx, { clock: () => now + 61_000 }), 0, "B holds it now");
	t.is(segmentRows(b).filter((row) => row.file_id === null).length, 0);
});

test("an upload that fails is aborted: no file listed, segments untouched, retried next run", async (t) => {
	const cloud = await bareCloud(t, { fileMinutes: 1 });
	const media = fmp4({ seconds: 6 });
	await addStream(cloud, { device: "cam1", init: media.init, epochMs: W, ended: W + 20_000 });
	await addRun(cloud, media.fragments.slice(0, 3), W + 10_000);
	// One segment object is missing (e.g. lost by the store): the assembly must not publish.
	const rows = segmentRows(cloud);
	await cloud.ctx.store.delete(rows[1].key);
	t.is(await assembleClosed(cloud.ctx, { clock: () => W + 10 * minute }), 0);
	t.deepEqual(await listFiles(cloud.ctx.sql, "cam1", 0, W, W + minute), []);
	t.is(cloud.ctx.sql.db.prepare("SELECT COUNT(*) AS n FROM files").get().n, 0);
	t.deepEqual(segmentRows(cloud), rows);
	const files = [];
	for await (const info of cloud.ctx.store.list("files/")) files.push(info.key);
	t.deepEqual(files, []);
	t.regex(cloud.ctx.metrics.render(), /ivxs_file_assembly_errors_total 1/);
	await cloud.ctx.store.put(rows[1].key, media.fragments[1].bytes);
	t.is(await assembleClosed(cloud.ctx, { clock: () => W + 11 * minute }), 1);
	await t.throwsAsync(cloud.ctx.store.get("files/cam1/0/none.mp4"), { instanceOf: NotFoundError });
});

test("at shutdown an assembly in flight is abandoned cleanly: upload aborted, nothing listed, redone later", async (t) => {
	const cloud = await bareCloud(t, { fileMinutes: 1 });
	const media = fmp4({ seconds: 6 });
	await addStream(cloud, { device: "cam1", init: media.init, epochMs: W, ended: W + 20_000 });
	await addRun(cloud, media.fragments, W + 10_000);
	const rows = segmentRows(cloud);
	let asked = 0;
	t.is(await assembleClosed(cloud.ctx, { clock: () => W + 10 * minute, stopping: () => ++asked > 3 }), 0);
	t.true(asked > 3, "asked between segments");
	t.is(cloud.ctx.sql.db.prepare("SELECT COUNT(*) AS n FROM files").get().n, 0);
	t.deepEqual(segmentRows(cloud), rows);
	const files = [];
	for await (const info of cloud.ctx.store.list("files/")) files.push(info.key);
	t.deepEqual(files, []);
	t.notRegex(cloud.ctx.metrics.render(), /ivxs_file_assembly_errors_total/, "abandoning is not an error");
	t.is(await assembleClosed(cloud.ctx, { clock: () => W + 11 * minute }), 1);
});
