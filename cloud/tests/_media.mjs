// Test media for playback: real fragmented MP4 made by ffmpeg (1-s fragments,
// a key frame each), split at moof boxes into segments, and written into a
// cloud's store and tables the way the ingest part commits them (schema:
// cloud/CLOUD.md). A "camera" can repeat the fragments forever, shifted in time.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readBoxes } from "../../build/node/cloud/src/media/boxes.js";
import { fragmentsOf, fragmentStartS, rebaseMoof, trackTimescales } from "../../build/node/cloud/src/media/rebase.js";

const made = new Map();

/** { init, fragments: [{ bytes, startS, endS }], scales } of a clip; `seconds` whole fragments. */
export function makeClip({ seconds = 6, video = true, audio = true, size = "320x240", fps = 15, hevc = false } = {}) {
	const id = JSON.stringify({ seconds, video, audio, size, fps, hevc });
	if (made.has(id)) return made.get(id);
	const dir = mkdtempSync(join(tmpdir(), "ivxs-clip-"));
	try {
		const file = join(dir, "clip.mp4");
		const inputs = [];
		if (video) inputs.push("-f", "lavfi", "-i", `testsrc2=size=${size}:rate=${fps}`);
		if (audio) inputs.push("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=16000");
		execFileSync("ffmpeg", ["-hide_banner", "-loglevel", "error", ...inputs, "-t", String(seconds + 1),
			...(video && !hevc ? ["-c:v", "libx264", "-preset", "ultrafast", "-profile:v", "main", "-pix_fmt", "yuv420p", "-g", String(fps), "-keyint_min", String(fps), "-sc_threshold", "0"] : []),
			...(video && hevc ? ["-c:v", "libx265", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-tag:v", "hvc1", "-x265-params", `keyint=${fps}:min-keyint=${fps}:scenecut=0:log-level=error`] : []),
			...(audio ? ["-c:a", "aac", "-b:a", "32k"] : []),
			...(audio && !video ? ["-frag_duration", "1000000"] : []),
			"-movflags", "frag_keyframe+empty_moov+default_base_moof", "-f", "mp4", file]);
		const bytes = readFileSync(file);
		const boxes = readBoxes(bytes);
		const moov = boxes.findIndex((box) => box.type === "moov");
		const init = bytes.subarray(0, boxes[moov].end);
		const scales = trackTimescales(init);
		const pairs = fragmentsOf(bytes.subarray(boxes[moov + 1].start));
		const starts = pairs.map(({ moof }) => fragmentStartS(moof, scales));
		// The last fragment has no successor to end it: it is left out.
		const fragments = pairs.slice(0, -1).map(({ moof, mdat }, i) => ({ bytes: Buffer.concat([moof, mdat]), startS: starts[i], endS: starts[i + 1] })).slice(0, seconds);
		const clip = { init, fragments, scales, codecs: [video && (hevc ? "hvc1.1.6.L60.90" : "avc1.4d401e"), audio && "mp4a.40.2"].filter(Boolean).join(",") };
		made.set(id, clip);
		return clip;
	}
	finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

/** A camera writing one stream of `clip` into the cloud, as committed segments. */
export class Camera {
	#cloud; #clip; #next = 0;
	constructor(cloud, { device, channel = 0, stream = `s${Date.now()}`, epoch = Date.now(), clip = makeClip() }) {
		this.#cloud = cloud;
		this.#clip = clip;
		Object.assign(this, { device, channel, stream, epoch });
	}

	get nextSeq() { return this.#next; }

	async start() {
		const key = `media/${this.device}/${this.channel}/${this.stream}/init.mp4`;
		await this.#cloud.ctx.store.put(key, this.#clip.init);
		await this.#cloud.ctx.sql.run(`INSERT INTO streams (device, channel, stream, epoch_ms, init_key, codecs, width, height, has_video, has_audio, created)
			VALUES (?, ?, ?, ?, ?, ?, 320, 240, 1, 1, ?)`, [this.device, this.channel, this.stream, this.epoch, key, this.#clip.codecs, Date.now()]);
		return this;
	}

	/**
	 * Commits the next segment (the clip's fragments in a loop, decode times running on); returns its row.
	 * `announce: false` commits as another instance would: the row appears, no in-process event.
	 * `stretchMs` makes the row's duration longer than its media (what a playlist reads).
	 */
	async commit({ skip = 0, announce = true, stretchMs = 0 } = {}) {
		this.#next += skip;
		const seq = this.#next++;
		const { fragments, scales } = this.#clip;
		const fragment = fragments[seq % fragments.length];
		const loopS = fragments[fragments.length - 1].endS - fragments[0].startS;
		const offsetS = Math.floor(seq / fragments.length) * loopS;
		let bytes = fragment.bytes;
		if (offsetS > 0) {
			const shift = new Map([...scales].map(([track, scale]) => [track, -BigInt(Math.round(offsetS * scale))]));
			const [{ moof, mdat }] = fragmentsOf(bytes);
			bytes = Buffer.concat([rebaseMoof(moof, seq + 1, shift), mdat]);
		}
		const start = this.epoch + Math.round((fragment.startS + offsetS) * 1000), end = this.epoch + Math.round((fragment.endS + offsetS) * 1000) + stretchMs;
		const key = `media/${this.device}/${this.channel}/${this.stream}/${seq}.m4s`;
		await this.#cloud.ctx.store.put(key, bytes);
		const row = { device: this.device, channel: this.channel, stream: this.stream, seq, start_ms: start, end_ms: end, bytes: bytes.length, sha256: "-", key, offset: 0, created: Date.now() };
		row.id = (await this.#cloud.ctx.sql.get(`INSERT INTO segments (device, channel, stream, seq, start_ms, end_ms, bytes, sha256, key, "offset", created)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, [row.device, row.channel, row.stream, row.seq, row.start_ms, row.end_ms, row.bytes, row.sha256, row.key, row.offset, row.created])).id;
		row.committedAt = Date.now();
		if (announce) this.#cloud.ctx.segmentEvents.emit("segment", row); // as the ingest part announces a commit
		return row;
	}
}

/** ffprobe's view of a file: streams and packet count per stream. */
export function probe(file) {
	const out = JSON.parse(execFileSync("ffprobe", ["-v", "error", "-show_entries", "stream=codec_name,width,height,nb_read_packets:format=duration,start_time",
		"-count_packets", "-of", "json", file], { encoding: "utf8" }));
	return out;
}

/** A JPEG picture from ffmpeg's test source, `seed` seconds in. */
export function jpeg(size = "320x240", seed = 0) {
	const dir = mkdtempSync(join(tmpdir(), "ivxs-jpeg-"));
	try {
		execFileSync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", `testsrc2=size=${size}:rate=1`, "-ss", String(seed), "-frames:v", "1", join(dir, "s.jpg")]);
		return readFileSync(join(dir, "s.jpg"));
	}
	finally {
		rmSync(dir, { recursive: true, force: true });
	}
}
