// Validation of a media segment against its stream's init (PROTOCOL.md §3):
// optional styp, then moof + mdat pairs. Every traf names a track of the init
// and has a tfdt; every sample's bytes lie inside the mdat right after its
// moof; decode times of a track run forward without overlap; a segment of a
// stream with video starts with a video sync sample. The result gives each
// track's first and past-last decode time (in its timescale).
//
// The work is bounded by the bytes received: every sample is at least one
// byte of its mdat and no two truns may claim the same bytes, so a trun whose
// samples cannot fit in what is left of the mdat is refused before its samples
// are read, and a segment costs at most one sample visit per mdat byte (a
// hostile one can no longer make each trun walk the same mdat again).
import { walkBoxes, Mp4Error, type Box } from "./boxes.js";
import { Reader, type InitInfo, type TrackInfo } from "./init.js";

export interface TrackSpan {
	track: TrackInfo;
	/** Decode time of the first sample and just past the last one, in the track's timescale. */
	start: number;
	end: number;
	samples: number;
}

/** Counts the validator's work (tests check it against the input's size). */
export interface WorkMeter {
	samples: number;
}

/** The media bytes a moof's truns claimed so far: their total, and where each trun's run starts and ends. */
interface Claims {
	bytes: number;
	starts: number[];
	ends: number[];
}

/** One sample as the segment's `trun`s describe it (times in the track's timescale). */
export interface Sample {
	track: TrackInfo;
	/** Decode time, and presentation time minus decode time. */
	dts: number;
	cto: number;
	offset: number;
	size: number;
	sync: boolean;
}

export interface SegmentInfo {
	fragments: number;
	/** Per track id, in first-seen order. */
	tracks: Map<number, TrackSpan>;
}

// Boxes a segment may carry besides moof + mdat; they are kept as sent.
const passive = new Set(["styp", "sidx", "prft", "emsg", "free", "skip"]);
const NON_SYNC = 0x00010000;
const TFHD_BASE_OFFSET = 0x1, TFHD_DESCRIPTION = 0x2, TFHD_DURATION = 0x8, TFHD_SIZE = 0x10, TFHD_FLAGS = 0x20, TFHD_EMPTY = 0x10000;
const TRUN_OFFSET = 0x1, TRUN_FIRST_FLAGS = 0x4, TRUN_DURATION = 0x100, TRUN_SIZE = 0x200, TRUN_FLAGS = 0x400, TRUN_CTS = 0x800;

/**
 * Checks a segment against its init (PROTOCOL §3.2); `onSample` sees every sample, in order, once it
 * is checked. With `part`, `buf` is a part of a segment (an LL-HLS part): it need not start at a key frame.
 */
export function parseSegment(buf: Uint8Array, init: InitInfo, meter: WorkMeter = { samples: 0 }, onSample?: (sample: Sample) => void, { part = false } = {}): SegmentInfo {
	const r = new Reader(buf);
	// Boxes are walked, never collected: a segment of millions of tiny boxes costs no memory.
	const top = walkBoxes(buf);
	const tracks = new Map<number, TrackSpan>();
	let fragments = 0, lastSequence = -1, first = true;
	for (let next = top.next(); !next.done; next = top.next(), first = false) {
		const box = next.value;
		if (box.type === "styp" && !first) throw new Mp4Error("'styp' must be the segment's first box");
		if (passive.has(box.type)) continue;
		if (box.type === "mdat") throw new Mp4Error(`'mdat' at byte ${box.start} without a 'moof' before it`);
		if (box.type !== "moof") throw new Mp4Error(`unexpected '${box.type}' box at byte ${box.start} (a segment holds moof + mdat pairs)`);
		const mdat = top.next().value;
		if (mdat?.type !== "mdat") throw new Mp4Error(`'moof' at byte ${box.start} is not followed by its 'mdat'`);
		const mfhd = r.must(box, "mfhd");
		const sequence = r.u32(mfhd, mfhd.body + 4, "sequence_number");
		if (sequence <= lastSequence) throw new Mp4Error(`mfhd sequence numbers must increase (${sequence} after ${lastSequence})`);
		lastSequence = sequence;
		let dataEnd = box.start; // where an implicit base offset continues (ISO 14496-12 8.8.7.1)
		const claims: Claims = { bytes: 0, starts: [], ends: [] };
		let trafs = 0;
		for (const traf of walkBoxes(buf, box.body, box.end))
			if (traf.type === "traf") dataEnd = parseTraf(r, traf, box, mdat, init, tracks, dataEnd, trafs++ === 0, claims, meter, part, onSample);
		if (!trafs) throw new Mp4Error(`'moof' at byte ${box.start} has no 'traf'`);
		checkDisjoint(claims);
		fragments++;
	}
	if (!fragments) throw new Mp4Error("segment has no 'moof' + 'mdat'");
	if (init.video && !tracks.has(init.video.id)) throw new Mp4Error("segment of a stream with video carries no video sample");
	return { fragments, tracks };
}

