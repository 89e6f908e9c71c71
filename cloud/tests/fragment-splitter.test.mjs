// The cutting of a streamed segment into its fragments (LL-HLS parts): whatever the chunks the
// network delivers, the parts are the camera's fragments exactly; a box it cannot size stops it.
import test from "ava";
import { FragmentSplitter } from "../../build/node/cloud/src/media/fragment-splitter.js";
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
