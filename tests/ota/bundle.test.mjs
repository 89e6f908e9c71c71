// OTA bundles (modules/ota/FORMAT.md) as `npm run sign-release` writes them and
// modules/protocol/bundle.ts reads them, with node:crypto for SHA-256 and P-256 (the XS host's
// mbedTLS check of the same bundles: tests/ota/host-verify.test.mjs).
import test from "ava";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { appLayer, archiveModule, bundleModule, makeBundle, makeKey, nodeBundleCrypto, signRelease, tempDir } from "./_ota.mjs";

const b = await bundleModule();
const a = await archiveModule();
const dir = tempDir();
const old = makeKey(dir, "old");
const next = makeKey(dir, "next");
const stranger = makeKey(dir, "stranger");
const layer = appLayer(join(dir, "layer"), { "modules/app/hello.js": "export default function main() { trace('hello\\n'); }\n" });
const trustOld = { [old.keyId]: old.point };
const ABI = "0123456789abcdef";

const read = (file) => new Uint8Array(readFileSync(file));
const headerOf = (bytes) => b.readBundleHeader(bytes).header;
const installed = (over = {}) => ({ app: "ivxs-camera", abi: ABI, version: "1.0.0", maxBytes: 1 << 20, kind: "ivxs-modules", ...over });

test("a signed bundle verifies, and its payload is the app layer with the manifest's size and hash", (t) => {
	const file = makeBundle({ key: old, version: "1.2.3", modules: layer, abi: ABI, out: join(dir, "good.ivxs") });
	const bytes = read(file);
	const { header, payloadOffset } = b.readBundleHeader(bytes);
	const { manifest, added } = b.verifyHeader(header, trustOld, nodeBundleCrypto);
	t.deepEqual(added, {});
	t.like(manifest, { format: 1, app: "ivxs-camera", version: "1.2.3", abi: ABI, kind: "ivxs-modules", rollback: false });
	const payload = bytes.subarray(payloadOffset);
	t.is(payload.length, manifest.size);
	t.is(Buffer.from(nodeBundleCrypto.sha256(payload)).toString("hex"), manifest.sha256);
	const files = [];
	a.walkArchive(payload.length, (o, n) => payload.subarray(o, o + n), (path, o, n) => files.push([path, Buffer.from(payload.subarray(o, o + n)).toString()]));
	t.deepEqual(files, [["modules/app/hello.js", "export default function main() { trace('hello\\n'); }\n"]]);
	t.notThrows(() => b.admit(manifest, installed()));
});

test("a changed manifest byte, another key's signature or an unknown key is refused", (t) => {
	const bytes = read(makeBundle({ key: old, version: "1.2.3", modules: layer, abi: ABI, out: join(dir, "tamper.ivxs") }));
	const header = headerOf(bytes);
	const changed = { ...header, manifest: header.manifest.replace('"1.2.3"', '"1.2.4"') };
	t.is(t.throws(() => b.verifyHeader(changed, trustOld, nodeBundleCrypto)).code, "signature");
	const flipped = { ...header, signature: (header.signature[0] === "0" ? "1" : "0") + header.signature.slice(1) };
	t.is(t.throws(() => b.verifyHeader(flipped, trustOld, nodeBundleCrypto)).code, "signature");
	const foreign = headerOf(read(makeBundle({ key: stranger, version: "1.2.3", modules: layer, abi: ABI, out: join(dir, "foreign.ivxs") })));
	t.is(t.throws(() => b.verifyHeader(foreign, trustOld, nodeBundleCrypto)).code, "key");
	// The stranger's signature under the trusted key's id: a bad signature, not a trusted bundle.
	t.is(t.throws(() => b.verifyHeader({ ...foreign, keyId: old.keyId }, trustOld, nodeBundleCrypto)).code, "signature");
});

test("key rotation: a statement signed by the old key makes the new key trusted; a forged one does not", (t) => {
	const rotation = join(dir, "rotation.json");
	signRelease(["rotate", "--old", old.key, "--new", next.pub, "--out", rotation]);
	const bytes = read(makeBundle({ key: next, version: "2.0.0", modules: layer, abi: ABI, rotations: [rotation], out: join(dir, "rotated.ivxs") }));
	const header = headerOf(bytes);
	const { manifest, added } = b.verifyHeader(header, trustOld, nodeBundleCrypto);
	t.is(manifest.version, "2.0.0");
	t.deepEqual(added, { [next.keyId]: next.point });
	// A device that already moved to the new key passes over the old link.
	t.is(b.verifyHeader(header, { [next.keyId]: next.point }, nodeBundleCrypto).manifest.version, "2.0.0");
	// The stranger signs a statement naming the old key as its author: refused.
	const forged = join(dir, "forged.json");
	signRelease(["rotate", "--old", stranger.key, "--new", next.pub, "--out", forged]);
	const forgedRotation = JSON.parse(readFileSync(forged, "utf8"));
	const statement = forgedRotation.statement.replace(stranger.keyId, old.keyId);
	t.is(t.throws(() => b.verifyHeader({ ...header, rotations: [{ statement, signature: forgedRotation.signature }] }, trustOld, nodeBundleCrypto)).code, "signature");
	// Without the rotation the new key is unknown.
	t.is(t.throws(() => b.verifyHeader({ ...header, rotations: [] }, trustOld, nodeBundleCrypto)).code, "key");
});

