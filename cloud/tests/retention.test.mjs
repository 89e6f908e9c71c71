// Retention with a fake clock: by age per the device's plan (7 days without
// one), then by the total size cap, oldest first; rows are marked, objects go
// after the grace, a file only with its last segment, and a read in progress
// is never cut.
import test from "ava";
import { randomBytes } from "node:crypto";
import * as retention from "../../build/node/cloud/src/retention/index.js";

import { usageOf } from "../../build/node/cloud/src/retention/room.js";

const { runRetention, retentionDaysOf, purgeDeletedRows } = retention;
import { assembleClosed } from "../../build/node/cloud/src/recordings/assemble.js";
import { listFiles } from "../../build/node/cloud/src/catalogue/index.js";
import { holdLease } from "../../build/node/cloud/src/recordings/lease.js";
import { sweepTombstones } from "../../build/node/cloud/src/retention/objects.js";
import { readAll } from "../../build/node/cloud/src/storage/object-store.js";
import { bareCloud, fmp4, addStream, addSegment } from "./_recordings.mjs";
import { engines, onEngine } from "./_cloud.mjs";

const day = 86_400_000;
const NOW = Date.UTC(2026, 5, 1, 0, 0, 0);

/** The tables of the plans and snapshots parts, with the agreed columns, when those parts are not there. */
function otherTables(db) {
	db.exec(`CREATE TABLE IF NOT EXISTS plans (device TEXT PRIMARY KEY, plan TEXT NOT NULL, rev INTEGER NOT NULL DEFAULT 1, updated INTEGER NOT NULL DEFAULT 0);
	CREATE TABLE IF NOT EXISTS snapshots (device TEXT NOT NULL, channel INTEGER NOT NULL, time_ms INTEGER NOT NULL, key TEXT NOT NULL, bytes INTEGER NOT NULL, deleted INTEGER);`);
}

async function addSnapshot(cloud, device, timeMs, bytes = 100) {
	const key = `snapshots/${device}/0/${timeMs}.jpg`;
	await cloud.ctx.store.put(key, randomBytes(bytes));
	await cloud.ctx.sql.run("INSERT INTO snapshots (device, channel, time_ms, key, bytes, deleted) VALUES (?, 0, ?, ?, ?, NULL)", [device, timeMs, key, bytes]);
	return key;
}

/** A stream `stream` of `device` with one small segment per given time (seq in order). */
async function addSegments(cloud, device, stream, times, bytes = 1000) {
	await addStream(cloud, { device, stream, init: Buffer.from("init"), epochMs: times[0] });
	const keys = [];
	for (const [seq, at] of times.entries()) {
		await addSegment(cloud, { device, stream, seq, startMs: at, endMs: at + 1000, bytes: randomBytes(bytes) });
		keys.push(`media/${device}/0/${stream}/${seq}.m4s`);
	}
	return keys;
}

