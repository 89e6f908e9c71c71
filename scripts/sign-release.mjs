// `npm run sign-release`: OTA bundles of the app layer, signed offline (modules/ota/FORMAT.md).
// The private key stays on the machine that signs; the cloud and the devices only ever see
// public keys and signed bundles.
//
//   npm run sign-release -- keygen --out DIR                 DIR/ota-signing.key (PKCS#8 PEM, 0600)
//                                                            + DIR/ota-signing.pub.json ({ keyId, key })
//   npm run sign-release -- sign --key FILE --version X.Y.Z --out bundle.ivxs
//          [--modules DIR (build/ts: its modules/**/*.js) | --payload FILE.xsa]
//          [--abi HEX (default: build/bin/ivxs --abi; with --payload the ESP32 build's,
//          scripts/moddable-abi.mjs)] [--app ivxs-camera] [--rollback]
//          [--notes TEXT] [--rotation FILE.json …]   rotations from a key devices trust to --key
//   npm run sign-release -- rotate --old OLD.key --new NEW.pub.json --out rotation.json
//   npm run sign-release -- show bundle.ivxs [--trust KEY.pub.json …]   the manifest (and checks)
//          [--payload-out FILE]   with --trust: the verified payload (an .xsa for mcsim: hosts/moddable/README.md)
import { execFileSync } from "node:child_process";
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { moddableAbi } from "./moddable-abi.mjs";
import { root } from "./native-modules.mjs";
import { nodeBundleCrypto, publicKeyHex, readPublicKeys } from "./ota-node.mjs";
import { helpIfAsked } from "./usage.mjs";

const { asciiBytes } = await import(join(root, "build/ts/modules/protocol/ascii.js"));
const { BUNDLE_PREFIX_BYTES, bundlePrefix, keyIdOf, manifestMessage, parseManifest, readBundleHeader, rotationMessage, verifyHeader } =
	await import(join(root, "build/ts/modules/protocol/bundle.js"));
const { encodeArchive } = await import(join(root, "build/ts/modules/ota/archive.js"));

const usage = "usage: npm run sign-release -- keygen --out DIR | sign --key FILE --version X.Y.Z --out FILE [options] | rotate --old KEY --new PUB.json --out FILE | show FILE [--trust PUB.json [--payload-out FILE]]";

function options(args, repeatable = []) {
	const o = { _: [] };
	for (let i = 0; i < args.length; i++) {
		const arg = args[i];
		if (!arg.startsWith("--")) { o._.push(arg); continue; }
		const name = arg.slice(2);
		if (name === "rollback") { o.rollback = true; continue; }
		if (i + 1 >= args.length) throw new Error(`${arg} needs a value\n${usage}`);
		if (repeatable.includes(name)) (o[name] ??= []).push(args[++i]);
		else o[name] = args[++i];
	}
	return o;
}

const signP256 = (keyPem, message) => sign("sha256", message, { key: createPrivateKey(keyPem), dsaEncoding: "ieee-p1363" }).toString("hex");

function keygen(o) {
	if (!o.out) throw new Error(`keygen needs --out DIR\n${usage}`);
	mkdirSync(o.out, { recursive: true });
	const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
	const key = publicKeyHex(publicKey);
	const keyId = keyIdOf(Buffer.from(key, "hex"), nodeBundleCrypto);
	const keyFile = join(o.out, "ota-signing.key");
	writeFileSync(keyFile, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600, flag: "wx" });
	writeFileSync(join(o.out, "ota-signing.pub.json"), `${JSON.stringify({ keyId, key }, null, "\t")}\n`, { flag: "wx" });
	console.log(`key ${keyId}: ${keyFile} (private: keep it offline) and ${join(o.out, "ota-signing.pub.json")} (devices and the cloud)`);
}

/** Every .js under DIR/modules, sorted: the Linux host's app layer. */
function modulesArchive(dir) {
	const files = [];
	const walk = (folder) => {
		for (const name of readdirSync(folder).sort()) {
			const path = join(folder, name);
			if (statSync(path).isDirectory()) walk(path);
			else if (name.endsWith(".js")) files.push([relative(dir, path), new Uint8Array(readFileSync(path))]);
		}
	};
	walk(join(dir, "modules"));
	return encodeArchive(files);
}

