/**
 * One cloud-storage segment's fMP4 (SPEC §1): ring frames into a fragmenter of the segment's own
 * (native/fmp4, in C), in fragments of at most PART_TARGET_MS (each sent as it is cut: the cloud
 * lists it as an LL-HLS part). A fresh fragmenter per segment, with the stream's time 0
 * (`originMs`) and the first frame's ring sequence (`firstSequence`): the same frames always give
 * the same bytes, so a segment is resent by reading the ring again — the camera keeps no copy.
 *
 * The C core takes each frame's samples (NAL units past capture's AU info word, AAC past its
 * ADTS header), times and cuts fragments, and writes their headers; what it emits are views of
 * the ring's arena and of a header buffer, with no payload copied. The recorder hands it a frame
 * (`add`: a segment's first, a key frame, any the recorder judges) or lets it read the ring's
 * frames itself in C (`pump`: the frames between, with no JS and no allocation per frame). Here,
 * in JS, once per key frame: the parameter sets, which make the init segment (SPS parsing, codec
 * strings) and say when a new stream begins.
 */
import { Codec, FrameType } from "ring";
import type { Frame, Ring, RingReader } from "ring";
import { audio as muxAudio, create as createFragmenter, flush as muxFlush, Mode, NEW_AUDIO, pump as muxPump, READY, setVideoDuration, take as takeFragment, video as muxVideo } from "fmp4";
import type { FragmentInfo, Fragmenter, PumpCounts } from "fmp4";
import { PART_TARGET_MS } from "../protocol/live.js";
import { analyzeAccessUnit, audioConfigFor, configForKeyFrame, MediaError, type AudioConfig, type VideoCodec, type VideoConfig } from "../media/index.js";
import { parseAdtsHeader } from "../media/aac.js";
import { initSegment, VIDEO_TIMESCALE } from "../media/mp4-boxes.js";

/** typeof's answer, held once: on XS every evaluation of a string literal is a new string, and a
 * pump (a wake-up of the ring's) compared it each time. */
const OBJECT = "object";

/** What the muxer emitted: an init segment or a fragment, as a scatter list of views. */
export interface MuxOutput {
	init: boolean;
	chunks: Uint8Array[];
	/** A fragment's start, ms from the stream's time 0 (`originMs`); 0 for an init segment. */
	startMs: number;
}

/** What became of a frame given to `add`. */
export const enum Took {
	/** Written into the segment. */
	Written,
	/** An audio frame of a stream without audio (`audioless`): left out. */
	Skipped,
	/** Not for this channel's tracks. */
	Ignored,
	/** Malformed (a push that got past the checks): the muxer refused it, nothing changed. */
	Rejected,
	/** A key frame with new parameter sets: it starts a new stream (PROTOCOL §3), not written. */
	NewConfig,
}

export class SegmentMux {
	/** Output not sent yet, oldest first. */
	readonly outputs: MuxOutput[] = [];
	readonly #fragmenter: Fragmenter;
	readonly #video: VideoCodec | undefined;
	readonly #audio: boolean;
	#config: VideoConfig | undefined;
	#audioConfig: AudioConfig | undefined;
	readonly #info: FragmentInfo = { startMs: 0, newInit: false };

	constructor(options: { ring: Ring; video?: VideoCodec; audio: boolean; originMs: number; firstSequence: number }) {
		this.#video = options.video;
		this.#audio = options.audio;
		this.#fragmenter = createFragmenter({
			ring: options.ring, video: options.video === "h264" ? Codec.h264 : options.video === "h265" ? Codec.h265 : 0,
			// the core keeps whole ms, as the ring stamps frames; the local store's origin may be a fraction
			audio: options.audio, originMs: Math.round(options.originMs), firstSequence: options.firstSequence,
			// Fragments the cloud lists as LL-HLS parts while the segment is streamed (PROTOCOL §3.2).
			mode: Mode.parts, fragmentMs: PART_TARGET_MS,
		});
	}

	/** The segment's track configurations (undefined until its first frame of the kind). */
	get videoConfig(): VideoConfig | undefined {
		return this.#config;
	}

	get audioConfig(): AudioConfig | undefined {
		return this.#audioConfig;
	}

	/** Muxes `frame`; audio frames are left out when `audioless`. */
	add(frame: Frame, audioless: boolean): Took {
		const codec = this.#video;
		if (frame.type === FrameType.video && codec) {
			let config = this.#config;
			if (frame.key || !config) {
				try {
					const analysed = analyzeAccessUnit(codec, frame.data);
					if (analysed.key) config = configForKeyFrame(codec, analysed, config);
				}
				catch (error) {
					if (!(error instanceof MediaError)) throw error;
					return Took.Rejected;
				}
				if (this.#config && config !== this.#config) return Took.NewConfig;
			}
			const flags = muxVideo(this.#fragmenter, frame.data, frame.timestamp, frame.info);
			if (flags < 0) return Took.Rejected;
			if (!this.#config) {
				this.#config = config;
				const fps = config!.frameRate;
				setVideoDuration(this.#fragmenter, fps && fps > 0 && fps < 1000 ? Math.round(VIDEO_TIMESCALE / fps) : 3600);
			}
			if (flags & READY) this.#take();
			return Took.Written;
		}
		// AAC only: a G.711 track beside it in the ring is for WebRTC viewers (fragmented MP4 in a
		// browser's MSE plays AAC, not G.711), so a channel with only G.711 stores its video alone
		if (frame.type === FrameType.audio && this.#audio && frame.codec === Codec.aac) {
			if (audioless) return Took.Skipped;
			const flags = muxAudio(this.#fragmenter, frame.data, frame.timestamp);
			if (flags < 0) return Took.Rejected;
			// (a fragment cut by this frame is the configuration's before it)
			if (flags & READY) this.#take();
			if (flags & NEW_AUDIO) this.#audioConfig = audioConfigFor(parseAdtsHeader(frame.data), this.#audioConfig);
			return Took.Written;
		}
		return Took.Ignored;
	}

	/**
	 * Reads on from `reader` in C while the ring has frames and none is for the caller to judge,
	 * until a fragment is out: returns the frame that stopped it (not taken; `add` it, or end the
	 * segment there) — a video key frame, a key frame at or after `keyFrom`, a frame at or after
	 * `endBefore` or past `lastSeq`, the first after frames lost, an AAC frame of a new configuration
	 * — else undefined. `counts` gets
	 * what it took (as `add` would have: Written, Skipped, Ignored, Rejected).
	 */
	pump(reader: RingReader, keyFrom: number, endBefore: number, lastSeq: number, audioless: boolean, counts: PumpCounts): Frame | undefined {
		const stopped = muxPump(this.#fragmenter, reader, keyFrom, endBefore, lastSeq, audioless, counts);
		if (typeof stopped === OBJECT) return stopped as Frame;
		if ((stopped as number) & READY) this.#take();
		return undefined;
	}

	/** Ends the segment's last fragment. */
	flush(): void {
		if (muxFlush(this.#fragmenter) & READY) this.#take();
	}

	/** The fragment the fragmenter made ready, after an init segment when one goes first. */
	#take(): void {
		const info = this.#info;
		const chunks = takeFragment(this.#fragmenter, info)!;
		if (info.newInit) this.outputs.push({ init: true, chunks: [initSegment(this.#config, this.#audioConfig)], startMs: 0 });
		this.outputs.push({ init: false, chunks, startMs: info.startMs });
	}
}
