// The soak's cloud: `npm run cloud`'s server (build/node/cloud/src/cli.js serve) as a child
// process on a fixed address, port and data folder, so it can be SIGKILLed and started again on
// them; its MQTT broker external (`IVXS_CLOUD_MQTT`: the soak's mosquitto).
// Its warnings and errors (pino JSON, level ≥ 40) are kept for the log check.
import { join } from "node:path";
import Database from "better-sqlite3";
import { root } from "../build.mjs";
import { addDevice, cloudCli as cli, listeningUrl } from "../cloud-cli.mjs";
import { kill9, procSample, running, startChild, stopChild } from "./proc.mjs";

/** Tables that grow with recorded time by design (one row a segment, event, still, gap): not state. */
export const RECORDED_TABLES = new Set(["segments", "streams", "events", "snapshots", "gaps", "recording_files", "files", "hls_streams"]);
/**
 * Tables that hold a sliding window: replay nonces (kept for the signature's lifetime), and the
 * tombstones of objects retention removed (kept through the grace period, then swept: one per
 * object the disk-full fault's room-making evicts, all at once — a step of ~40 rows that fell
 * inside the flatness window in one fresh-clone run and read as 25 rows a minute).
 */
export const WINDOWED_TABLES = new Set(["device_nonces", "mqtt_nonces", "tombstones"]);

export class SoakCloud {
	#child;
	#o;
	/** { t, level, msg, source } of every line above warning (error, fatal). */
	logs = [];
	/** How many lines at warning (counted, not judged: a slow request is one). */
	warnings = 0;
	starts = 0;

	/** `host`: the address it listens on; `mqtt`: its broker's URL. */
	constructor({ dataDir, host, port, mqtt, password, logFile }) {
		this.#o = { dataDir, host, port, mqtt, password, logFile };
	}

	get url() { return `http://${this.#o.host}:${this.#o.port}`; }
	get pid() { return running(this.#child) ? this.#child.pid : undefined; }

	/** Starts the server; resolves once it listens (rejects after `ms`). */
	start(ms = 60_000) {
		const { dataDir, host, port, mqtt, password, logFile } = this.#o;
		this.starts++;
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => reject(new Error(`the cloud did not listen within ${ms / 1000} s`)), ms);
			this.#child = startChild(process.execPath, [cli, "serve", "--port", String(port), "--host", host, "--data", dataDir], {
				cwd: root, logFile,
				env: { IVXS_CLOUD_MQTT: mqtt, IVXS_CLOUD_ADMIN_PASSWORD: password, IVXS_CLOUD_SHUTDOWN_GRACE_S: "0", IVXS_CLOUD_LOG_LEVEL: "warn",
					// No free-space floor: a full disk is then the 507 the camera retries, not the oldest
					// recordings deleted at once — which would take frames the frame check counts.
					IVXS_CLOUD_MIN_FREE_BYTES: "0", UV_THREADPOOL_SIZE: "64",
					// every viewer and the camera run on this machine: loopback candidates
					IVXS_CLOUD_P2P_LOOPBACK: "1" },
				onLine: (line) => {
					if (listeningUrl(line)) {
						clearTimeout(timer);
						resolve();
					}
					const entry = parseLog(line);
					if (entry?.level === "warn") this.warnings++;
					else if (entry) this.logs.push(entry);
				},
			});
			this.#child.exited.then(({ code, signal }) => {
				clearTimeout(timer);
				reject(new Error(`the cloud exited (${code ?? signal}) before it listened`));
			});
		});
	}

	kill9() { return kill9(this.#child); }
	stop() { return stopChild(this.#child); }

	/** Registers a camera (`npm run cloud -- device add`); its { id, secret }. */
	addDevice(id) {
		return addDevice(this.#o.dataDir, id);
	}

	/** RSS, fds, open connections and sessions (its /metrics), and metadata rows; undefined parts when down. */
	async sample() {
		const proc = this.pid ? procSample(this.pid) : undefined;
		let metrics;
		try {
			const text = await (await fetch(`${this.url}/metrics`, { signal: AbortSignal.timeout(3000) })).text();
			metrics = Object.fromEntries([...text.matchAll(/^(ivxs_[a-z_]+(?:\{[^}]*\})?) (\S+)$/gm)].map((m) => [m[1], Number(m[2])]));
		}
		catch {}
		return { ...proc, connections: metrics?.ivxs_connections_open, mqtt: metrics?.ivxs_mqtt_connections, rows: this.rows() };
	}

	/** Rows per metadata table (read-only, beside the running server: SQLite's WAL lets it). */
	rows() {
		let db;
		try {
			db = new Database(join(this.#o.dataDir, "metadata.sqlite"), { readonly: true, fileMustExist: true, timeout: 2000 });
			const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all().map((r) => r.name);
			return Object.fromEntries(tables.map((name) => [name, db.prepare(`SELECT count(*) AS n FROM "${name}"`).get().n]));
		}
		catch {
			return undefined;
		}
		finally {
			db?.close();
		}
	}
}

/** A pino line at warning or above as { t, level, msg, source: "cloud" }; undefined otherwise. */
function parseLog(line) {
	if (!line.startsWith("{")) return undefined;
	try {
		const entry = JSON.parse(line);
		if (!(entry.level >= 40)) return undefined;
		return { t: entry.time ?? Date.now(), level: entry.level >= 50 ? "error" : "warn", msg: `${entry.msg ?? ""}${entry.err?.message ? `: ${entry.err.message}` : ""}`, source: "cloud" };
	}
	catch {
		return undefined;
	}
}
