// What the cloud stored, read once the soak is over: the cloud started in this process on the
// soak's data folder (its own catalogue and players' reader: tests/_camera.mjs storedFrames' way),
// every stream decoded by ffprobe, and each segment's ring sequence numbers, so the frames missing
// between segments can be set against the gaps the camera reported.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { loadConfig } from "../../build/node/cloud/src/config.js";
import { startCloud } from "../../build/node/cloud/src/server.js";
import { segmentsBetween, streamOf } from "../../build/node/cloud/src/catalogue/index.js";
import { segmentBytes } from "../../build/node/cloud/src/playback/segments.js";
import { fragmentsOf } from "./mp4.mjs";

/**
 * { streams: [{ stream, segments, samples, decoded, errors }], runs: [{ segments, frames, holes, first, last }],
 * gapFrames (the cloud's gap records), gaps }: `runs` are the ring's lives (its sequence starts again
 * when the camera does); `holes` the frames missing between consecutive segments of one.
 */
export async function readStored(dataDir, device, channel = 0) {
	const cloud = await startCloud(loadConfig({ host: "127.0.0.1", port: 0, dataDir, logLevel: "silent", shutdownGraceS: 0, minFreeBytes: 0 }, {}), pino({ level: "silent" }));
	const dir = mkdtempSync(join(tmpdir(), "ivxs-soak-probe-"));
	try {
		const sql = cloud.ctx.sql;
		const rows = await segmentsBetween(sql, device, channel, 0, Number.MAX_SAFE_INTEGER);
		const byStream = new Map();
		for (const row of rows) {
			if (!byStream.has(row.stream)) byStream.set(row.stream, []);
			byStream.get(row.stream).push(row);
		}
		const streams = [], all = [];
		for (const [stream, segments] of byStream) {
			const init = await cloud.ctx.store.get((await streamOf(sql, device, channel, stream)).init_key);
			const parts = [init];
			let samples = 0;
			for (const row of segments) {
				const bytes = await segmentBytes(cloud.ctx, row);
				parts.push(bytes);
				const f = fragmentsOf(bytes);
				samples += f.samples;
				all.push({ stream, id: row.id, seq: row.seq, startMs: row.start_ms, ...f });
			}
			streams.push({ stream, segments: segments.length, samples, ...probe(dir, Buffer.concat(parts)) });
		}
		const gaps = sql.db.prepare("SELECT channel, from_ms, to_ms, frames, reason FROM gaps WHERE device = ? ORDER BY from_ms").all(device);
		// `segments`: each stored segment (upload order, ring sequence, frames), kept beside a failed verdict's logs.
		const segments = all.map(({ id, stream, seq, startMs, firstSequence, samples }) => ({ id, stream, seq, startMs, firstSequence, samples }));
		return { streams, runs: ringRuns(all), gaps, gapFrames: gaps.reduce((sum, g) => sum + g.frames, 0), segments };
	}
	finally {
		rmSync(dir, { recursive: true, force: true });
		await cloud.stop();
	}
}

/**
 * Segments in upload order (the catalogue's row ids: the order the cloud took them) grouped by the
 * ring's life: a sequence number that goes back starts a new one. Not by start time: start times
 * come from the camera's wall clock (which the clock-jump fault moves), and one segment sorted out of
 * its place would count its frames as a hole where it belonged and start a "life" of its own.
 */
function ringRuns(segments) {
	const runs = [];
	let run;
	for (const s of [...segments].sort((a, b) => a.id - b.id)) {
		if (s.firstSequence === undefined) continue;
		if (!run || s.firstSequence < run.last) {
			run = { segments: 0, frames: 0, holes: 0, first: s.firstSequence, last: s.firstSequence, startMs: s.startMs };
			runs.push(run);
		}
		run.holes += s.firstSequence - run.last;
		run.last = s.firstSequence + s.samples;
		run.frames += s.samples;
		run.segments++;
	}
	return runs;
}

/** ffprobe's decoded frames of one stream (init + segments) and whatever it complained of. */
function probe(dir, bytes) {
	const file = join(dir, "stream.mp4");
	writeFileSync(file, bytes);
	const run = spawnSync("ffprobe", ["-v", "error", "-count_frames", "-show_entries", "stream=codec_name,nb_read_frames", "-of", "json", file], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
	const errors = run.stderr.split("\n").filter(Boolean).slice(0, 20);
	if (run.status !== 0) return { decoded: 0, errors: errors.length ? errors : [`ffprobe exited ${run.status}`] };
	return { decoded: JSON.parse(run.stdout).streams.reduce((sum, s) => sum + Number(s.nb_read_frames), 0), errors };
}
