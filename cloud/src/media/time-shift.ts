// Moves every fragment of a stored segment in decode time, in place of size:
// a recording file starts at time 0 (a file assembled from the middle of a
// stream would otherwise start hours in and report its end as its duration),
// and the segments repointed into it read as they were uploaded again. Only
// each moof's tfdt changes (sequence numbers, other boxes and the media are
// copied as they are), so `shiftSegment(shiftSegment(s, d), −d)` is `s` byte
// for byte. A move that would take a decode time below 0 is refused.
import { Mp4Error, walkBoxes } from "./boxes.js";
import { rebaseMoof, trafsOf } from "./rebase.js";

/** Per-track ticks, as stored with the segment (JSON: track_ID → ticks). */
export type TrackShift = Map<number, bigint>;

export const shiftText = (shift: TrackShift): string => JSON.stringify(Object.fromEntries([...shift].map(([track, by]) => [track, by.toString()])));

export function shiftOfText(text: string): TrackShift {
	const shift: TrackShift = new Map();
	for (const [track, by] of Object.entries(JSON.parse(text) as Record<string, string>)) shift.set(Number(track), BigInt(by));
	return shift;
}

export const negated = (shift: TrackShift): TrackShift => new Map([...shift].map(([track, by]) => [track, -by]));

/** A copy of `segment` with each track's decode times less its shift (a negative shift moves forward). */
export function shiftSegment(segment: Uint8Array, shift: TrackShift): Buffer {
	const out = Buffer.from(segment);
	for (const box of walkBoxes(segment)) {
		if (box.type !== "moof") continue;
		const moof = segment.subarray(box.start, box.end);
		const { trafs } = trafsOf(moof);
		for (const traf of trafs) {
			const by = shift.get(traf.track);
			if (by === undefined) throw new Mp4Error(`fragment names track ${traf.track}, which the shift does not`);
			const moved = traf.decodeTime - by;
			if (moved < 0n || (!traf.wide && moved > 0xffffffffn)) throw new Mp4Error(`track ${traf.track}: decode time ${traf.decodeTime} cannot move by ${by}`);
		}
		out.set(rebaseMoof(moof, undefined, shift), box.start);
	}
	return out;
}
