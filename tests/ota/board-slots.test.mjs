// The board's OTA slots (modules/app/platform/flash-slots.ts: flash-payload.ts, board-records.ts)
// driving the real updater (modules/ota/updater.ts) under Node, over fakes with the board's
// semantics (tests/ota/_board.mjs): NOR flash (an erase sets a block to 0xFF, a write only clears
// bits, a read returns what is there), Moddable's ESP32 preference (a set erases the key first),
// the slot record of ota_slots.c (NVS: written whole), and a power cut that stops all of them at
// any unit. Bundles are signed by `npm run sign-release` itself (kind "xsa": a mod archive).
// The agent (modules/ota/agent.ts) drives it over the real rangeFetch (modules/ota/fetch.ts) where
// the server's answer decides between a retry and a refusal.
import test from "ava";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync as readBytes, writeFileSync } from "node:fs";
import { join } from "node:path";
import { root } from "../_host.mjs";
import { appLayer, makeBundle, makeKey, nodeBundleCrypto, tempDir } from "./_ota.mjs";
import { Board, PowerCut, serve } from "./_board.mjs";

const load = (path) => import(join(root, "build/ts", path));
const [{ OtaUpdater }, { OtaAgent }, { rangeFetch }, { releasePath }, { flashSlots }, { BoardRecords }] = await Promise.all([
	load("modules/ota/updater.js"), load("modules/ota/agent.js"), load("modules/ota/fetch.js"), load("modules/protocol/ota.js"),
	load("modules/app/platform/flash-slots.js"), load("modules/app/platform/board-records.js"),
]);

const ABI = "00112233aabbccdd";
const BLOCK = 4096, MARK_EVERY = 65536, SLOT_BYTES = 0x100000;
const dir = tempDir("ivxs-board-slots-");
const key = makeKey(dir, "key");
const stranger = makeKey(dir, "stranger");
const keys = { [key.keyId]: key.point };

/** A mod archive stand-in of `size` random bytes, signed as `version`. */
function bundle(name, { version = "1.1.0", size = 300 * 1024 + 777, abi = ABI, signer = key, payload } = {}) {
	const bytes = payload ?? new Uint8Array(randomBytes(size));
	const file = join(dir, `${name}.xsa`);
	writeFileSync(file, bytes);
	const out = makeBundle({ key: signer, version, payload: file, abi, out: join(dir, `${name}.ivxs`) });
	return { payload: bytes, bundle: new Uint8Array(readBytes(out)) };
}

const good = bundle("good");
const oldMod = new Uint8Array(randomBytes(100 * 1024));   // what the running slot b holds

/** A board running 1.0.0 from slot b (so downloads go to xs_a), its OtaSlots and an updater. */
function boardRunningB(board = new Board()) {
	if (!board.record.record.active) {
		board.partitions.xs_b.bytes.set(oldMod);
		Object.assign(board.record.record, { active: "b", activeVersion: "1.0.0", result: "confirmed" });
	}
	const slots = flashSlots({ ...board.host(), abi: () => ABI, ...nodeBundleCrypto, digest: board.digest, markEvery: MARK_EVERY });
	return { board, slots, updater: new OtaUpdater({ host: slots, app: "ivxs-camera", keys }) };
}

const sameBytes = (a, b) => a.length === b.length && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
const untouched = (t, board) => {
	t.is(board.partitions.xs_b.counts.writes + board.partitions.xs_b.counts.erases, 0, "the running slot's partition was never written or erased");
	t.true(sameBytes(board.partitions.xs_b.bytes.subarray(0, oldMod.length), oldMod), "the running slot's mod is intact");
};

