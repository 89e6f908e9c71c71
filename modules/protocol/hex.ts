/** Hashes and signatures travel as lower-case hex (cloud/PROTOCOL.md §2). */
export const bytesOf = (value: ArrayBuffer | Uint8Array): Uint8Array => (value instanceof Uint8Array ? value : new Uint8Array(value));

// The digits' codes, and the text made in one call from them: on XS, indexing a string literal
// makes a wrapper object per read and each `+=` a new string (a 32-byte hash cost ~5 KB of
// garbage; bench board_memory), where this costs the digits' buffer and the string.
export const HEX_DIGITS = new Uint8Array([48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 97, 98, 99, 100, 101, 102]);

export function toHex(bytes: Uint8Array | ArrayBuffer): string {
	const view = bytesOf(bytes), n = view.length;
	const digits = new Uint8Array(2 * n);
	for (let i = 0; i < n; i++) {
		digits[2 * i] = HEX_DIGITS[view[i] >> 4];
		digits[2 * i + 1] = HEX_DIGITS[view[i] & 15];
	}
	let text = "";
	for (let i = 0; i < digits.length; i += 4096)   // (apply passes each as an argument: a board's stack is 4096 slots)
		text += String.fromCharCode.apply(null, digits.subarray(i, i + 4096) as unknown as number[]);
	return text;
}

/** Lower- or upper-case hex → bytes; undefined when it is not hex of whole bytes. */
export function fromHex(text: string): Uint8Array | undefined {
	if (text.length & 1 || /[^0-9a-fA-F]/.test(text)) return undefined;
	const out = new Uint8Array(text.length / 2);
	for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
	return out;
}
