/**
 * An HTTP/1.1 client on ECMA-419 sockets, for a camera talking to its cloud.
 *
 * - One connection per client, kept alive between requests (closed after `keepAliveTimeout` of
 *   disuse, or when the server says `Connection: close`); requests queue and run one at a time.
 * - Request bodies: fixed (`Content-Length`) from bytes, a string or a scatter list, or streamed
 *   with `stream()`: chunked transfer coding, each `write(chunks)` one chunk whose views go to the
 *   socket as they are (no joined copy), backpressure through the socket's onWritable (the promise
 *   of `write` resolves when the socket took the bytes), and `end(trailers)` for the trailer
 *   fields a signature needs after the body (cloud/PROTOCOL.md §2).
 * - Responses are parsed incrementally (http-parser.ts) with a limit on the head; bodies with a
 *   length, chunked, or until close. Buffered up to `maxBodyBytes`, or handed out with `onData`.
 * - Timeouts: connect, and idle (no byte either way during an exchange). Every failure rejects
 *   with a NetError subclass (errors.ts); a connection found dead when reused is retried once on
 *   a fresh one for idempotent requests with a fixed body, never for a streamed one (its bytes
 *   are gone: the caller resends from its ring).
 */
import { asciiEncode, type Chunks, totalLength, utf8Decode, utf8Encode } from "./bytes.js";
import { Connection, type ConnectionEvents, type ConnectionOptions } from "./connection.js";
import { AbortedError, ConnectionResetError, LimitError, NetError, ProtocolError } from "./errors.js";
import { type HeaderMap, ResponseParser, type ResponseHead, isToken } from "./http-parser.js";
import { HEX_DIGITS } from "../protocol/hex.js";
import { pattern } from "../protocol/pattern.js";

// Patterns compiled once, not at each evaluation: XS compiles a literal every time one runs
// (bench board_cpu counts each compile on the request path).
const HEADER_VALUE_BAD = pattern(/[\r\n\0]/);
const WITH_BODY = pattern(/^(PUT|POST|PATCH)$/);
const REQUEST_TARGET = pattern(/^[\x21-\x7e]+$/);
const CLIENT_HEADERS = pattern(/^(host|content-length|transfer-encoding|trailer)$/i);

export type { HeaderMap } from "./http-parser.js";

export interface HttpClientOptions extends ConnectionOptions {
	/** The Host header (default `address:port`). */
	host?: string;
	/** Milliseconds without a byte either way during a request before it fails (default 30 s). */
	idleTimeout?: number;
	/** Milliseconds an unused connection is kept for the next request (default 4 s; 0: one request per connection). */
	keepAliveTimeout?: number;
	/** Most bytes of a response's status line + headers (and of its trailers), default 8 KiB. */
	maxHeaderBytes?: number;
	/** Most bytes of a buffered response body (default 64 KiB); with `onData` there is no limit. */
	maxBodyBytes?: number;
}

export interface RequestOptions {
	method?: string;
	/** Path and query exactly as in the request line. */
	path: string;
	headers?: Record<string, string>;
	/** A fixed body: bytes, a string (UTF-8) or a scatter list (sent view by view). */
	body?: Uint8Array | string | Chunks;
	/** Receives the response body as it arrives (views valid during the call) instead of buffering it. */
	onData?: (bytes: Uint8Array) => void;
	/** Called with the status before any body byte reaches onData (to refuse a body by its status). */
	onHead?: (status: number, headers: HeaderMap) => void;
}

export interface StreamOptions {
	method?: string;
	path: string;
	headers?: Record<string, string>;
	/** Names of the trailer fields end() will send (announced in a `Trailer` header). */
	trailers?: readonly string[];
	onData?: (bytes: Uint8Array) => void;
}

export interface HttpResponse {
	status: number;
	reason: string;
	headers: HeaderMap;
	trailers: HeaderMap;
	/** The buffered body (empty with onData). */
	body: Uint8Array;
	text(): string;
	json(): unknown;
}

const CRLF = asciiEncode("\r\n");
const IDEMPOTENT = pattern(/^(GET|HEAD|PUT|DELETE|OPTIONS)$/);

function field(name: string, value: string): string {
	if (!isToken(name)) throw new TypeError(`bad header name ${JSON.stringify(name)}`);
	value = String(value);
	// CR, LF or NUL in a value would let it write another header or end the head.
	if (HEADER_VALUE_BAD.test(value)) throw new TypeError(`bad value for header ${name}`);
	return `${name}: ${value}\r\n`;
}

