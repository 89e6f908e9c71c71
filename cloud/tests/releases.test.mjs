// OTA releases and rollouts in the cloud (issue 15): bundles signed offline are uploaded (API and
// CLI) and shown; rollouts offer them stage by stage on each device's retained ivxs/<id>/ota,
// devices fetch them with signed Range GETs and report over their status; a stage that fails
// pauses the rollout by itself; cancel withdraws the offers.
import test from "ava";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { Readable } from "node:stream";
import { join } from "node:path";
import { cloudFor, engines, onEngine, session } from "./_cloud.mjs";
import { connectDevice, eventually, mqttUrlOf } from "./_mqtt.mjs";
import { signRequest } from "../../build/node/cloud/sim/sign.js";
import { appLayer, makeBundle, makeKey, signRelease, tempDir } from "../../tests/ota/_ota.mjs";

const adminPassword = "admin-secret-1";
const dir = tempDir();
const key = makeKey(dir, "key");
const layer = appLayer(join(dir, "layer"), { "modules/app/hello.js": "export default 1;\n" });
const bundleOf = (version) => readFileSync(makeBundle({ key, version, modules: layer, abi: "0123456789abcdef", out: join(dir, `${version}.ivxs`) }));

async function withFleet(t, count, config = {}) {
	const cloud = await cloudFor(t, { adminPassword, otaKeys: [key.pub], ...config });
	const api = (await session(cloud, "admin", adminPassword)).call;
	const devices = [];
	for (let i = 0; i < count; i++) {
		const device = await (await api("/v1/devices", { method: "POST", body: { id: `cam${i}` } })).json();
		const mqtt = await connectDevice(mqttUrlOf(cloud), device);
		t.teardown(() => mqtt.end(true));
		await mqtt.subscribeAsync(`ivxs/${device.id}/ota`, { qos: 1 });
		devices.push({ ...device, mqtt });
	}
	return { cloud, api, devices };
}

const uploadAs = async (cloud, bytes) => {
	const { cookie } = await session(cloud, "admin", adminPassword);
	return fetch(`${cloud.url}/v1/releases`, { method: "POST", headers: { cookie, "content-type": "application/octet-stream" }, body: bytes });
};

const report = (device, ota) => device.mqtt.publishAsync(`ivxs/${device.id}/status`, JSON.stringify({ time: Date.now(), ota }), { qos: 1, retain: true });
const offerTo = (device) => device.mqtt.messages.filter((m) => m.topic === `ivxs/${device.id}/ota`).at(-1)?.payload;
const download = (cloud, device, path, range) => {
	const signed = signRequest({ device: device.id, key: device.secret, method: "GET", path });
	return fetch(`${cloud.url}${path}`, { headers: { ...signed.headers, ...(range ? { range } : {}) } });
};

test("a release is uploaded once, its manifest shown; other bytes under its version and a broken bundle are refused", async (t) => {
	const { cloud, api } = await withFleet(t, 0);
	const bytes = bundleOf("1.2.0");
	const first = await uploadAs(cloud, bytes);
	t.is(first.status, 201);
	const shown = await first.json();
	t.like(shown, { version: "1.2.0", keyId: key.keyId, bundleSize: bytes.length, manifest: { app: "ivxs-camera", version: "1.2.0", abi: "0123456789abcdef", kind: "ivxs-modules", rollback: false } });
	t.is((await uploadAs(cloud, bytes)).status, 200, "the same bytes again: nothing new");
	const other = bundleOf("1.2.0");   // signed again: another `created`, the same payload
	t.is((await uploadAs(cloud, Buffer.concat([other.subarray(0, other.length - 1), Buffer.from([other.at(-1) ^ 1])]))).status, 400, "a payload byte changed");
	t.is((await uploadAs(cloud, Buffer.from("not a bundle"))).status, 400);
	const list = await (await api("/v1/releases")).json();
	t.deepEqual(list.releases.map((r) => r.version), ["1.2.0"]);
	// Only an admin may upload.
	t.is((await fetch(`${cloud.url}/v1/releases`, { method: "POST", headers: { "content-type": "application/octet-stream" }, body: bytes })).status, 401);
});

