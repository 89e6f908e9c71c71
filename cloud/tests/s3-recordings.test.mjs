// The recordings flow on S3 (s3rver): a cloud configured for S3 whose own
// periodic job assembles a recording over 10 MiB by multipart upload (parts
// ≥ 5 MiB but the last); the file read back from the bucket by another client
// and checked with ffprobe, segments served from inside it, then retention
// emptying the bucket. Real clock: the recording is placed in the last minute.
import test from "ava";
import { S3Store } from "../../build/node/cloud/src/storage/s3.js";
import { minPartBytes } from "../../build/node/cloud/src/storage/object-store.js";
import { assembleEveryMs } from "../../build/node/cloud/src/recordings/index.js";
import { listFiles } from "../../build/node/cloud/src/catalogue/index.js";
import { runRetention } from "../../build/node/cloud/src/retention/index.js";
import { sweepTombstones } from "../../build/node/cloud/src/retention/objects.js";
import { cloudFor } from "./_cloud.mjs";
import { s3For } from "./_s3.mjs";
import { fmp4, addStream, addSegment, probe } from "./_recordings.mjs";

const day = 86_400_000;

const keysIn = async (store, prefix) => {
	const keys = [];
	for await (const info of store.list(prefix)) keys.push(info.key);
	return keys.sort();
};

test("on S3: a recording over 10 MiB becomes one file by multipart upload, plays, and is retired by retention", async (t) => {
	const s3 = await s3For(t, "ivxs-recordings");
	const cloud = await cloudFor(t, { storage: s3.storage, fileMinutes: 1, deleteGraceS: 0, urlLifetimeS: 120 });
	const bucket = new S3Store(s3.storage); // another client of the same bucket: what is really there
	t.teardown(() => bucket.close());
	const { ctx } = cloud;

	// Incompressible 640x360: ~3 MB a fragment, one fragment (1 s) per segment.
	const media = fmp4({ seconds: 5, size: "640x360", noisy: true });
	const total = media.init.length + media.fragments.reduce((sum, f) => sum + f.bytes.length, 0);
	t.true(total > 10 * 1024 * 1024, `recording of ${total} bytes`);

	// Watch the parts go up.
	const parts = [];
	const createMultipart = ctx.store.createMultipart.bind(ctx.store);
	ctx.store.createMultipart = async (key) => {
		const upload = await createMultipart(key);
		return { ...upload, key, uploadPart: (n, body) => (parts.push({ n, bytes: body.length }), upload.uploadPart(n, body)) };
	};
	// The window of the last minute; the stream has ended, so it is closed.
	const W = Math.floor((Date.now() - 60_000) / 60_000) * 60_000;
	// The stream row last: the job sees the window only once it is all there.
	for (const [seq, fragment] of media.fragments.entries())
		await addSegment(cloud, { device: "cam1", seq, startMs: W + seq * 1000, endMs: W + (seq + 1) * 1000, bytes: fragment.bytes });
	await addStream(cloud, { device: "cam1", init: media.init, epochMs: W, ended: W + 10_000 });
	const segmentKeys = media.fragments.map((_, seq) => `media/cam1/0/s1/${seq}.m4s`);
	t.deepEqual(await keysIn(bucket, "media/cam1/0/s1/"), [...segmentKeys, "media/cam1/0/s1/init.mp4"].sort());

	// The service's own job assembles it within one period.
	const deadline = Date.now() + 4 * assembleEveryMs;
	while (!(await listFiles(ctx.sql, "cam1", 0, W, W + 60_000)).length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
	t.log(`${total} bytes in parts of ${parts.map((part) => part.bytes).join(", ")} bytes`);
	t.true(parts.length >= 2, `${parts.length} parts`);
	t.deepEqual(parts.map((part) => part.n), parts.map((_, i) => i + 1));
	for (const part of parts.slice(0, -1)) t.true(part.bytes >= minPartBytes, `part ${part.n}: ${part.bytes} bytes`);
	t.true(parts.at(-1).bytes > 0);
	t.is(parts.reduce((sum, part) => sum + part.bytes, 0), total);

	const [file] = await listFiles(ctx.sql, "cam1", 0, W, W + 60_000);
	t.truthy(file, "assembled by the periodic job");
	t.is(file.key, `files/cam1/0/${file.name}.mp4`);
	t.regex(file.name, /^cam1-0_\d{8}T\d{4}00Z_\d{8}T\d{4}00Z$/);
	t.is((await bucket.head(file.key)).size, total);
	const whole = await bucket.get(file.key);
	const probed = probe(whole);
	t.is(probed.frames, media.fragments.reduce((sum, f) => sum + f.frames, 0));
	t.is(probed.complaints, "");
	// Every segment is read from inside the file now, by a ranged GET.
	for (const row of ctx.sql.db.prepare(`SELECT seq, key, "offset", bytes FROM segments ORDER BY seq`).all()) {
		t.is(row.key, file.key);
		t.true((await bucket.get(row.key, { start: row.offset, end: row.offset + row.bytes - 1 })).equals(media.fragments[row.seq].bytes));
	}
	// And a presigned URL for it works against the bucket.
	const url = await ctx.store.presignGet(file.key, 60);
	const answer = await fetch(url, { headers: { range: `bytes=0-${media.init.length - 1}` } });
	t.is(answer.status, 206);
	t.true(Buffer.from(await answer.arrayBuffer()).equals(media.init));

	// The segment objects stay for the grace (here urlLifetimeS, 2 min), then go.
	t.is(await sweepTombstones(ctx, Date.now()), 0);
	t.deepEqual(await keysIn(bucket, "media/cam1/0/s1/"), [...segmentKeys, "media/cam1/0/s1/init.mp4"].sort());
	t.is(await sweepTombstones(ctx, Date.now() + 121_000), media.fragments.length);
	t.deepEqual(await keysIn(bucket, "media/cam1/0/s1/"), ["media/cam1/0/s1/init.mp4"]);
	t.deepEqual(await keysIn(bucket, "files/"), [file.key]);
	// (Read in-process: an HTTP keep-alive connection to the cloud outlives its stop and holds the test process.)
	await ctx.metrics.readGauges();
	const metrics = ctx.metrics.render();
	t.regex(metrics, /ivxs_files_assembled_total 1\n/);
	t.regex(metrics, new RegExp(`ivxs_stored_bytes ${total}\n`));

	// Eight days later (no plan: 7 days) the recording is retired, then its object.
	const later = Date.now() + 8 * day;
	t.deepEqual(await runRetention(ctx, later), { segments: media.fragments.length, files: 1, snapshots: 0, events: 0, gaps: 0 });
	t.deepEqual(await listFiles(ctx.sql, "cam1", 0, W, W + 60_000), []);
	t.deepEqual(await keysIn(bucket, "files/"), [file.key], "kept for the grace");
	t.is(await sweepTombstones(ctx, later + 121_000), 1);
	t.deepEqual(await keysIn(bucket, "files/"), []);
});
