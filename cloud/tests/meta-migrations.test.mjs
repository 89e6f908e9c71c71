// Versioned migrations (meta/migrations.ts): a database made before versioning
// is adopted and brought up to date; opening again changes nothing; a database
// newer than the code is refused, untouched.
import test from "ava";
import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import "../../build/node/cloud/src/server.js"; // every owner's migrations
import { openDatabase } from "../../build/node/cloud/src/meta/db.js";
import { pendingSteps } from "../../build/node/cloud/src/meta/migrations.js";

const scratch = (t) => {
	const dir = mkdtempSync(join(tmpdir(), "ivxs-migrations-"));
	t.teardown(() => rmSync(dir, { recursive: true, force: true }));
	return join(dir, "meta.db");
};

// The schema as the unversioned code made it (its defineSchema SQL is each
// owner's migration 1), with tombstones as they were before their `bytes`.
function legacyDatabase(file) {
	const db = new Database(file);
	for (const step of pendingSteps(new Map())) {
		if (step.version !== 1) continue;
		db.exec(step.owner === "tombstones" ? "CREATE TABLE tombstones (key TEXT PRIMARY KEY, due INTEGER NOT NULL); CREATE INDEX tombstones_due ON tombstones (due);" : step.sql);
	}
	db.prepare("INSERT INTO devices (id, secret, name, channels, created) VALUES ('cam-old', 'a-secret-of-enough-length', 'old', 1, 1)").run();
	db.prepare("INSERT INTO tombstones (key, due) VALUES ('k', 5)").run();
	db.close();
}

const versions = (db) => Object.fromEntries(db.prepare("SELECT owner, version FROM schema_migrations").all().map((row) => [row.owner, row.version]));

test("a database made before versioning upgrades, keeping its rows", (t) => {
	const file = scratch(t);
	legacyDatabase(file);
	const db = openDatabase(file, { durable: false });
	t.teardown(() => db.close());
	const owners = [...new Set(pendingSteps(new Map()).map((step) => step.owner))];
	t.true(owners.length >= 15);
	const latest = Object.fromEntries(owners.map((owner) => [owner, Math.max(...pendingSteps(new Map()).filter((step) => step.owner === owner).map((step) => step.version))]));
	t.deepEqual(versions(db), latest);
	t.is(db.prepare("SELECT name FROM devices WHERE id = 'cam-old'").get().name, "old");
	t.deepEqual(db.prepare("SELECT key, due, bytes FROM tombstones").all(), [{ key: "k", due: 5, bytes: 0 }]);
});

test("opening an up-to-date database again applies nothing", (t) => {
	const file = scratch(t);
	openDatabase(file, { durable: false }).close();
	const before = new Database(file).prepare("SELECT owner, version, applied FROM schema_migrations ORDER BY owner").all();
	const db = openDatabase(file, { durable: false });
	t.teardown(() => db.close());
	t.deepEqual(db.prepare("SELECT owner, version, applied FROM schema_migrations ORDER BY owner").all(), before);
});

test("a database newer than the code is refused and left as it was", (t) => {
	const file = scratch(t);
	openDatabase(file, { durable: false }).close();
	const raw = new Database(file);
	raw.prepare("UPDATE schema_migrations SET version = 99 WHERE owner = 'devices'").run();
	raw.prepare("DELETE FROM schema_migrations WHERE owner = 'events'").run();
	raw.exec("DROP TABLE events");
	raw.close();
	const error = t.throws(() => openDatabase(file, { durable: false }), { name: "MigrationError" });
	t.regex(error.message, /"devices".*99/);
	const after = new Database(file);
	t.teardown(() => after.close());
	t.is(after.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'events'").get().n, 0, "nothing applied");
});
