/**
 * The device side of cloud/PROTOCOL.md §1, §2 and §5: the signing key, signed request headers,
 * streamed bodies hashed on the way out and closed with the two trailers, and the MQTT password.
 *
 * The hashing is injected (`SigningCrypto`): the app passes ivxs/platform's (C on every host:
 * mbedTLS on the Linux host, the SDK's crypt on Moddable builds); under Node, node:crypto. So this
 * file runs the same everywhere and never hashes in JS.
 */
import { type Chunks, toHex } from "./bytes.js";
import type { BodyStream, HttpClient, HttpResponse, RequestOptions } from "./http-client.js";
import { type HmacSha256, clockIsOff, cloudTimePath, CONTENT_SHA256, EMPTY_SHA256, isDeviceId, mqttPassword, SECRET_LENGTH, signingKey, signRequest, STREAMING, TRAILER_SIGNATURE, TRAILERS, offsetOfCloudTime, trailerSignature } from "../protocol/index.js";

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
	// at every boot (mcsim's does), and the counter always does.
	counter = (counter + 1) >>> 0;
	let text = counter.toString(16).padStart(8, "0") + Date.now().toString(16).padStart(12, "0");
	while (text.length < 32) text += Math.floor(Math.random() * 0x10000).toString(16).padStart(4, "0");
	return text;
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
		const signed = signRequest(this.#hmac, this.#key, { device: this.deviceId, method, path, time: this.#now(), nonce, bodyHash: contentSha256 });
		return { signature: signed.signature, headers: { Authorization: signed.authorization, [CONTENT_SHA256]: contentSha256 } };
	}

	/** Hex SHA-256 of a body (a scatter list is hashed view by view). */
	bodyHash(body: Bytes | Chunks): string {
		const digest = new this.#crypto.Digest();
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
	 * forge, never adopted as such), learns the cloud's time by the signed exchange. True when
	 * the clock was set; false when the answer said nothing or the exchange failed.
	 */
	async followClockHint(client: HttpClient, response: HttpResponse): Promise<boolean> {
		if (!clockIsOff(response)) return false;
		try {
			await this.syncClock(client);
			return true;
		}
		catch {
			return false;   // the caller's retry meets the hint again
		}
	}

	/** Sends a signed request with a fixed body. */
	request(client: HttpClient, options: RequestOptions): Promise<HttpResponse> {
		const method = options.method ?? (options.body === undefined ? "GET" : "PUT");
		const { headers } = this.sign(method, options.path, this.bodyHash(options.body ?? ""));
		return client.request({ ...options, method, headers: { ...options.headers, ...headers } });
	}

	/** Starts a signed streamed request: the body is hashed as it is written; end() sends the trailers. */
	stream(client: HttpClient, options: { method?: string; path: string; headers?: Record<string, string> }): SignedStream {
		const method = options.method ?? "PUT";
		const { headers, signature } = this.sign(method, options.path, STREAMING);
		const stream = client.stream({ method, path: options.path, headers: { ...options.headers, ...headers },
			trailers: TRAILERS });
		return new SignedStream(this, stream, signature, new this.#crypto.Digest());
	}
}

/** A streamed request whose body hash and trailer signature are computed on the way out. */
export class SignedStream {
	#signer: DeviceSigner;
	#stream: BodyStream;
	#signature: string;
	#digest: SigningDigest | undefined;

	constructor(signer: DeviceSigner, stream: BodyStream, signature: string, digest: SigningDigest) {
		this.#signer = signer;
		this.#stream = stream;
		this.#signature = signature;
		this.#digest = digest;
	}

	get response(): Promise<HttpResponse> { return this.#stream.response; }

	/** As BodyStream.complete. */
	get complete(): boolean { return this.#stream.complete; }

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
		const hash = toHex(digest.digest());
		digest.close();
		return this.#stream.end({ [CONTENT_SHA256]: hash, [TRAILER_SIGNATURE]: this.#signer.trailerSignature(this.#signature, hash) });
	}

	abort(reason?: string): void {
		this.#digest?.close();
		this.#digest = undefined;
		this.#stream.abort(reason);
	}
}
