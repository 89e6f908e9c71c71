// A disk that fills, on a real small file system (a tmpfs of a few MiB, which
// the tests mount: they run as root here and in CI; where mounting is
// impossible those tests are skipped, saying why, and an ENOSPC injected into
// the store stands in for the first one): a full disk is a 507 the
// camera retries, with no temporary file left, one log line each way, and
// /healthz and the metrics saying so; under the free-space floor the oldest
// data goes at once; and the case — a 20 MiB cap on a 50 MiB volume,
// deleted objects readable for an hour, 10-minute files assembled — never fills it.
import test from "ava";
import { execFileSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, statfsSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { pino } from "pino";
import { loadConfig } from "../../build/node/cloud/src/config.js";
import { startCloud } from "../../build/node/cloud/src/server.js";
import { addDevice } from "../../build/node/cloud/src/devices/registry.js";
import { Uploader } from "../../build/node/cloud/sim/uploader.js";
import { packageStream } from "../../build/node/cloud/sim/packager.js";
import { Verdict, verdictOfAnswer } from "../../build/node/modules/protocol/verdict.js";
import { keepFloor } from "../../build/node/cloud/src/retention/floor.js";
import { runRetention } from "../../build/node/cloud/src/retention/index.js";
import { sweepTombstones } from "../../build/node/cloud/src/retention/objects.js";
import { assembleClosed } from "../../build/node/cloud/src/recordings/assemble.js";
import { bareCloud, addStream, addSegment } from "./_recordings.mjs";

const mib = 1024 * 1024;

/** Why a tmpfs cannot be mounted here (not root, no mount namespace), or undefined when it can. */
const cannotMount = (() => {
	const dir = mkdtempSync(join(tmpdir(), "ivxs-mount-probe-"));
	try {
		execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir], { stdio: "pipe" });
		execFileSync("umount", [dir]);
		return undefined;
	}
	catch (error) {
		return `cannot mount a tmpfs (${String(error.stderr || error.message).trim()}): the small-volume tests need root`;
	}
	finally {
		rmSync(dir, { recursive: true, force: true });
	}
})();
const volumeTest = cannotMount ? test.serial.skip : test.serial;
if (cannotMount) console.warn(`disk-full.test.mjs: skipped: ${cannotMount}`);

