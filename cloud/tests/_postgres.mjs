// A PostgreSQL cluster of its own for a test (Debian's postgresql): initdb in
// a temp folder, started with pg_ctl on a free port, stopped and removed at
// teardown. PostgreSQL refuses to run as root: as root (CI), the cluster
// belongs to the `postgres` user the package creates and its tools run
// through `runuser`.
import pg from "pg";
import { execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";

const binDir = () => {
	const root = "/usr/lib/postgresql";
	const version = existsSync(root) && readdirSync(root).sort((a, b) => Number(b) - Number(a))[0];
	if (!version) throw new Error("PostgreSQL is not installed (node scripts/test-deps.mjs installs it)");
	return join(root, version, "bin");
};

const freePort = () => new Promise((resolve) => {
	const server = createServer().listen(0, "127.0.0.1", () => {
		const { port } = server.address();
		server.close(() => resolve(port));
	});
});

const PORT_TRIES = 5;

/** Starts the cluster in `data` on a free port; resolves to the port. The port is free when
 * chosen, not when PostgreSQL binds it: another process may take it in between, and then the start
 * is tried again on another (the log says why a start failed; any other failure is thrown). */
async function started(run, data, dir, log) {
	for (let attempt = 1; ; attempt++) {
		const port = await freePort();
		try {
			run("pg_ctl", ["-D", data, "-w", "-l", log, "-o", `-k ${dir} -h 127.0.0.1 -p ${port} -F`, "start"]);
			return port;
		} catch (error) {
			const taken = existsSync(log) && /could not bind .*Address already in use/.test(readFileSync(log, "utf8"));
			if (!taken || attempt === PORT_TRIES) throw error;
			rmSync(log, { force: true });
		}
	}
}

/** Starts a cluster; resolves to a postgres:// URL of its database `ivxs`. */
export async function postgresFor(t) {
	const bin = binDir();
	const dir = mkdtempSync(join(tmpdir(), "ivxs-pg-"));
	const asRoot = userInfo().uid === 0;
	if (asRoot) {
		const id = Number(execFileSync("id", ["-u", "postgres"]).toString()), gid = Number(execFileSync("id", ["-g", "postgres"]).toString());
		chownSync(dir, id, gid);
	}
	const run = (tool, args) => execFileSync(asRoot ? "runuser" : join(bin, tool), asRoot ? ["-u", "postgres", "--", join(bin, tool), ...args] : args, { stdio: "pipe" });
	const data = join(dir, "data"), log = join(dir, "log");
	run("initdb", ["-D", data, "-A", "trust", "-U", "ivxs", "--no-sync", "-E", "UTF8"]);
	const port = await started(run, data, dir, log);
	t.teardown(() => {
		try {
			run("pg_ctl", ["-D", data, "-w", "-m", "immediate", "stop"]);
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});
	run("createdb", ["-h", "127.0.0.1", "-p", String(port), "-U", "ivxs", "ivxs"]);
	return `postgres://ivxs@127.0.0.1:${port}/ivxs`;
}


/** Creates the database `name` in the cluster of `url` (a postgres:// URL); resolves to its URL. */
export async function createDatabase(url, name) {
	const client = new pg.Client(url);
	await client.connect();
	try {
		await client.query(`CREATE DATABASE ${name}`);
	} finally {
		await client.end();
	}
	return url.replace(/\/[^/]*$/, `/${name}`);
}
