// ECMA-419 UDP socket (embedded:io/socket/udp) on the host's sockets (host objects).
// read() returns an ArrayBuffer with .address and .port, or undefined.
// This host's own additions, so that nothing is allocated per datagram (modules/p2p/udp.ts uses
// them): readInto(buffer, from) reads the next datagram into buffer and its source into from
// (6 bytes: IPv4 address, port, network order) and returns its length (-1: none waits; past
// buffer's length: cut); write(buffer, address, port, byteLength) sends buffer's first byteLength bytes;
// `native` is the socket's host object, for C that sends datagrams itself (ivxs_udp_send).
import * as native from "ivxs/socket-native";

export default class UDP {
	#socket;
	#onReadable;
	#onError;
	constructor(options = {}) {
		const { port = 0, address, onReadable, onError } = options;
		this.#socket = native.udp(address, port);
		this.#onReadable = onReadable;
		this.#onError = onError;
		if (onReadable || onError)
			native.watch(this.#socket, 1, (mask) => this.#ready(mask));
	}
	get format() { return "buffer"; }
	/** The host object behind this socket (undefined once closed), for native code that sends from C:
	 * native/common/ivxs_host.h's ivxs_udp_send (native/p2p). */
	get native() { return this.#socket; }
	get port() { return native.localPort(this.#check()); }
	#check() {
		if (!this.#socket) throw new Error("closed");
		return this.#socket;
	}
	#ready(mask) {
		if (mask & 4) {
			const error = native.error(this.#socket);
			if (error) return this.#onError?.call(this, error);
		}
		this.#onReadable?.call(this, 1);
	}
	read() {
		return native.recvfrom(this.#check());
	}
	readInto(buffer, from) {
		return native.recvinto(this.#check(), buffer, from);
	}
	write(buffer, address, port, byteLength) {
		native.sendto(this.#check(), buffer, address, port, byteLength);
	}
	close() {
		if (!this.#socket) return;
		native.close(this.#socket);
		this.#socket = undefined;
	}
}
Object.freeze(UDP.prototype);
