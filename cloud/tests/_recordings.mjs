// Test helpers for recordings: real fragmented MP4 made by ffmpeg and split at
// its moof boxes into an init segment and fragments, and `streams`/`segments`
// rows + objects put in a cloud the way ingest leaves them.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { readBoxes, child, children } from "../../build/node/cloud/src/media/boxes.js";
import { pino } from "pino";
import { objectKey } from "../../build/node/cloud/src/storage/object-store.js";
import { loadConfig } from "../../build/node/cloud/src/config.js";
import { metadataOf, openSql } from "../../build/node/cloud/src/meta/open-sql.js";
import { postgresDatabase } from "./_cloud.mjs";
import { openObjectStore } from "../../build/node/cloud/src/storage/open.js";
import { Metrics } from "../../build/node/cloud/src/ops/metrics.js";
import "../../build/node/cloud/src/catalogue/index.js"; // the streams and segments tables
import * as recordings from "../../build/node/cloud/src/recordings/index.js";
import * as retention from "../../build/node/cloud/src/retention/index.js";

const made = new Map();

/** { init, fragments: [{ bytes, frames }] }: `seconds` of testsrc2, one key frame (and fragment) a second. */
export function fmp4({ seconds = 6, size = "320x240", rate = 15, noisy = false } = {}) {
	const id = JSON.stringify({ seconds, size, rate, noisy });
	if (made.has(id)) return made.get(id);
	const dir = mkdtempSync(join(tmpdir(), "ivxs-fmp4-"));
	try {
		const out = join(dir, "out.mp4");
		// `noisy` makes an incompressible picture: ~3 MB a second, for files over 10 MiB.
		const quality = noisy ? ["-vf", "noise=alls=30:allf=t", "-preset", "ultrafast", "-qp", "18"] : [];
		execFileSync("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", `testsrc2=size=${size}:rate=${rate}`, "-t", String(seconds), ...quality,
			"-c:v", "libx264", "-g", String(rate), "-pix_fmt", "yuv420p", "-movflags", "frag_keyframe+empty_moov+default_base_moof", "-f", "mp4", out]);
		const result = split(readFileSync(out));
		made.set(id, result);
		return result;
	}
	finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

function split(buf) {
	const boxes = readBoxes(buf);
	const firstMoof = boxes.findIndex((box) => box.type === "moof");
	const init = buf.subarray(0, boxes[firstMoof].start);
	const fragments = [];
	for (let i = firstMoof; i < boxes.length; i++) {
		if (boxes[i].type !== "moof") continue;
		const moof = boxes[i];
		const mdat = boxes[i + 1];
		let frames = 0;
		for (const traf of children(buf, moof, "traf")) for (const trun of children(buf, traf, "trun")) frames += buf.readUInt32BE(trun.body + 4);
		if (!child(buf, moof, "traf") || mdat?.type !== "mdat") throw new Error("unexpected fragment layout");
		fragments.push({ bytes: Buffer.from(buf.subarray(moof.start, mdat.end)), frames });
	}
	return { init: Buffer.from(init), fragments };
}

/**
 * A service context without the server and its timers, so a test drives the
 * periodic work itself with a fake clock. Shaped like a started cloud: { ctx, config, dataDir }.
 */
export async function bareCloud(t, { metadata = "sqlite", ...overrides } = {}, instanceId = "test-instance") {
	const dataDir = overrides.dataDir ?? mkdtempSync(join(tmpdir(), "ivxs-bare-"));
	if (metadata === "postgres") overrides.metadataUrl ??= await postgresDatabase();
	const config = loadConfig({ logLevel: "warn", ...overrides, dataDir }, {});
	const sql = await openSql(metadataOf(config), { durable: config.durableWrites });
	const store = await openObjectStore(config);
	const ctx = {
		config, sql, store, instanceId, metrics: new Metrics(), log: pino({ level: process.env.IVXS_CLOUD_TEST_LOG ?? "silent" }),
		onStop() {}, every() {},
	};
	// Their tables' indexes and checks; `every` does nothing here: the test runs the work.
	recordings.install(ctx);
	retention.install(ctx);
	t.teardown(async () => {
		await store.close();
		await sql.close();
		if (!overrides.dataDir) rmSync(dataDir, { recursive: true, force: true });
	});
	return { ctx, config, dataDir };
}

/** Puts a stream's init object and row. */
export async function addStream(cloud, { device, channel = 0, stream = "s1", init, epochMs = 0, created = epochMs, ended = null }) {
	const key = objectKey("media", device, channel, stream, "init.mp4");
	await cloud.ctx.store.put(key, init);
	await cloud.ctx.sql.run(`INSERT INTO streams (device, channel, stream, epoch_ms, init_key, codecs, width, height, has_video, has_audio, created, ended)
		VALUES (?, ?, ?, ?, ?, 'avc1.64000d', 320, 240, 1, 0, ?, ?)`, [device, channel, stream, epochMs, key, created, ended]);
	return key;
}

/** Puts a segment object and its row, as ingest does; returns the row id. */
export async function addSegment(cloud, { device, channel = 0, stream = "s1", seq, startMs, endMs, bytes, created = endMs }) {
	const key = objectKey("media", device, channel, stream, `${seq}.m4s`);
	await cloud.ctx.store.put(key, bytes);
	return (await cloud.ctx.sql.get(`INSERT INTO segments (device, channel, stream, seq, start_ms, end_ms, bytes, sha256, key, "offset", file_id, created, deleted)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, NULL, ?, NULL) RETURNING id`, [device, channel, stream, seq, startMs, endMs, bytes.length, createHash("sha256").update(bytes).digest("hex"), key, created])).id;
}

/** Frames ffprobe decodes from an MP4 (and its complaints, which should be none). */
export function probe(bytes) {
	const dir = mkdtempSync(join(tmpdir(), "ivxs-probe-"));
	try {
		const file = join(dir, "f.mp4");
		writeFileSync(file, bytes);
		const run = spawnSync("ffprobe", ["-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames,codec_name", "-of", "json", file], { encoding: "utf8" });
		if (run.status !== 0) throw new Error(`ffprobe failed: ${run.stderr}`);
		const stream = JSON.parse(run.stdout).streams[0];
		return { frames: Number(stream.nb_read_frames), codec: stream.codec_name, complaints: run.stderr.trim() };
	}
	finally {
		rmSync(dir, { recursive: true, force: true });
	}
}
