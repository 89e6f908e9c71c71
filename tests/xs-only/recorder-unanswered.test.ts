// The recorder (modules/cs/recorder.ts) against a fake cloud: how its writes carry a segment's
// LL-HLS parts, watched live or not; and when a segment went out whole and its answer never came
// (the connection died after the last byte), and the ring then overwrote its frames before it
// could be sent again (PROTOCOL §3.2 "Cuts and retries"). Against a fake cloud that keeps what it
// stores by seq and answers as the real one does: the same bytes under a seq → 200, other bytes →
// 409. Found by the soak (a cut, then a long outage): the camera sent other bytes under the seq
// the cloud held (409, "refused"), and reported as lost the frames the cloud had — also when an
// attempt in between, made while the ring still held the segment, got no answer either (a loaded
// machine's long cut: the first retry comes within the ring's span, the one that succeeds after it).
import test, { type ExecutionContext } from "ava";
import { readFile } from "ivxs/file";
import { accessUnits } from "annexb";
import Timer from "timer";
import { Codec, FrameType, Ring } from "ring";
import { Recorder, WRITE_PARTS_MS, type Gap } from "../../modules/cs/recorder.js";
import { PART_TARGET_MS } from "../../modules/protocol/live.js";
import { keyFrameBefore } from "../../modules/cs/cursor.js";
import type { StreamClient } from "../../modules/cs/stream-client.js";
import { AbortedError, ConnectionResetError } from "../../modules/net/errors.js";

const FPS = 15, FRAME_MS = 1000 / FPS;
const bytes = new Uint8Array(readFile("fixtures/media/h264-main-640x480.h264"));
const triples = accessUnits(bytes, "h264") as number[];
const VIDEO: Uint8Array[] = [];
for (let i = 0; i < triples.length; i += 3) VIDEO.push(bytes.slice(triples[i], triples[i + 1]));   // 60 AUs, GOP 15

const answer = (status: number, body: unknown = {}, headers: Record<string, string> = {}) => ({ status, headers, body: new Uint8Array(0), json: () => body });
const sleep = (ms: number) => new Promise<void>((resolve) => { Timer.set(() => resolve(), ms); });

/** The decode time (`tfdt`) and sample count (`trun`) of the fragment whose `moof` a chunk holds (one track), or undefined. */
function fragmentOf(c: Uint8Array): { time: number; samples: number } | undefined {
	const view = new DataView(c.buffer, c.byteOffset, c.byteLength);
	const type = (at: number) => String.fromCharCode(c[at + 4], c[at + 5], c[at + 6], c[at + 7]);
	if (c.byteLength < 16 || type(0) !== "moof") return undefined;
	let time: number | undefined, samples = 0;
	for (let at = 8, end = Math.min(c.byteLength, view.getUint32(0)); at + 16 <= end;) {
		const size = view.getUint32(at);
		if (type(at) === "traf") {
			end = Math.min(end, at + size);
			at += 8;
			continue;
		}
		if (type(at) === "tfdt") time = c[at + 8] === 1 ? view.getUint32(at + 12) * 2 ** 32 + view.getUint32(at + 16) : view.getUint32(at + 12);
		if (type(at) === "trun") samples += view.getUint32(at + 12);
		if (size < 8) return undefined;
		at += size;
	}
	return time === undefined ? undefined : { time, samples };
}

/** A stand-in for a body's SHA-256: one hex name per distinct body. */
const hashes = new Map<string, string>();
const hashOf = (body: string) => {
	let hash = hashes.get(body);
	if (!hash) hashes.set(body, hash = (hashes.size + 1).toString(16).padStart(64, "0"));
	return hash;
};

/**
 * A cloud of one stream: segments by seq (their bytes joined), the decode times of their first and
 * last fragments, and a hook when a body ends. As the real one, it refuses (409) a segment whose
 * times are out of order with its stored neighbours'.
 */
