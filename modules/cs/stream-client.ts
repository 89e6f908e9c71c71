/**
 * The camera's HTTP side of cloud/PROTOCOL.md §3 for one channel: a stream's init, its segments
 * streamed while they are cut (chunked, signed trailers), and its end. Every request is signed
 * afresh (a nonce is spent even by a refused request); an answer saying the clock is off (a 401
 * or 409 carrying X-Ivxs-Time) sets it by the signed time exchange first, so the caller's retry
 * is signed, and a new stream timed, with the cloud's clock.
 */
import { liveOnlyQuery } from "../protocol/live.js";
import type { Chunks } from "../net/bytes.js";
import type { HttpClient, HttpResponse } from "../net/http-client.js";
import type { DeviceSigner, SignedStream, SignedStreams } from "../net/signing.js";

/** The cloud's reason for a refusal, for logs and errors. */
export function describe(response: HttpResponse): string {
	let reason = "";
	try {
		reason = String((response.json() as { error?: string })?.error ?? "");
	}
	catch {
		// not JSON: the status says enough
	}
	return `${response.status}${reason ? ` ${reason}` : ""}`;
}

export class StreamClient {
	readonly #http: HttpClient;
	readonly #signer: DeviceSigner;
	readonly #base: string;
	/** Every segment's PUT, its head's fixed part made once. */
	readonly #segments: SignedStreams;

	constructor(http: HttpClient, signer: DeviceSigner, channel: number) {
		this.#http = http;
		this.#signer = signer;
		this.#base = `/v1/devices/${signer.deviceId}/channels/${channel}/streams/`;
		this.#segments = signer.streams(http, { method: "PUT", headers: { "Content-Type": "video/mp4" } });
	}

	async #signed(method: string, path: string, body: Uint8Array | Chunks): Promise<HttpResponse> {
		const response = await this.#signer.request(this.#http, { method, path, body, headers: { "Content-Type": "application/octet-stream" } });
		await this.#signer.followClockHint(this.#http, response);
		return response;
	}

	/** PUT the stream's init segment; `epoch` = unix ms of decode time 0. */
	putInit(stream: string, init: Uint8Array, epoch: number): Promise<HttpResponse> {
		return this.#signed("PUT", `${this.#base}${stream}/init?epoch=${Math.round(epoch)}`, init);
	}

	/** Segments started now are uploaded only for a viewer's lease (PROTOCOL §3.2 `live=1`): set by CloudStorage. */
	liveOnly = false;

	/** Starts segment `seq`: the request goes out now, each write() sends one fragment's views. */
	segment(stream: string, seq: number): SignedStream {
		// (concat: one string, where XS makes one per part of a template literal — protocol/signing.ts stringToSign)
		return this.#segments.start(this.#base.concat(stream, "/segments/", String(seq), liveOnlyQuery(this.liveOnly)));
	}

	/**
	 * Reads a streamed segment's answer (setting the clock first when it says the clock is off).
	 * Not an async function: a segment ends here every couple of seconds, and each await is garbage.
	 */
	answer(upload: SignedStream): Promise<HttpResponse> {
		return upload.end().then(this.#followHint);
	}

	readonly #followHint = (response: HttpResponse): HttpResponse | Promise<HttpResponse> => {
		const following = this.#signer.followClockHint(this.#http, response);
		return following ? following.then(() => response) : response;
	};

	end(stream: string): Promise<HttpResponse> {
		return this.#signed("POST", `${this.#base}${stream}/end`, new Uint8Array(0));
	}
}
