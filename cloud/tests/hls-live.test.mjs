// The live playlist for many viewers and unruly cameras: it only moves forward
// (a late segment goes to the recordings, not back into the window), its
// EXT-X-TARGETDURATION stays put between reloads, and a crowd of blocking
// reloads is answered from one rendering and without reading the catalogue
// per viewer (counted, not timed).
import test from "ava";
import Database from "better-sqlite3";
import { cloudFor, deviceIn } from "./_cloud.mjs";
import { Camera } from "./_media.mjs";
import { signUrl } from "../../build/node/cloud/src/auth/signed-url.js";
import { addUser, grantDevice } from "../../build/node/cloud/src/users/store.js";

const admin = { user: "admin", admin: true };
const get = (cloud, path, viewer = admin) => fetch(`${cloud.url}${signUrl(cloud.ctx, path, viewer)}`);
const live = async (cloud, viewer = admin) => (await get(cloud, "/v1/hls/cam1/0/live.m3u8", viewer)).text();
const header = (text, name) => Number(new RegExp(`^#${name}:(\\d+)$`, "m").exec(text)?.[1]);
const seqs = (text) => text.split("\n").filter((line) => line && !line.startsWith("#")).map((uri) => Number(/\/(\d+)\.m4s\?/.exec(uri)[1]));
const metric = (cloud, name) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)$`, "m").exec(cloud.ctx.metrics.render())?.[1] ?? 0);

/** Counts the statements run on the segments table (every better-sqlite3 statement shares one prototype). */
function countSegmentReads(t) {
	const proto = Object.getPrototypeOf(new Database(":memory:").prepare("SELECT 1"));
	const originals = { all: proto.all, get: proto.get, iterate: proto.iterate };
	const counter = { reads: 0 };
	for (const [name, original] of Object.entries(originals)) {
		proto[name] = function (...args) {
			if (/\bFROM segments\b/.test(this.source)) counter.reads++;
			return original.apply(this, args);
		};
	}
	t.teardown(() => Object.assign(proto, originals));
	return counter;
}

/** A cloud (`config` overrides) with camera cam1 whose stream `a` began `ago` ms back and has committed `segments`. */
async function cameraIn(t, { ago = 20_000, segments = 0, config = {} } = {}) {
	const cloud = await cloudFor(t, config);
	await deviceIn(cloud, "cam1");
	const epoch = Date.now() - ago;
	const camera = await new Camera(cloud, { device: "cam1", stream: "a", epoch }).start();
	for (let i = 0; i < segments; i++) await camera.commit();
	return { cloud, camera, epoch };
}

test("a late segment never moves the live playlist back: the media sequence only grows, and it goes to the recordings", async (t) => {
	const { cloud, camera, epoch } = await cameraIn(t, { segments: 3 });
	t.deepEqual(seqs(await live(cloud)), [0, 1, 2]);
	// The camera was cut off for 10 segments; it sends the newest first, then its backlog.
	await camera.commit({ skip: 10 });
	const after = await live(cloud);
	t.is(header(after, "EXT-X-MEDIA-SEQUENCE"), 13);
	t.deepEqual(seqs(after), [13]);
	const backlog = new Camera(cloud, { device: "cam1", stream: "a", epoch });
	await backlog.commit({ skip: 3 });
	for (let seq = 4; seq <= 12; seq++) await backlog.commit();
	await camera.commit();
	const later = await live(cloud);
	t.is(header(later, "EXT-X-MEDIA-SEQUENCE"), 13, "MEDIA-SEQUENCE went back");
	t.deepEqual(seqs(later), [13, 14], "segments behind the window came back");
	// A viewer joining another instance now sees the same numbers for the same segments.
	const other = await cloudFor(t, { dataDir: cloud.dataDir });
	const joined = await live(other);
	t.is(header(joined, "EXT-X-MEDIA-SEQUENCE") + seqs(joined).length - 1, 14);
	// The late segments are recorded: the VOD playlist has all of them.
	const vod = await (await get(cloud, `/v1/hls/cam1/0/vod.m3u8?start=${epoch}&end=${epoch + 60_000}`)).text();
	t.deepEqual(seqs(vod), Array.from({ length: 15 }, (_, i) => i));
});

test("EXT-X-TARGETDURATION does not change between reloads when segment lengths wander", async (t) => {
	const { cloud, camera } = await cameraIn(t, { ago: 40_000 });
	// 1.4-s segments (EXTINF rounds to 1) and one of 1.6 s (rounds to 2), which slides out of the window.
	for (let i = 0; i < 8; i++) await camera.commit({ stretchMs: 400 });
	await camera.commit({ stretchMs: 600 });
	const targets = [];
	for (let i = 0; i < 16; i++) {
		const text = await live(cloud);
		targets.push(header(text, "EXT-X-TARGETDURATION"));
		const durations = [...text.matchAll(/^#EXTINF:([\d.]+),$/gm)].map((match) => Math.round(Number(match[1])));
		t.true(Math.max(...durations) <= targets.at(-1), "an EXTINF rounds above the target duration");
		await camera.commit({ stretchMs: 400 });
	}
	t.false((await live(cloud)).includes("#EXTINF:1.600,"), "the long segment slid out of the window");
	t.deepEqual([...new Set(targets)], [2], `target durations ${targets.join(" ")}`);
	// A fresh instance starts with the same target: it reads the same history.
	const other = await cloudFor(t, { dataDir: cloud.dataDir });
	t.is(header(await live(other), "EXT-X-TARGETDURATION"), 2);
	const holdBack = /HOLD-BACK=([\d.]+)/.exec(await live(cloud))[1];
	t.is(Number(holdBack), 2);
});

test("200 blocking reloads are answered by one segment, from one rendering per signer and without a catalogue read per viewer", async (t) => {
	// Every viewer here comes from 127.0.0.1: more connections from one address than the default cap.
	const { cloud, camera } = await cameraIn(t, { ago: 10_000, segments: 8, config: { maxConnectionsPerAddress: 1000 } });
	await addUser(cloud.ctx.sql, "viewer", "viewer-password");
	await grantDevice(cloud.ctx.sql, "viewer", "cam1");
	const viewers = [admin, { user: "viewer", admin: false }];
	await live(cloud);
	const counter = countSegmentReads(t);
	const crowd = 200, rounds = 3;
	for (let round = 0; round < rounds; round++) {
		const msn = 8 + round;
		const answers = Array.from({ length: crowd }, (_, i) => get(cloud, `/v1/hls/cam1/0/live.m3u8?_HLS_msn=${msn}`, viewers[i % 2])
			.then(async (response) => ({ status: response.status, text: await response.text() })));
		// Every reload is waiting (the gauge says so) before the segment lands; one that comes after it
		// is answered at once, from the same rendering. (At most 3 s: a blocking reload waits 6.)
		for (let i = 0; i < 60 && metric(cloud, "ivxs_live_waiting_reloads") < crowd; i++) await new Promise((resolve) => setTimeout(resolve, 50));
		const renders = metric(cloud, "ivxs_live_playlist_renders_total");
		const reads = counter.reads;
		await camera.commit();
		const answered = await Promise.all(answers);
		t.true(answered.every((answer) => answer.status === 200 && seqs(answer.text).at(-1) === msn), `round ${round}: every reload lists segment ${msn}`);
		// The commit's announcement moves the window; only the channel's poll (one read per 150 ms,
		// for other instances' commits) reads the table meanwhile: a few reads, not one per viewer.
		t.log(`round ${round}: ${counter.reads - reads} reads of the segments table for ${crowd} viewers`);
		t.true(counter.reads - reads < crowd / 10, `round ${round}: ${counter.reads - reads} reads of the segments table for ${crowd} viewers`);
		// Two signers (two users): two renderings, whatever the number of viewers.
		t.is(metric(cloud, "ivxs_live_playlist_renders_total") - renders, 2, `round ${round}: renderings`);
	}
	t.is(metric(cloud, "ivxs_live_waiting_reloads"), 0);
});

test("an older stream's backlog, uploaded while another stream is live, stays out of the live window and its numbers", async (t) => {
	const { cloud, camera: a, epoch } = await cameraIn(t, { ago: 10_000, segments: 6 });
	const before = await live(cloud);
	// A stream recorded earlier (the camera's local recording of a cut, say) arrives now.
	const old = await new Camera(cloud, { device: "cam1", stream: "old", epoch: epoch - 2_000 }).start();
	for (let i = 0; i < 4; i++) await old.commit();
	for (let i = 0; i < 2; i++) await a.commit();
	const after = await live(cloud);
	t.false(after.includes("/old/"), "the older stream's segments entered the live window");
	t.false(after.includes("#EXT-X-DISCONTINUITY\n"));
	t.is(header(after, "EXT-X-MEDIA-SEQUENCE") + seqs(after).length - 1, header(before, "EXT-X-MEDIA-SEQUENCE") + seqs(before).length + 1);
	t.deepEqual(seqs(after).slice(-3), [5, 6, 7]);
});

test("two segments committed out of order are listed in order, not across a hole; a hole that does not fill is skipped after a target duration", async (t) => {
	const { cloud, camera, epoch } = await cameraIn(t, { segments: 8 });
	const before = await live(cloud);
	// Segment 9 lands before segment 8 (two uploads finishing out of order).
	const waiting = get(cloud, "/v1/hls/cam1/0/live.m3u8?_HLS_msn=8").then((response) => response.text());
	await camera.commit({ skip: 1 });
	const held = await live(cloud);
	t.deepEqual(seqs(held), seqs(before), "segment 9 was listed across the hole");
	await new Camera(cloud, { device: "cam1", stream: "a", epoch }).commit({ skip: 8 });
	const filled = await waiting;
	t.deepEqual(seqs(filled).slice(-3), [7, 8, 9]);
	t.is(header(filled, "EXT-X-MEDIA-SEQUENCE"), header(before, "EXT-X-MEDIA-SEQUENCE"));
	// Segment 11 lands and 10 never does: after a target duration (1 s) the window restarts at 11.
	await camera.commit({ skip: 1 });
	t.deepEqual(seqs(await live(cloud)).slice(-1), [9]);
	let restarted;
	for (let i = 0; i < 100 && !restarted; i++) {
		await new Promise((resolve) => setTimeout(resolve, 50));
		const text = await live(cloud);
		if (seqs(text).at(-1) === 11) restarted = text;
	}
	t.truthy(restarted, "segment 11 was never listed");
	t.is(header(restarted, "EXT-X-MEDIA-SEQUENCE"), 11);
});
