// ECMA-419 TCP socket (embedded:io/socket/tcp) on the host's sockets (host objects).
// write() queues what the kernel does not take, up to kQueueLimit bytes, and
// throws beyond it; onWritable(count) reports the room when it frees (write-queue.js).
import * as native from "ivxs/socket-native";
import WriteQueue, { kQueueLimit } from "ivxs/socket-write-queue";

export default class TCP {
	#socket;
	#connected = false;
	#out = new WriteQueue();
	// The queue's way to the kernel, made once: a closure a write is ~200 bytes of garbage on XS.
	#send = (bytes) => native.write(this.#socket, bytes, 0);
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
			(!this.#connected || this.#out.queued || wantWritable ? 2 : 0);
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
			this.#out.flush(this.#send);
			if (!this.#socket) return;
			if (!this.#out.queued) {
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
		if (this.#out.write(buffer, this.#send)) this.#update();
		return this.#out.room;
	}
	close() {
		if (!this.#socket) return;
		native.close(this.#socket);
		this.#socket = undefined;
		this.#out.clear();
	}
}
Object.freeze(TCP.prototype);
