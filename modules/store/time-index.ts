/**
 * A stored segment's time index: ISO/IEC 14496-12's movie fragment random access box at the end
 * of the file (`mfra` = one `tfra` for the video track + `mfro` giving the mfra's size), so any
 * MP4 tool reads it too. Entries: each fragment's start (Unix ms: the store's segments are muxed
 * with time 0 at the Unix epoch) and the offset of its `moof`. A fragment starts at a key frame
 * (the muxer cuts per GOP), so every entry is a place playback can start or seek to.
 * The reader treats the bytes as untrusted (a card can hold anything): sizes and counts are
 * checked against what was read.
 */
import { VIDEO_TIMESCALE, VIDEO_TRACK_ID } from "../media/mp4-boxes.js";

export interface IndexEntry {
	/** Unix ms of the fragment's first frame. */
	timeMs: number;
	/** Byte offset of its moof in the file. */
	offset: number;
}

/** The mfro box at the very end of the file: its last 4 bytes are the mfra's size. */
export const MFRO_BYTES = 16;
const TFRA_ENTRY = 19;   // version 1: time u64, moof_offset u64, traf/trun/sample numbers u8 each
const TFRA_HEAD = 24;
const TICKS_PER_MS = VIDEO_TIMESCALE / 1000;

function type(view: DataView, at: number): string {
	return String.fromCharCode(view.getUint8(at), view.getUint8(at + 1), view.getUint8(at + 2), view.getUint8(at + 3));
}

function setType(view: DataView, at: number, name: string): void {
	for (let i = 0; i < 4; i++) view.setUint8(at + i, name.charCodeAt(i));
}

function setU64(view: DataView, at: number, value: number): void {
	view.setUint32(at, Math.floor(value / 2 ** 32));
	view.setUint32(at + 4, value % 2 ** 32);
}

function u64(view: DataView, at: number): number {
	return view.getUint32(at) * 2 ** 32 + view.getUint32(at + 4);
}

/** The bytes of the index of `count` fragments (what follows the last fragment in the file). */
export function indexBytes(count: number): number {
	return 8 + TFRA_HEAD + count * TFRA_ENTRY + MFRO_BYTES;
}

/** The mfra box for `entries` (oldest first). */
export function encodeIndex(entries: readonly IndexEntry[]): Uint8Array {
	const tfra = TFRA_HEAD + entries.length * TFRA_ENTRY;
	const size = indexBytes(entries.length);
	const bytes = new Uint8Array(size);
	const view = new DataView(bytes.buffer);
	view.setUint32(0, size);
	setType(view, 4, "mfra");
	view.setUint32(8, tfra);
	setType(view, 12, "tfra");
	view.setUint32(16, 0x01000000);   // version 1, flags 0
	view.setUint32(20, VIDEO_TRACK_ID);
	view.setUint32(24, 0);   // every number field 1 byte
	view.setUint32(28, entries.length);
	let at = 8 + TFRA_HEAD;
	for (const entry of entries) {
		setU64(view, at, Math.round(entry.timeMs * TICKS_PER_MS));
		setU64(view, at + 8, entry.offset);
		bytes[at + 16] = 1;
		bytes[at + 17] = 1;
		bytes[at + 18] = 1;
		at += TFRA_ENTRY;
	}
	view.setUint32(at, MFRO_BYTES);
	setType(view, at + 4, "mfro");
	view.setUint32(at + 8, 0);
	view.setUint32(at + 12, size);
	return bytes;
}

/** The mfra's size from the file's last MFRO_BYTES, or undefined when they are not an mfro. */
export function indexSize(tail: ArrayBuffer, fileBytes: number): number | undefined {
	if (tail.byteLength !== MFRO_BYTES) return undefined;
	const view = new DataView(tail);
	if (view.getUint32(0) !== MFRO_BYTES || type(view, 4) !== "mfro") return undefined;
	const size = view.getUint32(12);
	return size >= 8 + TFRA_HEAD + MFRO_BYTES && size <= fileBytes ? size : undefined;
}

/** The entries of an mfra box (as encodeIndex writes it), or undefined when it is not one. */
export function decodeIndex(mfra: ArrayBuffer, fileBytes: number): IndexEntry[] | undefined {
	const view = new DataView(mfra);
	if (mfra.byteLength < 8 + TFRA_HEAD + MFRO_BYTES || view.getUint32(0) !== mfra.byteLength || type(view, 4) !== "mfra") return undefined;
	const tfra = view.getUint32(8);
	if (type(view, 12) !== "tfra" || view.getUint32(16) !== 0x01000000 || view.getUint32(24) !== 0) return undefined;
	const count = view.getUint32(28);
	if (tfra !== TFRA_HEAD + count * TFRA_ENTRY || 8 + tfra + MFRO_BYTES !== mfra.byteLength) return undefined;
	const entries: IndexEntry[] = [];
	for (let i = 0, at = 8 + TFRA_HEAD; i < count; i++, at += TFRA_ENTRY) {
		const timeMs = u64(view, at) / TICKS_PER_MS, offset = u64(view, at + 8);
		if (offset >= fileBytes - mfra.byteLength || (entries.length && (offset <= entries[entries.length - 1].offset || timeMs < entries[entries.length - 1].timeMs))) return undefined;
		entries.push({ timeMs, offset });
	}
	return entries;
}