test("`npm run cloud -- release add` stores a bundle and prints its manifest; `release list` lists it; `release remove` deletes it", async (t) => {
	const cloud = await cloudFor(t, { adminPassword, otaKeys: [key.pub] });
	const file = join(dir, "cli.ivxs");
	makeBundle({ key, version: "2.0.0", modules: layer, abi: "0123456789abcdef", out: file });
	const cli = (args, env = {}) => spawnSync(process.execPath, ["build/node/cloud/src/cli.js", ...args],
		{ encoding: "utf8", env: { ...process.env, IVXS_CLOUD_DATA_DIR: cloud.dataDir, IVXS_CLOUD_OTA_KEYS: key.pub, ...env } });
	const refused = cli(["release", "add", file], { IVXS_CLOUD_OTA_KEYS: stranger.pub });
	t.not(refused.status, 0);
	t.regex(refused.stderr, new RegExp(`signed by key ${key.keyId}, which this device does not trust`));
	const added = cli(["release", "add", file]);
	t.is(added.status, 0, added.stderr);
	t.like(JSON.parse(added.stdout), { version: "2.0.0", manifest: { version: "2.0.0" } });
	t.regex(cli(["release", "list"]).stdout, /^2\.0\.0\tivxs-modules\t\d+ bytes\tABI 0123456789abcdef\tkey [0-9a-f]{16}$/m);
	t.is(cli(["release", "add", join(dir, "missing.ivxs")]).status !== 0, true);
	t.truthy(await cloud.ctx.store.head("releases/2.0.0.ivxs"));
	const removed = cli(["release", "remove", "2.0.0"]);
	t.is(removed.status, 0, removed.stderr);
	t.is(cli(["release", "list"]).stdout, "");
	t.is(await cloud.ctx.store.head("releases/2.0.0.ivxs"), undefined, "the bundle is deleted, not only its row");
	t.not(cli(["release", "remove", "2.0.0"]).status, 0);
});

// ---- signatures, checked at upload against the keys the devices trust (otaKeys) ----
const stranger = makeKey(dir, "stranger");
const keysUnder = async (store, prefix) => {
	const keys = [];
	for await (const object of store.list(prefix)) keys.push(object.key);
	return keys.sort();
};
const withSignatureByte = (bytes, flip) => {
	// The header's signature is hex: change one digit in place (same length, the header still parses).
	const at = bytes.indexOf('"signature":"') + '"signature":"'.length;
	const out = Buffer.from(bytes);
	out[at] = flip(out[at]);
	return out;
};

test("an upload whose signature does not verify against otaKeys is refused, saying why; nothing is stored", async (t) => {
	const { cloud, api } = await withFleet(t, 0);
	const untrusted = readFileSync(makeBundle({ key: stranger, version: "6.0.0", modules: layer, abi: "0123456789abcdef", out: join(dir, "stranger.ivxs") }));
	const wrongKey = await uploadAs(cloud, untrusted);
	t.is(wrongKey.status, 400);
	t.regex((await wrongKey.json()).error, new RegExp(`refused: signed by key ${stranger.keyId}, .*trusted: ${key.keyId}.*rotate`));
	const forged = await uploadAs(cloud, withSignatureByte(bundleOf("6.0.0"), (c) => (c === 0x30 ? 0x31 : 0x30)));
	t.is(forged.status, 400);
	t.regex((await forged.json()).error, /^refused: bad manifest signature$/);
	t.deepEqual((await (await api("/v1/releases")).json()).releases, []);
	t.deepEqual(await keysUnder(cloud.ctx.store, "releases/"), [], "no object either");
	t.is((await uploadAs(cloud, bundleOf("6.0.0"))).status, 201, "the same release, signed by the trusted key");
});

