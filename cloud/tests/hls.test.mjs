// HLS over stored segments: VOD playlists read by ffprobe, live playlists with
// stable media sequence numbers, discontinuities at stream changes, and LL-HLS
// blocking reloads answered as soon as a segment is committed.
import test from "ava";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { cloudFor, deviceIn, engines, onEngine } from "./_cloud.mjs";
import { Camera } from "./_media.mjs";
import { signUrl } from "../../build/node/cloud/src/auth/signed-url.js";

const admin = { user: "admin", admin: true };
const get = (cloud, path, viewer = admin) => fetch(`${cloud.url}${signUrl(cloud.ctx, path, viewer)}`);
const tag = (text, name) => text.split("\n").filter((line) => line.startsWith(`#${name}`));
const uris = (text) => text.split("\n").filter((line) => line && !line.startsWith("#"));

for (const metadata of engines) test(onEngine(metadata, "a VOD playlist lists the stored segments, signed, with a map per stream and a discontinuity per span; ffprobe reads it"), async (t) => {
	const cloud = await cloudFor(t, { metadata });
	await deviceIn(cloud, "cam1");
	const epoch = Date.UTC(2025, 10, 22, 13, 0, 0);
	const a = await new Camera(cloud, { device: "cam1", stream: "a", epoch }).start();
	const rows = [];
	for (let i = 0; i < 5; i++) rows.push(await a.commit());
	const b = await new Camera(cloud, { device: "cam1", stream: "b", epoch: epoch + 20_000 }).start();
	for (let i = 0; i < 2; i++) rows.push(await b.commit());
	const response = await get(cloud, `/v1/hls/cam1/0/vod.m3u8?start=${epoch}&end=${epoch + 60_000}`);
	t.is(response.status, 200);
	t.is(response.headers.get("content-type"), "application/vnd.apple.mpegurl");
	const text = await response.text();
	t.is(tag(text, "EXT-X-MAP").length, 2);
	t.is(tag(text, "EXT-X-DISCONTINUITY").length, 1);
	t.deepEqual(tag(text, "EXT-X-PROGRAM-DATE-TIME"), [`#EXT-X-PROGRAM-DATE-TIME:${new Date(epoch).toISOString()}`, `#EXT-X-PROGRAM-DATE-TIME:${new Date(epoch + 20_000).toISOString()}`]);
	t.is(tag(text, "EXT-X-TARGETDURATION")[0], "#EXT-X-TARGETDURATION:1");
	t.true(text.trimEnd().endsWith("#EXT-X-ENDLIST"));
	const segments = uris(text);
	t.is(segments.length, 7);
	// Each URI is signed and serves the segment byte for byte.
	for (const [i, uri] of segments.entries()) {
		t.regex(uri, /^\/v1\/media\/cam1\/0\/[ab]\/\d+\.m4s\?exp=\d+&user=admin&admin=1&sig=/);
		const bytes = Buffer.from(await (await fetch(`${cloud.url}${uri}`)).arrayBuffer());
		t.deepEqual(bytes, await cloud.ctx.store.get(rows[i].key));
	}
	const map = /URI="([^"]+)"/.exec(tag(text, "EXT-X-MAP")[0])[1];
	t.deepEqual(Buffer.from(await (await fetch(`${cloud.url}${map}`)).arrayBuffer()), await cloud.ctx.store.get("media/cam1/0/a/init.mp4"));
	// ffprobe follows the playlist through the signed map and segments (first span only: one stream).
	const first = signUrl(cloud.ctx, `/v1/hls/cam1/0/vod.m3u8?start=${epoch}&end=${epoch + 5_000}`, admin);
	// (asynchronously: the cloud answering it runs in this process)
	const probe = JSON.parse((await promisify(execFile)("ffprobe", ["-v", "error", "-count_packets", "-show_entries", "stream=codec_name,nb_read_packets", "-of", "json", `${cloud.url}${first}`])).stdout);
	const video = probe.streams.find((s) => s.codec_name === "h264");
	t.is(Number(video.nb_read_packets), 5 * 15);
	t.truthy(probe.streams.find((s) => s.codec_name === "aac"));
});

