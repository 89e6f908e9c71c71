/**
 * Byte helpers that XS lacks (no TextEncoder/TextDecoder there): UTF-8 both ways, ASCII for
 * protocol text, hex. Strings become bytes in one pass (protocol/ascii.ts's stringBytes: indexing
 * an XS string by character is a scan from its start); payload bytes never pass through here.
 */
import { stringBytes } from "../protocol/ascii.js";

/** A scatter list: views that go to the socket in order, never joined into one buffer. */
export type Chunks = readonly Uint8Array[];

// Where strings are walked (a lone surrogate's replacement), it is by code point: XS keeps strings
// as UTF-8 and indexes them by code point ("😀".length is 1 there), where Node has UTF-16 surrogate
// pairs (a code point past U+FFFF takes two indexes). Neither for…of nor `text.charCodeAt(i)`: on
// XS the iterator makes objects and a string per character, and every property read of a primitive
// string (`text.length` too) makes a wrapper object — garbage the collector pays for (bench
// board_memory). The prototype's functions are called with the string instead.
const codePointAt = String.prototype.codePointAt, charCodeAt = String.prototype.charCodeAt;
const WIDE = "\u{1F600}".length === 2 ? 2 : 1;   // indexes a code point past U+FFFF takes

/** Whether stringBytes' bytes are not UTF-8 as written: XS keeps U+0000 as 0xC0 0x80 (its strings
 * end with a NUL) and a lone surrogate in its 3-byte form (0xED 0xA0–0xBF …), which UTF-8 writes as
 * 0x00 and replaces with U+FFFD. */
function needsRewrite(bytes: Uint8Array): boolean {
	if (bytes.indexOf(0xc0) >= 0) return true;   // (never in UTF-8)
	for (let i = bytes.indexOf(0xed); i >= 0 && i + 1 < bytes.length; i = bytes.indexOf(0xed, i + 1))
		if (bytes[i + 1] >= 0xa0) return true;
	return false;
}

export function utf8Length(text: string): number {
	const n = text.length;
	let length = 0;
	for (let i = 0; i < n;) {
		const c = codePointAt.call(text, i)!;
		length += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
		i += c > 0xffff ? WIDE : 1;
	}
	return length;
}

/** Writes text as UTF-8 at `offset` (lone surrogates become U+FFFD); returns the end offset. */
export function utf8Write(text: string, into: Uint8Array, offset: number): number {
	const n = text.length;
	let o = offset;
	for (let i = 0; i < n;) {
		let c = codePointAt.call(text, i)!;
		i += c > 0xffff ? WIDE : 1;
		if (c < 0x80) into[o++] = c;
		else if (c < 0x800) {
			into[o++] = 0xc0 | (c >> 6);
			into[o++] = 0x80 | (c & 0x3f);
		}
		else if (c < 0x10000) {
			if (c >= 0xd800 && c < 0xe000) c = 0xfffd;
			into[o++] = 0xe0 | (c >> 12);
			into[o++] = 0x80 | ((c >> 6) & 0x3f);
			into[o++] = 0x80 | (c & 0x3f);
		}
		else {
			into[o++] = 0xf0 | (c >> 18);
			into[o++] = 0x80 | ((c >> 12) & 0x3f);
			into[o++] = 0x80 | ((c >> 6) & 0x3f);
			into[o++] = 0x80 | (c & 0x3f);
		}
	}
	return o;
}

/** Text as UTF-8 (lone surrogates become U+FFFD). */
export function utf8Encode(text: string): Uint8Array {
	const bytes = stringBytes(text);
	if (!needsRewrite(bytes)) return bytes;
	const replaced = new Uint8Array(utf8Length(text));
	utf8Write(text, replaced, 0);
	return replaced;
}

/** XS's String.fromArrayBuffer(buffer, offset, length): UTF-8 bytes as a string in one copy, in C.
 * It checks only the sequences' shape (overlong forms, surrogates and code points past U+10FFFF
 * pass; the Linux host's XS, older than the board's, ends the string at a NUL byte), so it is given only bytes
 * inC() passed; absent under Node. */
const fromArrayBuffer = (String as unknown as { fromArrayBuffer?: (buffer: ArrayBufferLike, offset: number, length: number) => string }).fromArrayBuffer;

/** Whether `bytes` are well-formed UTF-8 (RFC 3629 §4: no overlong form, surrogate or code point
 * past U+10FFFF) without a NUL — what fromArrayBuffer decodes as utf8Decode would. */