test("a bundle installs into the other slot's partition from offset 0, each block erased once just ahead of its bytes", async (t) => {
	const { board, updater } = boardRunningB();
	const server = serve(good.bundle);
	const manifest = await updater.install(server.fetch);
	t.is(manifest.kind, "xsa");
	const xs = board.partitions.xs_a;
	t.true(sameBytes(xs.bytes.subarray(0, good.payload.length), good.payload), "the mod archive lies at offset 0, as written");
	t.is(xs.counts.erases, Math.ceil(good.payload.length / BLOCK), "one erase per block the payload reaches, none more");
	t.is(xs.counts.written, good.payload.length, "each payload byte written once");
	t.true(xs.bytes.subarray(Math.ceil(good.payload.length / BLOCK) * BLOCK).every((b) => b === 0xff), "no block past the payload was touched");
	untouched(t, board);
	t.like(board.record.record, { active: "b", pending: "a", pendingVersion: "1.1.0" });
	t.is(board.record.stages, 1);
	// The records: the download named (1 set), a mark every 64 KiB and the last one, the download
	// record removed after the stage; each set is an NVS erase + write.
	const marks = Math.floor(good.payload.length / MARK_EVERY) + 1;
	t.is(board.nvs.sets, 1 + marks + 1, "preference sets: download, marks, done");
	t.log(`a ${good.payload.length}-byte mod: ${xs.counts.erases} block erases, ${xs.counts.writes} flash writes (${xs.counts.written} bytes), ${board.nvs.sets} preference sets, 1 record write`);
});

test("refused before a byte is written: bad signature, unknown key, wrong ABI, downgrade, another kind, larger than the slot", async (t) => {
	const tampered = good.bundle.slice();
	const text = Buffer.from(tampered).toString("latin1");
	const at = text.indexOf("\"signature\":\"") + 13;
	tampered[at] = tampered[at] === 0x30 ? 0x31 : 0x30;
	const modules = appLayer(join(dir, "layer"), { "modules/app/x.js": "export default 1;\n" });
	const cases = [
		["signature", tampered],
		["key", bundle("stranger", { signer: stranger }).bundle],
		["abi", bundle("abi", { abi: "ffffffffffffffff", size: 1000 }).bundle],
		["downgrade", bundle("old", { version: "0.9.0", size: 1000 }).bundle],
		["downgrade", bundle("same", { version: "1.0.0", size: 1000 }).bundle],
		["format", new Uint8Array(readBytes(makeBundle({ key, version: "1.2.0", modules, abi: ABI, out: join(dir, "modules.ivxs") })))],
		["size", bundle("big", { size: SLOT_BYTES + 1 }).bundle],
	];
	for (const [code, bytes] of cases) {
		const { board, updater } = boardRunningB();
		const before = JSON.stringify(board.record.record);
		const error = await t.throwsAsync(updater.install(serve(bytes).fetch));
		t.is(error.code, code, `${code}: ${error.message}`);
		t.is(board.partitions.xs_a.counts.writes + board.partitions.xs_a.counts.erases, 0, `${code}: nothing written to the other slot`);
		t.is(board.nvs.sets, 0, `${code}: no record written`);
		t.is(JSON.stringify(board.record.record), before, `${code}: the slot record unchanged`);
		untouched(t, board);
	}
});

test("more bytes than the manifest's size: refused as oversized, the slot's download forgotten", async (t) => {
	const { board, updater, slots } = boardRunningB();
	const error = await t.throwsAsync(updater.install(serve(good.bundle, { extra: 5000 }).fetch));
	t.is(error.code, "size");
	t.is(slots.readRecord("download-a"), undefined);
	t.is(slots.payload("a").good(), 0, "nothing counted as good: the next download starts afresh");
	t.is(board.record.stages, 0);
	untouched(t, board);
});

test("a payload whose SHA-256 is not the manifest's is refused and forgotten, never staged", async (t) => {
	const { board, updater, slots } = boardRunningB();
	const bytes = good.bundle.slice();
	bytes[bytes.length - 1000] ^= 0x40;
	const error = await t.throwsAsync(updater.install(serve(bytes).fetch));
	t.is(error.code, "hash");
	t.is(slots.readRecord("download-a"), undefined);
	t.is(slots.payload("a").good(), 0);
	t.is(board.record.stages, 0);
	untouched(t, board);
	// The right bundle afterwards installs whole.
	await updater.install(serve(good.bundle).fetch);
	t.true(sameBytes(board.partitions.xs_a.bytes.subarray(0, good.payload.length), good.payload));
});

test("a network cut keeps what arrived: the next try resumes with Range from the last whole block", async (t) => {
	const { board, updater } = boardRunningB();
	const error = await t.throwsAsync(updater.install(serve(good.bundle, { cutAfter: 150_000 }).fetch));
	t.is(error.code, "truncated");
	const written = board.partitions.xs_a.counts.written;
	const server = serve(good.bundle);
	await updater.install(server.fetch);
	const payloadOffset = good.bundle.length - good.payload.length;
	const resumedAt = server.requests.at(-1) - payloadOffset;
	t.is(resumedAt, written - (written % BLOCK), "resumed at the last block boundary written");
	t.true(sameBytes(board.partitions.xs_a.bytes.subarray(0, good.payload.length), good.payload));
	t.is(board.partitions.xs_a.counts.written, written + good.payload.length - resumedAt, "only the bytes after it written again");
	t.true(board.partitions.xs_a.maxReadPiece > 0 && board.partitions.xs_a.maxReadPiece <= 16384, "the kept part hashed again from flash, 16 KiB at a time");
	untouched(t, board);
});

