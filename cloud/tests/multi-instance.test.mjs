// Beyond one host (issue 16 §3): three cloud instances behind HAProxy, each with
// its own data folder, sharing the metadata, an S3 store (s3rver) and mosquitto
// (_cluster.mjs). Simulated cameras upload through the balancer while one
// instance is SIGKILLed; viewers use any instance; the upkeep (assembly,
// retention) runs once whoever holds its lease.
import test from "ava";
import { clusterFor, counterIn } from "./_cluster.mjs";
import { eventually } from "./_mqtt.mjs";
import { engines, json, onEngine } from "./_cloud.mjs";
import { addDevice } from "../../build/node/cloud/src/devices/registry.js";
import { addToken } from "../../build/node/cloud/src/users/store.js";
import { S3Store } from "../../build/node/cloud/src/storage/s3.js";
import { Camera } from "../../build/node/cloud/sim/camera.js";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** fetch on `base` as the admin (a bearer token written to the shared metadata). */
const viewerOf = async (cluster) => {
	const token = await addToken(cluster.sql, "admin");
	return (base, path, { body, ...init } = {}) => fetch(`${base}${path}`, body === undefined
		? { ...init, headers: { authorization: `Bearer ${token}` } }
		: json(body, { ...init, headers: { authorization: `Bearer ${token}` } }));
};

/**
 * Devices added as an admin does (POST /v1/devices through the balancer), which publishes each
 * one's plan retained: a camera that connects then has its plan on subscribing. (Added straight to
 * the metadata, a device got its plan only once some instance saw it come online; a camera that cut
 * its first segment before that held it back, as it must without a plan, and a run lost a segment.)
 */
const devicesOf = async (cluster, ids) => {
	const admin = await viewerOf(cluster);
	return Promise.all(ids.map(async (id) => {
		const res = await admin(cluster.url, "/v1/devices", { method: "POST", body: { id } });
		if (res.status !== 201) throw new Error(`device ${id}: ${res.status} ${await res.text()}`);
		return res.json();
	}));
};

const objectsUnder = async (s3, prefix) => {
	const store = new S3Store(s3.storage);
	const keys = [];
	for await (const info of store.list(prefix)) keys.push(info.key);
	await store.close();
	return keys.sort();
};

