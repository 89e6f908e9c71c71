/**
 * An incremental HTTP/1.1 response parser (RFC 9112): fed whatever the socket gives, in any
 * split, it reports the head, the body bytes (views of the input, never copied) and the end.
 * No sockets and no clocks, so it runs the same under Node and XS and is tested byte by byte.
 *
 * Limits: the status line, the headers and the trailers together are at most `maxHeaderBytes`
 * (a peer cannot make the camera hold an unbounded head); a chunk-size line is at most 1 KiB.
 * Anything malformed is a ProtocolError (or LimitError) and the parser stops for good.
 */
import { asciiBytes, asciiText, stringBytes } from "../protocol/ascii.js";
import { LimitError, ProtocolError } from "./errors.js";
import { pattern } from "../protocol/pattern.js";

/** Lower-case names → values, on a null prototype: a `Constructor:` or `__proto__:` header is a header like any other. */
// Patterns compiled once, not at each evaluation: XS compiles a literal every time one runs
// (bench board_cpu counts each compile on the request path).
const CLOSE_TOKEN = pattern(/\bclose\b/i);
const KEEP_ALIVE_TOKEN = pattern(/\bkeep-alive\b/i);
const CHUNKED_LAST = pattern(/(^|,)\s*chunked\s*$/i);
const CONTENT_LENGTH = pattern(/^[0-9]{1,15}$/);
const CHUNK_SIZE_LINE = pattern(/^([0-9A-Fa-f]{1,8})[ \t]*(;[^\r\n]*)?\r?\n$/);

export type HeaderMap = Record<string, string>;

const headerMap = (): HeaderMap => Object.create(null) as HeaderMap;

/** A malformed line, for its error: its first 60 bytes, quoted. */
const quoted = (bytes: Uint8Array, start: number, end: number): string => JSON.stringify(asciiText(bytes, start, Math.min(end, start + 60)));

export interface ResponseHead {
	status: number;
	reason: string;
	/** Names in lower case; repeated fields joined with ", " (set-cookie is not special here). */
	headers: HeaderMap;
	/** True when the connection may carry another request after this response. */
	keepAlive: boolean;
}

export interface ParserEvents {
	onHead(head: ResponseHead): void;
	/** A view of the bytes passed to push(): copy it if it must outlive the call. */
	onData(bytes: Uint8Array): void;
	onEnd(trailers: HeaderMap): void;
}

const enum State { Head, Length, UntilClose, ChunkSize, ChunkData, ChunkEnd, Trailers, Done, Failed }

const MAX_CHUNK_LINE = 1024;
const SP = 32, HTAB = 9, CR = 13, LF = 10, COLON = 58;

/**
 * The status code of a status line `HTTP/1.0|1 SSS[ reason]` (RFC 9112 §4: the code is three
 * digits, the first 1–9), read where it lies; 0 when the line is not one. The reason may hold any
 * byte but a CR (the line's own CR is already off).
 */
function statusCode(bytes: Uint8Array, start: number, end: number): number {
	if (end - start < 12) return 0;
	for (let i = 0; i < 7; i++) if (bytes[start + i] !== HTTP_1_DOT[i]) return 0;
	const minor = bytes[start + 7], d0 = bytes[start + 9] - 0x30, d1 = bytes[start + 10] - 0x30, d2 = bytes[start + 11] - 0x30;
	if ((minor !== 0x30 && minor !== 0x31) || bytes[start + 8] !== SP) return 0;
	if (!(d0 >= 1 && d0 <= 9 && d1 >= 0 && d1 <= 9 && d2 >= 0 && d2 <= 9)) return 0;
	if (end > start + 12 && bytes[start + 12] !== SP) return 0;
	for (let i = start + 13; i < end; i++) if (bytes[i] === CR) return 0;
	return d0 * 100 + d1 * 10 + d2;
}

const HTTP_1_DOT = [0x48, 0x54, 0x54, 0x50, 0x2f, 0x31, 0x2e];   // "HTTP/1."

/** A byte of an RFC 9110 token (a field name, a method): a letter, a digit or one of !#$%&'*+-.^_`|~. */
export function tokenByte(b: number): boolean {
	const letter = b | 0x20;
	return (letter >= 0x61 && letter <= 0x7a) || (b >= 0x30 && b <= 0x39) || b === 0x21 || (b >= 0x23 && b <= 0x27) || b === 0x2a
		|| b === 0x2b || b === 0x2d || b === 0x2e || (b >= 0x5e && b <= 0x60) || b === 0x7c || b === 0x7e;
}

