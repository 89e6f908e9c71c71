// A small router over node:http: routes are "METHOD /path/:param" patterns,
// each declared with its access rule (who may call it), which the router
// checks before the handler runs; handlers get the request, the response, the
// decoded params, the URL and who the rule let in. A state-changing request
// from a browser page of another origin is refused first (origin.ts). Bodies
// are read by the handler (ingest streams them; JSON goes through `readJson`,
// with a size limit and its content type). Any HttpError becomes a 4xx/5xx
// with a JSON `{ error }` body; anything else is logged and answered 500
// without details.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { checkOrigin } from "./origin.js";

export type Params = Record<string, string>;

/**
 * Who may call a route, declared with it and checked before its handler:
 *   none    anyone (sign-in, health, the console's files, the broker's own questions)
 *   user    a signed-in user: a session cookie or an API token
 *   admin   the same, and an admin
 *   device  a device request signed per PROTOCOL.md §2
 * `device` names the path parameter that holds a device id: for user and
 * admin, a device the user must be granted (404 unknown, 403 not granted); for
 * device, the device that must have signed the request (403 for another).
 * `signedUrl` (user rules of GET routes only: the viewer's media, pictures and
 * lists) lets a signed URL of the path stand for the user; everywhere else a
 * signed URL is refused, so a playback link never acts as an API credential.
 * `anyTime` (device rules of the time exchange only, PROTOCOL §2.1) accepts a
 * signature whatever its time and spends no nonce: the answer is what is signed.
 */
export type Access =
	| { readonly auth: "none" }
	| { readonly auth: "user"; readonly device?: string; readonly signedUrl?: true }
	| { readonly auth: "admin"; readonly device?: string }
	| { readonly auth: "device"; readonly device: string; readonly anyTime?: true };

export const accessKinds = ["none", "user", "admin", "device"] as const;

/** The types of who the rules let in; the service names its own (context.ts). */
export interface Callers {
	viewer: unknown;
	device: unknown;
	deviceRequest: unknown;
}

/** What a handler is given about its caller, by its route's rule. */
export type CallerOf<C extends Callers, A extends Access> =
	A extends { auth: "device" } ? C["deviceRequest"]
	: A extends { auth: "user" | "admin"; device: string } ? { viewer: C["viewer"]; device: C["device"] }
	: A extends { auth: "user" | "admin" } ? { viewer: C["viewer"] }
	: Record<string, never>;

export type Handler<Caller = unknown> = (req: IncomingMessage, res: ServerResponse, params: Params, url: URL, caller: Caller) => Promise<void> | void;

/** Checks a request against its route's rule (never "none"); returns what the handler gets as its caller, or throws an HttpError. */
export type Gate = (req: IncomingMessage, url: URL, params: Params, access: Access) => unknown;

export class HttpError extends Error {
	override name = "HttpError";
	constructor(readonly status: number, message: string, readonly headers: Record<string, string> = {}) {
		super(message);
	}
}

interface Route {
	method: string;
	pattern: string;
	parts: string[];
	access: Access;
	handler: Handler<any>;
	failed?: (error: unknown) => void;
}

const paramValue = /^[A-Za-z0-9._~-]{1,128}$/;

/** Turns an error it recognises into the answer (the route is named "METHOD /pattern"), or undefined. */
export type Translator = (error: unknown, route: string) => HttpError | undefined;

export class Router<C extends Callers = Callers> {
	#translators: Translator[] = [];
	#routes: Route[] = [];
	readonly #gate: Gate;
	readonly #allowedOrigins: readonly string[];

	/** `allowedOrigins`: browser origins besides the service's own that may send state-changing requests. */
	constructor(gate: Gate, { allowedOrigins = [] }: { allowedOrigins?: readonly string[] } = {}) {
		this.#gate = gate;
		this.#allowedOrigins = allowedOrigins;
	}

	/** Adds a route; `failed` sees every error of its requests, refusals by its rule included (for the part's metrics). */
	add<const A extends Access>(method: string, pattern: string, access: A, handler: Handler<CallerOf<C, A>>, failed?: (error: unknown) => void): void {
		const parts = pattern.split("/").filter(Boolean);
		if (!accessKinds.includes(access.auth)) throw new Error(`${method} ${pattern}: unknown access rule ${JSON.stringify(access)}`);
		if ("device" in access && access.device !== undefined && !parts.includes(`:${access.device}`))
			throw new Error(`${method} ${pattern}: its access rule names a parameter :${access.device} the path does not have`);
		if ("signedUrl" in access && access.signedUrl !== undefined && (access.signedUrl !== true || access.auth !== "user" || method !== "GET"))
			throw new Error(`${method} ${pattern}: signed URLs are for GET routes of users only`);
		if ("anyTime" in access && access.anyTime !== undefined && (access.anyTime !== true || access.auth !== "device" || method !== "GET"))
			throw new Error(`${method} ${pattern}: any signature time is for GET routes of devices only (the time exchange)`);
		this.#routes.push({ method, pattern, parts, access, handler, failed });
	}

	/**
	 * Adds a translator: errors of every route that are not HttpErrors are
	 * offered to it before they become a 500 (a full disk: 507); an error it
	 * answers is not logged here (the translator knows when to log).
	 */
	translate(translator: Translator): void {
		this.#translators.push(translator);
	}

	#answerFor(error: unknown, route: Route): HttpError | undefined {
		if (error instanceof HttpError) return error;
		for (const translator of this.#translators) {
			const answer = translator(error, `${route.method} ${route.pattern}`);
			if (answer) return answer;
		}
		return undefined;
	}

	/** Every route with its rule, in the order added. */
	routes(): { method: string; pattern: string; access: Access }[] {
		return this.#routes.map(({ method, pattern, access }) => ({ method, pattern, access }));
	}

	/** Finds the route; a path that matches with another method is a 405. */
	match(method: string, pathname: string): { route: Route; params: Params } | { status: 404 | 405 } {
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
			return { route, params };
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
		const { route, params } = found;
		try {
			// Device requests are signed (no cookie to ride on); everything else a browser may send.
			if (route.access.auth !== "device") checkOrigin(req, this.#allowedOrigins);
			const caller = route.access.auth === "none" ? {} : await this.#gate(req, url, params, route.access);
			await route.handler(req, res, params, url, caller);
		}
		catch (error) {
			const answer = this.#answerFor(error, route);
			route.failed?.(answer ?? error);
			if (!answer) log.error({ err: error, method: req.method, path: url.pathname }, "request failed");
			if (!req.readableEnded) req.resume();
			sendError(res, answer ?? new HttpError(500, "internal error"));
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

/**
 * A JSON object body (≤ limit bytes) sent with Content-Type: application/json:
 * another type is a 415 (a cross-site form can post text/plain without asking;
 * this type needs the browser's CORS preflight, which this service never grants).
 * Anything else is a 400 that says what was wrong.
 */
export async function readJson(req: IncomingMessage, limit = 64 * 1024): Promise<Record<string, unknown>> {
	if (!/^application\/json\s*(;|$)/i.test(req.headers["content-type"] ?? ""))
		throw new HttpError(415, "the body must be JSON sent with Content-Type: application/json");
	return parseJsonObject(await readBody(req, limit));
}

/** A JSON object from `body`, or a 400. */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
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
