// The GOP ring through its XS binding (runs on the XS host only: "ring" is native).
import test from "ava";
import { Ring, RingReader, FrameType, Codec, intact, nativeRing, codes } from "ring";
import { codes as kitCodes } from "ivxs/codes";
import type { Frame } from "ring";
import { Capture } from "capture";
import natives from "ivxs/test-ring-natives";
import { memory, collectGarbage } from "ivxs/host";
import Timer from "timer";

const key = (n: number) => new Uint8Array([0, 0, 0, 1, 0x65, n & 0xff]);
const delta = (n: number) => new Uint8Array([0, 0, 0, 1, 0x41, n & 0xff]);

test("frames come out in order with their metadata", (t) => {
	const ring = new Ring({ maxGopBytes: 16 * 1024 });
	ring.push(FrameType.video, Codec.h264, true, 1000, key(1));
	ring.push(FrameType.audio, Codec.aac, false, 1005, new Uint8Array([0xff, 0xf1, 9]));
	ring.push(FrameType.video, Codec.h264, false, 1040, delta(2));
	const reader = new RingReader(ring, { at: "time", time: 0 });
	const frames: Frame[] = [];
	for (let f = reader.read(); f; f = reader.read()) {
		t.true(reader.valid(f));
		frames.push(f);
	}
	t.deepEqual(frames.map((f) => [f.seq, f.type, f.codec, f.key, f.timestamp, f.lost]), [
		[0, 1, 1, true, 1000, 0], [1, 0, 3, false, 1005, 0], [2, 1, 1, false, 1040, 0],
	]);
	t.deepEqual(Array.from(frames[0].data), Array.from(key(1)));
	t.is(reader.read(), undefined);
	reader.close();
	ring.close();
});

test("reads are zero-copy views of the arena", (t) => {
	const ring = new Ring({ arenaBytes: 8192 });
	ring.push(FrameType.video, Codec.h265, true, 0, new Uint8Array(100).fill(3));
	const reader = new RingReader(ring, { at: "live" });
	const frame = reader.read()!;
	t.false(frame.data.buffer instanceof ArrayBuffer, "a view over a host buffer, not a copied ArrayBuffer");
	t.is(frame.data.length, 100);
	t.is(frame.data[99], 3);
	reader.close();
	ring.close();
});

test("bad frames get clear errors and leave the ring intact", (t) => {
	const ring = new Ring({ arenaBytes: 4096 });
	t.throws(() => ring.push(FrameType.video, Codec.h264, false, 0, delta(0)), { instanceOf: RangeError, message: /key frame/ });
	ring.push(FrameType.video, Codec.h264, true, 100, key(0));
	t.throws(() => ring.push(FrameType.video, Codec.aac, true, 200, key(1)), { instanceOf: TypeError });
	t.throws(() => ring.push(FrameType.video, Codec.h264, false, 50, delta(1)), { instanceOf: RangeError, code: codes.ETIME, message: /backwards/ });
	t.throws(() => ring.push(FrameType.video, Codec.h264, false, 200, new Uint8Array(8192)), { instanceOf: RangeError });
	t.throws(() => ring.push(FrameType.video, Codec.h264, false, 200, new Uint8Array(0)), { instanceOf: TypeError });
	t.throws(() => ring.push(FrameType.video, Codec.h264, false, -1, delta(1)), { instanceOf: RangeError });
	const stats = ring.stats();
	t.is(stats.framesPushed, 1);
	t.is(stats.framesHeld, 1);
	ring.close();
	t.throws(() => ring.push(FrameType.video, Codec.h264, true, 300, key(2)), { message: /closed/ });
	ring.close();   // harmless twice
});

test("wrong options are refused", (t) => {
	t.throws(() => new Ring(undefined as any), { instanceOf: TypeError });
	t.throws(() => new Ring({}), { instanceOf: TypeError });
	t.throws(() => new Ring({ arenaBytes: -5 }), { instanceOf: RangeError });
	const ring = new Ring({ arenaBytes: 4096, maxReaders: 1 });
	ring.push(FrameType.video, Codec.h264, true, 0, key(0));
	t.throws(() => new RingReader(ring, { at: "sometime" as any }), { instanceOf: RangeError });
	const one = new RingReader(ring);
	t.throws(() => new RingReader(ring), { instanceOf: RangeError, message: /reader/ });
	one.close();
	one.close();
	t.notThrows(() => new RingReader(ring).close());
	ring.close();
});

