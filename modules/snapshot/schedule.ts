/**
 * When each channel's snapshot goes up (SPEC §3, seed 002): one camera, or an NVR with many
 * channels, uploads one still per channel per interval, spread evenly over the interval instead
 * of a burst at its start. Disabled and offline channels are skipped and the rest of the round is
 * spread again over the channels that are left (fewer channels, larger spacing).
 *
 * Pure: the clock and the timer are injected (Moddable's `timer` fits `SchedulerTimer` as it is),
 * so the same code runs under Node, on XS and against the tests' fake clock. One timer is armed
 * at a time and each tick is O(1) amortized (a round costs O(channels) once), so 1,000 channels
 * are cheap on XS.
 *
 * A round [start, end) of k eligible channels puts them, in channel order, at
 * start + i × interval / k (rounded to whole ms, never accumulated). When the set of eligible
 * channels, the channel list or the interval changes, the m channels still due this round are
 * spread from the last upload to the round's end (m + 1 equal gaps, so the gap to the next round's
 * first upload is the same). If that puts the next one in the past, it goes now and the rest
 * follow evenly: nothing is ever fired to catch up.
 */

/** Moddable's `Timer` (Timer.set / Timer.clear) or a wrapper of setTimeout / a fake clock's. */
export interface SchedulerTimer {
	set(callback: () => void, ms: number): unknown;
	// `any`: it takes back what set() returned (Moddable: a Timer, Node: a Timeout, tests: a number).
	clear(id: any): void;
}

/** Takes one snapshot of a channel and uploads it; `slotMs` is the slot's time on `now()`'s clock. */
export type SnapshotUpload = (channel: number, slotMs: number) => Promise<void>;

export interface SnapshotScheduleOptions {
	/** Milliseconds between two snapshots of a channel: 60 s to 86,400 s (the plan's `snapshotIntervalS`). */
	intervalMs: number;
	/** A channel count (channels 0..n-1) or the channel numbers, in upload order. */
	channels: number | readonly number[];
	upload: SnapshotUpload;
	/** Milliseconds on a steady clock. */
	now: () => number;
	timer: SchedulerTimer;
	/** Most uploads in flight at once (default: no limit); a slot that finds the limit reached is missed. */
	maxInFlight?: number;
}

export interface ChannelState {
	enabled?: boolean;
	online?: boolean;
}

export interface SnapshotCounts {
	/** Uploads that resolved. */
	ok: number;
	/** Uploads that rejected (the channel waits for its next slot). */
	failed: number;
	/** Turns passed while the channel was disabled or offline. */
	skipped: number;
	/** Turns lost: the channel's previous upload was still running, `maxInFlight` was reached, or the round ran out (a stall). */
	missed: number;
}

export interface ChannelStats extends SnapshotCounts {
	channel: number;
	enabled: boolean;
	online: boolean;
	inFlight: boolean;
	/** The slot time of the last upload started, of the last that succeeded. */
	lastSlot?: number;
	lastOk?: number;
	lastError?: string;
}

export const MIN_INTERVAL_MS = 60_000;
export const MAX_INTERVAL_MS = 86_400_000;

class Channel {
	readonly id: number;
	enabled = true;
	online = true;
	inFlight = false;
	/** The round in which its turn came (uploaded, skipped or missed); 0: never. */
	passed = 0;
	ok = 0;
	failed = 0;
	skipped = 0;
	missed = 0;
	lastSlot: number | undefined;
	lastOk: number | undefined;
	lastError: string | undefined;

	constructor(id: number) {
		this.id = id;
	}

	get eligible(): boolean {
		return this.enabled && this.online;
	}
}

function checkInterval(ms: number): number {
	if (!Number.isFinite(ms) || ms < MIN_INTERVAL_MS || ms > MAX_INTERVAL_MS)
		throw new RangeError(`snapshot interval must be ${MIN_INTERVAL_MS / 1000} s to ${MAX_INTERVAL_MS / 1000} s, not ${ms} ms`);
	return ms;
}

function channelList(channels: number | readonly number[]): readonly number[] {
	if (typeof channels === "number") {
		if (!Number.isInteger(channels) || channels < 0) throw new RangeError(`bad channel count ${channels}`);
		const list: number[] = [];
		for (let i = 0; i < channels; i++) list.push(i);
		return list;
	}
	const seen = new Set<number>();
	for (const ch of channels) {
		if (!Number.isInteger(ch) || ch < 0) throw new RangeError(`bad channel ${ch}`);
		if (seen.has(ch)) throw new RangeError(`channel ${ch} listed twice`);
		seen.add(ch);
	}
	return channels;
}