function signBundle(o) {
	if (!o.key || !o.version || !o.out) throw new Error(`sign needs --key, --version and --out\n${usage}`);
	const keyPem = readFileSync(o.key, "utf8");
	const key = publicKeyHex(createPublicKey(keyPem));
	const payload = o.payload ? new Uint8Array(readFileSync(o.payload)) : modulesArchive(resolve(root, o.modules ?? "build/ts"));
	// A mod archive is for a board (the ESP32 build's ABI); compiled modules for the Linux host.
	const abi = o.abi ?? (o.payload ? moddableAbi("esp32/esp32s3") : execFileSync(join(root, "build/bin/ivxs"), ["--abi"], { encoding: "utf8" }).trim());
	const manifestText = JSON.stringify({
		format: 1, app: o.app ?? "ivxs-camera", version: o.version, abi, kind: o.payload ? "xsa" : "ivxs-modules",
		size: payload.length, sha256: Buffer.from(nodeBundleCrypto.sha256(payload)).toString("hex"),
		rollback: !!o.rollback, created: new Date().toISOString(), notes: o.notes ?? "",
	});
	const manifest = parseManifest(manifestText);   // the device's own check, before signing
	const rotations = (o.rotation ?? []).map((file) => JSON.parse(readFileSync(file, "utf8")));
	const header = JSON.stringify({
		manifest: manifestText, keyId: keyIdOf(Buffer.from(key, "hex"), nodeBundleCrypto),
		signature: signP256(keyPem, manifestMessage(manifestText)), rotations,
	});
	const headerBytes = asciiBytes(header);
	writeFileSync(o.out, Buffer.concat([bundlePrefix(headerBytes.length), headerBytes, payload]));
	console.log(`${o.out}: ${manifest.app} ${manifest.version} (${manifest.kind}, ${manifest.size} bytes, ABI ${manifest.abi}${manifest.rollback ? ", rollback release" : ""}), key ${JSON.parse(header).keyId}`);
}

function rotate(o) {
	if (!o.old || !o.new || !o.out) throw new Error(`rotate needs --old, --new and --out\n${usage}`);
	const oldPem = readFileSync(o.old, "utf8");
	const from = keyIdOf(Buffer.from(publicKeyHex(createPublicKey(oldPem)), "hex"), nodeBundleCrypto);
	const next = JSON.parse(readFileSync(o.new, "utf8"));
	if (keyIdOf(Buffer.from(next.key, "hex"), nodeBundleCrypto) !== next.keyId) throw new Error(`${o.new}: keyId does not match its key`);
	const statement = JSON.stringify({ format: 1, type: "ivxs-ota-key-rotation", from, to: next.keyId, key: next.key, created: new Date().toISOString() });
	writeFileSync(o.out, `${JSON.stringify({ statement, signature: signP256(oldPem, rotationMessage(statement)) }, null, "\t")}\n`);
	console.log(`${o.out}: key ${from} hands over to ${next.keyId}; sign bundles with the new key and --rotation ${o.out}`);
}

function show(o) {
	const [file] = o._;
	if (!file) throw new Error(`show needs a bundle file\n${usage}`);
	const bytes = new Uint8Array(readFileSync(file));
	const { header, payloadOffset } = readBundleHeader(bytes.subarray(0, Math.min(bytes.length, BUNDLE_PREFIX_BYTES + 65536)));
	const manifest = parseManifest(header.manifest);
	console.log(JSON.stringify({ ...manifest, keyId: header.keyId, rotations: header.rotations.length }, null, "\t"));
	const payload = bytes.subarray(payloadOffset);
	if (payload.length !== manifest.size) throw new Error(`payload of ${payload.length} bytes, the manifest says ${manifest.size}`);
	if (Buffer.from(nodeBundleCrypto.sha256(payload)).toString("hex") !== manifest.sha256) throw new Error("payload SHA-256 does not match the manifest");
	if (o["payload-out"] && !o.trust) throw new Error("--payload-out needs --trust: only a verified payload is handed out");
	if (o.trust) {
		verifyHeader(header, readPublicKeys(o.trust), nodeBundleCrypto);
		console.log("signature: good");
	}
	if (o["payload-out"]) writeFileSync(o["payload-out"], payload);
}

helpIfAsked(process.argv.slice(2), import.meta.url);
try {
	const [command, ...rest] = process.argv.slice(2);
	const o = options(rest, ["rotation", "trust"]);
	if (command === "keygen") keygen(o);
	else if (command === "sign") signBundle(o);
	else if (command === "rotate") rotate(o);
	else if (command === "show") show(o);
	else throw new Error(usage);
}
catch (error) {
	console.error(`sign-release: ${error.message}`);
	process.exit(2);
}