test("a pre-roll reader starts at the oldest key frame at or after T", (t) => {
	const ring = new Ring({ arenaBytes: 64 * 1024 });
	for (let i = 0; i < 30; i++) ring.push(FrameType.video, Codec.h264, i % 10 === 0, i * 100, i % 10 === 0 ? key(i) : delta(i));
	const preroll = new RingReader(ring, { at: "time", time: 1050 });
	t.is(preroll.read()!.timestamp, 2000);
	const live = new RingReader(ring, { at: "live" });
	t.is(live.read()!.timestamp, 2000);
	const future = new RingReader(ring, { at: "time", time: 5000 });
	t.is(future.read(), undefined, "waits for a key frame at or after T");
	ring.push(FrameType.video, Codec.h264, true, 5000, key(50));
	t.is(future.read()!.timestamp, 5000);
	ring.close();
});

test("a live reader opened on an empty ring waits for the first key frame", (t) => {
	const ring = new Ring({ arenaBytes: 8192 });
	const live = new RingReader(ring, { at: "live" });
	t.is(live.read(), undefined);
	ring.push(FrameType.audio, Codec.aac, false, 0, new Uint8Array([0xff, 0xf1]));
	ring.push(FrameType.video, Codec.h264, true, 10, key(1));
	const first = live.read()!;
	t.true(first.key);
	t.is(first.timestamp, 10);
	live.close();
	ring.close();
});

test("an overtaken reader learns how many frames it lost and resumes at a key frame", (t) => {
	const ring = new Ring({ arenaBytes: 4096 });
	const frame = new Uint8Array(200);
	ring.push(FrameType.video, Codec.h264, true, 0, frame);
	const slow = new RingReader(ring, { at: "live" });
	let ts = 0;
	for (let i = 1; i < 100; i++) ring.push(FrameType.video, Codec.h264, i % 5 === 0, (ts = i * 40), frame);
	const next = slow.read()!;
	t.true(next.lost > 0);
	t.true(next.key);
	t.is(next.seq, next.lost);   // it had read nothing: everything before was lost
	t.true(ring.stats().gopsEvicted > 0);
	t.true(ts >= next.timestamp);
	ring.close();
});

test("a view that the writer overwrote is reported invalid", (t) => {
	const ring = new Ring({ arenaBytes: 4096 });
	ring.push(FrameType.video, Codec.h264, true, 0, new Uint8Array(1000));
	const reader = new RingReader(ring, { at: "live" });
	const old = reader.read()!;
	for (let i = 1; i < 20; i++) ring.push(FrameType.video, Codec.h264, true, i, new Uint8Array(1000));
	t.false(reader.valid(old));
	ring.close();
});

test("onReadable fires once per batch of pushes, on the loop", async (t) => {
	const ring = new Ring({ arenaBytes: 16 * 1024 });
	ring.push(FrameType.video, Codec.h264, true, 0, key(0));
	let calls = 0, frames = 0;
	const reader = new RingReader(ring, {
		at: "live",
		onReadable() {
			calls++;
			while (this.read()) frames++;
		},
	});
	for (let i = 1; i <= 5; i++) ring.push(FrameType.video, Codec.h264, false, i, delta(i));
	await new Promise((resolve) => Timer.set(resolve, 20));
	t.is(calls, 1);
	t.is(frames, 6);
	reader.close();
	ring.close();
});

test("the ring's bytes show in the host's memory accounting", (t) => {
	collectGarbage();   // earlier tests' rings are freed now, not in the middle of this one
	const before = memory().native.ring?.bytes ?? 0;
	const ring = new Ring({ maxGopBytes: 256 * 1024 });
	const stats = ring.stats();
	t.true(stats.arenaBytes >= 512 * 1024);
	t.is(memory().native.ring.bytes - before, stats.footprintBytes);
	ring.close();
});

