// Hostile fMP4 segments for the validator's work bound (cloud/src/media/segment.ts):
// many truns pointing at the same mdat bytes, and random structures of moof,
// traf and trun with counts, offsets and defaults chosen to cost the most.

/** An ISO BMFF box of `type` around `parts`. */
export function box(type, ...parts) {
	const body = Buffer.concat(parts);
	const header = Buffer.alloc(8);
	header.writeUInt32BE(8 + body.length);
	header.write(type, 4, "latin1");
	return Buffer.concat([header, body]);
}

const u32 = (...values) => {
	const b = Buffer.alloc(4 * values.length);
	values.forEach((v, i) => b.writeUInt32BE(v >>> 0, 4 * i));
	return b;
};

// tfhd default-base-is-moof + default size + default flags; trun data-offset only (the samples take the defaults).
const TFHD = 0x020000 | 0x10 | 0x20, TRUN_OFFSET = 0x1;

/** One fragment (moof + mdat) whose trafs are built by `trafsOf(mdatBodyAt)` (offsets count from the moof). */
function fragment(mdatBytes, sequence, trafsOf) {
	const build = (moofSize) => box("moof", box("mfhd", u32(0, sequence)), ...trafsOf(moofSize + 8));
	return Buffer.concat([build(build(0).length), box("mdat", Buffer.alloc(mdatBytes))]);
}

/**
 * A segment of about `bytes` for `track`: one moof whose truns each claim the
 * whole mdat again (samples of one byte, sync). Before the bound, its cost was
 * truns × mdat bytes.
 */
export function sameBytesSegment(bytes, track) {
	const truns = Math.floor((bytes - 200) / 2 / 20), mdatBytes = bytes - 200 - truns * 20;
	return fragment(mdatBytes, 1, (dataAt) => [box("traf", box("tfhd", u32(TFHD, track, 1, 0)), box("tfdt", u32(0, 0)),
		Buffer.concat(Array(truns).fill(box("trun", u32(TRUN_OFFSET, mdatBytes, dataAt)))))]);
}

const TRUN_FLAGS = [0x1, 0x4, 0x100, 0x200, 0x400, 0x800];

/**
 * A random hostile segment from `random()` (0..1) for tracks `ids`: counts,
 * offsets and sizes that overlap, overflow or fit. A fragment in "fit" mode
 * hands each trun its own run of one-byte samples (the costliest valid shape);
 * in "echo" mode every trun of a traf claims the same bytes again.
 */
export function randomSegment(random, ids) {
	const pick = (list) => list[Math.floor(random() * list.length)];
	const int = (n) => Math.floor(random() * n);
	const parts = [];
	let time = 0;
	for (let m = 1 + int(2), sequence = 1; m > 0; m--, sequence++) {
		const mdatBytes = pick([0, 1, 7, 64, 1000, 5000, 20000]);
		const mode = pick(["fit", "echo", "random", "random"]);
		parts.push(fragment(mdatBytes, sequence, (dataAt) => {
			let cursor = 0;
			return (mode === "fit" ? ids : Array.from({ length: pick([1, 1, 1, 2, 3]) }, () => (random() < 0.9 ? pick(ids) : 7))).map((id) => {
				const simple = mode !== "random";
				const tfhdFlags = simple ? TFHD : (random() < 0.8 ? 0x020000 : 0) | (random() < 0.8 ? 0x10 : 0) | (random() < 0.8 ? 0x20 : 0);
				const size = simple ? 1 : pick([0, 1, 1, 1, 2, 100]);
				const tfhd = box("tfhd", u32(tfhdFlags, id, ...(tfhdFlags & 0x10 ? [size] : []), ...(tfhdFlags & 0x20 ? [0] : [])));
				const tfdt = box("tfdt", u32(0, (time += int(3) * 1000)));
				// Half the hostile trafs repeat one trun: the same samples claimed again and again.
				let repeated;
				if (mode === "echo") repeated = box("trun", u32(TRUN_OFFSET, pick([mdatBytes, mdatBytes >> 1, mdatBytes + 1]), dataAt + pick([0, 0, 1, mdatBytes >> 1])));
				const truns = Array.from({ length: mode === "fit" ? 1 + int(20) : pick([0, 1, 1, 1, 2, 50, 500]) }, () => {
					if (repeated) return repeated;
					if (mode === "fit") {
						const count = 1 + int((mdatBytes - cursor) / 4);
						cursor += count;
						return box("trun", u32(TRUN_OFFSET, count, dataAt + cursor - count));
					}
					const flags = TRUN_FLAGS.filter((f) => random() < (f === TRUN_OFFSET ? 0.7 : 0.2)).reduce((a, b) => a | b, 0);
					const count = pick([0, 1, 2, mdatBytes, mdatBytes, mdatBytes, mdatBytes >> 1, mdatBytes + 1, 1 << 20, 0xffffffff, int(mdatBytes + 1)]);
					const perSample = [0x100, 0x200, 0x400, 0x800].filter((f) => flags & f).length;
					const records = Array.from({ length: Math.min(count, 64) * perSample }, () => pick([0, 1, 1, 2, 3, 1000]));
					const trun = box("trun", u32(flags, count, ...(flags & 0x1 ? [dataAt + pick([0, 0, 0, 1, mdatBytes >> 1, int(mdatBytes + 1), -8])] : []), ...(flags & 0x4 ? [0] : []), ...records));
					if (random() < 0.5) repeated = trun;
					return trun;
				});
				return box("traf", tfhd, tfdt, ...truns);
			});
		}));
	}
	return Buffer.concat(parts);
}
