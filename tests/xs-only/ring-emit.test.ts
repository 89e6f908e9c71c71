// Zero-copy output never lets a torn byte out (native/ring/README.md
// "Zero-copy output"): a C writer (Capture, on its own thread) laps a
// deliberately slow consumer that holds views of ring frames; the consumer's
// file sink writes each fragment, checks intact(), and truncates back when a
// view was overwritten. Every access unit of the generated clip has its own
// byte pattern, so the output is checked byte by byte. XS host only.
import test from "ava";
import { Ring, RingReader, intact } from "ring";
import type { Frame } from "ring";
import { Capture } from "capture";
import { FileWriter, readFile, makeDirectory } from "ivxs/file";
import Timer from "timer";

// A folder of its own per run: the 64- and 32-bit hosts run this test at the same time.
const dir = `build/test-out/ring-emit-${Date.now()}-${Math.floor(Math.random() * 1e9)}`;
const wait = (ms: number) => new Promise((resolve) => Timer.set(resolve, ms));
const kUnits = 240, kGop = 8;
const aud = new Uint8Array([0, 0, 0, 1, 0x09, 0xf0]);   // an access unit delimiter: the fragment's own header bytes

// Access unit i: one slice NAL whose bytes all have the top bit set (no
// start-code emulation; first_mb_in_slice = 0, so each NAL starts a unit):
// a 5-byte id (7 bits a byte), then a filler that depends on i and the offset.
const unitSize = (i: number) => 1500 + ((i * 997) % 5000);
const filler = (i: number, j: number) => 0x80 | ((i * 31 + j * 7) & 0x7f);
function unit(i: number): Uint8Array {
	const n = unitSize(i);
	const u = new Uint8Array(n);
	u.set([0, 0, 0, 1, i % kGop === 0 ? 0x65 : 0x41]);
	for (let k = 0; k < 5; k++) u[5 + k] = 0x80 | ((i >>> (7 * (4 - k))) & 0x7f);
	for (let j = 10; j < n; j++) u[j] = filler(i, j);
	return u;
}

// Splits an Annex-B file at its 4-byte start codes; counts the units that
// are exactly some unit(i) and the ones that are not (torn).
function check(bytes: Uint8Array): { units: number; torn: number } {
	const starts: number[] = [];
	for (let p = 0; p + 3 < bytes.length; p++)
		if (bytes[p] === 0 && bytes[p + 1] === 0 && bytes[p + 2] === 0 && bytes[p + 3] === 1) starts.push(p);
	let units = 0, torn = 0;
	for (let s = 0; s < starts.length; s++) {
		const from = starts[s], to = s + 1 < starts.length ? starts[s + 1] : bytes.length;
		if (bytes[from + 4] === 0x09 && to - from === aud.length) continue;
		let i = 0;
		for (let k = 0; k < 5; k++) i = i * 128 + (bytes[from + 5 + k] & 0x7f);
		let ok = to - from === unitSize(i) && bytes[from + 4] === (i % kGop === 0 ? 0x65 : 0x41);
		for (let j = 10; ok && j < to - from; j++) ok = bytes[from + j] === filler(i, j);
		if (ok) units++;
		else torn++;
	}
	if (starts.length && starts[0] !== 0) torn++;
	return { units, torn };
}

test("a C writer laps a slow consumer: zero torn bytes out, every frame emitted or counted", async (t) => {
	makeDirectory("build/test-out");
	makeDirectory(dir);
	const clip = `${dir}/clip.h264`;
	const clipFile = new FileWriter(clip);
	for (let i = 0; i < kUnits; i++) clipFile.write(unit(i));
	clipFile.close();

	// ~64 frames of ring at 1000 frames/s: a consumer that sleeps 150 ms is lapped.
	const ring = new Ring({ arenaBytes: 256 * 1024 });
	const reader = new RingReader(ring, { at: "time", time: 0 });
	const capture = new Capture({ ring, video: clip, codec: "h264", fps: 1000 });
	const out = new FileWriter(`${dir}/out.h264`);
	const control = new FileWriter(`${dir}/unchecked.h264`);   // the same fragments, never checked
	let first = -1, emitted = 0, dropped = 0, droppedFragments = 0, fragments = 0;
	const emit = (frames: Frame[]) => {
		const chunks: Uint8Array[] = [aud, ...frames.map((f) => f.data)];
		control.write(chunks);
		const before = out.written;
		out.write(chunks);   // reversible: truncate undoes it
		if (intact(chunks)) {
			emitted += frames.length;
			fragments++;
		}
		else {
			out.truncate(before);
			dropped += frames.length;
			droppedFragments++;
		}
	};
	let gop: Frame[] = [], infoMismatches = 0;
	const take = () => {
		for (let f = reader.read(); f; f = reader.read()) {
			if (first < 0) first = f.seq;
			// Capture's info word (native/annexb/annexb.h IVXS_AU_INFO_*): key, VCL, one NAL unit, its nal_unit_type.
			const info = (f.key ? 1 : 0) | 4 | (1 << 8) | ((f.key ? 5 : 1) << 16);
			if (f.info !== info && infoMismatches++ < 3) t.log(`frame ${f.seq}: key ${f.key}, info 0x${f.info.toString(16)}`);
			if (f.key && gop.length) {
				emit(gop);
				gop = [];
			}
			gop.push(f);
		}
	};
	capture.start();
	const started = Date.now();
	for (let round = 0; Date.now() - started < 1500; round++) {
		take();
		await wait(round % 4 === 3 ? 150 : 2);   // now and then, hold the views far too long
	}
	capture.stop();
	take();
	if (gop.length) emit(gop);
	out.close();
	control.close();
	const pushed = ring.stats().framesPushed;
	capture.close();
	ring.close();

	const output = check(new Uint8Array(readFile(`${dir}/out.h264`)));
	const unchecked = check(new Uint8Array(readFile(`${dir}/unchecked.h264`)));
	t.log(`pushed ${pushed}: emitted ${emitted} in ${fragments} fragments, dropped ${dropped} in ${droppedFragments} torn fragments, lost ${reader.lost} overtaken, ${first} before the first read; the unchecked copy has ${unchecked.torn} torn units`);
	t.is(output.torn, 0, "no torn byte in the output");
	t.is(output.units, emitted);
	t.is(first + reader.lost + emitted + dropped, pushed, "output + counted losses = input");
	t.true(droppedFragments > 0, "the writer did overwrite held views");
	t.true(reader.lost > 0, "the writer did overtake the reader");
	t.true(fragments > 0);
	t.true(unchecked.torn > 0, "without the check, torn bytes would have gone out");
	t.is(infoMismatches, 0, "every frame carries capture's classification of its access unit");
});
