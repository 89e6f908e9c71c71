// HTTP-FLV live at the viewer's pace (issue 27 item 1): a viewer that never reads once made the
// service queue the whole stream for it (12 stalled viewers of a ~5 Mbit/s camera: +300 MiB in
// 40 s). Now at most a segment is queued per viewer, one that falls behind skips to a newer
// segment's key frame, and one whose segment does not drain in FLV_MAX_LAG_S is ended.
// The camera commits 720p30 segments (~0.95 MB each, ~7.6 Mbit/s) four times faster than real time.
import test from "ava";
import { get } from "node:http";
import { cloudFor, deviceIn, session } from "./_cloud.mjs";
import { Camera, makeClip } from "./_media.mjs";

const adminPassword = "admin-secret-1";
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const clip = makeClip({ size: "1280x720", fps: 30, seconds: 4 });
const segmentMax = Math.max(...clip.fragments.map((f) => f.bytes.length));

/** GET `path` with the session's cookie: the response, left paused (nothing read unless the caller reads). */
function open(cloud, cookie, path) {
	return new Promise((resolve, reject) => {
		const req = get(`${cloud.url}${path}`, { headers: { cookie }, agent: false }, (res) => {
			res.pause();
			resolve(Object.assign(res, { localPort: res.socket.localPort }));
		});
		req.on("error", reject);
	});
}

/** The service's own sockets, by the client's port: what Node queues for each viewer is their writableLength. */
function serverSockets(cloud) {
	const byPeer = new Map();
	for (const handle of process._getActiveHandles())
		if (handle?.constructor?.name === "Socket" && handle.localPort === cloud.port) byPeer.set(handle.remotePort, handle);
	return byPeer;
}

/** When the service closed its socket of each viewer (a viewer that never reads never sees the close), or undefined past `ms`. */
async function closedBy(cloud, viewers, ms) {
	const at = new Map();
	for (const until = Date.now() + ms; at.size < viewers.length && Date.now() < until; await sleep(50)) {
		const open = serverSockets(cloud);
		for (const { localPort } of viewers) if (!at.has(localPort) && (open.get(localPort)?.destroyed ?? true)) at.set(localPort, Date.now());
	}
	return viewers.map(({ localPort }) => at.get(localPort));
}

/** The video tags of FLV bytes: { ms, key }. */
function videoTags(bytes) {
	const tags = [];
	for (let at = 13; at + 11 <= bytes.length;) {
		const size = bytes.readUIntBE(at + 1, 3);
		if (at + 11 + size > bytes.length) break;
		const ms = (bytes.readUIntBE(at + 4, 3) | (bytes[at + 7] << 24)) >>> 0;
		if (bytes[at] === 9 && bytes[at + 12] === 1) tags.push({ ms, key: bytes[at + 11] >> 4 === 1 }); // AVC NALUs, not the sequence header
		at += 11 + size + 4;
	}
	return tags;
}

const metric = async (cloud, name) => {
	const text = await (await fetch(`${cloud.url}/metrics`)).text();
	return Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)$`, "m").exec(text)?.[1] ?? 0);
};

async function liveCamera(t, overrides) {
	const cloud = await cloudFor(t, { adminPassword, flvMaxLagS: 3, ...overrides });
	await deviceIn(cloud, "cam1");
	const { cookie } = await session(cloud, "admin", adminPassword);
	const camera = await new Camera(cloud, { device: "cam1", clip }).start();
	await camera.commit();
	return { cloud, cookie, camera };
}

test.serial("8 viewers that never read: the service queues at most a segment for each and ends them when a segment does not drain in FLV_MAX_LAG_S; a reading viewer keeps up", async (t) => {
	const { cloud, cookie, camera } = await liveCamera(t);
	const stalled = await Promise.all(Array.from({ length: 8 }, () => open(cloud, cookie, "/v1/live/cam1/0.flv")));
	const reader = await open(cloud, cookie, "/v1/live/cam1/0.flv");
	let read = 0;
	reader.on("data", (chunk) => (read += chunk.length));
	reader.resume();
	const queued = new Map(stalled.map((res) => [res.localPort, 0]));
	const sample = () => {
		for (const [port, socket] of serverSockets(cloud)) if (queued.has(port)) queued.set(port, Math.max(queued.get(port), socket.writableLength));
	};
	const started = Date.now();
	const ending = closedBy(cloud, stalled, 25_000);
	for (let i = 0; i < 20; i++) {
		await camera.commit();
		for (let j = 0; j < 5; j++) {
			sample();
			await sleep(50);
		}
	}
	const fed = Date.now();
	const ended = await ending;
	const most = Math.max(...queued.values());
	t.log(`fed 21 segments of ≤ ${segmentMax} B in ${fed - started} ms; most queued for a stalled viewer: ${most} B; ended ${ended.map((at) => at === undefined ? "never" : at - started).join(", ")} ms after the feed began; the reader read ${read} B`);
	t.true(most <= segmentMax * 1.25 + 65536, `${most} B queued for one stalled viewer (a segment: ≤ ${segmentMax} B)`);
	t.true(ended.every((at) => at !== undefined), "every stalled viewer is ended");
	t.is(await metric(cloud, "ivxs_flv_viewers_ended_total"), 8);
	t.false(reader.socket.destroyed, "the reading viewer is still served");
	t.true(read > 15 * segmentMax * 0.9, `the reader got ${read} B`);
	for (const res of [...stalled, reader]) res.destroy();
});

test.serial("a viewer reading slower than the stream skips ahead to a newer segment's key frame and is not ended", async (t) => {
	const { cloud, cookie, camera } = await liveCamera(t);
	const slow = await open(cloud, cookie, "/v1/live/cam1/0.flv");
	const chunks = [];
	// ~640 KB/s: a sixth of the stream as the camera commits it.
	const reading = setInterval(() => {
		for (let budget = 32768, chunk; budget > 0 && (chunk = slow.read()) !== null; budget -= chunk.length) chunks.push(chunk);
	}, 50);
	t.teardown(() => clearInterval(reading));
	for (let i = 0; i < 24; i++) {
		await camera.commit();
		await sleep(250);
	}
	await sleep(1000);
	clearInterval(reading);
	const skipped = await metric(cloud, "ivxs_flv_segments_skipped_total");
	const tags = videoTags(Buffer.concat(chunks));
	const jumps = tags.slice(1).filter((tag, i) => tag.ms - tags[i].ms > 1000);
	t.log(`${Buffer.concat(chunks).length} B read, ${tags.length} video tags, ${skipped} segments skipped, jumps to ${jumps.map((tag) => tag.ms).join(", ")} ms`);
	t.true(skipped > 0, "segments were skipped");
	t.true(jumps.length > 0, "the FLV's time jumps ahead");
	t.true(jumps.every((tag) => tag.key), "each jump lands on a key frame");
	t.false(slow.socket.destroyed, "not ended");
	t.is(await metric(cloud, "ivxs_flv_viewers_ended_total"), 0);
	slow.destroy();
});
