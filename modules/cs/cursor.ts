/**
 * The recorder's place in the ring, and the account of what it could not upload (SPEC §1,
 * cloud/PROTOCOL.md §3).
 *
 * The cursor is the next segment's first frame {time, ring seq}, and the reader that reads on from
 * it, with the frame read but not consumed yet (held: the next segment's first frame). It moves
 * only when a segment is done with (`moveTo`). After a failure the ring is read again from the
 * cursor: a cut shorter than what the ring holds loses nothing; after a longer one the reader lands
 * on the oldest key frame left, and the ring sequence numbers (they count every frame pushed) tell
 * exactly how many frames were lost — reported as a gap `{ from, to, frames, reason }`.
 */
import { RingReader } from "ring";
import type { Frame, Ring } from "ring";

export interface Gap {
	channel: number;
	/** Unix ms: the first lost frame's time, and the first frame after the gap. */
	from: number;
	to: number;
	frames: number;
	reason: "overwritten" | "refused" | "rejected";
}

/** A frame's place in the ring: its time and ring sequence number. */
export interface Place {
	time: number;
	seq: number;
}

/** A segment that went out whole under the seq waiting for an answer, and whose frames the ring then lost. */
interface Unanswered {
	/** The SHA-256 of what went out (hex), when known. */
	sha256: string | undefined;
	/** Its first frame, and the first after it (where the next segment begins if the cloud holds it). */
	from: Place;
	end: Place;
	/** The ring lost its frames from `from` up to this one. */
	lostTo: Place;
}

/** Segments unanswered under one seq whose answer is awaited; past it the oldest is reported lost. */
const MAX_UNANSWERED = 4;

export interface CursorOptions {
	ring: Ring;
	channel: number;
	/** The counters the cursor keeps (the recorder's stats). */
	stats: { framesLost: number; gaps: number };
	/** Wall clock minus ring time, ms, for the gaps' times. */
	offset: () => number;
	/** A frame is readable (the reader's onReadable). */
	onReadable: () => void;
	onGap?: (gap: Gap) => void;
	log: (message: string) => void;
}

export class Cursor {
	readonly #o: CursorOptions;
	#reader: RingReader | undefined;
	/** A frame read from the reader and not consumed yet (the next segment's first frame). */
	#held: Frame | undefined;
	/** The next segment's first frame, or undefined (start at the live edge). */
	#next: Place | undefined;
	/** With no place: start at the ring's oldest key frame rather than at the live edge. */
	#fromOldest = false;
	/** The segment at the place went out whole without an answer, up to `to` (the cloud may hold it). */
	#unsure: { from: Place; to: Place; sha256: string | undefined } | undefined;
	/**
	 * Segments that went out whole without an answer under the seq waiting for one, and whose frames
	 * the ring then lost (oldest first, at most MAX_UNANSWERED): the cloud's answer under the seq
	 * says which one it holds, if any (settle).
	 */
	#pending: Unanswered[] = [];

	constructor(options: CursorOptions) {
		this.#o = options;
	}

	get next(): Place | undefined {
		return this.#next;
	}

	/** The next reader starts at the oldest key frame the ring holds (once), when there is no place. */
	set fromOldest(on: boolean) {
		this.#fromOldest = on;
	}

	/** The next segment starts at `place` (a clip's first key frame). */
	startAt(place: Place): void {
		this.#next = place;
	}

	/** Forgets the place: the next reader starts at the live edge. */
	forget(): void {
		this.#held = undefined;
		this.#next = undefined;
	}

	/**
	 * Where the next segment begins: the held frame, if the ring still holds it; else undefined,
	 * with a reader open at the place (or the live edge) to read the segment's first frame from.
	 */
	resume(): Frame | undefined {
		const frame = this.#held;
		this.#held = undefined;
		if (frame && this.#reader && this.#reader.valid(frame)) return frame;
		if (!this.#reader) {
			const next = this.#next;
			const onReadable = this.#o.onReadable;
			const at = next ? next.time : this.#fromOldest ? 0 : undefined;
			this.#fromOldest = false;
			this.#reader = new RingReader(this.#o.ring, at === undefined ? { at: "live", onReadable } : { at: "time", time: at, onReadable });
		}
		return undefined;
	}

	/**
	 * A segment's first frame: the held one, or the next frame `next` waits for (read again from
	 * the cursor's place, which it then marks arrived); undefined when `next` gave up.
	 */
	async first(next: () => Promise<Frame | undefined>): Promise<Frame | undefined> {
		const held = this.resume();
		if (held) return held;
		const frame = await next();
		if (frame) this.arrived(frame);
		return frame;
	}

	/** The next frame, or undefined (none yet, or no reader). */
	read(): Frame | undefined {
		return this.#reader?.read();
	}

	get reading(): boolean {
		return this.#reader !== undefined;
	}

	/** The reader (undefined: none open), for a muxer that reads its frames in C (SegmentMux.pump). */
	get reader(): RingReader | undefined {
		return this.#reader;
	}

	/**
	 * `frame`, read again from the ring, starts the next segment. When the ring no longer held the
	 * place, what lay between is lost.
	 */
	arrived(frame: Frame): void {
		const next = this.#next;
		if (next && frame.seq > next.seq) this.#skip(next, frame);
		this.#next = { time: frame.timestamp, seq: frame.seq };
	}

	/**
	 * The ring lost the frames from `from` up to `frame`. Those of an unsure segment at `from` are
	 * the cloud's to say (settle); only what lay past it is lost.
	 */
	#skip(from: Place, frame: Frame): void {
		const unsure = this.#unsure;
		this.#unsure = undefined;
		if (!unsure || unsure.from.seq !== from.seq) {
			this.lost(from.time, frame.timestamp, frame.seq - from.seq);
			return;
		}
		const end = unsure.to;
		const pending = this.#pending;
		if (pending.length === MAX_UNANSWERED) this.#lostOf(pending.shift()!, undefined);   // (a gap perhaps reported in error: better than one never reported)
		pending.push({ sha256: unsure.sha256, from, end, lostTo: frame.seq < end.seq ? { time: frame.timestamp, seq: frame.seq } : end });
		if (frame.seq > end.seq) this.lost(end.time, frame.timestamp, frame.seq - end.seq);
	}

