// OTA on the Linux XS host, end to end: bundles signed by `npm run sign-release`, fetched with
// HTTP Range by the real modules/ota (tests/ota/install-app.ts), verified with the host's mbedTLS,
// written into the inactive slot, booted as a trial by the host (hosts/linux/src/ota.c),
// confirmed or rolled back — booted from source, and from a heap snapshot as in production.
import test from "ava";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { runHost } from "../_host.mjs";
import { appLayer, makeBundle, makeKey, probeLayer, rangeServer, tempDir } from "./_ota.mjs";

const dir = tempDir();
const key = makeKey(dir, "key");
const stranger = makeKey(dir, "stranger");
const keys = { [key.keyId]: key.point };
const server = await rangeServer();
test.after.always(() => server.close());

const bundle = (name, version, kind = "good", extra = {}) => {
	const out = join(dir, `${name}.ivxs`);
	const layer = probeLayer(join(dir, name), version, kind);
	// Past the header's read (12 + 16384 bytes, which brings the payload's first bytes along): a cut can hit the payload's own request.
	if (extra.filler) appLayer(layer, { "modules/ota-probe/filler.js": `export default "${"x".repeat(extra.filler)}";\n` });
	makeBundle({ key: extra.key ?? key, version, modules: layer, out, abi: extra.abi, rollback: extra.rollback });
	server.serve(`/${name}.ivxs`, readFileSync(out), extra.serve);
	return `/${name}.ivxs`;
};

/** A sanitizer's report fails the run (host-slots-sanitized.test.mjs runs this file on that host). */
const clean = (result) => {
	if (/AddressSanitizer|LeakSanitizer|runtime error:/.test(result.stderr)) throw new Error(`sanitizer:\n${result.stderr.slice(-4000)}`);
	return result;
};

const lineOf = (stdout, tag) => {
	const line = stdout.split("\n").find((l) => l.startsWith(`@@${tag} `));
	return line ? JSON.parse(line.slice(tag.length + 3)) : undefined;
};

