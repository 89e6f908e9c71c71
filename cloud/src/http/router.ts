// A small router over node:http: routes are "METHOD /path/:param" patterns;
// handlers get the request, the response and the decoded params. Bodies are
// read by the handler (ingest streams them; JSON goes through `readJson`, with
// a size limit). Any HttpError becomes a 4xx/5xx with a JSON `{ error }` body;
// anything else is logged and answered 500 without details.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";

export type Params = Record<string, string>;
export type Handler = (req: IncomingMessage, res: ServerResponse, params: Params, url: URL) => Promise<void> | void;

export class HttpError extends Error {
	override name = "HttpError";
	constructor(readonly status: number, message: string, readonly headers: Record<string, string> = {}) {
		super(message);
	}
}

interface Route {
	method: string;
	parts: string[];
	handler: Handler;
}

const paramValue = /^[A-Za-z0-9._~-]{1,128}$/;

export class Router {
	#routes: Route[] = [];

	add(method: string, pattern: string, handler: Handler): void {
		this.#routes.push({ method, parts: pattern.split("/").filter(Boolean), handler });
	}

	/** Finds the route; a path that matches with another method is a 405. */
	match(method: string, pathname: string): { handler: Handler; params: Params } | { status: 404 | 405 } {
		const parts = pathname.split("/").filter(Boolean);
		let methodMismatch = false;
		for (const route of this.#routes) {
			if (route.parts.length !== parts.length) continue;
			const params: Params = {};
			let ok = true;
			for (let i = 0; i < parts.length && ok; i++) {
				const want = route.parts[i], got = parts[i];
				if (want.startsWith(":")) {
					let value: string;
					try {
						value = decodeURIComponent(got);
					}
					catch {
						ok = false;
						break;
					}
					// Params name devices, channels, streams, files: a closed alphabet keeps
					// them out of paths and SQL patterns whatever a handler does with them.
					ok = paramValue.test(value) && value !== "." && value !== "..";
					params[want.slice(1)] = value;
				}
				else ok = want === got;
			}
			if (!ok) continue;
			if (route.method !== method && !(route.method === "GET" && method === "HEAD")) {
				methodMismatch = true;
				continue;
			}
			return { handler: route.handler, params };
		}
		return { status: methodMismatch ? 405 : 404 };
	}

	async handle(req: IncomingMessage, res: ServerResponse, log: Logger): Promise<void> {
		let url: URL;
		try {
			url = new URL(req.url ?? "/", "http://local");
		}
		catch {
			return sendError(res, new HttpError(400, "malformed request URL"));
		}
		const found = this.match(req.method ?? "GET", url.pathname);
		if ("status" in found) {
			req.resume();
			return sendError(res, new HttpError(found.status, found.status === 404 ? `no such endpoint ${url.pathname}` : `method ${req.method} not allowed on ${url.pathname}`));
		}
		try {
			await found.handler(req, res, found.params, url);
		}
		catch (error) {
			if (!(error instanceof HttpError)) log.error({ err: error, method: req.method, path: url.pathname }, "request failed");
			if (!req.readableEnded) req.resume();
			sendError(res, error instanceof HttpError ? error : new HttpError(500, "internal error"));
		}
	}
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
	const text = JSON.stringify(body);
	res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text), "cache-control": "no-store", ...headers });
	res.end(text);
}

export function sendError(res: ServerResponse, error: HttpError): void {
	if (res.headersSent) {
		res.destroy(error);
		return;
	}
	// The connection may carry an unread body: close it rather than parse garbage as the next request.
	sendJson(res, error.status, { error: error.message }, { ...error.headers, ...(error.status >= 400 && error.status !== 401 && error.status !== 404 ? { connection: "close" } : {}) });
}

/** Reads a whole body, refusing more than `limit` bytes with a 413 (without buffering the excess). */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
	return new Promise((resolve, reject) => {
		const declared = Number(req.headers["content-length"]);
		if (Number.isFinite(declared) && declared > limit) {
			req.resume();
			return reject(new HttpError(413, `body of ${declared} bytes is over the limit of ${limit}`));
		}
		const chunks: Buffer[] = [];
		let length = 0;
		req.on("data", (chunk: Buffer) => {
			length += chunk.length;
			if (length > limit) {
				req.removeAllListeners("data");
				req.resume();
				reject(new HttpError(413, `body is over the limit of ${limit} bytes`));
				return;
			}
			chunks.push(chunk);
		});
		req.on("end", () => resolve(Buffer.concat(chunks, length)));
		req.on("error", (error) => reject(new HttpError(400, `body not received: ${error.message}`)));
		req.on("aborted", () => reject(new HttpError(400, "request aborted")));
	});
}

/** A JSON object body (≤ limit bytes); anything else is a 400 that says what was wrong. */
export async function readJson(req: IncomingMessage, limit = 64 * 1024): Promise<Record<string, unknown>> {
	const body = await readBody(req, limit);
	let value: unknown;
	try {
		value = JSON.parse(body.toString("utf8"));
	}
	catch {
		throw new HttpError(400, "body is not valid JSON");
	}
	if (!value || typeof value !== "object" || Array.isArray(value)) throw new HttpError(400, "body must be a JSON object");
	return value as Record<string, unknown>;
}
