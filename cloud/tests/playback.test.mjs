// Recordings for viewers: the mediamtx-style list of playable spans and the
// fMP4 `get`, checked with ffprobe and against the bytes the camera sent.
import test from "ava";
import { writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cloudFor, deviceIn, engines, onEngine } from "./_cloud.mjs";
import { Camera, probe } from "./_media.mjs";
import { signUrl } from "../../build/node/cloud/src/auth/signed-url.js";
import { readBoxes } from "../../build/node/cloud/src/media/boxes.js";
import { fragmentsOf } from "../../build/node/cloud/src/media/rebase.js";
import { createFile } from "mp4box";

const admin = { user: "admin", admin: true };
const get = (cloud, path, viewer = admin) => fetch(`${cloud.url}${signUrl(cloud.ctx, path, viewer)}`);

async function recorded(t, metadata = "sqlite") {
	const cloud = await cloudFor(t, { metadata });
	const device = await deviceIn(cloud, "cam1", { channels: 2 });
	const epoch = Date.UTC(2025, 10, 22, 13, 0, 0);
	const first = await new Camera(cloud, { device: device.id, stream: "a", epoch }).start();
	const rows = [];
	for (let i = 0; i < 4; i++) rows.push(await first.commit());
	rows.push(await first.commit({ skip: 1 })); // a hole of one segment: a new span
	rows.push(await first.commit());
	const second = await new Camera(cloud, { device: device.id, stream: "b", epoch: epoch + 10_000 }).start();
	for (let i = 0; i < 3; i++) rows.push(await second.commit());
	return { cloud, device, epoch, rows };
}

test("list answers the playable spans: a hole or a new stream starts a new one", async (t) => {
	const { cloud, epoch, rows } = await recorded(t);
	const response = await get(cloud, `/v1/recordings/cam1/0/list?start=${epoch - 60_000}&end=${epoch + 60_000}`);
	t.is(response.status, 200);
	const spans = await response.json();
	t.is(spans.length, 3);
	t.is(spans[0].start, new Date(rows[0].start_ms).toISOString());
	t.is(spans[0].duration, (rows[3].end_ms - rows[0].start_ms) / 1000);
	t.is(spans[1].start, new Date(rows[4].start_ms).toISOString());
	t.is(spans[2].start, new Date(epoch + 10_000).toISOString());
	t.is(spans[2].duration, (rows[8].end_ms - rows[6].start_ms) / 1000);
	for (const span of spans) {
		t.regex(span.url, /^\/v1\/recordings\/cam1\/0\/get\?start=\d+&duration=[\d.]+&exp=\d+&user=admin&admin=1&sig=/);
		t.regex(span.hls, /^\/v1\/hls\/cam1\/0\/vod\.m3u8\?start=\d+&end=\d+&exp=/);
	}
	// ISO times work as well as unix ms; a range that misses everything is an empty list.
	const iso = await (await get(cloud, `/v1/recordings/cam1/0/list?start=${new Date(epoch).toISOString()}&end=${new Date(epoch + 3000).toISOString()}`)).json();
	t.is(iso.length, 1);
	t.deepEqual(await (await get(cloud, `/v1/recordings/cam1/1/list?start=${epoch}&end=${epoch + 3000}`)).json(), []);
	// At most `limit` spans, and a header saying there are more.
	const limited = await get(cloud, `/v1/recordings/cam1/0/list?start=${epoch - 60_000}&end=${epoch + 60_000}&limit=2`);
	t.is((await limited.json()).length, 2);
	t.is(limited.headers.get("x-ivxs-more"), "1");
});

