// Objects no row owns (issue 16 §3): a crash between an object's put and its
// row's commit leaves bytes that nothing reads or deletes. The sweep
// (retention/orphans.ts) deletes them once older than ORPHAN_GRACE_S, and only
// them: a stream's init object, segments, recording files and pictures (event
// pictures are snapshots) with rows stay, as do objects queued for deletion,
// objects still within the grace (an upload in flight), and keys it does not
// know (releases/). On both engines, with the disk store and S3 (s3rver).
import test from "ava";
import { cloudFor, deviceIn, engines, onEngine } from "./_cloud.mjs";
import { s3For } from "./_s3.mjs";
import { jpeg } from "./_media.mjs";
import { packageStream } from "../../build/node/cloud/sim/packager.js";
import { Uploader } from "../../build/node/cloud/sim/uploader.js";
import { sweepOrphans } from "../../build/node/cloud/src/retention/orphans.js";
import { tombstone } from "../../build/node/cloud/src/storage/tombstones.js";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const keysOf = async (store) => {
	const keys = [];
	for await (const info of store.list("")) if (!info.key.startsWith("tmp/")) keys.push(info.key);
	return keys.sort();
};

for (const metadata of engines) for (const storage of ["disk", "s3"]) test(onEngine(metadata, `${storage}: objects no row owns are deleted after the grace, a bounded number per pass; owned, queued, young and unknown objects stay`), async (t) => {
	const s3 = storage === "s3" ? await s3For(t, `ivxs-orphans-${metadata}`) : undefined;
	const cloud = await cloudFor(t, { metadata, orphanGraceS: 2, ...(s3 ? { storage: s3.storage } : {}) });
	const { store, sql } = cloud.ctx;
	// Owned: a stream's init and two segments (ingest), a picture (with its row).
	const device = await deviceIn(cloud, "cam-o");
	const uploader = new Uploader({ cloud: cloud.url, device: device.id, secret: device.secret });
	t.teardown(() => uploader.close());
	const media = packageStream({ seconds: 2 });
	t.is((await uploader.putInit("a", media.init, Date.now() - 10_000)).status, 201);
	for (const seq of [0, 1]) {
		const stream = uploader.streamSegment("a", seq);
		stream.write(Buffer.concat(media.segments[seq].fragments.map((f) => f.bytes)));
		t.is((await stream.end()).status, 201);
	}
	t.is((await uploader.putSnapshot(Date.now() - 5000, jpeg("320x240", 0))).status, 201);
	const owned = await keysOf(store);
	t.is(owned.length, 4, owned.join(" "));
	// Orphans: what a crash between put and commit leaves, one of each kind.
	const orphans = ["media/cam-o/0/a/7.m4s", "media/cam-o/0/gone/init.mp4", "media/cam-o/0/gone/0.m4s", "files/cam-o/0/cam-o-0_20261122T120000Z_20261122T133000Z.mp4", "snapshots/cam-o/0/1763812800000.jpg"];
	// Not the sweep's: queued for deletion (its own sweep, later), and a kind it does not know.
	const queued = "media/cam-o/0/a/9.m4s", unknown = "releases/9.9.9.ivxs";
	for (const key of [...orphans, queued, unknown]) await store.put(key, Buffer.from(`bytes of ${key}`));
	await tombstone(sql, queued, Date.now() + 3_600_000, 20);
	// Within the grace nothing goes.
	t.like(await sweepOrphans(cloud.ctx), { deleted: 0, wrapped: true });
	await sleep(2500);
	// Put after the wait: still within the grace (an upload in flight).
	const young = "media/cam-o/0/a/8.m4s";
	await store.put(young, Buffer.from("in flight"));
	const all = await keysOf(store);
	// Passes of 3 objects walk the whole store in order, then start over.
	let checked = 0, deleted = 0, passes = 0;
	for (;;) {
		const pass = await sweepOrphans(cloud.ctx, Date.now(), 3);
		t.true(pass.checked <= 3);
		checked += pass.checked;
		deleted += pass.deleted;
		passes++;
		if (pass.wrapped) break;
	}
	t.is(checked, all.length, "each object looked at once in a round");
	t.true(passes >= Math.ceil(all.length / 3));
	t.is(deleted, orphans.length);
	t.deepEqual(await keysOf(store), [...owned, queued, unknown, young].sort());
	t.regex(await (await fetch(`${cloud.url}/metrics`)).text(), new RegExp(`ivxs_orphans_deleted_total ${orphans.length}`));
	// The owned objects still play: the segment rows read their bytes.
	t.deepEqual(await sql.all("SELECT seq FROM segments WHERE device = ? ORDER BY seq", ["cam-o"]).then((rows) => rows.map((r) => Number(r.seq))), [0, 1]);
});