class FakeCloud {
	segments = new Map<number, string>();
	/** Frames (samples) of each stored segment. */
	samples = new Map<number, number>();
	/** A 409 for other bytes names the hash of those held (X-Ivxs-Stored-Sha256), as the cloud's does. */
	namesHash = true;
	times = new Map<number, { first: number; last: number }>();
	answers: Array<[number, number]> = [];
	/** Runs when segment `seq`'s body ended, before the answer: true makes the answer never come. */
	onEnd: (seq: number) => boolean = () => false;
	/**
	 * Runs when an upload of segment `seq` reaches `stage` (its first fragment, each fragment sent
	 * whole, its end): "reset" makes the connection die there, a status answers the upload with it
	 * and stores nothing.
	 */
	onStage: (seq: number, stage: "begin" | "sent" | "end") => "reset" | number | undefined = () => undefined;
	/** Each write of segment `seq`: how many fragments (moofs) it carried. */
	onWrite: (seq: number, fragments: number) => void = () => {};

	client(): StreamClient {
		const cloud = this;
		const reset = () => new ConnectionResetError("Connection reset by peer");
		return {
			putInit: async () => answer(201),
			end: async () => answer(200),
			segment(_stream: string, seq: number) {
				let body = "", complete = false, begun = false, first = -1, last = -1, samples = 0;
				return {
					get complete() { return complete; },
					get sha256() { return complete ? hashOf(body) : undefined; },
					async write(chunks: Uint8Array[], verify?: () => boolean) {
						if (!begun && (begun = true) && cloud.onStage(seq, "begin") === "reset") throw reset();
						let fragments = 0;
						for (const c of chunks) {
							body += String.fromCharCode(...c.subarray(0, 64)) + c.byteLength;
							const fragment = fragmentOf(c);
							if (!fragment) continue;
							fragments++;
							if (first < 0) first = fragment.time;
							last = fragment.time;
							samples += fragment.samples;
						}
						cloud.onWrite(seq, fragments);
						if (verify && !verify()) throw new AbortedError("a view changed while it was sent");
						if (cloud.onStage(seq, "sent") === "reset") throw reset();
					},
					async end() {
						complete = true;
						const fault = cloud.onStage(seq, "end");
						if (fault === "reset") throw reset();
						if (typeof fault === "number") {
							cloud.answers.push([seq, fault]);
							return answer(fault, { error: "storage full" });
						}
						const held = cloud.segments.get(seq);
						const before = cloud.times.get(seq - 1), after = cloud.times.get(seq + 1);
						const response = held !== undefined ? (held === body ? answer(200) : answer(409, { error: `segment ${seq} is already stored with different bytes` }, cloud.namesHash ? { "x-ivxs-stored-sha256": hashOf(held) } : {}))
							: (before && before.last >= first) || (after && last >= after.first) ? answer(409, { error: `segment ${seq}: decode times must increase with seq` })
							: answer(201);
						if (response.status === 201) {
							cloud.segments.set(seq, body);
							cloud.samples.set(seq, samples);
							cloud.times.set(seq, { first, last });
						}
						cloud.answers.push([seq, response.status]);
						if (cloud.onEnd(seq)) throw new ConnectionResetError("Connection reset by peer before a response");
						return response;
					},
					abort() {},
				};
			},
			answer: (upload: { end(): Promise<unknown> }) => upload.end(),
		} as unknown as StreamClient;
	}
}

/**
 * A recorder over a 96 KiB ring (about 3 s of this clip) and a fake cloud that stores segment 1
 * but loses its answer, while capture runs on for 150 frames (10 s) before the retry: the outage
 * overwrites the unanswered segment. The wall clock is the ring's (now = the newest frame's time).
 */
function lostAnswer() {
	const ring = new Ring({ arenaBytes: 96 * 1024 });
	const cloud = new FakeCloud();
	const gaps: Gap[] = [];
	const state = { pushed: 0, outage: false };
	const time = (n: number) => Math.round(n * FRAME_MS);
	const recorder = new Recorder({
		ring, channel: 0, video: "h264", audio: false, client: cloud.client(), clock: () => time(state.pushed - 1),
		onGap: (gap) => gaps.push(gap), retry: { minDelay: 20, maxDelay: 40 },
	});
	const push = (n: number) => {
		for (let i = 0; i < n; i++, state.pushed++) ring.push(FrameType.video, Codec.h264, state.pushed % 15 === 0, time(state.pushed), VIDEO[state.pushed % VIDEO.length]);
	};
	cloud.onEnd = (seq) => {
		if (seq !== 1 || state.outage) return false;
		state.outage = true;
		push(150);
		return true;
	};
	/** Pushes `frames` a few at a time, letting the recorder run between. */
	const run = async (frames: number, each: number, until = () => false) => {
		for (let n = 0; n < frames && !until(); n += each) {
			push(each);
			await sleep(20);
		}
	};
	return { ring, cloud, gaps, recorder, state, time, push, run };
}

