// Cross-site requests: a browser attaches the session cookie to a request
// whatever page sends it, and SameSite=Strict does not stop a sibling
// subdomain (the same site). So a state-changing request that a browser marks
// as coming from a page (Origin, Sec-Fetch-Site) must come from this service's
// own origin or one the configuration allows. Cameras, the broker's plugin and
// scripts send neither header and are not affected.
import type { IncomingMessage } from "node:http";
import { HttpError } from "./router.js";

const safeMethods = new Set(["GET", "HEAD", "OPTIONS"]);

/** Throws a 403 for a state-changing request from another origin than the service's (`Host`) or one of `allowed`. */
export function checkOrigin(req: IncomingMessage, allowed: readonly string[]): void {
	if (safeMethods.has(req.method ?? "GET")) return;
	const origin = req.headers.origin;
	if (origin !== undefined && allowed.includes(origin)) return;
	const site = req.headers["sec-fetch-site"];
	// "same-site" is exactly the sibling subdomain; "none" is the user's own action (typed, bookmarked).
	const fromPage = site !== undefined && site !== "same-origin" && site !== "none";
	if (!fromPage && (origin === undefined || sameHost(origin, req.headers.host))) return;
	throw new HttpError(403, `cross-site request refused: ${JSON.stringify((origin ?? `Sec-Fetch-Site: ${site}`).slice(0, 256))} is not this service's origin (see allowedOrigins)`);
}

function sameHost(origin: string, host: string | undefined): boolean {
	try {
		const url = new URL(origin);
		return (url.protocol === "https:" || url.protocol === "http:") && host !== undefined && url.host === host.toLowerCase();
	}
	catch {
		return false; // "null" (a sandboxed page, a file) or garbage
	}
}
