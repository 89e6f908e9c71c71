/** Hashes and signatures travel as lower-case hex (cloud/PROTOCOL.md §2). */
export const bytesOf = (value: ArrayBuffer | Uint8Array): Uint8Array => (value instanceof Uint8Array ? value : new Uint8Array(value));

const HEX = "0123456789abcdef";

export function toHex(bytes: Uint8Array | ArrayBuffer): string {
	const view = bytesOf(bytes);
	let text = "";
	for (let i = 0; i < view.length; i++) text += HEX[view[i] >> 4] + HEX[view[i] & 15];
	return text;
}
