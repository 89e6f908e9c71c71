/**
 * Talkback's codecs (issue 14 §2): what a viewer names in `open voice codec=…[&rate=Hz]`, the file
 * extension the camera writes each to (modules/app/talkback.ts), and the codec of a file a viewer
 * sends (`npm run view -- … --talk FILE`, modules/app/viewer-talk.ts), told by its extension.
 */

/** codec → the extension of the file the camera writes: aac (ADTS frames), pcmu (G.711 μ-law), pcma (A-law). */
export const TALK_CODECS: Readonly<Record<string, string>> = Object.freeze({ aac: "aac", pcmu: "ulaw", pcma: "alaw" });
export type TalkCodec = "aac" | "pcmu" | "pcma";

/** A file's extension → its codec (what ffmpeg and sox call these files, and the codecs' names). */
const BY_EXTENSION: Readonly<Record<string, TalkCodec>> = Object.freeze({
	aac: "aac", adts: "aac",
	ul: "pcmu", ulaw: "pcmu", mulaw: "pcmu", pcmu: "pcmu",
	al: "pcma", alaw: "pcma", pcma: "pcma",
});

/** The codec of a talkback file by its extension, or undefined (not one a camera takes). */
export function talkCodecOfFile(path: string): TalkCodec | undefined {
	const dot = path.lastIndexOf(".");
	const extension = dot > path.lastIndexOf("/") ? path.slice(dot + 1).toLowerCase() : "";
	return Object.hasOwn(BY_EXTENSION, extension) ? BY_EXTENSION[extension] : undefined;
}

/** A codec a viewer may name (own keys only: "constructor" is no codec). */
export const isTalkCodec = (codec: string): codec is TalkCodec => Object.hasOwn(TALK_CODECS, codec);

/** The file extensions talkCodecOfFile knows (usage lines). */
export const TALK_FILE_EXTENSIONS = Object.freeze(Object.keys(BY_EXTENSION));

/** G.711 goes out in frames of this many ms (8 bytes a ms at 8 kHz): what VoIP packs in a packet. */
export const G711_FRAME_MS = 20;

/**
 * What one viewer's talkback may cost the camera (issue 27 §4): the camera (modules/app/talkback.ts)
 * drops a frame beyond a bound (counted, never written) and ends the talkback past a session's
 * bound or after `maxDropped` drops.
 */
export const TALK_BOUNDS = Object.freeze({
	/** One talkback: at most this long (wall clock, s) … */
	sessionS: 300,
	/** … and this many bytes written (G.711 at 8 kHz for 300 s is 2.4 MB). */
	sessionBytes: 2.5 * 1024 * 1024,
	/** The folder of talkback files: the oldest go so that the finished files plus a whole
	 * session for each one under way stay within it (so at most 6 talk at once). */
	folderBytes: 16 * 1024 * 1024,
	/** … and files (one per talkback, the ones under way included): empty talkbacks add up too. */
	folderFiles: 100,
	/** How far the audio may run ahead of the wall clock since the talkback opened, ms (jitter,
	 * a burst after a loss): G.711 bytes ≤ rate × (seconds + this), AAC frames ≤ rate / 1024 × the same. */
	aheadMs: 1000,
	/** Frames dropped after which the talkback ends. */
	maxDropped: 50,
});

/** G.711 sampling rates a talkback may declare (`rate=`, Hz; 8000 by default): a byte a sample. */
export const G711_RATES: readonly number[] = Object.freeze([8000, 16000]);
/** AAC sampling rates a talkback may carry (its ADTS headers; `rate=` must agree): speech, not 64–96 kHz. */
export const AAC_TALK_RATES: readonly number[] = Object.freeze([8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000]);
/** AAC channels a talkback may carry: mono or stereo. */
export const AAC_TALK_CHANNELS = 2;
/** An AAC frame's bytes at most: a raw data block holds at most 6144 bits per channel
 * (ISO/IEC 14496-3 §4.5.3.2), plus the ADTS header with its CRC. */
export const aacTalkFrameMaxBytes = (channels: number): number => 768 * channels + 9;
