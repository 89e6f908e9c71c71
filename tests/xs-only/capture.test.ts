// The capture source through its XS binding (XS host only: "capture" is native).
// Pacing within 5 ms and the splitters are tested in C (native/capture/tests).
import test from "ava";
import { Ring, RingReader, FrameType, Codec } from "ring";
import type { Frame } from "ring";
import { Capture, codes } from "capture";
import { codes as kitCodes } from "ivxs/codes";
import Timer from "timer";
import { memory, collectGarbage } from "ivxs/host";

const h264 = "fixtures/media/h264-main-640x480.h264";
const aac = "fixtures/media/aac-lc-16k-mono.aac";
const wait = (ms: number) => new Promise((resolve) => Timer.set(resolve, ms));

// Reads until `until()` or 2 s; bounded per pass because a fast-paced
// writer can outrun any reader.
async function drain(reader: RingReader, until: () => boolean, limit = 100_000): Promise<Frame[]> {
	const frames: Frame[] = [];
	const take = () => {
		for (let n = 0, f = reader.read(); f && n < 5000 && frames.length < limit; n++, f = reader.read()) frames.push(f);
	};
	for (let i = 0; i < 400 && !until() && frames.length < limit; i++) {
		take();
		await wait(5);
	}
	take();
	return frames;
}

test("frames arrive in order with key flags and increasing timestamps", async (t) => {
	const ring = new Ring({ maxGopBytes: 512 * 1024 });
	const capture = new Capture({ ring, video: h264, audio: aac, fps: 15, pace: "fast", once: true, startTime: 5000 });
	const reader = new RingReader(ring, { at: "time", time: 0 });
	capture.start();
	const frames = await drain(reader, () => !capture.stats().running);
	const video = frames.filter((f) => f.type === FrameType.video);
	const audio = frames.filter((f) => f.type === FrameType.audio);
	t.is(video.length, 60, "the clip has 60 frames");
	t.true(audio.length > 50);
	t.true(video[0].key);
	t.is(video[0].timestamp, 5000);
	t.true(video.every((f) => f.codec === Codec.h264));
	t.true(audio.every((f) => f.codec === Codec.aac));
	t.is(video.filter((f) => f.key).length, 4, "a key frame every 15 frames");
	for (let i = 1; i < video.length; i++) t.true(video[i].timestamp > video[i - 1].timestamp);
	for (let i = 1; i < frames.length; i++) t.is(frames[i].seq, frames[i - 1].seq + 1);
	t.is(frames.reduce((n, f) => n + f.lost, 0), 0);
	capture.close();
	ring.close();
});

test("looping keeps timestamps increasing", async (t) => {
	const ring = new Ring({ maxGopBytes: 512 * 1024 });
	const capture = new Capture({ ring, video: h264, pace: "fast", startTime: 0 });
	const reader = new RingReader(ring, { at: "time", time: 0 });
	capture.start();
	const frames = await drain(reader, () => capture.stats().loops >= 2, 20_000);
	capture.stop();
	t.true(capture.stats().loops >= 2);
	let last = -1, ok = true;
	for (const f of frames) {
		if (f.type !== FrameType.video) continue;
		if (f.lost === 0 && f.timestamp <= last) ok = false;
		last = f.timestamp;
	}
	t.true(ok);
	capture.close();
	capture.close();
	ring.close();
});

test("start, stop and restart cleanly; a second start while running is refused", (t) => {
	const ring = new Ring({ maxGopBytes: 512 * 1024 });
	const capture = new Capture({ ring, video: h264 });
	capture.start();
	t.throws(() => capture.start(), { message: /already|state/ });
	capture.stop();
	capture.stop();
	t.notThrows(() => capture.start());
	capture.stop();
	capture.close();
	t.throws(() => capture.start(), { message: /closed/ });
	ring.close();
});

test("missing and malformed files are clear errors", (t) => {
	// One ring per Capture: a Capture is its ring's one writer until closed.
	const rings: Ring[] = [];
	const ring = () => (rings[rings.length] = new Ring({ maxGopBytes: 64 * 1024 }));
	t.throws(() => new Capture({ ring: ring(), video: "fixtures/media/nope.h264" }).start(), { code: codes.EOPEN, message: /nope\.h264: cannot open/ });
	t.throws(() => new Capture({ ring: ring(), video: "fixtures/media/stills/0001.jpg", codec: "h264" }).start(), { message: /0001\.jpg/ });
	t.throws(() => new Capture({ ring: ring() } as any), { instanceOf: TypeError, code: kitCodes.EARG });
	t.throws(() => new Capture({ ring: ring(), video: h264, codec: "vp8" as any }), { instanceOf: RangeError });
	t.throws(() => new Capture({ ring: ring(), video: h264, pace: "slow" as any }), { instanceOf: RangeError });
	t.throws(() => new Capture({ ring: {} as any, video: h264 }));
	for (const r of rings) r.close();
});

test("what a running source holds shows in the host's memory accounting", (t) => {
	const ring = new Ring({ maxGopBytes: 512 * 1024 });
	collectGarbage();   // earlier tests' sources are freed now, not in the middle of this one
	const before = memory().native.capture?.bytes ?? 0;
	const capture = new Capture({ ring, video: h264, stills: "fixtures/media/stills" });
	capture.start();
	const running = capture.stats().footprintBytes;
	t.true(running > 1024 * 1024, "the 1 MiB access-unit buffer is counted");
	t.true(memory().native.capture.bytes - before >= running);
	capture.stop();
	t.true(capture.stats().footprintBytes < running, "stop frees the buffers");
	capture.close();
	t.true(memory().native.capture.bytes - before < 4096, "close frees all but the small record (freed by GC)");
	ring.close();
});

test("a still that matches the clip position", async (t) => {
	const ring = new Ring({ maxGopBytes: 512 * 1024 });
	const capture = new Capture({ ring, video: h264, stills: "fixtures/media/stills", startTime: 1000 });
	capture.start();
	await wait(100);
	const still = capture.still();
	const bytes = new Uint8Array(still.data);
	t.is(bytes[0], 0xff);
	t.is(bytes[1], 0xd8);
	t.true(still.timestamp >= 1000);
	capture.close();
	const none = new Capture({ ring, video: h264 });
	none.start();
	t.throws(() => none.still(), { message: /still/ });
	none.close();
	ring.close();
});