test("a bundle signed by a new key is admitted through the rotation it carries, signed by a trusted key", async (t) => {
	const { cloud } = await withFleet(t, 0);
	const next = makeKey(dir, "next");
	const rotation = join(dir, "rotation.json");
	signRelease(["rotate", "--old", key.key, "--new", next.pub, "--out", rotation]);
	const bare = readFileSync(makeBundle({ key: next, version: "7.0.0", modules: layer, abi: "0123456789abcdef", out: join(dir, "next-bare.ivxs") }));
	t.is((await uploadAs(cloud, bare)).status, 400, "the new key alone is not trusted");
	const forgedRotation = join(dir, "forged-rotation.json");
	signRelease(["rotate", "--old", stranger.key, "--new", next.pub, "--out", forgedRotation]);
	const forged = readFileSync(makeBundle({ key: next, version: "7.0.0", modules: layer, abi: "0123456789abcdef", rotations: [forgedRotation], out: join(dir, "next-forged.ivxs") }));
	t.is((await uploadAs(cloud, forged)).status, 400, "a rotation from a key nobody trusts");
	const rotated = readFileSync(makeBundle({ key: next, version: "7.0.0", modules: layer, abi: "0123456789abcdef", rotations: [rotation], out: join(dir, "next.ivxs") }));
	const added = await uploadAs(cloud, rotated);
	t.is(added.status, 201);
	t.like(await added.json(), { version: "7.0.0", keyId: next.keyId });
});

