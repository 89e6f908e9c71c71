// The ObjectStore contract, run against both stores: local disk and S3
// (a real S3 protocol server, s3rver, started per test).
import test from "ava";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { DiskStore } from "../../build/node/cloud/src/storage/disk.js";
import { S3Store } from "../../build/node/cloud/src/storage/s3.js";
import { NotFoundError, minPartBytes } from "../../build/node/cloud/src/storage/object-store.js";
import { loadConfig } from "../../build/node/cloud/src/config.js";
import { s3For } from "./_s3.mjs";
import { cloudFor } from "./_cloud.mjs";

const stores = {
	async disk(t) {
		const dir = mkdtempSync(join(tmpdir(), "ivxs-store-"));
		t.teardown(() => rmSync(dir, { recursive: true, force: true }));
		const store = new DiskStore(dir);
		await store.init();
		return { store, dir };
	},
	async s3(t) {
		const s3 = await s3For(t, `contract-${randomBytes(3).toString("hex")}`);
		// A tiny page size, so every listing below crosses several ListObjectsV2 pages.
		const store = new S3Store(s3.storage, { pageSize: 2 });
		await store.init(); // creates the missing bucket
		await store.init(); // and is fine when it exists
		t.teardown(() => store.close());
		return { store, dir: s3.directory };
	},
};

const keys = async (store, prefix) => {
	const found = [];
	for await (const info of store.list(prefix)) found.push(info.key);
	return found.sort();
};

const readAll = async (stream) => {
	const chunks = [];
	for await (const chunk of stream) chunks.push(chunk);
	return Buffer.concat(chunks);
};

