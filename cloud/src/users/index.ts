// Sign-in for the console and the API: POST /v1/session {user, password} sets
// an HttpOnly, SameSite=Strict cookie (no script can read it, no other site
// can send it); DELETE /v1/session signs out; GET /v1/me says who is signed in.
// On a first start with no users, an `admin` is created so a newcomer can sign in.
import type { CloudContext } from "../context.js";
import { HttpError, readJson, sendJson } from "../http/router.js";
import { cookieOf, sessionCookie } from "./access.js";
import { addressKey } from "../net/client-address.js";
import { Guesses, passwordChecks, TokenBuckets } from "./sign-in-limits.js";
import { addUser, checkPassword, countUsers, createSession, deleteSession, findUser, hashPassword, randomPassword, sessionLifetimeMs, UserError } from "./store.js";

// A constant hash to check against when the user does not exist, so the answer
// takes as long as for a wrong password (no user-name probing by timing).
let decoy: string | undefined;

const firstPasswords = new WeakMap<CloudContext, string>();

/** The random password given to `admin` at this instance's first start, for the CLI to print once. */
export function firstAdminPassword(ctx: CloudContext): string | undefined {
	return firstPasswords.get(ctx);
}

export async function install(ctx: CloudContext): Promise<void> {
	await firstAdmin(ctx);
	const secure = ctx.config.tlsCert || ctx.config.publicUrl?.startsWith("https:") ? "; Secure" : "";
	const cookie = (value: string, maxAgeS: number) => `${sessionCookie}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure}`;

	// Sign-in costs (sign-in-limits.ts): attempts per client address, wrong passwords per name and address.
	const attempts = new TokenBuckets(ctx.sql, ctx.config.signInBurst, ctx.config.signInPerMinute);
	const guesses = new Guesses(ctx.sql);
	// Every instance may forget (the statements are idempotent): the tables hold only what is being spent.
	ctx.every(60_000, async () => void (await attempts.forgetFull() + await guesses.forgetLapsed()));
	ctx.router.add("POST", "/v1/session", { auth: "none" }, async (req, res) => {
		const body = await readJson(req, 4096);
		const { user, password } = body;
		if (typeof user !== "string" || typeof password !== "string") throw new HttpError(400, "body must be { \"user\": string, \"password\": string }");
		const client = ctx.addresses.ofRequest(req);
		const guessKey = `${user.slice(0, 64)}\n${addressKey(client)}`;
		const wait = await guesses.retryAfterS(guessKey);
		if (wait) throw new HttpError(429, `too many failed sign-ins for ${user.slice(0, 64)}: try again in ${wait} s`, { "retry-after": String(wait) });
		const budget = await attempts.take(addressKey(client));
		if (budget) {
			ctx.metrics.inc("ivxs_sign_in_throttled_total", "Sign-ins refused (429) because their address used its budget of attempts");
			throw new HttpError(429, `too many sign-in attempts from ${client}: try again in ${budget} s`, { "retry-after": String(budget) });
		}
		const found = user.length <= 64 ? await findUser(ctx.sql, user) : undefined;
		decoy ??= hashPassword(randomPassword());
		const ok = await passwordChecks(ctx).run(() => checkPassword(password.slice(0, 1024), found?.hash ?? decoy!)) && !!found;
		if (!ok || !found) {
			await guesses.fail(guessKey);
			ctx.metrics.inc("ivxs_auth_failures_total", "Refused credentials, by kind", { kind: "password" });
			ctx.log.warn({ user: user.slice(0, 64), address: client }, "sign-in refused");
			throw new HttpError(401, "wrong user name or password");
		}
		await guesses.forget(guessKey);
		const session = await createSession(ctx.sql, found.name);
		sendJson(res, 200, { user: found.name, admin: found.admin }, { "set-cookie": cookie(session, Math.floor(sessionLifetimeMs / 1000)) });
	});

	ctx.router.add("DELETE", "/v1/session", { auth: "none" }, async (req, res) => {
		const session = cookieOf(req, sessionCookie);
		if (session) await deleteSession(ctx.sql, session);
		res.writeHead(204, { "set-cookie": cookie("", 0), "cache-control": "no-store" });
		res.end();
	});

	ctx.router.add("GET", "/v1/me", { auth: "user" }, (_req, res, _params, _url, { viewer }) => {
		sendJson(res, 200, { user: viewer.user, admin: viewer.admin });
	});
}

async function firstAdmin(ctx: CloudContext): Promise<void> {
	if (await countUsers(ctx.sql) > 0) return;
	const given = ctx.config.adminPassword;
	const password = given ?? randomPassword();
	try {
		await addUser(ctx.sql, "admin", password, true);
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