for (const metadata of engines) test(onEngine(metadata, "get returns one fMP4 from the segment holding start, rebased to 0, media bytes as the camera sent them"), async (t) => {
	const { cloud, epoch, rows } = await recorded(t, metadata);
	const spans = await (await get(cloud, `/v1/recordings/cam1/0/list?start=${epoch}&end=${epoch + 60_000}`)).json();
	const response = await fetch(`${cloud.url}${spans[0].url}`);
	t.is(response.status, 200);
	t.is(response.headers.get("content-type"), "video/mp4");
	t.is(response.headers.get("x-ivxs-start"), new Date(rows[0].start_ms).toISOString());
	t.is(response.headers.get("x-ivxs-stream-change"), null);
	const body = Buffer.from(await response.arrayBuffer());
	const dir = mkdtempSync(join(tmpdir(), "ivxs-get-"));
	t.teardown(() => rmSync(dir, { recursive: true, force: true }));
	writeFileSync(join(dir, "clip.mp4"), body);
	const info = probe(join(dir, "clip.mp4"));
	t.deepEqual(info.streams.map((s) => s.codec_name).sort(), ["aac", "h264"]);
	const video = info.streams.find((s) => s.codec_name === "h264");
	t.is(Number(video.nb_read_packets), 4 * 15, "four 1-s segments of 15 fps");
	t.true(Math.abs(Number(info.format.start_time)) < 0.1, `starts at 0, not ${info.format.start_time}`);
	// The payload is the camera's: every mdat is byte-identical to the stored segment's.
	const boxes = readBoxes(body);
	const mdats = boxes.filter((box) => box.type === "mdat").map((box) => body.subarray(box.start, box.end));
	const stored = [];
	for (const row of rows.slice(0, 4)) for (const { mdat } of fragmentsOf(await cloud.ctx.store.get(row.key))) stored.push(mdat);
	t.deepEqual(mdats, stored);
	t.deepEqual(boxes.filter((box) => box.type === "moof").map((box) => body.readUInt32BE(box.start + 20)), [1, 2, 3, 4], "fragments numbered from 1");
	// mp4box.js, an independent parser, reads it as one fragmented file starting at decode time 0.
	const file = createFile();
	let parsed;
	file.onReady = (found) => (parsed = found);
	file.onError = (error) => t.fail(`mp4box: ${error}`);
	const buffer = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength);
	buffer.fileStart = 0;
	file.appendBuffer(buffer);
	file.flush();
	t.true(parsed.isFragmented);
	t.deepEqual(parsed.tracks.map((track) => track.codec.split(".")[0]), ["avc1", "mp4a"]);
	t.is(parsed.tracks[0].nb_samples, 60);
	const audioFrames = parsed.tracks[1].nb_samples; // 16 kHz AAC: 15.6 frames a second
	t.true(audioFrames >= 58 && audioFrames <= 66, `${audioFrames} audio frames in 4 s`);
	t.is(file.moofs.length, 4);
	t.is(Math.min(...file.moofs[0].trafs.map((traf) => Number(traf.tfdt.baseMediaDecodeTime))), 0);

	// From the middle of a segment: starts at the segment holding start.
	const middle = await get(cloud, `/v1/recordings/cam1/0/get?start=${rows[1].start_ms + 300}&duration=1.5`);
	t.is(middle.status, 200);
	t.is(middle.headers.get("x-ivxs-start"), new Date(rows[1].start_ms).toISOString());
	t.is(readBoxes(Buffer.from(await middle.arrayBuffer())).filter((box) => box.type === "moof").length, 2);
});

test("get over a stream change serves the first stream and says where the next begins", async (t) => {
	const { cloud, epoch, rows } = await recorded(t);
	const response = await get(cloud, `/v1/recordings/cam1/0/get?start=${rows[5].start_ms}&duration=20`);
	t.is(response.status, 200);
	t.is(response.headers.get("x-ivxs-stream-change"), new Date(epoch + 10_000).toISOString());
	t.is(readBoxes(Buffer.from(await response.arrayBuffer())).filter((box) => box.type === "moof").length, 1);
	const empty = await get(cloud, `/v1/recordings/cam1/0/get?start=${epoch + 100_000}&duration=10`);
	t.is(empty.status, 404);
	t.regex((await empty.json()).error, /nothing recorded between/);
});