test("before a byte is written: wrong ABI, app or kind, oversize, same version, downgrade and a thrice-failed version are refused", (t) => {
	const manifest = b.verifyHeader(headerOf(read(makeBundle({ key: old, version: "1.2.3", modules: layer, abi: ABI, out: join(dir, "rules.ivxs") }))), trustOld, nodeBundleCrypto).manifest;
	const code = (over) => t.throws(() => b.admit(manifest, installed(over))).code;
	t.is(code({ abi: "fedcba9876543210" }), "abi");
	t.is(code({ app: "other-app" }), "app");
	t.is(code({ kind: "xsa" }), "format");
	t.is(code({ maxBytes: manifest.size - 1 }), "size");
	t.is(code({ version: "1.2.3" }), "downgrade");
	t.is(code({ version: "1.10.0" }), "downgrade");   // numeric order, not text order
	t.is(code({ failedVersion: "1.2.3", failures: 3 }), "failed");
	t.notThrows(() => b.admit(manifest, installed({ failedVersion: "1.2.3", failures: 2 })));
	t.notThrows(() => b.admit(manifest, installed({ version: "1.2.2" })));
	const rollback = b.verifyHeader(headerOf(read(makeBundle({ key: old, version: "1.0.0", modules: layer, abi: ABI, rollback: true, out: join(dir, "rollback.ivxs") }))), trustOld, nodeBundleCrypto).manifest;
	t.true(rollback.rollback);
	t.notThrows(() => b.admit(rollback, installed({ version: "1.2.3" })));
});

test("malformed and truncated headers are format errors", (t) => {
	const bytes = read(makeBundle({ key: old, version: "1.2.3", modules: layer, abi: ABI, out: join(dir, "format.ivxs") }));
	const code = (data) => t.throws(() => b.readBundleHeader(data)).code;
	t.is(code(bytes.subarray(0, 5)), "format");
	t.is(code(bytes.subarray(0, 40)), "format");   // stops inside the header
	const badMagic = bytes.slice();
	badMagic[0] ^= 1;
	t.is(code(badMagic), "format");
	const huge = bytes.slice();
	huge[8] = 0x7f;
	t.is(code(huge), "format");
	t.is(t.throws(() => b.parseManifest('{"format":1}')).code, "format");
	t.is(t.throws(() => b.parseManifest(JSON.stringify({ format: 1, app: "ivxs-camera", version: "01.2.3", abi: ABI, kind: "ivxs-modules", size: 1, sha256: "0".repeat(64), rollback: false, created: "", notes: "" }))).code, "format");
	t.is(b.compareVersions("1.10.0", "1.9.9") > 0, true);
});

test("archives hold app modules only: a path outside modules/ or with .. is refused before anything is handed out", (t) => {
	t.throws(() => a.encodeArchive([["ivxs/platform.js", new Uint8Array(1)]]), { name: "ArchiveError" });
	t.throws(() => a.encodeArchive([["modules/../x.js", new Uint8Array(1)]]), { name: "ArchiveError" });
	const good = a.encodeArchive([["modules/app/a.js", new Uint8Array([1, 2])], ["modules/app/b.js", new Uint8Array([3])]]);
	const evil = good.slice();
	evil.set([..."modules/../bb.js"].map((c) => c.charCodeAt(0)), 8 + (2 + 16 + 4 + 2) + 2);   // the second entry's path
	const seen = [];
	t.throws(() => a.walkArchive(evil.length, (o, n) => evil.subarray(o, o + n), (p) => seen.push(p)), { name: "ArchiveError" });
	t.deepEqual(seen, []);
	t.throws(() => a.walkArchive(good.length - 1, (o, n) => good.subarray(o, o + n), () => {}), { name: "ArchiveError" });
	t.is(a.walkArchive(good.length, (o, n) => good.subarray(o, o + n), (p) => seen.push(p)), 2);
	t.deepEqual(seen, ["modules/app/a.js", "modules/app/b.js"]);
});

test("keygen refuses to overwrite a key", (t) => {
	t.throws(() => signRelease(["keygen", "--out", join(dir, "old")]), { message: /EEXIST/ });
});

test("an .xsa payload (a Moddable mod) is signed as kind xsa; `show --trust --payload-out` hands it out only verified", (t) => {
	const xsa = join(dir, "mc.xsa");
	const mod = Buffer.concat([Buffer.from([0, 0, 0, 64]), Buffer.from("XS_A"), Buffer.alloc(56, 7)]);   // any bytes: the bundle does not parse its payload
	writeFileSync(xsa, mod);
	const file = makeBundle({ key: old, version: "1.3.0", payload: xsa, abi: ABI, out: join(dir, "mod.ivxs") });
	t.is(b.parseManifest(headerOf(read(file)).manifest).kind, "xsa");
	const out = join(dir, "out.xsa");
	t.regex(signRelease(["show", file, "--trust", old.pub, "--payload-out", out]), /signature: good/);
	t.deepEqual(readFileSync(out), mod);
	t.throws(() => signRelease(["show", file, "--trust", stranger.pub, "--payload-out", join(dir, "no.xsa")]), { message: /does not trust/ });
	t.throws(() => signRelease(["show", file, "--payload-out", join(dir, "no.xsa")]), { message: /--payload-out needs --trust/ });
	t.false(existsSync(join(dir, "no.xsa")), "nothing written unverified");
});
