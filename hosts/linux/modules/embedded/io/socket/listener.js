// ECMA-419 TCP listener (embedded:io/socket/listener). read() returns an
// accepted connection to pass as { from } to the TCP constructor.
import * as native from "ivxs/socket-native";

const kPendingLimit = 16;

export default class Listener {
	#socket;
	#pending = [];
	#onReadable;
	constructor(options = {}) {
		const { port = 0, address, onReadable, backlog = kPendingLimit } = options;
		this.#socket = native.listen(address, port, backlog);
		this.#onReadable = onReadable;
		native.watch(this.#socket, 1, () => this.#accept());
	}
	get port() { return native.localPort(this.#socket); }
	#accept() {
		for (let socket = native.accept(this.#socket); socket !== undefined; socket = native.accept(this.#socket)) {
			if (this.#pending.length >= kPendingLimit) native.close(socket);   // shed load, don't grow
			else this.#pending.push(socket);
		}
		if (this.#pending.length) this.#onReadable?.call(this, this.#pending.length);
	}
	read() {
		return this.#pending.shift();
	}
	close() {
		if (!this.#socket) return;
		for (const socket of this.#pending) native.close(socket);
		this.#pending = [];
		native.close(this.#socket);
		this.#socket = undefined;
	}
}
Object.freeze(Listener.prototype);
