// embedded:io/socket/tcp on ESP32 boards (tcp_lwip.c), in place of the SDK's lwIP socket, whose
// receive list is appended on lwIP's thread and consumed on the VM's without a lock (stream bytes
// lost, seen as a refused MQTT packet in the emulated S3: issue 54). ECMA-419's TCP client socket,
// as the SDK's and the Linux host's (hosts/linux/modules/embedded/io/socket/tcp.js): address (IPv4
// text), port, nodelay, onReadable(count), onWritable(count), onError(error), target, format
// ("buffer" or "number"). onError's error carries the binding kit's `code` (ivxs/codes); it comes
// once, after every byte received before the failure has been read, and closes the socket.
// Connections only: no `from` (this board build has no listening socket). The TLS socket
// (tls_socket.js) is this class with a TLS session in the connection (tls_lwip.c): its constructor
// passes the session's `secure` ({ host, certificates }) as the second argument.

function open(address, port, nodelay, callback, secure) @ "xs_ivxs_tcp_open";
function close(socket) @ "xs_ivxs_tcp_close";
function available(socket) @ "xs_ivxs_tcp_available";
function read(socket, into, count) @ "xs_ivxs_tcp_read";
function write(socket, buffer) @ "xs_ivxs_tcp_write";
function failure(socket) @ "xs_ivxs_tcp_failure";

const READABLE = 1, WRITABLE = 2, FAILED = 4;

export default class TCP {
	#socket;
	#bytes = true;
	constructor(options = {}, secure) {
		const { address, port, nodelay = false, onReadable, onWritable, onError, format = "buffer" } = options;
		if (options.from !== undefined) throw new Error("tcp: no listening sockets on this build (from)");
		this.format = format;
		if (options.target !== undefined) this.target = options.target;   // ECMA-419: for shared callbacks
		// the host calls back with what happened and a count (bytes waiting, or room to write): kept by
		// the host while open
		this.#socket = open(address, port, nodelay, (what, count) => {
			if (what & WRITABLE) {
				onWritable?.call(this, count);
				if (!this.#socket) return;
			}
			if (what & READABLE) {
				const waiting = available(this.#socket);
				if (waiting) onReadable?.call(this, waiting);
				if (!this.#socket) return;
			}
			if (what & FAILED) {
				const error = failure(this.#socket);
				this.close();
				onError?.call(this, error);
			}
		}, secure);
	}
	get format() { return this.#bytes ? "buffer" : "number"; }
	set format(value) {
		if (value !== "buffer" && value !== "number") throw new RangeError("invalid format");
		this.#bytes = value === "buffer";
	}
	#check() {
		if (!this.#socket) throw new Error("closed");
		return this.#socket;
	}
	// read(): every waiting byte; read(count): count bytes (more than wait: RangeError); read(buffer):
	// into an ArrayBuffer or view, as many as wait, their number returned; "number" format: one byte.
	// undefined when nothing waits.
	read(what) {
		const socket = this.#check();
		if (!this.#bytes) {
			const byte = read(socket, undefined, 1);
			return byte && new Uint8Array(byte)[0];
		}
		return read(socket, typeof what === "object" ? what : undefined, typeof what === "object" ? undefined : what);
	}
	// write(buffer) or, in "number" format, write(byte): the room left to write (a buffer past the room
	// throws: wait for onWritable)
	write(what) {
		const socket = this.#check();
		return write(socket, this.#bytes ? what : Uint8Array.of(what));
	}
	close() {
		if (!this.#socket) return;
		close(this.#socket);
		this.#socket = undefined;
	}
}
Object.freeze(TCP.prototype);
