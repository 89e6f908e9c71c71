// Acknowledged means durable: before the camera gets its 201, the object's
// bytes, its name and every folder the put made are on the disk (fsync file,
// rename, fsync folders — watched with strace), and the metadata commits
// with synchronous=FULL.
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

test("the metadata commits with synchronous=FULL (WAL), so a committed row survives a power loss", async (t) => {
	const cloud = await bareCloud(t);
	t.is(cloud.ctx.db.pragma("journal_mode", { simple: true }), "wal");
	t.is(cloud.ctx.db.pragma("synchronous", { simple: true }), 2);
});

test("durableWrites false (benchmarks only) is the old NORMAL", async (t) => {
	const cloud = await bareCloud(t, { durableWrites: false });
	t.is(cloud.ctx.db.pragma("synchronous", { simple: true }), 1);
});