test("a resumed download whose kept part no longer verifies starts over: retried, not refused", async (t) => {
	const { board, updater } = boardRunningB();
	await t.throwsAsync(updater.install(serve(good.bundle, { cutAfter: 150_000 }).fetch), { code: "truncated" });
	board.partitions.xs_a.bytes[1000] ^= 0xff;   // a kept byte changed (as XS's mapping rewrites a slot it booted)
	const error = await t.throwsAsync(updater.install(serve(good.bundle).fetch));
	t.is(error.code, "truncated", error.message);
	await updater.install(serve(good.bundle).fetch);
	t.true(sameBytes(board.partitions.xs_a.bytes.subarray(0, good.payload.length), good.payload));
	untouched(t, board);
});

/**
 * The agent offered `good` on a board running B, fetching with rangeFetch from a server that
 * answers its i-th request with `answers[i]` (no head, no body but a 206's: serve()'s bytes) and
 * with 206 after them. The timer is the test's: `retry()` runs the try the agent set.
 */
function agentOffered(answers) {
	const { board, slots, updater } = boardRunningB();
	const server = serve(good.bundle);
	const statuses = [], reports = [], delays = [], staged = [];
	const request = async ({ headers, onHead, onData }) => {
		const status = answers[statuses.length] ?? 206;
		statuses.push(status);
		onHead(status, {});
		const [, from, to] = /^bytes=(\d+)-(\d*)$/.exec(headers.Range);
		if (status === 206) await server.fetch(Number(from), to ? Number(to) : undefined, onData);
		return { status };
	};
	let pending;
	const timer = { set(callback, delay) { delays.push(delay); pending = callback; return callback; }, clear() { pending = undefined; } };
	const agent = new OtaAgent({
		device: "cam1", slots, updater, fetchOf: (path) => rangeFetch(request, path), timer, log: () => {},
		report: (report) => reports.push(report), onStaged: (version) => staged.push(version),
	});
	const settled = async () => {
		const tries = reports.filter((r) => r.state === "downloading").length;
		for (let i = 0; i < 1000 && pending === undefined && reports.length === tries; i++) await new Promise(setImmediate);
	};
	const version = "1.1.0";
	const sha256 = createHash("sha256").update(good.payload).digest("hex");
	return {
		board, statuses, reports, delays, staged,
		offer: async () => {
			agent.offer({ rollout: "r1", version, path: releasePath("cam1", version), size: good.bundle.length, sha256 });
			await settled();
		},
		withdraw: () => agent.offer(undefined),
		pending: () => pending !== undefined,
		retry: async () => {
			const run = pending;
			pending = undefined;
			run();
			await settled();
		},
	};
}

test("the agent tries again with backoff after a 404 to the header's or the payload's Range request, and the next 206 stages the update", async (t) => {
	// [404]: the offer reached the camera before the cloud marked it offered; [206, 404]: withdrawn for a moment mid-download.
	for (const answers of [[404], [206, 404]]) {
		const run = agentOffered(answers);
		await run.offer();
		t.true(run.pending(), `${answers}: a retry is set`);
		t.deepEqual(run.reports.map((r) => r.state), ["downloading"], `${answers}: nothing refused`);
		await run.retry();
		t.deepEqual(run.reports.map((r) => r.state), ["downloading", "downloading", "staged"], `${answers}: ${JSON.stringify(run.reports.at(-1))}`);
		t.deepEqual(run.staged, ["1.1.0"]);
		t.is(run.delays.length, 1);
		t.like(run.board.record.record, { active: "b", pending: "a", pendingVersion: "1.1.0" });
		t.true(sameBytes(run.board.partitions.xs_a.bytes.subarray(0, good.payload.length), good.payload), `${answers}: the slot holds the payload`);
		untouched(t, run.board);
	}
});