class Exchange {
	readonly method: string;
	readonly streamed: boolean;
	readonly onData?: (bytes: Uint8Array) => void;
	onHead?: (status: number, headers: HeaderMap) => void;
	head: Uint8Array;
	body: Chunks;
	parser: ResponseParser | undefined;
	/** The whole request went out (a connection is reusable only then). */
	requestComplete = false;
	retried = false;
	response: Promise<HttpResponse>;
	/** Resolves when the exchange owns the connection and its head is queued (`begun` then). */
	started: Promise<void>;
	startedResolve!: () => void;
	begun = false;
	resolve!: (response: HttpResponse) => void;
	reject!: (error: NetError) => void;
	failure: NetError | undefined;
	/** The send in flight (the head of a stream may still be going out when its first chunk is written). */
	sending: Promise<void> | undefined;
	/** The response arrived. */
	finished = false;
	#head: ResponseHead | undefined;
	#parts: Uint8Array[] = [];
	#bytes = 0;
	#maxBodyBytes: number;

	constructor(method: string, head: Uint8Array, body: Chunks, streamed: boolean, maxBodyBytes: number, onData?: (bytes: Uint8Array) => void) {
		this.method = method;
		this.head = head;
		this.body = body;
		this.streamed = streamed;
		this.onData = onData;
		this.#maxBodyBytes = maxBodyBytes;
		this.response = new Promise<HttpResponse>((resolve, reject) => {
			this.resolve = resolve;
			this.reject = reject;
		});
		this.started = new Promise<void>((resolve) => {
			this.startedResolve = () => {
				this.begun = true;
				resolve();
			};
		});
		// The caller may never await the response (a stream abandoned after a failed write):
		// mark it handled, so the host does not exit for an unhandled rejection.
		this.response.catch(() => {});
	}

	get retryable(): boolean {
		return !this.streamed && !this.retried && IDEMPOTENT.test(this.method);
	}

