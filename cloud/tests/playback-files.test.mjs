// Recording files for viewers: listed with signed links, downloaded whole or
// by range; and playback (list, get, HLS) still right once the recordings part
// has repointed the segments into the assembled file (key at offset).
import test from "ava";
import { cloudFor, deviceIn } from "./_cloud.mjs";
import { Camera } from "./_media.mjs";
import { signUrl } from "../../build/node/cloud/src/auth/signed-url.js";
import { assembleClosed } from "../../build/node/cloud/src/recordings/assemble.js";
import { readBoxes } from "../../build/node/cloud/src/media/boxes.js";

const admin = { user: "admin", admin: true };
const get = (cloud, path, init) => fetch(`${cloud.url}${signUrl(cloud.ctx, path, admin)}`, init);

test("an assembled file is listed and downloads whole or by range; playback reads the repointed segments", async (t) => {
	const cloud = await cloudFor(t);
	await deviceIn(cloud, "cam1");
	const epoch = Date.UTC(2025, 10, 22, 12, 0, 0);
	const camera = await new Camera(cloud, { device: "cam1", stream: "a", epoch }).start();
	const originals = [];
	for (let i = 0; i < 6; i++) {
		const row = await camera.commit();
		originals.push(await cloud.ctx.store.get(row.key));
	}
	cloud.ctx.sql.db.prepare("UPDATE streams SET ended = ? WHERE stream = 'a'").run(epoch + 6_000);
	const clipBefore = Buffer.from(await (await get(cloud, `/v1/recordings/cam1/0/get?start=${epoch}&duration=6`)).arrayBuffer());
	t.is(await assembleClosed(cloud.ctx), 1);
	const repointed = cloud.ctx.sql.db.prepare("SELECT key, \"offset\" AS offset FROM segments ORDER BY seq").all();
	t.true(repointed.every((row) => row.key.startsWith("files/") && row.key === repointed[0].key), "segments now live in the file");
	t.true(repointed[1].offset > 0);

	const files = await (await get(cloud, `/v1/recordings/cam1/0/files?start=${epoch - 3600_000}&end=${epoch + 3600_000}`)).json();
	t.is(files.length, 1);
	t.like(files[0], { start: new Date(epoch).toISOString(), segments: 6 });
	t.regex(files[0].url, /^\/v1\/recordings\/cam1\/0\/files\/[A-Za-z0-9._-]+\.mp4\?exp=/);
	const whole = await fetch(`${cloud.url}${files[0].url}`);
	t.is(whole.status, 200);
	t.is(whole.headers.get("accept-ranges"), "bytes");
	const bytes = Buffer.from(await whole.arrayBuffer());
	t.is(bytes.length, files[0].bytes);
	const part = await fetch(`${cloud.url}${files[0].url}`, { headers: { range: "bytes=100-199" } });
	t.is(part.status, 206);
	t.is(part.headers.get("content-range"), `bytes 100-199/${bytes.length}`);
	t.deepEqual(Buffer.from(await part.arrayBuffer()), bytes.subarray(100, 200));
	const tail = await fetch(`${cloud.url}${files[0].url}`, { headers: { range: "bytes=-10" } });
	t.deepEqual(Buffer.from(await tail.arrayBuffer()), bytes.subarray(-10));
	const outside = await fetch(`${cloud.url}${files[0].url}`, { headers: { range: `bytes=${bytes.length}-` } });
	t.is(outside.status, 416);
	t.is((await get(cloud, "/v1/recordings/cam1/0/files/nothing.mp4")).status, 404);
	t.is((await get(cloud, "/v1/recordings/cam1/0/files/nothing.mov")).status, 400);

	// Playback after the repointing: the same clip, the same segment bytes.
	t.deepEqual(Buffer.from(await (await get(cloud, `/v1/recordings/cam1/0/get?start=${epoch}&duration=6`)).arrayBuffer()), clipBefore);
	t.is(readBoxes(clipBefore).filter((box) => box.type === "moof").length, 6);
	for (let seq = 0; seq < 6; seq++)
		t.deepEqual(Buffer.from(await (await get(cloud, `/v1/media/cam1/0/a/${seq}.m4s`)).arrayBuffer()), originals[seq]);
});
