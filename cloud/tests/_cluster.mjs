// Test helper: the multi-host shape on one machine (cloud/README.md, "More than
// one instance"). N cloud instances, each its own process with its own data
// folder (as on separate hosts), sharing only the metadata, an S3 store
// (s3rver), a broker (Debian's mosquitto) and the service key; Debian's HAProxy
// in front of them (HTTP mode, health checks on /healthz, X-Forwarded-For, the
// instances trusting it). Cameras upload through HAProxy and reach mosquitto
// directly (why: README). Import as "./_cluster.mjs".
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startHaproxy } from "./_haproxy.mjs";
import { freePort, startMosquitto } from "./_mosquitto.mjs";
import { s3For } from "./_s3.mjs";
import { postgresDatabase } from "./_cloud.mjs";
import { openSql } from "../../build/node/cloud/src/meta/open-sql.js";

const root = join(import.meta.dirname, "../..");
const cli = join(root, "build/node/cloud/src/cli.js");
export const adminPassword = "admin-secret-1";

/**
 * The metadata the instances share, as their environment and the URL the test opens:
 * "postgres" (a database of the test file's PostgreSQL cluster, IVXS_CLOUD_METADATA_URL,
 * as on several hosts) or "sqlite" (one file in WAL mode: instances on one host).
 */
async function sharedMetadata(dir, metadata) {
	if (metadata === "postgres") {
		const url = await postgresDatabase();
		return { env: { IVXS_CLOUD_METADATA_URL: url }, url };
	}
	const file = join(dir, "metadata.sqlite");
	return { env: { IVXS_CLOUD_METADATA_FILE: file }, url: file };
}

/** One instance: a `node cli.js serve` process on `port`; `start`, `kill` (SIGKILL), `stop` (SIGTERM). */
function instance(index, port, dir, env) {
	const data = join(dir, `host${index}`);
	const self = { index, port, url: `http://127.0.0.1:${port}`, process: undefined, log: "" };
	self.start = async () => {
		// A port freePort() found free can be taken again (an outgoing connection's ephemeral port)
		// before the instance binds it: before HAProxy knows the ports, try another one.
		for (let attempt = 1; ; attempt++) {
			try {
				return await listen();
			}
			catch (error) {
				if (self.listened || attempt === 5 || !/EADDRINUSE/.test(error.message)) throw error;
				self.port = await freePort();
				self.url = `http://127.0.0.1:${self.port}`;
			}
		}
	};
	const listen = async () => {
		self.log = "";
		const child = self.process = spawn(process.execPath, [cli, "serve", "--host", "127.0.0.1", "--port", String(self.port), "--data", data], { env, stdio: ["ignore", "pipe", "pipe"] });
		child.stderr.on("data", (chunk) => (self.log += chunk));
		await new Promise((resolve, reject) => {
			let out = "";
			child.stdout.on("data", (chunk) => {
				out += chunk;
				if (/ivxs cloud: http:/.test(out)) resolve();
			});
			child.once("exit", (code) => reject(new Error(`instance ${index} exited (${code}) before listening: ${self.log}`)));
		});
		self.listened = true;
	};
	const ended = (signal) => new Promise((resolve) => {
		const child = self.process;
		if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
		child.once("exit", resolve);
		child.kill(signal);
	});
	self.kill = () => ended("SIGKILL");
	self.stop = () => ended("SIGTERM");
	self.metrics = async () => (await fetch(`${self.url}/metrics`)).text();
	return self;
}

export { counterIn } from "./_metrics.mjs";

/**
 * Starts the shape: { url (HAProxy), broker, s3, instances, sql, dir }. `env`: more
 * IVXS_CLOUD_* for every instance (FILE_MINUTES, MAX_TOTAL_BYTES, …); `metadata`:
 * "sqlite" or "postgres" (what the instances share; `sql` is the test's handle on it).
 */
export async function clusterFor(t, { instances: count = 3, env = {}, metadata = "sqlite" } = {}) {
	const dir = mkdtempSync(join(tmpdir(), "ivxs-cluster-"));
	mkdirSync(join(dir, "shared"));
	const shared = await sharedMetadata(join(dir, "shared"), metadata);
	// The test's own handle (teardowns run last-in first-out: it closes after the instances stop).
	const sql = await openSql(shared.url, { durable: false });
	t.teardown(async () => {
		await sql.close();
		rmSync(dir, { recursive: true, force: true });
	});
	const broker = await startMosquitto(t);
	const s3 = await s3For(t, "ivxs-cluster");
	const instanceEnv = {
		...process.env, ...shared.env,
		IVXS_CLOUD_SERVICE_KEY_FILE: join(dir, "shared", "service.key"),
		IVXS_CLOUD_MQTT: broker, IVXS_CLOUD_ADMIN_PASSWORD: adminPassword, IVXS_CLOUD_LOG_LEVEL: "warn",
		IVXS_CLOUD_S3_ENDPOINT: s3.endpoint, IVXS_CLOUD_S3_BUCKET: s3.storage.bucket, IVXS_CLOUD_S3_REGION: s3.storage.region,
		IVXS_CLOUD_S3_ACCESS_KEY_ID: s3.storage.accessKeyId, IVXS_CLOUD_S3_SECRET_ACCESS_KEY: s3.storage.secretAccessKey,
		// HAProxy: X-Forwarded-For from it names the client, its connections are not capped per address.
		IVXS_CLOUD_TRUSTED_PROXIES: "127.0.0.1",
		...env,
	};
	const ports = [];
	for (let i = 0; i < count; i++) ports.push(await freePort());
	const nodes = ports.map((port, i) => instance(i, port, dir, instanceEnv));
	t.teardown(() => Promise.all(nodes.map((node) => node.stop())));
	// One at a time: the first creates the schema, the admin user and the bucket.
	for (const node of nodes) await node.start();
	const haproxy = await startHaproxy(join(dir, "haproxy.cfg"), nodes.map((node) => node.port));
	t.teardown(haproxy.stop);
	return { url: haproxy.url, broker, s3, instances: nodes, sql, dir };
}
