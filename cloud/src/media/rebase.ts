// Moves fragments in time without touching their media: a clip cut from a
// recording starts at decode time 0 and numbers its fragments from 1, so a
// <video> element plays it from the start. Only copies of the `moof` boxes are
// rewritten (mfhd sequence number, tfdt base decode time); the `mdat` payload is
// passed through as it was stored. Boxes are walked with media/boxes.ts.
import { child, children, Mp4Error, readBoxes, walkBoxes } from "./boxes.js";
import { parseInit } from "./init.js";

/** track_ID → timescale (mdhd), from an init segment (ftyp + moov), as media/init.ts reads it. */
export function trackTimescales(init: Uint8Array): Map<number, number> {
	return new Map([...parseInit(init).tracks].map(([id, track]) => [id, track.timescale]));
}

interface TrafFields {
	track: number;
	/** Offset of the tfdt's decode time field and its width. */
	tfdtAt: number;
	wide: boolean;
	decodeTime: bigint;
}

export function trafsOf(moof: Uint8Array): { mfhdAt: number; trafs: TrafFields[] } {
	const [box] = readBoxes(moof);
	if (!box || box.type !== "moof" || box.end !== moof.length) throw new Mp4Error("not one moof box");
	const view = new DataView(moof.buffer, moof.byteOffset, moof.byteLength);
	const mfhd = child(moof, box, "mfhd");
	if (!mfhd || mfhd.end - mfhd.body < 8) throw new Mp4Error("moof without mfhd");
	const trafs: TrafFields[] = [];
	for (const traf of children(moof, box, "traf")) {
		const tfhd = child(moof, traf, "tfhd"), tfdt = child(moof, traf, "tfdt");
		if (!tfhd || tfhd.end - tfhd.body < 8) throw new Mp4Error("traf without tfhd");
		if (!tfdt) throw new Mp4Error("traf without tfdt: its decode time is unknown");
		// An absolute base_data_offset points into the original file; a moved fragment would read the wrong bytes.
		if (view.getUint32(tfhd.body) & 0x000001) throw new Mp4Error("fragment uses an absolute base_data_offset and cannot be moved");
		const wide = moof[tfdt.body] === 1;
		if (tfdt.end - tfdt.body < (wide ? 12 : 8)) throw new Mp4Error("tfdt too short");
		const tfdtAt = tfdt.body + 4;
		trafs.push({ track: view.getUint32(tfhd.body + 4), tfdtAt, wide, decodeTime: wide ? view.getBigUint64(tfdtAt) : BigInt(view.getUint32(tfdtAt)) });
	}
	if (!trafs.length) throw new Mp4Error("moof without traf");
	return { mfhdAt: mfhd.body + 4, trafs };
}

/** The decode time of a fragment in seconds: the earliest of its tracks. */
export function fragmentStartS(moof: Uint8Array, scales: Map<number, number>): number {
	let earliest = Infinity;
	for (const traf of trafsOf(moof).trafs) {
		const scale = scales.get(traf.track);
		if (!scale) throw new Mp4Error(`fragment names track ${traf.track}, which the init segment does not have`);
		earliest = Math.min(earliest, Number(traf.decodeTime) / scale);
	}
	return earliest;
}

/**
 * Per-track shift that moves `startS` (seconds of decode time) to 0 in every
 * track at once, so audio and video keep their relative timing.
 */
export function shiftTo0(startS: number, scales: Map<number, number>): Map<number, bigint> {
	const shift = new Map<number, bigint>();
	for (const [track, scale] of scales) shift.set(track, BigInt(Math.floor(startS * scale)));
	return shift;
}

/**
 * A rewritten copy of `moof`: sequence number `sequence` (undefined: kept), each
 * track's decode time less its shift (never below 0: a track that starts a
 * rounding tick before the others is clamped, not wrapped). The input is not modified.
 */
export function rebaseMoof(moof: Uint8Array, sequence: number | undefined, shift: Map<number, bigint>): Buffer {
	const { mfhdAt, trafs } = trafsOf(moof);
	const copy = Buffer.from(moof);
	if (sequence !== undefined) copy.writeUInt32BE(sequence >>> 0, mfhdAt);
	for (const traf of trafs) {
		const by = shift.get(traf.track);
		if (by === undefined) throw new Mp4Error(`fragment names track ${traf.track}, which the init segment does not have`);
		const time = traf.decodeTime > by ? traf.decodeTime - by : 0n;
		if (traf.wide) copy.writeBigUInt64BE(time, traf.tfdtAt);
		else copy.writeUInt32BE(Number(time), traf.tfdtAt); // callers moving forward check it fits (media/time-shift.ts)
	}
	return copy;
}

/** The `moof`/`mdat` pairs of a segment (other top-level boxes — styp, sidx, prft — are left out). */
export function fragmentsOf(segment: Uint8Array): { moof: Uint8Array; mdat: Uint8Array }[] {
	const boxes = walkBoxes(segment); // walked, not collected: a segment may hold millions of tiny boxes
	const pairs: { moof: Uint8Array; mdat: Uint8Array }[] = [];
	for (let box = boxes.next(); !box.done; box = boxes.next()) {
		const moof = box.value;
		if (moof.type !== "moof") continue;
		const next = boxes.next().value;
		// trun data offsets count from the moof's start: its mdat must follow it directly.
		if (!next || next.type !== "mdat") throw new Mp4Error(`moof at byte ${moof.start} is not followed by its mdat`);
		pairs.push({ moof: segment.subarray(moof.start, moof.end), mdat: segment.subarray(next.start, next.end) });
	}
	if (!pairs.length) throw new Mp4Error("segment holds no moof + mdat");
	return pairs;
}
