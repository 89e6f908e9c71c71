// OTA key rotation on a device (modules/ota/updater.ts over modules/protocol/bundle.ts), in the
// order the rotations were made: rotating back to an earlier key trusts it again — within one
// chain, and across installs (the device's saved history). The real updater under Node over the
// board fakes (tests/ota/_board.mjs); keys, rotations and bundles from `npm run sign-release`.
import test from "ava";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { root } from "../_host.mjs";
import { makeBundle, makeKey, nodeBundleCrypto, signRelease, tempDir } from "./_ota.mjs";
import { Board, serve } from "./_board.mjs";

const load = (path) => import(join(root, "build/ts", path));
const [{ OtaUpdater }, { flashSlots }] = await Promise.all([load("modules/ota/updater.js"), load("modules/app/platform/flash-slots.js")]);

const ABI = "00112233aabbccdd";
const dir = tempDir("ivxs-key-rotation-");
const a = makeKey(dir, "a"), b = makeKey(dir, "b");
const payload = join(dir, "mod.xsa");
writeFileSync(payload, randomBytes(5000));

const rotation = (from, to) => {
	const out = join(dir, `${from.keyId}-${to.keyId}.json`);
	signRelease(["rotate", "--old", from.key, "--new", to.pub, "--out", out]);
	return out;
};
const aToB = rotation(a, b), bToA = rotation(b, a);
const bundle = (key, version, rotations) => serve(new Uint8Array(readFileSync(makeBundle({ key, version, payload, abi: ABI, rotations, out: join(dir, `${version}.ivxs`) })))).fetch;

/** A board running 1.0.0 from slot b that trusts key a (its device file's). */
function device() {
	const board = new Board();
	Object.assign(board.record.record, { active: "b", activeVersion: "1.0.0", result: "confirmed" });
	const slots = flashSlots({ ...board.host(), abi: () => ABI, ...nodeBundleCrypto, digest: board.digest });
	return new OtaUpdater({ host: slots, app: "ivxs-camera", keys: { [a.keyId]: a.point } });
}

test("rotating back across installs: a → b, then b → a — the device trusts a again (not none) and takes a's next bundle", async (t) => {
	const updater = device();
	await updater.install(bundle(b, "1.1.0", [aToB]));
	t.deepEqual(updater.trustedKeys(), { [b.keyId]: b.point }, "after a → b: b alone");
	await updater.install(bundle(a, "1.2.0", [aToB, bToA]));
	t.deepEqual(updater.trustedKeys(), { [a.keyId]: a.point }, "after b → a: a alone");
	t.is((await updater.install(bundle(a, "1.3.0", [aToB, bToA]))).version, "1.3.0");
	await t.throwsAsync(updater.install(bundle(b, "1.4.0", [])), { code: "key" }, "b stays retired");
});

test("rotating back within one chain: a → b → a on a device that trusts a leaves a trusted, b retired", async (t) => {
	const updater = device();
	await updater.install(bundle(a, "1.1.0", [aToB, bToA]));
	t.deepEqual(updater.trustedKeys(), { [a.keyId]: a.point });
	await t.throwsAsync(updater.install(bundle(b, "1.2.0", [])), { code: "key" });
});
