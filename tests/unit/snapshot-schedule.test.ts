// The snapshot scheduler (modules/snapshot/schedule.ts) on a fake clock, under Node and on XS:
// even spacing for 1, 7, 16 and 1,000 channels, skipping with the spacing recomputed, slow and
// failing uploads, stalls, and changes of the interval and of the channel list mid-round.
import test, { type ExecutionContext } from "ava";
import type Timer from "timer";
import { type SchedulerTimer, SnapshotScheduler, type SnapshotScheduleOptions } from "../../modules/snapshot/schedule.js";

// Compile-time: Moddable's Timer is a SchedulerTimer as it is (the app passes it).
type Fits<T extends SchedulerTimer> = T;
export type ModdableTimerFits = Fits<typeof Timer>;

/** A timer whose time only moves when the test says so; ties fire in the order they were set. */
class FakeClock {
	now: number;
	#timers: { id: number; at: number; fn: () => void }[] = [];
	#ids = 0;

	constructor(now: number) {
		this.now = now;
	}

	set(fn: () => void, ms: number): number {
		const id = ++this.#ids;
		this.#timers.push({ id, at: this.now + ms, fn });
		return id;
	}

	clear(id: number): void {
		this.#timers = this.#timers.filter((timer) => timer.id !== id);
	}

