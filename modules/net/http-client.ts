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
import { Connection, type ConnectionEvents, type ConnectionOptions, type SendCheck } from "./connection.js";
import { AbortedError, ConnectionResetError, LimitError, NetError, ProtocolError } from "./errors.js";
import { NO_NAMES, checkedMethod, checkedNames, field, fieldLines, requestLines } from "./http-head.js";
import { type HeaderMap, type ParserEvents, ResponseParser, type ResponseHead } from "./http-parser.js";
import { HEX_DIGITS } from "../protocol/hex.js";
import { pattern } from "../protocol/pattern.js";

// Patterns compiled once, not at each evaluation: XS compiles a literal every time one runs
// (bench board_cpu counts each compile on the request path).
const WITH_BODY = pattern(/^(PUT|POST|PATCH)$/);
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

export interface StreamTemplateOptions extends Omit<StreamOptions, "path"> {
	/** Names of the fields each request of the template gives its own value (an Authorization), in
	 * the order `stream()` takes the values. `headers` holds the fields every request sends alike. */
	varying?: readonly string[];
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

const IDEMPOTENT = pattern(/^(GET|HEAD|PUT|DELETE|OPTIONS)$/);

const NO_PIECES: Chunks = Object.freeze([]);

/** A response as the client hands it out: its body read as text or JSON on demand. */
class Response implements HttpResponse {
	readonly status: number;
	readonly reason: string;
	readonly headers: HeaderMap;
	readonly trailers: HeaderMap;
	readonly body: Uint8Array;

	constructor(head: ResponseHead, trailers: HeaderMap, body: Uint8Array) {
		this.status = head.status;
		this.reason = head.reason;
		this.headers = head.headers;
		this.trailers = trailers;
		this.body = body;
	}

	text(): string { return utf8Decode(this.body); }
	json(): unknown { return JSON.parse(utf8Decode(this.body)); }
}

/** One request and its response; the response parser's events come to it. */
class Exchange implements ParserEvents, SendCheck {
	readonly method: string;
	readonly streamed: boolean;
	/** The caller's reader of the body (RequestOptions.onData), instead of buffering it. */
	readonly onDataHook?: (bytes: Uint8Array) => void;
	/** The caller's look at the status and headers before the body (RequestOptions.onHead). */
	headHook?: (status: number, headers: HeaderMap) => void;
	/** What goes out when the exchange starts: the request's own lines, then the template's fixed
	 * fields and a fixed body's views (a stream's body is written later). */
	lead: Uint8Array;
	pieces: Chunks;
	parser: ResponseParser | undefined;
	/** The whole request went out (a connection is reusable only then). */
	requestComplete = false;
	retried = false;
	/** The exchange owns the connection and its head is queued (or it ended before that). */
	begun = false;
	failure: NetError | undefined;

	/** The response arrived. */
	finished = false;
	#head: ResponseHead | undefined;
	#parts: Uint8Array[] = [];
	#bytes = 0;
	#maxBodyBytes: number;
	#onEnd: ((exchange: Exchange, trailers: HeaderMap) => void) | undefined;
	/** Made only when someone waits for the start (a write or end before it): most never do. */
	#started: Promise<void> | undefined;
	#startedResolve: (() => void) | undefined;
	/** The response's promise, made when someone asks for it (a caller that never does leaves no
	 * rejection unhandled); what settles it is kept for a promise made later. */
	#response: Promise<HttpResponse> | undefined;
	#answer: HttpResponse | undefined;
	#rejection: NetError | undefined;
	#resolveResponse: ((response: HttpResponse) => void) | undefined;
	#rejectResponse: ((error: NetError) => void) | undefined;

	constructor(method: string, lead: Uint8Array, pieces: Chunks, streamed: boolean, maxBodyBytes: number, onData?: (bytes: Uint8Array) => void) {
		this.method = method;
		this.lead = lead;
		this.pieces = pieces;
		this.streamed = streamed;
		this.onDataHook = onData;
		this.#maxBodyBytes = maxBodyBytes;
	}

