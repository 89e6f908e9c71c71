// embedded:io/socket/udp on Moddable builds (udp_socket.c over mcsim `lin`: udp_lin.c; ESP32: hosts/esp32s3/udp_lwip.c),
// in place of the SDK's. ECMA-419's UDP socket, with the Linux host's two additions
// (hosts/linux/modules/embedded/io/socket/udp.js) so that nothing is allocated per datagram:
// readInto(buffer, from) reads the next datagram into buffer and its source into from (6 bytes:
// IPv4 address, port, network order) and returns its length (-1: none waits; past buffer's
// length: cut); write(buffer, address, port, byteLength) sends buffer's first byteLength bytes;
// `native` is the socket's host object, for C that sends datagrams itself (ivxs_udp_send).
// Why not the SDK's: its read() makes an ArrayBuffer, an address string and two properties per
// datagram (a camera with 4 viewers hears ~440 a second: issue 29), on ESP32 it mallocs a record
// per datagram and queues without a bound, and on lin it takes one datagram per 20-ms tick.
//
// A plain class over a host object (as native/p2p's Endpoint): apps preload this module.

function open(address, port, callback) @ "xs_ivxs_udp_open";
function close(socket) @ "xs_ivxs_udp_close";
function localPort(socket) @ "xs_ivxs_udp_port";
function read(socket) @ "xs_ivxs_udp_read";
function readInto(socket, buffer, from) @ "xs_ivxs_udp_read_into";
function write(socket, buffer, address, port, byteLength) @ "xs_ivxs_udp_write";
function error(socket) @ "xs_ivxs_udp_error";

export default class UDP {
	#socket;
	constructor(options = {}) {
		const { port = 0, address, onReadable, onError } = options;
		if (options.format !== undefined && options.format !== "buffer") throw new RangeError("invalid format");
		// the host calls back with 1 (readable) or 4 (an error waits): kept by the host while open
		this.#socket = open(address, port, (mask) => {
			if (mask & 4) {
				const message = error(this.#socket);
				if (message) return onError?.call(this, new Error(message));
			}
			onReadable?.call(this, 1);
		});
	}
	get format() { return "buffer"; }
	/** The host object behind this socket (undefined once closed), for native code that sends from C:
	 * native/common/ivxs_host.h's ivxs_udp_send (native/p2p). */
	get native() { return this.#socket; }
	set format(value) {
		if (value !== "buffer") throw new RangeError("invalid format");
	}
	get port() { return localPort(this.#check()); }
	#check() {
		if (!this.#socket) throw new Error("closed");
		return this.#socket;
	}
	read() {
		return read(this.#check());
	}
	readInto(buffer, from) {
		return readInto(this.#check(), buffer, from);
	}
	write(buffer, address, port, byteLength) {
		write(this.#check(), buffer, address, port, byteLength);
	}
	close() {
		if (!this.#socket) return;
		close(this.#socket);
		this.#socket = undefined;
	}
}
Object.freeze(UDP.prototype);
