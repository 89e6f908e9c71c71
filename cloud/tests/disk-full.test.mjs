// A disk that fills, on a real small file system (a tmpfs of a few MiB, which
// the tests mount: they run as root here and in CI): a full disk is a 507 the
// camera retries, with no temporary file left, one log line each way, and
// /healthz and the metrics saying so.
import test from "ava";
import { execFileSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, statfsSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { loadConfig } from "../../build/node/cloud/src/config.js";
import { startCloud } from "../../build/node/cloud/src/server.js";
import { addDevice } from "../../build/node/cloud/src/devices/registry.js";
import { Uploader } from "../../build/node/cloud/sim/uploader.js";
import { packageStream } from "../../build/node/cloud/sim/packager.js";
import { Verdict, verdictOfAnswer } from "../../build/node/modules/protocol/verdict.js";

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

/** Fills the volume until `leave` bytes are free; returns the filler's path. */
function fill(dir, leave) {
	const path = join(dir, "filler");
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

volumeTest("a full disk: 507 with Retry-After that the camera retries, no temp file left, health and metrics say so, one log line each way", async (t) => {
	const dataDir = smallVolume(t, 6);
	const lines = [];
	const log = pino({ level: "info" }, { write: (line) => void lines.push(JSON.parse(line)) });
	// No floor: this is about what happens when the disk does fill.
	const config = loadConfig({ host: "127.0.0.1", port: 0, dataDir, minFreeBytes: 0 }, {});
	const cloud = await startCloud(config, log);
	t.teardown(() => cloud.stop());
	const device = addDevice(cloud.ctx.db, { id: "cam-full" });
	const uploader = new Uploader({ cloud: cloud.url, device: device.id, secret: device.secret, backoffMs: 50, maxAttempts: 1 });
	t.teardown(() => uploader.close());
	const av = packageStream({ seconds: 8 });
	t.is((await uploader.putInit("s1", av.init, Date.now() - 60_000)).status, 201);
	t.is((await uploader.sendFixed("PUT", uploader.path("s1", "segments/0"), av.segments[0].bytes)).status, 201);

	// Less room than a segment: every upload now fails to write (the object, or the metadata).
	const filler = fill(dataDir, 16 * 1024);
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
	t.regex(metrics, /ivxs_storage_full_refusals_total\{where="PUT \/v1\/devices\/:id\/channels\/:ch\/streams\/:stream\/segments\/:seq"\} 6/);
	t.regex(metrics, /ivxs_ingest_errors_total\{reason="507"\} 6/);
	const warnings = () => lines.filter((line) => line.level >= 40 && !/^no users yet/.test(line.msg)).map((line) => line.msg);
	t.deepEqual(warnings(), ["storage full: writes are refused (507) until space frees"], "logged once, no stack per request");

	// Room again: the camera's retry is stored, and the condition clears (logged once).
	rmSync(filler);
	for (const seq of [1, 2, 3]) t.is((await uploader.sendFixed("PUT", uploader.path("s1", `segments/${seq}`), av.segments[seq].bytes)).status, 201);
	t.like(await (await fetch(`${cloud.url}/healthz`)).json(), { ok: true });
	t.regex(await (await fetch(`${cloud.url}/metrics`)).text(), /^ivxs_storage_full 0$/m);
	t.deepEqual(warnings(), ["storage full: writes are refused (507) until space frees", "storage writable again"]);
	t.like(lines.find((line) => line.msg === "storage writable again"), { refused: 6 });
});
