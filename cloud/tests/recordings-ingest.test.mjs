// The whole path on both stores: the simulated camera ingests through the
// real protocol, the service's own periodic job assembles the recording into
// files, and what a player reads (segments at key/offset) is byte for byte
// what was ingested; the files play with every frame (ffprobe).
import test from "ava";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cloudFor, deviceIn } from "./_cloud.mjs";
import { s3For } from "./_s3.mjs";
import { storedStream, countFrames } from "./_ingest.mjs";
import { Camera } from "../../build/node/cloud/sim/camera.js";
import { listFiles } from "../../build/node/cloud/src/catalogue/index.js";
import { assembleEveryMs } from "../../build/node/cloud/src/recordings/index.js";

const waitAssembled = async (cloud, device) => {
	const unassembled = () => cloud.ctx.sql.db.prepare("SELECT COUNT(*) AS n FROM segments WHERE device = ? AND file_id IS NULL").get(device).n;
	const deadline = Date.now() + 4 * assembleEveryMs;
	while (unassembled() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
	return unassembled();
};

for (const kind of ["disk", "s3"]) {
	test(`${kind}: a camera's recording, ingested, becomes files that play and serve the same bytes`, async (t) => {
		const storage = kind === "s3" ? (await s3For(t, "ivxs-ingest")).storage : undefined;
		const cloud = await cloudFor(t, { fileMinutes: 1, ...(storage && { storage }) });
		t.is(cloud.ctx.store.kind, kind);
		const device = await deviceIn(cloud);
		const camera = new Camera({ cloud: cloud.url, device: device.id, secret: device.secret, seconds: 8, speed: 0 });
		const stats = await camera.run();
		t.like(stats, { segments: 8, stored: 8, refused: 0 });
		const before = await storedStream(cloud, device.id, 0, stats.stream);

		// The stream has ended: its windows are closed, and the job takes them within a period or two.
		t.is(await waitAssembled(cloud, device.id), 0);

		const files = await listFiles(cloud.ctx.sql, device.id, 0, 0, Number.MAX_SAFE_INTEGER);
		t.true(files.length >= 1 && files.length <= 2, `${files.length} files (8 s may straddle a minute)`);
		const frames = { h264: 0, aac: 0 };
		for (const file of files) {
			t.regex(file.name, new RegExp(`^${device.id}-0_\\d{8}T\\d{6}Z_\\d{8}T\\d{6}Z$`));
			const counted = countFrames(await cloud.ctx.store.get(file.key));
			frames.h264 += counted.h264 ?? 0;
			frames.aac += counted.aac ?? 0;
		}
		t.log(`${files.length} file(s) (${files.map((file) => `${file.name}: ${file.segments} segments`).join(", ")}): ${frames.h264} video and ${frames.aac} audio frames`);
		t.deepEqual(frames, { h264: stats.videoFrames, aac: stats.audioFrames });
		t.true(frames.h264 > 0 && frames.aac > 0);

		// Readers follow the rows into the files: the same stream, byte for byte.
		const after = await storedStream(cloud, device.id, 0, stats.stream);
		t.true(after.segments.every((segment) => files.some((file) => file.key === segment.key)));
		t.true(after.bytes.equals(before.bytes));
	});
}

test("two instances sharing the metadata and the bucket: each window is assembled once", async (t) => {
	const { storage } = await s3For(t, "ivxs-two");
	const dataDir = mkdtempSync(join(tmpdir(), "ivxs-two-"));
	const a = await cloudFor(t, { dataDir, storage, fileMinutes: 1 });
	const b = await cloudFor(t, { dataDir, storage, fileMinutes: 1 });
	t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
	const device = await deviceIn(a);
	// Two cameras' worth of streams, one through each instance.
	const streams = [];
	for (const cloud of [a, b]) {
		const stats = await new Camera({ cloud: cloud.url, device: device.id, secret: device.secret, seconds: 4, speed: 0, stream: `s-${streams.length}` }).run();
		t.like(stats, { stored: 4, refused: 0 });
		streams.push(stats);
	}
	t.is(await waitAssembled(b, device.id), 0);
	const files = await listFiles(a.ctx.sql, device.id, 0, 0, Number.MAX_SAFE_INTEGER);
	t.deepEqual(new Set(files.map((file) => file.stream)), new Set(["s-0", "s-1"]));
	t.is(files.length, new Set(files.map((file) => file.key)).size);
	t.is(a.ctx.sql.db.prepare("SELECT COUNT(*) AS n FROM files WHERE state != 'done'").get().n, 0);
	const made = (cloud) => Number(/ivxs_files_assembled_total (\d+)/.exec(cloud.ctx.metrics.render())?.[1] ?? 0);
	t.is(made(a) + made(b), files.length, "no window twice");
	t.log(`files made by a: ${made(a)}, by b: ${made(b)}`);
	let frames = 0;
	for (const file of files) frames += countFrames(await a.ctx.store.get(file.key)).h264 ?? 0;
	t.is(frames, streams.reduce((sum, stats) => sum + stats.videoFrames, 0));
});
