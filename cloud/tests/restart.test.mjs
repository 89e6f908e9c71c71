// A cloud stopped while a camera streams into it, then started again on the
// same data folder and port: nothing half-stored is visible at any point,
// and the camera's resends complete the stream — every segment once.
import test from "ava";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import Database from "better-sqlite3";
import { join } from "node:path";
import { cloudFor, deviceIn } from "./_cloud.mjs";
import { countFrames, storedStream } from "./_ingest.mjs";
import { Camera } from "../../build/node/cloud/sim/camera.js";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every segment object on disk has its row with the same size and hash, and every row its object. */
function consistent(t, dataDir, db, device) {
	const folder = join(dataDir, "objects/media", device);
	const files = readdirSync(folder, { recursive: true }).filter((name) => name.endsWith(".m4s"));
	const rows = db.prepare("SELECT * FROM segments WHERE device = ?").all(device);
	t.is(files.length, rows.length, "one object per committed segment, no more");
	for (const row of rows) {
		const bytes = readFileSync(join(dataDir, "objects", row.key));
		t.is(bytes.length, row.bytes);
		t.is(createHash("sha256").update(bytes).digest("hex"), row.sha256);
	}
	t.deepEqual(readdirSync(join(dataDir, "tmp")).filter((name) => !name.startsWith("mp-")), [], "no temporary left-overs visible");
	return rows.length;
}

test("a cloud restarted mid-upload shows no partial object and the camera resumes", async (t) => {
	const first = await cloudFor(t, {}, { keep: true });
	const { dataDir, port } = first;
	t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
	const device = await deviceIn(first);
	const camera = new Camera({ cloud: first.url, device: device.id, secret: device.secret, seconds: 8, speed: 2, backoffMs: 250, maxAttempts: 10 });
	t.teardown(() => camera.close());
	const settled = [];
	camera.onSegment = (seq, answer) => settled.push([seq, answer?.status]);
	const running = camera.run();
	await sleep(1700); // three segments cut, the fourth streaming
	await first.stop();
	const stopped = new Database(join(dataDir, "metadata.sqlite"), { readonly: true });
	const before = consistent(t, dataDir, stopped, device.id);
	stopped.close();
	t.true(before >= 1 && before < 8, `${before} segments stored before the stop`);
	await sleep(600);
	const second = await cloudFor(t, { dataDir, port });
	const stats = await running;
	t.like(stats, { segments: 8, refused: 0 });
	t.true(stats.resent >= 1, "at least the segment cut by the stop was resent");
	t.is(stats.stored + stats.duplicates, 8);
	t.is(consistent(t, dataDir, second.ctx.sql.db, device.id), 8);
	const { segments, bytes } = await storedStream(second, device.id, 0, camera.stream);
	t.deepEqual(segments.map((s) => s.seq), [0, 1, 2, 3, 4, 5, 6, 7]);
	t.deepEqual(countFrames(bytes), { h264: stats.videoFrames, aac: stats.audioFrames });
	t.is(stats.videoFrames, 120);
});
