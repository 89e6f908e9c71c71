/**
 * Talkback on the camera app (issue 14 §2, the seed's onRecvInit/onRecvVoice): a viewer's audio,
 * in order, written as it arrives to "<dir>/<time>-<peer>.<ext>" — the Linux app's stand-in for a
 * speaker (`ffplay -f mulaw -ar 8000 FILE`, `ffplay FILE.aac`). `params` names the codec:
 * `codec=aac` (ADTS frames), `codec=pcmu` (G.711 μ-law, the default: what viewers commonly send)
 * or `codec=pcma` (A-law), optionally `&rate=<Hz>` (G.711's 8000 by default).
 *
 * Bounded (issue 27 §4; the figures and rate sets are modules/protocol/talkback.ts's): a rate
 * outside the codec's plausible set is refused at open; a frame is dropped (counted, never
 * written) when it is not plausible — AAC: not one whole ADTS frame, a rate or channel count
 * talkback does not carry, another rate than declared, more bytes than a frame holds — or when
 * the audio would run ahead of the wall clock (G.711: a byte a sample at its rate; AAC: 1024
 * samples a frame at its rate); the talkback ends (file closed, later frames dropped) past its
 * seconds or bytes, or after too many drops. The folder is a ring: before a talkback opens, the
 * oldest files go until the rest and a whole session for each talkback under way fit its bounds
 * (bytes and files).
 */
import { parseAdtsFrame } from "../media/index.js";
import { queryPairs } from "../p2p/params.js";
import { AAC_TALK_CHANNELS, AAC_TALK_RATES, aacTalkFrameMaxBytes, G711_RATES, isTalkCodec, TALK_BOUNDS, TALK_CODECS, type TalkCodec } from "../protocol/talkback.js";
import { trimOldest } from "../store/oldest-first.js";

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

export interface Talk {
	peer: string;
	path: string;
	codec: TalkCodec;
	/** Hz: declared, or (AAC without `rate=`) the first good frame's. */
	rate: number | undefined;
	frames: number;
	bytes: number;
	/** Frames not written (a bound), and why the last one was. */
	dropped: number;
	why: string;
	/** Why it ended before the viewer ended it ("" while open or ended by the viewer). */
	cut: string;
	/** Monotonic ms at open, and the audio's ms written since. */
	openedAt: number;
	mediaMs: number;
	writer: TalkWriter | undefined;
}

/** The files a talkback writes: "<Unix ms>-<peer>.<ext>". */
const TALK_FILE = /^([0-9]{1,16})-[A-Za-z0-9_-]*\.(aac|ulaw|alaw)$/;

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
		const pairs = queryPairs(params);
		const codec = pairs.get("codec") ?? "pcmu";
		if (!isTalkCodec(codec)) throw new RangeError(`talkback: codec must be aac, pcmu or pcma, not ${codec}`);
		const text = pairs.get("rate") ?? (codec === "aac" ? undefined : "8000");
		const rate = text === undefined ? undefined : Number(text);
		const rates = codec === "aac" ? AAC_TALK_RATES : G711_RATES;
		if (rate !== undefined && (!/^[1-9][0-9]{3,4}$/.test(text!) || !rates.includes(rate))) throw new RangeError(`talkback: rate for ${codec} is one of ${rates.join(", ")} Hz`);
		this.#makeRoom();
		const path = `${this.#dir}/${time}-${peer.replace(/[^A-Za-z0-9_-]/g, "_")}.${TALK_CODECS[codec]}`;
		const talk: Talk = { peer, path, codec, rate, frames: 0, bytes: 0, dropped: 0, why: "", cut: "", openedAt: this.#monotonic(), mediaMs: 0, writer: this.#files.createWriter(path) };
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
			talk.dropped++;   // cut short: nothing more is written
			return false;
		}
		const elapsed = this.#monotonic() - talk.openedAt;
		if (elapsed > TALK_BOUNDS.sessionS * 1000) this.#close(talk, `longer than ${TALK_BOUNDS.sessionS} s`);
		else if (talk.bytes + data.byteLength > TALK_BOUNDS.sessionBytes) this.#close(talk, `more than ${TALK_BOUNDS.sessionBytes} bytes`);
		else {
			const why = this.#implausible(talk, new Uint8Array(data), elapsed);
			if (!why) {
				try {
					talk.writer.write([data]);
				}
				catch (error) {
					// the card full or gone: this talkback ends, the next one tries again
					this.#close(talk, `write failed: ${(error as Error).message}`);
					talk.dropped++;
					return false;
				}
				talk.frames++;
				talk.bytes += data.byteLength;
				return false;
			}
			talk.why = why;
			if (++talk.dropped >= TALK_BOUNDS.maxDropped) this.#close(talk, `${talk.dropped} frames dropped (the last: ${why})`);
			return false;
		}
		talk.dropped++;
		return false;
	}

	/** Why a frame may not be written, or "" (then its audio is counted). */
	#implausible(talk: Talk, bytes: Uint8Array, elapsed: number): string {
		let ms: number;
		if (talk.codec === "aac") {
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
		else ms = bytes.length * 1000 / talk.rate!;
		if (talk.mediaMs + ms > elapsed + TALK_BOUNDS.aheadMs) return "faster than real time";
		talk.mediaMs += ms;
		return "";
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