for (const metadata of engines) test(onEngine(metadata, "cameras upload through HAProxy; the instance holding the upkeep lease SIGKILLed mid-upload: they carry on through the others, every acknowledged segment is stored exactly once, each window assembled once by the instance that takes the lease over"), async (t) => {
	const cluster = await clusterFor(t, { instances: 3, env: { IVXS_CLOUD_FILE_MINUTES: "1" }, metadata });
	const devices = await devicesOf(cluster, Array.from({ length: 6 }, (_, i) => `cam-m${i}`));
	const acked = new Map(devices.map((d) => [d.id, []]));
	const cameras = devices.map((device) => {
		const camera = new Camera({ cloud: cluster.url, device: device.id, secret: device.secret, seconds: 14, speed: 1, mqtt: cluster.broker, backoffMs: 200 });
		camera.onSegment = (seq, answer) => {
			if (answer?.status === 201 || answer?.status === 200) acked.get(device.id).push(seq);
		};
		t.teardown(() => camera.close());
		return camera;
	});
	const running = cameras.map((camera) => camera.run());
	// Every instance takes uploads (the hash puts the six devices on all three), then one dies with uploads in flight:
	// the one holding the upkeep lease, so another must take the assembly over.
	await eventually(async () => {
		const texts = await Promise.all(cluster.instances.map((node) => node.metrics()));
		return texts.every((text) => counterIn(text, "ivxs_ingest_segments_total") >= 2) && await cluster.sql.get("SELECT holder FROM leases");
	}, 20_000);
	const { holder } = await cluster.sql.get("SELECT holder FROM leases");
	const ids = await Promise.all(cluster.instances.map(async (node) => (await (await fetch(`${node.url}/healthz`)).json()).instance));
	t.true(ids.includes(holder));
	const victim = cluster.instances[ids.indexOf(holder)];
	await victim.kill();
	const stats = await Promise.all(running);
	for (const [i, s] of stats.entries()) {
		t.is(s.refused, 0, `camera ${i}: ${JSON.stringify(s)}`);
		t.is(s.skipped, 0, `camera ${i}: no segment held back for want of a plan`);
		t.is(s.stored + s.duplicates, s.segments, `camera ${i}: every segment acknowledged: ${JSON.stringify(s)}`);
	}
	t.true(stats.reduce((n, s) => n + s.resent, 0) >= 1, "some upload was cut by the kill and resent");
	// The catalogue holds exactly what the cameras were told was stored, once each.
	for (const [i, device] of devices.entries()) {
		const rows = (await cluster.sql.all("SELECT seq FROM segments WHERE device = ? AND stream = ? ORDER BY seq", [device.id, stats[i].stream])).map((r) => r.seq);
		t.deepEqual(rows, [...acked.get(device.id)].sort((a, b) => a - b), device.id);
		t.deepEqual(rows, Array.from({ length: stats[i].segments }, (_, n) => n));
	}
	// Each object once (a segment's key is fixed by its seq: a put the dead instance left is overwritten, not doubled).
	const media = await objectsUnder(cluster.s3, `media/${devices[0].id}/`);
	t.is(media.filter((key) => key.endsWith(".m4s") || key.endsWith("init.mp4")).length, stats[0].segments + 1, media.join(" "));
	// The ended streams' 1-minute windows: assembled once each, by an instance that took the lease
	// over when the dead holder's lapsed (60 s).
	const windows = () => cluster.sql.all("SELECT device, stream, window_ms, COUNT(*) AS files, SUM(CASE WHEN state = 'done' THEN 1 ELSE 0 END) AS done FROM files WHERE deleted IS NULL GROUP BY device, stream, window_ms");
	const { n: expected } = await cluster.sql.get("SELECT COUNT(DISTINCT device || ' ' || stream || ' ' || (start_ms / 60000)) AS n FROM segments");
	await eventually(async () => {
		const all = await windows();
		return all.length === expected && all.every((w) => w.done === 1) && (await cluster.sql.get("SELECT COUNT(*) AS n FROM segments WHERE file_id IS NULL")).n === 0;
	}, 100_000);
	const made = await windows();
	t.true(made.every((w) => w.files === 1), JSON.stringify(made));
	const files = await objectsUnder(cluster.s3, "files/");
	t.is(files.length, expected, files.join(" "));
	const alive = cluster.instances.filter((node) => node !== victim);
	const assembled = (await Promise.all(alive.map((node) => node.metrics()))).reduce((n, text) => n + counterIn(text, "ivxs_files_assembled_total"), 0);
	t.is(assembled, expected, `${assembled} assemblies by the live instances for ${expected} windows`);
	t.not((await cluster.sql.get("SELECT holder FROM leases")).holder, holder);
});

