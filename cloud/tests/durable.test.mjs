// Acknowledged means durable: before the camera gets its 201, the object's
// bytes, its name and every folder the put made are on the disk (fsync file,
// rename, fsync folders), and so is the segment's row (the WAL fsynced) —
// watched with strace.
import test from "ava";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bareCloud } from "./_recordings.mjs";

const disk = new URL("../../build/node/cloud/src/storage/disk.js", import.meta.url).pathname;
const hasStrace = spawnSync("strace", ["-V"], { stdio: "ignore" }).status === 0;
if (!hasStrace) console.warn("durable.test.mjs: strace missing (node scripts/test-deps.mjs installs it): the fsync order is not checked");

(hasStrace ? test : test.skip)("a put fsyncs the object, renames it, then fsyncs its folder and each folder it made", (t) => {
	const dir = mkdtempSync(join(tmpdir(), "ivxs-durable-"));
	t.teardown(() => rmSync(dir, { recursive: true, force: true }));
	const trace = join(dir, "trace");
	const data = join(dir, "data");
	const script = `const { DiskStore } = await import(${JSON.stringify(disk)});
		const store = new DiskStore(${JSON.stringify(data)}); await store.init();
		await store.put("media/cam1/0/s1/0.m4s", Buffer.from("one")); await store.put("media/cam1/0/s1/1.m4s", Buffer.from("two"));`;
	const run = spawnSync("strace", ["-f", "-y", "-e", "trace=fsync,fdatasync,rename", "-o", trace, process.execPath, "--input-type=module", "-e", script], { encoding: "utf8" });
	t.is(run.status, 0, run.stderr);
	const steps = readFileSync(trace, "utf8").split("\n").map((line) => {
		const synced = /(?:fsync|fdatasync)\(\d+<([^>]+)>\)/.exec(line);
		if (synced) return `fsync ${synced[1].replace(data, "").replace(/\/tmp\/[0-9a-f]+$/, "/tmp/…")}`;
		const renamed = /rename\("[^"]+", "([^"]+)"\)/.exec(line);
		return renamed ? `rename → ${renamed[1].replace(data, "")}` : undefined;
	}).filter(Boolean);
	t.deepEqual(steps, [
		"fsync /tmp/…", "rename → /objects/media/cam1/0/s1/0.m4s",
		"fsync /objects/media/cam1/0/s1", "fsync /objects/media/cam1/0", "fsync /objects/media/cam1", "fsync /objects/media", "fsync /objects",
		// The folder is there now: only its own entry to flush.
		"fsync /tmp/…", "rename → /objects/media/cam1/0/s1/1.m4s", "fsync /objects/media/cam1/0/s1",
	]);
});

const built = (path) => JSON.stringify(new URL(`../../build/node/${path}`, import.meta.url).pathname);

(hasStrace ? test : test.skip)("a segment's 201 is sent only after its row's WAL was fsynced (after the object's rename)", (t) => {
	const dir = mkdtempSync(join(tmpdir(), "ivxs-durable-"));
	t.teardown(() => rmSync(dir, { recursive: true, force: true }));
	const trace = join(dir, "trace");
	const script = `const { loadConfig } = await import(${built("cloud/src/config.js")});
		const { startCloud } = await import(${built("cloud/src/server.js")});
		const { addDevice } = await import(${built("cloud/src/devices/registry.js")});
		const { Uploader } = await import(${built("cloud/sim/uploader.js")});
		const { packageStream } = await import(${built("cloud/sim/packager.js")});
		const { pino } = await import("pino");
		const cloud = await startCloud(loadConfig({ host: "127.0.0.1", port: 0, dataDir: ${JSON.stringify(join(dir, "data"))} }, {}), pino({ level: "silent" }));
		const device = await addDevice(cloud.ctx.sql, { id: "cam-durable" });
		const uploader = new Uploader({ cloud: cloud.url, device: device.id, secret: device.secret, maxAttempts: 1 });
		const av = packageStream({ seconds: 2 });
		if ((await uploader.putInit("s1", av.init, Date.now() - 60000)).status !== 201) throw new Error("init");
		const answer = await uploader.sendFixed("PUT", uploader.path("s1", "segments/0"), av.segments[0].bytes);
		if (answer.status !== 201) throw new Error("segment " + answer.status);
		uploader.close(); await cloud.stop(); process.exit(0);`;
	const run = spawnSync("strace", ["-f", "-y", "-s", "16", "-e", "trace=fsync,fdatasync,rename,write,writev", "-o", trace, process.execPath, "--input-type=module", "-e", script],
		{ encoding: "utf8", cwd: new URL("../..", import.meta.url).pathname });
	t.is(run.status, 0, run.stderr);
	const lines = readFileSync(trace, "utf8").split("\n");
	const renamed = lines.findIndex((line) => /rename\(.*objects\/media\/cam-durable\/0\/s1\/0\.m4s"/.test(line));
	t.true(renamed > 0, "the segment's object was renamed into place");
	const answered = lines.findIndex((line, i) => i > renamed && /HTTP\/1\.1 201/.test(line));
	t.true(answered > renamed, "then the 201 was written");
	const between = lines.slice(renamed, answered);
	t.true(between.some((line) => /fsync\(\d+<[^>]*objects\/media\/cam-durable\/0\/s1>/.test(line)), "its folder fsynced before the 201");
	t.true(between.some((line) => /fsync\(\d+<[^>]*metadata\.sqlite-wal>/.test(line)), "the WAL holding its row fsynced before the 201");
});

test("the metadata runs WAL (synchronous=NORMAL: the acknowledgements fsync the WAL themselves, grouped)", async (t) => {
	const cloud = await bareCloud(t);
	t.is(cloud.ctx.sql.db.pragma("journal_mode", { simple: true }), "wal");
	t.is(cloud.ctx.sql.db.pragma("synchronous", { simple: true }), 1);
});
