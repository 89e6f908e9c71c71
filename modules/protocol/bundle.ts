/**
 * OTA bundles of the app layer (modules/ota/FORMAT.md): the file layout, the manifest and
 * key-rotation schemas, the exact bytes that get signed, and the rules a device applies before
 * it writes a byte. Read by the camera (XS), the cloud (`release add`) and written by
 * `npm run sign-release` (Node). Pure: SHA-256 and the ECDSA P-256 check are injected.
 *
 *   "IVXSOTA1" | u32 BE header length | header (JSON, ASCII) | payload (manifest.size bytes)
 */
import { asciiBytes, asciiText } from "./ascii.js";
import { fromHex, toHex } from "./hex.js";
import { pattern } from "./pattern.js";

export const BUNDLE_MAGIC = "IVXSOTA1";
/** The magic and the header length: what to read before the header. */
export const BUNDLE_PREFIX_BYTES = 12;
/** A header larger than this is refused before it is read (rotations included). */
export const MAX_HEADER_BYTES = 16384;
/** The longest chain of key rotations a header may carry. */
export const MAX_ROTATIONS = 8;
/** Domain separation: what a manifest's and a rotation's signatures cover (then the JSON text). */
export const MANIFEST_CONTEXT = "ivxs-ota-manifest\n";
export const ROTATION_CONTEXT = "ivxs-ota-key-rotation\n";
/** What a payload is: compiled modules for the Linux host, a Moddable mod archive for boards. */
export const PAYLOAD_KINDS = Object.freeze(["ivxs-modules", "xsa"] as const);
export type PayloadKind = (typeof PAYLOAD_KINDS)[number];

export interface BundleManifest {
	format: 1;
	/** Which app the layer belongs to ("ivxs-camera"). */
	app: string;
	/** MAJOR.MINOR.PATCH, numbers only: ordered by compareVersions. */
	version: string;
	/** The host ABI the payload was built against (`ivxs --abi`: 16 hex digits): must match. */
	abi: string;
	kind: PayloadKind;
	/** The payload's bytes and their SHA-256 (hex). */
	size: number;
	sha256: string;
	/** May replace a newer version (signed: a device refuses a downgrade without it). */
	rollback: boolean;
	/** ISO 8601 time of signing (information only). */
	created: string;
	/** Free text for operators, ASCII. */
	notes: string;
}

/** A signed statement by an old key that a new key takes its place. */
export interface KeyRotation {
	/** JSON text of a RotationStatement. */
	statement: string;
	/** By the key `from` names, over ROTATION_CONTEXT + statement. */
	signature: string;
}

export interface RotationStatement {
	format: 1;
	type: "ivxs-ota-key-rotation";
	from: string;
	to: string;
	/** The new public key: uncompressed P-256 point, 65 bytes, hex. */
	key: string;
	created: string;
}

export interface BundleHeader {
	/** JSON text of a BundleManifest: signed as these exact bytes, never re-serialised. */
	manifest: string;
	/** keyIdOf the signing key. */
	keyId: string;
	/** ECDSA P-256 over SHA-256(MANIFEST_CONTEXT + manifest): r || s, 64 bytes, hex. */
	signature: string;
	/** From a key the device trusts to the signing key, oldest first (often empty). */
	rotations: KeyRotation[];
}

export interface BundleCrypto {
	sha256(data: Uint8Array): ArrayBuffer | Uint8Array;
	/** ECDSA P-256 with SHA-256 over message: public key 65 bytes, signature r || s 64 bytes. */
	verifyP256(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}

/** Why a bundle is refused; `code` is what a device reports (FORMAT.md §Refusals). */
export class BundleError extends Error {
	readonly code: string;
	override name = "BundleError";   // a field: Moddable builds freeze Error.prototype (modules/net/errors.ts)
	constructor(code: "format" | "signature" | "key" | "abi" | "app" | "downgrade" | "size" | "truncated" | "hash" | "failed", message: string) {
		super(message);
		this.code = code;
	}
}

const VERSION = pattern(/^(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})$/);
const HEX64 = pattern(/^[0-9a-f]{64}$/);
const ABI = pattern(/^[0-9a-f]{16}$/);
const KEY_ID = pattern(/^[0-9a-f]{16}$/);
const SIGNATURE = pattern(/^[0-9a-f]{128}$/);
const PUBLIC_KEY = pattern(/^04[0-9a-f]{128}$/);
const APP = pattern(/^[a-z0-9][a-z0-9-]{0,63}$/);
const ASCII = pattern(/^[\x20-\x7e]*$/);

export const isVersion = (value: unknown): value is string => typeof value === "string" && VERSION.test(value);

/** < 0, 0, > 0 as a is older than, the same as, newer than b (both MAJOR.MINOR.PATCH). */
export function compareVersions(a: string, b: string): number {
	const x = a.split(".").map(Number), y = b.split(".").map(Number);
	for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i];
	return 0;
}