for (const [kind, open] of Object.entries(stores)) {
	test(`${kind}: put, get, head, overwrite and delete`, async (t) => {
		const { store } = await open(t);
		t.is(store.kind, kind);
		const body = randomBytes(1000);
		await store.put("media/cam1/0/s1/1.m4s", body);
		t.deepEqual(await store.get("media/cam1/0/s1/1.m4s"), body);
		const info = await store.head("media/cam1/0/s1/1.m4s");
		t.is(info.size, 1000);
		t.true(info.modified instanceof Date);
		const other = randomBytes(10);
		await store.put("media/cam1/0/s1/1.m4s", other);
		t.deepEqual(await store.get("media/cam1/0/s1/1.m4s"), other);
		await store.put("empty", Buffer.alloc(0));
		t.is((await store.get("empty")).length, 0);
		await store.delete("media/cam1/0/s1/1.m4s");
		t.is(await store.head("media/cam1/0/s1/1.m4s"), undefined);
		await t.throwsAsync(store.get("media/cam1/0/s1/1.m4s"), { instanceOf: NotFoundError });
		await t.throwsAsync(store.getStream("nothing/here"), { instanceOf: NotFoundError });
		await t.notThrowsAsync(store.delete("nothing/here"));
	});

	test(`${kind}: ranged get and getStream`, async (t) => {
		const { store } = await open(t);
		const body = randomBytes(4096);
		await store.put("a/b", body);
		t.deepEqual(await store.get("a/b", { start: 10, end: 19 }), body.subarray(10, 20));
		t.deepEqual(await store.get("a/b", { start: 4095, end: 4095 }), body.subarray(4095));
		t.deepEqual(await readAll(await store.getStream("a/b")), body);
		t.deepEqual(await readAll(await store.getStream("a/b", { start: 100, end: 2099 })), body.subarray(100, 2100));
	});

	test(`${kind}: concurrent reads and writes do not disturb each other`, async (t) => {
		const { store } = await open(t);
		const body = randomBytes(64 * 1024);
		await store.put("x/y", body);
		await Promise.all(Array.from({ length: 100 }, async (_, i) => {
			await store.put(`p/${i}`, body);
			t.deepEqual(await store.get("x/y", { start: i, end: i + 999 }), body.subarray(i, i + 1000));
			t.deepEqual(await store.get(`p/${i}`), body);
		}));
	});

	test(`${kind}: list by prefix, across pages`, async (t) => {
		const { store } = await open(t);
		const under = ["a/1", "a/2", "a/3/x", "a/3/y", "a/4"];
		for (const key of [...under, "ab/1", "b/1", "b/2"]) await store.put(key, Buffer.from(key));
		t.deepEqual(await keys(store, "a/"), under);
		t.deepEqual(await keys(store, "a/3/"), ["a/3/x", "a/3/y"]);
		t.deepEqual(await keys(store, "a"), [...under, "ab/1"]);
		t.is((await keys(store, "")).length, 8);
		t.deepEqual(await keys(store, "c/"), []);
		for await (const info of store.list("b/")) t.is(info.size, 3);
	});

	test(`${kind}: list walks in key order and resumes after a key (a folder's keys go on with "/")`, async (t) => {
		const { store } = await open(t);
		// "a-b" sorts before "a/…" (S3 lists in UTF-8 key order); s3rver, the tests' S3, walks its
		// folders instead and lists it after them, so it is the disk store's case only.
		const all = [...(kind === "disk" ? ["a-b"] : []), "a/3/x", "a/3/y", "a/4", "a0", "b/1"];
		for (const key of [...all].reverse()) await store.put(key, Buffer.from(key));
		const walk = async (startAfter) => {
			const found = [];
			for await (const info of store.list("", startAfter)) if (!info.key.startsWith("tmp/")) found.push(info.key);
			return found;
		};
		t.deepEqual(await walk(), all);
		for (const [i, key] of all.entries()) t.deepEqual(await walk(key), all.slice(i + 1), `after ${key}`);
		t.deepEqual(await walk("a/3"), all.slice(all.indexOf("a/3/x")));
		t.deepEqual(await walk("a/3/z"), all.slice(all.indexOf("a/4")));
	});

	test(`${kind}: multipart is invisible until complete, then whole`, async (t) => {
		const { store } = await open(t);
		const parts = [randomBytes(minPartBytes), randomBytes(minPartBytes + 7), randomBytes(1234)];
		const upload = await store.createMultipart("files/cam1/0/x.mp4");
		t.is(upload.key, "files/cam1/0/x.mp4");
		// Out of order on purpose: the object is assembled by part number.
		await upload.uploadPart(2, parts[1]);
		await upload.uploadPart(1, parts[0]);
		await upload.uploadPart(3, parts[2]);
		t.is(await store.head("files/cam1/0/x.mp4"), undefined);
		t.deepEqual(await keys(store, "files/"), []);
		await upload.complete();
		const whole = Buffer.concat(parts);
		t.is((await store.head("files/cam1/0/x.mp4")).size, whole.length);
		// Buffer.equals: ava's deep comparison of 10 MiB is slow.
		t.true((await store.get("files/cam1/0/x.mp4")).equals(whole));
		// A range across the boundary of parts 1 and 2.
		t.deepEqual(await store.get("files/cam1/0/x.mp4", { start: minPartBytes - 5, end: minPartBytes + 4 }), whole.subarray(minPartBytes - 5, minPartBytes + 5));
		t.deepEqual(await keys(store, "files/"), ["files/cam1/0/x.mp4"]);
	});

	test(`${kind}: multipart refuses parts S3 would refuse`, async (t) => {
		const { store } = await open(t);
		const upload = await store.createMultipart("files/small.mp4");
		await upload.uploadPart(1, randomBytes(minPartBytes - 1));
		await upload.uploadPart(2, randomBytes(10));
		await t.throwsAsync(upload.complete(), { message: /part 1 has 5242879 bytes/ });
		await t.throwsAsync(upload.uploadPart(0, Buffer.alloc(1)), { instanceOf: RangeError });
		await t.throwsAsync(upload.uploadPart(10001, Buffer.alloc(1)), { instanceOf: RangeError });
		await upload.abort();
		t.is(await store.head("files/small.mp4"), undefined);
		const empty = await store.createMultipart("files/empty.mp4");
		await t.throwsAsync(empty.complete(), { message: /no parts/ });
		await empty.abort();
		t.deepEqual(await keys(store, ""), []);
	});

	test(`${kind}: an aborted multipart upload leaves nothing`, async (t) => {
		const { store, dir } = await open(t);
		const upload = await store.createMultipart("files/gone.mp4");
		await upload.uploadPart(1, randomBytes(minPartBytes));
		await upload.uploadPart(2, randomBytes(100));
		await upload.abort();
		t.is(await store.head("files/gone.mp4"), undefined);
		await t.throwsAsync(store.get("files/gone.mp4"), { instanceOf: NotFoundError });
		t.deepEqual(await keys(store, ""), []);
		if (kind === "disk") t.deepEqual(readdirSync(join(dir, "tmp")), []);
	});

	test(`${kind}: keys with path tricks are refused before anything is touched`, async (t) => {
		const { store } = await open(t);
		const bad = ["../x", "a/../../x", "/etc/passwd", "a//b", "a/./b", "", "a\\b", "a b", "%2e%2e/x", "a/..", ".hidden", "a/b/", "x".repeat(2000), "a/\u00e9"];
		for (const key of bad) {
			await t.throwsAsync(store.put(key, Buffer.from("x")), { message: /unsafe object key/ }, key);
			await t.throwsAsync(store.get(key), { message: /unsafe object key/ }, key);
			await t.throwsAsync(store.getStream(key), { message: /unsafe object key/ }, key);
			await t.throwsAsync(store.head(key), { message: /unsafe object key/ }, key);
			await t.throwsAsync(store.delete(key), { message: /unsafe object key/ }, key);
			await t.throwsAsync(store.createMultipart(key), { message: /unsafe object key/ }, key);
		}
		t.deepEqual(await keys(store, ""), []);
	});

	test(`${kind}: key parts may start with "-" or "_" (stream ids may)`, async (t) => {
		const { store } = await open(t);
		for (const key of ["media/cam/0/-/0.m4s", "media/cam/0/_s/init.mp4", "media/cam/0/--x_/1.m4s"]) {
			await store.put(key, Buffer.from(key));
			t.is((await store.get(key)).toString(), key);
		}
		// One folder at a time: s3rver pages such keys out of S3's order (a page of 2 repeats keys; S3 itself sorts by bytes).
		t.deepEqual(await keys(store, "media/cam/0/-/"), ["media/cam/0/-/0.m4s"]);
		t.deepEqual(await keys(store, "media/cam/0/_s/"), ["media/cam/0/_s/init.mp4"]);
	});

	test(`${kind}: presigned GET`, async (t) => {
		const { store } = await open(t);
		const body = randomBytes(300);
		await store.put("snapshots/cam1/0/1.jpg", body);
		const url = await store.presignGet("snapshots/cam1/0/1.jpg", 60);
		if (kind === "disk") {
			t.is(url, undefined);
			return;
		}
		t.regex(url, /X-Amz-Expires=60/);
		t.regex(url, /X-Amz-Signature=[0-9a-f]{64}/);
		const answer = await fetch(url);
		t.is(answer.status, 200);
		t.deepEqual(Buffer.from(await answer.arrayBuffer()), body);
	});
}

test("a cloud configured for S3 creates its bucket at start and serves from it", async (t) => {
	const s3 = await s3For(t, "ivxs-cloud");
	const cloud = await cloudFor(t, { storage: s3.storage });
	t.is(cloud.ctx.store.kind, "s3");
	await cloud.ctx.store.put("a/b", Buffer.from("hello"));
	// Seen through a second, independent client of the same bucket: it is really there.
	const other = new S3Store(s3.storage);
	t.teardown(() => other.close());
	t.is((await other.get("a/b")).toString(), "hello");
});

test("config: IVXS_CLOUD_S3_* select S3; endpoint and bucket are required", (t) => {
	const config = loadConfig({}, { IVXS_CLOUD_S3_ENDPOINT: "http://127.0.0.1:9", IVXS_CLOUD_S3_BUCKET: "b1x", IVXS_CLOUD_DATA_DIR: tmpdir() });
	t.like(config.storage, { kind: "s3", endpoint: "http://127.0.0.1:9", bucket: "b1x", forcePathStyle: true });
	t.throws(() => loadConfig({ storage: { kind: "s3" } }, {}), { message: /needs endpoint and bucket/ });
});
