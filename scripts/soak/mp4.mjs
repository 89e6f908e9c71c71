// What one stored fMP4 segment holds, read from its boxes: the first fragment's `mfhd` number
// (the camera writes the ring sequence of the segment's first frame there: modules/cs/segment-mux.ts)
// and how many samples its `trun`s carry (video and audio frames alike: one ring frame each).

/** { firstSequence, samples } of a segment's moof/mdat pairs; firstSequence undefined when none. */
export function fragmentsOf(bytes) {
	let firstSequence, samples = 0;
	for (const moof of boxes(bytes, 0, bytes.length, "moof")) {
		for (const mfhd of boxes(bytes, moof.start, moof.end, "mfhd")) firstSequence ??= bytes.readUInt32BE(mfhd.start + 4);
		for (const traf of boxes(bytes, moof.start, moof.end, "traf"))
			for (const trun of boxes(bytes, traf.start, traf.end, "trun")) samples += bytes.readUInt32BE(trun.start + 4);
	}
	return { firstSequence, samples };
}

/** The boxes of `type` between `from` and `to`: { start, end } of each one's payload. */
function* boxes(bytes, from, to, type) {
	for (let at = from; at + 8 <= to;) {
		let size = bytes.readUInt32BE(at), header = 8;
		if (size === 1) {
			size = Number(bytes.readBigUInt64BE(at + 8));
			header = 16;
		}
		if (size < header || at + size > to) return;
		if (bytes.toString("latin1", at + 4, at + 8) === type) yield { start: at + header, end: at + size };
		at += size;
	}
}
