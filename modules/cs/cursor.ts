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
	#unsure: { from: Place; to: Place } | undefined;
	/**
	 * Frames of an unsure segment the ring lost before it was sent again, up to the cloud's answer
	 * under its seq (settle): when it does not hold the segment, `lost` frames from `from` to `to`
	 * are lost; when it does, it holds `held` frames, up to `end` (where the next segment begins —
	 * past the frames the ring still had of it).
	 */
	#pending: { from: number; to: number; lost: number; held: number; end: Place } | undefined;

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
		const to = frame.seq < end.seq ? { time: frame.timestamp, seq: frame.seq } : end;
		const pending = this.#pending;
		this.#pending = {
			from: pending ? pending.from : from.time, to: to.time, lost: (pending ? pending.lost : 0) + to.seq - from.seq,
			held: (pending ? pending.held : 0) + end.seq - from.seq, end,
		};
		if (frame.seq > end.seq) this.lost(end.time, frame.timestamp, frame.seq - end.seq);
	}

	/**
	 * The segment at the place went out whole and its answer never came, its frames up to `to`: if
	 * the ring loses them before an answer under its seq comes, that answer says whether the cloud
	 * holds them (settle) — rather than reporting them lost and sending other bytes under a seq the
	 * cloud may hold (a 409 then, and frames reported lost that the cloud has). The mark stays until
	 * an answer: an attempt in between that gets none (a cut, a 5xx, the ring overtaking it) leaves
	 * the question open.
	 */
	unsure(to: Place): void {
		if (this.#next) this.#unsure = { from: this.#next, to };
	}

	/**
	 * The cloud's answer to the segment sent under an unsure segment's seq: `held` (it holds other
	 * bytes there: the unsure segment was stored) or not (the frames the ring lost of it are lost).
	 * Returns how many frames the cloud holds of it (0: none pending, or not held); when it holds
	 * them, the next segment begins where the unsure one ended (the place moves there).
	 */
	settle(held: boolean): number {
		const pending = this.#pending;
		this.#pending = undefined;
		this.#unsure = undefined;
		if (!pending) return 0;
		if (!held) {
			this.lost(pending.from, pending.to, pending.lost);
			return 0;
		}
		if (!this.#next || pending.end.seq > this.#next.seq) {
			this.drop();
			this.#next = pending.end;
		}
		return pending.held;
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