/** A tmpfs of `size` MiB mounted for the test; unmounted (and gone) at its end. */
function smallVolume(t, size) {
	const dir = mkdtempSync(join(tmpdir(), "ivxs-volume-"));
	execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}m`, "tmpfs", dir]);
	t.teardown(() => {
		execFileSync("umount", ["-l", dir]);
		rmSync(dir, { recursive: true, force: true });
	});
	return dir;
}

const free = (dir) => {
	const info = statfsSync(dir);
	return info.bavail * info.bsize;
};

/** Fills the volume until `leave` bytes are free with a file `name`; returns its path. */
function fill(dir, leave, name = "filler") {
	const path = join(dir, name);
	const fd = openSync(path, "w");
	try {
		const chunk = Buffer.alloc(64 * 1024);
		while (free(dir) > leave) writeSync(fd, chunk, 0, Math.min(chunk.length, free(dir) - leave));
	}
	finally {
		closeSync(fd);
	}
	return path;
}

const filesUnder = (dir) => readdirSync(dir, { recursive: true }).map((name) => join(dir, name)).filter((path) => statSync(path).isFile());

// The real thing on a tmpfs; the same through an ENOSPC injected into the store's put, which runs
// wherever mounting cannot (and checks what does not depend on the file system).
for (const [how, onVolume] of [["on a 6 MiB tmpfs filled to the brim", true], ["with ENOSPC injected into the store's put", false]])
(onVolume ? volumeTest : test.serial)(`a full disk (${how}): 507 with Retry-After that the camera retries, no temp file left, health and metrics say so, one log line each way`, async (t) => {
	const dataDir = onVolume ? smallVolume(t, 6) : mkdtempSync(join(tmpdir(), "ivxs-full-"));
	if (!onVolume) t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
	const lines = [];
	const log = pino({ level: "info" }, { write: (line) => void lines.push(JSON.parse(line)) });
	// No floor: this is about what happens when the disk does fill.
	const config = loadConfig({ host: "127.0.0.1", port: 0, dataDir, minFreeBytes: 0 }, {});
	const cloud = await startCloud(config, log);
	t.teardown(() => cloud.stop());
	const device = await addDevice(cloud.ctx.sql, { id: "cam-full" });
	const uploader = new Uploader({ cloud: cloud.url, device: device.id, secret: device.secret, backoffMs: 50, maxAttempts: 1 });
	t.teardown(() => uploader.close());
	const av = packageStream({ seconds: 8 });
	t.is((await uploader.putInit("s1", av.init, Date.now() - 60_000)).status, 201);
	t.is((await uploader.sendFixed("PUT", uploader.path("s1", "segments/0"), av.segments[0].bytes)).status, 201);

	// Less room than a segment: every upload now fails to write (the object, or the metadata).
	const codes = async () => [...(await (await fetch(`${cloud.url}/metrics`)).text()).matchAll(/^ivxs_storage_full_refusals_total\{code="(\w+)",where="([^"]+)"\} (\d+)$/gm)]
		.map(([, code, where, n]) => ({ code, where, n: Number(n) }));
	let room;
	if (onVolume) {
		const filler = fill(dataDir, 16 * 1024);
		room = () => rmSync(filler);
	}
	else {
		const { store } = cloud.ctx;
		const put = store.put.bind(store);
		let full = true;
		store.put = (key, body) => (full ? Promise.reject(Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" })) : put(key, body));
		room = () => (full = false);
	}
	const answers = [];
	for (const seq of [1, 2, 3, 1, 2, 3]) answers.push(await uploader.sendFixed("PUT", uploader.path("s1", `segments/${seq}`), av.segments[seq].bytes));
	for (const answer of answers) {
		t.is(answer.status, 507);
		t.is(answer.headers["retry-after"], "30");
		t.regex(answer.json.error, /storage is full/);
		t.is(verdictOfAnswer(answer), Verdict.Retry, "the camera keeps the segment and sends it again");
	}
	t.deepEqual(filesUnder(join(dataDir, "tmp")), [], "no temporary file left behind");
	t.deepEqual(filesUnder(join(dataDir, "objects")).filter((path) => statSync(path).size === 0), [], "no empty object");
	const health = await fetch(`${cloud.url}/healthz`);
	t.is(health.status, 503);
	t.like(await health.json(), { ok: false, storageFull: { refused: 6 } });
	const metrics = await (await fetch(`${cloud.url}/metrics`)).text();
	t.regex(metrics, /^ivxs_storage_full 1$/m);
	// By error code (the object's ENOSPC, the metadata's SQLITE_FULL: a tmpfs this full gives both).
	const refusals = await codes();
	t.log(`refused: ${refusals.map(({ code, where, n }) => `${code} ${where}: ${n}`).join("; ")}`);
	t.is(refusals.filter(({ where }) => where === "PUT /v1/devices/:id/channels/:ch/streams/:stream/segments/:seq").reduce((sum, { n }) => sum + n, 0), 6);
	t.regex(metrics, /ivxs_ingest_errors_total\{reason="507"\} 6/);
	const started = lines.find((line) => /^storage full/.test(line.msg));
	t.log(`first refusal: ${started.code} at ${started.where}`);
	const warnings = () => lines.filter((line) => line.level >= 40 && !/^no users yet/.test(line.msg)).map((line) => line.msg);
	t.deepEqual(warnings(), ["storage full: writes are refused (507) until space frees"], "logged once, no stack per request");

	if (onVolume) {
		// Not a byte left: now the metadata cannot grow either (SQLITE_FULL) — also a 507.
		const last = fill(dataDir, 0, "last-byte");
		const answer = await uploader.sendFixed("PUT", uploader.path("s1", "segments/1"), av.segments[1].bytes);
		t.is(answer.status, 507);
		t.true((await codes()).some(({ code }) => code === "SQLITE_FULL"), "the metadata's SQLITE_FULL is a 507 too");
		rmSync(last);
	}

	// Room again: the camera's retry is stored, and the condition clears (logged once).
	room();
	for (const seq of [1, 2, 3]) t.is((await uploader.sendFixed("PUT", uploader.path("s1", `segments/${seq}`), av.segments[seq].bytes)).status, 201);
	t.like(await (await fetch(`${cloud.url}/healthz`)).json(), { ok: true });
	t.regex(await (await fetch(`${cloud.url}/metrics`)).text(), /^ivxs_storage_full 0$/m);
	t.deepEqual(warnings(), ["storage full: writes are refused (507) until space frees", "storage writable again"]);
	t.like(lines.find((line) => line.msg === "storage writable again"), { refused: onVolume ? 7 : 6 });
});

volumeTest("under the free-space floor the oldest recordings go at once, what is pending deletion first", async (t) => {
	const dataDir = smallVolume(t, 8);
	const cloud = await bareCloud(t, { dataDir, minFreeBytes: 3 * mib, deleteGraceS: 600, urlLifetimeS: 3600, fileMinutes: 1 });
	const now = Date.UTC(2026, 5, 1);
	await addStream(cloud, { device: "cam1", init: Buffer.from("init"), epochMs: now - 10 * 86_400_000 });
	const keys = [];
	// Eight days ago (aged out: pending deletion for an hour), then five fresh ones, 1 MiB each.
	for (const [seq, at] of [now - 8 * 86_400_000, ...[5, 4, 3, 2, 1].map((m) => now - m * 60_000)].entries()) {
		await addSegment(cloud, { device: "cam1", seq, startMs: at, endMs: at + 1000, bytes: randomBytes(mib) });
		keys.push(`media/cam1/0/s1/${seq}.m4s`);
	}
	t.like(await runRetention(cloud.ctx, now), { segments: 1 });
	const lines = [];
	cloud.ctx.log = pino({ level: "info" }, { write: (line) => void lines.push(JSON.parse(line).msg) });
	t.true(free(dataDir) < 3 * mib, `${free(dataDir)} bytes free`);
	t.true(await keepFloor(cloud.ctx, 0, now));
	t.true(free(dataDir) >= 3 * mib);
	// Logged once when crossed, once at the next check above it, then nothing.
	t.true(await keepFloor(cloud.ctx, 0, now + 5000));
	t.true(await keepFloor(cloud.ctx, 0, now + 10_000));
	t.deepEqual(lines, ["free space under the floor: deleting the oldest recordings now (grace cut short)", "free space back above the floor"]);
	const present = await Promise.all(keys.map(async (key) => (await cloud.ctx.store.head(key)) !== undefined));
	t.deepEqual(present, [false, false, true, true, true, true], "the pending one, then the oldest live one");
	t.regex(cloud.ctx.metrics.render(), /ivxs_retention_deleted_total\{kind="segments",reason="floor"\} 1/);
	t.regex(cloud.ctx.metrics.render(), /ivxs_storage_floor_bytes 3145728/);
});

volumeTest("a 20 MiB cap on a 50 MiB volume holds: deleted objects readable for an hour, files assembled, the disk never fills", async (t) => {
	const dataDir = smallVolume(t, 50);
	const cloud = await bareCloud(t, { dataDir, maxTotalBytes: 20 * mib, fileMinutes: 10 });
	const t0 = Date.UTC(2026, 5, 1);
	// 100 KiB every 10 s of simulated time (a 10-minute file: 6 MiB), 60 MiB in all: more than the volume.
	const segment = randomBytes(100 * 1024);
	await addStream(cloud, { device: "cam1", init: Buffer.from("init"), epochMs: t0 });
	let most = 0, mostObjects = 0;
	const used = () => statfsSync(dataDir).blocks * statfsSync(dataDir).bsize - free(dataDir);
	const objects = () => filesUnder(join(dataDir, "objects")).reduce((sum, path) => sum + statSync(path).size, 0);
	for (let seq = 0; seq < 600; seq++) {
		const now = t0 + seq * 10_000;
		await addSegment(cloud, { device: "cam1", seq, startMs: now, endMs: now + 10_000, bytes: segment });
		most = Math.max(most, used());
		mostObjects = Math.max(mostObjects, objects());
		// The periodic work, on the simulated clock: floor every 5 s, assembly and sweep every 10 s, retention every 60 s.
		await keepFloor(cloud.ctx, 0, now);
		await assembleClosed(cloud.ctx, { clock: () => now, idleMs: 60_000 });
		await sweepTombstones(cloud.ctx, now);
		if (seq % 6 === 5) await runRetention(cloud.ctx, now);
		most = Math.max(most, used());
	}
	t.log(`most used: ${(most / mib).toFixed(1)} MiB of 50, objects ${(mostObjects / mib).toFixed(1)} MiB (cap 20 MiB)`);
	// The objects stay within the cap but for a minute of ingest between two retention runs (600 KiB);
	// the metadata (SQLite and its WAL) is on the same volume, and the floor (5 %) is never crossed.
	t.true(mostObjects < 20 * mib + mib, `${mostObjects} bytes of objects at most`);
	t.true(most < 50 * mib * 0.95, `${most} bytes used at most`);
	t.true(cloud.ctx.sql.db.prepare("SELECT COUNT(*) AS n FROM files WHERE deleted IS NULL AND state = 'done'").get().n >= 1, "files were assembled");
	// The newest minutes are kept.
	t.is(cloud.ctx.sql.db.prepare("SELECT MAX(seq) AS n FROM segments WHERE deleted IS NULL").get().n, 599);
});

volumeTest("an assembly makes room above the floor before it writes its file (the window's bytes are briefly on the disk twice)", async (t) => {
	const dataDir = smallVolume(t, 12);
	const cloud = await bareCloud(t, { dataDir, minFreeBytes: 2 * mib, deleteGraceS: 600, urlLifetimeS: 3600, fileMinutes: 1 });
	const now = Date.UTC(2026, 5, 1);
	for (const [device, at] of [["cam-a", now - 2 * 86_400_000], ["cam-b", now - 10 * 60_000]]) {
		await addStream(cloud, { device, init: Buffer.from("init"), epochMs: at, ended: at + 30_000 });
		for (let seq = 0; seq < 3; seq++) await addSegment(cloud, { device, seq, startMs: at + seq * 10_000, endMs: at + seq * 10_000 + 10_000, bytes: randomBytes(mib) });
	}
	const filler = fill(dataDir, 4 * mib);
	t.teardown(() => rmSync(filler, { force: true }));
	// Each 3 MiB file needs 3 MiB above the 2 MiB floor: the first is 1 MiB short (the oldest segments of
	// each device go), then the first file's segment objects are pending: their grace is cut.
	t.is(await assembleClosed(cloud.ctx, { clock: () => now }), 2, "both files, none failed (making room took segments of the window being assembled: it reads what is left)");
	t.true(free(dataDir) >= 2 * mib, `${free(dataDir)} bytes free`);
	const metrics = cloud.ctx.metrics.render();
	t.regex(metrics, /ivxs_retention_grace_cut_bytes_total\{reason="assembly"\} [1-9]/);
	t.regex(metrics, /ivxs_retention_deleted_total\{kind="segments",reason="assembly"\} [1-9]/);
	t.notRegex(metrics, /ivxs_file_assembly_errors_total/);
	t.is(cloud.ctx.sql.db.prepare("SELECT COUNT(*) AS n FROM files WHERE state = 'done' AND deleted IS NULL").get().n, 2);
});