// Makes a ring and a reader that nothing refers to once this returns.
function dropRingAndReader(n: number): void {
	const ring = new Ring({ arenaBytes: 8192 });
	ring.push(FrameType.video, Codec.h264, true, 0, key(n));
	const reader = new RingReader(ring, { at: "live" });
	reader.read();
}

test("a ring and an unclosed reader dropped together are collected safely", async (t) => {
	// Both become garbage in the same sweep, in whatever order the heap holds
	// them; the reader's destructor must not touch a ring freed just before it
	// (the sanitized host reports that). The loop turn delivers the pushes'
	// wake-ups first, as in an app.
	// Fill the free slots first, so the pairs come from freshly grown heap
	// space, where XS hands out slots in ascending order: the ring is then
	// swept (and freed) before its reader.
	const hold: object[] = [];
	for (let i = 0; i < 100_000; i++) hold.push({ i });
	for (let i = 0; i < 16; i++) dropRingAndReader(i);
	await new Promise((resolve) => Timer.set(resolve, 1));
	hold.length = 0;
	collectGarbage();
	t.is(memory().native.ring?.bytes ?? 0, 0);
});

test("every native checks its host objects: another kind is a TypeError", (t) => {
	const ring = new Ring({ arenaBytes: 8192 });
	ring.push(FrameType.video, Codec.h264, true, 0, key(0));
	const reader = new RingReader(ring, { at: "live" });
	const frame = reader.read()!;
	const timer = Timer.set(() => {}, 100_000) as unknown as object;   // a host object of another module
	const ringHost = nativeRing(ring);
	const readerHost = natives.createReader(ringHost, { at: "live" });
	const wrong = [timer, readerHost, frame.data.buffer, {}, new ArrayBuffer(16)];
	for (const value of wrong) {
		t.throws(() => natives.push(value, 1, 1, true, 10, key(1)), { instanceOf: TypeError, code: kitCodes.EHANDLE, message: /not a Ring/ });
		t.throws(() => natives.stats(value), { instanceOf: TypeError });
		t.throws(() => natives.close(value), { instanceOf: TypeError });
		t.throws(() => natives.createReader(value, {}), { instanceOf: TypeError });
	}
	for (const value of [timer, ringHost, frame.data.buffer, {}]) {
		t.throws(() => natives.read(value), { instanceOf: TypeError, code: kitCodes.EHANDLE, message: /not a RingReader/ });
		t.throws(() => natives.valid(value, frame), { instanceOf: TypeError });
		t.throws(() => natives.closeReader(value), { instanceOf: TypeError });
	}
	// A frame whose data is not a view of a frame buffer: TypeError, never a reinterpretation.
	for (const data of [timer, ringHost, readerHost, new ArrayBuffer(6), new Uint8Array(6), frame.data.buffer, undefined, 7])
		t.throws(() => reader.valid({ ...frame, data } as any), { instanceOf: TypeError, message: /not a frame/ });
	const other = new Ring({ arenaBytes: 8192 });
	other.push(FrameType.video, Codec.h264, true, 0, key(0));
	const otherFrame = new RingReader(other).read()!;
	t.throws(() => reader.valid(otherFrame), { instanceOf: TypeError, message: /another ring/ });
	t.true(reader.valid(frame));
	Timer.clear(timer as any);
	natives.closeReader(readerHost);
	ring.close();
	other.close();
});

test("a frame's validation data cannot be changed from JS", (t) => {
	const ring = new Ring({ arenaBytes: 4096 });
	ring.push(FrameType.video, Codec.h264, true, 0, new Uint8Array(1000));
	const reader = new RingReader(ring, { at: "live" });
	const old = reader.read()!;
	for (let i = 1; i < 20; i++) ring.push(FrameType.video, Codec.h264, true, i, new Uint8Array(1000));
	const buffer = old.data.buffer as any;
	t.throws(() => { "use strict"; buffer.positionHigh = 1e9; });
	t.throws(() => { "use strict"; buffer.positionLow = 2 ** 31; });
	t.throws(() => Object.defineProperty(buffer, "positionHigh", { value: 1e9 }));
	t.false(reader.valid(old));
	t.false("token" in old, "no numeric token to forge");
	ring.close();
});