	newParser(maxHeaderBytes: number, onEnd: (exchange: Exchange, trailers: HeaderMap) => void): ResponseParser {
		this.#head = undefined;
		this.#parts = [];
		this.#bytes = 0;
		const exchange = this;
		this.parser = new ResponseParser({
			onHead(head) {
				exchange.#head = head;
				exchange.onHead?.(head.status, head.headers);
			},
			onData(bytes) {
				if (exchange.onData) return exchange.onData(bytes);
				exchange.#bytes += bytes.byteLength;
				if (exchange.#bytes > exchange.#maxBodyBytes) throw new LimitError(`response body larger than ${exchange.#maxBodyBytes} bytes`);
				exchange.#parts.push(bytes.slice());
			},
			onEnd(trailers) { onEnd(exchange, trailers); },
		}, { maxHeaderBytes, noBody: this.method === "HEAD" });
		return this.parser;
	}

	result(trailers: HeaderMap): HttpResponse {
		const head = this.#head!;
		let body: Uint8Array;
		if (this.#parts.length === 1) body = this.#parts[0];
		else {
			body = new Uint8Array(this.#bytes);
			let at = 0;
			for (const part of this.#parts) {
				body.set(part, at);
				at += part.byteLength;
			}
		}
		this.#parts = [];
		return {
			status: head.status, reason: head.reason, headers: head.headers, trailers, body,
			text() { return utf8Decode(body); },
			json() { return JSON.parse(utf8Decode(body)); },
		};
	}
}

/** A request whose body is streamed in chunks: from HttpClient.stream(). */
export class BodyStream {
	#client: HttpClient;
	#exchange: Exchange;
	#first = true;
	#ended = false;
	#writing = false;
	#verify: (() => boolean) | undefined;
	// "\r\n", a chunk size of up to 2^53 in hex (14 digits), "\r\n"
	readonly #line = new Uint8Array(18);

	/** @internal */
	constructor(client: HttpClient, exchange: Exchange) {
		this.#client = client;
		this.#exchange = exchange;
	}

	/** The response; it may come before end() (a server refusing early), which fails further writes. */
	get response(): Promise<HttpResponse> { return this.#exchange.response; }

	/** A write is pending (the next must wait for it). */
	get writing(): boolean { return this.#writing; }

	/** The whole request went out, its end included (a server may have acted on it, answered or not). */
	get complete(): boolean { return this.#exchange.requestComplete; }

	/**
	 * Sends one chunk made of these views, in order. Resolves when the socket took every byte (so
	 * the views may change after); wait for it before the next write. `verify`, when given, runs
	 * after the views were handed over and before the chunk is terminated: returning false aborts
	 * the request (the server sees a broken body and stores nothing) — for views of a ring that
	 * the writer may have overwritten meanwhile.
	 * Not an async function: a segment's every fragment comes here, and an async call and its
	 * await cost XS ~1 KB of garbage; the connection's promise and one step after it do.
	 */
	write(chunks: Chunks | Uint8Array, verify?: () => boolean): Promise<void> {
		const list: Chunks = chunks instanceof Uint8Array ? [chunks] : chunks;
		if (this.#ended) return Promise.reject(new Error("write after end"));
		if (this.#writing) return Promise.reject(new Error("write while a write is pending: await each write"));
		const total = totalLength(list);
		if (!total) return Promise.resolve();
		if (!this.#exchange.begun) return this.#writeWhenBegun(list, total, verify);
		return this.#writeNow(list, total, verify);
	}

	/** A write before the exchange owns the connection (a segment's first, often): it waits for it. */
	async #writeWhenBegun(list: Chunks, total: number, verify: (() => boolean) | undefined): Promise<void> {
		this.#writing = true;
		try {
			await this.#exchange.started;
		}
		finally {
			this.#writing = false;
		}
		return this.#writeNow(list, total, verify);
	}

	#writeNow(list: Chunks, total: number, verify: (() => boolean) | undefined): Promise<void> {
		const exchange = this.#exchange;
		if (exchange.failure) return Promise.reject(exchange.failure);
		// The previous chunk's CRLF goes in front of this one's size line: a chunk is
		// terminated only after its views were verified.
		const line = this.#sizeLine(total);
		this.#first = false;
		this.#writing = true;
		this.#verify = verify;
		return this.#client._send(exchange, list, line).then(this.#written, this.#unwritten);
	}

	/** "\r\n" after the previous chunk, then `total` in hex and "\r\n", in the stream's one buffer
	 * (a write holds it until the socket took it, and writes come one at a time). */
	#sizeLine(total: number): Uint8Array {
		const line = this.#line;
		let at = 0;
		if (!this.#first) {
			line[0] = 13;
			line[1] = 10;
			at = 2;
		}
		let digits = 1;
		for (let n = total; n >= 16; n = (n - (n % 16)) / 16) digits++;
		for (let i = at + digits - 1, n = total; i >= at; i--) {
			const digit = n % 16;
			line[i] = HEX_DIGITS[digit];
			n = (n - digit) / 16;
		}
		at += digits;
		line[at] = 13;
		line[at + 1] = 10;
		return new Uint8Array(line.buffer, 0, at + 2);
	}

	// What follows each write (one pair of functions per stream, not a closure per write).
	readonly #written = (): void => {
		this.#writing = false;
		const verify = this.#verify;
		this.#verify = undefined;
		if (verify && !verify()) {
			const error = new AbortedError("request body changed while it was sent");
			this.#client._fail(this.#exchange, error);
			throw error;
		}
	};

	readonly #unwritten = (error: unknown): never => {
		this.#writing = false;
		this.#verify = undefined;
		throw error;
	};

	/** Ends the body, with trailer fields after it; resolves with the response. */
	async end(trailers: Record<string, string> = {}): Promise<HttpResponse> {
		if (this.#ended) return this.#exchange.response;
		if (this.#writing) throw new Error("end while a write is pending: await each write");
		this.#ended = true;
		let text = `${this.#first ? "" : "\r\n"}0\r\n`;
		for (const name in trailers) text += field(name, trailers[name]);
		const last = asciiEncode(`${text}\r\n`);
		await this.#exchange.started;
		if (this.#exchange.finished) return this.#exchange.response;
		if (this.#exchange.failure) throw this.#exchange.failure;
		await this.#client._send(this.#exchange, [last]);
		this.#exchange.requestComplete = true;
		return this.#exchange.response;
	}

	/** Abandons the request: the connection is closed so the server stores nothing of it. */
	abort(reason = "request aborted"): void {
		this.#ended = true;
		this.#client._fail(this.#exchange, new AbortedError(reason));
	}
}

export class HttpClient implements ConnectionEvents {
	#options: HttpClientOptions;
	#host: string;
	#connection: Connection | undefined;
	#reused = false;
	#queue: Exchange[] = [];
	#active: Exchange | undefined;
	#closed = false;

	constructor(options: HttpClientOptions) {
		if (!options || typeof options.address !== "string" || !(options.port > 0 && options.port < 65536))
			throw new TypeError("HttpClient needs { address, port }");
		this.#options = options;
		this.#host = options.host ?? `${options.address}:${options.port}`;
		field("Host", this.#host);
	}

	/** Whether a connection is open (idle or busy): for tests and memory figures. */
	get connected(): boolean { return !!this.#connection && !this.#connection.closed; }

	/** Sends a request with a fixed body (or none); resolves with the whole response. */
	request(options: RequestOptions): Promise<HttpResponse> {
		let body: Chunks;
		if (options.body === undefined) body = [];
		else if (typeof options.body === "string") body = [utf8Encode(options.body)];
		else if (options.body instanceof Uint8Array) body = [options.body];
		else body = options.body;
		const method = options.method ?? (options.body === undefined ? "GET" : "PUT");
		const length = totalLength(body);
		const framing = options.body !== undefined || WITH_BODY.test(method) ? field("Content-Length", String(length)) : "";
		const exchange = new Exchange(method, this.#head(method, options.path, options.headers, framing), body, false,
			this.#options.maxBodyBytes ?? 65536, options.onData);
		exchange.onHead = options.onHead;
		this.#enqueue(exchange);
		return exchange.response;
	}

	/** Starts a request with a chunked body: write() the chunks, then end(trailers). */
	stream(options: StreamOptions): BodyStream {
		const method = options.method ?? "PUT";
		let framing = field("Transfer-Encoding", "chunked");
		if (options.trailers?.length) {
			for (const name of options.trailers) field(name, "");
			framing += field("Trailer", options.trailers.join(", "));
		}
		const exchange = new Exchange(method, this.#head(method, options.path, options.headers, framing), [], true,
			this.#options.maxBodyBytes ?? 65536, options.onData);
		this.#enqueue(exchange);
		return new BodyStream(this, exchange);
	}

	/** Closes the connection; queued and running requests fail with AbortedError. */
	close(): void {
		this.#closed = true;
		const error = new AbortedError("client closed");
		// Swapped, not splice(0): XS's splice of an empty array memcpys from NULL (UBSan says so).
		const queued = this.#queue;
		this.#queue = [];
		for (const exchange of queued) this.#settle(exchange, error);
		if (this.#active) this._fail(this.#active, error);
		this.#connection?.close(error);
		this.#connection = undefined;
	}

	#head(method: string, path: string, headers: Record<string, string> | undefined, framing: string): Uint8Array {
		if (!isToken(method)) throw new TypeError(`bad method ${JSON.stringify(method)}`);
		if (typeof path !== "string" || !REQUEST_TARGET.test(path)) throw new TypeError(`bad request target ${JSON.stringify(path)}`);
		let text = `${method} ${path} HTTP/1.1\r\n${field("Host", this.#host)}`;
		for (const name in headers) {
			if (CLIENT_HEADERS.test(name)) throw new TypeError(`header ${name} is set by the client`);
			text += field(name, headers[name]);
		}
		if (this.#options.keepAliveTimeout === 0) text += "Connection: close\r\n";
		return asciiEncode(`${text}${framing}\r\n`);
	}

	#enqueue(exchange: Exchange): void {
		if (this.#closed) {
			this.#settle(exchange, new AbortedError("client closed"));
			return;
		}
		this.#queue.push(exchange);
		this.#next();
	}

	#next(): void {
		if (this.#active || !this.#queue.length) return;
		const exchange = this.#queue.shift()!;
		this.#active = exchange;
		let connection = this.#connection;
		this.#reused = !!connection && !connection.closed;
		if (!this.#reused) {
			try {
				connection = this.#connection = this.#connect();
			}
			catch (error) {
				this.#active = undefined;
				this.#settle(exchange, error as NetError);
				return this.#next();
			}
		}
		connection!.setIdleTimeout(this.#options.idleTimeout ?? 30_000);
		exchange.newParser(this.#options.maxHeaderBytes ?? 8192, (done, trailers) => this.#ended(done, trailers));
		// A fixed body is complete once sent; a stream's is complete at end(). Failures reach the
		// exchange through the connection, so these promises are only marked handled.
		const sent = this._send(exchange, exchange.body, exchange.head);
		if (exchange.streamed) sent.catch(() => {});
		else sent.then(() => { exchange.requestComplete = true; }, () => {});
		exchange.startedResolve();
	}

	#connect(): Connection {
		return new Connection(this.#options, this);
	}

	/** @internal (ConnectionEvents) */
	connectionOpened(): void {}
	/** @internal (ConnectionEvents) */
	connectionData(bytes: Uint8Array): void { this.#data(bytes); }
	/** @internal (ConnectionEvents) */
	connectionClosed(error: NetError): void { this.#lost(error); }

	/**
	 * @internal: queue pieces of the active exchange (head and fixed body go in one send). Not an
	 * async function: a body's writes come here, and the connection's own promise is all they need.
	 */
	_send(exchange: Exchange, pieces: Chunks, lead?: Uint8Array): Promise<void> {
		if (exchange.failure) return Promise.reject(exchange.failure);
		const connection = this.#connection;
		if (this.#active !== exchange || !connection) return Promise.reject(new AbortedError("request is not running"));
		// A stream's head is still going out when its first chunk is written: queue behind it.
		if (connection.sending) return this.#sendAfter(exchange, pieces, lead);
		return exchange.sending = connection.send(pieces, lead);
	}

	async #sendAfter(exchange: Exchange, pieces: Chunks, lead: Uint8Array | undefined): Promise<void> {
		await exchange.sending;
		return this._send(exchange, pieces, lead);
	}

	/** @internal: fails one exchange; its connection cannot carry anything else. */
	_fail(exchange: Exchange, error: NetError): void {
		if (exchange.failure) return;
		if (this.#active === exchange) {
			this.#active = undefined;
			const connection = this.#connection;
			this.#connection = undefined;
			exchange.failure = error;
			connection?.close(error);
			this.#settle(exchange, error);
			this.#next();
			return;
		}
		const at = this.#queue.indexOf(exchange);
		if (at >= 0) this.#queue.splice(at, 1);
		this.#settle(exchange, error);
	}

	#settle(exchange: Exchange, error: NetError): void {
		exchange.failure ??= error;
		exchange.startedResolve();
		exchange.reject(error);
	}

	#data(bytes: Uint8Array): void {
		const exchange = this.#active;
		if (!exchange?.parser) {
			// Nothing was asked: a server that talks out of turn is not to be trusted with the next request.
			this.#connection?.close();
			this.#connection = undefined;
			return;
		}
		let used: number;
		try {
			used = exchange.parser.push(bytes);
		}
		catch (error) {
			return this._fail(exchange, error instanceof NetError ? error : new ProtocolError(String((error as Error)?.message ?? error)));
		}
		if (used < bytes.length && this.#connection) {
			// Bytes after the end of the response: we never pipeline, so the stream is out of step.
			this.#connection.close();
			this.#connection = undefined;
		}
	}

	#ended(exchange: Exchange, trailers: HeaderMap): void {
		this.#active = undefined;
		const reusable = exchange.parser!.keepAlive && exchange.requestComplete && (this.#options.keepAliveTimeout ?? 4000) > 0;
		const connection = this.#connection;
		if (connection && reusable) connection.setIdleTimeout(this.#options.keepAliveTimeout ?? 4000, "keepalive");
		else {
			this.#connection = undefined;
			connection?.close();
		}
		exchange.finished = true;
		exchange.startedResolve();
		exchange.resolve(exchange.result(trailers));
		// Later writes of a stream answered early find the exchange finished.
		exchange.failure ??= new AbortedError("the server answered before the request body was complete");
		// The next request starts after #data has seen the rest of these bytes: bytes beyond the
		// response drop the connection first, instead of being read as the next one's answer.
		Promise.resolve().then(() => this.#next());
	}

	#lost(error: NetError): void {
		this.#connection = undefined;
		const exchange = this.#active;
		if (!exchange) return;   // an idle connection closed by the server or its keep-alive timer
		const parser = exchange.parser!;
		if (parser.untilClose && error instanceof ConnectionResetError) {
			try {
				parser.end();
			}
			catch (e) {
				this._fail(exchange, e as NetError);
			}
			return;
		}
		if (this.#reused && !parser.started && exchange.retryable && error instanceof ConnectionResetError) {
			// The server closed the kept-alive connection as we reused it: once more, on a new one.
			exchange.retried = true;
			this.#active = undefined;
			this.#queue.unshift(exchange);
			return this.#next();
		}
		if (error instanceof ConnectionResetError) {
			// The socket's words (reset, or closed), and where in the exchange it happened.
			const where = parser.started ? "in the middle of the response" : "before a response";
			error = new ConnectionResetError(`${error.message} ${where}`, error);
		}
		this._fail(exchange, error);
	}
}
