// The camera's HTTP side of PROTOCOL.md §3: a stream's init, its segments
// streamed as their fragments are cut (chunked, signed trailers), resent
// whole from the camera's buffer after a cut or a 5xx (fixed-length, signed
// afresh, with backoff), and the stream's end.
import { Agent, request, type IncomingHttpHeaders, type OutgoingHttpHeaders } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { createHash, randomBytes } from "node:crypto";
import { signRequest, signingKey, streamTrailers, streamingHeaders, STREAMING } from "./sign.js";
import { hmacSha256 } from "../src/auth/device-keys.js";
import { clockIsOff } from "../../modules/protocol/signing.js";
import { cloudTimePath, offsetOfCloudTime } from "../../modules/protocol/cloud-time.js";
import { liveOnlyQuery } from "../../modules/protocol/live.js";
import { Verdict, verdictOfAnswer } from "../../modules/protocol/verdict.js";
import { backoffDelay } from "../../modules/net/backoff.js";

export interface UploaderOptions {
	/** Base URL of the cloud, e.g. http://127.0.0.1:8080 */
	cloud: string;
	device: string;
	secret: string;
	channel?: number;
	/** Resend attempts of one segment before it is given up (default 8). */
	maxAttempts?: number;
	/** First backoff delay, doubled per attempt up to 8 s (default 500 ms). */
	backoffMs?: number;
	log?: (message: string) => void;
}

export interface Answer {
	status: number;
	headers: IncomingHttpHeaders;
	json: any;
}