export class SnapshotScheduler {
	#upload: SnapshotUpload;
	#now: () => number;
	#timer: SchedulerTimer;
	#maxInFlight: number;
	#interval: number;
	#order: Channel[] = [];
	#byId = new Map<number, Channel>();
	#running = false;
	#timerId: unknown;
	#inFlight = 0;
	#totals: SnapshotCounts = { ok: 0, failed: 0, skipped: 0, missed: 0 };
	// The round: [#start, #end), the channels whose turn is still to come (#queue from #cursor),
	// of which #pending are eligible.
	#round = 0;
	#start = 0;
	#end = 0;
	#queue: Channel[] = [];
	#cursor = 0;
	#pending = 0;
	// The spread: slot j is at #anchor + j × (#end − #anchor) / #slots; #next is the next slot's j.
	#anchor = 0;
	#slots = 1;
	#next = 0;
	/** When this round's last upload was started (undefined: none yet). */
	#lastFire: number | undefined;
	#tick = () => {
		this.#timerId = undefined;
		const t = this.#now();
		if (t >= this.#end) this.#rollover(t);
		if (this.#pending && this.#due() <= t) {
			this.#fire(this.#due(), t);
			// Fired later than the next slot (a stall): spread the rest from now, no catching up.
			if (this.#pending && this.#due() < t) this.#respread(t);
		}
		this.#arm(t);
	};

	constructor(options: SnapshotScheduleOptions) {
		this.#upload = options.upload;
		this.#now = options.now;
		this.#timer = options.timer;
		this.#maxInFlight = options.maxInFlight ?? Infinity;
		if (!(this.#maxInFlight >= 1)) throw new RangeError("maxInFlight must be at least 1");
		this.#interval = checkInterval(options.intervalMs);
		this.#setOrder(channelList(options.channels));
	}

	get intervalMs(): number { return this.#interval; }
	get running(): boolean { return this.#running; }
	/** Rounds started so far (the first is 1). */
	get round(): number { return this.#round; }
	/** Uploads running now. */
	get inFlight(): number { return this.#inFlight; }
	/** The current spacing between two uploads, ms. */
	get spacingMs(): number { return (this.#end - this.#anchor) / this.#slots; }
	/** When the next upload is due (undefined: none left this round). */
	get nextSlot(): number | undefined { return this.#running && this.#pending ? this.#due() : undefined; }
	get channels(): number[] { return this.#order.map((c) => c.id); }

	start(): void {
		if (this.#running) return;
		this.#running = true;
		const t = this.#now();
		this.#newRound(t);
		this.#arm(t);
	}

	/** Stops scheduling; uploads already running finish and are counted. */
	stop(): void {
		this.#running = false;
		this.#disarm();
	}

	/** A new interval: this round now ends at its start + ms (or now, if that is past), and what is left of it is spread again. */
	setInterval(ms: number): void {
		this.#interval = checkInterval(ms);
		if (!this.#running) return;
		const t = this.#now();
		// Already over by the new interval: the round ends now and the next starts now.
		this.#end = Math.max(this.#start + ms, t);
		if (t >= this.#end) this.#rollover(t);
		else this.#respread(t);
		this.#arm(t);
	}

	/** A new channel list: known channels keep their state and stats; a channel not yet uploaded this round is spread over the rest of it. */
	setChannels(channels: number | readonly number[]): void {
		this.#setOrder(channelList(channels));
		if (!this.#running) return;
		const t = this.#now();
		this.#setQueue(this.#order.filter((c) => c.passed !== this.#round));
		this.#respread(t);
		this.#arm(t);
	}

	/** What the app knows of a channel; a change of eligibility spreads the rest of the round again. */
	setChannel(channel: number, state: ChannelState): void {
		const c = this.#byId.get(channel);
		if (!c) throw new RangeError(`unknown channel ${channel}`);
		const was = c.eligible;
		if (state.enabled !== undefined) c.enabled = !!state.enabled;
		if (state.online !== undefined) c.online = !!state.online;
		if (!this.#running || was === c.eligible || c.passed === this.#round) return;
		const t = this.#now();
		this.#pending += c.eligible ? 1 : -1;
		this.#respread(t);
		this.#arm(t);
	}

	totals(): SnapshotCounts & { inFlight: number } {
		return { ...this.#totals, inFlight: this.#inFlight };
	}

	channel(channel: number): ChannelStats | undefined {
		const c = this.#byId.get(channel);
		if (!c) return undefined;
		return {
			channel: c.id, enabled: c.enabled, online: c.online, inFlight: c.inFlight,
			ok: c.ok, failed: c.failed, skipped: c.skipped, missed: c.missed,
			lastSlot: c.lastSlot, lastOk: c.lastOk, lastError: c.lastError,
		};
	}

	#setOrder(ids: readonly number[]): void {
		const byId = new Map<number, Channel>();
		const order: Channel[] = [];
		for (const id of ids) {
			const c = this.#byId.get(id) ?? new Channel(id);
			byId.set(id, c);
			order.push(c);
		}
		this.#byId = byId;
		this.#order = order;
	}

	#setQueue(queue: Channel[]): void {
		this.#queue = queue;
		this.#cursor = 0;
		let pending = 0;
		for (const c of queue) if (c.eligible) pending++;
		this.#pending = pending;
	}

	#due(): number {
		return Math.round(this.#anchor + this.#next * (this.#end - this.#anchor) / this.#slots);
	}

	#newRound(start: number): void {
		this.#round++;
		this.#start = start;
		this.#end = start + this.#interval;
		this.#lastFire = undefined;
		this.#setQueue(this.#order);
		this.#anchor = start;
		this.#slots = Math.max(1, this.#pending);
		this.#next = 0;
	}

	/** Ends the round; channels whose turn did not come are skipped (ineligible) or missed. */
	#rollover(t: number): void {
		const end = this.#end;
		// Whole intervals slept through (a stall): every eligible channel missed them too.
		const lost = t >= end + this.#interval ? Math.floor((t - end) / this.#interval) : 0;
		for (let i = this.#cursor; i < this.#queue.length; i++) this.#count(this.#queue[i], 1);
		if (lost) for (const c of this.#order) this.#count(c, lost);
		this.#newRound(end + lost * this.#interval);
	}

	#count(c: Channel, rounds: number): void {
		if (c.eligible) {
			c.missed += rounds;
			this.#totals.missed += rounds;
		}
		else {
			c.skipped += rounds;
			this.#totals.skipped += rounds;
		}
	}

	/** Spreads the pending channels from the last upload (or the round's start) to the round's end. */
	#respread(t: number): void {
		const m = this.#pending;
		if (!m) return;
		if (this.#lastFire === undefined) {
			this.#anchor = this.#start;
			this.#slots = m;
			this.#next = 0;
		}
		else {
			this.#anchor = this.#lastFire;
			this.#slots = m + 1;
			this.#next = 1;
		}
		if (this.#due() < t) {
			// Already later than that spacing after the last upload: the next goes now.
			this.#anchor = t;
			this.#slots = m;
			this.#next = 0;
		}
	}

	#fire(slot: number, t: number): void {
		let c: Channel;
		for (;;) {
			c = this.#queue[this.#cursor++];
			if (!c) {
				this.#pending = 0;   // cannot happen while #pending counts right; never loop on it
				return;
			}
			c.passed = this.#round;
			if (c.eligible) break;
			c.skipped++;
			this.#totals.skipped++;
		}
		this.#pending--;
		this.#next++;
		this.#lastFire = Math.max(slot, t);
		if (c.inFlight || this.#inFlight >= this.#maxInFlight) {
			c.missed++;
			this.#totals.missed++;
			return;
		}
		c.lastSlot = slot;
		c.inFlight = true;
		this.#inFlight++;
		let result: Promise<void>;
		try {
			result = Promise.resolve(this.#upload(c.id, slot));
		}
		catch (error) {
			result = Promise.reject(error);
		}
		const channel = c;
		result.then(() => this.#settled(channel, slot, undefined), (error: unknown) => this.#settled(channel, slot, error ?? new Error("upload failed")));
	}

	#settled(c: Channel, slot: number, error: unknown): void {
		c.inFlight = false;
		this.#inFlight--;
		if (error === undefined) {
			c.ok++;
			c.lastOk = slot;
			this.#totals.ok++;
		}
		else {
			c.failed++;
			c.lastError = error instanceof Error ? error.message : String(error);
			this.#totals.failed++;
		}
	}

	/** Arms the one timer for the next slot or the round's end (clearing any: an upload may have changed things). */
	#arm(t: number): void {
		this.#disarm();
		if (!this.#running) return;
		const at = this.#pending ? Math.min(this.#due(), this.#end) : this.#end;
		this.#timerId = this.#timer.set(this.#tick, Math.max(0, at - t));
	}

	#disarm(): void {
		if (this.#timerId !== undefined) this.#timer.clear(this.#timerId);
		this.#timerId = undefined;
	}
}
