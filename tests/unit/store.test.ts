// The local recording store's rules (modules/store) on an in-memory folder, under Node and on XS:
// names, the time index (mfra) and its checks, recovery after a power cut, the size bound, the
// recorded spans, and playback's pacing, pause, seek, speed and init segments.
import test from "ava";
import { LocalStore, type StoreFiles } from "../../modules/store/local-store.js";
import { parseSegmentName, segmentName } from "../../modules/store/naming.js";
import { Playback, PIECE_BYTES } from "../../modules/store/playback.js";
import { decodeIndex, encodeIndex, indexBytes, indexSize, MFRO_BYTES } from "../../modules/store/time-index.js";

class MemoryFiles implements StoreFiles {
	files = new Map<string, Uint8Array>();
	makeDirectory(): void {}
	listDirectory(dir: string) {
		return [...this.files].filter(([p]) => p.startsWith(`${dir}/`)).map(([p, b]) => ({ name: p.slice(dir.length + 1), size: b.length }));
	}
	removeFile(path: string): void {
		this.files.delete(path);
	}
	renameFile(from: string, to: string): void {
		const bytes = this.files.get(from);
		if (!bytes) throw new Error(`${from}: no such file`);
		this.files.delete(from);
		this.files.set(to, bytes);
	}
	readFile(path: string, { offset, maxBytes }: { offset: number; maxBytes: number }): ArrayBuffer {
		const bytes = this.files.get(path);
		if (!bytes) throw new Error(`${path}: no such file`);
		return bytes.slice(offset, offset + maxBytes).buffer as ArrayBuffer;
	}
}

/** A segment file as the recorder writes it: init, fragments (`sizes` bytes, one per second), index. */
function segmentFile(start: number, sizes: number[], initByte = 0x49): Uint8Array {
	const init = new Uint8Array(20).fill(initByte);
	const entries = [];
	let offset = init.length;
	for (let i = 0; i < sizes.length; i++) {
		entries.push({ timeMs: start + i * 1000, offset });
		offset += sizes[i];
	}
	const index = encodeIndex(entries);
	const file = new Uint8Array(offset + index.length);
	file.set(init);
	for (let i = 0; i < sizes.length; i++) file.fill(i + 1, entries[i].offset, entries[i].offset + sizes[i]);
	file.set(index, offset);
	return file;
}

function storeWith(files: MemoryFiles, spans: Array<[number, number[]]>, maxBytes = 1e9, initByte?: number): LocalStore {
	for (const [start, sizes] of spans) files.files.set(`/sd/${segmentName(start, start + sizes.length * 1000)}`, segmentFile(start, sizes, initByte));
	const store = new LocalStore({ dir: "/sd", maxBytes, files });
	store.open();
	return store;
}

test("segment names carry their span; anything else is not a segment", (t) => {
	t.deepEqual(parseSegmentName(segmentName(1000, 3000)), { start: 1000, end: 3000 });
	for (const bad of ["1000-1000.mp4", "3000-1000.mp4", "1000-3000.mp4.tmp", "a-b.mp4", "1000.part", "-1-2.mp4"]) t.is(parseSegmentName(bad), undefined, bad);
});

test("the time index round-trips and a damaged one is refused", (t) => {
	const entries = [{ timeMs: 1_795_000_000_000, offset: 700 }, { timeMs: 1_795_000_001_000, offset: 90_000 }, { timeMs: 1_795_000_002_000, offset: 200_000 }];
	const mfra = encodeIndex(entries);
	t.is(mfra.length, indexBytes(3));
	const fileBytes = 300_000 + mfra.length;
	t.is(indexSize(mfra.slice(-MFRO_BYTES).buffer as ArrayBuffer, fileBytes), mfra.length);
	t.deepEqual(decodeIndex(mfra.slice().buffer as ArrayBuffer, fileBytes), entries);
	t.is(indexSize(new Uint8Array(MFRO_BYTES).buffer as ArrayBuffer, fileBytes), undefined);
	t.is(indexSize(mfra.slice(-MFRO_BYTES).buffer as ArrayBuffer, 100), undefined, "an index larger than its file");
	const flipped = mfra.slice();
	flipped.fill(0, 8 + 24 + 19 + 8, 8 + 24 + 19 + 16);   // the second entry's offset goes below the first's
	t.is(decodeIndex(flipped.buffer as ArrayBuffer, fileBytes), undefined);
	t.is(decodeIndex(mfra.slice().buffer as ArrayBuffer, 1000), undefined, "an offset past the file");
	const count = mfra.slice();
	count[31] = 9;   // more entries than the box holds
	t.is(decodeIndex(count.buffer as ArrayBuffer, fileBytes), undefined);
});

