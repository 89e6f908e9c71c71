/**
 * One cloud-storage segment's fMP4 (SPEC §1): ring frames through the track stage (track.ts) into
 * a muxer of the segment's own, in fragments of at most PART_TARGET_MS (each sent as it is cut: the
 * cloud lists it as an LL-HLS part). Fresh tracks and muxer per segment, with the stream's time 0
 * (`originMs`) and the first frame's ring sequence (`firstSequence`): the same frames always give
 * the same bytes, so a segment is resent by reading the ring again — the camera keeps no copy.
 * (The live muxers' shared tracks cannot serve here: the recorder reads behind the live edge, and
 * a track that has seen later frames would number and time a resent segment differently.)
 */
import { Codec, FrameType } from "ring";
import type { Frame } from "ring";
import { PART_TARGET_MS } from "../protocol/live.js";
import { AudioTrack, Fmp4Muxer, MediaError, VideoTrack, type AudioConfig, type VideoCodec, type VideoConfig } from "../media/index.js";

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
	readonly #muxer: Fmp4Muxer;
	readonly #video: VideoTrack | undefined;
	readonly #audio: AudioTrack | undefined;
	#config: VideoConfig | undefined;

	constructor(options: { video?: VideoCodec; audio: boolean; originMs: number; firstSequence: number }) {
		const outputs = this.outputs;
		this.#muxer = new Fmp4Muxer({
			video: options.video, audio: options.audio, originMs: options.originMs, firstSequence: options.firstSequence,
			// Fragments the cloud lists as LL-HLS parts while the segment is streamed (PROTOCOL §3.2).
			fragment: "parts", fragmentDurationMs: PART_TARGET_MS,
			sink: (chunks, info) => { outputs.push({ init: info.type === "init", chunks, startMs: info.type === "fragment" ? info.startMs : 0 }); },
		});
		this.#video = options.video ? new VideoTrack({ codec: options.video, onJump: "discontinuity" }) : undefined;
		this.#audio = options.audio ? new AudioTrack({ onJump: "discontinuity" }) : undefined;
	}

	/** The segment's track configurations (undefined until its first frame of the kind). */
	get videoConfig(): VideoConfig | undefined {
		return this.#video?.config;
	}

	get audioConfig(): AudioConfig | undefined {
		return this.#audio?.config;
	}

	/** Muxes `frame`; audio frames are left out when `audioless`. */
	add(frame: Frame, audioless: boolean): Took {
		try {
			if (frame.type === FrameType.video && this.#video) {
				const unit = this.#video.process(frame.data, frame.timestamp, frame.timestamp, frame.info);
				if (this.#config && unit.key && unit.config !== this.#config) return Took.NewConfig;
				this.#config = unit.config;
				this.#muxer.writeVideoUnit(unit);
				return Took.Written;
			}
			// AAC only: a G.711 track beside it in the ring is for WebRTC viewers (fragmented MP4 in a
			// browser's MSE plays AAC, not G.711), so a channel with only G.711 stores its video alone
			if (frame.type === FrameType.audio && this.#audio && frame.codec === Codec.aac) {
				if (audioless) return Took.Skipped;
				this.#muxer.writeAudioUnit(this.#audio.process(frame.data, frame.timestamp));
				return Took.Written;
			}
			return Took.Ignored;
		}
		catch (error) {
			if (!(error instanceof MediaError)) throw error;
			return Took.Rejected;
		}
	}

	/** Ends the segment's last fragment. */
	flush(): void {
		this.#muxer.flush();
	}
}
