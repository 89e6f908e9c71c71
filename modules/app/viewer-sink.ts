/**
 * What the P2P viewer (viewer.ts) writes: live frames as fragmented MP4 (ffplay, a file, a player)
 * or the raw Annex-B video (`ffplay -f h264 -`). Frames arrive as the camera's ring holds them —
 * Annex-B access units and, when the channel has audio, ADTS frames (told apart by ADTS's sync
 * word) — stamped in 32-bit milliseconds, made relative to the first frame here.
 *
 * With audio, the video is held back until the first audio frame (at most AUDIO_WAIT_MS of it), so
 * that the one init segment names both tracks: the muxer writes its init with the first fragment,
 * and when an audio frame came only after that (behind a large key frame on a slow path: the
 * emulated S3, issue 54) a second init followed with the audio track added — legal fragmented MP4
 * for a player that re-reads inits, but ffprobe and ffmpeg reading the file keep the first, read
 * the audio samples as video, and decoded 64 of 255 frames.
 */
import { AudioTrack, Fmp4Muxer, MediaError, VideoTrack } from "../media/index.js";
import type { P2pMedia } from "../protocol/signal.js";

export type SinkFormat = "fmp4" | "annexb";

const isAdts = (b: Uint8Array) => b.length > 7 && b[0] === 0xff && (b[1] & 0xf6) === 0xf0;
/** The most video (ms of its timestamps) held back waiting for the first audio frame: past a
 * GOP, as a session's first key frame can be followed by the next one, the frames between skipped
 * while it was sent (seen on the emulated S3: the next video and the first audio ~1 s after it). */
const AUDIO_WAIT_MS = 3000;

export class ViewerSink {
	#write: (chunks: Uint8Array[]) => void;
	#format: SinkFormat;
	#muxer: Fmp4Muxer | undefined;
	#video: VideoTrack | undefined;
	#audio: AudioTrack | undefined;
	#first: number | undefined;
	#lastVideo = -1;
	/** Video frames held back until the first audio frame, with their ms (undefined: none held any more). */
	#held: Array<[Uint8Array, number]> | undefined;
	/** Frames written, refused (malformed for the muxer: dropped, the stream goes on), and audio
	 * frames the file has no place for (before its first video frame: the muxer's timeline starts there). */
	written = 0;
	refused = 0;
	unplaced = 0;

	constructor(media: P2pMedia, format: SinkFormat, write: (chunks: Uint8Array[]) => void) {
		this.#write = write;
		this.#format = format;
		if (format === "annexb") return;
		this.#video = new VideoTrack({ codec: media.codec, onJump: "discontinuity" });
		this.#audio = media.audio ? new AudioTrack({ onJump: "discontinuity" }) : undefined;
		if (this.#audio) this.#held = [];
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
		const held = this.#held;
		if (held && !audio) {
			held.push([data, ms]);
			if (((ms - held[0][1]) >>> 0) >= AUDIO_WAIT_MS) this.#release();   // no audio so far: video alone
			return;
		}
		if (held?.length) {
			// the first audio frame after the video began: the first video frame (the muxer takes
			// no audio before it), then the audio, whose config the first fragment's init then has
			this.#held = undefined;
			this.#mux(held[0][0], held[0][1], false);
			this.#mux(data, ms, true);
			for (let i = 1; i < held.length; i++) this.#mux(held[i][0], held[i][1], false);
			return;
		}
		this.#mux(data, ms, audio);
	}

	#release(): void {
		const held = this.#held;
		this.#held = undefined;
		for (const [data, ms] of held ?? []) this.#mux(data, ms, false);
	}

	#mux(data: Uint8Array, ms: number, audio: boolean): void {
		try {
			if (audio) {
				if (!this.#audio) return;
				if (!this.#muxer!.writeAudioUnit(this.#audio.process(data, ms))) {
					this.unplaced++;
					return;
				}
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
		this.#release();
		try {
			this.#muxer?.flush();
		}
		catch (error) {
			if (!(error instanceof MediaError)) throw error;
		}
	}
}
