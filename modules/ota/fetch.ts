/**
 * A bundle's bytes over HTTP with Range (modules/ota/updater.ts's RangeFetch): only a 206 body
 * reaches the slot — any other answer (a 200 of the whole file, an error page) is refused at
 * its head, before a byte of it is handed on: for now (404, 5xx, …) or for good
 * (updater.ts's rangeAnswerError).
 */
import type { HttpResponse, RequestOptions } from "../net/http-client.js";
import { rangeAnswerError, type RangeFetch } from "./updater.js";

/** `request` is the client's (or a signer's: `(o) => signer.request(http, o)`). */
export function rangeFetch(request: (options: RequestOptions) => Promise<HttpResponse>, path: string): RangeFetch {
	return async (offset, end, onData) => {
		let partial = false;
		const response = await request({
			method: "GET", path, headers: { Range: `bytes=${offset}-${end ?? ""}` },
			onHead: (status) => { partial = status === 206; },
			onData: (bytes) => { if (partial) onData(bytes); },
		});
		if (!partial) throw rangeAnswerError(response.status);
		return response.status;
	};
}
