// The metadata contract (meta/sql.ts): the same statements, run through the
// async layer on both engines — SQLite (the embedded default) and PostgreSQL
// (a cluster of the test's own, Debian's) — give the same answers.
import test from "ava";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { postgresFor } from "./_postgres.mjs";
import "../../build/node/cloud/src/server.js"; // every owner's migrations
import { openSql } from "../../build/node/cloud/src/meta/open-sql.js";
import { pendingSteps } from "../../build/node/cloud/src/meta/migrations.js";
import { HOLD_LEASE } from "../../build/node/cloud/src/recordings/lease.js";
import { purgeNonces, spendNonce } from "../../build/node/cloud/src/auth/device-auth.js";
import { rememberNonce } from "../../build/node/cloud/src/control/auth.js";
import { addToken, addUser, countUsers, createSession, findUser, grantDevice, grantedDevices, isGranted, listGrants, listUsers, removeUser, sessionLifetimeMs, sessionUser, setPassword, tokenUser } from "../../build/node/cloud/src/users/store.js";
import { recordEvent } from "../../build/node/cloud/src/events/index.js";
import { recordGap } from "../../build/node/cloud/src/gaps/index.js";

// A fresh SQLite file per test; one PostgreSQL cluster for the file.
const afterAll = [];
test.after.always(() => Promise.all(afterAll.map((teardown) => teardown())));
let cluster;
const engines = {
	sqlite: async (t) => {
		const dir = mkdtempSync(join(tmpdir(), "ivxs-contract-"));
		t.teardown(() => rmSync(dir, { recursive: true, force: true }));
		return join(dir, "meta.db");
	},
	postgres: () => cluster ??= postgresFor({ teardown: (teardown) => afterAll.push(teardown) }),
};

async function storeFor(t, engine) {
	const sql = await openSql(await engines[engine](t), { durable: false });
	t.teardown(() => sql.close());
	if (engine === "postgres") {
		// Each test starts from empty tables (the schema stays).
		const tables = await sql.all("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations'");
		await sql.query(`TRUNCATE ${tables.map((row) => `"${row.tablename}"`).join(", ")} RESTART IDENTITY`);
	}
	return sql;
}

const latest = () => {
	const versions = {};
	for (const step of pendingSteps(new Map())) versions[step.owner] = step.version;
	return versions;
};

const device = (sql, id) => sql.run("INSERT INTO devices (id, secret, name, channels, created) VALUES (?, ?, ?, ?, ?)", [id, "a-secret-of-enough-length", id, 2, 1_763_856_000_000]);

