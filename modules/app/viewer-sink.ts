/**
 * What the P2P viewer (viewer.ts) writes: live frames as fragmented MP4 (ffplay, a file, a player)
 * or the raw Annex-B video (`ffplay -f h264 -`). Frames arrive as the camera's ring holds them —
 * Annex-B access units and, when the channel has audio, ADTS frames (told apart by ADTS's sync
 * word) — stamped in 32-bit milliseconds, made relative to the first frame here.
 */
import { AudioTrack, Fmp4Muxer, MediaError, VideoTrack } from "../media/index.js";
import type { P2pMedia } from "../protocol/signal.js";

export type SinkFormat = "fmp4" | "annexb";

const isAdts = (b: Uint8Array) => b.length > 7 && b[0] === 0xff && (b[1] & 0xf6) === 0xf0;

export class ViewerSink {
	#write: (chunks: Uint8Array[]) => void;
	#format: SinkFormat;
	#muxer: Fmp4Muxer | undefined;
	#video: VideoTrack | undefined;
	#audio: AudioTrack | undefined;
	#first: number | undefined;
	#lastVideo = -1;
	/** Frames written, and refused (malformed for the muxer: dropped, the stream goes on). */
	written = 0;
	refused = 0;

	constructor(media: P2pMedia, format: SinkFormat, write: (chunks: Uint8Array[]) => void) {
		this.#write = write;
		this.#format = format;
		if (format === "annexb") return;
		this.#video = new VideoTrack({ codec: media.codec, onJump: "discontinuity" });
		this.#audio = media.audio ? new AudioTrack({ onJump: "discontinuity" }) : undefined;
		// Short fragments: a player starts and follows within a fraction of a second, not a GOP.
		this.#muxer = new Fmp4Muxer({ video: media.codec, audio: media.audio, fragment: "duration", fragmentDurationMs: 100, sink: (chunks) => this.#write(chunks) });
	}

	frame(bytes: ArrayBuffer, timestamp: number): void {
		const data = new Uint8Array(bytes);
		this.#first ??= timestamp;
		const ms = (timestamp - this.#first) >>> 0;
		const audio = isAdts(data);
		if (this.#format === "annexb") {
			if (!audio) this.#write([data]);
			this.written += audio ? 0 : 1;
			return;
		}
		try {
			if (audio) {
				if (!this.#audio) return;
				this.#muxer!.writeAudioUnit(this.#audio.process(data, ms));
			}
			else {
				// Two frames of one millisecond would not increase at 90 kHz: the later one waits a tick.
				const at = Math.max(ms, this.#lastVideo + 1);
				this.#muxer!.writeVideoUnit(this.#video!.process(data, at, at));
				this.#lastVideo = at;
			}
			this.written++;
		}
		catch (error) {
			if (!(error instanceof MediaError)) throw error;
			this.refused++;
		}
	}

	end(): void {
		try {
			this.#muxer?.flush();
		}
		catch (error) {
			if (!(error instanceof MediaError)) throw error;
		}
	}
}
