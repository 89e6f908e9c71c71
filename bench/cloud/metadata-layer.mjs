/*
 * `node bench/cloud/metadata-layer.mjs` — what the async data layer (cloud/src/meta/sql.ts) costs
 * the embedded default: one segment's metadata, written the way ingest writes it (in one
 * transaction: the order check reads the stream's newest segment, the row is inserted and its id
 * returned), N times through better-sqlite3 directly (what the owners did before they moved) and through the
 * SQLite engine of the async layer, alternating rounds in one process. Prints JSON: µs per
 * segment for each and their ratio (async / sync). The file is durable=false on both sides: the
 * WAL fsync, the same for both, would hide the difference measured.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import "../../build/node/cloud/src/server.js";
import { openDatabase, statement } from "../../build/node/cloud/src/meta/db.js";
import { SqliteSql } from "../../build/node/cloud/src/meta/sqlite-sql.js";

const N = Number(process.argv[2] ?? 5000), ROUNDS = 5;
const dir = mkdtempSync(join(tmpdir(), "ivxs-meta-bench-"));
const NEWEST = "SELECT seq, end_ms FROM segments WHERE device = ? AND channel = 0 AND stream = 's' ORDER BY seq DESC LIMIT 1";
const INSERT = `INSERT INTO segments (device, channel, stream, seq, start_ms, end_ms, bytes, sha256, key, "offset", created)
	VALUES (?, 0, 's', ?, ?, ?, 35000, 'h', ?, 0, ?) RETURNING id`;
const row = (device, newest) => {
	const seq = (newest?.seq ?? 0) + 1;
	return [device, seq, seq * 2000, seq * 2000 + 2000, `${device}/${seq}`, Date.now()];
};

try {
	const db = openDatabase(join(dir, "meta.db"), { durable: false });
	const sql = new SqliteSql(db);
	const sync = (device) => {
		const write = db.transaction(() => statement(db, INSERT).get(...row(device, statement(db, NEWEST).get(device))));
		const start = process.hrtime.bigint();
		for (let i = 0; i < N; i++) write.immediate();
		return Number(process.hrtime.bigint() - start) / 1e3 / N;
	};
	const async = async (device) => {
		const start = process.hrtime.bigint();
		for (let i = 0; i < N; i++) await sql.transaction(async (tx) => tx.get(INSERT, row(device, await tx.get(NEWEST, [device]))));
		return Number(process.hrtime.bigint() - start) / 1e3 / N;
	};
	const times = { sync: [], async: [] };
	for (let round = 0; round < ROUNDS; round++) {
		times.sync.push(sync(`cam-sync-${round}`));
		times.async.push(await async(`cam-async-${round}`));
	}
	const median = (values) => values.sort((a, b) => a - b)[values.length >> 1];
	const result = { segments_per_round: N, rounds: ROUNDS, sync_us_per_segment: +median(times.sync).toFixed(2), async_us_per_segment: +median(times.async).toFixed(2) };
	console.log(JSON.stringify({ ...result, ratio: +(result.async_us_per_segment / result.sync_us_per_segment).toFixed(2) }));
	await sql.close();
} finally {
	rmSync(dir, { recursive: true, force: true });
}