for (const metadata of engines) test(onEngine(metadata, "a viewer's live HLS and signed URLs work from any instance: playlists agree, a URL signed by one is honoured by the others; HAProxy, trusted, is not capped per address"), async (t) => {
	const cluster = await clusterFor(t, { instances: 3, metadata });
	const device = await addDevice(cluster.sql, { id: "cam-live" });
	const viewer = await viewerOf(cluster);
	const camera = new Camera({ cloud: cluster.url, device: device.id, secret: device.secret, seconds: 8, speed: 1, mqtt: cluster.broker });
	t.teardown(() => camera.close());
	const running = camera.run();
	await eventually(() => camera.stats.stored >= 2, 15_000);
	// A blocking reload for the next segment on each instance directly: each answers once it is committed (by any instance).
	const msn = camera.stats.stored + 1;
	const playlists = await Promise.all(cluster.instances.map(async (node) => {
		const res = await viewer(node.url, `/v1/hls/${device.id}/0/live.m3u8?_HLS_msn=${msn}`);
		t.is(res.status, 200, node.url);
		return res.text();
	}));
	const entries = (text) => {
		const first = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text)[1]);
		const uris = text.split("\n").filter((line) => line && !line.startsWith("#"));
		return new Map(uris.map((uri, i) => [first + i, new URL(uri, "http://x").pathname]));
	};
	const seen = playlists.map(entries);
	for (const map of seen) t.true(map.has(msn), `segment ${msn} listed: ${[...map.keys()]}`);
	t.deepEqual(new Set(seen.map((map) => map.get(msn))).size, 1, "the same segment under the same number everywhere");
	// A signed URL made by one instance, fetched from every other (and through the balancer).
	const signed = await Promise.all(cluster.instances.map(async (node) => {
		const res = await viewer(node.url, "/v1/sign", { method: "POST", body: { path: `/v1/hls/${device.id}/0/live.m3u8` } });
		t.is(res.status, 200);
		return (await res.json()).url;
	}));
	for (const [i, url] of signed.entries()) {
		for (const [j, node] of cluster.instances.entries()) {
			if (i === j) continue;
			const res = await fetch(`${node.url}${url}`);
			t.is(res.status, 200, `signed by ${i}, fetched from ${j}`);
			t.regex(await res.text(), /#EXTM3U/);
		}
	}
	// A segment URL from one instance's playlist, fetched from another.
	const uri = playlists[0].split("\n").filter((line) => line && !line.startsWith("#")).pop();
	const bytes = await Promise.all(cluster.instances.map(async (node) => {
		const res = await fetch(new URL(uri, node.url));
		t.is(res.status, 200, `${uri} from ${node.url}`);
		return Buffer.from(await res.arrayBuffer());
	}));
	t.true(bytes.every((b) => b.length > 1000 && b.equals(bytes[0])));
	// Viewers all behind HAProxy: more waiting reloads than the per-address cap (64) reach each
	// instances from HAProxy's one address; trusted (TRUSTED_PROXIES), its connections are not capped.
	const next = Math.max(...seen.map((map) => Math.max(...map.keys()))) + 1;
	const crowd = await Promise.all(Array.from({ length: 240 }, () => viewer(cluster.url, `/v1/hls/${device.id}/0/live.m3u8?_HLS_msn=${next}`).then((res) => res.status, () => 0)));
	t.deepEqual(crowd.filter((status) => status !== 200), [], "every viewer through the balancer answered");
	await running;
});

for (const metadata of engines) test(onEngine(metadata, "retention runs once: the rows the size cap drops are counted once over all instances"), async (t) => {
	// A cap well under what the cameras send: size retention has work on every upkeep run.
	const cluster = await clusterFor(t, { instances: 2, env: { IVXS_CLOUD_MAX_TOTAL_BYTES: String(200 * 1024) }, metadata });
	const devices = await Promise.all(Array.from({ length: 2 }, (_, i) => addDevice(cluster.sql, { id: `cam-r${i}` })));
	const stats = await Promise.all(devices.map((device) => {
		const camera = new Camera({ cloud: cluster.url, device: device.id, secret: device.secret, seconds: 30, speed: 0, mqtt: cluster.broker });
		t.teardown(() => camera.close());
		return camera.run();
	}));
	t.true(stats.every((s) => s.refused === 0));
	const deletedRows = async () => (await cluster.sql.get("SELECT COUNT(*) AS n FROM segments WHERE deleted IS NOT NULL")).n;
	// Retention runs every minute on the lease holder.
	await eventually(async () => await deletedRows() > 0, 75_000);
	await sleep(500);
	const texts = await Promise.all(cluster.instances.map((node) => node.metrics()));
	const counted = texts.map((text) => counterIn(text, "ivxs_retention_deleted_total", 'kind="segments"'));
	t.is(counted.reduce((a, b) => a + b, 0), await deletedRows(), `per instance ${counted}`);
	t.is(counted.filter((n) => n > 0).length, 1, "one instance held the lease and did it all");
});
