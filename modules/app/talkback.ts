/**
 * Talkback on the camera app (issue 14 §2, the seed's onRecvInit/onRecvVoice): a viewer's audio,
 * in order, written as it arrives to "<dir>/<time>-<peer>.<ext>" — the Linux app's stand-in for a
 * speaker (`ffplay -f mulaw -ar 8000 FILE`, `ffplay FILE.aac`). `params` names the codec:
 * `codec=aac` (ADTS frames), `codec=pcmu` (G.711 μ-law, the default: what viewers commonly send)
 * or `codec=pcma` (A-law), optionally `&rate=<Hz>` (G.711's 8000 by default).
 *
 * Bounded (issue 27 §4; the figures and rate sets are modules/protocol/talkback.ts's) by
 * talkMeter and admitTalkFrame below, the one implementation of the bounds for every talkback —
 * the folder's files and a C firmware's recv_voice_cb (p2p-viewers.ts viewerVoice): a rate
 * outside the codec's plausible set is refused at open; a frame is dropped (counted, never
 * delivered) when it is not plausible — AAC: not one whole ADTS frame, a rate or channel count
 * talkback does not carry, another rate than declared, more bytes than a frame holds — or when
 * the audio would run ahead of the wall clock (G.711: a byte a sample at its rate; AAC: 1024
 * samples a frame at its rate); the talkback is cut (file closed, later frames dropped) past its
 * seconds or bytes, or after too many drops. The folder is a ring: before a talkback opens, the
 * oldest files go until the rest and a whole session for each talkback under way fit its bounds
 * (bytes and files).
 */
import { parseAdtsFrame } from "../media/index.js";
import { queryPairs } from "../p2p/params.js";
import { AAC_TALK_CHANNELS, AAC_TALK_RATES, aacTalkFrameMaxBytes, G711_RATES, isTalkCodec, TALK_BOUNDS, TALK_CODECS, type TalkCodec } from "../protocol/talkback.js";
import { trimOldest } from "../store/oldest-first.js";
import { pattern } from "../protocol/pattern.js";

export interface TalkWriter {
	write(chunks: ArrayBuffer[]): void;
	close(): void;
}

/** What the folder needs of the platform (ivxs/platform's functions; fakes in tests). */
export interface TalkFiles {
	listDirectory(path: string): { name: string; size: number }[];
	removeFile(path: string): void;
	createWriter(path: string): TalkWriter;
}

/** One talkback as its bounds see it, whatever takes its frames. */
export interface TalkMeter {
	codec: TalkCodec;
	/** Hz: declared, or (AAC without `rate=`) the first good frame's. */
	rate: number | undefined;
	/** Frames and bytes let through. */
	frames: number;
	bytes: number;
	/** Frames not let through (a bound), and why the last one was. */
	dropped: number;
	why: string;
	/** Why it ended before the viewer ended it ("" while open or ended by the viewer): later frames are dropped. */
	cut: string;
	/** Monotonic ms at open, and the audio's ms let through since. */
	openedAt: number;
	mediaMs: number;
}

export interface Talk extends TalkMeter {
	peer: string;
	path: string;
	writer: TalkWriter | undefined;
}

/** A talkback's meter for its `params` (codec=…&rate=…) at monotonic ms `openedAt`, or throws a
 * RangeError (an unknown codec, an implausible rate). */
export function talkMeter(params: string, openedAt: number): TalkMeter {
	const pairs = queryPairs(params);
	const codec = pairs.get("codec") ?? "pcmu";
	if (!isTalkCodec(codec)) throw new RangeError(`talkback: codec must be aac, pcmu or pcma, not ${codec}`);
	const text = pairs.get("rate") ?? (codec === "aac" ? undefined : "8000");
	const rate = text === undefined ? undefined : Number(text);
	const rates = codec === "aac" ? AAC_TALK_RATES : G711_RATES;
	if (rate !== undefined && (!/^[1-9][0-9]{3,4}$/.test(text!) || !rates.includes(rate))) throw new RangeError(`talkback: rate for ${codec} is one of ${rates.join(", ")} Hz`);
	return { codec, rate, frames: 0, bytes: 0, dropped: 0, why: "", cut: "", openedAt, mediaMs: 0 };
}

/** Whether one frame (not empty) at monotonic ms `now` may go on: then it is counted (frames,
 * bytes, its audio's ms). Else it is dropped and counted (`why`); past the session's seconds or
 * bytes, or at `maxDropped` drops, the talkback is cut (`cut` set): every later frame is dropped. */
export function admitTalkFrame(talk: TalkMeter, data: ArrayBuffer, now: number): boolean {
	if (talk.cut) {
		talk.dropped++;
		return false;
	}
	const elapsed = now - talk.openedAt;
	if (elapsed > TALK_BOUNDS.sessionS * 1000) talk.cut = `longer than ${TALK_BOUNDS.sessionS} s`;
	else if (talk.bytes + data.byteLength > TALK_BOUNDS.sessionBytes) talk.cut = `more than ${TALK_BOUNDS.sessionBytes} bytes`;
	else {
		const why = implausible(talk, data, elapsed);
		if (!why) {
			talk.frames++;
			talk.bytes += data.byteLength;
			return true;
		}
		talk.why = why;
		if (++talk.dropped >= TALK_BOUNDS.maxDropped) talk.cut = `${talk.dropped} frames dropped (the last: ${why})`;
		return false;
	}
	talk.dropped++;
	return false;
}

