// ECMA-419 TCP listener (embedded:io/socket/listener). read() returns an
// accepted connection to pass as { from } to the TCP constructor.
import * as native from "ivxs/socket-native";

const kPendingLimit = 16;

export default class Listener {
	#fd;
	#pending = [];
	#onReadable;
	constructor(options = {}) {
		const { port = 0, address, onReadable, backlog = kPendingLimit } = options;
		this.#fd = native.listen(address, port, backlog);
		this.#onReadable = onReadable;
		native.watch(this.#fd, 1, () => this.#accept());
	}
	get port() { return native.localPort(this.#fd); }
	#accept() {
		for (let fd = native.accept(this.#fd); fd !== undefined; fd = native.accept(this.#fd)) {
			if (this.#pending.length >= kPendingLimit) native.close(fd);   // shed load, don't grow
			else this.#pending.push(fd);
		}
		if (this.#pending.length) this.#onReadable?.call(this, this.#pending.length);
	}
	read() {
		return this.#pending.shift();
	}
	close() {
		if (this.#fd < 0) return;
		for (const fd of this.#pending) native.close(fd);
		this.#pending = [];
		native.close(this.#fd);
		this.#fd = -1;
	}
}
Object.freeze(Listener.prototype);
