/**
 * The device side of cloud/PROTOCOL.md §1, §2 and §5: the signing key, signed request headers,
 * streamed bodies hashed on the way out and closed with the two trailers, and the MQTT password.
 *
 * The hashing is injected (`SigningCrypto`): the app passes ivxs/platform's (C on every host:
 * mbedTLS on the Linux host, the SDK's crypt on Moddable builds); under Node, node:crypto. So this
 * file runs the same everywhere and never hashes in JS.
 */
import { type Chunks, toHex } from "./bytes.js";
import type { BodyStream, HttpClient, HttpResponse, RequestOptions, StreamTemplate } from "./http-client.js";
import { type HmacSha256, type SignedHeaders, clockIsOff, cloudTimePath, CONTENT_SHA256, EMPTY_SHA256, isDeviceId, mqttPassword, SECRET_LENGTH, signingKey, signRequest, STREAMING, TRAILERS, offsetOfCloudTime, trailerSignature } from "../protocol/index.js";

type Bytes = string | Uint8Array | ArrayBuffer;

export interface SigningDigest {
	update(data: Bytes | readonly Bytes[]): unknown;
	digest(): ArrayBuffer;
	close(): void;
}

export interface SigningCrypto {
	hmacSha256(key: Bytes, data: Bytes | readonly Bytes[]): ArrayBuffer;
	Digest: new () => SigningDigest;
}

export interface SignerOptions {
	/** The device's own clock, unix ms (default Date.now); the cloud refuses signatures more than 300 s off its own. */
	clock?: () => number;
	/** A fresh nonce, 16–64 hex digits (default: 32 from Math.random and a counter). */
	nonce?: () => string;
	/** Milliseconds from any origin, never set or stepped (default: `clock`): times the time exchange's round trip. */
	monotonic?: () => number;
}

let counter = 0;

