// The cloud as the camera benches use it: started in this process from build/node (disk storage,
// embedded MQTT, data in `dataDir`), the admin signed in, and `api(path, init)` calling it as the
// admin (JSON both ways; a non-2xx answer throws). `built(path)`: a module of the built cloud.
// `config`: more of the cloud's settings (cloud/src/config.ts: e.g. host, stunServers, turnServers).
import { join } from "node:path";
import { pathToFileURL } from "node:url";

export async function inProcessCloud(root, dataDir, config = {}) {
	const built = (path) => import(pathToFileURL(join(root, "build/node/cloud/src", path)).href);
	const { loadConfig } = await built("config.js");
	const { startCloud } = await built("server.js");
	const { addDevice } = await built("devices/registry.js");
	const { pino } = await import("pino");
	const adminPassword = `bench-${Math.random().toString(36).slice(2)}`;
	const cloud = await startCloud(loadConfig({ host: "127.0.0.1", port: 0, logLevel: "warn", p2pLoopback: true, dataDir, adminPassword, ...config }, {}), pino({ level: "silent" }));
	const res = await fetch(`${cloud.url}/v1/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ user: "admin", password: adminPassword }) });
	if (!res.ok) throw new Error(`admin sign-in: ${res.status}`);
	const cookie = res.headers.get("set-cookie").split(";")[0];
	const api = async (path, init = {}) => {
		const answer = await fetch(`${cloud.url}${path}`, { ...init, headers: { cookie, "content-type": "application/json" }, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
		const text = await answer.text();
		const json = text ? JSON.parse(text) : undefined;   // (a 204 has no body)
		if (!answer.ok) throw new Error(`${init.method ?? "GET"} ${path}: ${answer.status} ${JSON.stringify(json)}`);
		return json;
	};
	return { cloud, built, api, adminPassword, addDevice: (fields) => addDevice(cloud.ctx.sql, fields) };
}

/** `n` users (`${prefix}0`, `${prefix}1`, …), each signed in once with an API token of its own: [{ name, token }]. */
export async function viewerAccounts(cloud, api, n, prefix = "viewer") {
	const accounts = [];
	for (let i = 0; i < n; i++) {
		const name = `${prefix}${i}`, password = `bench-${Math.random().toString(36).slice(2)}`;
		await api("/v1/users", { method: "POST", body: { name, password } });
		const signedIn = await fetch(`${cloud.url}/v1/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ user: name, password }) });
		const cookie = signedIn.headers.get("set-cookie").split(";")[0];
		accounts.push({ name, token: (await (await fetch(`${cloud.url}/v1/tokens`, { method: "POST", headers: { cookie } })).json()).token });
	}
	return accounts;
}

/** Grants each of `accounts` (viewerAccounts') the device. */
export async function grantDevice(api, accounts, device) {
	for (const { name } of accounts) await api(`/v1/users/${name}/devices/${device}`, { method: "PUT" });
}

/** API tokens of `n` users granted the device (the cloud lets one user hold MAX_SESSIONS_PER_VIEWER of a camera's sessions). */
export async function viewerTokens(cloud, api, device, n) {
	const accounts = await viewerAccounts(cloud, api, n);
	await grantDevice(api, accounts, device);
	return accounts.map((a) => a.token);
}
