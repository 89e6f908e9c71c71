// HTTP-FLV live (issue 17; cloud/API.md): the live window's stored fMP4
// segments re-framed as FLV — checked with ffprobe and a full ffmpeg decode
// (a real FLV player, mpegts.js in Chromium: flv-browser.test.mjs).
import test from "ava";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cloudFor, deviceIn, session } from "./_cloud.mjs";
import { Camera, makeClip } from "./_media.mjs";
import { parseInit } from "../../build/node/cloud/src/media/init.js";

/** Reads `path` for `ms` while `during` runs; the FLV bytes. */
async function readFlv(cloud, cookie, path, during) {
	const controller = new AbortController();
	const res = await fetch(`${cloud.url}${path}`, { headers: { cookie }, signal: controller.signal });
	const chunks = [];
	const reading = (async () => {
		try {
			for await (const chunk of res.body) chunks.push(chunk);
		}
		catch {} // aborted
	})();
	await during();
	controller.abort();
	await reading;
	return { res, bytes: Buffer.concat(chunks) };
}

const adminPassword = "admin-secret-1";
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

test("a live FLV starts at the newest segment and follows new ones; ffprobe reads H.264 + AAC and ffmpeg decodes every frame", async (t) => {
	const cloud = await cloudFor(t, { adminPassword });
	await deviceIn(cloud, "cam1");
	const { cookie, call } = await session(cloud, "admin", adminPassword);
	const camera = await new Camera(cloud, { device: "cam1" }).start();
	await camera.commit();
	await camera.commit();
	t.is((await call("/v1/live/cam1/0.mp4")).status, 404);
	t.is((await call("/v1/live/cam1/7.flv")).status, 400);
	const { res, bytes } = await readFlv(cloud, cookie, "/v1/live/cam1/0.flv", async () => {
		for (let i = 0; i < 4; i++) {
			await sleep(300);
			await camera.commit();
		}
		await sleep(500);
	});
	t.is(res.status, 200);
	t.is(res.headers.get("content-type"), "video/x-flv");
	t.is(bytes.subarray(0, 3).toString(), "FLV");
	const dir = mkdtempSync(join(tmpdir(), "ivxs-flv-"));
	t.teardown(() => rmSync(dir, { recursive: true, force: true }));
	const file = join(dir, "live.flv");
	writeFileSync(file, bytes);
	const probe = JSON.parse(execFileSync("ffprobe", ["-v", "error", "-count_frames", "-show_streams", "-of", "json", file]).toString());
	const byCodec = Object.fromEntries(probe.streams.map((s) => [s.codec_name, Number(s.nb_read_frames)]));
	t.deepEqual(Object.keys(byCodec).sort(), ["aac", "h264"]);
	// The newest segment when the request came, then the four committed after: 5 × 1 s of 15 fps.
	t.is(byCodec.h264, 5 * 15, JSON.stringify(byCodec));
	t.true(byCodec.aac > 60, JSON.stringify(byCodec));
	const decode = spawnSync("ffmpeg", ["-v", "error", "-i", file, "-f", "null", "-"]);
	t.is(decode.status, 0);
	t.is(decode.stderr.toString(), "", "ffmpeg decodes without a complaint");
	t.log(`${bytes.length} bytes of FLV: ${JSON.stringify(byCodec)}`);
});

test("H.265 goes out as enhanced FLV: a 'hvc1' SequenceStart carrying the init's hvcC, then key frames as coded frames", async (t) => {
	const cloud = await cloudFor(t, { adminPassword });
	await deviceIn(cloud, "cam2");
	const { cookie } = await session(cloud, "admin", adminPassword);
	const clip = makeClip({ hevc: true, audio: false, seconds: 3 });
	const camera = await new Camera(cloud, { device: "cam2", clip }).start();
	await camera.commit();
	const { res, bytes } = await readFlv(cloud, cookie, "/v1/live/cam2/0.flv", async () => {
		await sleep(200);
		await camera.commit();
		await sleep(300);
	});
	t.is(res.status, 200);
	// Header (9) + PreviousTagSize0 (4), then the first tag: type 9 (video), DataSize u24, …, body at 13 + 11.
	t.is(bytes[13], 9);
	const size = bytes.readUIntBE(14, 3), body = bytes.subarray(24, 24 + size);
	t.is(body[0], 0x80 | (1 << 4) | 0, "IsExHeader, key frame, SequenceStart");
	t.is(body.subarray(1, 5).toString(), "hvc1");
	t.deepEqual(Buffer.from(body.subarray(5)), Buffer.from(parseInit(clip.init).video.config), "the hvcC record as stored");
	const next = 24 + size + 4;
	t.is(bytes[next], 9);
	t.is(bytes[next + 11] & 0xf0, 0x80 | (1 << 4), "then a key frame, enhanced");
	t.is(bytes.subarray(next + 12, next + 16).toString(), "hvc1");
});