test("a segment stored whose answer was lost, then overwritten in the ring: the next goes under the next seq, and only frames no segment holds are reported lost", async (t) => {
	const setup = lostAnswer();
	await continuousThroughOutage(t, setup);
	t.true(setup.gaps.length > 0, "the outage lost frames");
});

/**
 * Uploads continuously (segments of `gops` GOPs: segment 1 is frames 15–29 with one) until the
 * outage, then 120 frames more, and checks the books: nothing refused, other bytes under seq 1
 * answered 409 and the next segment sent as seq 2, and every frame pushed is in a stored segment
 * or in a gap, once — segment 1's frames among the stored ones, not in a gap.
 */
async function continuousThroughOutage(t: ExecutionContext, { ring, cloud, gaps, recorder, state, time, run }: ReturnType<typeof lostAnswer>, gops = 1) {
	// Watched live: each part a write of its own, so a fault can fall between two of a segment's writes.
	recorder.configure("continuous", { segmentMs: gops * 1000, preRollMs: 0, postRollMs: 0, maxClipMs: 60_000, watched: true });
	await run(240, 3, () => state.outage);
	t.true(state.outage, "segment 1 went out");
	await run(120, 3);
	await recorder.stop();
	ring.close();
	const statuses = cloud.answers.map(([seq, status]) => `${seq}:${status}`);
	t.log(`answers ${statuses.join(" ")}; stored seqs ${[...cloud.segments.keys()].join(",")}; gaps ${JSON.stringify(gaps)}; stats ${JSON.stringify(recorder.stats)}`);
	t.true(cloud.times.size > 0 && [...cloud.times.values()].every(({ first, last }) => first >= 0 && last >= first), "the cloud read each segment's decode times");
	t.is(recorder.stats.segmentsRefused, 0, "nothing refused for good");
	t.true(statuses.includes("1:409") && statuses.includes("2:201"), "the cloud said 409 for seq 1's other bytes; they went as seq 2");
	const lost = gaps.reduce((n, g) => n + g.frames, 0);
	t.is(recorder.stats.framesLost, lost);
	t.is(recorder.stats.framesUploaded + lost, state.pushed, `uploaded ${recorder.stats.framesUploaded} + lost ${lost} = pushed ${state.pushed}`);
	t.true(gaps.every((g) => g.reason === "overwritten"), "no gap is 'refused'");
	t.false(gaps.some((g) => g.from < time(30 * gops) && g.to > time(15 * gops)), "no gap covers segment 1, which the cloud holds");
}

/**
 * What became of the attempt made in between — after segment 1's lost answer, while the ring still
 * held it — when the outage struck: where (its upload's stage) and how.
 */
const BETWEEN: Array<[string, "begin" | "sent" | "end", "reset" | number | undefined]> = [
	["the connection cut before its body was whole", "begin", "reset"],
	["answered 507, the cloud's disk full", "end", 507],
	["the ring overwrote it between two of its fragments", "sent", undefined],
	["the connection cut after its body, before the answer", "end", "reset"],
];

for (const [what, stage, fault] of BETWEEN) {
	test(`a segment stored whose answer was lost, sent again while the ring held it and that attempt unanswered too (${what}), then overwritten: the next goes under the next seq, and only frames no segment holds are reported lost`, async (t) => {
		const setup = lostAnswer();
		const { cloud, state, push } = setup;
		let attempts = 0;
		cloud.onEnd = (seq) => seq === 1 && attempts === 1;   // the first upload of segment 1 is stored, its answer lost
		cloud.onStage = (seq, at) => {
			if (seq !== 1) return undefined;
			if (at === "begin") attempts++;
			if (attempts !== 2 || at !== stage || state.outage) return undefined;
			state.outage = true;
			push(150);
			return fault;
		};
		await continuousThroughOutage(t, setup);
		t.true(attempts >= 3, `segment 1 was attempted ${attempts} times`);
		t.true(setup.gaps.length > 0, "the outage lost frames");
	});
}

