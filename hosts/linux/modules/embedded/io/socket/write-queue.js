// The write side the host's TCP and TLS sockets share (ECMA-419): write() sends what the socket
// takes now and queues the rest, up to kQueueLimit bytes, and throws beyond; flush() sends the
// queue when the socket has room; `room` is what onWritable(count) reports.
export const kQueueLimit = 64 * 1024;

export default class WriteQueue {
	#chunks = [];
	#queued = 0;
	get queued() { return this.#queued; }
	get room() { return kQueueLimit - this.#queued; }
	/**
	 * Sends `buffer` through `send(bytes) → bytes taken` unless bytes wait ahead of it, and queues
	 * what was not taken; true when something was queued (the socket then waits for room).
	 */
	write(buffer, send) {
		// (a Uint8Array as it is: a new view a write is garbage on XS; what is queued is copied)
		const bytes = buffer instanceof Uint8Array ? buffer
			: ArrayBuffer.isView(buffer) ? new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength) : new Uint8Array(buffer);
		if (bytes.byteLength > kQueueLimit - this.#queued) throw new Error("write exceeds writable bytes");
		const wrote = this.#queued ? 0 : send(bytes);
		if (wrote >= bytes.byteLength) return false;
		this.#chunks.push(bytes.slice(wrote));
		this.#queued += bytes.byteLength - wrote;
		return true;
	}
	/** Sends the queue through `send` until it takes less than it is offered (0: the same bytes next time). */
	flush(send) {
		while (this.#chunks.length) {
			const chunk = this.#chunks[0];
			const wrote = send(chunk);
			this.#queued -= wrote;
			if (wrote < chunk.byteLength) {
				this.#chunks[0] = chunk.subarray(wrote);
				return;
			}
			this.#chunks.shift();
		}
	}
	clear() {
		this.#chunks = [];
		this.#queued = 0;
	}
}
Object.freeze(WriteQueue.prototype);
