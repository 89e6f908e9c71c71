/**
 * ASCII text ↔ bytes, one character per byte: the wire's headers, records and JSON messages are
 * ASCII, so no UTF-8 codec is needed on XS. One place for the rule that bit us: spreading a whole
 * buffer into String.fromCharCode overflows the XS host's stack at a few thousand arguments (a
 * 16 KiB viewer command came back "not JSON"), so text is built 512 bytes at a time.
 */
const CHUNK = 512;

export function asciiBytes(text: string): Uint8Array {
	const out = new Uint8Array(text.length);
	for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
	return out;
}

export function asciiText(bytes: ArrayBuffer | Uint8Array): string {
	const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
	let text = "";
	for (let i = 0; i < view.length; i += CHUNK) text += String.fromCharCode(...view.subarray(i, i + CHUNK));
	return text;
}