test("opening the store deletes what a power cut interrupted, keeps the rest and trims to its bound", (t) => {
	const files = new MemoryFiles();
	files.files.set("/sd/5000.part", new Uint8Array(100));
	files.files.set("/sd/notes.txt", new Uint8Array(10));
	const store = storeWith(files, [[3000, [100, 100]], [1000, [100, 100]]]);
	t.false(files.files.has("/sd/5000.part"));
	t.true(files.files.has("/sd/notes.txt"), "other files are not the store's");
	t.deepEqual(store.segments.map((s) => s.start), [1000, 3000]);
	t.deepEqual(store.spans(0, 10_000), [[1000, 5000]]);
	t.deepEqual(store.spans(3500, 10_000), [[3000, 5000]]);
	// a bound that keeps one of these segments: the oldest goes now, and again at the next commit
	const small = new LocalStore({ dir: "/sd", maxBytes: store.bytes / 2, files });
	t.deepEqual(small.open(), { segments: 1, interrupted: 0 });
	t.false(files.files.has(`/sd/${segmentName(1000, 3000)}`));
	files.files.set(small.partPath(5000), segmentFile(5000, [100]));
	small.commit(5000, 6000, files.files.get(small.partPath(5000))!.length);
	t.deepEqual(small.segments.map((s) => s.start), [5000]);
	t.deepEqual([...files.files.keys()].filter((k) => k.endsWith(".mp4")), [`/sd/${segmentName(5000, 6000)}`]);
});

test("playback paces fragments on their times, from the key frame at or before start, across segments", (t) => {
	const files = new MemoryFiles();
	const store = storeWith(files, [[10_000, [50, 60, 70]], [13_000, [80, 90]]]);
	let now = 0;
	const playback = new Playback({ store, start: 11_500, end: 14_500, now: () => now });
	const pulled = (): number[] => {
		const seen: number[] = [];
		for (let chunk = playback.pull(); chunk; chunk = playback.pull()) seen.push(new Uint8Array(chunk.data)[0], chunk.data.byteLength);
		return seen;
	};
	t.deepEqual(pulled(), [0x49, 20, 2, 60], "init, then the fragment that holds 11.5 s");
	now = 400;
	t.deepEqual(pulled(), [], "the next one is due at 12 s");
	now = 500;
	t.deepEqual(pulled(), [3, 70]);
	now = 1500;
	t.deepEqual(pulled(), [1, 80], "the next segment: its init is the same, not sent again");
	playback.pause(true);
	now = 5000;
	t.deepEqual(pulled(), [], "paused");
	playback.pause(false);
	t.deepEqual(pulled(), [], "on from where it paused: 13 s");
	now = 6000;
	t.deepEqual(pulled(), [2, 90]);
	now = 9000;
	t.deepEqual(pulled(), []);
	t.true(playback.done, "14.5 s is past the last fragment that starts before end");
	playback.seek(10_200);
	playback.setSpeed(4);
	t.deepEqual(pulled(), [1, 50], "a seek goes back to the fragment at or before it (the same init is not sent again)");
	now += 250;
	t.deepEqual(pulled(), [2, 60], "4× real time");
	t.throws(() => playback.setSpeed(17), { instanceOf: RangeError });
});

test("playback sends a fragment in pieces, a new init only when it differs, and skips a segment deleted meanwhile", (t) => {
	const files = new MemoryFiles();
	const store = storeWith(files, [[0, [PIECE_BYTES * 2 + 5]]]);
	for (const [start, sizes] of [[1000, [10]], [2000, [10]]] as Array<[number, number[]]>)
		files.files.set(`/sd/${segmentName(start, start + 1000)}`, segmentFile(start, sizes, start === 1000 ? 0x4a : 0x4b));
	store.open();
	let now = 0;
	const playback = new Playback({ store, start: 0, end: 10_000, speed: 16, now: () => now });
	const first = [playback.pull(), playback.pull(), playback.pull(), playback.pull()];
	t.deepEqual(first.map((c) => [c!.data.byteLength, c!.key]), [[20, true], [PIECE_BYTES, true], [PIECE_BYTES, false], [5, false]]);
	files.files.delete(`/sd/${segmentName(1000, 2000)}`);   // trimmed under the viewer
	now = 100;
	t.is(playback.pull(), undefined);
	const next = playback.pull()!;
	t.is(new Uint8Array(next.data)[0], 0x4b, "on with the next segment, its own init first");
});
