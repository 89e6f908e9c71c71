// ECMA-419 TCP socket (embedded:io/socket/tcp) on the host's sockets (host objects).
// write() queues what the kernel does not take, up to kQueueLimit bytes, and
// throws beyond it; onWritable(count) reports the room when it frees.
import * as native from "ivxs/socket-native";

const kQueueLimit = 64 * 1024;

export default class TCP {
	#socket;
	#connected = false;
	#queue = [];
	#queued = 0;
	#onReadable;
	#onWritable;
	#onError;
	constructor(options = {}) {
		this.#onReadable = options.onReadable;
		this.#onWritable = options.onWritable;
		this.#onError = options.onError;
		if (options.target !== undefined) this.target = options.target;   // ECMA-419: for shared callbacks
		if (options.from !== undefined) {
			this.#socket = native.adopt(options.from);   // an accepted connection, nothing else
			this.#connected = true;
		}
		else
			this.#socket = native.connect(options.address, options.port, options.nodelay);
		this.#update();
		if (this.#connected && this.#onWritable)
			this.#update(true);
	}
	get format() { return "buffer"; }
	#update(wantWritable = false) {
		if (!this.#socket) return;
		const mask = (this.#connected && (this.#onReadable || this.#onError) ? 1 : 0) |
			(!this.#connected || this.#queued || wantWritable ? 2 : 0);
		native.watch(this.#socket, mask, (m) => this.#ready(m));
	}
	#fail(error) {
		const onError = this.#onError;
		this.close();
		onError?.call(this, error);
	}
	#ready(mask) {
		if (!this.#connected) {
			const error = native.error(this.#socket);
			if (error) return this.#fail(error);
			if (!(mask & 2)) return;
			this.#connected = true;
			this.#update();
			this.#onWritable?.call(this, kQueueLimit);
			return;
		}
		if (mask & 2) {
			this.#flush();
			if (!this.#socket) return;
			if (!this.#queued) {
				this.#update();
				this.#onWritable?.call(this, kQueueLimit);
				if (!this.#socket) return;
			}
		}
		if (mask & 5) {
			const count = native.available(this.#socket);
			if (!count) return this.#fail(native.error(this.#socket) ?? native.closedByPeer());
			this.#onReadable?.call(this, count);
		}
	}
	#flush() {
		while (this.#queue.length) {
			const chunk = this.#queue[0];
			const wrote = native.write(this.#socket, chunk, 0);
			this.#queued -= wrote;
			if (wrote < chunk.byteLength) {
				this.#queue[0] = chunk.slice(wrote);
				return;
			}
			this.#queue.shift();
		}
	}
	read(what) {
		if (!this.#socket) throw new Error("closed");
		if (typeof what === "object") {
			const bytes = ArrayBuffer.isView(what) ? new Uint8Array(what.buffer, what.byteOffset, what.byteLength) : new Uint8Array(what);
			const data = native.read(this.#socket, bytes.byteLength);
			if (!data) return 0;
			bytes.set(new Uint8Array(data));
			return data.byteLength;
		}
		const count = what ?? native.available(this.#socket);
		if (!count) return undefined;
		const data = native.read(this.#socket, count);
		return data ?? undefined;
	}
	write(buffer) {
		if (!this.#socket) throw new Error("closed");
		if (!this.#connected) throw new Error("not connected");
		const bytes = ArrayBuffer.isView(buffer) ? new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength) : new Uint8Array(buffer);
		if (bytes.byteLength > kQueueLimit - this.#queued) throw new Error("write exceeds writable bytes");
		let wrote = 0;
		if (!this.#queued) wrote = native.write(this.#socket, bytes, 0);
		if (wrote < bytes.byteLength) {
			this.#queue.push(bytes.slice(wrote));
			this.#queued += bytes.byteLength - wrote;
			this.#update();
		}
		return kQueueLimit - this.#queued;
	}
	close() {
		if (!this.#socket) return;
		native.close(this.#socket);
		this.#socket = undefined;
		this.#queue = [];
		this.#queued = 0;
	}
}
Object.freeze(TCP.prototype);
