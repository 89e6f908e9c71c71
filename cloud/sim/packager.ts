// The simulated camera's media: the fixtures (H.264 640×480 15 fps, GOP 15;
// AAC-LC 16 kHz mono) looped for as long as asked, muxed by the project's own
// media layer (modules/media Fmp4Muxer) into fragments, grouped into segments
// of one GOP (1 s) that start at a key frame — or 1 s of audio when the
// camera has no video. Several fragments per segment, cut by the camera's own
// rule (Fmp4Muxer "parts": at most PART_TARGET_MS each), so an upload can start
// as soon as a segment's first fragment exists and the cloud lists each
// fragment as an LL-HLS part.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PART_TARGET_MS } from "../../modules/protocol/live.js";
import { accessUnitInfo, AU_INFO, Fmp4Muxer, splitAccessUnits, splitAdtsFrames, type FragmentInfo, type InitInfo } from "../../modules/media/index.js";

export const fixturesDir = join(import.meta.dirname, "../../../../fixtures/media");
const VIDEO_FPS = 15;
const AUDIO_FRAME_MS = 1024 / 16; // AAC-LC at 16 kHz

export interface PackagerOptions {
	video?: boolean;
	audio?: boolean;
	/** Longest fragment inside a segment (default PART_TARGET_MS: three video frames at 15 fps). */
	fragmentMs?: number;
	/** Audio-only: segment length (default 1000 ms). */
	segmentMs?: number;
}

export interface Fragment {
	bytes: Buffer;
	/** The first fragment of a segment (a video key frame, or a new second of audio). */
	startsSegment: boolean;
	startMs: number;
	durationMs: number;
	videoFrames: number;
	audioFrames: number;
}

export interface Frame {
	kind: "video" | "audio";
	data: Uint8Array;
	ptsMs: number;
}

/** The fixtures' frames looped, in timestamp order (video first on a tie: audio before the first key frame is dropped). */
export function* fixtureFrames(options: { video?: boolean; audio?: boolean; untilMs: number }): Generator<Frame> {
	const video = options.video === false ? [] : splitAccessUnits(readFileSync(join(fixturesDir, "h264-main-640x480.h264")), "h264");
	const audio = options.audio === false ? [] : splitAdtsFrames(readFileSync(join(fixturesDir, "aac-lc-16k-mono.aac")));
	let v = 0, a = 0;
	for (;;) {
		const vt = video.length ? (v * 1000) / VIDEO_FPS : Infinity;
		const at = audio.length ? a * AUDIO_FRAME_MS : Infinity;
		if (Math.min(vt, at) >= options.untilMs) return;
		if (vt <= at) yield { kind: "video", data: video[v++ % video.length], ptsMs: vt };
		else yield { kind: "audio", data: audio[a++ % audio.length], ptsMs: at };
	}
}

export class Packager {
	readonly #muxer: Fmp4Muxer;
	readonly #video: boolean;
	readonly #segmentMs: number;
	#segmentStartMs = -1;
	#startNext = true;
	#haveVideo = false;
	/** Called with each init segment (a new one means a new stream). */
	onInit: (bytes: Buffer, info: InitInfo) => void = () => {};
	onFragment: (fragment: Fragment) => void = () => {};

	constructor(options: PackagerOptions = {}) {
		this.#video = options.video !== false;
		this.#segmentMs = options.segmentMs ?? 1000;
		this.#muxer = new Fmp4Muxer({
			video: this.#video ? "h264" : undefined,
			audio: options.audio !== false,
			fragment: "parts",
			fragmentDurationMs: options.fragmentMs ?? PART_TARGET_MS,
			sink: (chunks, info) => {
				const bytes = Buffer.concat(chunks);
				if (info.type === "init") return this.onInit(bytes, info);
				const fragment = info as FragmentInfo;
				const startsSegment = this.#video ? fragment.key : this.#startNext;
				this.#startNext = false;
				this.onFragment({ bytes, startsSegment, startMs: fragment.startMs, durationMs: fragment.durationMs, videoFrames: fragment.videoSamples, audioFrames: fragment.audioSamples });
			},
		});
	}

	/** Adds a frame; fragments and inits come out through the callbacks. */
	write(frame: Frame): void {
		if (frame.kind === "video") {
			// Scanned once: the info word also spares the muxer its own scan.
			const info = accessUnitInfo("h264", frame.data);
			// A key frame starts a segment: the segment ends with everything held (as the camera's
			// muxer per segment ends); within it the muxer cuts the parts.
			if (this.#haveVideo && (info & AU_INFO.KEY) !== 0) this.#muxer.flush();
			this.#muxer.writeVideo(frame.data, frame.ptsMs, frame.ptsMs, info);
			this.#haveVideo = true;
			return;
		}
		if (!this.#video) {
			if (this.#segmentStartMs < 0) this.#segmentStartMs = frame.ptsMs;
			if (frame.ptsMs - this.#segmentStartMs >= this.#segmentMs) {
				this.#muxer.flush();
				this.#startNext = true;
				this.#segmentStartMs = frame.ptsMs;
			}
		}
		this.#muxer.writeAudio(frame.data, frame.ptsMs);
	}

	/** Emits what is held (the last fragment). */
	end(): void {
		this.#muxer.end();
	}
}

/** A whole stream made at once (tests, the load generator): its init and its segments. */
export function packageStream(options: PackagerOptions & { seconds: number }): { init: Buffer; codecs: string; segments: { bytes: Buffer; fragments: Fragment[] }[] } {
	const packager = new Packager(options);
	let init: Buffer | undefined, codecs = "";
	const segments: { bytes: Buffer; fragments: Fragment[] }[] = [];
	packager.onInit = (bytes, info) => {
		if (init) throw new Error("the fixtures changed configuration mid-stream");
		init = bytes, codecs = info.codecs;
	};
	packager.onFragment = (fragment) => {
		if (fragment.startsSegment || !segments.length) segments.push({ bytes: Buffer.alloc(0), fragments: [] });
		segments[segments.length - 1].fragments.push(fragment);
	};
	for (const frame of fixtureFrames({ ...options, untilMs: options.seconds * 1000 })) packager.write(frame);
	packager.end();
	for (const segment of segments) segment.bytes = Buffer.concat(segment.fragments.map((f) => f.bytes));
	return { init: init!, codecs, segments };
}
