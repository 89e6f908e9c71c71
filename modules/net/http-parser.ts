/**
 * An incremental HTTP/1.1 response parser (RFC 9112): fed whatever the socket gives, in any
 * split, it reports the head, the body bytes (views of the input, never copied) and the end.
 * No sockets and no clocks, so it runs the same under Node and XS and is tested byte by byte.
 *
 * Limits: the status line, the headers and the trailers together are at most `maxHeaderBytes`
 * (a peer cannot make the camera hold an unbounded head); a chunk-size line is at most 1 KiB.
 * Anything malformed is a ProtocolError (or LimitError) and the parser stops for good.
 */
import { asciiText } from "../protocol/ascii.js";
import { LimitError, ProtocolError } from "./errors.js";
import { pattern } from "../protocol/pattern.js";

/** Lower-case names → values, on a null prototype: a `Constructor:` or `__proto__:` header is a header like any other. */
// Patterns compiled once, not at each evaluation: XS compiles a literal every time one runs
// (bench board_cpu counts each compile on the request path).
const STATUS_LINE = pattern(/^HTTP\x2f1\.([01]) ([1-9][0-9][0-9]) ?(.*)$/);
const CLOSE_TOKEN = pattern(/\bclose\b/);
const KEEP_ALIVE_TOKEN = pattern(/\bkeep-alive\b/);
const CHUNKED_LAST = pattern(/(^|,)\s*chunked\s*$/i);
const CONTENT_LENGTH = pattern(/^[0-9]{1,15}$/);
const CHUNK_SIZE_LINE = pattern(/^([0-9A-Fa-f]{1,8})[ \t]*(;[^\r\n]*)?\r?\n$/);

export type HeaderMap = Record<string, string>;

const headerMap = (): HeaderMap => Object.create(null) as HeaderMap;

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
/** A field name or method: an RFC 9110 token. */
export const TOKEN = pattern(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/);

export class ResponseParser {
	#events: ParserEvents;
	#maxHeaderBytes: number;
	#state = State.Head;
	#text = "";          // the head, a chunk-size line or the trailers, while they arrive
	#headBytes = 0;      // bytes of head and trailers so far (the limit covers both)
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

	// Head and trailers: text up to an empty line, within the byte limit.
	#takeLines(bytes: Uint8Array, at: number): number {
		let end = at;
		while (end < bytes.length && bytes[end] !== 10) end++;
		const found = end < bytes.length;
		const upto = found ? end + 1 : end;
		this.#headBytes += upto - at;
		if (this.#headBytes > this.#maxHeaderBytes)
			this.#fail(new LimitError(`response ${this.#state === State.Head ? "head" : "trailers"} larger than ${this.#maxHeaderBytes} bytes`));
		this.#text += asciiText(bytes, at, upto);
		if (!found) return upto;
		if (this.#text !== "\r\n" && this.#text !== "\n" && !this.#text.endsWith("\n\r\n") && !this.#text.endsWith("\n\n")) return upto;
		// (split on "\n" and a trailing "\r" cut: a regular expression there is compiled at every split)
		const lines = this.#text.split("\n").map((line) => (line.endsWith("\r") ? line.slice(0, -1) : line));
		this.#text = "";
		lines.length -= 2;   // the empty line and what follows its \n
		if (this.#state === State.Head) this.#head(lines);
		else this.#finish(this.#fields(lines, 0));
		return upto;
	}

	#fields(lines: string[], from: number): HeaderMap {
		const headers = headerMap();
		for (let i = from; i < lines.length; i++) {
			const line = lines[i];
			if (line[0] === " " || line[0] === "\t") this.#fail(new ProtocolError("obsolete header line folding"));
			const colon = line.indexOf(":");
			const name = colon > 0 ? line.slice(0, colon) : "";
			if (!TOKEN.test(name)) this.#fail(new ProtocolError(`malformed header line ${JSON.stringify(line.slice(0, 60))}`));
			const value = line.slice(colon + 1).trim();
			const key = name.toLowerCase();
			headers[key] = key in headers ? `${headers[key]}, ${value}` : value;
		}
		return headers;
	}

	#head(lines: string[]): void {
		if (!lines.length) {
			// Blank lines before a status line are tolerated (RFC 9112 §2.2).
			this.#headBytes = 0;
			return;
		}
		const match = STATUS_LINE.exec(lines[0]);
		if (!match) this.#fail(new ProtocolError(`malformed status line ${JSON.stringify(lines[0].slice(0, 60))}`));
		const status = Number(match[2]);
		const headers = this.#fields(lines, 1);
		if (status < 200) {
			// 100 Continue and friends: the real response follows.
			this.#headBytes = 0;
			return;
		}
		const connection = (headers.connection ?? "").toLowerCase();
		let keepAlive = match[1] === "1" ? !CLOSE_TOKEN.test(connection) : KEEP_ALIVE_TOKEN.test(connection);
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
		this.#headBytes = 0;
		this.#state = state === State.Done ? State.Head : state;   // onHead may look at the state
		this.#events.onHead({ status, reason: match[3], headers, keepAlive });
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