export class UploadError extends Error {
	constructor(message: string, readonly status = 0) {
		super(message);
	}
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** What the camera does with an answer (PROTOCOL §3.2's table, modules/protocol/verdict.ts). */
// Answers after which resending the same bytes can succeed (a 404 after the init is PUT again).
function retryable(answer: Answer): boolean {
	const verdict = verdictOfAnswer(answer);
	return verdict === Verdict.Retry || verdict === Verdict.ReInit;
}

/** A segment being streamed: `write` each fragment, then `end()` (resolves with the cloud's answer). */
export interface SegmentStream {
	write(fragment: Uint8Array): void;
	end(): Promise<Answer>;
	/** Cuts the connection (tests: a camera losing its network mid-segment). */
	cut(): void;
}

export class Uploader {
	readonly #options: Required<Omit<UploaderOptions, "log">> & { log: (message: string) => void };
	readonly #key: Buffer;
	readonly #agent: Agent;
	readonly #https: boolean;
	/** Milliseconds to add to the local clock: learnt from the cloud by syncClock(). */
	clockOffsetMs = 0;
	#syncing: Promise<number> | undefined;

	constructor(options: UploaderOptions) {
		this.#options = { channel: 0, maxAttempts: 8, backoffMs: 500, log: () => {}, ...options, cloud: options.cloud.replace(/\/$/, "") };
		this.#key = signingKey(options.secret);
		this.#https = this.#options.cloud.startsWith("https:");
		this.#agent = this.#https ? new HttpsAgent({ keepAlive: true, maxSockets: 4 }) : new Agent({ keepAlive: true, maxSockets: 4 });
	}

	path(stream: string, tail: string): string {
		return `/v1/devices/${this.#options.device}/channels/${this.#options.channel}/streams/${stream}/${tail}`;
	}

	#sign(method: string, path: string, body: Uint8Array | string) {
		return signRequest({ device: this.#options.device, key: this.#key, method, path, body, time: Math.floor(this.now() / 1000) });
	}

	/** The simulated camera's clock, unix ms: the machine's, corrected by what syncClock() learnt. */
	now(): number {
		return Date.now() + this.clockOffsetMs;
	}

	/**
	 * Learns the cloud's clock by the signed exchange (PROTOCOL §2.1), as the camera does
	 * (modules/net's DeviceSigner.syncClock); resolves with how far (ms) it moved this one's.
	 */
	syncClock(): Promise<number> {
		return this.#syncing ??= this.#exchangeTime().finally(() => { this.#syncing = undefined; });
	}

	async #exchangeTime(): Promise<number> {
		const path = cloudTimePath(this.#options.device);
		const nonce = randomBytes(16).toString("hex");
		const signed = signRequest({ device: this.#options.device, key: this.#key, method: "GET", path, time: Math.floor(this.now() / 1000), nonce });
		const sent = performance.now();
		const { req, answer: pending } = this.#send("GET", path, signed.headers);
		req.end();
		const answer = await pending;
		const offset = offsetOfCloudTime(hmacSha256, this.#key, this.#options.device, nonce, { status: answer.status, body: answer.json }, { sent, received: performance.now(), wall: Date.now() });
		const moved = offset - this.clockOffsetMs;
		this.clockOffsetMs = offset;
		if (moved) this.#options.log(`clock set by the cloud's time (moved ${moved} ms)`);
		return moved;
	}

	/** One request; resolves with the answer (status 0 when the connection failed). */
	#send(method: string, path: string, headers: OutgoingHttpHeaders): { req: ReturnType<typeof request>; answer: Promise<Answer> } {
		const send = this.#https ? httpsRequest : request;
		const req = send(`${this.#options.cloud}${path}`, { method, headers, agent: this.#agent });
		const answer = new Promise<Answer>((resolve) => {
			req.on("response", (res) => {
				const chunks: Buffer[] = [];
				res.on("data", (c: Buffer) => chunks.push(c));
				res.on("end", () => {
					let json: any;
					try {
						json = JSON.parse(Buffer.concat(chunks).toString() || "null");
					}
					catch {
						json = undefined;
					}
					resolve({ status: res.statusCode ?? 0, headers: res.headers, json });
				});
				res.on("error", () => resolve({ status: 0, headers: {}, json: undefined }));
			});
			req.on("error", (error) => resolve({ status: 0, headers: {}, json: { error: error.message } }));
		});
		return { req, answer };
	}

	/** A fixed-length signed request. */
	async sendFixed(method: string, path: string, body: Uint8Array, contentType = "application/octet-stream"): Promise<Answer> {
		const signed = this.#sign(method, path, body);
		const { req, answer } = this.#send(method, path, { ...signed.headers, "content-length": body.length, "content-type": contentType });
		req.end(body);
		return this.#clock(await answer);
	}

	/** An answer saying the clock is off (X-Ivxs-Time, only a hint): the signed exchange sets it first. */
	async #clock(answer: Answer): Promise<Answer> {
		if (clockIsOff(answer)) await this.syncClock().catch((error: Error) => this.#options.log(error.message));
		return answer;
	}

	async putInit(stream: string, init: Uint8Array, epochMs: number): Promise<Answer> {
		return this.#retry(`init of ${stream}`, () => this.sendFixed("PUT", `${this.path(stream, "init")}?epoch=${epochMs}`, init));
	}

	async end(stream: string): Promise<Answer> {
		return this.#retry(`end of ${stream}`, () => this.sendFixed("POST", this.path(stream, "end"), new Uint8Array(0)));
	}

	/** A snapshot (PROTOCOL §4) taken at unix ms `timeMs`; one attempt (a missed still waits for the next slot, as on the camera). */
	async putSnapshot(timeMs: number, jpeg: Uint8Array): Promise<Answer> {
		return this.sendFixed("PUT", `/v1/devices/${this.#options.device}/channels/${this.#options.channel}/snapshots?time=${timeMs}`, jpeg, "image/jpeg");
	}

	/** Starts streaming segment `seq`; the request goes out now and each fragment as it is written. */
	streamSegment(stream: string, seq: number, liveOnly = false): SegmentStream {
		const path = this.path(stream, `segments/${seq}${liveOnlyQuery(liveOnly)}`);
		const signed = this.#sign("PUT", path, STREAMING);
		const { req, answer } = this.#send("PUT", path, { ...signed.headers, ...streamingHeaders, "content-type": "application/octet-stream" });
		req.flushHeaders();
		const hash = createHash("sha256");
		return {
			write: (fragment) => {
				hash.update(fragment);
				req.write(fragment);
			},
			end: async () => {
				req.addTrailers(streamTrailers(signed.key, signed.signature, hash.digest("hex")));
				req.end();
				return this.#clock(await answer);
			},
			cut: () => req.destroy(new Error("cut by the camera")),
		};
	}

	/** Resends a whole segment until it is stored (201/200) or refused for good; `reinit` re-PUTs the init after a 404. */
	async resendSegment(stream: string, seq: number, body: Uint8Array, reinit: () => Promise<unknown>, liveOnly = false): Promise<Answer> {
		return this.#retry(`segment ${seq}`, async (answer) => {
			if (answer && verdictOfAnswer(answer) === Verdict.ReInit) await reinit();
			return this.sendFixed("PUT", this.path(stream, `segments/${seq}${liveOnlyQuery(liveOnly)}`), body);
		});
	}

	async #retry(what: string, attempt: (last?: Answer) => Promise<Answer>): Promise<Answer> {
		let answer: Answer | undefined;
		for (let i = 0; i < this.#options.maxAttempts; i++) {
			// The device's backoff without its jitter (random = 1: the ceiling), so runs repeat.
			if (i > 0) await sleep(backoffDelay(i - 1, this.#options.backoffMs, 8000, 1));
			answer = await attempt(answer);
			if (!retryable(answer)) return answer;
			this.#options.log(`${what}: ${answer.status || "connection failed"} ${answer.json?.error ?? ""} — retrying`);
		}
		throw new UploadError(`${what}: gave up after ${this.#options.maxAttempts} attempts (last ${answer!.status})`, answer!.status);
	}

	close(): void {
		this.#agent.destroy();
	}
}
