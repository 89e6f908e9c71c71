// Test helpers of the ingest tests (cingest): what a cloud stored for a
// stream, played back through ffprobe.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { segmentsBetween, streamOf } from "../../build/node/cloud/src/catalogue/index.js";
import { segmentBytes } from "../../build/node/cloud/src/playback/segments.js";

/** The stream's init and live segments concatenated, as a player would fetch them. */
export async function storedStream(cloud, device, channel, stream) {
	const row = await streamOf(cloud.ctx.sql, device, channel, stream);
	const segments = (await segmentsBetween(cloud.ctx.sql, device, channel, 0, Number.MAX_SAFE_INTEGER)).filter((s) => s.stream === stream);
	const parts = [await cloud.ctx.store.get(row.init_key)];
	// Through the players' own reader: a segment in a recording file reads moved back to its stream's times.
	for (const s of segments) parts.push(await segmentBytes(cloud.ctx, s));
	return { row, segments, bytes: Buffer.concat(parts) };
}

/** ffprobe -count_frames of an MP4: { h264: n, aac: n } (decoded frame counts per codec). */
export function countFrames(bytes) {
	const dir = mkdtempSync(join(tmpdir(), "ivxs-probe-"));
	try {
		const file = join(dir, "stream.mp4");
		writeFileSync(file, bytes);
		const out = JSON.parse(execFileSync("ffprobe", ["-v", "error", "-count_frames", "-show_entries", "stream=codec_name,nb_read_frames", "-of", "json", file], { encoding: "utf8" }));
		return Object.fromEntries(out.streams.map((s) => [s.codec_name, Number(s.nb_read_frames)]));
	}
	finally {
		rmSync(dir, { recursive: true, force: true });
	}
}
