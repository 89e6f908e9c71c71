/**
 * A UDP peer as the transport's opaque address bytes (native/p2p: at most 31): the address
 * text (ASCII) followed by the port, big-endian.
 */
import { P2pCodes, P2pError } from "./errors.js";

// Called, not read as a property of the string: on XS every property of a primitive string
// (`s.length`, `s.charCodeAt`) makes a wrapper object, 32 bytes on a board, per access.
const charCodeAt = String.prototype.charCodeAt;

export function encodeAddress(address: string, port: number): Uint8Array {
	const n = address.length;
	if (n > 29 || !Number.isInteger(port) || port < 0 || port > 65535)
		throw new P2pError(P2pCodes.EARG, `bad UDP address ${address}:${port}`);
	const bytes = new Uint8Array(n + 2);
	// printable ASCII only, checked by code: this runs for every datagram, and XS compiles a regular
	// expression each time one is evaluated (bench board_cpu: ~190 k instructions a packet on Linux)
	for (let i = 0; i < n; i++) {
		const c = charCodeAt.call(address, i);
		if (c < 0x21 || c > 0x7e) throw new P2pError(P2pCodes.EARG, `bad UDP address ${address}:${port}`);
		bytes[i] = c;
	}
	bytes[n] = port >> 8;
	bytes[n + 1] = port & 0xff;
	return bytes;
}

/**
 * The encoded addresses of the peers a socket hears, kept: each datagram's sender is looked up,
 * not encoded again (an encoding is ~0.8 KB of garbage on XS, and a camera with 4 viewers hears
 * hundreds of datagrams a second: bench board_memory). At most MAX_PEERS kept; past that the book
 * starts again, so a sender spraying ports costs time, not memory. The bytes returned are shared:
 * read them (the transport copies them), never change them.
 */
export class AddressBook {
	static readonly MAX_PEERS = 64;
	readonly #known = new PeerMap<Uint8Array>();
	encode(address: string, port: number): Uint8Array {
		const known = this.#known.get(address, port);
		if (known) return known;
		const bytes = encodeAddress(address, port);
		if (this.#known.size >= AddressBook.MAX_PEERS) this.#known.clear();
		this.#known.set(address, port, bytes);
		return bytes;
	}
}

export function decodeAddress(bytes: ArrayBuffer): { address: string; port: number } {
	const view = new Uint8Array(bytes);
	const n = view.length - 2;
	return { address: String.fromCharCode(...view.subarray(0, n)), port: (view[n] << 8) | view[n + 1] };
}

/**
 * Values by UDP peer (address and port), looked up without making a key: a template string per
 * datagram (`${address}:${port}`) was garbage for every datagram. With `max`, past that many peers
 * the oldest address's first port goes. The camera's encoded addresses, its relayed peers and its
 * TURN channels are kept in these.
 */
export class PeerMap<V> {
	readonly #byAddress = new Map<string, Map<number, V>>();
	readonly #max: number;
	#size = 0;
	constructor(max = Infinity) {
		this.#max = max;
	}

	get size(): number {
		return this.#size;
	}

	get(address: string, port: number): V | undefined {
		return this.#byAddress.get(address)?.get(port);
	}

	has(address: string, port: number): boolean {
		return this.#byAddress.get(address)?.has(port) ?? false;
	}

	set(address: string, port: number, value: V): void {
		let ports = this.#byAddress.get(address);
		if (ports?.has(port)) {
			ports.set(port, value);
			return;
		}
		if (this.#size >= this.#max) {
			const [oldest, oldestPorts] = this.#byAddress.entries().next().value!;
			this.delete(oldest, oldestPorts.keys().next().value!);
			ports = this.#byAddress.get(address);
		}
		if (!ports) this.#byAddress.set(address, ports = new Map());
		ports.set(port, value);
		this.#size++;
	}

	delete(address: string, port: number): void {
		const ports = this.#byAddress.get(address);
		if (!ports?.delete(port)) return;
		this.#size--;
		if (ports.size === 0) this.#byAddress.delete(address);
	}

	clear(): void {
		this.#byAddress.clear();
		this.#size = 0;
	}
}