function inC(bytes: Uint8Array): boolean {
	const n = bytes.length;
	for (let i = 0; i < n;) {
		const b = bytes[i];
		if (b < 0x80) {
			if (!b) return false;
			i++;
			continue;
		}
		let more: number, low = 0x80, high = 0xbf;
		if (b >= 0xc2 && b <= 0xdf) more = 1;
		else if (b >= 0xe0 && b <= 0xef) {
			more = 2;
			if (b === 0xe0) low = 0xa0;
			else if (b === 0xed) high = 0x9f;
		}
		else if (b >= 0xf0 && b <= 0xf4) {
			more = 3;
			if (b === 0xf0) low = 0x90;
			else if (b === 0xf4) high = 0x8f;
		}
		else return false;
		if (i + more >= n) return false;   // (cut short)
		const second = bytes[i + 1];
		if (second < low || second > high) return false;
		for (let k = 2; k <= more; k++) if ((bytes[i + k] & 0xc0) !== 0x80) return false;
		i += more + 1;
	}
	return true;
}

/** Decodes UTF-8; malformed sequences become U+FFFD (never throws: it decodes what peers send).
 * On XS well-formed bytes become the string in C: decoding them here made an array entry per byte
 * (a WebRTC offer's SDP: tens of KB of garbage). */
export function utf8Decode(bytes: Uint8Array): string {
	if (fromArrayBuffer && inC(bytes)) return fromArrayBuffer(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	let text = "";
	let run: number[] = [];
	const flush = () => {
		text += String.fromCodePoint.apply(null, run);
		run = [];
	};
	for (let i = 0; i < bytes.length;) {
		const b = bytes[i];
		let c = 0xfffd, n = 1;
		if (b < 0x80) c = b;
		else if ((b & 0xe0) === 0xc0 && i + 1 < bytes.length && (bytes[i + 1] & 0xc0) === 0x80) {
			c = ((b & 0x1f) << 6) | (bytes[i + 1] & 0x3f);
			n = 2;
			if (c < 0x80) c = 0xfffd;
		}
		else if ((b & 0xf0) === 0xe0 && i + 2 < bytes.length && (bytes[i + 1] & 0xc0) === 0x80 && (bytes[i + 2] & 0xc0) === 0x80) {
			c = ((b & 0x0f) << 12) | ((bytes[i + 1] & 0x3f) << 6) | (bytes[i + 2] & 0x3f);
			n = 3;
			if (c < 0x800 || (c >= 0xd800 && c < 0xe000)) c = 0xfffd;
		}
		else if ((b & 0xf8) === 0xf0 && i + 3 < bytes.length && (bytes[i + 1] & 0xc0) === 0x80 && (bytes[i + 2] & 0xc0) === 0x80 && (bytes[i + 3] & 0xc0) === 0x80) {
			c = ((b & 0x07) << 18) | ((bytes[i + 1] & 0x3f) << 12) | ((bytes[i + 2] & 0x3f) << 6) | (bytes[i + 3] & 0x3f);
			n = 4;
			if (c < 0x10000 || c > 0x10ffff) c = 0xfffd;
		}
		i += n;
		run.push(c);
		if (run.length >= 512) flush();   // (apply passes each as an argument: XS's stack holds 4096 slots on a board and here)
	}
	flush();
	return text;
}

/** Protocol text (ASCII) to bytes; anything outside 0x20–0x7e other than TAB is refused. */
export function asciiEncode(text: string): Uint8Array {
	// one pass (protocol/ascii.ts: charCodeAt per index is quadratic on XS); a character past ASCII is bytes ≥ 0x80 there
	const bytes = stringBytes(text);
	for (let i = 0; i < bytes.length; i++) {
		const c = bytes[i];
		if (c > 0x7e || (c < 0x20 && c !== 9 && c !== 10 && c !== 13)) throw notProtocolText(text);
	}
	return bytes;
}

/** The error naming the first character asciiEncode refuses (by index: the slow walk, once). */
function notProtocolText(text: string): TypeError {
	for (let i = 0, n = text.length; i < n; i++) {
		const c = charCodeAt.call(text, i);
		if (c > 0x7e || (c < 0x20 && c !== 9 && c !== 10 && c !== 13)) return new TypeError(`not protocol text: character ${c} at ${i}`);
	}
	return new TypeError("not protocol text");
}

// One hex encoder for the device and the protocol package.
export { toHex } from "../protocol/hex.js";

export function totalLength(chunks: Chunks): number {
	let total = 0;
	// Indexed: for-of makes an iterator and a result object per step on XS (a fragment has ~10 views).
	for (let i = 0; i < chunks.length; i++) total += chunks[i].byteLength;
	return total;
}
