// Test helpers: a cloud instance on a free port with its own data folder, and
// devices registered in it. Import from tests as "./_cloud.mjs".
import test from "ava";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { loadConfig } from "../../build/node/cloud/src/config.js";
import { startCloud } from "../../build/node/cloud/src/server.js";
import { addDevice } from "../../build/node/cloud/src/devices/registry.js";
import { createDatabase, postgresFor } from "./_postgres.mjs";

/**
 * Starts a cloud; `t.teardown` stops it and removes its data (unless `keep`). `metadata`:
 * "sqlite" (the default, in the data folder) or "postgres" (a new database of the file's cluster).
 */
export async function cloudFor(t, { metadata = "sqlite", ...overrides } = {}, { keep = false } = {}) {
	const dataDir = overrides.dataDir ?? mkdtempSync(join(tmpdir(), "ivxs-cloud-"));
	if (metadata === "postgres") overrides.metadataUrl ??= await postgresDatabase();
	// p2pLoopback: tests run on one host, where a viewer's loopback candidate is one the camera may check.
	const config = loadConfig({ host: "127.0.0.1", port: 0, logLevel: "warn", p2pLoopback: true, ...overrides, dataDir }, {});
	const cloud = await startCloud(config, pino({ level: process.env.IVXS_CLOUD_TEST_LOG ?? "silent" }));
	t.teardown(async () => {
		await cloud.stop();
		if (!keep && !overrides.dataDir) rmSync(dataDir, { recursive: true, force: true });
	});
	return Object.assign(cloud, { dataDir, config });
}

/** Registers a device directly in the cloud's metadata; returns { id, secret, … }. */
export function deviceIn(cloud, id = `cam-${Math.random().toString(36).slice(2, 8)}`, options = {}) {
	return addDevice(cloud.ctx.sql, { id, ...options });
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

/** The metadata engines a parametrised test runs on: SQLite (the default) and PostgreSQL. */
export const engines = ["sqlite", "postgres"];

/** A test's title on `engine` (the SQLite one keeps its plain title). */
export const onEngine = (engine, title) => engine === "sqlite" ? title : `${engine}: ${title}`;

// One PostgreSQL cluster per test file, started on first use; a fresh database per cloud.
let shared;
const stops = [];
test.after.always(() => {
	for (const stop of stops.reverse()) stop();
});

/** A postgres:// URL of a new, empty database in this test file's cluster. */
export async function postgresDatabase() {
	shared ??= postgresFor({ teardown: (stop) => stops.push(stop) }).then((url) => ({ url, made: 0 }));
	const cluster = await shared;
	return createDatabase(cluster.url, `ivxs_${++cluster.made}`);
}