test("a 404, 408, 429 or 5xx that lasts is never a refusal: tried again, later each time, until the offer is withdrawn", async (t) => {
	for (const status of [404, 408, 429, 500, 503]) {
		const run = agentOffered(Array(8).fill(status));
		await run.offer();
		for (let i = 1; i < 8; i++) await run.retry();
		t.is(run.statuses.length, 8, `${status}: eight tries`);
		t.true(run.reports.every((r) => r.state === "downloading"), `${status}: ${JSON.stringify(run.reports.find((r) => r.state !== "downloading"))}`);
		t.true(run.delays[0] <= 1000 && run.delays.at(-1) >= 30_000, `${status}: the waits grow from 1 s towards the 60-s ceiling (${run.delays} ms)`);
		t.true(run.pending(), `${status}: still tried while offered`);
		run.withdraw();
		t.false(run.pending(), `${status}: a withdrawn offer ends the retries`);
		t.is(run.board.record.stages, 0);
	}
});

test("a 200 to a Range request (the server ignores Range), a 416 or a 403 refuses the offer: format, not tried again", async (t) => {
	for (const status of [200, 416, 403]) {
		const run = agentOffered([status]);
		await run.offer();
		t.false(run.pending(), `${status}: no retry`);
		t.like(run.reports.at(-1), { state: "refused", target: "1.1.0" });
		t.is(run.reports.at(-1).reason, `format: the bundle's server answered ${status} to a Range request`);
		t.is(run.board.partitions.xs_a.counts.writes + run.board.partitions.xs_a.counts.erases, 0, `${status}: nothing written`);
	}
});

test("a power cut at 26 points of a download leaves the running slot intact, and the next boot's try completes it", async (t) => {
	// Units of one clean install: flash bytes written, block erases, preference steps, the record.
	const clean = boardRunningB();
	await clean.updater.install(serve(good.bundle).fetch);
	const total = clean.board.power.used;
	const points = [1, 2, 3, 4];
	for (let i = 1; i <= 18; i++) points.push(Math.floor((total * i) / 19));
	points.push(total - 3, total - 2, total - 1, total);
	t.is(points.length, 26);
	let resumes = 0;
	for (const point of points) {
		const board = new Board();
		const first = boardRunningB(board);
		board.power.budget = point;
		const failed = await first.updater.install(serve(good.bundle).fetch).then(() => undefined, (e) => e);
		const written = board.partitions.xs_a.counts.written;
		if (point < total) t.true(failed instanceof PowerCut || board.power.budget === 0, `cut at ${point}: ${failed?.message}`);
		untouched(t, board);
		// Power is back: a new boot, new objects over what the flash, NVS and record hold.
		board.power.budget = Infinity;
		const next = boardRunningB(board);
		if (board.record.record.pending !== "a") {
			await next.updater.install(serve(good.bundle).fetch);
			// Bytes the first try wrote that the second wrote again: at most one mark's interval
			// (and the piece that crossed it).
			const rewritten = board.partitions.xs_a.counts.written - written - (good.payload.length - written);
			if (written > 0 && rewritten < written) resumes++;
			t.true(rewritten <= MARK_EVERY + 1460, `cut at ${point}: ${rewritten} of ${written} bytes written again`);
		}
		t.true(sameBytes(board.partitions.xs_a.bytes.subarray(0, good.payload.length), good.payload), `cut at ${point}: the payload whole`);
		t.like(board.record.record, { active: "b", pending: "a", pendingVersion: "1.1.0" }, `cut at ${point}: staged`);
		untouched(t, board);
	}
	t.true(resumes >= 10, `${resumes} of ${points.length} tries resumed where a mark said`);
	t.log(`${total} units per install (bytes, erases, NVS steps); ${resumes} resumed downloads`);
});

test("a record survives a power cut between NVS's erase and set of its next value", (t) => {
	const board = new Board();
	const records = new BoardRecords(board.nvs);
	records.write("keys", "one");
	records.write("keys", "two");
	board.power.budget = 1;   // the next set erases its key, then the power goes
	t.throws(() => records.write("keys", "three"), { instanceOf: PowerCut });
	board.power.budget = Infinity;
	t.is(new BoardRecords(board.nvs).read("keys"), "two", "the older copy is intact");
	records.write("keys", undefined);
	t.is(records.read("keys"), undefined, "removed");
	t.throws(() => records.read("a-name-too-long-for-nvs"), { instanceOf: RangeError });
});