	/**
	 * The segment at the place went out whole and its answer never came, its frames up to `to`
	 * (`sha256`: what went out): if the ring loses them before an answer under its seq comes, that
	 * answer says whether the cloud holds them (settle) — rather than reporting them lost and sending
	 * other bytes under a seq the cloud may hold (a 409 then, and frames reported lost that the cloud
	 * has). The mark stays until an answer: an attempt in between that gets none (a cut, a 5xx, the
	 * ring overtaking it) leaves the question open.
	 */
	unsure(to: Place, sha256: string | undefined): void {
		if (this.#next) this.#unsure = { from: this.#next, to, sha256 };
	}

	/** Segments that went out unanswered under the seq, their frames lost in the ring, await its answer (settle). */
	get awaiting(): boolean {
		return this.#pending.length > 0;
	}

	/**
	 * The cloud's answer to the segment sent under an unsure segment's seq: the hash of the bytes it
	 * holds there (a 409's X-Ivxs-Stored-Sha256), `true` (a 409 without one: it holds the one
	 * segment that went out unanswered — if there were several, none is taken for it), or `false`
	 * (it holds none of them). Each segment it does not hold reports the frames the ring lost of it;
	 * returns how many frames the cloud holds (0: none pending, or none held) — the next segment
	 * then begins where the one held ended (the place moves there).
	 */
	settle(held: string | boolean): number {
		const pending = this.#pending;
		this.#unsure = undefined;
		if (!pending.length) return 0;
		this.#pending = [];
		const kept = held === false ? undefined
			: typeof held === "string" ? pending.find((p) => p.sha256 === held)
			: pending.length === 1 ? pending[0] : undefined;
		for (const p of pending) if (p !== kept) this.#lostOf(p, kept);
		if (!kept) return 0;
		if (!this.#next || kept.end.seq > this.#next.seq) {
			this.drop();
			this.#next = kept.end;
		}
		return kept.end.seq - kept.from.seq;
	}

	/** Reports the frames the ring lost of `p`, less those of `kept` (a later attempt may begin inside the one the cloud holds). */
	#lostOf(p: Unanswered, kept: Unanswered | undefined): void {
		const from = kept && p.from.seq >= kept.from.seq && p.from.seq < kept.end.seq ? kept.end : p.from;
		if (from.seq < p.lostTo.seq) this.lost(from.time, p.lostTo.time, p.lostTo.seq - from.seq);
	}

	/** The segment is done with: the next one starts at `frame` (held), or at the live edge. */
	moveTo(frame: Frame | undefined): void {
		this.#held = frame;
		this.#next = frame ? { time: frame.timestamp, seq: frame.seq } : undefined;
	}

	/**
	 * The reader was overtaken in the middle of the segment that began at `first`: the frames since
	 * are lost, the segment starts again at `frame`. Returns the reason, for the log.
	 */
	overtaken(first: Frame, frame: Frame): string {
		this.#held = frame;
		this.#skip({ time: first.timestamp, seq: first.seq }, frame);
		this.#next = { time: frame.timestamp, seq: frame.seq };
		return `the ring overwrote ${frame.seq - first.seq} frames before they were sent`;
	}

	/** Closes the reader (the next segment reads the ring again from the place). */
	drop(): void {
		this.#reader?.close();
		this.#reader = undefined;
		this.#held = undefined;
	}

	/** Frames lost between ring times `from` and `to`. */
	lost(from: number, to: number, frames: number, reason: Gap["reason"] = "overwritten"): void {
		this.#o.stats.framesLost += frames;
		this.gap(from, to, frames, reason);
	}

	/** Frames the cloud will not hold between ring times `from` and `to` (reported, not counted lost). */
	gap(from: number, to: number, frames: number, reason: Gap["reason"]): void {
		const o = this.#o;
		o.stats.gaps++;
		const offset = o.offset();
		const gap: Gap = { channel: o.channel, from: Math.round(from + offset), to: Math.round(to + offset), frames, reason };
		o.log(`gap: ${frames} frames ${reason} (${gap.from}..${gap.to})`);
		o.onGap?.(gap);
	}
}

/**
 * The newest key frame at or before `want` (the oldest one when the ring starts later), but not
 * before `notBefore` (then the first key frame after it): where a clip starts.
 */
export function keyFrameBefore(ring: Ring, want: number, notBefore: number): Place | undefined {
	const scan = new RingReader(ring, { at: "time", time: 0 });
	let best: Place | undefined;
	try {
		for (let frame = scan.read(); frame; frame = scan.read()) {
			if (!frame.key) continue;
			if (best && frame.timestamp > want && best.time >= notBefore) break;
			best = { time: frame.timestamp, seq: frame.seq };
		}
	}
	finally {
		scan.close();
	}
	return best;
}