test("a segment of two GOPs stored whose answer was lost, the ring then losing only its first GOP: the next segment begins where it ended, each frame counted once", async (t) => {
	const setup = lostAnswer();
	const { ring, cloud, state, push } = setup;
	cloud.onEnd = (seq) => {
		if (seq !== 1 || state.outage) return false;
		state.outage = true;
		while (keyFrameBefore(ring, 0, 0)!.seq <= 30) push(1);   // segment 1 is frames 30–59: 30–44 overwritten
		return true;
	};
	await continuousThroughOutage(t, setup, 2);
	t.deepEqual(setup.gaps, [], "the outage lost only frames the cloud holds");
});

test("an event clip whose stored segment lost its answer, overwritten before the resend, and the clip over by then: its frames are reported when the stream ends, not never", async (t) => {
	const { ring, cloud, gaps, recorder, state, time, push, run } = lostAnswer();
	recorder.configure("event", { segmentMs: 1000, preRollMs: 0, postRollMs: 2500, maxClipMs: 60_000 });
	push(30);
	recorder.event(time(30));   // a clip from frame 30 (a key frame) to 2.5 s later: segments 0 (frames 30–44), 1 (45–59), 2
	await run(80, 1, () => state.outage);
	t.true(state.outage, "segment 1 went out");
	await run(20, 1);
	await recorder.stop();
	ring.close();
	t.log(`answers ${cloud.answers.map(([seq, status]) => `${seq}:${status}`).join(" ")}; gaps ${JSON.stringify(gaps)}; stats ${JSON.stringify(recorder.stats)}`);
	t.true(cloud.segments.has(1), "the cloud holds segment 1");
	// Its frames were read again from nowhere (the ring lost them) and no answer under seq 1 can
	// come (the clip, and its stream, ended first): reported — before the fix they were in no gap.
	const segment1 = gaps.find((gap) => gap.from === time(45));
	t.truthy(segment1, "a gap from segment 1's first frame");
	t.is(segment1?.frames, 15);
	t.is(recorder.stats.framesLost, gaps.reduce((n, g) => n + g.frames, 0));
	t.is(recorder.stats.segmentsRefused, 0);
});

test("a segment's parts go up in writes of up to WRITE_PARTS_MS while no viewer watches live, each as it is cut while one does (and at once when one comes)", async (t) => {
	const perWrite = WRITE_PARTS_MS / PART_TARGET_MS;
	for (const watched of [false, true, "midway"] as const) {
		const ring = new Ring({ arenaBytes: 512 * 1024 });
		const cloud = new FakeCloud();
		const writes: number[] = [];
		cloud.onWrite = (_seq, fragments) => writes.push(fragments);
		let pushed = 0;
		const time = (n: number) => Math.round(n * FRAME_MS);
		const recorder = new Recorder({ ring, channel: 0, video: "h264", audio: false, client: cloud.client(), clock: () => time(pushed - 1), retry: { minDelay: 20, maxDelay: 40 } });
		const settings = { segmentMs: 2000, preRollMs: 0, postRollMs: 0, maxClipMs: 60_000 };
		recorder.configure("continuous", { ...settings, watched: watched === true });
		// 6 s of video, 3 frames (a part) every 20 ms; "midway": a viewer comes after 2 s.
		for (; pushed < 90; pushed += 3) {
			for (let i = pushed; i < pushed + 3; i++) ring.push(FrameType.video, Codec.h264, i % 15 === 0, time(i), VIDEO[i % VIDEO.length]);
			if (watched === "midway" && pushed === 30) recorder.configure("continuous", { ...settings, watched: true });
			await sleep(20);
		}
		await recorder.stop();
		ring.close();
		t.log(`${watched === "midway" ? "a viewer after 2 s" : watched ? "watched" : "not watched"}: fragments per write ${writes.join(" ")}`);
		t.is(recorder.stats.framesUploaded, 90, "every frame stored");
		t.true(writes.every((n) => n >= 1 && n <= perWrite), `every write carries 1 to ${perWrite} parts`);
		if (watched === true) t.true(writes.every((n) => n === 1), "watched: each part in a write of its own");
		else t.true(writes.includes(perWrite), "a write carries a second's parts");
		if (watched === "midway") t.true(writes.slice(-10).every((n) => n === 1), "after the viewer came, each part on its own");
	}
});