	/** Fires every timer due up to `to`, each at its time, letting promise callbacks run after each. */
	async advanceTo(to: number): Promise<void> {
		for (;;) {
			let first: { id: number; at: number; fn: () => void } | undefined;
			for (const timer of this.#timers) if (timer.at <= to && (!first || timer.at < first.at)) first = timer;
			if (!first) break;
			this.#timers.splice(this.#timers.indexOf(first), 1);
			this.now = Math.max(this.now, first.at);
			first.fn();
			for (let i = 0; i < 4; i++) await undefined;
		}
		this.now = Math.max(this.now, to);
	}

	get armed(): number {
		return this.#timers.length;
	}

	/** A resolved promise after ms of fake time. */
	sleep(ms: number): Promise<void> {
		return new Promise((resolve) => { this.set(resolve, ms); });
	}
}

interface Upload { channel: number; slot: number; at: number }

const T0 = 1_000_000;
const MINUTE = 60_000;

function setup(channels: SnapshotScheduleOptions["channels"], options: Partial<SnapshotScheduleOptions> = {}) {
	const clock = new FakeClock(T0);
	const uploads: Upload[] = [];
	const upload = options.upload;
	const scheduler = new SnapshotScheduler({
		intervalMs: MINUTE, channels, now: () => clock.now, timer: clock, ...options,
		upload(channel, slot) {
			uploads.push({ channel, slot, at: clock.now });
			return upload ? upload(channel, slot) : Promise.resolve();
		},
	});
	return { clock, uploads, scheduler };
}

/** Largest distance of the uploads from `start + i × spacing`, checking they are these channels in order. */
function deviation(t: ExecutionContext, uploads: Upload[], channels: number[], start: number, spacing: number, what: string): number {
	t.deepEqual(uploads.map((u) => u.channel), channels, `${what}: channels`);
	let max = 0;
	for (let i = 0; i < uploads.length; i++) max = Math.max(max, Math.abs(uploads[i].at - (start + i * spacing)));
	return max;
}

/** ava's t.like (the XS shim has no like()): the listed fields only. */
function like(t: ExecutionContext, actual: object | undefined, expected: Record<string, unknown>): void {
	const picked: Record<string, unknown> = {};
	for (const key of Object.keys(expected)) picked[key] = (actual as Record<string, unknown> | undefined)?.[key];
	t.deepEqual(picked, expected);
}

function range(from: number, to: number): number[] {
	const list: number[] = [];
	for (let i = from; i < to; i++) list.push(i);
	return list;
}

const inRound = (uploads: Upload[], from: number, to: number) => uploads.filter((u) => u.at >= from && u.at < to);

for (const count of [1, 7, 16, 1000]) {
	test(`${count} channel${count > 1 ? "s" : ""}: each uploaded once per interval, evenly spaced`, async (t) => {
		const rounds = 4;
		const { clock, uploads, scheduler } = setup(count);
		scheduler.start();
		await clock.advanceTo(T0 + rounds * MINUTE - 1);
		t.is(uploads.length, rounds * count);
		const spacing = MINUTE / count;
		let worst = 0;
		for (let r = 0; r < rounds; r++) {
			const start = T0 + r * MINUTE;
			worst = Math.max(worst, deviation(t, inRound(uploads, start, start + MINUTE), range(0, count), start, spacing, `round ${r}`));
		}
		t.log(`${count} channel${count > 1 ? "s" : ""}: max deviation ${+worst.toFixed(3)} ms of ${+spacing.toFixed(2)} ms spacing over ${rounds} intervals`);
		t.true(worst <= 0.5, `deviation ${worst} ms`);
		t.true(uploads.every((u) => u.at === u.slot), "each upload starts at its slot");
		t.deepEqual(scheduler.totals(), { ok: rounds * count, failed: 0, skipped: 0, missed: 0, inFlight: 0 });
		t.is(scheduler.channel(count - 1)?.lastOk, T0 + (rounds - 1) * MINUTE + Math.round((count - 1) * spacing));
		scheduler.stop();
	});
}

test("1000 channels, every third offline: the others spread over the interval, the offline ones skipped", async (t) => {
	const { clock, uploads, scheduler } = setup(1000);
	const online = range(0, 1000).filter((ch) => ch % 3);
	for (let ch = 0; ch < 1000; ch += 3) scheduler.setChannel(ch, { online: false });
	scheduler.start();
	await clock.advanceTo(T0 + 3 * MINUTE - 1);
	let worst = 0;
	for (let r = 0; r < 3; r++) {
		const start = T0 + r * MINUTE;
		worst = Math.max(worst, deviation(t, inRound(uploads, start, start + MINUTE), online, start, MINUTE / online.length, `round ${r}`));
	}
	t.log(`${online.length} of 1000 channels online: max deviation ${+worst.toFixed(3)} ms of ${+(MINUTE / online.length).toFixed(2)} ms spacing`);
	t.true(worst <= 0.5);
	// A skipped turn is counted when the cursor passes it: channel 999's in round 3 when round 4 starts.
	t.is(scheduler.totals().skipped, 3 * 334 - 1);
	t.is(scheduler.channel(999)?.skipped, 2);
	t.is(scheduler.channel(3)?.skipped, 3);
});

test("disabled and offline channels are skipped and the spacing is recomputed for the rest of the round", async (t) => {
	const { clock, uploads, scheduler } = setup(10);
	scheduler.setChannel(3, { enabled: false });
	scheduler.setChannel(7, { online: false });
	scheduler.start();
	t.is(scheduler.spacingMs, 7500);   // 8 eligible
	await clock.advanceTo(T0 + 20_000);
	t.deepEqual(uploads.map((u) => [u.channel, u.at - T0]), [[0, 0], [1, 7500], [2, 15_000]]);
	// Channel 5 goes offline: 4 to go (4, 6, 8, 9) after the upload at 15 s: 5 gaps of 9 s to 60 s.
	scheduler.setChannel(5, { online: false });
	t.is(scheduler.spacingMs, 9000);
	t.is(scheduler.nextSlot, T0 + 24_000);
	await clock.advanceTo(T0 + 30_000);
	// Channel 7 comes online before its turn: 6, 7, 8, 9 to go after 24 s: 5 gaps of 7.2 s.
	scheduler.setChannel(7, { online: true });
	t.is(scheduler.spacingMs, 7200);
	await clock.advanceTo(T0 + MINUTE - 1);
	t.deepEqual(uploads.map((u) => [u.channel, u.at - T0]),
		[[0, 0], [1, 7500], [2, 15_000], [4, 24_000], [6, 31_200], [7, 38_400], [8, 45_600], [9, 52_800]]);
	// Next round: 8 eligible again (3 disabled, 5 offline).
	await clock.advanceTo(T0 + 2 * MINUTE - 1);
	t.is(deviation(t, inRound(uploads, T0 + MINUTE, T0 + 2 * MINUTE), [0, 1, 2, 4, 6, 7, 8, 9], T0 + MINUTE, 7500, "round 2"), 0);
	t.is(scheduler.channel(3)?.skipped, 2);
	t.is(scheduler.channel(5)?.skipped, 2);
	t.is(scheduler.channel(7)?.skipped, 0);   // online again before its turn in round 1
	t.is(scheduler.totals().skipped, 4);
	// Every channel offline: nothing goes up; one back mid-round goes up at once.
	for (const ch of range(0, 10)) scheduler.setChannel(ch, { online: false });
	await clock.advanceTo(T0 + 2 * MINUTE + 30_000);
	t.is(uploads.length, 16);
	scheduler.setChannel(4, { online: true });
	await clock.advanceTo(T0 + 2 * MINUTE + 30_000);
	t.deepEqual(uploads.slice(16).map((u) => [u.channel, u.at - T0]), [[4, 2 * MINUTE + 30_000]]);
});

test("a failing upload is counted and its channel waits for its next slot; the others keep theirs", async (t) => {
	const { clock, uploads, scheduler } = setup(4, {
		upload: (channel) => (channel === 2 ? Promise.reject(new Error("cloud said no")) : Promise.resolve()),
	});
	scheduler.start();
	await clock.advanceTo(T0 + 3 * MINUTE - 1);
	for (let r = 0; r < 3; r++)
		t.is(deviation(t, inRound(uploads, T0 + r * MINUTE, T0 + (r + 1) * MINUTE), [0, 1, 2, 3], T0 + r * MINUTE, 15_000, `round ${r}`), 0);
	like(t, scheduler.channel(2), { ok: 0, failed: 3, lastError: "cloud said no", lastSlot: T0 + 2 * MINUTE + 30_000 });
	like(t, scheduler.totals(), { ok: 9, failed: 3 });
});

test("a slow upload does not shift the others; its channel misses the turn that comes while it runs", async (t) => {
	let running = 0, most = 0;
	const { clock, uploads, scheduler } = setup(16, {
		async upload(channel) {
			running++;
			most = Math.max(most, running);
			// Channel 5 takes 1.5 intervals, the others 10 s (several in flight at once).
			await clock.sleep(channel === 5 ? 90_000 : 10_000);
			running--;
		},
	});
	scheduler.start();
	await clock.advanceTo(T0 + MINUTE + 30_000);
	t.is(scheduler.channel(5)?.inFlight, true);
	await clock.advanceTo(T0 + 3 * MINUTE - 1);
	const all = range(0, 16);
	t.is(deviation(t, inRound(uploads, T0, T0 + MINUTE), all, T0, 3750, "round 0"), 0);
	// Round 1: channel 5's slot stays empty (its upload still runs), the others keep their times.
	t.deepEqual(inRound(uploads, T0 + MINUTE, T0 + 2 * MINUTE).map((u) => [u.channel, u.at - T0 - MINUTE]),
		all.filter((ch) => ch !== 5).map((ch) => [ch, ch * 3750]));
	t.is(deviation(t, inRound(uploads, T0 + 2 * MINUTE, T0 + 3 * MINUTE), all, T0 + 2 * MINUTE, 3750, "round 2"), 0);
	like(t, scheduler.channel(5), { ok: 1, missed: 1 });
	t.true(most >= 3, `several uploads at once (${most})`);
});

test("maxInFlight: a slot that finds the limit reached is missed, not delayed", async (t) => {
	const { clock, uploads, scheduler } = setup(4, { maxInFlight: 2, upload: () => clock.sleep(40_000) });
	scheduler.start();
	await clock.advanceTo(T0 + MINUTE - 1);
	// 0 s: ch 0 (to 40 s), 15 s: ch 1 (to 55 s), 30 s: ch 2 finds 2 running, 45 s: ch 3 (ch 0 is done).
	t.deepEqual(uploads.map((u) => [u.channel, u.at - T0]), [[0, 0], [1, 15_000], [3, 45_000]]);
	like(t, scheduler.channel(2), { missed: 1, ok: 0 });
	t.is(scheduler.nextSlot, undefined);
	await clock.advanceTo(T0 + 2 * MINUTE - 1);
	// Round 2: ch 0 at 60 s (ch 3 running), ch 1 at 75 s finds ch 3 and ch 0 running, ch 2 at 90 s and ch 3 at 105 s go.
	t.deepEqual(uploads.slice(3).map((u) => [u.channel, u.at - T0]), [[0, 60_000], [2, 90_000], [3, 105_000]]);
	like(t, scheduler.totals(), { ok: 4, missed: 2, inFlight: 2 });
});

test("a stall (the event loop blocked) never makes a burst: the rest of the round is spread from then", async (t) => {
	const { clock, uploads, scheduler } = setup(10);
	scheduler.start();
	await clock.advanceTo(T0 + 10_000);
	clock.now = T0 + 40_000;   // blocked 30 s: the slots at 12 s … 36 s were not fired
	await clock.advanceTo(T0 + MINUTE - 1);
	t.deepEqual(uploads.map((u) => [u.channel, u.at - T0]),
		[[0, 0], [1, 6000], [2, 40_000], [3, 42_500], [4, 45_000], [5, 47_500], [6, 50_000], [7, 52_500], [8, 55_000], [9, 57_500]]);
	// Blocked across two round ends: the rounds slept through are missed, then spread from then.
	clock.now = T0 + 3 * MINUTE + 10_000;
	await clock.advanceTo(T0 + 4 * MINUTE - 1);
	const after = uploads.slice(10);
	t.deepEqual(after.map((u) => u.channel), range(0, 10));
	t.deepEqual(after.map((u) => u.at - T0 - 3 * MINUTE), [10_000, 15_000, 20_000, 25_000, 30_000, 35_000, 40_000, 45_000, 50_000, 55_000]);
	like(t, scheduler.totals(), { ok: 20, missed: 20 });   // rounds 2 and 3 (from 60 s and 120 s) lost
});

test("the interval must be 60 s to 86,400 s", (t) => {
	for (const intervalMs of [59_999, 0, -1, NaN, Infinity, 86_400_001])
		t.throws(() => setup(3, { intervalMs }), { instanceOf: RangeError }, String(intervalMs));
	const { scheduler } = setup(3, { intervalMs: 60_000 });
	t.throws(() => scheduler.setInterval(30_000), { instanceOf: RangeError, message: /60 s/ });
	t.is(scheduler.intervalMs, 60_000);
	scheduler.setInterval(86_400_000);
	t.is(scheduler.intervalMs, 86_400_000);
	t.throws(() => setup(3, { maxInFlight: 0 }), { instanceOf: RangeError });
	t.throws(() => setup([1, 1]), { instanceOf: RangeError });
	t.throws(() => setup(2).scheduler.setChannel(2, { online: false }), { instanceOf: RangeError });
});

test("a longer interval mid-round spreads the rest of the round to its new end", async (t) => {
	const { clock, uploads, scheduler } = setup(10);
	scheduler.start();
	await clock.advanceTo(T0 + 29_000);   // 0 … 4 went up, at 0 … 24 s
	scheduler.setInterval(2 * MINUTE);
	t.is(scheduler.spacingMs, 16_000);   // 5 to go after 24 s: 6 gaps to 120 s
	await clock.advanceTo(T0 + 4 * MINUTE - 1);
	t.deepEqual(uploads.slice(5, 10).map((u) => [u.channel, u.at - T0]), [[5, 40_000], [6, 56_000], [7, 72_000], [8, 88_000], [9, 104_000]]);
	t.is(deviation(t, uploads.slice(10), range(0, 10), T0 + 2 * MINUTE, 12_000, "next round"), 0);
});

test("a shorter interval mid-round: the rest is spread to the new end, or, if that is past, a new round starts now", async (t) => {
	const { clock, uploads, scheduler } = setup(10, { intervalMs: 10 * MINUTE });
	scheduler.start();
	await clock.advanceTo(T0 + 130_000);   // 0, 1, 2 at 0, 60, 120 s
	scheduler.setInterval(5 * MINUTE);   // 7 to go after 120 s to 300 s: 8 gaps of 22.5 s
	t.is(scheduler.spacingMs, 22_500);
	await clock.advanceTo(T0 + 200_000);
	t.deepEqual(uploads.map((u) => u.at - T0), [0, 60_000, 120_000, 142_500, 165_000, 187_500]);
	scheduler.setInterval(MINUTE);   // the round (from 0) is over: 6 … 9 missed, a new one from 200 s
	await clock.advanceTo(T0 + 260_000 - 1);
	t.is(deviation(t, uploads.slice(6), range(0, 10), T0 + 200_000, 6000, "new round"), 0);
	like(t, scheduler.totals(), { ok: 16, missed: 4 });
});

test("a change that puts the next slot in the past sends it now and spreads the rest from then", async (t) => {
	const { clock, uploads, scheduler } = setup(10, { intervalMs: 10 * MINUTE });
	scheduler.start();
	await clock.advanceTo(T0 + 150_000);   // 0, 1, 2 at 0, 60, 120 s
	scheduler.setInterval(5 * MINUTE);   // 22.5 s after 120 s is past: 3 goes now, 4 … 9 every 150 s / 7
	t.is(scheduler.nextSlot, T0 + 150_000);
	await clock.advanceTo(T0 + 5 * MINUTE - 1);
	t.deepEqual(uploads.slice(3).map((u) => u.at - T0), range(0, 7).map((i) => Math.round(150_000 + i * 150_000 / 7)));
});

test("a new channel list mid-round: added channels get their turn this round, removed ones stop", async (t) => {
	const { clock, uploads, scheduler } = setup(10);
	scheduler.setChannel(4, { online: false });
	scheduler.start();
	await clock.advanceTo(T0 + 8000);   // 9 eligible, 6667 ms apart
	t.deepEqual(uploads.map((u) => [u.channel, u.at - T0]), [[0, 0], [1, 6667]]);
	scheduler.setChannels(20);   // 2, 3 and 5 … 19 to go (4 still offline): 17, so 18 gaps from 6667 to 60 s
	t.is(scheduler.spacingMs, (MINUTE - 6667) / 18);
	await clock.advanceTo(T0 + MINUTE - 1);
	const round = uploads.slice(2);
	t.deepEqual(round.map((u) => u.channel), [2, 3].concat(range(5, 20)));
	for (let i = 0; i < round.length; i++) t.is(round[i].at - T0, Math.round(6667 + (i + 1) * (MINUTE - 6667) / 18));
	t.is(scheduler.channel(4)?.skipped, 1);
	// Shrink mid-round: 2 of the remaining channels stay.
	await clock.advanceTo(T0 + MINUTE + 10_000);   // 19 eligible: 0, 1, 2, 3 at 0, 3158, 6316, 9474
	t.deepEqual(uploads.slice(19).map((u) => u.channel), [0, 1, 2, 3]);
	scheduler.setChannels([0, 1, 2, 3, 17, 4, 9]);
	t.is(scheduler.channel(12), undefined);
	like(t, scheduler.channel(1), { ok: 2 });   // kept its stats
	t.is(scheduler.spacingMs, (MINUTE - 9474) / 3);   // 17 and 9 to go (4 offline)
	await clock.advanceTo(T0 + 3 * MINUTE - 1);
	t.deepEqual(uploads.slice(23).map((u) => u.channel), [17, 9, 0, 1, 2, 3, 17, 9]);
	t.is(deviation(t, uploads.slice(25), [0, 1, 2, 3, 17, 9], T0 + 2 * MINUTE, 10_000, "round 3"), 0);
	t.deepEqual(scheduler.channels, [0, 1, 2, 3, 17, 4, 9]);
});

test("an upload that changes a channel's state from inside the tick leaves one timer armed", async (t) => {
	let self: SnapshotScheduler | undefined;
	const { clock, uploads, scheduler } = setup(4, {
		upload(channel) {
			if (channel === 0) self?.setChannel(2, { online: false });   // e.g. its capture just failed
			return Promise.resolve();
		},
	});
	self = scheduler;
	scheduler.start();
	await clock.advanceTo(T0);
	t.is(clock.armed, 1);
	await clock.advanceTo(T0 + 2 * MINUTE - 1);
	t.is(clock.armed, 1);
	// After ch 0: 1 and 3 to go, 3 gaps of 20 s; then 3 eligible in round 2.
	t.deepEqual(uploads.map((u) => [u.channel, u.at - T0]), [[0, 0], [1, 20_000], [3, 40_000], [0, 60_000], [1, 80_000], [3, 100_000]]);
});

test("stop() stops the schedule; uploads running finish and are counted", async (t) => {
	const { clock, uploads, scheduler } = setup(2, { upload: () => clock.sleep(5000) });
	scheduler.start();
	await clock.advanceTo(T0 + 1000);
	scheduler.stop();
	t.is(scheduler.inFlight, 1);
	await clock.advanceTo(T0 + 5 * MINUTE);
	t.is(uploads.length, 1);
	like(t, scheduler.totals(), { ok: 1, inFlight: 0 });
	scheduler.start();   // a new round from now
	await clock.advanceTo(T0 + 5 * MINUTE + 30_000);
	t.deepEqual(uploads.slice(1).map((u) => [u.channel, u.at - T0]), [[0, 5 * MINUTE], [1, 5 * MINUTE + 30_000]]);
});