function parseTraf(r: Reader, traf: Box, moof: Box, mdat: Box, init: InitInfo, tracks: Map<number, TrackSpan>, previousDataEnd: number, firstTraf: boolean, claims: Claims, meter: WorkMeter, part: boolean, onSample?: (sample: Sample) => void): number {
	// The traf's children are walked for its headers (up to where both are), then for its truns
	// (every header checked), and never collected.
	let tfhd: Box | undefined, tfdt: Box | undefined;
	for (const b of walkBoxes(r.buf, traf.body, traf.end)) {
		if (b.type === "tfhd") tfhd ??= b;
		else if (b.type === "tfdt") tfdt ??= b;
		if (tfhd && tfdt) break;
	}
	if (!tfhd) throw new Mp4Error(`'traf' at byte ${traf.start} has no 'tfhd'`);
	const tfhdFlags = r.flags(tfhd);
	const id = r.u32(tfhd, tfhd.body + 4, "track_ID");
	const track = init.tracks.get(id);
	if (!track) throw new Mp4Error(`'traf' names track ${id}, which the init does not have`);
	if (tfhdFlags & TFHD_BASE_OFFSET) throw new Mp4Error(`track ${id}: tfhd base-data-offset is not allowed (use default-base-is-moof)`);
	if (tfhdFlags & TFHD_EMPTY) throw new Mp4Error(`track ${id}: tfhd duration-is-empty is not allowed`);
	let at = tfhd.body + 8;
	if (tfhdFlags & TFHD_DESCRIPTION) {
		if (r.u32(tfhd, at, "sample_description_index") !== 1) throw new Mp4Error(`track ${id}: sample_description_index must be 1`);
		at += 4;
	}
	let defaultDuration = track.defaultDuration, defaultSize = track.defaultSize, defaultFlags = track.defaultFlags;
	if (tfhdFlags & TFHD_DURATION) defaultDuration = r.u32(tfhd, at, "default_sample_duration"), at += 4;
	if (tfhdFlags & TFHD_SIZE) defaultSize = r.u32(tfhd, at, "default_sample_size"), at += 4;
	if (tfhdFlags & TFHD_FLAGS) defaultFlags = r.u32(tfhd, at, "default_sample_flags"), at += 4;
	const base = tfhdFlags & 0x20000 || firstTraf ? moof.start : previousDataEnd;
	if (!tfdt) throw new Mp4Error(`track ${id}: 'traf' without 'tfdt' (a decode time is required)`);
	let time = r.version(tfdt) === 1 ? r.u64(tfdt, tfdt.body + 4, "baseMediaDecodeTime") : r.u32(tfdt, tfdt.body + 4, "baseMediaDecodeTime");
	let span = tracks.get(id);
	if (span && time < span.end) throw new Mp4Error(`track ${id}: decode time ${time} goes back before ${span.end} (fragments overlap)`);
	const startTime = time;
	let samples = 0;
	let dataAt = base;
	let dataEnd = base;
	for (const trun of walkBoxes(r.buf, traf.body, traf.end)) {
		if (trun.type !== "trun") continue;
		const flags = r.flags(trun);
		const count = r.u32(trun, trun.body + 4, "sample_count");
		// Each sample takes at least one byte the moof's other truns have not claimed.
		if (count > mdat.end - mdat.body - claims.bytes)
			throw new Mp4Error(`track ${id}: trun of ${count} samples does not fit in the ${mdat.end - mdat.body - claims.bytes} bytes of its 'mdat' left unclaimed`);
		let p = trun.body + 8;
		if (flags & TRUN_OFFSET) {
			dataAt = base + (r.view.getInt32((r.need(trun, p, 4, "data_offset"), p)));
			p += 4;
		}
		let firstFlags: number | undefined;
		if (flags & TRUN_FIRST_FLAGS) firstFlags = r.u32(trun, p, "first_sample_flags"), p += 4;
		const perSample = 4 * ((flags & TRUN_DURATION ? 1 : 0) + (flags & TRUN_SIZE ? 1 : 0) + (flags & TRUN_FLAGS ? 1 : 0) + (flags & TRUN_CTS ? 1 : 0));
		r.need(trun, p, count * perSample, `${count} sample records`);
		const from = dataAt;
		for (let s = 0; s < count; s++) {
			meter.samples++;
			const duration = flags & TRUN_DURATION ? r.view.getUint32((p += 4) - 4) : defaultDuration;
			const size = flags & TRUN_SIZE ? r.view.getUint32((p += 4) - 4) : defaultSize;
			let sampleFlags = flags & TRUN_FLAGS ? r.view.getUint32((p += 4) - 4) : defaultFlags;
			if (s === 0 && firstFlags !== undefined) sampleFlags = firstFlags;
			// Version 1: a signed offset (ISO 14496-12 8.8.8); version 0: unsigned.
			const cto = flags & TRUN_CTS ? (r.version(trun) === 1 ? r.view.getInt32((p += 4) - 4) : r.view.getUint32((p += 4) - 4)) : 0;
			if (size === 0) throw new Mp4Error(`track ${id}: sample ${samples} has size 0`);
			if (dataAt < mdat.body || dataAt + size > mdat.end)
				throw new Mp4Error(`track ${id}: sample ${samples} (${size} bytes at byte ${dataAt}) lies outside its 'mdat' (bytes ${mdat.body}..${mdat.end})`);
			if (track.kind === "video" && !part && !span && samples === 0 && sampleFlags & NON_SYNC)
				throw new Mp4Error("the segment's first video sample is not a sync sample (a segment starts at a key frame)");
			dataAt += size;
			claims.bytes += size;
			if (claims.bytes > mdat.end - mdat.body) throw new Mp4Error(`track ${id}: the samples of its 'moof' claim more bytes than its 'mdat' has (data ranges overlap)`);
			onSample?.({ track, dts: time, cto, offset: dataAt - size, size, sync: !(sampleFlags & NON_SYNC) });
			time += duration;
			samples++;
		}
		if (count) claims.starts.push(from), claims.ends.push(dataAt);
		dataEnd = Math.max(dataEnd, dataAt);
	}
	if (!samples) throw new Mp4Error(`track ${id}: 'traf' without samples`);
	if (!span) tracks.set(id, span = { track, start: startTime, end: time, samples });
	else span.end = time, span.samples += samples;
	return dataEnd;
}

/**
 * Refuses truns whose sample data overlap: each media byte belongs to one sample. Runs that do
 * not overlap are ordered alike by start and by end, so the two can be sorted apart (plain
 * numbers, no pair objects) and each start checked against the end before it.
 */
function checkDisjoint(claims: Claims): void {
	const starts = Float64Array.from(claims.starts).sort(), ends = Float64Array.from(claims.ends).sort();
	for (let i = 1; i < starts.length; i++)
		if (starts[i] < ends[i - 1]) throw new Mp4Error(`the sample data of two truns overlap (a run starts at byte ${starts[i]}, before another ends at ${ends[i - 1]}): each media byte belongs to one sample`);
}
