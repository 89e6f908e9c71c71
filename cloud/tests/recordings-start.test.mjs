// Recording files start at time 0 (issue 17): a file assembled from the middle
// of a stream — minutes or hours after its first frame — used to start there
// (ffprobe start_time 7.13 s for a file of 3 s from 7 s in, 5,400 s for a
// 90-minute window an hour and a half in) and to report its end as its
// duration (10 s, 5,403 s). Now ffprobe and Chromium's <video> see it start
// at 0 and last as long as it does, and every segment repointed into it still
// reads byte for byte as uploaded.
import test from "ava";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assembleClosed } from "../../build/node/cloud/src/recordings/assemble.js";
import { listFiles } from "../../build/node/cloud/src/catalogue/index.js";
import { segmentBytes } from "../../build/node/cloud/src/playback/segments.js";
import { shiftSegment } from "../../build/node/cloud/src/media/time-shift.js";
import { trackTimescales } from "../../build/node/cloud/src/media/rebase.js";
import { bareCloud, fmp4, addStream, addSegment } from "./_recordings.mjs";
import { browserFor } from "./_browser.mjs";

const W = Date.UTC(2026, 0, 1, 12, 0, 0);

/** ffprobe's view of an MP4: the format's start time and duration (s), video frames decoded. */
function probeTimes(bytes) {
	const dir = mkdtempSync(join(tmpdir(), "ivxs-start-"));
	try {
		const file = join(dir, "f.mp4");
		writeFileSync(file, bytes);
		const run = spawnSync("ffprobe", ["-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries", "format=start_time,duration:stream=nb_read_frames", "-of", "json", file], { encoding: "utf8" });
		if (run.status !== 0) throw new Error(run.stderr);
		const out = JSON.parse(run.stdout);
		return { start: Number(out.format.start_time), duration: Number(out.format.duration), frames: Number(out.streams[0].nb_read_frames), complaints: run.stderr.trim() };
	}
	finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

/** A cloud holding a stream whose fragments 7..9 (of a 10-s clip), moved on by `laterS`, lie in the window at W. */
async function midStream(t, laterS) {
	const cloud = await bareCloud(t, { fileMinutes: 1 });
	const media = fmp4({ seconds: 10 });
	const later = new Map([...trackTimescales(media.init)].map(([track, scale]) => [track, -BigInt(laterS * scale)]));
	const uploaded = media.fragments.slice(7).map((fragment) => laterS ? shiftSegment(fragment.bytes, later) : fragment.bytes);
	await addStream(cloud, { device: "cam1", init: media.init, epochMs: W - 7000 - laterS * 1000, ended: W + 3000 });
	for (const [i, bytes] of uploaded.entries()) await addSegment(cloud, { device: "cam1", seq: 7 + i, startMs: W + i * 1000, endMs: W + (i + 1) * 1000, bytes });
	t.is(await assembleClosed(cloud.ctx, { clock: () => W + 10 * 60_000 }), 1);
	const [file] = await listFiles(cloud.ctx.sql, "cam1", 0, W - 60_000, W + 60_000);
	return { cloud, media, uploaded, file, bytes: await cloud.ctx.store.get(file.key) };
}

// A file from a stream's first frame starts at its first frame's composition offset (B-frames: 2 frames of 15 fps).
const firstFrameS = 2 / 15;

for (const laterS of [0, 5400]) {
	test(`a file ${7 + laterS} s into its stream starts at 0 and lasts its 3 s (ffprobe); its segments read as uploaded`, async (t) => {
		const { cloud, media, uploaded, file, bytes } = await midStream(t, laterS);
		const probed = probeTimes(bytes);
		t.log(`ffprobe: start_time ${probed.start} s, duration ${probed.duration} s, ${probed.frames} frames`);
		t.true(Math.abs(probed.start - firstFrameS) < 0.01, `starts at ${probed.start} s`);
		t.true(Math.abs(probed.duration - 3) < 0.1, `lasts ${probed.duration} s`);
		t.is(probed.frames, media.fragments.slice(7).reduce((sum, f) => sum + f.frames, 0));
		t.is(probed.complaints, "");
		const rows = cloud.ctx.sql.db.prepare("SELECT * FROM segments ORDER BY seq").all();
		t.true(rows.every((row) => row.key === file.key && row.file_shift), "repointed into the file, with its shift");
		for (const [i, row] of rows.entries()) t.deepEqual(await segmentBytes(cloud.ctx, row), uploaded[i], `segment ${row.seq} byte for byte`);
	});
}

test.serial("Chromium plays a file from the middle of a stream from 0, for its own duration", async (t) => {
	const { bytes } = await midStream(t, 5400);
	const server = createServer((req, res) => {
		if (req.url !== "/f.mp4") return res.writeHead(req.url === "/" ? 200 : 404, { "content-type": "text/html" }).end(req.url === "/" ? "<video muted></video>" : "");
		res.writeHead(200, { "content-type": "video/mp4", "content-length": bytes.length }).end(bytes);
	}).listen(0, "127.0.0.1");
	t.teardown(() => server.close());
	await new Promise((resolve) => server.once("listening", resolve));
	const { page } = await browserFor(t);
	await page.goto(`http://127.0.0.1:${server.address().port}/`);
	const seen = await page.evaluate(async () => {
		const video = document.querySelector("video");
		video.src = "/f.mp4";
		await new Promise((resolve, reject) => {
			video.onloadedmetadata = resolve;
			video.onerror = () => reject(new Error(`error ${video.error?.code}`));
		});
		const startedAt = video.currentTime;
		await video.play();
		await new Promise((resolve) => (video.onended = resolve));
		return { startedAt, duration: video.duration, endedAt: video.currentTime };
	});
	t.log(`Chromium: duration ${seen.duration} s, from ${seen.startedAt} s to ${seen.endedAt} s`);
	t.true(seen.startedAt < 0.2, `starts at ${seen.startedAt} s`);
	t.true(Math.abs(seen.duration - 3) < 0.2, `duration ${seen.duration} s`);
	t.true(Math.abs(seen.endedAt - seen.duration) < 0.01);
});
