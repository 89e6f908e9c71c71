// Test helpers: a cloud instance on a free port with its own data folder, and
// devices registered in it. Import from tests as "./_cloud.mjs".
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { loadConfig } from "../../build/node/cloud/src/config.js";
import { startCloud } from "../../build/node/cloud/src/server.js";
import { addDevice } from "../../build/node/cloud/src/devices/registry.js";

/** Starts a cloud; `t.teardown` stops it and removes its data (unless `keep`). */
export async function cloudFor(t, overrides = {}, { keep = false } = {}) {
	const dataDir = overrides.dataDir ?? mkdtempSync(join(tmpdir(), "ivxs-cloud-"));
	const config = loadConfig({ host: "127.0.0.1", port: 0, logLevel: "warn", ...overrides, dataDir }, {});
	const cloud = await startCloud(config, pino({ level: process.env.IVXS_CLOUD_TEST_LOG ?? "silent" }));
	t.teardown(async () => {
		await cloud.stop();
		if (!keep && !overrides.dataDir) rmSync(dataDir, { recursive: true, force: true });
	});
	return Object.assign(cloud, { dataDir, config });
}

/** Registers a device directly in the cloud's metadata; returns { id, secret, … }. */
export function deviceIn(cloud, id = `cam-${Math.random().toString(36).slice(2, 8)}`, options = {}) {
	return addDevice(cloud.ctx.db, { id, ...options });
}

/** fetch's init for a JSON body (as the console sends it: the service refuses JSON of another type). */
export const json = (body, init = {}) => ({ ...init, headers: { ...init.headers, "content-type": "application/json" }, body: JSON.stringify(body) });

/**
 * Signs `user` in through POST /v1/session: { status, cookie, call } where `call(path, { body, … })`
 * is fetch with the session's cookie and `body` sent as JSON (status ≠ 200: no cookie, no call).
 */
export async function session(cloud, user, password) {
	const res = await fetch(`${cloud.url}/v1/session`, json({ user, password }, { method: "POST" }));
	if (res.status !== 200) return { status: res.status };
	const cookie = res.headers.get("set-cookie").split(";")[0];
	const call = (path, { body, ...init } = {}) => fetch(`${cloud.url}${path}`, body === undefined ? { ...init, headers: { cookie } } : json(body, { ...init, headers: { cookie } }));
	return { status: 200, cookie, call };
}
