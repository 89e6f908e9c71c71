/**
 * ASCII text ↔ bytes, one character per byte: the wire's headers, records and JSON messages are
 * ASCII, so no UTF-8 codec is needed on XS. One place for the rule that bit us: passing a whole
 * buffer to String.fromCharCode as arguments overflows the XS host's stack at a few thousand arguments (a
 * 16 KiB viewer command came back "not JSON"), so text is built 512 bytes at a time.
 */
const CHUNK = 512;

// Whole strings to bytes in one pass. XS finds a string's i-th character by scanning its UTF-8 from
// the start (fxUnicodeToUTF8Offset), and `text.length` is a scan too, so a loop of charCodeAt is
// quadratic there: a request head of a few hundred characters cost ~0.5 M instructions (bench
// board_cpu), a 16 KiB viewer reply ~10^8. XS's ArrayBuffer.fromString copies the string's own
// UTF-8 — U+0000 as 0xC0 0x80 and a lone surrogate in its 3-byte form, as XS keeps them —;
// elsewhere TextEncoder (U+0000 as 0x00, lone surrogates as U+FFFD).
// (Called as ArrayBuffer's method: it constructs its result from `this`, and the Moddable SDK's XS
// throws without one — mcsim's camera stopped at its first request when it was called detached.)
const Buffers = ArrayBuffer as unknown as { fromString?(text: string): ArrayBuffer };
const encoder = Buffers.fromString ? undefined : new (globalThis as unknown as { TextEncoder: new () => { encode(text: string): Uint8Array } }).TextEncoder();

/** The string's bytes as UTF-8, made in one pass (see above for where the hosts differ). */
export function stringBytes(text: string): Uint8Array {
	return Buffers.fromString ? new Uint8Array(Buffers.fromString(text)) : encoder!.encode(text);
}

/** One byte per character (its low 8 bits): ASCII text's bytes. */
export function asciiBytes(text: string): Uint8Array {
	const bytes = stringBytes(text);
	const n = text.length;
	if (bytes.length === n) return bytes;   // all ASCII: the same bytes
	const out = new Uint8Array(n);
	for (let i = 0; i < n; i++) out[i] = text.charCodeAt(i);
	return out;
}

/** The bytes (all, or from `start` to `end`) as text, one character per byte (latin1): protocol text. */
export function asciiText(bytes: ArrayBuffer | Uint8Array, start = 0, end?: number): string {
	const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
	const stop = end ?? view.length;
	// Applied, not spread (a spread walks an iterator, an object a call on XS), and a short text in
	// one call: ICE's consent checks read their USERNAME here every few seconds a viewer.
	if (start === 0 && stop === view.length && stop <= CHUNK) return String.fromCharCode.apply(null, view as unknown as number[]);
	let text = "";
	for (let i = start; i < stop; i += CHUNK) text += String.fromCharCode.apply(null, view.subarray(i, Math.min(stop, i + CHUNK)) as unknown as number[]);
	return text;
}
