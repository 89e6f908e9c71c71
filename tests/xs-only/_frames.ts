// Test frames that say which they are and whether they arrived whole: frame k is 4 bytes k
// (big-endian), then byte i = (k * 7 + i) & 0xff.
export function frameBytes(k: number, size: number): Uint8Array {
	const bytes = new Uint8Array(size);
	new DataView(bytes.buffer).setUint32(0, k);
	for (let i = 4; i < size; i++) bytes[i] = (k * 7 + i) & 0xff;
	return bytes;
}

/** k, or -1 when the bytes are not frame k's whole. */
export function frameOk(bytes: Uint8Array): number {
	const k = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0);
	for (let i = 4; i < bytes.length; i++) if (bytes[i] !== ((k * 7 + i) & 0xff)) return -1;
	return k;
}