function defaultNonce(): string {
	// Unique, not secret: the nonce only stops replays (the signature covers it). The clock
	// keeps it unique across restarts: a board's Math.random may start from the same seed
	// at every boot (mcsim's does), and the counter always does. 16 bytes — the counter, the
	// clock's ms, randomness — made as bytes and written as hex once (no string per part).
	counter = (counter + 1) >>> 0;
	const bytes = new Uint8Array(16);
	for (let i = 3, n = counter; i >= 0; i--, n >>>= 8) bytes[i] = n & 0xff;
	for (let i = 9, ms = Date.now(); i >= 4; i--, ms = Math.floor(ms / 256)) bytes[i] = ms % 256;
	for (let i = 10; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
	return toHex(bytes);
}

export class DeviceSigner {
	readonly deviceId: string;
	#key: Uint8Array;
	#crypto: SigningCrypto;
	#hmac: HmacSha256;
	#clock: () => number;
	#nonce: () => string;
	#monotonic: () => number;
	/** Milliseconds to add to the device's clock: learnt from the cloud by syncClock(). */
	clockOffsetMs = 0;
	#syncing: Promise<number> | undefined;

	constructor(deviceId: string, secret: string, crypto: SigningCrypto, options: SignerOptions = {}) {
		if (!isDeviceId(deviceId)) throw new TypeError(`bad device id ${JSON.stringify(deviceId)}`);
		if (typeof secret !== "string" || secret.length < SECRET_LENGTH.min) throw new TypeError(`the device secret must be a string of at least ${SECRET_LENGTH.min} characters`);
		this.deviceId = deviceId;
		this.#crypto = crypto;
		this.#hmac = (key, data) => crypto.hmacSha256(key, data);
		this.#key = signingKey(this.#hmac, secret);
		this.#clock = options.clock ?? Date.now;
		this.#nonce = options.nonce ?? defaultNonce;
		this.#monotonic = options.monotonic ?? this.#clock;
	}

	/**
	 * The clock every time the camera gives the cloud comes from (signatures, stream epochs,
	 * events, snapshots): the device's own, corrected by what syncClock() learnt. Unix ms.
	 */
	now(): number {
		return this.#clock() + this.clockOffsetMs;
	}

	#now(): number {
		return Math.floor(this.now() / 1000);
	}

	/** The §2 headers for a request whose body hash is known (hex), or "STREAMING". */
	sign(method: string, path: string, contentSha256: string, nonce = this.#nonce()): { headers: Record<string, string>; signature: string } {
		const signed = this._signed(method, path, contentSha256, nonce);
		return { signature: signed.signature, headers: { Authorization: signed.authorization, [CONTENT_SHA256]: contentSha256 } };
	}

	/** @internal: the §2 signature and Authorization value of one request (a fresh nonce by default). */
	_signed(method: string, path: string, contentSha256: string, nonce = this.#nonce()): SignedHeaders {
		return signRequest(this.#hmac, this.#key, { device: this.deviceId, method, path, time: this.#now(), nonce, bodyHash: contentSha256 });
	}

	/** @internal: a fresh digest of a streamed body. */
	_digest(): SigningDigest {
		return new this.#crypto.Digest();
	}

	/** Hex SHA-256 of a body (a scatter list is hashed view by view). */
	bodyHash(body: Bytes | Chunks): string {
		const digest = this._digest();
		try {
			digest.update(body as Bytes | readonly Bytes[]);
			return toHex(digest.digest());
		}
		finally {
			digest.close();
		}
	}

	/** The trailer signature of a streamed body (§2). */
	trailerSignature(signature: string, bodySha256: string): string {
		return trailerSignature(this.#hmac, this.#key, signature, bodySha256);
	}

	/** The MQTT CONNECT password (§5): call it at every connect (it carries the time). */
	mqttPassword(): string {
		return mqttPassword(this.#hmac, this.#key, this.deviceId, this.#now(), this.#nonce());
	}

	/**
	 * Learns the cloud's clock by the signed exchange (PROTOCOL §2.1, protocol/cloud-time.ts) and
	 * resolves with how far (ms) it moved this device's. Rejects, leaving the clock as it was, when
	 * the answer is not signed for this very request or its round trip took too long. Calls made
	 * while one exchange is under way share it.
	 */
	syncClock(client: HttpClient): Promise<number> {
		return this.#syncing ??= this.#exchangeTime(client).finally(() => { this.#syncing = undefined; });
	}

	async #exchangeTime(client: HttpClient): Promise<number> {
		const path = cloudTimePath(this.deviceId);
		const nonce = this.#nonce();
		const { headers } = this.sign("GET", path, EMPTY_SHA256, nonce);
		const sent = this.#monotonic();
		const response = await client.request({ method: "GET", path, headers });
		const received = this.#monotonic();
		let body: unknown;
		try {
			body = response.json();
		}
		catch {
			body = undefined;   // (refused below)
		}
		const offset = offsetOfCloudTime(this.#hmac, this.#key, this.deviceId, nonce, { status: response.status, body }, { sent, received, wall: this.#clock() });
		const moved = offset - this.clockOffsetMs;
		this.clockOffsetMs = offset;
		return moved;
	}

	/**
	 * When an answer says this device's clock is off (it carries X-Ivxs-Time: a hint anyone could
	 * forge, never adopted as such), learns the cloud's time by the signed exchange: resolves true
	 * when the clock was set, false when the exchange failed. `false` at once (no promise) when
	 * the answer said nothing: the common case, on every segment's answer.
	 */
	followClockHint(client: HttpClient, response: HttpResponse): false | Promise<boolean> {
		if (!clockIsOff(response)) return false;
		return this.syncClock(client).then(clockSet, clockLeft);   // (a failure: the caller's retry meets the hint again)
	}

	/** Sends a signed request with a fixed body. */
	request(client: HttpClient, options: RequestOptions): Promise<HttpResponse> {
		const method = options.method ?? (options.body === undefined ? "GET" : "PUT");
		const { headers } = this.sign(method, options.path, this.bodyHash(options.body ?? ""));
		return client.request({ ...options, method, headers: { ...options.headers, ...headers } });
	}

	/** Starts a signed streamed request: the body is hashed as it is written; end() sends the trailers. */
	stream(client: HttpClient, options: { method?: string; path: string; headers?: Record<string, string> }): SignedStream {
		return this.streams(client, options).start(options.path);
	}

	/** Signed streamed requests made again and again (a channel's segments): see SignedStreams. */
	streams(client: HttpClient, options: { method?: string; headers?: Record<string, string> }): SignedStreams {
		return new SignedStreams(this, client, options);
	}
}

const AUTHORIZATION: readonly string[] = ["Authorization"];

/**
 * Signed streamed requests that differ only in their path (a channel's segment PUTs): the head's
 * fixed fields — the caller's, the body hash's STREAMING, the framing and the trailers announced —
 * are made once (HttpClient.streams); each start() signs its path afresh (a new nonce and time)
 * and gives the Authorization as the one field that varies.
 */
export class SignedStreams {
	readonly #signer: DeviceSigner;
	readonly #method: string;
	readonly #template: StreamTemplate;

	constructor(signer: DeviceSigner, client: HttpClient, options: { method?: string; headers?: Record<string, string> }) {
		this.#signer = signer;
		this.#method = options.method ?? "PUT";
		this.#template = client.streams({ method: this.#method, headers: { ...options.headers, [CONTENT_SHA256]: STREAMING },
			varying: AUTHORIZATION, trailers: TRAILERS });
	}

	start(path: string): SignedStream {
		const signed = this.#signer._signed(this.#method, path, STREAMING);
		const stream = this.#template.stream(path, [signed.authorization]);
		return new SignedStream(this.#signer, stream, signed.signature, this.#signer._digest());
	}
}

/** A streamed request whose body hash and trailer signature are computed on the way out. */
export class SignedStream {
	#signer: DeviceSigner;
	#stream: BodyStream;
	#signature: string;
	#digest: SigningDigest | undefined;
	#sha256: string | undefined;

	constructor(signer: DeviceSigner, stream: BodyStream, signature: string, digest: SigningDigest) {
		this.#signer = signer;
		this.#stream = stream;
		this.#signature = signature;
		this.#digest = digest;
	}

	get response(): Promise<HttpResponse> { return this.#stream.response; }

	/** As BodyStream.complete. */
	get complete(): boolean { return this.#stream.complete; }

	/** The body's SHA-256 (hex), once end() closed it. */
	get sha256(): string | undefined { return this.#sha256; }

	/**
	 * As BodyStream.write: the views are hashed (in C) and sent, never joined. Not an async
	 * function: a segment's every fragment comes here, and an await costs XS ~0.7 KB of garbage.
	 */
	write(chunks: Chunks | Uint8Array, verify?: () => boolean): Promise<void> {
		if (!this.#digest) return Promise.reject(new Error("write after end"));
		// Checked here too: a write refused by the stream must not have been hashed.
		if (this.#stream.writing) return Promise.reject(new Error("write while a write is pending: await each write"));
		this.#digest.update(chunks instanceof Uint8Array ? chunks : chunks as readonly Uint8Array[]);
		return this.#stream.write(chunks, verify);
	}

	end(): Promise<HttpResponse> {
		const digest = this.#digest;
		if (!digest) return this.#stream.end();
		this.#digest = undefined;
		const hash = this.#sha256 = toHex(digest.digest());
		digest.close();
		// The values of TRAILERS, in its order (the template announced them).
		return this.#stream.end([hash, this.#signer.trailerSignature(this.#signature, hash)]);
	}

	abort(reason?: string): void {
		this.#digest?.close();
		this.#digest = undefined;
		this.#stream.abort(reason);
	}
}

const clockSet = (): boolean => true;
const clockLeft = (): boolean => false;
