// The cutting of a streamed segment into its fragments (LL-HLS parts): whatever the chunks the
// network delivers, the parts are the camera's fragments exactly; a box it cannot size stops it.
import test from "ava";
import { FragmentSplitter, maxBoxesPerPart } from "../../build/node/cloud/src/media/fragment-splitter.js";
import { packageStream } from "../../build/node/cloud/sim/packager.js";

const { segments } = packageStream({ seconds: 3 });

function split(bytes, sizes, maxPart = 1 << 20) {
	const parts = [];
	const splitter = new FragmentSplitter((part) => parts.push(Buffer.from(part)), maxPart);
	for (let at = 0, i = 0; at < bytes.length; i++) {
		const size = sizes(i);
		splitter.write(bytes.subarray(at, at + size));
		at += size;
	}
	return { parts, stopped: splitter.stopped };
}

test("any chunking of a segment gives its fragments, in order and byte for byte", (t) => {
	let seed = 7;
	const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
	for (const segment of segments) {
		const fragments = segment.fragments.map((f) => f.bytes);
		for (const sizes of [() => 1, () => 7, () => 1 << 16, () => 1 + Math.floor(random() * 3000)]) {
			const { parts, stopped } = split(segment.bytes, sizes);
			t.false(stopped);
			t.deepEqual(parts, fragments);
		}
	}
});

test("boxes before a moof go with its part; a 64-bit box size is read; size 0 or a part over the limit stops the cutting", (t) => {
	const fragment = segments[0].fragments[0].bytes;
	const styp = Buffer.from("0000001073747970697336660000000069736f36", "hex").subarray(0, 16);
	styp.writeUInt32BE(16, 0);
	t.deepEqual(split(Buffer.concat([styp, fragment]), () => 5).parts, [Buffer.concat([styp, fragment])]);
	// A free box with a 64-bit size (size field 1) between two fragments.
	const large = Buffer.alloc(24);
	large.writeUInt32BE(1, 0);
	large.write("free", 4, "latin1");
	large.writeBigUInt64BE(24n, 8);
	const second = segments[0].fragments[1].bytes;
	t.deepEqual(split(Buffer.concat([fragment, large, second]), () => 3).parts, [fragment, Buffer.concat([large, second])]);
	// An mdat "to the end of the file" (size 0): no part from there on.
	const open = Buffer.from(second);
	const mdatAt = open.indexOf("mdat") - 4;
	open.writeUInt32BE(0, mdatAt);
	const cut = split(Buffer.concat([fragment, open]), () => 100);
	t.deepEqual(cut.parts, [fragment]);
	t.true(cut.stopped);
	// A part over the limit (the key frame's fragment is the larger).
	t.true(fragment.length > second.length);
	const over = split(Buffer.concat([second, fragment]), () => 100, second.length);
	t.deepEqual(over.parts, [second]);
	t.true(over.stopped);
});

/** A top-level box of `size` bytes (zeros after its header). */
function box(type, size) {
	const bytes = Buffer.alloc(size);
	bytes.writeUInt32BE(size, 0);
	bytes.write(type, 4, "latin1");
	return bytes;
}

/** `bytes` in `size`-byte writes; the parts, whether it stopped, and the bytes Buffer.concat copied. */
function counted(bytes, size, maxPart) {
	const concat = Buffer.concat;
	let copied = 0;
	Buffer.concat = (list, total) => {
		const out = concat(list, total);
		copied += out.length;
		return out;
	};
	try {
		const parts = [];
		const splitter = new FragmentSplitter((part) => parts.push(part), maxPart);
		for (let at = 0; at < bytes.length; at += size) splitter.write(bytes.subarray(at, at + size));
		return { parts, stopped: splitter.stopped, copied };
	}
	finally {
		Buffer.concat = concat;
	}
}

test("linear: a 16 MiB part of 64 boxes in 4 KiB writes is copied once (the old cutting copied it again for every box: 32×), and costs about one copy of it", (t) => {
	const fragment = segments[0].fragments[0].bytes;
	const free = 256 * 1024;
	const body = Buffer.concat([...Array.from({ length: 62 }, () => box("free", free)), fragment]);
	t.true(body.length > 15.5 * 2 ** 20);
	const { parts, stopped, copied } = counted(body, 4096, 32 << 20);
	t.false(stopped);
	t.is(parts.length, 1);
	t.true(parts[0].equals(body));
	t.true(copied <= body.length, `${copied} bytes copied for a ${body.length}-byte part`);
	// Time, as a ratio to a linear baseline in the same run: one Buffer.concat of the same 4 KiB chunks.
	const chunks = [];
	for (let at = 0; at < body.length; at += 4096) chunks.push(body.subarray(at, at + 4096));
	const best = (run) => Math.min(...Array.from({ length: 3 }, () => {
		const started = performance.now();
		run();
		return performance.now() - started;
	}));
	const baseline = best(() => Buffer.concat(chunks));
	const cut = best(() => {
		const splitter = new FragmentSplitter(() => {}, 32 << 20);
		for (const chunk of chunks) splitter.write(chunk);
	});
	t.log(`16 MiB part of 64 boxes in 4 KiB writes: ${cut.toFixed(1)} ms; one concat of the chunks ${baseline.toFixed(1)} ms`);
	t.true(cut < 8 * baseline + 20, `${cut.toFixed(1)} ms to cut vs ${baseline.toFixed(1)} ms to copy once`);
});

test(`a part of more than ${maxBoxesPerPart} boxes stops the cutting: 16 MiB of 8-byte boxes in 4 KiB writes makes no part and copies nothing`, (t) => {
	const fragment = segments[0].fragments[0].bytes;
	const tiny = Buffer.concat([...Array.from({ length: 2 ** 21 }, () => box("free", 8)), fragment]);
	const hostile = counted(tiny, 4096, 32 << 20);
	t.true(hostile.stopped);
	t.deepEqual(hostile.parts, []);
	t.is(hostile.copied, 0);
	// At the bound a part is still cut: 62 boxes + moof + mdat.
	const full = Buffer.concat([...Array.from({ length: maxBoxesPerPart - 2 }, () => box("free", 8)), fragment]);
	const at = counted(Buffer.concat([full, full]), 100, 1 << 20);
	t.false(at.stopped);
	t.deepEqual(at.parts, [full, full]);
	const over = counted(Buffer.concat([box("free", 8), full]), 100, 1 << 20);
	t.true(over.stopped);
	t.deepEqual(over.parts, []);
});