test("frames carry the pusher's info word", (t) => {
	const ring = new Ring({ arenaBytes: 8192 });
	ring.push(FrameType.video, Codec.h264, true, 0, key(0), 0xfffffffe);
	ring.push(FrameType.video, Codec.h264, false, 1, delta(1));
	ring.push(FrameType.audio, Codec.aac, false, 2, new Uint8Array([0xff, 0xf1]), 7);
	const reader = new RingReader(ring, { at: "time", time: 0 });
	t.deepEqual([reader.read()!.info, reader.read()!.info, reader.read()!.info], [0xfffffffe, 0, 7]);
	for (const info of [-1, 2 ** 32, 1.5, NaN])
		t.throws(() => ring.push(FrameType.video, Codec.h264, false, 3, delta(3), info), { instanceOf: RangeError, message: /info/ });
	t.is(ring.stats().framesPushed, 3);
	ring.close();
});

test("numeric options and arguments are range-checked before any cast", (t) => {
	for (const options of [
		{ arenaBytes: 2 ** 64 }, { arenaBytes: 0 }, { arenaBytes: 1.5 }, { arenaBytes: NaN }, { arenaBytes: Infinity },
		{ maxGopBytes: 2 ** 60 }, { maxGopBytes: -1 },
		{ arenaBytes: 8192, maxFrames: 2 ** 32 }, { arenaBytes: 8192, maxFrames: 0 }, { arenaBytes: 8192, maxFrames: 2 ** 64 },
		{ arenaBytes: 8192, maxReaders: 0 }, { arenaBytes: 8192, maxReaders: 2 ** 32 }, { arenaBytes: 8192, maxReaders: 1e6 },
		{ arenaBytes: 8192, framesScale: 0 }, { arenaBytes: 8192, framesScale: 9 }, { arenaBytes: 8192, framesScale: 1.5 },
	])
		t.throws(() => new Ring(options), { instanceOf: RangeError, message: /invalid/ }, JSON.stringify(options));
	// framesScale: a multiple of the slots the bytes derive (64 for 8 KiB: the floor)
	const plain = new Ring({ arenaBytes: 1 << 20 }), scaled = new Ring({ arenaBytes: 1 << 20, framesScale: 2 });
	t.deepEqual([plain.stats().maxFrames, scaled.stats().maxFrames], [2048, 4096]);
	plain.close();
	scaled.close();
	const ring = new Ring({ arenaBytes: 8192, maxFrames: 16 });
	for (const ts of [2 ** 53, 2 ** 64, -1, NaN])
		t.throws(() => ring.push(FrameType.video, Codec.h264, true, ts, key(0)), { instanceOf: RangeError, message: /timestamp/ });
	for (const type of [2 ** 32 + 1, -1, 256])
		t.throws(() => ring.push(type, Codec.h264, true, 0, key(0)), { instanceOf: RangeError });
	t.throws(() => ring.push(FrameType.video, 2 ** 32 + 1, true, 0, key(0)), { instanceOf: RangeError });
	ring.push(FrameType.video, Codec.h264, true, 2 ** 53 - 1, key(0));
	for (const time of [2 ** 64, 2 ** 53, -1, NaN])
		t.throws(() => new RingReader(ring, { at: "time", time }), { instanceOf: RangeError, message: /time/ });
	t.is(new RingReader(ring, { at: "time", time: 2 ** 53 - 1 }).read()!.timestamp, 2 ** 53 - 1);
	ring.close();
});

