/**
 * Talkback from a file (`npm run view -- <device> --talk FILE`, issue 14 §4): the file's codec by
 * its extension (modules/protocol/talkback.ts), cut into the frames a viewer sends — an .aac's
 * ADTS frames, G.711 in 20-ms slices — sent at the pace they play (the camera's speaker, or its
 * file on Linux, gets them in order with low delay), then the end of talkback.
 */
import Timer from "timer";
import { parseAdtsHeader, splitAdtsFrames } from "../media/index.js";
import type { P2PViewer } from "../p2p/index.js";
import { G711_FRAME_MS, type TalkCodec } from "../protocol/talkback.js";

export interface TalkFrame {
	data: Uint8Array;
	/** When it plays, ms from the first frame. */
	at: number;
}

/** The `open voice` params and the frames of a file's bytes. Throws on an empty or malformed file (a MediaError for ADTS). */
export function talkFrames(bytes: Uint8Array, codec: TalkCodec): { params: string; frames: TalkFrame[] } {
	if (!bytes.length) throw new RangeError("talkback: the file is empty");
	if (codec === "aac") {
		const frames = splitAdtsFrames(bytes);
		const { sampleRate, samplesPerFrame } = parseAdtsHeader(frames[0]);
		return { params: `codec=aac&rate=${sampleRate}`, frames: frames.map((data, i) => ({ data, at: Math.round(i * samplesPerFrame * 1000 / sampleRate) })) };
	}
	const perMs = 8;   // G.711: 8 kHz, a byte a sample
	const frames: TalkFrame[] = [];
	for (let at = 0; at < bytes.length; at += G711_FRAME_MS * perMs) frames.push({ data: bytes.subarray(at, at + G711_FRAME_MS * perMs), at: at / perMs });
	return { params: `codec=${codec}&rate=8000`, frames };
}

const sleep = (ms: number) => new Promise<void>((resolve) => Timer.set(() => resolve(), Math.max(1, Math.ceil(ms))));

/** Sends the frames as they play (one the session's queue has no room for waits), then ends
 * talkback once every frame was delivered or given up; resolves with what went out. */
export async function sendTalk(viewer: P2PViewer, talk: { params: string; frames: TalkFrame[] }, monotonic: () => number): Promise<{ frames: number; bytes: number; ms: number }> {
	await viewer.talk(talk.params);
	const start = monotonic();
	let bytes = 0;
	for (const frame of talk.frames) {
		const early = frame.at - (monotonic() - start);
		if (early > 0) await sleep(early);
		while (viewer.voice(frame.data, frame.at) !== 0) await sleep(5);
		bytes += frame.data.length;
	}
	await viewer.endTalk();
	return { frames: talk.frames.length, bytes, ms: Math.round(monotonic() - start) };
}
