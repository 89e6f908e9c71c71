// OTA releases: a bundle signed offline (`npm run sign-release`; modules/ota/FORMAT.md) is stored
// as it is, its manifest checked and shown. The cloud holds no key and signs nothing: the devices
// check the signature. What it does check, so an operator learns at once rather than from a fleet
// of refusals: the layout, the manifest, the payload's size and SHA-256.
import { createHash } from "node:crypto";
import type { Sql } from "../meta/sql.js";
import type { ObjectStore } from "../storage/object-store.js";
import { objectKey } from "../storage/object-store.js";
import { BUNDLE_PREFIX_BYTES, MAX_HEADER_BYTES, parseManifest, readBundleHeader, type BundleManifest } from "../../../modules/protocol/bundle.js";

export class ReleaseError extends Error {
	override name = "ReleaseError";
	readonly status: number;
	constructor(message: string, status = 400) {
		super(message);
		this.status = status;
	}
}

export interface Release {
	version: string;
	manifest: BundleManifest;
	keyId: string;
	rotations: number;
	/** The whole bundle's bytes (what a device downloads). */
	bundleSize: number;
	added: number;
}

export const releaseKey = (version: string): string => objectKey("releases", `${version}.ivxs`);

/** The release a bundle makes, checked; throws a ReleaseError saying what is wrong. */
export function inspectBundle(bytes: Buffer): Release {
	let parsed;
	try {
		parsed = readBundleHeader(new Uint8Array(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, BUNDLE_PREFIX_BYTES + MAX_HEADER_BYTES)));
	}
	catch (error) {
		throw new ReleaseError(`not a bundle: ${(error as Error).message}`);
	}
	let manifest: BundleManifest;
	try {
		manifest = parseManifest(parsed.header.manifest);
	}
	catch (error) {
		throw new ReleaseError((error as Error).message);
	}
	const payload = bytes.subarray(parsed.payloadOffset);
	if (payload.length !== manifest.size) throw new ReleaseError(`payload of ${payload.length} bytes; the manifest says ${manifest.size}`);
	if (createHash("sha256").update(payload).digest("hex") !== manifest.sha256) throw new ReleaseError("the payload's SHA-256 is not the manifest's");
	return { version: manifest.version, manifest, keyId: parsed.header.keyId, rotations: parsed.header.rotations.length, bundleSize: bytes.length, added: Date.now() };
}

interface ReleaseRow { version: string; manifest: string; key_id: string; bundle_size: number; added: number }
const fromRow = (row: ReleaseRow): Release => ({ version: row.version, manifest: parseManifest(row.manifest), keyId: row.key_id, rotations: 0, bundleSize: row.bundle_size, added: row.added });

/** Stores a bundle (object first, then its row); the same bytes again are a no-op, other bytes under a stored version a 409. */
export async function addRelease(sql: Sql, store: ObjectStore, bytes: Buffer): Promise<{ release: Release; created: boolean }> {
	const release = inspectBundle(bytes);
	const existing = await findRelease(sql, release.version);
	if (existing) {
		if (existing.manifest.sha256 !== release.manifest.sha256) throw new ReleaseError(`version ${release.version} is already released with other bytes: give the new one a new version`, 409);
		return { release: existing, created: false };
	}
	await store.put(releaseKey(release.version), bytes);
	const m = release.manifest;
	const result = await sql.run(`INSERT INTO releases (version, app, abi, kind, payload_size, sha256, rollback, key_id, manifest, bundle_size, added)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
	[m.version, m.app, m.abi, m.kind, m.size, m.sha256, m.rollback ? 1 : 0, release.keyId, JSON.stringify(m), release.bundleSize, release.added]);
	return { release, created: result.changes > 0 };
}

export async function findRelease(sql: Sql, version: string): Promise<Release | undefined> {
	const row = await sql.get<ReleaseRow>("SELECT version, manifest, key_id, bundle_size, added FROM releases WHERE version = ?", [version]);
	return row ? fromRow(row) : undefined;
}

export async function listReleases(sql: Sql): Promise<Release[]> {
	return (await sql.all<ReleaseRow>("SELECT version, manifest, key_id, bundle_size, added FROM releases ORDER BY added DESC, version")).map(fromRow);
}

/** What the API and the console show of a release. */
export const releaseView = (r: Release) => ({ version: r.version, manifest: r.manifest, keyId: r.keyId, bundleSize: r.bundleSize, added: new Date(r.added).toISOString() });
