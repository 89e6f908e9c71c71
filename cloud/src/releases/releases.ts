// OTA releases: a bundle signed offline (`npm run sign-release`; modules/ota/FORMAT.md) is stored
// as it is, its manifest checked and shown. The cloud holds no private key and signs nothing. What
// it checks, so an operator learns at once rather than from a fleet of refusals: the layout, the
// signature against the public keys the devices trust (config otaKeys; the bundle's key rotations
// honoured, as a device does), the manifest, the payload's size and SHA-256. Old bundles are
// deleted — objects and rows — beyond the newest keepReleases, unless a live rollout offers them.
import { createHash } from "node:crypto";
import type { Sql } from "../meta/sql.js";
import type { ObjectStore } from "../storage/object-store.js";
import { objectKey } from "../storage/object-store.js";
import { BUNDLE_PREFIX_BYTES, BundleError, MAX_HEADER_BYTES, parseManifest, readBundleHeader, verifyHeader, type BundleManifest } from "../../../modules/protocol/bundle.js";
import { nodeBundleCrypto } from "./bundle-crypto.js";

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

/** The release a bundle makes, checked against the trusted keys ({ keyId: point }); throws a ReleaseError saying what is wrong. */
export function inspectBundle(bytes: Buffer, trusted: Record<string, string>): Release {
	if (!Object.keys(trusted).length)
		throw new ReleaseError("no trusted OTA keys are configured (otaKeys, IVXS_CLOUD_OTA_KEYS: the devices' ota-signing.pub.json): a signature cannot be checked", 503);
	let parsed;
	try {
		parsed = readBundleHeader(new Uint8Array(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, BUNDLE_PREFIX_BYTES + MAX_HEADER_BYTES)));
	}
	catch (error) {
		throw new ReleaseError(`not a bundle: ${(error as Error).message}`);
	}
	let manifest: BundleManifest;
	try {
		manifest = verifyHeader(parsed.header, trusted, nodeBundleCrypto).manifest;
	}
	catch (error) {
		const code = error instanceof BundleError ? error.code : "format";
		if (code === "key") throw new ReleaseError(`refused: ${(error as Error).message} (trusted: ${Object.keys(trusted).join(", ")}; a new key needs a rotation signed by a trusted one, npm run sign-release -- rotate)`);
		throw new ReleaseError(code === "signature" ? `refused: ${(error as Error).message}` : (error as Error).message);
	}
	const payload = bytes.subarray(parsed.payloadOffset);
	if (payload.length !== manifest.size) throw new ReleaseError(`payload of ${payload.length} bytes; the manifest says ${manifest.size}`);
	if (createHash("sha256").update(payload).digest("hex") !== manifest.sha256) throw new ReleaseError("the payload's SHA-256 is not the manifest's");
	return { version: manifest.version, manifest, keyId: parsed.header.keyId, rotations: parsed.header.rotations.length, bundleSize: bytes.length, added: Date.now() };
}

interface ReleaseRow { version: string; manifest: string; key_id: string; bundle_size: number; added: number }
const fromRow = (row: ReleaseRow): Release => ({ version: row.version, manifest: parseManifest(row.manifest), keyId: row.key_id, rotations: 0, bundleSize: row.bundle_size, added: row.added });

/** Stores a bundle (object first, then its row); the same bytes again are a no-op, other bytes under a stored version a 409. */
export async function addRelease(sql: Sql, store: ObjectStore, bytes: Buffer, trusted: Record<string, string>): Promise<{ release: Release; created: boolean }> {
	const release = inspectBundle(bytes, trusted);
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

// Removal takes this lock, and so does a new rollout: a rollout never starts on a release being removed.
export const RELEASES_LOCK = "releases";
const LIVE_ROLLOUT = "SELECT id FROM rollouts WHERE version = ? AND state IN ('running', 'paused')";

/** Deletes a release: its row, then its bundle. Refused (409) while a running or paused rollout offers it. */
export async function removeRelease(sql: Sql, store: ObjectStore, version: string): Promise<void> {
	await sql.transaction(async (tx) => {
		if (!await tx.get("SELECT version FROM releases WHERE version = ?", [version])) throw new ReleaseError(`no release ${version}`, 404);
		const rollout = await tx.get<{ id: string }>(LIVE_ROLLOUT, [version]);
		if (rollout) throw new ReleaseError(`release ${version} is offered by rollout ${rollout.id}: cancel it first`, 409);
		await tx.run("DELETE FROM releases WHERE version = ?", [version]);
	}, { lock: RELEASES_LOCK });
	// After the row: a crash between the two leaves an object no row names, which pruneReleases deletes.
	await store.delete(releaseKey(version));
}

/** Deletes the releases beyond the newest `keep` that no running or paused rollout offers, and bundles
 * no release names (left by a crash, older than an upload takes: `graceMs`). Returns the versions removed. */
export async function pruneReleases(sql: Sql, store: ObjectStore, keep: number, now = Date.now(), graceMs = 3_600_000): Promise<string[]> {
	const removed: string[] = [];
	for (const release of (await listReleases(sql)).slice(keep)) {
		if (await sql.get(LIVE_ROLLOUT, [release.version])) continue;
		try {
			await removeRelease(sql, store, release.version);
			removed.push(release.version);
		}
		catch (error) {
			if (!(error instanceof ReleaseError)) throw error;   // removed meanwhile, or offered since
		}
	}
	const named = new Set((await sql.all<{ version: string }>("SELECT version FROM releases")).map((r) => releaseKey(r.version)));
	for await (const object of store.list(`${objectKey("releases")}/`)) {
		// An upload puts its bundle before its row: only an old object without a row is an orphan.
		if (!named.has(object.key) && now - object.modified.getTime() > graceMs) await store.delete(object.key);
	}
	return removed;
}

/** What the API and the console show of a release. */
export const releaseView = (r: Release) => ({ version: r.version, manifest: r.manifest, keyId: r.keyId, bundleSize: r.bundleSize, added: new Date(r.added).toISOString() });
