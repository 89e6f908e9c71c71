// Every owner of metadata goes through the async layer (meta/sql.ts): on SQLite
// one connection serves them all, so a statement of one caller must never run
// inside another caller's open transaction (it would commit or roll back with
// it). Before the last owners moved over, a synchronous statement (`ctx.db`)
// run while an async transaction awaited joined it.
import test from "ava";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { cloudFor } from "./_cloud.mjs";
import { addDevice, findDevice } from "../../build/node/cloud/src/devices/registry.js";
import { loadConfig } from "../../build/node/cloud/src/config.js";
import { metadataOf } from "../../build/node/cloud/src/meta/open-sql.js";

const src = join(import.meta.dirname, "../src");

test("a device added while another caller's transaction is open is not rolled back with it", async (t) => {
	const cloud = await cloudFor(t);
	let opened;
	const open = new Promise((resolve) => (opened = resolve));
	// A transaction that awaits between its statements, then fails.
	const failing = cloud.ctx.sql.transaction(async (tx) => {
		await tx.run("INSERT INTO plans (device, plan, rev, updated) VALUES ('cam-x', '{}', 1, 0)");
		opened();
		await new Promise((resolve) => setTimeout(resolve, 50));
		throw new Error("rolled back");
	});
	await open;
	const added = addDevice(cloud.ctx.sql, { id: "cam-y" });
	await t.throwsAsync(failing, { message: "rolled back" });
	await added;
	t.truthy(await findDevice(cloud.ctx.sql, "cam-y"), "the device added meanwhile is there");
	t.falsy(await cloud.ctx.sql.get("SELECT 1 FROM plans WHERE device = 'cam-x'"), "the failed transaction left nothing");
	t.is(cloud.ctx.db, undefined, "no synchronous handle on the context");
});

test("no module of cloud/src but meta/ prepares SQL itself (every owner is on the async layer)", (t) => {
	const files = readdirSync(src, { recursive: true }).filter((name) => name.endsWith(".ts")).map((name) => join(src, name));
	const offending = files.filter((file) => !relative(src, file).startsWith("meta/"))
		.filter((file) => /\.prepare\(|\.pragma\(|better-sqlite3|ctx\.db\b|\bstatement\(/.test(readFileSync(file, "utf8")))
		.map((file) => relative(src, file));
	t.true(files.length > 50, `${files.length} files read`);
	t.deepEqual(offending, []);
});

test("METADATA_URL: postgres://… selects PostgreSQL; unset, the SQLite file in the data folder; anything else is refused at start", (t) => {
	const sqlite = loadConfig({ dataDir: "/tmp/ivxs-data" }, {});
	t.is(metadataOf(sqlite), "/tmp/ivxs-data/metadata.sqlite");
	const postgres = loadConfig({ dataDir: "/tmp/ivxs-data" }, { IVXS_CLOUD_METADATA_URL: "postgres://ivxs@db.example:5432/ivxs" });
	t.is(metadataOf(postgres), "postgres://ivxs@db.example:5432/ivxs");
	t.throws(() => loadConfig({ dataDir: "/tmp/ivxs-data" }, { IVXS_CLOUD_METADATA_URL: "mysql://db.example/ivxs" }), { name: "ConfigError", message: /metadataUrl must be a postgres:\/\// });
});
