/*
 * Ring frames into muxers, shared by the camera demo (main.ts) and the board
 * app (board.ts): each frame goes to every muxer; a frame a muxer refuses (a
 * MediaError) is counted and reported, and the muxers keep their state.
 */
import { FrameType } from "ring";
import type { Frame } from "ring";
import { MediaError } from "../media/index.js";

export interface FrameWriter {
	writeVideo(data: Uint8Array, timestamp: number): void;
	writeAudio(data: Uint8Array, timestamp: number): unknown;
}

export class MuxerFeed {
	videoFrames = 0;
	audioFrames = 0;
	rejected = 0;
	#muxers: readonly FrameWriter[];
	#onRejected: (frame: Frame, error: MediaError) => void;
	constructor(muxers: readonly FrameWriter[], onRejected: (frame: Frame, error: MediaError) => void) {
		this.#muxers = muxers;
		this.#onRejected = onRejected;
	}
	feed(frame: Frame): void {
		try {
			if (frame.type === FrameType.video) {
				for (const muxer of this.#muxers) muxer.writeVideo(frame.data, frame.timestamp);
				this.videoFrames++;
			}
			else {
				for (const muxer of this.#muxers) muxer.writeAudio(frame.data, frame.timestamp);
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
