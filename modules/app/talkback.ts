/**
 * Talkback on the camera app (issue 14 §2, the seed's onRecvInit/onRecvVoice): a viewer's audio,
 * in order, written as it arrives to "<dir>/<time>-<peer>.<ext>" — the Linux app's stand-in for a
 * speaker (`ffplay -f mulaw -ar 8000 FILE`, `ffplay FILE.aac`). `params` names the codec:
 * `codec=aac` (ADTS frames), `codec=pcmu` (G.711 μ-law, the default: what viewers commonly send)
 * or `codec=pcma` (A-law), optionally `&rate=<Hz>` (G.711's 8000 by default; logged).
 */
import { queryPairs } from "../p2p/params.js";
import { isTalkCodec, TALK_CODECS } from "../protocol/talkback.js";

export interface TalkWriter {
	write(chunks: ArrayBuffer[]): void;
	close(): void;
}

export interface Talk {
	peer: string;
	path: string;
	codec: string;
	frames: number;
	bytes: number;
	writer: TalkWriter;
}

/** A talkback's handle, or throws (a RangeError: an unknown codec, a bad rate). */
export function openTalk(dir: string, params: string, peer: string, time: number, createWriter: (path: string) => TalkWriter): Talk {
	const pairs = queryPairs(params);
	const codec = pairs.get("codec") ?? "pcmu";
	if (!isTalkCodec(codec)) throw new RangeError(`talkback: codec must be aac, pcmu or pcma, not ${codec}`);
	const rate = pairs.get("rate") ?? "8000";
	if (!/^[1-9][0-9]{3,5}$/.test(rate)) throw new RangeError("talkback: rate must be in Hz");
	const path = `${dir}/${time}-${peer.replace(/[^A-Za-z0-9_-]/g, "_")}.${TALK_CODECS[codec]}`;
	return { peer, path, codec, frames: 0, bytes: 0, writer: createWriter(path) };
}

/** One frame; empty data ends it (true then). */
export function talkFrame(talk: Talk, data: ArrayBuffer): boolean {
	if (!data.byteLength) {
		talk.writer.close();
		return true;
	}
	talk.writer.write([data]);
	talk.frames++;
	talk.bytes += data.byteLength;
	return false;
}