	get response(): Promise<HttpResponse> {
		if (this.#response) return this.#response;
		if (this.#answer) return this.#response = Promise.resolve(this.#answer);
		if (this.#rejection) return this.#response = Promise.reject(this.#rejection);
		return this.#response = new Promise<HttpResponse>((resolve, reject) => {
			this.#resolveResponse = resolve;
			this.#rejectResponse = reject;
		});
	}

	resolve(answer: HttpResponse): void {
		if (this.#answer || this.#rejection) return;
		this.#answer = answer;
		this.#resolveResponse?.(answer);
	}

	reject(error: NetError): void {
		if (this.#answer || this.#rejection) return;
		this.#rejection = error;
		this.#rejectResponse?.(error);
	}

	/** Resolves once the exchange has begun (at once when it has). */
	get started(): Promise<void> {
		if (this.begun) return Promise.resolve();
		return this.#started ??= new Promise<void>((resolve) => { this.#startedResolve = resolve; });
	}

	/** The exchange owns the connection (or ended before): what waited for it goes on. */
	begin(): void {
		this.begun = true;
		this.#startedResolve?.();
		this.#startedResolve = undefined;
	}

	/** Why nothing more may be sent: its failure, or its answer came (a stream answered early). */
	refusal(): NetError | undefined {
		if (this.failure) return this.failure;
		// Made when a write asks, not at every answer: an error is costly on XS (its stack is captured).
		if (this.finished) return new AbortedError("the server answered before the request body was complete");
		return undefined;
	}

	get retryable(): boolean {
		return !this.streamed && !this.retried && IDEMPOTENT.test(this.method);
	}

	newParser(maxHeaderBytes: number, onEnd: (exchange: Exchange, trailers: HeaderMap) => void): ResponseParser {
		this.#head = undefined;
		this.#parts = [];
		this.#bytes = 0;
		this.#onEnd = onEnd;
		return this.parser = new ResponseParser(this, { maxHeaderBytes, noBody: this.method === "HEAD" });
	}

	/** @internal (SendCheck, of the request's last send): the whole request went out. */
	sent(): boolean {
		this.requestComplete = true;
		return true;
	}

	/** @internal (ParserEvents) */
	onHead(head: ResponseHead): void {
		this.#head = head;
		this.headHook?.(head.status, head.headers);
	}

	/** @internal (ParserEvents) */
	onData(bytes: Uint8Array): void {
		if (this.onDataHook) return this.onDataHook(bytes);
		this.#bytes += bytes.byteLength;
		if (this.#bytes > this.#maxBodyBytes) throw new LimitError(`response body larger than ${this.#maxBodyBytes} bytes`);
		this.#parts.push(bytes.slice());
	}

	/** @internal (ParserEvents) */
	onEnd(trailers: HeaderMap): void {
		this.#onEnd!(this, trailers);
	}

	result(trailers: HeaderMap): HttpResponse {
		let body: Uint8Array;
		if (this.#parts.length === 1) body = this.#parts[0];
		else {
			body = new Uint8Array(this.#bytes);
			let at = 0;
			for (let i = 0; i < this.#parts.length; i++) {
				body.set(this.#parts[i], at);
				at += this.#parts[i].byteLength;
			}
		}
		this.#parts = [];
		return new Response(this.#head!, trailers, body);
	}
}

/** A request whose body is streamed in chunks: from HttpClient.stream(). */
export class BodyStream implements SendCheck {
	#client: HttpClient;
	#exchange: Exchange;
	#first = true;
	#ended = false;
	#writing = false;
	#verify: (() => boolean) | undefined;
	// "\r\n", a chunk size of up to 2^53 in hex (14 digits), "\r\n"
	readonly #line = new Uint8Array(18);
	#lineView: Uint8Array | undefined;

	/** Names of the trailer fields announced, for end() given their values only. */
	readonly #trailers: readonly string[];

	/** @internal */
	constructor(client: HttpClient, exchange: Exchange, trailers: readonly string[]) {
		this.#client = client;
		this.#exchange = exchange;
		this.#trailers = trailers;
	}

	/** The response; it may come before end() (a server refusing early), which fails further writes. */
	get response(): Promise<HttpResponse> { return this.#exchange.response; }

	/** A write is pending (the next must wait for it); not once the request failed or was answered. */
	get writing(): boolean { return this.#writing && !this.#exchange.failure && !this.#exchange.finished; }

	/** The whole request went out, its end included (a server may have acted on it, answered or not). */
	get complete(): boolean { return this.#exchange.requestComplete; }

	/**
	 * Sends one chunk made of these views, in order. Resolves when the socket took every byte (so
	 * the views may change after); wait for it before the next write. `verify`, when given, runs
	 * after the views were handed over and before the chunk is terminated: returning false aborts
	 * the request (the server sees a broken body and stores nothing) — for views of a ring that
	 * the writer may have overwritten meanwhile.
	 * Not an async function, and no step after the connection's own promise: a segment's every
	 * fragment comes here, and each promise or await costs XS ~0.5 KB of garbage.
	 */
	write(chunks: Chunks | Uint8Array, verify?: () => boolean): Promise<void> {
		const list: Chunks = chunks instanceof Uint8Array ? [chunks] : chunks;
		if (this.#ended) return Promise.reject(new Error("write after end"));
		if (this.writing) return Promise.reject(new Error("write while a write is pending: await each write"));
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
		const refusal = exchange.refusal();
		if (refusal) return Promise.reject(refusal);
		// The previous chunk's CRLF goes in front of this one's size line: a chunk is
		// terminated only after its views were verified.
		const line = this.#sizeLine(total);
		this.#first = false;
		this.#writing = true;
		this.#verify = verify;
		return this.#client._send(exchange, list, line, this);
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
		// A segment's fragments are of a size: the last view of the buffer fits most lines again.
		if (this.#lineView?.length !== at + 2) this.#lineView = new Uint8Array(line.buffer, 0, at + 2);
		return this.#lineView;
	}

	/** @internal (SendCheck, of a write): the socket took its last byte. False — its views changed
	 * meanwhile (`verify`) — fails the connection, so the chunk is never terminated and the server
	 * stores nothing. */
	sent(): boolean {
		this.#writing = false;
		const verify = this.#verify;
		this.#verify = undefined;
		return !verify || verify();
	}

	/**
	 * Ends the body, with trailer fields after it: by name, or the values of the fields announced
	 * (`trailers` of the stream or its template), in their order. Resolves with the response. Not
	 * an async function: a segment ends here every couple of seconds, and each await is garbage.
	 */
	end(trailers: Record<string, string> | readonly string[] = NO_NAMES): Promise<HttpResponse> {
		const exchange = this.#exchange;
		if (this.#ended) return exchange.response;
		if (this.writing) return Promise.reject(new Error("end while a write is pending: await each write"));
		let last: Uint8Array;
		try {
			last = this.#last(trailers);
		}
		catch (error) {
			return Promise.reject(error);
		}
		this.#ended = true;
		if (!exchange.begun) return exchange.started.then(() => this.#endNow(last));
		return this.#endNow(last);
	}

	/** The body's last chunk and the trailer section, checked on its bytes as a request's lines are. */
	#last(trailers: Record<string, string> | readonly string[]): Uint8Array {
		let names = this.#trailers, values = trailers as readonly string[];
		if (!Array.isArray(trailers)) {
			const byName = trailers as Record<string, string>, given: string[] = [], of: string[] = [];
			for (const name in byName) {
				given.push(name);
				of.push(byName[name]);
			}
			names = checkedNames(given);
			values = of;
		}
		return fieldLines(this.#first ? "0\r\n" : "\r\n0\r\n", names, values, "\r\n");
	}

	/** Sends the last chunk; the answer is the response's (a failure to send fails the exchange). */
	#endNow(last: Uint8Array): Promise<HttpResponse> {
		const exchange = this.#exchange;
		if (exchange.finished || exchange.failure) return exchange.response;
		if (!this.#client._post(exchange, last, exchange))
			return this.#client._send(exchange, NO_PIECES, last, exchange).then(() => exchange.response);
		return exchange.response;
	}

	/** Abandons the request: the connection is closed so the server stores nothing of it. */
	abort(reason = "request aborted"): void {
		this.#ended = true;
		this.#client._fail(this.#exchange, new AbortedError(reason));
	}
}

/**
 * Streamed requests that differ only in their path and a few fields' values — a channel's segment
 * PUTs, one every couple of seconds for as long as the camera runs. The method, the names, the
 * fields every request sends alike, Host and the framing are checked and encoded once, here; each
 * stream() encodes its request line and its values in one string and checks them on its bytes.
 */
export class StreamTemplate {
	readonly #client: HttpClient;
	readonly #method: string;
	readonly #varying: readonly string[];
	readonly #trailers: readonly string[];
	/** The head's fixed fields and its blank line: what follows each request's own lines. */
	readonly #fixed: Chunks;
	readonly #onData: ((bytes: Uint8Array) => void) | undefined;

	/** @internal (HttpClient.streams) */
	constructor(client: HttpClient, options: StreamTemplateOptions) {
		this.#client = client;
		this.#method = checkedMethod(options.method ?? "PUT");
		this.#varying = checkedNames(options.varying);
		for (let i = 0; i < this.#varying.length; i++) {
			const name = this.#varying[i];
			if (CLIENT_HEADERS.test(name)) throw new TypeError(`header ${name} is set by the client`);
			if (options.headers && name in options.headers) throw new TypeError(`header ${name} is both fixed and varying`);
		}
		this.#trailers = checkedNames(options.trailers);
		let framing = field("Transfer-Encoding", "chunked");
		if (this.#trailers.length) framing += field("Trailer", this.#trailers.join(", "));
		this.#fixed = [client._fixedFields(options.headers, framing)];
		this.#onData = options.onData;
	}

	/** Starts one request: its path, and the values of the `varying` fields in their order. */
	stream(path: string, values: readonly string[] = NO_NAMES): BodyStream {
		const exchange = new Exchange(this.#method, requestLines(this.#method, path, this.#varying, values), this.#fixed, true,
			this.#client._maxBodyBytes, this.#onData);
		return this.#client._stream(exchange, this.#trailers);
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
	/** Each exchange's end comes here (one function for the client's life, not one per exchange). */
	readonly #exchangeEnded = (exchange: Exchange, trailers: HeaderMap): void => this.#ended(exchange, trailers);

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
		const method = checkedMethod(options.method ?? (options.body === undefined ? "GET" : "PUT"));
		const length = totalLength(body);
		const framing = options.body !== undefined || WITH_BODY.test(method) ? field("Content-Length", String(length)) : "";
		const lead = requestLines(method, options.path, NO_NAMES, NO_NAMES);
		const exchange = new Exchange(method, lead, [this._fixedFields(options.headers, framing), ...body], false,
			this.#options.maxBodyBytes ?? 65536, options.onData);
		exchange.headHook = options.onHead;
		this.#enqueue(exchange);
		return exchange.response;
	}

	/** Starts a request with a chunked body: write() the chunks, then end(trailers). */
	stream(options: StreamOptions): BodyStream {
		return this.streams(options).stream(options.path);
	}

	/** A template for streamed requests made again and again, which differ only in their path and the `varying` fields' values. */
	streams(options: StreamTemplateOptions): StreamTemplate {
		return new StreamTemplate(this, options);
	}

	/**
	 * @internal: the head's fields after a request's own lines, its blank line included: Host, the
	 * caller's `headers`, Connection when no connection is kept alive, the body's framing. Checked
	 * and encoded here, once per template.
	 */
	_fixedFields(headers: Record<string, string> | undefined, framing: string): Uint8Array {
		let text = field("Host", this.#host);
		for (const name in headers) {
			if (CLIENT_HEADERS.test(name)) throw new TypeError(`header ${name} is set by the client`);
			text += field(name, headers[name]);
		}
		if (this.#options.keepAliveTimeout === 0) text += "Connection: close\r\n";
		return asciiEncode(`${text}${framing}\r\n`);
	}

	/** @internal: queues a streamed exchange (from a template) and gives its body's writer. */
	_stream(exchange: Exchange, trailers: readonly string[]): BodyStream {
		this.#enqueue(exchange);
		return new BodyStream(this, exchange, trailers);
	}

	/** @internal: maxBodyBytes, for a template's exchanges. */
	get _maxBodyBytes(): number { return this.#options.maxBodyBytes ?? 65536; }

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
		exchange.newParser(this.#options.maxHeaderBytes ?? 8192, this.#exchangeEnded);
		// A fixed body is complete once sent; a stream's is complete at end(). Failures reach the
		// exchange through the connection (connectionClosed): no promise is needed here.
		connection!.post(exchange.pieces, exchange.lead, exchange.streamed ? undefined : exchange);
		exchange.begin();
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
	 * @internal: sends pieces of the active exchange (Connection.send: `check` is looked at when the
	 * socket took the last byte). Not an async function: a body's writes come here, and the connection's
	 * own promise is all they need.
	 */
	_send(exchange: Exchange, pieces: Chunks, lead?: Uint8Array, check?: SendCheck): Promise<void> {
		const refusal = exchange.refusal();
		if (refusal) return Promise.reject(refusal);
		const connection = this.#connection;
		if (this.#active !== exchange || !connection) return Promise.reject(new AbortedError("request is not running"));
		// A stream's head is still going out when its first chunk is written: queue behind it.
		if (connection.sending) return this.#sendAfter(connection, exchange, pieces, lead, check);
		return connection.send(pieces, lead, check);
	}

	async #sendAfter(connection: Connection, exchange: Exchange, pieces: Chunks, lead: Uint8Array | undefined, check: SendCheck | undefined): Promise<void> {
		await connection.whenSent();
		return this._send(exchange, pieces, lead, check);
	}

	/** @internal: _send without a promise, when the connection is free for it now (false: it is not; use _send). */
	_post(exchange: Exchange, lead: Uint8Array, check: SendCheck): boolean {
		const connection = this.#connection;
		if (this.#active !== exchange || !connection || connection.sending) return false;
		connection.post(NO_PIECES, lead, check);
		return true;
	}

	/** @internal: fails one exchange; its connection cannot carry anything else. */
	_fail(exchange: Exchange, error: NetError): void {
		if (exchange.failure || exchange.finished) return;
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
		exchange.begin();
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
		this.#next();   // (when the response ended)
	}

	#ended(exchange: Exchange, trailers: HeaderMap): void {
		this.#active = undefined;
		const reusable = exchange.parser!.keepAlive && exchange.requestComplete && (this.#options.keepAliveTimeout ?? 4000) > 0;
		const connection = this.#connection;
		if (connection && reusable && !connection.sending) connection.setIdleTimeout(this.#options.keepAliveTimeout ?? 4000, "keepalive");
		else {
			this.#connection = undefined;
			connection?.close();
		}
		exchange.finished = true;
		exchange.begin();
		exchange.resolve(exchange.result(trailers));
		// The next request starts when #data has seen the rest of these bytes (or #lost its end):
		// bytes beyond the response drop the connection first, instead of being read as the next
		// one's answer.
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
				return this._fail(exchange, e as NetError);
			}
			return this.#next();
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
