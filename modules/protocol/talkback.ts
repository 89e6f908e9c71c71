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