/** The header's hex (lower-case only: one spelling per signature), else a format error. */
function hexBytes(text: string): Uint8Array {
	const bytes = /[A-F]/.test(text) ? undefined : fromHex(text);
	if (!bytes) throw new BundleError("format", "not lower-case hex");
	return bytes;
}

/** A key's id: the first 8 bytes of SHA-256 of its 65-byte point, hex. */
export const keyIdOf = (publicKey: Uint8Array, crypto: Pick<BundleCrypto, "sha256">): string =>
	toHex(new Uint8Array(crypto.sha256(publicKey)).subarray(0, 8));

/** The header's length from the first BUNDLE_PREFIX_BYTES of a bundle. */
export function headerLengthOf(prefix: Uint8Array): number {
	if (prefix.length < BUNDLE_PREFIX_BYTES || asciiText(prefix.subarray(0, 8)) !== BUNDLE_MAGIC)
		throw new BundleError("format", "not an ivxs bundle (magic)");
	const length = new DataView(prefix.buffer, prefix.byteOffset, BUNDLE_PREFIX_BYTES).getUint32(8);
	if (length < 2 || length > MAX_HEADER_BYTES) throw new BundleError("format", `header of ${length} bytes (at most ${MAX_HEADER_BYTES})`);
	return length;
}

