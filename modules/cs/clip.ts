/**
 * Event clips (SPEC §1, PROTOCOL §5 `mode: "event"`), in the ring's timestamps (ms). Pure: the
 * recorder asks it where a clip starts and whether a frame still belongs to it.
 *
 * - An event at T with no clip running starts a clip from the newest key frame at or before
 *   T − preRoll (every event gets its pre-roll, up to what the ring holds — unlike SDKs that give
 *   it to the first of overlapping events only), but never before the end of the previous clip
 *   (nothing is uploaded twice).
 * - The clip runs until postRoll after its last event: an event during the clip extends it.
 * - A clip reaching maxClip is cut at the next key frame and a new clip continues from there
 *   (one stream per clip, contiguous), so no stream grows without bound.
 */
export interface ClipSettings {
	preRollMs: number;
	postRollMs: number;
	maxClipMs: number;
}

export class ClipPolicy {
	#settings: ClipSettings;
	/** The running clip: where it started, and where it ends unless extended (undefined: none). */
	#start: number | undefined;
	#end = -Infinity;
	/** The end of the last clip uploaded: the next clip's pre-roll stops there. */
	#previousEnd = -Infinity;
	/** The events that came while no clip ran and not yet taken by `begin`. */
	#pending: number | undefined;

	constructor(settings: ClipSettings) {
		this.#settings = settings;
	}

	set settings(settings: ClipSettings) {
		this.#settings = settings;
	}

	get running(): boolean {
		return this.#start !== undefined;
	}

	/** The time the running clip ends unless extended. */
	get end(): number {
		return this.#end;
	}

	/** The time from which a key frame cuts the running clip (maxClip past its start; -Infinity: none running). */
	get cutFrom(): number {
		return this.#start === undefined ? -Infinity : this.#start + this.#settings.maxClipMs;
	}

	/** Records an event at `time`; true when it needs a new clip (none is running). */
	event(time: number): boolean {
		const end = time + this.#settings.postRollMs;
		if (this.#start !== undefined) {
			if (end > this.#end) this.#end = end;
			return false;
		}
		if (this.#pending === undefined) this.#pending = time;
		if (end > this.#end) this.#end = end;
		return true;
	}

	/**
	 * Where the pending event's clip wants to start (the recorder takes the key frame at or before
	 * `want`), and the end of the previous clip, which it must not start before.
	 */
	preRollFrom(): { want: number; notBefore: number } | undefined {
		if (this.#pending === undefined) return undefined;
		return { want: this.#pending - this.#settings.preRollMs, notBefore: this.#previousEnd };
	}

	/** The clip starts at this frame time (a key frame). */
	begin(start: number): void {
		this.#pending = undefined;
		this.#start = start;
	}

	/**
	 * What a frame at `time` means for the running clip: "in", "end" (the clip is over before this
	 * frame) or "cut" (the clip is too long: a new one starts at this key frame).
	 */
	check(time: number, key: boolean): "in" | "end" | "cut" {
		if (this.#start === undefined) return "end";
		if (time >= this.#end) return "end";
		if (key && time - this.#start >= this.#settings.maxClipMs) return "cut";
		return "in";
	}

	/** The running clip was cut at `time` (a key frame): a new clip, with the same end, starts there. */
	cut(time: number): void {
		this.#start = time;
	}

	/** The running clip is over at `time` (the first frame not in it). */
	finish(time: number): void {
		this.#start = undefined;
		this.#previousEnd = time;
		if (this.#pending === undefined) this.#end = -Infinity;
	}

	/** Forgets the running clip and any pending event (the plan left event mode). */
	reset(): void {
		this.#start = undefined;
		this.#pending = undefined;
		this.#end = -Infinity;
	}
}