const live = (db, table) => db.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE deleted IS NULL`).get().n;
const exists = async (cloud, keys) => Promise.all(keys.map(async (key) => (await cloud.ctx.store.head(key)) !== undefined));

for (const metadata of engines) test(onEngine(metadata, "by age: each device keeps its plan's retentionDays (7 without a plan); objects go after the grace"), async (t) => {
	const cloud = await bareCloud(t, { deleteGraceS: 600, urlLifetimeS: 60, metadata });
	const { sql } = cloud.ctx;
	await sql.run("INSERT INTO plans (device, plan, rev, updated) VALUES ('cam1', ?, 1, 0), ('cam3', ?, 1, 0)", [JSON.stringify({ v: 1, mode: "continuous", retentionDays: 1 }), "not json"]);
	t.is(await retentionDaysOf(cloud.ctx.sql, "cam1"), 1);
	t.is(await retentionDaysOf(cloud.ctx.sql, "cam2"), 7, "no plan");
	t.is(await retentionDaysOf(cloud.ctx.sql, "cam3"), 7, "an unreadable plan");
	const ages = [8 * day, 2 * day, day / 2];
	const cam1 = await addSegments(cloud, "cam1", "s1", ages.map((age) => NOW - age));
	const cam2 = await addSegments(cloud, "cam2", "s1", ages.map((age) => NOW - age));
	const snaps1 = await Promise.all(ages.map((age) => addSnapshot(cloud, "cam1", NOW - age)));
	const snaps2 = await Promise.all(ages.map((age) => addSnapshot(cloud, "cam2", NOW - age)));

	t.deepEqual(await runRetention(cloud.ctx, NOW), { segments: 3, files: 0, snapshots: 3, events: 0, gaps: 0 });
	t.deepEqual(await sql.all("SELECT device, seq, deleted FROM segments ORDER BY device, seq"), [
		{ device: "cam1", seq: 0, deleted: NOW }, { device: "cam1", seq: 1, deleted: NOW }, { device: "cam1", seq: 2, deleted: null },
		{ device: "cam2", seq: 0, deleted: NOW }, { device: "cam2", seq: 1, deleted: null }, { device: "cam2", seq: 2, deleted: null },
	]);
	t.deepEqual((await sql.all("SELECT device, deleted FROM snapshots ORDER BY device, time_ms")).map((row) => row.deleted), [NOW, NOW, null, NOW, null, null]);
	t.regex(cloud.ctx.metrics.render(), /ivxs_retention_deleted_total\{kind="segments",reason="age"\} 3/);
	t.deepEqual(await runRetention(cloud.ctx, NOW + 1000), { segments: 0, files: 0, snapshots: 0, events: 0, gaps: 0 }, "nothing twice");

	// Still readable for the grace (the larger of deleteGraceS and a URL's lifetime), then gone.
	t.is(await sweepTombstones(cloud.ctx, NOW + 599_000), 0);
	t.deepEqual(await exists(cloud, [...cam1, ...cam2, ...snaps1, ...snaps2]), Array(12).fill(true));
	t.is(await sweepTombstones(cloud.ctx, NOW + 600_000), 6);
	t.deepEqual(await exists(cloud, cam1), [false, false, true]);
	t.deepEqual(await exists(cloud, cam2), [false, true, true]);
	t.deepEqual(await exists(cloud, snaps1), [false, false, true]);
	t.deepEqual(await exists(cloud, snaps2), [false, true, true]);
	t.regex(cloud.ctx.metrics.render(), /ivxs_objects_deleted_total 6/);
});

test("a recording file goes only when all its segments have", async (t) => {
	const cloud = await bareCloud(t, { fileMinutes: 60, deleteGraceS: 0, urlLifetimeS: 10 });
	const { db } = cloud.ctx.sql;
	const media = fmp4({ seconds: 6 });
	// An hour-long window whose first half is older than 7 days at `now`.
	const now = NOW + 30 * 60_000;
	const start = now - 7 * day - 30 * 60_000;
	await addStream(cloud, { device: "cam1", init: media.init, epochMs: start, ended: start + 3600_000 });
	for (const [seq, fragment] of media.fragments.entries())
		await addSegment(cloud, { device: "cam1", seq, startMs: start + seq * 10 * 60_000, endMs: start + seq * 10 * 60_000 + 1000, bytes: fragment.bytes });
	t.is(await assembleClosed(cloud.ctx, { clock: () => start + day }), 1);
	const [file] = await listFiles(cloud.ctx.sql, "cam1", 0, 0, now);
	await sweepTombstones(cloud.ctx, now); // the segment objects, now inside the file

	t.deepEqual(await runRetention(cloud.ctx, now), { segments: 3, files: 0, snapshots: 0, events: 0, gaps: 0 }, "segments at 0, 10, 20 min are older than 7 days");
	t.is(await sweepTombstones(cloud.ctx, now + 60_000), 0, "the file object is still read by its live segments");
	t.truthy(await cloud.ctx.store.head(file.key));
	t.is((await listFiles(cloud.ctx.sql, "cam1", 0, 0, now)).length, 1);

	t.deepEqual(await runRetention(cloud.ctx, now + 3600_000), { segments: 3, files: 1, snapshots: 0, events: 0, gaps: 0 });
	t.deepEqual(await listFiles(cloud.ctx.sql, "cam1", 0, 0, now), []);
	t.truthy(await cloud.ctx.store.head(file.key), "within the grace");
	t.is(await sweepTombstones(cloud.ctx, now + 3600_000 + 10_000), 1);
	t.is(await cloud.ctx.store.head(file.key), undefined);
	t.is((await usageOf(cloud.ctx, cloud.ctx.sql)).live, 0);
});

for (const metadata of engines) test(onEngine(metadata, "by the size cap: the device keeping the most bytes loses its oldest first, a whole file at a time, snapshots too"), async (t) => {
	const cloud = await bareCloud(t, { fileMinutes: 1, maxTotalBytes: 5000, deleteGraceS: 0, urlLifetimeS: 10, metadata });
	const media = fmp4({ seconds: 6 });
	// An old file of cam1 (fresh enough for the age rule), then cam2's loose segments and snapshots.
	const old = NOW - 3 * day;
	await addStream(cloud, { device: "cam1", init: media.init, epochMs: old, ended: old + 10_000 });
	for (const [seq, fragment] of media.fragments.slice(0, 3).entries()) await addSegment(cloud, { device: "cam1", seq, startMs: old + seq * 1000, endMs: old + seq * 1000 + 1000, bytes: fragment.bytes });
	t.is(await assembleClosed(cloud.ctx, { clock: () => old + day }), 1);
	await sweepTombstones(cloud.ctx, NOW); // the segment objects, now inside the file
	const [file] = await listFiles(cloud.ctx.sql, "cam1", 0, 0, NOW);
	t.true(file.bytes > 6500);
	const cam2 = await addSegments(cloud, "cam2", "s1", [NOW - 2 * day, NOW - day, NOW - 1000], 2000);
	const snap = await addSnapshot(cloud, "cam2", NOW - 1.5 * day, 500);
	t.is((await usageOf(cloud.ctx, cloud.ctx.sql)).live, file.bytes + 6000 + 500);
	// Counted: the live rows and the largest window still to assemble (one 2000-byte segment).
	t.is((await usageOf(cloud.ctx, cloud.ctx.sql)).counted, file.bytes + 6500 + 2000);

	// Over by file + 3500: cam1 keeps the most, its file goes (whole); then cam2's oldest:
	// the segment of 2 days ago (2000), the snapshot (500), the segment of a day ago (2000).
	t.deepEqual(await runRetention(cloud.ctx, NOW), { segments: 5, files: 1, snapshots: 1, events: 0, gaps: 0 });
	t.is((await usageOf(cloud.ctx, cloud.ctx.sql)).live, 2000);
	t.deepEqual((await cloud.ctx.sql.all("SELECT seq FROM segments WHERE device = 'cam2' AND deleted IS NULL ORDER BY seq")).map((row) => row.seq), [2]);
	t.regex(cloud.ctx.metrics.render(), /ivxs_retention_deleted_total\{kind="files",reason="size"\} 1/);
	// What they held is pending deletion (grace 10 s) and counts: a smaller cap cuts their grace, live rows stay.
	t.is((await usageOf(cloud.ctx, cloud.ctx.sql)).counted, 2000 + file.bytes + 4500 + 2000);
	cloud.config.maxTotalBytes = 4500;
	t.deepEqual(await runRetention(cloud.ctx, NOW), { segments: 0, files: 0, snapshots: 0, events: 0, gaps: 0 });
	t.is(await sweepTombstones(cloud.ctx, NOW), 4, "due now, not in 10 s");
	t.deepEqual(await exists(cloud, [file.key, ...cam2, snap]), [false, false, false, true, false]);
	t.is((await usageOf(cloud.ctx, cloud.ctx.sql)).counted, 4000);
});

for (const metadata of engines) test(onEngine(metadata, "by the size cap, fairly: a camera stamping its segments in the future cannot evict another's history"), async (t) => {
	const cloud = await bareCloud(t, { fileMinutes: 1, maxTotalBytes: 8000, deleteGraceS: 0, urlLifetimeS: 10, metadata });
	const small = await addSegments(cloud, "small", "s1", [NOW - 3 * day, NOW - 2 * day, NOW - day]);
	// Ten segments a month ahead: the age rule never takes them.
	const hog = await addSegments(cloud, "hog", "s1", Array.from({ length: 10 }, (_, i) => NOW + 30 * day + i * 60_000));
	t.is((await usageOf(cloud.ctx, cloud.ctx.sql)).counted, 13_000 + 1000);
	t.deepEqual(await runRetention(cloud.ctx, NOW), { segments: 6, files: 0, snapshots: 0, events: 0, gaps: 0 });
	t.deepEqual(await cloud.ctx.sql.all("SELECT device, COUNT(*) AS n FROM segments WHERE deleted IS NULL GROUP BY device ORDER BY device"),
		[{ device: "hog", n: 4 }, { device: "small", n: 3 }]);
	await sweepTombstones(cloud.ctx, NOW + 10_000);
	t.deepEqual(await exists(cloud, small), [true, true, true]);
	t.deepEqual(await exists(cloud, hog), [...Array(6).fill(false), ...Array(4).fill(true)], "the hog's oldest first");
});

test("objects pending deletion count against the cap: their grace is cut short before any live recording goes", async (t) => {
	const cloud = await bareCloud(t, { fileMinutes: 1, deleteGraceS: 600, urlLifetimeS: 60 });
	const { db } = cloud.ctx.sql;
	const aged = await addSegments(cloud, "cam1", "s1", [NOW - 9 * day, NOW - 8 * day]);
	const fresh = await addSegments(cloud, "cam1", "s2", [NOW - 180_000, NOW - 120_000, NOW - 60_000]); // one a window
	t.like(await runRetention(cloud.ctx, NOW), { segments: 2 });
	t.is((await usageOf(cloud.ctx, cloud.ctx.sql)).live, 3000);
	t.is((await usageOf(cloud.ctx, cloud.ctx.sql)).counted, 3000 + 2000 + 1000, "live, pending deletion, the next assembly");
	cloud.config.maxTotalBytes = 4500;
	t.like(await runRetention(cloud.ctx, NOW + 1000), { segments: 0 });
	t.is(await sweepTombstones(cloud.ctx, NOW + 1000), 2, "the aged-out objects go now, not after 600 s");
	t.deepEqual(await exists(cloud, [...aged, ...fresh]), [false, false, true, true, true]);
	t.is((await usageOf(cloud.ctx, cloud.ctx.sql)).counted, 4000);
	t.regex(cloud.ctx.metrics.render(), /ivxs_retention_grace_cut_bytes_total\{reason="size"\} 1500/);
});

for (const metadata of engines) test(onEngine(metadata, "events and gaps follow the device's retention"), async (t) => {
	const cloud = await bareCloud(t, { metadata });
	const { sql } = cloud.ctx;
	await sql.run("INSERT INTO plans (device, plan, rev, updated) VALUES ('cam1', ?, 1, 0)", [JSON.stringify({ v: 1, mode: "continuous", retentionDays: 1 })]);
	for (const device of ["cam1", "cam2"]) {
		for (const [i, age] of [8 * day, 2 * day, day / 2].entries()) {
			await sql.run("INSERT INTO events (device, channel, id, time_ms, bits, received) VALUES (?, 0, ?, ?, 1, ?)", [device, `e${i}`, NOW - age, NOW - age]);
			await sql.run("INSERT INTO gaps (device, channel, from_ms, to_ms, frames, reason, received) VALUES (?, 0, ?, ?, 1, 'restart', ?)", [device, NOW - age - 1000, NOW - age, NOW - age]);
		}
	}
	// cam1 keeps 1 day, cam2 7 (no plan); a gap goes when its end is past the retention.
	t.deepEqual(await runRetention(cloud.ctx, NOW), { segments: 0, files: 0, snapshots: 0, events: 3, gaps: 3 });
	t.deepEqual(await sql.all("SELECT device, id FROM events ORDER BY device, id"), [{ device: "cam1", id: "e2" }, { device: "cam2", id: "e1" }, { device: "cam2", id: "e2" }]);
	t.deepEqual(await sql.all("SELECT device, to_ms FROM gaps ORDER BY device, to_ms"), [
		{ device: "cam1", to_ms: NOW - day / 2 }, { device: "cam2", to_ms: NOW - 2 * day }, { device: "cam2", to_ms: NOW - day / 2 },
	]);
	t.regex(cloud.ctx.metrics.render(), /ivxs_retention_deleted_total\{kind="events",reason="age"\} 3/);
});

test("a read in progress is not cut when its object is deleted", async (t) => {
	const cloud = await bareCloud(t, { deleteGraceS: 0, urlLifetimeS: 10 });
	const [key] = await addSegments(cloud, "cam1", "s1", [NOW - 30 * day], 4 << 20);
	const body = await cloud.ctx.store.get(key);
	const reading = await cloud.ctx.store.getStream(key);
	t.deepEqual(await runRetention(cloud.ctx, NOW), { segments: 1, files: 0, snapshots: 0, events: 0, gaps: 0 });
	t.is(await sweepTombstones(cloud.ctx, NOW + 10_000), 1);
	t.is(await cloud.ctx.store.head(key), undefined);
	t.true((await readAll(reading)).equals(body));
});

test("rows of deleted recordings are forgotten a day after their grace, live ones never", async (t) => {
	const cloud = await bareCloud(t, { deleteGraceS: 600, urlLifetimeS: 60 });
	const { db } = cloud.ctx.sql;
	otherTables(db);
	await addSegments(cloud, "cam1", "s1", [NOW - 30 * day, NOW - day]);
	await addSnapshot(cloud, "cam1", NOW - 30 * day);
	t.like(await runRetention(cloud.ctx, NOW), { segments: 1, snapshots: 1 });
	t.is(await purgeDeletedRows(cloud.ctx, NOW + day + 599_000), 0, "not yet");
	t.is(await purgeDeletedRows(cloud.ctx, NOW + day + 600_000), 2);
	t.deepEqual(db.prepare("SELECT seq, deleted FROM segments").all(), [{ seq: 1, deleted: null }]);
	t.is(db.prepare("SELECT COUNT(*) AS n FROM snapshots").get().n, 0);
	t.is(await purgeDeletedRows(cloud.ctx, NOW + 100 * day), 0);
});

test("the upkeep's statements on segments, snapshots, events and gaps search indexes, never scan the history", async (t) => {
	const cloud = await bareCloud(t, { fileMinutes: 1, maxTotalBytes: 1, deleteGraceS: 0, urlLifetimeS: 10 });
	const { db } = cloud.ctx.sql;
	otherTables(db);
	cloud.ctx.config.maxTotalBytes = 1;
	retention.install(cloud.ctx); // the snapshots indexes, now that its table is there
	const statements = new Set();
	const prepare = db.prepare.bind(db);
	db.prepare = (sql) => (statements.add(sql), prepare(sql));
	const media = fmp4({ seconds: 6 });
	await addStream(cloud, { device: "cam1", init: media.init, epochMs: NOW, ended: NOW + 10_000 });
	for (const [seq, fragment] of media.fragments.entries()) await addSegment(cloud, { device: "cam1", seq, startMs: NOW + seq * 1000, endMs: NOW + seq * 1000 + 1000, bytes: fragment.bytes });
	await addSnapshot(cloud, "cam1", NOW);
	db.prepare("INSERT INTO events (device, channel, id, time_ms, bits, received) VALUES ('cam1', 0, 'e1', ?, 1, ?)").run(NOW, NOW);
	db.prepare("INSERT INTO gaps (device, channel, from_ms, to_ms, frames, reason, received) VALUES ('cam1', 0, ?, ?, 1, 'restart', ?)").run(NOW, NOW, NOW);
	statements.clear();
	t.is(await assembleClosed(cloud.ctx, { clock: () => NOW + 60 * 60_000 }), 1);
	t.like(await runRetention(cloud.ctx, NOW + 30 * day), { segments: 6, files: 1, snapshots: 1, events: 1, gaps: 1 });
	t.true(await sweepTombstones(cloud.ctx, NOW + 31 * day) > 0);
	t.true(await purgeDeletedRows(cloud.ctx, NOW + 40 * day) > 0);
	(await usageOf(cloud.ctx, cloud.ctx.sql));
	let checked = 0;
	for (const sql of statements) {
		if (!/\b(segments|snapshots|events|gaps)\b/.test(sql)) continue;
		// The one pass it takes on purpose: the live snapshots' bytes, for the stored-bytes total.
		if (/^SELECT device, SUM\(bytes\) AS n FROM snapshots/.test(sql)) continue;
		const plan = prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...Array((sql.match(/\?/g) ?? []).length).fill(0)).map((row) => row.detail);
		// Tables and their aliases in these statements: segments (s, x), snapshots.
		for (const step of plan.filter((detail) => /^(SCAN|SEARCH) (segments|snapshots|events|gaps|s|x)\b/.test(detail))) {
			t.regex(step, /^SEARCH /, `${sql}\n${plan.join("\n")}`);
			t.notRegex(step, /segments_time/, `a whole channel's history: ${sql}`);
		}
		checked++;
	}
	t.true(checked >= 10, `${checked} statements`);
});

test("only the lease holder runs retention", async (t) => {
	const cloud = await bareCloud(t);
	await addSegments(cloud, "cam1", "s1", [NOW - 30 * day]);
	t.true(await holdLease(cloud.ctx.sql, "storage", "another-instance", NOW, 60_000));
	t.is(await runRetention(cloud.ctx, NOW), undefined);
	t.is(live(cloud.ctx.sql.db, "segments"), 1);
	t.deepEqual(await runRetention(cloud.ctx, NOW + 60_000), { segments: 1, files: 0, snapshots: 0, events: 0, gaps: 0 });
});
