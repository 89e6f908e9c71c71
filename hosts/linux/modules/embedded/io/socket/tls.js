// ECMA-419 TLS socket (embedded:io/socket/tcp/tls) on mbedTLS: the TCP socket's interface
// (onReadable/onWritable/onError, read, write, close) over a verified TLS 1.2 session.
//   new TLSSocket({ address?, port, host, secure: { ca }, onReadable, onWritable, onError })
// `secure.ca` (PEM text) and `host` (the name the certificate must carry) are required: the
// server is always verified, and there is no plaintext fallback — a failed verification is an
// onError with "TLS certificate verification failed: …" (code IVXS_HOST_EVERIFY: every error
// onError gets carries the kit's code). onWritable first fires after the handshake. Decrypted
// bytes wait in the socket until read(); write() queues up to kQueueLimit bytes (write-queue.js,
// as the TCP socket does) and throws beyond.
import * as native from "ivxs/socket-native";
import * as tls from "ivxs/tls-native";
import WriteQueue, { kQueueLimit } from "ivxs/socket-write-queue";

const kReadSize = 16 * 1024;   // one TLS record at most
const CONNECTING = 0, HANDSHAKE = 1, OPEN = 2;

export default class TLSSocket {
	#socket;
	#session;
	#state = CONNECTING;
	#out = new WriteQueue();
	#inbox = [];
	#inboxBytes = 0;
	#onReadable;
	#onWritable;
	#onError;
	constructor(options = {}) {
		const secure = options.secure;
		if (!secure || typeof secure.ca !== "string" || !secure.ca)
			throw new TypeError("TLS needs secure.ca: the CA certificates (PEM) that verify the server");
		const host = options.host ?? secure.serverName;
		if (typeof host !== "string" || !host)
			throw new TypeError("TLS needs host: the name the server's certificate must carry");
		this.#onReadable = options.onReadable;
		this.#onWritable = options.onWritable;
		this.#onError = options.onError;
		if (options.target !== undefined) this.target = options.target;   // ECMA-419: for shared callbacks
		this.#session = tls.session(secure.ca, host);
		try {
			this.#socket = native.connect(options.address ?? (host === "localhost" ? "127.0.0.1" : host), options.port, options.nodelay);
		}
		catch (error) {
			tls.close(this.#session);
			this.#session = undefined;
			throw error;
		}
		this.#watch(2);
	}
	get format() { return "buffer"; }
	#watch(mask) {
		native.watch(this.#socket, mask, (m) => this.#ready(m));
	}
	#update() {
		if (this.#socket) this.#watch(1 | (this.#out.queued ? 2 : 0));   // always reading: data, close_notify, EOF
	}
	#fail(error) {
		error.message = error.message.replace(/^\w+: (?=TLS )/, "");   // XS names the native function first
		const onError = this.#onError;
		this.close();
		onError?.call(this, error);   // with its code: IVXS_HOST_ETLS, _EVERIFY, _ERESET, …
	}
	#ready(mask) {
		if (this.#state === CONNECTING) {
			const error = native.error(this.#socket);
			if (error) return this.#fail(error);
			if (!(mask & 2)) return;
			this.#state = HANDSHAKE;
		}
		if (this.#state === HANDSHAKE) return this.#handshake();
		if (mask & 2) {
			try {
				this.#out.flush((chunk) => this.#send(chunk));
			}
			catch (error) {
				return this.#fail(error);
			}
			if (!this.#out.queued) {
				this.#update();
				this.#onWritable?.call(this, kQueueLimit);
				if (!this.#socket) return;
			}
		}
		if (mask & 5) this.#receive();
	}
	#handshake() {
		let want;
		try {
			want = tls.handshake(this.#session, this.#socket);
		}
		catch (error) {
			return this.#fail(error);
		}
		if (want) return this.#watch(want);
		this.#state = OPEN;
		this.#update();
		this.#onWritable?.call(this, kQueueLimit);
	}
	#receive() {
		// Decrypts what arrived — and what mbedTLS already holds, which poll() cannot see.
		let closed = false;
		for (;;) {
			let data;
			try {
				data = tls.read(this.#session, this.#socket, kReadSize);
			}
			catch (error) {
				return this.#fail(error);
			}
			if (data === null) {
				closed = true;
				break;
			}
			if (data === undefined) break;
			this.#inbox.push(data);
			this.#inboxBytes += data.byteLength;
		}
		if (this.#inboxBytes) this.#onReadable?.call(this, this.#inboxBytes);
		if (closed && this.#socket) this.#fail(native.closedByPeer());   // after the last bytes were offered
	}
	// What mbedTLS takes now; less when it wants the socket writable first (then the same bytes
	// again when it is: mbedTLS's rule).
	#send(bytes) {
		let wrote = 0;
		while (wrote < bytes.byteLength) {
			const n = tls.write(this.#session, this.#socket, bytes.subarray(wrote));
			if (!n) break;
			wrote += n;
		}
		return wrote;
	}
	read(count) {
		if (!this.#socket) throw new Error("closed");
		if (!this.#inboxBytes) return undefined;
		let want = typeof count === "number" ? count : this.#inboxBytes;
		const head = this.#inbox[0];
		if (head.byteLength <= want && (this.#inbox.length === 1 || head.byteLength === want)) {
			this.#inbox.shift();
			this.#inboxBytes -= head.byteLength;
			return head;
		}
		want = Math.min(want, this.#inboxBytes);
		const out = new Uint8Array(want);
		let at = 0;
		while (at < want) {
			const chunk = new Uint8Array(this.#inbox[0]);
			const n = Math.min(chunk.byteLength, want - at);
			out.set(chunk.subarray(0, n), at);
			at += n;
			if (n === chunk.byteLength) this.#inbox.shift();
			else this.#inbox[0] = chunk.slice(n).buffer;
		}
		this.#inboxBytes -= want;
		return out.buffer;
	}
	write(buffer) {
		if (!this.#socket) throw new Error("closed");
		if (this.#state !== OPEN) throw new Error("not connected");
		let failure;
		const queued = this.#out.write(buffer, (bytes) => {
			try {
				return this.#send(bytes);
			}
			catch (error) {
				failure = error;
				return 0;
			}
		});
		if (failure) {
			this.#fail(failure);
			throw new Error("closed");
		}
		if (queued) this.#update();
		return this.#out.room;
	}
	close() {
		if (!this.#socket) return;
		const socket = this.#socket;
		this.#socket = undefined;
		try {
			tls.close(this.#session, socket);
		}
		finally {
			this.#session = undefined;
			native.close(socket);
			this.#out.clear();
			this.#inbox = [];
			this.#inboxBytes = 0;
		}
	}
}
Object.freeze(TLSSocket.prototype);