test("with no otaKeys configured, every upload is refused with a message that names the setting", async (t) => {
	const { cloud } = await withFleet(t, 0, { otaKeys: [] });
	const res = await uploadAs(cloud, bundleOf("8.0.0"));
	t.is(res.status, 503);
	t.regex((await res.json()).error, /no trusted OTA keys are configured \(otaKeys, IVXS_CLOUD_OTA_KEYS/);
});

test("a key file that is not a public key stops the service at start", async (t) => {
	const bad = join(dir, "bad.pub.json");
	writeFileSync(bad, JSON.stringify({ keyId: "0011223344556677", key: key.point }));
	await t.throwsAsync(cloudFor(t, { adminPassword, otaKeys: [bad] }), { message: /bad\.pub\.json: .*keyId is not its key's/ });
});

// ---- old bundles deleted: beyond keepReleases, unless a live rollout offers them ----
for (const metadata of engines) test(onEngine(metadata, "releases beyond keepReleases are deleted, objects and rows, except one a running rollout offers; remove refuses it until cancelled"), async (t) => {
	const { cloud, api } = await withFleet(t, 1, { keepReleases: 2, metadata });
	const objects = () => keysUnder(cloud.ctx.store, "releases/");
	const versions = async () => (await (await api("/v1/releases")).json()).releases.map((r) => r.version);
	t.is((await uploadAs(cloud, bundleOf("1.0.0"))).status, 201);
	const rollout = await (await api("/v1/rollouts", { method: "POST", body: { version: "1.0.0" } })).json();
	// A bundle no row names (a crash between an upload's object and its row, or a removal's row and object): old, then deleted.
	await cloud.ctx.store.put("releases/0.9.0.ivxs", Buffer.from("orphan"));
	const orphan = join(cloud.dataDir, "objects/releases/0.9.0.ivxs");
	t.true(existsSync(orphan));
	utimesSync(orphan, new Date(Date.now() - 2 * 3_600_000), new Date(Date.now() - 2 * 3_600_000));
	await cloud.ctx.store.put("releases/0.9.1.ivxs", Buffer.from("an upload in progress"));
	for (const version of ["1.1.0", "1.2.0", "1.3.0"]) {
		t.is((await uploadAs(cloud, bundleOf(version))).status, 201);
		await new Promise((resolve) => setTimeout(resolve, 5));   // distinct `added` times
	}
	t.deepEqual(await versions(), ["1.3.0", "1.2.0", "1.0.0"], "1.1.0 deleted; 1.0.0 kept for its rollout");
	t.deepEqual(await objects(), ["releases/0.9.1.ivxs", "releases/1.0.0.ivxs", "releases/1.2.0.ivxs", "releases/1.3.0.ivxs"]);
	const refused = await api("/v1/releases/1.0.0", { method: "DELETE" });
	t.is(refused.status, 409);
	t.regex((await refused.json()).error, new RegExp(`offered by rollout ${rollout.id}: cancel it first`));
	t.is((await api(`/v1/rollouts/${rollout.id}/cancel`, { method: "POST" })).status, 200);
	t.is((await api("/v1/releases/1.0.0", { method: "DELETE" })).status, 204);
	t.is((await api("/v1/releases/1.0.0", { method: "DELETE" })).status, 404);
	t.deepEqual(await versions(), ["1.3.0", "1.2.0"]);
	t.false((await objects()).includes("releases/1.0.0.ivxs"));
	t.is((await api(`/v1/rollouts/${rollout.id}`)).status, 200, "the finished rollout is still shown");
	t.is((await api("/v1/rollouts", { method: "POST", body: { version: "1.0.0" } })).status, 404, "no rollout of a removed release");
});

test("a staged rollout offers the release stage by stage; devices fetch it with signed Range GETs and their reports finish it", async (t) => {
	const { cloud, api, devices } = await withFleet(t, 4);
	const bytes = bundleOf("1.5.0");
	t.is((await uploadAs(cloud, bytes)).status, 201);
	const created = await api("/v1/rollouts", { method: "POST", body: { version: "1.5.0", devices: "all", stages: [50, 100] } });
	t.is(created.status, 201);
	const rollout = await created.json();
	t.like(rollout, { version: "1.5.0", stages: [50, 100], stage: 0, state: "running" });
	t.deepEqual(rollout.progress.map((s) => s.devices), [2, 2]);
	await eventually(() => devices.filter(offerTo).length === 2);
	const first = devices.filter(offerTo);
	const later = devices.filter((d) => !offerTo(d));
	const offer = JSON.parse(offerTo(first[0]));
	t.like(offer, { rollout: rollout.id, version: "1.5.0", path: `/v1/devices/${first[0].id}/releases/1.5.0`, size: bytes.length });
	// The download: whole, then a resumed range; another device's path is not this one's.
	const whole = await download(cloud, first[0], offer.path);
	t.is(whole.status, 200);
	t.true(Buffer.from(await whole.arrayBuffer()).equals(bytes));
	const part = await download(cloud, first[0], offer.path, "bytes=100-");
	t.is(part.status, 206);
	t.is(part.headers.get("content-range"), `bytes 100-${bytes.length - 1}/${bytes.length}`);
	t.true(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(100)));
	t.is((await download(cloud, later[0], `/v1/devices/${later[0].id}/releases/1.5.0`)).status, 404, "not offered to a later stage yet");
	t.is((await fetch(`${cloud.url}${offer.path}`)).status, 401, "unsigned");

	for (const d of first) await report(d, { version: "1.0.0", slot: "a", state: "downloading", target: "1.5.0" });
	await eventually(async () => (await (await api(`/v1/rollouts/${rollout.id}`)).json()).devices.filter((d) => d.state === "downloading").length === 2);
	for (const d of first) await report(d, { version: "1.5.0", slot: "b", state: "confirmed" });
	await eventually(() => later.every(offerTo), 8000);
	for (const d of later) await report(d, { version: "1.5.0", slot: "b", state: "confirmed" });
	const done = await eventually(async () => {
		const view = await (await api(`/v1/rollouts/${rollout.id}`)).json();
		return view.state === "done" && view;
	}, 8000);
	t.deepEqual(done.progress.map((s) => s.counts), [{ confirmed: 2 }, { confirmed: 2 }]);
	t.deepEqual(done.devices.map((d) => d.state), ["confirmed", "confirmed", "confirmed", "confirmed"]);
});

test("a rollout pauses itself when its first stage fails; the failed device's offer is withdrawn, the later stage never offered", async (t) => {
	const { cloud, api, devices } = await withFleet(t, 4);
	t.is((await uploadAs(cloud, bundleOf("3.0.0"))).status, 201);
	const rollout = await (await api("/v1/rollouts", { method: "POST", body: { version: "3.0.0", stages: [25, 100], failureThreshold: 0.2 } })).json();
	await eventually(() => devices.filter(offerTo).length === 1);
	const [canary] = devices.filter(offerTo);
	await report(canary, { version: "1.0.0", slot: "a", state: "rolled-back", reason: "exception or exit 1 during the trial", target: "3.0.0" });
	const paused = await eventually(async () => {
		const view = await (await api(`/v1/rollouts/${rollout.id}`)).json();
		return view.state === "paused" && view;
	});
	t.regex(paused.reason, /stage 1 \(25 %\): 1 of 1 devices failed/);
	t.like(paused.devices.find((d) => d.device === canary.id), { state: "failed", reason: "rolled-back: exception or exit 1 during the trial" });
	await new Promise((resolve) => setTimeout(resolve, 2500));   // a drive or more later
	t.is(devices.filter((d) => offerTo(d) !== undefined).length, 1, "the later stage was not offered");
	await eventually(() => offerTo(canary) === "");   // a failed device's offer is withdrawn: no retry by itself
	// Resumed, the stage still fails: paused again at once. Then cancelled, once.
	t.is((await api(`/v1/rollouts/${rollout.id}/resume`, { method: "POST" })).status, 200);
	await eventually(async () => (await (await api(`/v1/rollouts/${rollout.id}`)).json()).state === "paused");
	t.is((await api(`/v1/rollouts/${rollout.id}/cancel`, { method: "POST" })).status, 200);
	t.is((await api(`/v1/rollouts/${rollout.id}/cancel`, { method: "POST" })).status, 409);
	const list = await (await api("/v1/rollouts")).json();
	t.like(list.rollouts[0], { id: rollout.id, state: "cancelled" });
});

test("cancel withdraws the retained offers of devices that have not finished", async (t) => {
	const { cloud, api, devices } = await withFleet(t, 2);
	t.is((await uploadAs(cloud, bundleOf("4.0.0"))).status, 201);
	const rollout = await (await api("/v1/rollouts", { method: "POST", body: { version: "4.0.0", devices: ["cam0", "cam1"] } })).json();
	await eventually(() => devices.every(offerTo));
	await report(devices[0], { version: "4.0.0", slot: "b", state: "confirmed" });
	await eventually(async () => (await (await api(`/v1/rollouts/${rollout.id}`)).json()).devices.some((d) => d.state === "confirmed"));
	t.is((await api(`/v1/rollouts/${rollout.id}/cancel`, { method: "POST" })).status, 200);
	await eventually(() => offerTo(devices[1]) === "", 8000);
	t.not(offerTo(devices[0]), "", "a finished device keeps its offer (it is installed)");
	const view = await (await api(`/v1/rollouts/${rollout.id}`)).json();
	t.deepEqual(view.devices.map((d) => d.state), ["confirmed", "withdrawn"]);
});

test("a rollout to a percentage takes that share of the devices; bad stages, thresholds and targets are refused", async (t) => {
	const { cloud, api } = await withFleet(t, 4);
	t.is((await uploadAs(cloud, bundleOf("5.0.0"))).status, 201);
	const half = await (await api("/v1/rollouts", { method: "POST", body: { version: "5.0.0", percent: 50, stages: [50, 100] } })).json();
	t.deepEqual(half.progress.map((s) => s.devices), [1, 1]);
	for (const [body, status] of [
		[{ version: "5.0.0", stages: [10, 5, 100] }, 400],
		[{ version: "5.0.0", stages: [10, 50] }, 400],
		[{ version: "5.0.0", failureThreshold: 2 }, 400],
		[{ version: "5.0.0", percent: 0 }, 400],
		[{ version: "5.0.0", devices: ["nobody"] }, 400],
		[{ version: "9.9.9" }, 404],
	]) t.is((await api("/v1/rollouts", { method: "POST", body })).status, status, JSON.stringify(body));
});

test("a store that fails mid-download cuts that download only: the service keeps answering (it was an uncaught stream error)", async (t) => {
	const { cloud, api, devices } = await withFleet(t, 1);
	const bytes = bundleOf("1.7.0");
	t.is((await uploadAs(cloud, bytes)).status, 201);
	t.is((await api("/v1/rollouts", { method: "POST", body: { version: "1.7.0", devices: "all", stages: [100] } })).status, 201);
	await eventually(() => offerTo(devices[0]));
	const { path } = JSON.parse(offerTo(devices[0]));
	// The store's stream gives 100 bytes, then fails (an S3 connection reset, a disk read error).
	const getStream = cloud.ctx.store.getStream;
	t.teardown(() => (cloud.ctx.store.getStream = getStream));
	cloud.ctx.store.getStream = async () => {
		const failing = new Readable({ read() {} });
		failing.push(bytes.subarray(0, 100));
		setTimeout(() => failing.destroy(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" })), 50);
		return failing;
	};
	const cut = await download(cloud, devices[0], path).then((res) => res.arrayBuffer()).then(() => "whole", () => "cut");
	t.is(cut, "cut", "the download is cut, not ended as if whole");
	t.is((await fetch(`${cloud.url}/healthz`)).status, 200);
	cloud.ctx.store.getStream = getStream;
	t.true(Buffer.from(await (await download(cloud, devices[0], path)).arrayBuffer()).equals(bytes));
});
