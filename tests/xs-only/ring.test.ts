// The GOP ring through its XS binding (runs on the XS host only: "ring" is native).
import test from "ava";
import { Ring, RingReader, FrameType, Codec } from "ring";
import type { Frame } from "ring";
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
	t.throws(() => ring.push(FrameType.video, Codec.h264, false, 50, delta(1)), { instanceOf: RangeError, message: /backwards/ });
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
