// ISO BMFF box walking: the one place that reads box headers (size, type,
// 64-bit largesize), bounds-checked against the buffer. Everything that
// validates, indexes or rewrites MP4 in the cloud walks boxes through this.
export class Mp4Error extends Error {
	override name = "Mp4Error";
}

export interface Box {
	type: string;
	/** Offset of the box header in the buffer. */
	start: number;
	/** Offset of the payload (after size, type and any largesize). */
	body: number;
	/** Offset just past the box. */
	end: number;
}

// Box types by their 32-bit code: a segment can hold millions of boxes, and
// most are of a handful of types (one string each instead of one per box).
const types = new Map<number, string>();

function typeAt(view: DataView, at: number): string {
	const code = view.getUint32(at);
	let type = types.get(code);
	if (type === undefined) {
		for (let i = 0; i < 4; i++) {
			const c = view.getUint8(at + i);
			if (c < 0x20 || c > 0x7e) throw new Mp4Error(`box at byte ${at - 4} has a non-printable type`);
		}
		type = String.fromCharCode(code >>> 24, (code >>> 16) & 0xff, (code >>> 8) & 0xff, code & 0xff);
		// Printable codes are at most 95^4; keep the table small all the same.
		if (types.size < 4096) types.set(code, type);
	}
	return type;
}

/**
 * The boxes laid end to end in buf[start, end), one at a time: a container of millions of tiny
 * boxes costs no memory to walk. Throws Mp4Error on a header that does not fit. (A plain
 * iterator: a generator costs some 20 times more per box.)
 */
export function walkBoxes(buf: Uint8Array, start = 0, end = buf.length): BoxWalk {
	return new BoxWalk(buf, start, end);
}

export class BoxWalk implements IterableIterator<Box> {
	readonly #view: DataView;
	readonly #end: number;
	#at: number;

	constructor(buf: Uint8Array, start: number, end: number) {
		this.#view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
		this.#at = start;
		this.#end = end;
	}

	[Symbol.iterator](): this {
		return this;
	}

	next(): IteratorResult<Box, undefined> {
		const view = this.#view, end = this.#end, at = this.#at;
		if (at >= end) return { done: true, value: undefined };
		if (end - at < 8) throw new Mp4Error(`truncated box header at byte ${at}`);
		let size = view.getUint32(at);
		const type = typeAt(view, at + 4);
		let body = at + 8;
		if (size === 1) {
			if (end - at < 16) throw new Mp4Error(`truncated largesize of '${type}' at byte ${at}`);
			const large = view.getBigUint64(at + 8);
			if (large > BigInt(end - at)) throw new Mp4Error(`box '${type}' at byte ${at} runs past its container (${large} bytes)`);
			size = Number(large);
			body = at + 16;
		}
		else if (size === 0) size = end - at; // to the end of the container
		if (size < body - at) throw new Mp4Error(`box '${type}' at byte ${at} is smaller than its header`);
		if (size > end - at) throw new Mp4Error(`box '${type}' at byte ${at} runs past its container (${size} bytes, ${end - at} left)`);
		this.#at = at + size;
		return { done: false, value: { type, start: at, body, end: at + size } };
	}
}

/** The boxes laid end to end in buf[start, end), as an array (for containers of known, small size). */
export function readBoxes(buf: Uint8Array, start = 0, end = buf.length): Box[] {
	return [...walkBoxes(buf, start, end)];
}

/**
 * The first child of `box` with `type`, or undefined. `skip` = bytes of full-box or other fields
 * before the children. Every child's header is checked; only the match is kept.
 */
export function child(buf: Uint8Array, box: Box, type: string, skip = 0): Box | undefined {
	let found: Box | undefined;
	for (const b of walkBoxes(buf, box.body + skip, box.end)) if (!found && b.type === type) found = b;
	return found;
}

export function children(buf: Uint8Array, box: Box, type: string, skip = 0): Box[] {
	const found: Box[] = [];
	for (const b of walkBoxes(buf, box.body + skip, box.end)) if (b.type === type) found.push(b);
	return found;
}
