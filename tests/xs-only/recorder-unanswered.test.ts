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

test("a segment stored whose answer was lost, then overwritten in the ring: the next goes under the next seq, and only frames no segment holds are reported lost", async (t) => {
	// about 3 s of this clip fit: the outage below overwrites the unanswered segment
	const ring = new Ring({ arenaBytes: 96 * 1024 });
	const cloud = new FakeCloud();
	const gaps: Gap[] = [];
	const recorder = new Recorder({
		ring, channel: 0, video: "h264", audio: false, client: cloud.client(), clock: () => 0,
		onGap: (gap) => gaps.push(gap), retry: { minDelay: 20, maxDelay: 40 },
	});
	let pushed = 0;
	const push = (n: number) => {
		for (let i = 0; i < n; i++, pushed++) ring.push(FrameType.video, Codec.h264, pushed % 15 === 0, Math.round(pushed * FRAME_MS), VIDEO[pushed % VIDEO.length]);
	};
	let outage = false;
	cloud.onEnd = (seq) => {
		if (seq !== 1 || outage) return false;
		// segment 1 is stored; its answer is lost, and capture runs on for 10 s before the retry
		outage = true;
		push(150);
		return true;
	};
	recorder.configure("continuous", { segmentMs: 1000, preRollMs: 0, postRollMs: 0, maxClipMs: 60_000 });
	for (let s = 0; s < 80 && !outage; s++) {
		push(3);
		await sleep(20);
	}
	t.true(outage, "segment 1 went out");
	for (let s = 0; s < 40; s++) {
		push(3);
		await sleep(20);
	}
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
	t.is(recorder.stats.framesUploaded + lost, pushed, `uploaded ${recorder.stats.framesUploaded} + lost ${lost} = pushed ${pushed}`);
	t.true(gaps.length > 0 && gaps.every((g) => g.reason === "overwritten"), "the outage lost frames; no gap is 'refused'");
});