/**
 * Two segments went out whole under seq 1 without an answer, the ring overwriting each before the
 * next attempt; the third attempt's answer says which one the cloud holds, if any. Found by the
 * soak (a 15-s cut): both had been counted held on a 409, the cloud holding only one of them — a
 * segment's frames missing with no gap.
 */
const TWO_UNANSWERED: Array<[string, "first" | "second" | "neither", boolean]> = [
	["the cloud holds the first (a 409 naming its hash)", "first", true],
	["the cloud holds the second (a 409 naming its hash)", "second", true],
	["the cloud holds neither (a 201)", "neither", true],
	["the cloud holds the first, its 409 naming no hash (a cloud before X-Ivxs-Stored-Sha256): neither is taken for held — both reported lost", "first", false],
];

for (const [what, holds, namesHash] of TWO_UNANSWERED) {
	test(`two segments out whole under one seq without an answer, each overwritten before the next attempt; ${what}: every frame counted uploaded or lost once, each gap its own`, async (t) => {
		const { ring, cloud, gaps, recorder, state, push, run } = lostAnswer();
		cloud.namesHash = namesHash;
		let attempts = 0;
		// Attempt 1 and 2 of seq 1 go out whole; the cloud stores the one it holds and their answers
		// are lost (a cut after the body: before it stores, or after); each is overwritten in the ring.
		const overtake = () => {
			state.outage = true;
			push(150);
		};
		cloud.onStage = (seq, at) => {
			if (seq !== 1) return undefined;
			if (at === "begin") attempts++;
			const stores = (holds === "first" && attempts === 1) || (holds === "second" && attempts === 2);
			if (at !== "end" || attempts > 2 || stores) return undefined;
			overtake();
			return "reset";
		};
		cloud.onEnd = (seq) => {
			if (seq !== 1 || attempts > 2) return false;
			overtake();
			return true;
		};
		recorder.configure("continuous", { segmentMs: 1000, preRollMs: 0, postRollMs: 0, maxClipMs: 60_000 });
		await run(600, 3, () => attempts >= 3);
		t.true(attempts >= 3, `segment 1 was attempted ${attempts} times`);
		await run(120, 3);
		await recorder.stop();
		ring.close();
		const statuses = cloud.answers.map(([seq, status]) => `${seq}:${status}`);
		t.log(`answers ${statuses.join(" ")}; gaps ${JSON.stringify(gaps)}; stats ${JSON.stringify(recorder.stats)}`);
		t.is(recorder.stats.segmentsRefused, 0, "nothing refused for good");
		t.true(holds === "neither" ? statuses.includes("1:201") : statuses.includes("1:409") && statuses.includes("2:201"), "seq 1 holds one segment; the next went as seq 2");
		const held = [...cloud.samples.values()].reduce((n, f) => n + f, 0);
		const lost = gaps.reduce((n, g) => n + g.frames, 0);
		t.is(recorder.stats.framesLost, lost);
		t.is(recorder.stats.framesUploaded + lost, state.pushed, `uploaded ${recorder.stats.framesUploaded} + lost ${lost} = pushed ${state.pushed}`);
		// (Without the hash the frames of the one it holds are reported lost: a gap in error, never frames unaccounted for.)
		if (namesHash) t.is(recorder.stats.framesUploaded, held, "the frames counted uploaded are the frames the cloud holds");
		else t.is(held - recorder.stats.framesUploaded, 15, "the cloud holds the first attempt's 15 frames besides those counted uploaded");
		const sorted = [...gaps].sort((a, b) => a.from - b.from);
		t.true(sorted.every((g, i) => i === 0 || g.from >= sorted[i - 1].to), "no two gaps cover the same time");
	});
}
