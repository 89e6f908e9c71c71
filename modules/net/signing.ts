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
import { type HmacSha256, cloudTimeOfAnswer, CONTENT_SHA256, isDeviceId, mqttPassword, SECRET_LENGTH, signingKey, signRequest, STREAMING, TRAILER_SIGNATURE, TRAILERS, trailerSignature } from "../protocol/index.js";

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
	/** Unix seconds now (default Date.now()); the cloud refuses more than 300 s off. */
	clock?: () => number;
	/** A fresh nonce, 16–64 hex digits (default: 32 from Math.random and a counter). */
	nonce?: () => string;
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
	/** Seconds to add to the clock: set from the cloud's X-Ivxs-Time after a 401. */
	clockOffset = 0;

	constructor(deviceId: string, secret: string, crypto: SigningCrypto, options: SignerOptions = {}) {
		if (!isDeviceId(deviceId)) throw new TypeError(`bad device id ${JSON.stringify(deviceId)}`);
		if (typeof secret !== "string" || secret.length < SECRET_LENGTH.min) throw new TypeError(`the device secret must be a string of at least ${SECRET_LENGTH.min} characters`);
		this.deviceId = deviceId;
		this.#crypto = crypto;
		this.#hmac = (key, data) => crypto.hmacSha256(key, data);
		this.#key = signingKey(this.#hmac, secret);
		this.#clock = options.clock ?? (() => Math.floor(Date.now() / 1000));
		this.#nonce = options.nonce ?? defaultNonce;
	}

	#now(): number {
		return this.#clock() + this.clockOffset;
	}

	/** The §2 headers for a request whose body hash is known (hex), or "STREAMING". */
	sign(method: string, path: string, contentSha256: string): { headers: Record<string, string>; signature: string } {
		const signed = signRequest(this.#hmac, this.#key, { device: this.deviceId, method, path, time: this.#now(), nonce: this.#nonce(), bodyHash: contentSha256 });
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

	/** After a 401 with X-Ivxs-Time, adopts the cloud's clock for later signatures. */
	adoptCloudTime(response: HttpResponse): boolean {
		const time = cloudTimeOfAnswer(response);
		if (time === undefined) return false;
		this.clockOffset += time - this.#now();
		return true;
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
	#writing = false;

	constructor(signer: DeviceSigner, stream: BodyStream, signature: string, digest: SigningDigest) {
		this.#signer = signer;
		this.#stream = stream;
		this.#signature = signature;
		this.#digest = digest;
	}

	get response(): Promise<HttpResponse> { return this.#stream.response; }

	/** As BodyStream.write: the views are hashed (in C) and sent, never joined. */
	async write(chunks: Chunks | Uint8Array, verify?: () => boolean): Promise<void> {
		if (!this.#digest) throw new Error("write after end");
		// Checked here too: a write refused by the stream must not have been hashed.
		if (this.#writing) throw new Error("write while a write is pending: await each write");
		this.#writing = true;
		try {
			this.#digest.update(chunks instanceof Uint8Array ? chunks : chunks as readonly Uint8Array[]);
			await this.#stream.write(chunks, verify);
		}
		finally {
			this.#writing = false;
		}
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