test("push reads every argument before it takes the data pointer (a valueOf that collects garbage)", (t) => {
	const ring = new Ring({ arenaBytes: 256 * 1024 });
	const gc = <T>(value: T) => ({
		valueOf() {
			// Free earlier chunks, then collect: the compacting collector moves
			// the frame's bytes while push is running.
			garbage.length = 0;
			collectGarbage();
			for (let i = 0; i < 128; i++) garbage.push(new Uint8Array(512).fill(0xee));   // lands where the bytes were
			return value;
		},
	});
	let garbage: Uint8Array[] = [];
	const sent: number[][] = [];
	for (let n = 0; n < 40; n++) {
		for (let i = 0; i < 32; i++) garbage.push(new Uint8Array(512).fill(0xdd));
		const data = new Uint8Array(600);
		for (let i = 0; i < data.length; i++) data[i] = (n * 7 + i) & 0xff;
		sent.push(Array.from(data));
		const args: any[] = [FrameType.video, Codec.h264, n === 0, n, data, n];
		args[n % 5 === 4 ? 5 : n % 5] = gc(args[n % 5 === 4 ? 5 : n % 5]);   // type, codec, key, timestamp or info
		(ring.push as any)(...args);
	}
	const reader = new RingReader(ring, { at: "time", time: 0 });
	let n = 0;
	for (let f = reader.read(); f; f = reader.read(), n++) {
		t.deepEqual(Array.from(f.data), sent[n], `frame ${n}`);
		t.is(f.info, n);
	}
	t.is(n, 40);
	ring.close();
});

test("one writer per ring: a second Capture, or push while a Capture holds the ring, is an error", (t) => {
	const ring = new Ring({ maxGopBytes: 512 * 1024 });
	// A Capture whose construction fails does not keep the ring.
	t.throws(() => new Capture({ ring, video: "fixtures/media/h264-main-640x480.h264", codec: "vp8" as any }), { instanceOf: RangeError });
	t.throws(() => new Capture({ ring, video: "fixtures/media/nope.h264", fps: -1 } as any));
	const capture = new Capture({ ring, video: "fixtures/media/h264-main-640x480.h264" });
	t.throws(() => ring.push(FrameType.video, Codec.h264, true, 0, key(0)), { message: /another writer holds the ring/ });
	t.throws(() => new Capture({ ring, video: "fixtures/media/h264-main-640x480.h264" }), { message: /another writer holds the ring/ });
	t.is(ring.stats().framesPushed, 0);
	capture.close();
	t.notThrows(() => ring.push(FrameType.video, Codec.h264, true, 0, key(0)), "free again once the Capture is closed");
	const next = new Capture({ ring, video: "fixtures/media/h264-main-640x480.h264" });
	next.close();
	ring.close();
});

test("intact(chunks) checks every chunk that views a ring frame and ignores the rest", (t) => {
	const ring = new Ring({ arenaBytes: 4096 });
	ring.push(FrameType.video, Codec.h264, true, 0, new Uint8Array(1000).fill(1));
	const reader = new RingReader(ring, { at: "live" });
	const frame = reader.read()!;
	const header = new Uint8Array([1, 2, 3]);
	t.true(intact([]));
	t.true(intact(frame.data) && intact(header), "one view alone");
	t.true(intact([header, new ArrayBuffer(4)]));
	t.true(intact([header, frame.data.subarray(4, 100), new DataView(frame.data.buffer, 200, 10), frame.data]));
	ring.push(FrameType.video, Codec.h264, true, 1, new Uint8Array(1000).fill(2));
	const fresh = reader.read()!;
	for (let i = 2; i < 5; i++) ring.push(FrameType.video, Codec.h264, true, i, new Uint8Array(1000).fill(i));
	t.false(reader.valid(frame));
	t.false(intact([header, frame.data.subarray(4, 100)]));
	t.false(intact([fresh.data, frame.data]));
	t.true(intact([header, fresh.data.subarray(1)]));
	t.false(intact(frame.data.subarray(4, 100)), "one view alone");
	t.true(intact(fresh.data));
	t.true(intact([{ buffer: Timer.set(() => {}) } as any, 7 as any]), "what is not a ring frame is ignored");
	t.throws(() => intact("abc" as any), { instanceOf: TypeError });
	t.is(reader.lost, 0);
	ring.close();
});