for (const metadata of engines) test(onEngine(metadata, "a live playlist slides, keeps its media sequence numbers across reloads and a stream change, and marks the change"), async (t) => {
	const cloud = await cloudFor(t, { metadata });
	await deviceIn(cloud, "cam1");
	const now = Date.now();
	const a = await new Camera(cloud, { device: "cam1", stream: "a", epoch: now - 30_000 }).start();
	for (let i = 0; i < 20; i++) await a.commit();
	const first = await (await get(cloud, "/v1/hls/cam1/0/live.m3u8")).text();
	t.is(tag(first, "EXT-X-PLAYLIST-TYPE").length, 0);
	t.false(first.includes("#EXT-X-ENDLIST"));
	t.regex(first, /#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,HOLD-BACK=[\d.]+/);
	const msn = (text) => Number(tag(text, "EXT-X-MEDIA-SEQUENCE")[0].split(":")[1]);
	const firstSegments = uris(first);
	t.true(firstSegments.length >= 6 && firstSegments.length <= 14, `${firstSegments.length} segments`);
	t.true(firstSegments[firstSegments.length - 1].startsWith("/v1/media/cam1/0/a/19.m4s?"));
	t.is(msn(first), 20 - firstSegments.length);
	// New segments slide the window; the numbers of those still in it do not change.
	for (let i = 0; i < 3; i++) await a.commit();
	const second = await (await get(cloud, "/v1/hls/cam1/0/live.m3u8")).text();
	const seqOf = (text, n) => uris(text)[n - msn(text)]?.split("?")[0];
	t.is(seqOf(second, 19), "/v1/media/cam1/0/a/19.m4s");
	t.is(msn(second) + uris(second).length - 1, 22);
	// A new stream: discontinuity, a new map, numbers run on.
	const b = await new Camera(cloud, { device: "cam1", stream: "b", epoch: Date.now() }).start();
	for (let i = 0; i < 2; i++) await b.commit();
	const third = await (await get(cloud, "/v1/hls/cam1/0/live.m3u8")).text();
	t.is(tag(third, "EXT-X-DISCONTINUITY").filter((line) => line === "#EXT-X-DISCONTINUITY").length, 1);
	t.is(tag(third, "EXT-X-MAP").length, 2);
	t.is(seqOf(third, 23), "/v1/media/cam1/0/b/0.m4s");
	t.is(seqOf(third, 22), "/v1/media/cam1/0/a/22.m4s");
	t.is(tag(third, "EXT-X-DISCONTINUITY-SEQUENCE")[0], "#EXT-X-DISCONTINUITY-SEQUENCE:0");
	// A second instance on the same metadata numbers them the same way.
	const other = await cloudFor(t, { dataDir: cloud.dataDir, metadataUrl: cloud.config.metadataUrl });
	t.is(seqOf(await (await get(other, "/v1/hls/cam1/0/live.m3u8")).text(), 23), "/v1/media/cam1/0/b/0.m4s");
});

test("a blocking reload (_HLS_msn) answers as soon as that segment is committed", async (t) => {
	// No catalogue poll within the test (a minute apart): only the ingest's announcement can answer it.
	const cloud = await cloudFor(t, { livePollS: 60 });
	await deviceIn(cloud, "cam1");
	const camera = await new Camera(cloud, { device: "cam1", stream: "a", epoch: Date.now() - 10_000 }).start();
	for (let i = 0; i < 8; i++) await camera.commit();
	const started = Date.now();
	const waiting = get(cloud, "/v1/hls/cam1/0/live.m3u8?_HLS_msn=8").then(async (response) => ({ at: Date.now(), text: await response.text(), status: response.status }));
	await new Promise((resolve) => setTimeout(resolve, 700));
	const { committedAt: committed } = await camera.commit();
	const answer = await waiting;
	t.is(answer.status, 200);
	t.true(answer.at >= committed, "it waited for the segment");
	t.true(answer.at - committed < 10_000, `answered ${answer.at - committed} ms after the commit: not by the minute's poll`);
	t.true(uris(answer.text).at(-1).startsWith("/v1/media/cam1/0/a/8.m4s?"));
	t.log(`blocked ${committed - started} ms, answered ${answer.at - committed} ms after the commit`);
	// Asking for a number already there answers at once; too far ahead is a 400.
	t.is((await get(cloud, "/v1/hls/cam1/0/live.m3u8?_HLS_msn=3")).status, 200);
	const ahead = await get(cloud, "/v1/hls/cam1/0/live.m3u8?_HLS_msn=40");
	t.is(ahead.status, 400);
	t.regex((await ahead.json()).error, /more than 2 segments ahead/);
});

for (const metadata of engines) test(onEngine(metadata, "a blocking reload sees a segment committed by another instance (no in-process announcement) within the poll period"), async (t) => {
	const cloud = await cloudFor(t, { metadata, livePollS: 0.5 });
	await deviceIn(cloud, "cam1");
	const camera = await new Camera(cloud, { device: "cam1", stream: "a", epoch: Date.now() - 10_000 }).start();
	for (let i = 0; i < 8; i++) await camera.commit();
	const waiting = get(cloud, "/v1/hls/cam1/0/live.m3u8?_HLS_msn=8").then(async (response) => ({ at: Date.now(), text: await response.text() }));
	await new Promise((resolve) => setTimeout(resolve, 300));
	const { committedAt } = await camera.commit({ announce: false });
	const answer = await waiting;
	t.true(uris(answer.text).at(-1).startsWith("/v1/media/cam1/0/a/8.m4s?"));
	// Nothing but the poll can answer it; a few periods allow for a loaded machine.
	t.true(answer.at - committedAt < 4 * 500, `answered ${answer.at - committedAt} ms after the commit`);
});

test("a channel with nothing recently recorded is not live", async (t) => {
	const cloud = await cloudFor(t);
	await deviceIn(cloud, "cam1");
	const response = await get(cloud, "/v1/hls/cam1/0/live.m3u8");
	t.is(response.status, 404);
	t.regex((await response.json()).error, /nothing live on cam1 channel 0/);
	const camera = await new Camera(cloud, { device: "cam1", stream: "old", epoch: Date.now() - 3600_000 }).start();
	await camera.commit();
	t.is((await get(cloud, "/v1/hls/cam1/0/live.m3u8")).status, 404);
});