for (const engine of Object.keys(engines)) {
	const contract = (title, body) => test.serial(`${engine}: ${title}`, async (t) => body(t, await storeFor(t, engine)));

	contract("every owner's migrations are applied, and opening again applies nothing", async (t, sql) => {
		const rows = await sql.all("SELECT owner, version FROM schema_migrations");
		t.deepEqual(Object.fromEntries(rows.map((row) => [row.owner, row.version])), latest());
	});

	contract("rows round-trip with ? parameters; 64-bit times and aggregates read as numbers", async (t, sql) => {
		t.deepEqual(await device(sql, "cam-a"), { changes: 1 });
		await device(sql, "cam-b");
		t.deepEqual(await sql.get("SELECT id, channels, created FROM devices WHERE id = ?", ["cam-a"]), { id: "cam-a", channels: 2, created: 1_763_856_000_000 });
		t.is(await sql.get("SELECT id FROM devices WHERE id = ?", ["nobody"]), undefined);
		t.deepEqual(await sql.get("SELECT COUNT(*) AS n, SUM(created) AS total, MAX(channels) AS most FROM devices"), { n: 2, total: 2 * 1_763_856_000_000, most: 2 });
		t.deepEqual((await sql.all("SELECT id FROM devices WHERE name <> '?' ORDER BY id")).map((row) => row.id), ["cam-a", "cam-b"], "a ? inside a string is not a parameter");
		t.deepEqual(await sql.run("UPDATE devices SET disabled = 1 WHERE channels = ?", [2]), { changes: 2 });
	});

	contract("ON CONFLICT DO NOTHING and DO UPDATE, and RETURNING a new row's id", async (t, sql) => {
		const insert = "INSERT INTO events (device, channel, id, time_ms, bits, received) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";
		t.deepEqual(await sql.run(insert, ["cam-a", 0, "e1", 5, 1, 6]), { changes: 1 });
		t.deepEqual(await sql.run(insert, ["cam-a", 0, "e1", 5, 1, 6]), { changes: 0 });
		const upsert = "INSERT INTO presence (device, online, since) VALUES (?, ?, ?) ON CONFLICT (device) DO UPDATE SET since = CASE WHEN presence.online = excluded.online THEN presence.since ELSE excluded.since END, online = excluded.online";
		await sql.run(upsert, ["cam-a", 1, 10]);
		await sql.run(upsert, ["cam-a", 1, 20]);
		t.deepEqual(await sql.get("SELECT online, since FROM presence WHERE device = ?", ["cam-a"]), { online: 1, since: 10 });
		await sql.run(upsert, ["cam-a", 0, 30]);
		t.deepEqual(await sql.get("SELECT online, since FROM presence WHERE device = ?", ["cam-a"]), { online: 0, since: 30 });
		const segment = `INSERT INTO segments (device, channel, stream, seq, start_ms, end_ms, bytes, sha256, key, "offset", created)
			VALUES (?, 0, 's', ?, ?, ?, 10, 'h', ?, 0, 1) RETURNING id`;
		const first = await sql.get(segment, ["cam-a", 1, 0, 2000, "k1"]);
		const second = await sql.get(segment, ["cam-a", 2, 2000, 4000, "k2"]);
		t.is(typeof first.id, "number");
		t.true(second.id > first.id);
	});

	contract("a transaction commits whole or not at all", async (t, sql) => {
		await sql.transaction(async (tx) => {
			await device(tx, "cam-a");
			await device(tx, "cam-b");
		});
		await t.throwsAsync(sql.transaction(async (tx) => {
			await device(tx, "cam-c");
			await device(tx, "cam-a"); // a duplicate: the whole transaction is undone
		}), { any: true });
		t.deepEqual((await sql.all("SELECT id FROM devices ORDER BY id")).map((row) => row.id), ["cam-a", "cam-b"]);
	});

	contract("concurrent read-then-write transactions behave as if one at a time", async (t, sql) => {
		// The shape of addSegment's order check: read the newest, write the next.
		await sql.run("INSERT INTO leases (name, holder, expires) VALUES ('counter', 'x', 0)");
		await Promise.all(Array.from({ length: 12 }, () => sql.transaction(async (tx) => {
			const { expires } = await tx.get("SELECT expires FROM leases WHERE name = 'counter'");
			await new Promise((resolve) => setTimeout(resolve, 1)); // others run meanwhile
			await tx.run("UPDATE leases SET expires = ? WHERE name = 'counter'", [expires + 1]);
		})));
		t.is((await sql.get("SELECT expires FROM leases WHERE name = 'counter'")).expires, 12);
	});

	contract("read committed transactions naming one lock run one after another, each seeing the previous one's commit", async (t, sql) => {
		// addSegment's shape: read the neighbour, insert the next (devices/removal.ts takes the same lock).
		await sql.run("INSERT INTO leases (name, holder, expires) VALUES ('counter', 'x', 0)");
		const options = { lock: "device:cam-a", isolation: "read committed" };
		await Promise.all(Array.from({ length: 12 }, () => sql.transaction(async (tx) => {
			const { expires } = await tx.get("SELECT expires FROM leases WHERE name = 'counter'");
			await new Promise((resolve) => setTimeout(resolve, 1)); // others would run meanwhile
			await tx.run("UPDATE leases SET expires = ? WHERE name = 'counter'", [expires + 1]);
		}, options)));
		t.is((await sql.get("SELECT expires FROM leases WHERE name = 'counter'")).expires, 12);
	});

	contract("the storage lease: held by one holder until it expires", async (t, sql) => {
		const hold = async (holder, now) => (await sql.run(HOLD_LEASE, ["storage", holder, now + 60_000, now])).changes === 1;
		t.true(await hold("a", 0));
		t.false(await hold("b", 1_000));
		t.true(await hold("a", 2_000), "renewed by its holder");
		t.true(await hold("b", 62_000), "taken over once expired");
		t.false(await hold("a", 63_000));
	});

	contract("device_nonces (auth/device-auth.ts): a nonce is spent once, until purged after it expires", async (t, sql) => {
		t.true(await spendNonce(sql, "cam-a", "00112233445566778899aabbccddeeff", 1_000));
		t.false(await spendNonce(sql, "cam-a", "00112233445566778899aabbccddeeff", 1_000), "a replay");
		t.true(await spendNonce(sql, "cam-b", "00112233445566778899aabbccddeeff", 1_000), "another device's own");
		t.is(await purgeNonces(sql, 999), 0);
		t.is(await purgeNonces(sql, 1_001), 2);
		t.true(await spendNonce(sql, "cam-a", "00112233445566778899aabbccddeeff", 2_000));
	});

	contract("mqtt_nonces (control/auth.ts): a sign-in's nonce is refused again until twice the skew has passed", async (t, sql) => {
		t.true(await rememberNonce(sql, "cam-a", "aa", 1_000_000, 300));
		t.false(await rememberNonce(sql, "cam-a", "aa", 1_000_001, 300), "a replay");
		t.true(await rememberNonce(sql, "cam-b", "aa", 1_000_001, 300));
		t.false(await rememberNonce(sql, "cam-a", "aa", 1_000_000 + 600_000, 300), "kept for twice the skew");
		t.true(await rememberNonce(sql, "cam-a", "aa", 1_000_001 + 600_000, 300), "forgotten after it");
	});

	contract("users (users/store.ts): users, grants, sessions and tokens; removing a user takes what speaks for it", async (t, sql) => {
		await device(sql, "cam-a");
		t.like(await addUser(sql, "alice", "alice-password"), { name: "alice", admin: false });
		await t.throwsAsync(() => addUser(sql, "alice", "alice-password"), { message: /already exists/ });
		await grantDevice(sql, "alice", "cam-a");
		await grantDevice(sql, "alice", "cam-a");
		await t.throwsAsync(() => grantDevice(sql, "alice", "cam-none"), { message: /no device/ });
		t.deepEqual(await grantedDevices(sql, "alice"), ["cam-a"]);
		t.deepEqual(await listGrants(sql), [{ user: "alice", device: "cam-a" }]);
		t.true(await isGranted(sql, "alice", "cam-a"));
		const session = await createSession(sql, "alice", 1_000);
		t.like(await sessionUser(sql, session, 2_000), { name: "alice" });
		t.is(await sessionUser(sql, session, 1_000 + sessionLifetimeMs), undefined, "expired");
		const token = await addToken(sql, "alice");
		t.like(await tokenUser(sql, token), { name: "alice" });
		await setPassword(sql, "alice", "another-password");
		t.is(await sessionUser(sql, session, 2_000), undefined, "a new password ends the sessions");
		t.deepEqual((await listUsers(sql)).map((user) => user.name), ["alice"]);
		t.true(await removeUser(sql, "alice"));
		t.is(await tokenUser(sql, token), undefined);
		t.false(await isGranted(sql, "alice", "cam-a"));
		t.is(await countUsers(sql), 0);
		// The link epoch outlives the account: a new "alice" starts past the links of the old one.
		await addUser(sql, "alice", "alice-password");
		t.is((await findUser(sql, "alice")).linkEpoch, 2, "bumped by the new password and by the removal");
		t.like(await sessionUser(sql, await createSession(sql, "alice", 1_000), 2_000), { linkEpoch: 2 });
		t.like(await tokenUser(sql, await addToken(sql, "alice")), { linkEpoch: 2 });
	});

	contract("events and gaps (events/, gaps/): a message received twice (two instances on the bus) is stored once", async (t, sql) => {
		await device(sql, "cam-a");
		const ctxFor = (store) => ({ sql: store }); // what recording reads of the service
		const now = 1_763_856_000_000;
		t.true(await recordEvent(ctxFor(sql), "ivxs/cam-a/event", Buffer.from(JSON.stringify({ id: "e1", channel: 0, time: now, bits: 1 })), now));
		t.false(await recordEvent(ctxFor(sql), "ivxs/cam-a/event", Buffer.from(JSON.stringify({ id: "e1", channel: 0, time: now, bits: 1 })), now));
		const gap = Buffer.from(JSON.stringify({ channel: 1, from: now - 1000, to: now, frames: 15, reason: "overwritten" }));
		t.true(await recordGap(ctxFor(sql), "ivxs/cam-a/gap", gap, now));
		t.false(await recordGap(ctxFor(sql), "ivxs/cam-a/gap", gap, now));
		t.deepEqual(await sql.get("SELECT COUNT(*) AS n FROM events"), { n: 1 });
		t.deepEqual(await sql.get("SELECT COUNT(*) AS n FROM gaps"), { n: 1 });
	});

	contract("a transaction's statements see its own writes, others see them once committed", async (t, sql) => {
		let seenInside;
		await sql.transaction(async (tx) => {
			await device(tx, "cam-a");
			seenInside = await tx.get("SELECT id FROM devices WHERE id = ?", ["cam-a"]);
		});
		t.deepEqual(seenInside, { id: "cam-a" });
		t.deepEqual(await sql.get("SELECT id FROM devices WHERE id = ?", ["cam-a"]), { id: "cam-a" });
	});
}

test.serial("postgres: instances starting together on a new database migrate it once", async (t) => {
	const url = await engines.postgres();
	const admin = await openSql(url);
	await admin.query("CREATE DATABASE together");
	t.teardown(async () => {
		await admin.query("DROP DATABASE together");
		await admin.close();
	});
	const both = await Promise.all([openSql(url.replace(/\/ivxs$/, "/together")), openSql(url.replace(/\/ivxs$/, "/together"))]);
	const rows = await both[0].all("SELECT owner, version FROM schema_migrations");
	t.deepEqual(Object.fromEntries(rows.map((row) => [row.owner, row.version])), latest());
	await Promise.all(both.map((sql) => sql.close()));
});
