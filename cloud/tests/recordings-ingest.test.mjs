// The whole path on both stores: the simulated camera ingests through the
// real protocol, the service's own periodic job assembles the recording into
// files, and what a player reads (segments at key/offset) is byte for byte
// what was ingested; the files play with every frame (ffprobe).
import test from "ava";
import { cloudFor, deviceIn } from "./_cloud.mjs";
import { s3For } from "./_s3.mjs";
import { storedStream, countFrames } from "./_ingest.mjs";
import { Camera } from "../../build/node/cloud/sim/camera.js";
import { listFiles } from "../../build/node/cloud/src/recordings/files.js";
import { assembleEveryMs } from "../../build/node/cloud/src/recordings/index.js";

for (const kind of ["disk", "s3"]) {
	test(`${kind}: a camera's recording, ingested, becomes files that play and serve the same bytes`, async (t) => {
		const storage = kind === "s3" ? (await s3For(t, "ivxs-ingest")).storage : undefined;
		const cloud = await cloudFor(t, { fileMinutes: 1, ...(storage && { storage }) });
		t.is(cloud.ctx.store.kind, kind);
		const device = deviceIn(cloud);
		const camera = new Camera({ cloud: cloud.url, device: device.id, secret: device.secret, seconds: 8, speed: 0 });
		const stats = await camera.run();
		t.like(stats, { segments: 8, stored: 8, refused: 0 });
		const before = await storedStream(cloud, device.id, 0, stats.stream);

		// The stream has ended: its windows are closed, and the job takes them within a period or two.
		const unassembled = () => cloud.ctx.db.prepare("SELECT COUNT(*) AS n FROM segments WHERE device = ? AND file_id IS NULL").get(device.id).n;
		const deadline = Date.now() + 4 * assembleEveryMs;
		while (unassembled() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
		t.is(unassembled(), 0);

		const files = listFiles(cloud.ctx.db, device.id, 0, 0, Number.MAX_SAFE_INTEGER);
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
