/**
 * A UDP peer as the transport's opaque address bytes (native/p2p: at most 31): the address
 * text (ASCII) followed by the port, big-endian.
 */
import { P2pCodes, P2pError } from "./errors.js";

export function encodeAddress(address: string, port: number): Uint8Array {
	if (address.length > 29 || !Number.isInteger(port) || port < 0 || port > 65535)
		throw new P2pError(P2pCodes.EARG, `bad UDP address ${address}:${port}`);
	const bytes = new Uint8Array(address.length + 2);
	// printable ASCII only, checked by code: this runs for every datagram, and XS compiles a regular
	// expression each time one is evaluated (bench board_cpu: ~190 k instructions a packet on Linux)
	for (let i = 0; i < address.length; i++) {
		const c = address.charCodeAt(i);
		if (c < 0x21 || c > 0x7e) throw new P2pError(P2pCodes.EARG, `bad UDP address ${address}:${port}`);
		bytes[i] = c;
	}
	bytes[address.length] = port >> 8;
	bytes[address.length + 1] = port & 0xff;
	return bytes;
}

export function decodeAddress(bytes: ArrayBuffer): { address: string; port: number } {
	const view = new Uint8Array(bytes);
	const n = view.length - 2;
	return { address: String.fromCharCode(...view.subarray(0, n)), port: (view[n] << 8) | view[n + 1] };
}
