/*
 * Ring frames into muxers, for the file demo (main.ts) and the mux benchmark
 * (bench/xs/mux-feed-bench.js). Process once, mux many: each frame is analysed once by its
 * track (modules/media/track.ts; the ring frame's info word, capture's NAL
 * classification, spares a second scan) and the unit goes to every muxer. A
 * frame the track or a muxer refuses (a MediaError) is counted and reported,
 * and the tracks and muxers keep their state.
 */
import { FrameType } from "ring";
import type { Frame } from "ring";
import { AudioTrack, MediaError, VideoTrack, type AudioUnit, type VideoCodec, type VideoUnit } from "../media/index.js";

export interface FrameWriter {
	writeVideoUnit(unit: VideoUnit): void;
	writeAudioUnit(unit: AudioUnit): unknown;
}

export class MuxerFeed {
	videoFrames = 0;
	audioFrames = 0;
	rejected = 0;
	#muxers: readonly FrameWriter[];
	#onRejected: (frame: Frame, error: MediaError) => void;
	#video: VideoTrack;
	#audio: AudioTrack;
	constructor(codec: VideoCodec, muxers: readonly FrameWriter[], onRejected: (frame: Frame, error: MediaError) => void) {
		this.#muxers = muxers;
		this.#onRejected = onRejected;
		// A timestamp jump is a discontinuity (fMP4 starts a new fragment; FLV writes the new time).
		this.#video = new VideoTrack({ codec, onJump: "discontinuity" });
		this.#audio = new AudioTrack({ onJump: "discontinuity" });
	}
	feed(frame: Frame): void {
		const muxers = this.#muxers;
		try {
			if (frame.type === FrameType.video) {
				const unit = this.#video.process(frame.data, frame.timestamp, frame.timestamp, frame.info);
				// Indexed loops: for-of makes an iterator and a result object per step on XS.
				for (let i = 0; i < muxers.length; i++) muxers[i].writeVideoUnit(unit);
				this.videoFrames++;
			}
			else {
				const unit = this.#audio.process(frame.data, frame.timestamp);
				for (let i = 0; i < muxers.length; i++) muxers[i].writeAudioUnit(unit);
				this.audioFrames++;
			}
		}
		catch (error) {
			if (!(error instanceof MediaError)) throw error;
			this.rejected++;
			this.#onRejected(frame, error);
		}
	}
}
