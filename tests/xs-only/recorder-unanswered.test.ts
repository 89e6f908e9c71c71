// The recorder (modules/cs/recorder.ts) when a segment went out whole and its answer never came
// (the connection died after the last byte), and the ring then overwrote its frames before it
// could be sent again (PROTOCOL §3.2 "Cuts and retries"). Against a fake cloud that keeps what it
// stores by seq and answers as the real one does: the same bytes under a seq → 200, other bytes →
// 409. Found by the soak (a cut, then a long outage): the camera sent other bytes under the seq
// the cloud held (409, "refused"), and reported as lost the frames the cloud had.
import test from "ava";
import { readFile } from "ivxs/file";
import { accessUnits } from "annexb";
import Timer from "timer";
import { Codec, FrameType, Ring } from "ring";
import { Recorder, type Gap } from "../../modules/cs/recorder.js";
import type { StreamClient } from "../../modules/cs/stream-client.js";
import { ConnectionResetError } from "../../modules/net/errors.js";

const FPS = 15, FRAME_MS = 1000 / FPS;
const bytes = new Uint8Array(readFile("fixtures/media/h264-main-640x480.h264"));
const triples = accessUnits(bytes, "h264") as number[];
const VIDEO: Uint8Array[] = [];
for (let i = 0; i < triples.length; i += 3) VIDEO.push(bytes.slice(triples[i], triples[i + 1]));   // 60 AUs, GOP 15

const answer = (status: number, body: unknown = {}) => ({ status, headers: {}, body: new Uint8Array(0), json: () => body });
const sleep = (ms: number) => new Promise<void>((resolve) => { Timer.set(() => resolve(), ms); });

/** A cloud of one stream: segments by seq (their bytes joined), and a hook when a body ends. */
class FakeCloud {
	segments = new Map<number, string>();
	answers: Array<[number, number]> = [];
	/** Runs when segment `seq`'s body ended, before the answer: true makes the answer never come. */
	onEnd: (seq: number) => boolean = () => false;

	client(): StreamClient {
		const cloud = this;
		return {
			putInit: async () => answer(201),
			end: async () => answer(200),
			segment(_stream: string, seq: number) {
				let body = "", complete = false;
				return {
					get complete() { return complete; },
					async write(chunks: Uint8Array[], verify?: () => boolean) {
						for (const c of chunks) body += String.fromCharCode(...c.subarray(0, 64)) + c.byteLength;
						if (verify && !verify()) throw new Error("torn");
					},
					async end() {
						complete = true;
						const held = cloud.segments.get(seq);
						const response = held === undefined || held === body ? answer(held === undefined ? 201 : 200) : answer(409, { error: `segment ${seq} is already stored with different bytes` });
						if (held === undefined) cloud.segments.set(seq, body);
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
	const { ring, cloud, gaps, recorder, state, run } = lostAnswer();
	recorder.configure("continuous", { segmentMs: 1000, preRollMs: 0, postRollMs: 0, maxClipMs: 60_000 });
	await run(240, 3, () => state.outage);
	t.true(state.outage, "segment 1 went out");
	await run(120, 3);
	await recorder.stop();
	ring.close();
	const statuses = cloud.answers.map(([seq, status]) => `${seq}:${status}`);
	t.log(`answers ${statuses.join(" ")}; stored seqs ${[...cloud.segments.keys()].join(",")}; gaps ${JSON.stringify(gaps)}; stats ${JSON.stringify(recorder.stats)}`);
	t.is(recorder.stats.segmentsRefused, 0, "nothing refused for good");
	t.true(statuses.includes("1:409") && statuses.includes("2:201"), "the cloud said 409 for seq 1's other bytes; they went as seq 2");
	// Every frame pushed is in a stored segment or in a gap — segment 1's frames among the stored
	// ones, not in a gap.
	const lost = gaps.reduce((n, g) => n + g.frames, 0);
	t.is(recorder.stats.framesLost, lost);
	t.is(recorder.stats.framesUploaded + lost, state.pushed, `uploaded ${recorder.stats.framesUploaded} + lost ${lost} = pushed ${state.pushed}`);
	t.true(gaps.length > 0 && gaps.every((g) => g.reason === "overwritten"), "the outage lost frames; no gap is 'refused'");
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