/** Why a frame may not go on, or "" (then its audio is counted). */
function implausible(talk: TalkMeter, data: ArrayBuffer, elapsed: number): string {
	let ms: number;
	if (talk.codec === "aac") {
		const bytes = new Uint8Array(data);
		let header;
		try {
			header = parseAdtsFrame(bytes).header;
		}
		catch (error) {
			return `not one ADTS frame (${(error as Error).message})`;
		}
		if (!AAC_TALK_RATES.includes(header.sampleRate)) return `AAC at ${header.sampleRate} Hz`;
		if (talk.rate !== undefined && header.sampleRate !== talk.rate) return `AAC at ${header.sampleRate} Hz, not the ${talk.rate} Hz declared`;
		if (header.channelConfig > AAC_TALK_CHANNELS) return `AAC with channel configuration ${header.channelConfig}`;
		if (bytes.length > aacTalkFrameMaxBytes(header.channelConfig)) return `an AAC frame of ${bytes.length} bytes`;
		talk.rate = header.sampleRate;
		ms = header.samplesPerFrame * 1000 / header.sampleRate;
	}
	else ms = data.byteLength * 1000 / talk.rate!;
	if (talk.mediaMs + ms > elapsed + TALK_BOUNDS.aheadMs) return "faster than real time";
	talk.mediaMs += ms;
	return "";
}

/** The files a talkback writes: "<Unix ms>-<peer>.<ext>". */
const TALK_FILE = pattern(/^([0-9]{1,16})-[A-Za-z0-9_-]*\.(aac|ulaw|alaw)$/);

export class TalkFolder {
	readonly #dir: string;
	readonly #files: TalkFiles;
	readonly #monotonic: () => number;
	readonly #open = new Set<Talk>();

	constructor(dir: string, files: TalkFiles, monotonic: () => number) {
		this.#dir = dir;
		this.#files = files;
		this.#monotonic = monotonic;
	}

	/** Talkbacks under way. */
	get open(): number {
		return this.#open.size;
	}

	/** A talkback's handle, or throws a RangeError (an unknown codec, an implausible rate, the
	 * folder's bound taken by the talkbacks under way). */
	openTalk(params: string, peer: string, time: number): Talk {
		const meter = talkMeter(params, this.#monotonic());
		this.#makeRoom();
		const path = `${this.#dir}/${time}-${peer.replace(/[^A-Za-z0-9_-]/g, "_")}.${TALK_CODECS[meter.codec]}`;
		const talk: Talk = { ...meter, peer, path, writer: this.#files.createWriter(path) };
		this.#open.add(talk);
		return talk;
	}

	/** One frame: written, or dropped and counted. Empty data ends the talkback (true then). */
	frame(talk: Talk, data: ArrayBuffer): boolean {
		if (!data.byteLength) {
			this.#close(talk, "");
			return true;
		}
		if (!talk.writer) {
			talk.dropped++;   // ended or cut short: nothing more is written
			return false;
		}
		if (!admitTalkFrame(talk, data, this.#monotonic())) {
			if (talk.cut) this.#close(talk, talk.cut);
			return false;
		}
		try {
			talk.writer.write([data]);
		}
		catch (error) {
			// the card full or gone: this talkback ends, the next one tries again
			talk.frames--;
			talk.bytes -= data.byteLength;
			talk.dropped++;
			this.#close(talk, `write failed: ${(error as Error).message}`);
		}
		return false;
	}

	#close(talk: Talk, cut: string): void {
		talk.writer?.close();
		talk.writer = undefined;
		if (cut) talk.cut = cut;
		this.#open.delete(talk);
	}

	/** The oldest finished files go until they and a whole session per talkback under way (the
	 * next one too) fit the folder's bounds of bytes and files. */
	#makeRoom(): void {
		const reserve = (this.#open.size + 1) * TALK_BOUNDS.sessionBytes;
		if (reserve > TALK_BOUNDS.folderBytes) throw new RangeError(`talkback: ${this.#open.size} under way fill the folder's ${TALK_BOUNDS.folderBytes} bytes`);
		const busy = new Set([...this.#open].map((t) => t.path));
		const finished: Array<{ path: string; time: number; bytes: number }> = [];
		let bytes = 0;
		for (const { name, size } of this.#files.listDirectory(this.#dir)) {
			const match = TALK_FILE.exec(name), path = `${this.#dir}/${name}`;
			if (!match || busy.has(path)) continue;
			finished.push({ path, time: Number(match[1]), bytes: size });
			bytes += size;
		}
		finished.sort((a, b) => a.time - b.time);
		const remove = (oldest: { path: string }) => this.#files.removeFile(oldest.path);
		trimOldest(finished, bytes, TALK_BOUNDS.folderBytes - reserve, remove);
		while (finished.length && finished.length + this.#open.size + 1 > TALK_BOUNDS.folderFiles) remove(finished.shift()!);
	}
}
