// User management over HTTP (the console's settings; the CLI does the same offline):
//   PUT    /v1/me/password            { current, password } — own password; other sessions end
//   POST   /v1/tokens                 a new API token for the caller, shown once
//   GET    /v1/users                  admin: [{ name, admin, created, devices }]
//   POST   /v1/users                  admin: { name, password, admin? } → 201
//   PUT    /v1/users/:name/password   admin: { password } — a new password; every session of that user ends
//   DELETE /v1/users/:name            admin: the user, its grants, sessions and tokens (not oneself)
//   PUT    /v1/users/:name/devices/:device, DELETE …   admin: grant / revoke a device
import type { CloudContext } from "../context.js";
import { HttpError, readJson, sendJson } from "../http/router.js";
import { cookieOf, sessionCookie } from "./access.js";
import { passwordChecks } from "./sign-in-limits.js";
import { addToken, addUser, checkPassword, findUser, grantDevice, listGrants, listUsers, removeUser, revokeDevice, setPassword, UserError } from "./store.js";

const asHttp = async <T>(work: () => Promise<T>): Promise<T> => {
	try {
		return await work();
	}
	catch (error) {
		if (error instanceof UserError) throw new HttpError(/already exists/.test(error.message) ? 409 : /^no /.test(error.message) ? 404 : 400, error.message);
		throw error;
	}
};

export function install(ctx: CloudContext): void {
	const { router, sql } = ctx;

	router.add("PUT", "/v1/me/password", { auth: "user" }, async (req, res, _params, _url, { viewer }) => {
		const { current, password } = await readJson(req, 4096);
		if (typeof current !== "string" || typeof password !== "string") throw new HttpError(400, "body must be { \"current\": string, \"password\": string }");
		if (password.length < 8 || password.length > 1024) throw new HttpError(400, "password must be 8..1024 characters");
		const user = await findUser(sql, viewer.user);
		if (!user || !(await passwordChecks(ctx).run(() => checkPassword(current.slice(0, 1024), user.hash)))) throw new HttpError(403, "current password is wrong");
		// Every other session of this user ends (a stolen cookie stops working).
		await setPassword(sql, user.name, password, cookieOf(req, sessionCookie));
		res.writeHead(204).end();
	});

	router.add("POST", "/v1/tokens", { auth: "user" }, async (req, res, _params, _url, { viewer }) => {
		req.resume();
		sendJson(res, 201, { user: viewer.user, token: await asHttp(() => addToken(sql, viewer.user)) });
	});

	router.add("GET", "/v1/users", { auth: "admin" }, async (_req, res) => {
		const grants = await listGrants(sql);
		sendJson(res, 200, { users: (await listUsers(sql)).map((user) => ({ ...user, devices: grants.filter((g) => g.user === user.name).map((g) => g.device) })) });
	});

	router.add("POST", "/v1/users", { auth: "admin" }, async (req, res) => {
		const body = await readJson(req, 4096);
		for (const key of Object.keys(body)) if (!["name", "password", "admin"].includes(key)) throw new HttpError(400, `unknown user field "${key}"`);
		if (body.admin !== undefined && typeof body.admin !== "boolean") throw new HttpError(400, "admin must be true or false");
		const user = await asHttp(() => addUser(sql, body.name as string, body.password as string, body.admin === true));
		sendJson(res, 201, { ...user, devices: [] });
	});

	router.add("PUT", "/v1/users/:name/password", { auth: "admin" }, async (req, res, params) => {
		const body = await readJson(req, 4096);
		if (!await findUser(sql, params.name)) throw new HttpError(404, `no user ${params.name}`);
		await asHttp(() => setPassword(sql, params.name, body.password as string));
		res.writeHead(204).end();
	});

	router.add("DELETE", "/v1/users/:name", { auth: "admin" }, async (_req, res, params, _url, { viewer }) => {
		if (params.name === viewer.user) throw new HttpError(400, "an admin cannot remove themself");
		if (!await findUser(sql, params.name)) throw new HttpError(404, `no user ${params.name}`);
		await removeUser(sql, params.name);
		res.writeHead(204).end();
	});

	// (A grant names a device that may not exist yet for this user: checked by grantDevice, 404.)
	router.add("PUT", "/v1/users/:name/devices/:device", { auth: "admin" }, async (_req, res, params) => {
		await asHttp(() => grantDevice(sql, params.name, params.device));
		res.writeHead(204).end();
	});

	router.add("DELETE", "/v1/users/:name/devices/:device", { auth: "admin" }, async (_req, res, params) => {
		if (!await revokeDevice(sql, params.name, params.device)) throw new HttpError(404, `${params.name} has no grant on ${params.device}`);
		res.writeHead(204).end();
	});
}
