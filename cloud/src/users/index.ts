// Sign-in for the console and the API: POST /v1/session {user, password} sets
// an HttpOnly, SameSite=Strict cookie (no script can read it, no other site
// can send it); DELETE /v1/session signs out; GET /v1/me says who is signed in.
// On a first start with no users, an `admin` is created so a newcomer can sign in.
import type { CloudContext } from "../context.js";
import { HttpError, readJson, sendJson } from "../http/router.js";
import { cookieOf, sessionCookie } from "./access.js";
import { addUser, checkPassword, countUsers, createSession, deleteSession, findUser, hashPassword, randomPassword, sessionLifetimeMs, UserError } from "./store.js";

// A constant hash to check against when the user does not exist, so the answer
// takes as long as for a wrong password (no user-name probing by timing).
let decoy: string | undefined;

// Password guessing: after 10 failures for one user name from one address
// within 15 minutes, that pair is refused (429) until the window ends.
const guessWindowMs = 15 * 60 * 1000, guessLimit = 10;

class Guesses {
	#failures = new Map<string, { count: number; first: number }>();

	retryAfterS(key: string, now = Date.now()): number {
		const entry = this.#failures.get(key);
		if (!entry || now - entry.first >= guessWindowMs) return 0;
		return entry.count >= guessLimit ? Math.ceil((entry.first + guessWindowMs - now) / 1000) : 0;
	}

	fail(key: string, now = Date.now()): void {
		if (this.#failures.size > 100_000) for (const [k, e] of this.#failures) if (now - e.first >= guessWindowMs) this.#failures.delete(k);
		const entry = this.#failures.get(key);
		if (!entry || now - entry.first >= guessWindowMs) this.#failures.set(key, { count: 1, first: now });
		else entry.count++;
	}

	forget(key: string): void {
		this.#failures.delete(key);
	}
}

const firstPasswords = new WeakMap<CloudContext, string>();

/** The random password given to `admin` at this instance's first start, for the CLI to print once. */
export function firstAdminPassword(ctx: CloudContext): string | undefined {
	return firstPasswords.get(ctx);
}

export function install(ctx: CloudContext): void {
	firstAdmin(ctx);
	const secure = ctx.config.tlsCert || ctx.config.publicUrl?.startsWith("https:") ? "; Secure" : "";
	const cookie = (value: string, maxAgeS: number) => `${sessionCookie}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure}`;

	const guesses = new Guesses();
	ctx.router.add("POST", "/v1/session", { auth: "none" }, async (req, res) => {
		const body = await readJson(req, 4096);
		const { user, password } = body;
		if (typeof user !== "string" || typeof password !== "string") throw new HttpError(400, "body must be { \"user\": string, \"password\": string }");
		const guessKey = `${user.slice(0, 64)}\n${req.socket.remoteAddress}`;
		const wait = guesses.retryAfterS(guessKey);
		if (wait) throw new HttpError(429, `too many failed sign-ins for ${user.slice(0, 64)}: try again in ${wait} s`, { "retry-after": String(wait) });
		const found = user.length <= 64 ? findUser(ctx.db, user) : undefined;
		decoy ??= hashPassword(randomPassword());
		const ok = await checkPassword(password.slice(0, 1024), found?.hash ?? decoy) && !!found;
		if (!ok || !found) {
			guesses.fail(guessKey);
			ctx.metrics.inc("ivxs_auth_failures_total", "Refused credentials, by kind", { kind: "password" });
			ctx.log.warn({ user: user.slice(0, 64), address: req.socket.remoteAddress }, "sign-in refused");
			throw new HttpError(401, "wrong user name or password");
		}
		guesses.forget(guessKey);
		const session = createSession(ctx.db, found.name);
		sendJson(res, 200, { user: found.name, admin: found.admin }, { "set-cookie": cookie(session, Math.floor(sessionLifetimeMs / 1000)) });
	});

	ctx.router.add("DELETE", "/v1/session", { auth: "none" }, (req, res) => {
		const session = cookieOf(req, sessionCookie);
		if (session) deleteSession(ctx.db, session);
		res.writeHead(204, { "set-cookie": cookie("", 0), "cache-control": "no-store" });
		res.end();
	});

	ctx.router.add("GET", "/v1/me", { auth: "user" }, (_req, res, _params, _url, { viewer }) => {
		sendJson(res, 200, viewer);
	});
}

function firstAdmin(ctx: CloudContext): void {
	if (countUsers(ctx.db) > 0) return;
	const given = ctx.config.adminPassword;
	const password = given ?? randomPassword();
	try {
		addUser(ctx.db, "admin", password, true);
	}
	catch (error) {
		// Another instance sharing the metadata created it first.
		if (error instanceof UserError && /already exists/.test(error.message)) return;
		throw error;
	}
	if (given) ctx.log.warn("created user admin with the password of IVXS_CLOUD_ADMIN_PASSWORD");
	else {
		ctx.log.warn("no users yet: created user admin with a random password (printed once on stdout by npm run cloud)");
		firstPasswords.set(ctx, password);
	}
}