async function install(data, path, options = {}) {
	const result = clean(await runHost(["--data", data, "tests/ota/install-app", "--", JSON.stringify({ port: server.port, path, keys, deadline: 3, ...options })], { timeoutMs: 60_000 }));
	const answer = lineOf(result.stdout, "ota");
	if (!answer) throw new Error(`install-app printed nothing (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
	return answer;
}

/** Boots the probe from source, or from a heap snapshot (production: -s FILE names its entry). */
async function boot(data, snapshot) {
	const result = clean(await runHost(["--data", data, "--log-level", "info", ...(snapshot ? ["-s", snapshot] : ["modules/ota-probe/main"])], { timeoutMs: 30_000 }));
	return { ...result, probe: lineOf(result.stdout, "probe"), report: result.stdout.split("\n").filter((l) => l.startsWith("@@report ")).map((l) => JSON.parse(l.slice(9))) };
}

const stateOf = (data) => readFileSync(join(data, "ota/state"), "utf8");

/** A data folder with 1.0.0 installed and confirmed in slot a. */
async function installed(name) {
	const data = join(dir, name);
	const answer = await install(data, "/v100.ivxs");
	if (!answer.ok) throw new Error(JSON.stringify(answer));
	const first = await boot(data);
	if (first.probe?.version !== "1.0.0" || !first.report.some((r) => r.state === "confirmed")) throw new Error(`1.0.0 did not confirm: ${first.stdout}${first.stderr}`);
	return data;
}

bundle("v100", "1.0.0");

test("a good bundle is written into the inactive slot, boots once as a trial, confirms, and stays", async (t) => {
	const data = join(dir, "good");
	const answer = await install(data, "/v100.ivxs");
	t.true(answer.ok, JSON.stringify(answer));
	t.like(answer.record, { active: "", pending: "a", pendingVersion: "1.0.0", trial: false });
	t.false(existsSync(join(data, "ota/a/payload")), "the downloaded payload is removed once unpacked");
	const trial = await boot(data);
	t.is(trial.code, 0, trial.stderr);
	t.like(trial.probe.record, { trial: true, trialSlot: "a", trialVersion: "1.0.0" });
	t.deepEqual(trial.report.map((r) => r.state), ["trial", "confirmed"]);
	const after = await boot(data);
	t.like(after.probe, { version: "1.0.0", record: { trial: false, active: "a", activeVersion: "1.0.0", result: "confirmed" } });
	t.deepEqual(after.report.map((r) => r.state), ["confirmed"]);

	bundle("v110", "1.1.0");
	const next = await install(data, "/v110.ivxs");
	t.true(next.ok, JSON.stringify(next));
	t.like(next.record, { active: "a", pending: "b" });
	t.like((await boot(data)).probe, { version: "1.1.0", record: { trialSlot: "b" } });
	t.like((await boot(data)).probe, { version: "1.1.0", record: { active: "b", activeVersion: "1.1.0" } });
});

test("wrong signature, unknown key, wrong ABI, downgrade, truncated and oversized bundles are refused; the active slot and the record stay", async (t) => {
	const data = await installed("refusals");
	const before = stateOf(data);
	bundle("unknown-key", "1.2.0", "good", { key: stranger });
	bundle("wrong-abi", "1.2.0", "good", { abi: "0123456789abcdef" });
	bundle("downgrade", "0.9.0");
	bundle("truncated", "1.2.0", "good", { filler: 40_000, serve: { cutAfter: 200 } });
	bundle("oversized", "1.2.0", "good", { serve: { extra: 1000 } });
	// A signature that does not match: one hex digit of the manifest's signature changed.
	bundle("signed", "1.2.0");
	const forged = Buffer.from(readFileSync(join(dir, "signed.ivxs")));
	const at = forged.indexOf('"signature":"') + 13;
	forged[at] = forged[at] === 0x30 ? 0x31 : 0x30;
	server.serve("/bad-signature.ivxs", forged);
	const cases = [["/bad-signature.ivxs", "signature"], ["/unknown-key.ivxs", "key"], ["/wrong-abi.ivxs", "abi"], ["/downgrade.ivxs", "downgrade"], ["/truncated.ivxs", "truncated"], ["/oversized.ivxs", "size"], ["/v100.ivxs", "downgrade"]];
	for (const [path, code] of cases) {
		const answer = await install(data, path);
		t.false(answer.ok, path);
		t.is(answer.code, code, `${path}: ${answer.message}`);
		t.is(stateOf(data), before, `${path}: the record is unchanged`);
	}
	const after = await boot(data);
	t.like(after.probe, { version: "1.0.0", record: { active: "a", pending: "", trial: false } });
	t.false(existsSync(join(data, "ota/b/root")), "nothing was unpacked into the other slot");
});

test("a truncated download resumes with Range from where it stopped and then installs", async (t) => {
	const data = await installed("resume");
	const path = bundle("resumed", "1.3.0", "good", { filler: 40_000, serve: { cutAfter: 300, chunk: 100 } });
	const from = server.ranges.length;
	const first = await install(data, path);
	t.is(first.code, "truncated", JSON.stringify(first));
	t.like(first.record, { active: "a", pending: "" });
	server.serve(path, readFileSync(join(dir, "resumed.ivxs")));
	const second = await install(data, path);
	t.true(second.ok, JSON.stringify(second));
	// Each try reads the header (from 0), then the payload: the second from 300 bytes further.
	const payload = server.ranges.slice(from).filter((r) => r.path === path && r.start > 0).map((r) => r.start);
	t.is(payload.length, 2);
	t.is(payload[1] - payload[0], 300);
	t.like((await boot(data)).probe, { version: "1.3.0" });
});

test("a 404 to the Range request (the version not offered yet) is no refusal: the same install, once served, completes", async (t) => {
	const data = join(dir, "not-yet");
	const early = await install(data, "/not-yet.ivxs");
	t.false(early.ok);
	t.like(early, { name: "UnavailableError", message: "the bundle's server answered 404 to a Range request (unavailable for now)" }, JSON.stringify(early));
	t.like(early.record, { pending: "", trial: false });
	bundle("not-yet", "1.4.0");
	const later = await install(data, "/not-yet.ivxs");
	t.true(later.ok, JSON.stringify(later));
	t.like(later.record, { pending: "a", pendingVersion: "1.4.0" });
});

for (const [kind, reason] of [["throw", /exception or exit 1/], ["hang", /no confirmation/], ["unhealthy", /health check failed.*cloud/], ["quiet", /no confirmation/]]) {
	test(`a bundle that ${kind === "quiet" ? "exits without confirming" : kind === "throw" ? "throws at boot" : kind === "hang" ? "hangs (the host's watchdog)" : "fails its health check"} rolls back to the previous slot with the reason`, async (t) => {
		const data = await installed(`bad-${kind}`);
		const path = bundle(`bad-${kind}`, "2.0.0", kind);
		t.true((await install(data, path, { deadline: 2 })).ok);
		const trial = await boot(data);
		t.is(trial.probe?.version, "2.0.0", trial.stdout);
		if (kind !== "quiet") t.not(trial.code, 0, "the trial boot ends in failure");
		if (kind === "hang") t.is(trial.signal, "SIGALRM");
		const back = await boot(data);
		t.like(back.probe, { version: "1.0.0", record: { active: "a", activeVersion: "1.0.0", trial: false, result: "rolled-back", failedVersion: "2.0.0", failures: 1 } });
		t.regex(back.probe.record.reason, reason);
		t.like(back.report[0], { state: "rolled-back", version: "1.0.0", target: "2.0.0" });
	});
}

test("three failed trials of a version and it is refused; it never loops", async (t) => {
	const data = await installed("three");
	const path = bundle("thrice", "3.0.0", "throw");
	for (let i = 1; i <= 3; i++) {
		t.true((await install(data, path)).ok, `try ${i}`);
		await boot(data);   // the trial throws
		t.like((await boot(data)).probe.record, { active: "a", failedVersion: "3.0.0", failures: i });
	}
	const refused = await install(data, path);
	t.is(refused.code, "failed", refused.message);
	t.like((await boot(data)).probe, { version: "1.0.0" });
});

test("a rollback release may replace a newer version; a plain older one may not", async (t) => {
	const data = await installed("rollback-release");
	t.true((await install(data, bundle("v140", "1.4.0"))).ok);
	await boot(data);
	t.like((await boot(data)).probe, { version: "1.4.0" });
	t.is((await install(data, bundle("plain-old", "1.0.1"))).code, "downgrade");
	t.true((await install(data, bundle("marked-old", "1.0.1", "good", { rollback: true }))).ok);
	await boot(data);
	t.like((await boot(data)).probe, { version: "1.0.1", record: { active: "a" } });
});

// Production boots a heap snapshot (-s), written with the app layer of its build: here the probe's
// 0.1.0. An update installed since is the code that runs; a bad one ends on the snapshot's own.
let written;
const probeSnapshot = () => written ??= (async () => {
	const file = join(dir, "probe.xss");
	const result = clean(await runHost(["-m", probeLayer(join(dir, "snapshot-layer"), "0.1.0"), "-m", "build/ts", "-m", "build/mods", "-w", file, "modules/ota-probe/main"]));
	if (result.code !== 0) throw new Error(`writing the snapshot failed: ${result.stderr}`);
	return file;
})();
const slotInstead = (stderr) => stderr.split("\n").filter((l) => /ota: an update is installed: modules\/ota-probe\/main runs from .*\/ota\/[ab]\/root, not from snapshot /.test(l)).length;

test("booted from a snapshot, an installed update runs instead of the snapshot's modules: its trial, then every boot", async (t) => {
	const data = join(dir, "snapshot-good");
	const snapshot = await probeSnapshot();
	const before = await boot(data, snapshot);
	t.like(before.probe, { version: "0.1.0", record: { active: "", trial: false } });
	t.is(slotInstead(before.stderr), 0);
	t.true((await install(data, "/v100.ivxs")).ok);
	const trial = await boot(data, snapshot);
	t.is(trial.code, 0, trial.stderr);
	t.like(trial.probe, { version: "1.0.0", record: { trial: true, trialSlot: "a", trialVersion: "1.0.0" } });
	t.deepEqual(trial.report.map((r) => r.state), ["trial", "confirmed"]);
	t.is(slotInstead(trial.stderr), 1, "said once why the snapshot's modules do not run");
	const after = await boot(data, snapshot);
	t.like(after.probe, { version: "1.0.0", record: { trial: false, active: "a", activeVersion: "1.0.0", result: "confirmed" } });
	t.is(slotInstead(after.stderr), 1);
});

for (const [kind, reason] of [["throw", /exception or exit 1/], ["hang", /no confirmation/]]) {
	test(`booted from a snapshot, an update that ${kind === "throw" ? "throws at boot" : "hangs (the host's watchdog)"} rolls back to the snapshot's modules with the reason`, async (t) => {
		const data = join(dir, `snapshot-${kind}`);
		const snapshot = await probeSnapshot();
		t.true((await install(data, bundle(`snapshot-${kind}`, "2.0.0", kind), { deadline: 2 })).ok);
		const trial = await boot(data, snapshot);
		t.is(trial.probe?.version, "2.0.0", trial.stdout);
		t.not(trial.code, 0, "the trial boot ends in failure");
		if (kind === "hang") t.is(trial.signal, "SIGALRM");
		const back = await boot(data, snapshot);
		t.is(back.code, 0, back.stderr);
		t.like(back.probe, { version: "0.1.0", record: { active: "", trial: false, result: "rolled-back", failedVersion: "2.0.0", failures: 1 } });
		t.regex(back.probe.record.reason, reason);
		t.like(back.report[0], { state: "rolled-back", target: "2.0.0" });
		t.is(slotInstead(back.stderr), 0);
	});
}