/** Whether `text` is an RFC 9110 token. */
export function isToken(text: string): boolean {
	const bytes = stringBytes(text);
	if (!bytes.length) return false;
	for (let i = 0; i < bytes.length; i++) if (!tokenByte(bytes[i])) return false;
	return true;
}

export class ResponseParser {
	#events: ParserEvents;
	#maxHeaderBytes: number;
	#state = State.Head;
	#text = "";          // a line of the head or the trailers, or a chunk-size line, split between pushes
	#headBytes = 0;      // bytes of head and trailers so far (the limit covers both)
	#status = 0;         // the head's status code, once its status line was read
	#minor = 1;          // its HTTP/1.x
	#reason = "";
	#fields: HeaderMap | undefined;         // the head's or the trailers' fields so far
	#remaining = 0;      // body or chunk bytes still expected
	#noBody: boolean;
	#keepAlive = false;

	/** `noBody`: the request was HEAD (the response has headers only, whatever they say). */
	constructor(events: ParserEvents, { maxHeaderBytes = 8192, noBody = false } = {}) {
		this.#events = events;
		this.#maxHeaderBytes = maxHeaderBytes;
		this.#noBody = noBody;
	}

	get done(): boolean { return this.#state === State.Done; }
	/** The body runs until the peer closes (no length given): call end() on EOF. */
	get untilClose(): boolean { return this.#state === State.UntilClose; }
	/** Whether any byte of a response has arrived (a reused connection that fails before is safe to retry). */
	get started(): boolean { return this.#state !== State.Head || this.#text.length > 0 || this.#headBytes > 0; }

	/** Feeds bytes; returns how many were used (the rest belong to no response: a protocol error for a client). */
	push(bytes: Uint8Array): number {
		let at = 0;
		while (at < bytes.length) {
			switch (this.#state) {
			case State.Head:
			case State.Trailers:
				at = this.#takeLines(bytes, at);
				break;
			case State.ChunkSize:
				at = this.#takeChunkSize(bytes, at);
				break;
			case State.Length:
			case State.ChunkData: {
				const n = Math.min(this.#remaining, bytes.length - at);
				this.#remaining -= n;
				this.#events.onData(bytes.subarray(at, at + n));
				at += n;
				if (!this.#remaining) {
					if (this.#state === State.Length) this.#finish(headerMap());
					else this.#state = State.ChunkEnd;
				}
				break;
			}
			case State.ChunkEnd:
				at = this.#takeChunkEnd(bytes, at);
				break;
			case State.UntilClose:
				this.#events.onData(at ? bytes.subarray(at) : bytes);
				return bytes.length;
			case State.Done:
				return at;
			case State.Failed:
				throw new ProtocolError("response parser used after an error");
			}
		}
		return at;
	}

	/** The peer closed: fine only for a body that runs until close. */
	end(): void {
		if (this.#state === State.UntilClose) return this.#finish(headerMap());
		if (this.#state !== State.Done) this.#fail(new ProtocolError(`connection closed ${this.started ? "in the middle of the response" : "before a response"}`));
	}

	#fail(error: Error): never {
		this.#state = State.Failed;
		throw error;
	}

	#finish(trailers: HeaderMap): void {
		this.#state = State.Done;
		this.#events.onEnd(trailers);
	}

	// Head and trailers: a line at a time, each read where it lies in the pushed bytes (a line split
	// between pushes is put together first), within the byte limit. The camera parses a head at
	// every segment it uploads: it makes the status line's match, each field's name and value and
	// their map — not the head's text, its lines and their copies (bench board_memory).
	#takeLines(bytes: Uint8Array, at: number): number {
		let end = at;
		while (end < bytes.length && bytes[end] !== LF) end++;
		const found = end < bytes.length;
		const upto = found ? end + 1 : end;
		this.#headBytes += upto - at;
		if (this.#headBytes > this.#maxHeaderBytes)
			this.#fail(new LimitError(`response ${this.#state === State.Head ? "head" : "trailers"} larger than ${this.#maxHeaderBytes} bytes`));
		if (!found) {
			this.#text += asciiText(bytes, at, upto);
			return upto;
		}
		let line = bytes, start = at;
		if (this.#text) {
			line = asciiBytes(this.#text + asciiText(bytes, at, end));
			start = 0;
			end = line.length;
			this.#text = "";
		}
		if (end > start && line[end - 1] === CR) end--;
		this.#line(line, start, end);
		return upto;
	}

	#line(bytes: Uint8Array, start: number, end: number): void {
		if (start === end) {
			// the empty line: the head or the trailers end (blank lines before a status line are
			// tolerated, RFC 9112 §2.2)
			if (this.#state === State.Trailers) return this.#finish(this.#take());
			this.#headBytes = 0;
			if (this.#status) this.#head(this.#take());
			return;
		}
		if (this.#state === State.Head && !this.#status) {
			this.#status = statusCode(bytes, start, end);
			if (!this.#status) this.#fail(new ProtocolError(`malformed status line ${quoted(bytes, start, end)}`));
			this.#minor = bytes[start + 7] - 0x30;
			this.#reason = end > start + 13 ? asciiText(bytes, start + 13, end) : "";
			return;
		}
		if (bytes[start] === SP || bytes[start] === HTAB) this.#fail(new ProtocolError("obsolete header line folding"));
		let colon = start, upper = false;
		for (; colon < end && tokenByte(bytes[colon]); colon++) upper ||= bytes[colon] >= 0x41 && bytes[colon] <= 0x5a;
		if (colon === start || colon === end || bytes[colon] !== COLON) this.#fail(new ProtocolError(`malformed header line ${quoted(bytes, start, end)}`));
		let from = colon + 1, to = end;
		while (from < to && (bytes[from] === SP || bytes[from] === HTAB)) from++;
		while (to > from && (bytes[to - 1] === SP || bytes[to - 1] === HTAB)) to--;
		const name = asciiText(bytes, start, colon), key = upper ? name.toLowerCase() : name, value = asciiText(bytes, from, to);
		const fields = (this.#fields ??= headerMap());
		fields[key] = key in fields ? `${fields[key]}, ${value}` : value;
	}

	/** The fields read (a map without any when there were none), and none kept. */
	#take(): HeaderMap {
		const fields = this.#fields ?? headerMap();
		this.#fields = undefined;
		return fields;
	}

	#head(headers: HeaderMap): void {
		const status = this.#status;
		this.#status = 0;
		if (status < 200) return;   // 100 Continue and friends: the real response follows
		const connection = headers.connection ?? "";
		let keepAlive = this.#minor === 1 ? !CLOSE_TOKEN.test(connection) : KEEP_ALIVE_TOKEN.test(connection);
		const coding = headers["transfer-encoding"];
		const length = headers["content-length"];
		let state: State;
		if (this.#noBody || status === 204 || status === 304) state = State.Done;
		else if (coding !== undefined) {
			if (!CHUNKED_LAST.test(coding)) this.#fail(new ProtocolError(`unsupported transfer coding "${coding}"`));
			state = State.ChunkSize;
		}
		else if (length !== undefined) {
			if (!CONTENT_LENGTH.test(length)) this.#fail(new ProtocolError(`malformed content-length "${length}"`));
			this.#remaining = Number(length);
			state = this.#remaining ? State.Length : State.Done;
		}
		else {
			state = State.UntilClose;
			keepAlive = false;
		}
		this.#keepAlive = keepAlive;
		this.#state = state === State.Done ? State.Head : state;   // onHead may look at the state
		this.#events.onHead({ status, reason: this.#reason, headers, keepAlive });
		this.#state = state;
		if (state === State.Done) this.#events.onEnd(headerMap());
	}

	get keepAlive(): boolean { return this.#keepAlive; }

	#takeChunkSize(bytes: Uint8Array, at: number): number {
		let end = at;
		while (end < bytes.length && bytes[end] !== 10) end++;
		const found = end < bytes.length;
		const upto = found ? end + 1 : end;
		this.#text += asciiText(bytes, at, upto);
		if (this.#text.length > MAX_CHUNK_LINE) this.#fail(new LimitError("chunk-size line too long"));
		if (!found) return upto;
		const match = CHUNK_SIZE_LINE.exec(this.#text);
		this.#text = "";
		if (!match) this.#fail(new ProtocolError("malformed chunk size"));
		this.#remaining = parseInt(match[1], 16);
		this.#state = this.#remaining ? State.ChunkData : State.Trailers;
		return upto;
	}

	#takeChunkEnd(bytes: Uint8Array, at: number): number {
		// CRLF after the chunk's data (a bare LF is tolerated).
		const b = bytes[at];
		if (this.#text === "" && b === 13) {
			this.#text = "\r";
			return at + 1;
		}
		if (b !== 10) this.#fail(new ProtocolError("chunk data not followed by CRLF"));
		this.#text = "";
		this.#state = State.ChunkSize;
		return at + 1;
	}
}
