// Signed playback URLs: a link the cloud hands out (a clip, a playlist, the
// segments inside it, a snapshot) carries its own proof of who asked for it and
// until when, so a <video>, hls.js or an <img> needs no cookie. The HMAC binds
// the method (GET; a HEAD reads what a GET would), the path, the query (a signed
// 10-minute clip cannot be widened to a day), the expiry, the user and the user's
// link epoch (users/store.ts: bumped when the account is removed or its password
// set, so its links end and a new account of the same name cannot revive them;
// the caller compares it with the account's, access.ts). Only the
// routes whose access rule says `signedUrl` accept one (http/router.ts). The key is the service key: 32 random bytes in
// `serviceKeyFile` (<dataDir>/service.key by default), made on first start and
// shared by every instance given that file (across hosts: copy it to each). Format and rules: cloud/API.md "Signed URLs".
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { CloudContext } from "../context.js";
import { HttpError } from "../http/router.js";

/** Who a signed URL speaks for (the same shape as the users part's Viewer). */
export interface SignedViewer {
	user: string;
	admin: boolean;
	/** The account's link epoch when it signed (absent: 0, an account whose links never ended). */
	linkEpoch?: number;
}

const signing = new Set(["exp", "user", "admin", "user_epoch", "sig"]);
const keys = new WeakMap<CloudContext, Buffer>();
const keyBytes = 32;

/** The service key, created on first use; safe when instances start at once (link is atomic). */
export function serviceKey(ctx: CloudContext): Buffer {
	let key = keys.get(ctx);
	if (key) return key;
	const file = ctx.config.serviceKeyFile;
	key = readKey(file);
	if (!key) {
		mkdirSync(dirname(file), { recursive: true });
		const temp = `${file}.${randomBytes(6).toString("hex")}`;
		writeFileSync(temp, randomBytes(keyBytes), { mode: 0o600 });
		try {
			linkSync(temp, file);
		}
		catch (error) {
			if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
		}
		finally {
			rmSync(temp, { force: true });
		}
		key = readKey(file);
		if (!key) throw new Error(`${file} must hold exactly ${keyBytes} bytes`);
	}
	keys.set(ctx, key);
	return key;
}

function readKey(file: string): Buffer | undefined {
	let bytes: Buffer;
	try {
		bytes = readFileSync(file);
	}
	catch (error) {
		if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
		throw error;
	}
	// A key of any other length is a damaged file, not something to overwrite silently.
	if (bytes.length !== keyBytes) throw new Error(`${file} must hold exactly ${keyBytes} bytes, it has ${bytes.length}`);
	return bytes;
}

function canonicalQuery(params: URLSearchParams): string {
	const pairs: [string, string][] = [];
	for (const [name, value] of params) if (!signing.has(name) && !name.startsWith("_HLS_")) pairs.push([name, value]);
	pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
	return pairs.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join("&");
}

/** The one method a link is signed for; HEAD is checked as GET (it reads the same, without the body). */
const signedMethod = "GET";
const methodOf = (method: string) => (method === "HEAD" ? "GET" : method);

function mac(ctx: CloudContext, method: string, path: string, params: URLSearchParams, exp: string, user: string, admin: boolean, epoch: number): Buffer {
	return createHmac("sha256", serviceKey(ctx)).update(`ivxs-url-v3\n${method}\n${path}\n${canonicalQuery(params)}\n${exp}\n${epoch}\n${user}\n${admin ? 1 : 0}`).digest();
}

/** Whether the URL carries a signature (then it must verify, and its route must accept signed URLs). */
export const isSignedUrl = (url: URL): boolean => url.searchParams.has("sig");

/**
 * `path` (with its query, if any) signed for `viewer` for `lifetimeS` seconds
 * (default config.urlLifetimeS): the same path and query plus exp, user, [admin], sig.
 */
export function signUrl(ctx: CloudContext, path: string, viewer: SignedViewer, lifetimeS = ctx.config.urlLifetimeS, now = Date.now()): string {
	const url = new URL(path, "http://local");
	for (const name of signing) url.searchParams.delete(name);
	const exp = String(Math.floor(now / 1000) + Math.max(1, Math.floor(lifetimeS)));
	const epoch = viewer.linkEpoch ?? 0;
	const sig = mac(ctx, signedMethod, url.pathname, url.searchParams, exp, viewer.user, viewer.admin, epoch).toString("base64url");
	url.searchParams.set("exp", exp);
	url.searchParams.set("user", viewer.user);
	if (viewer.admin) url.searchParams.set("admin", "1");
	if (epoch !== 0) url.searchParams.set("user_epoch", String(epoch));
	url.searchParams.set("sig", sig);
	return `${url.pathname}${url.search}`;
}

/**
 * The viewer a signed URL speaks for, for a request with `method`; undefined
 * when the URL carries no signature (the caller then tries the cookie or a
 * token). A signature that is expired, altered, forged or used with another
 * method is a 403 that says which.
 */
export function verifySignedUrl(ctx: CloudContext, method: string, url: URL, now = Date.now()): Required<SignedViewer> | undefined {
	const params = url.searchParams;
	const sig = params.get("sig");
	if (sig === null) return undefined;
	const exp = params.get("exp"), user = params.get("user"), admin = params.get("admin"), epoch = params.get("user_epoch");
	if (exp === null || user === null || !/^[0-9]{1,12}$/.test(exp) || (admin !== null && admin !== "1") || (epoch !== null && !/^[1-9][0-9]{0,14}$/.test(epoch)))
		throw new HttpError(403, "signed URL is incomplete: it needs exp (unix seconds), user and sig");
	if ([...signing].some((name) => params.getAll(name).length > 1))
		throw new HttpError(403, "signed URL does not match: a signing parameter is repeated");
	const linkEpoch = epoch === null ? 0 : Number(epoch);
	const given = Buffer.from(sig, "base64url");
	const want = mac(ctx, methodOf(method), url.pathname, params, exp, user, admin === "1", linkEpoch);
	if (given.length !== want.length || !timingSafeEqual(given, want))
		throw new HttpError(403, "signed URL does not match its method, path, query, expiry or user (altered or forged)");
	// Checked after the MAC, so the message about expiry is only ever given for a genuine URL.
	if (Number(exp) * 1000 <= now) throw new HttpError(403, `signed URL expired at ${new Date(Number(exp) * 1000).toISOString()}`);
	return { user, admin: admin === "1", linkEpoch };
}
