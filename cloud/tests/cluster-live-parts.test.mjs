// LL-HLS parts across instances (issue 16 §3, issue 17): parts live in the
// memory of the instance a camera uploads to. The HAProxy configuration we ship
// (_haproxy.mjs, cloud/README.md) hashes a device's uploads and its viewers'
// requests to one instance, so a viewer through the balancer gets parts while
// the camera uploads through it; the other instances serve correct part-less
// playlists; killing the owning instance moves the device to another, where
// live goes on (and parts come back).
import test from "ava";
import { clusterFor } from "./_cluster.mjs";
import { eventually } from "./_mqtt.mjs";
import { engines, onEngine } from "./_cloud.mjs";
import { readPlaylist } from "./_ll-hls.mjs";
import { addDevice } from "../../build/node/cloud/src/devices/registry.js";
import { addToken } from "../../build/node/cloud/src/users/store.js";
import { Camera } from "../../build/node/cloud/sim/camera.js";

/** The live playlist of `device` from `base` (null while the instance does not answer 200). */
const liveFrom = async (base, device, token, query = "") => {
	const res = await fetch(`${base}/v1/hls/${device}/0/live.m3u8${query}`, { headers: { authorization: `Bearer ${token}` } }).catch(() => undefined);
	return res?.status === 200 ? res.text() : null;
};
const lastSeq = (text) => Math.max(-1, ...text.split("\n").filter((line) => line && !line.startsWith("#")).map((uri) => Number(/\/(\d+)\.m4s\?/.exec(uri)?.[1] ?? -1)));

for (const metadata of engines) test(onEngine(metadata, "a live viewer through HAProxy gets the parts of the segment in flight while the camera uploads through it; other instances serve part-less playlists; the owner killed, live goes on from another"), async (t) => {
	const cluster = await clusterFor(t, { instances: 3, metadata });
	const device = await addDevice(cluster.sql, { id: "cam-parts" });
	const token = await addToken(cluster.sql, "admin");
	const camera = new Camera({ cloud: cluster.url, device: device.id, secret: device.secret, seconds: 40, speed: 1, mqtt: cluster.broker, backoffMs: 200 });
	t.teardown(() => camera.close());
	const running = camera.run();
	await eventually(() => camera.stats.stored >= 1, 15_000);
	// Watching starts the parts (kept for watched channels only); then every reload through the
	// balancer — ten in a row, each blocking on a next part — shows the segment in flight's parts.
	await liveFrom(cluster.url, device.id, token);
	await eventually(async () => /#EXT-X-PART:/.test(await liveFrom(cluster.url, device.id, token) ?? ""), 10_000);
	for (let i = 0; i < 10; i++) {
		const text = await liveFrom(cluster.url, device.id, token);
		const playlist = readPlaylist(t, text);
		t.true(playlist.inFlight.length + playlist.segments.at(-1).parts.length > 0, `reload ${i} through HAProxy lists parts:\n${text}`);
		await new Promise((resolve) => setTimeout(resolve, 150));
	}
	// Asked directly, only the owner lists parts; the others' playlists are correct and part-less.
	const direct = await Promise.all(cluster.instances.map((node) => liveFrom(node.url, device.id, token)));
	const owners = direct.map((text) => /#EXT-X-PART:/.test(text));
	t.is(owners.filter(Boolean).length, 1, `parts on one instance: ${owners}`);
	for (const text of direct) {
		const playlist = readPlaylist(t, text);
		t.true(playlist.segments.length >= 1);
	}
	const owner = cluster.instances[owners.indexOf(true)];
	const before = lastSeq(await liveFrom(cluster.url, device.id, token));
	await owner.kill();
	// Live goes on through the balancer: newer segments (uploaded to the instance the device moved
	// to), and parts again once it is watched there.
	await eventually(async () => lastSeq(await liveFrom(cluster.url, device.id, token) ?? "") >= before + 3, 20_000);
	await eventually(async () => /#EXT-X-PART:/.test(await liveFrom(cluster.url, device.id, token) ?? ""), 10_000);
	const alive = cluster.instances.filter((node) => node !== owner);
	const after = await Promise.all(alive.map((node) => liveFrom(node.url, device.id, token)));
	t.is(after.filter((text) => /#EXT-X-PART:/.test(text)).length, 1, "the device's new instance holds its parts");
	camera.close();
	await running.catch(() => {});
});
