/** Hashes and signatures travel as lower-case hex (cloud/PROTOCOL.md §2). */
export const bytesOf = (value: ArrayBuffer | Uint8Array): Uint8Array => (value instanceof Uint8Array ? value : new Uint8Array(value));

const HEX = "0123456789abcdef";

export function toHex(bytes: Uint8Array | ArrayBuffer): string {
	const view = bytesOf(bytes);
	let text = "";
	for (let i = 0; i < view.length; i++) text += HEX[view[i] >> 4] + HEX[view[i] & 15];
	return text;
}

/** Lower- or upper-case hex → bytes; undefined when it is not hex of whole bytes. */
export function fromHex(text: string): Uint8Array | undefined {
	if (text.length & 1 || /[^0-9a-fA-F]/.test(text)) return undefined;
	const out = new Uint8Array(text.length / 2);
	for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
	return out;
}