/** The 12-byte prefix for a header of `length` bytes. */
export function bundlePrefix(length: number): Uint8Array {
	const out = new Uint8Array(BUNDLE_PREFIX_BYTES);
	out.set(asciiBytes(BUNDLE_MAGIC));
	out[8] = length >>> 24;
	out[9] = (length >>> 16) & 255;
	out[10] = (length >>> 8) & 255;
	out[11] = length & 255;
	return out;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

function parseJson(text: string, what: string): Record<string, unknown> {
	if (!ASCII.test(text)) throw new BundleError("format", `${what}: not printable ASCII`);
	let value: unknown;
	try {
		value = JSON.parse(text);
	}
	catch {
		throw new BundleError("format", `${what}: not JSON`);
	}
	if (!isObject(value)) throw new BundleError("format", `${what}: not an object`);
	return value;
}

/** The header's fields (their shapes checked; nothing verified yet). */
export function parseHeader(bytes: Uint8Array): BundleHeader {
	const value = parseJson(asciiText(bytes), "header");
	const { manifest, keyId, signature, rotations } = value;
	if (typeof manifest !== "string" || typeof keyId !== "string" || !KEY_ID.test(keyId) || typeof signature !== "string" || !SIGNATURE.test(signature))
		throw new BundleError("format", "header: manifest, keyId or signature missing or malformed");
	if (!Array.isArray(rotations) || rotations.length > MAX_ROTATIONS
		|| !rotations.every((r) => isObject(r) && typeof r.statement === "string" && typeof r.signature === "string" && SIGNATURE.test(r.signature)))
		throw new BundleError("format", `header: rotations must be a list of at most ${MAX_ROTATIONS} signed statements`);
	return { manifest, keyId, signature, rotations: rotations as KeyRotation[] };
}

/** A manifest's text, strictly checked. */
export function parseManifest(text: string): BundleManifest {
	const m = parseJson(text, "manifest");
	const fail = (what: string): never => { throw new BundleError("format", `manifest: ${what}`); };
	if (m.format !== 1) fail("format must be 1");
	if (typeof m.app !== "string" || !APP.test(m.app)) fail("app");
	if (!isVersion(m.version)) fail("version must be MAJOR.MINOR.PATCH");
	if (typeof m.abi !== "string" || !ABI.test(m.abi)) fail("abi must be 16 hex digits (ivxs --abi)");
	if (!PAYLOAD_KINDS.includes(m.kind as PayloadKind)) fail(`kind must be one of ${PAYLOAD_KINDS.join(", ")}`);
	if (!Number.isSafeInteger(m.size) || (m.size as number) < 1) fail("size");
	if (typeof m.sha256 !== "string" || !HEX64.test(m.sha256)) fail("sha256");
	if (typeof m.rollback !== "boolean") fail("rollback must be true or false");
	if (typeof m.created !== "string" || typeof m.notes !== "string" || m.notes.length > 1000) fail("created and notes are text");
	return m as unknown as BundleManifest;
}

export function parseRotation(text: string): RotationStatement {
	const s = parseJson(text, "rotation");
	if (s.format !== 1 || s.type !== "ivxs-ota-key-rotation" || typeof s.from !== "string" || !KEY_ID.test(s.from)
		|| typeof s.to !== "string" || !KEY_ID.test(s.to) || typeof s.key !== "string" || !PUBLIC_KEY.test(s.key) || typeof s.created !== "string")
		throw new BundleError("format", "rotation: malformed statement");
	return s as unknown as RotationStatement;
}

/** The bytes a manifest's signature covers (ECDSA P-256 with SHA-256). */
export const manifestMessage = (text: string): Uint8Array => asciiBytes(MANIFEST_CONTEXT + text);
export const rotationMessage = (text: string): Uint8Array => asciiBytes(ROTATION_CONTEXT + text);

/**
 * Checks the signatures: each rotation from a key trusted at that link (the device's, as the
 * links before it left them) must be signed by it (links from keys the device never had, or
 * no longer has, are passed over); each link trusts its `to` and retires its `from`, in the
 * chain's order — so a key retired and named again by a later link (rotating back) is trusted
 * again. The manifest must be signed by the key it names, one trusted at some point of the
 * chain. Returns the manifest and what the chain changed: the keys trusted after it that were
 * not before (added) and those trusted before that are not after it (retired) — disjoint, so a
 * device applies them to its history in any order. Throws a BundleError("signature" | "key" | "format").
 */
export function verifyHeader(header: BundleHeader, trusted: Record<string, string>, crypto: BundleCrypto): { manifest: BundleManifest; added: Record<string, string>; retired: string[] } {
	const keys: Record<string, string> = { ...trusted };   // trusted after each link
	const signers: Record<string, string> = { ...trusted };   // trusted at some link: may sign the manifest
	for (const rotation of header.rotations) {
		const statement = parseRotation(rotation.statement);
		const from = keys[statement.from];
		if (!from || keys[statement.to]) continue;   // a link older than this device's keys, or one it has
		if (keyIdOf(hexBytes(statement.key), crypto) !== statement.to) throw new BundleError("format", "rotation: the key's id is not its `to`");
		if (!crypto.verifyP256(hexBytes(from), rotationMessage(rotation.statement), hexBytes(rotation.signature)))
			throw new BundleError("signature", `rotation to ${statement.to}: bad signature`);
		keys[statement.to] = signers[statement.to] = statement.key;
		delete keys[statement.from];
	}
	const key = signers[header.keyId];
	if (!key) throw new BundleError("key", `signed by key ${header.keyId}, which this device does not trust`);
	if (!crypto.verifyP256(hexBytes(key), manifestMessage(header.manifest), hexBytes(header.signature)))
		throw new BundleError("signature", "bad manifest signature");
	const added: Record<string, string> = {};
	for (const id of Object.keys(keys)) if (!Object.hasOwn(trusted, id)) added[id] = keys[id];
	return { manifest: parseManifest(header.manifest), added, retired: Object.keys(trusted).filter((id) => !Object.hasOwn(keys, id)) };
}

export interface Installed {
	app: string;
	abi: string;
	/** The running app layer's version. */
	version: string;
	/** Most payload bytes a slot takes. */
	maxBytes: number;
	kind: PayloadKind;
	/** A version whose trials failed `failures` times in a row. */
	failedVersion?: string;
	failures?: number;
	/** Failed trials after which a version is refused (default 3). */
	maxTrials?: number;
}

/** The rules before a byte is written: app, ABI, kind, size, no downgrade without a signed
 * rollback mark, no fourth trial of a failing version. Throws a BundleError. */
export function admit(manifest: BundleManifest, installed: Installed): void {
	if (manifest.app !== installed.app) throw new BundleError("app", `bundle for ${manifest.app}, this is ${installed.app}`);
	if (manifest.abi !== installed.abi) throw new BundleError("abi", `built for host ABI ${manifest.abi}, this host is ${installed.abi}`);
	if (manifest.kind !== installed.kind) throw new BundleError("format", `a ${manifest.kind} payload; this host takes ${installed.kind}`);
	if (manifest.size > installed.maxBytes) throw new BundleError("size", `${manifest.size} bytes; a slot takes ${installed.maxBytes}`);
	const order = compareVersions(manifest.version, installed.version);
	if (order === 0) throw new BundleError("downgrade", `${manifest.version} is installed`);
	if (order < 0 && !manifest.rollback) throw new BundleError("downgrade", `${manifest.version} is older than ${installed.version} and not a rollback release`);
	if (manifest.version === installed.failedVersion && (installed.failures ?? 0) >= (installed.maxTrials ?? 3))
		throw new BundleError("failed", `${manifest.version} failed ${installed.failures} trials`);
}

/** The header of a bundle whose first bytes (prefix + header, at least) are given, and where
 * its payload starts. Throws a BundleError("format") — also when `bytes` stops inside the header. */
export function readBundleHeader(bytes: Uint8Array): { header: BundleHeader; payloadOffset: number } {
	const length = headerLengthOf(bytes);
	if (bytes.length < BUNDLE_PREFIX_BYTES + length) throw new BundleError("format", "truncated header");
	return { header: parseHeader(bytes.subarray(BUNDLE_PREFIX_BYTES, BUNDLE_PREFIX_BYTES + length)), payloadOffset: BUNDLE_PREFIX_BYTES + length };
}
