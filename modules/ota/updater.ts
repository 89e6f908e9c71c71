/**
 * Installs an OTA bundle (modules/ota/FORMAT.md) into the inactive slot, on every host:
 *
 *   1. the header (≤ 16 KiB, the only part held in RAM) → signatures, key rotations, app, ABI,
 *      kind, size, downgrade and failed-trial rules (modules/protocol/bundle.ts): a refusal writes
 *      nothing;
 *   2. the inactive slot is taken back from any pending boot, then the payload streams into it
 *      with HTTP Range from where an earlier cut left it (the part already written is hashed
 *      again first), each piece written and hashed as it arrives — never a second copy in RAM;
 *      more bytes than the manifest's size are refused, fewer stay for the next try;
 *   3. the SHA-256 must match; the slot then makes the payload bootable (SlotPayload.install:
 *      an "ivxs-modules" archive is unpacked on Linux; an "xsa" mod archive already lies at
 *      offset 0 of the board's partition, where XS maps it);
 *   4. the host stages the slot: the next boot tries it.
 *
 * The active slot is never opened for writing, so a power cut at any byte leaves it bootable.
 * Host services come from ivxs/platform's `ota` (OtaSlots, slots.ts), injected so tests can count
 * writes. How much of a slot is good after a cut is the slot's (SlotPayload.good); which download
 * it belongs to is the record "download-<slot>" here.
 */
import { BUNDLE_PREFIX_BYTES, BundleError, MAX_HEADER_BYTES, admit, readBundleHeader, verifyHeader, type BundleManifest } from "../protocol/bundle.js";
import { toHex } from "../protocol/hex.js";
import { answersLater } from "../protocol/verdict.js";
import type { OtaRecord, OtaSlots } from "./slots.js";

/** GET the bundle from byte `offset` (a Range request), the body handed to onData piece by
 * piece; resolves when the answer ends (status 206, or 200 for the whole), or rejects with
 * rangeAnswerError's error for an answer it refuses at its head. */
export type RangeFetch = (offset: number, end: number | undefined, onData: (bytes: Uint8Array) => void) => Promise<number>;

/** The bundle's server said "not now" to a Range request: not the bundle's fault, so no refusal —
 * the agent tries again with backoff, as after a network error. */
export class UnavailableError extends Error {
	readonly status: number;
	override name = "UnavailableError";   // a field: Moddable builds freeze Error.prototype (modules/net/errors.ts)
	constructor(status: number, message: string) {
		super(message);
		this.status = status;
	}
}

/**
 * The error for a Range request answered other than 206. A 404 (the version is not offered to
 * this device: withdrawn for a moment, or not marked offered yet — PROTOCOL §7) and what answers
 * later (408, 429, 5xx) are an UnavailableError; a 200 (the server ignores Range), a 416 or any
 * other answer is a BundleError("format"), final for the offer.
 */
export function rangeAnswerError(status: number): Error {
	if (status === 404 || answersLater(status)) return new UnavailableError(status, `the bundle's server answered ${status} to a Range request (unavailable for now)`);
	return new BundleError("format", `the bundle's server answered ${status} to a Range request`);
}

export interface UpdaterOptions {
	host: OtaSlots;
	app: string;
	/** Keys this device trusts (keyId → 65-byte point, hex): the device file's. */
	keys: Record<string, string>;
	/** Most payload bytes a slot takes (default 8 MiB; never more than the slot holds). */
	maxBytes?: number;
	/** Seconds a trial has to confirm (default 120). */
	deadline?: number;
	/** Failed trials after which a version is refused (default 3). */
	maxTrials?: number;
	onProgress?: (written: number, size: number) => void;
}

const READ_PIECE = 16384;

export class OtaUpdater {
	#o: UpdaterOptions;
	constructor(options: UpdaterOptions) {
		this.#o = options;
	}

	/** Keys this device trusts now: the device file's, plus those rotations added, less those they
	 * retired (#keep keeps the two apart: a key rotated back to is in `added` alone). */
	trustedKeys(): Record<string, string> {
		const keys: Record<string, string> = { ...this.#o.keys };
		const saved = this.#readJson("keys") as { added?: Record<string, string>; retired?: string[] } | undefined;
		Object.assign(keys, saved?.added ?? {});
		for (const id of saved?.retired ?? []) delete keys[id];
		return keys;
	}

	/** Verifies the bundle's header and downloads its payload into the inactive slot, then stages
	 * it. Rejects with a BundleError (refused: nothing written to any slot; "truncated": the
	 * part stays for a resumed try), an UnavailableError or a network error. */
	async install(fetch: RangeFetch): Promise<BundleManifest> {
		const host = this.#o.host;
		const record = host.status();
		if (record.trial) throw new BundleError("failed", "a trial is running: confirm or roll back first");
		const slot = record.active === "a" ? "b" : "a";
		const payload = host.payload(slot);
		const { manifest, added, retired, payloadOffset, first } = await this.#header(fetch, record, Math.min(this.#o.maxBytes ?? 8 * 1024 * 1024, payload.capacity()));
		if (record.pending === slot) host.stage("", "");   // never boot a slot being rewritten
		const download = `download-${slot}`;
		const resumable = (this.#readJson(download) as { sha256?: string } | undefined)?.sha256 === manifest.sha256;
		let have = resumable ? payload.good() : 0;
		if (!resumable || have > manifest.size) {
			payload.clear();   // before the record names the new download: a cut between them resumes nothing
			host.writeRecord(download, JSON.stringify({ version: manifest.version, sha256: manifest.sha256, size: manifest.size }));
			have = 0;
		}
		const hash = host.digest();
		const writer = payload.open(have);
		const forget = () => {
			writer.close();   // first: a flash writer's close would mark what it wrote as good
			payload.clear();
			host.writeRecord(download, undefined);
		};
		try {
			for (let at = 0; at < have; at += READ_PIECE)   // the part an earlier try left
				hash.update(payload.read(at, Math.min(READ_PIECE, have - at)));
			let written = have, oversized = false;
			const take = (bytes: Uint8Array) => {
				if (oversized) return;
				const room = manifest.size - written;
				if (bytes.length > room) oversized = true;
				const piece = bytes.length > room ? bytes.subarray(0, room) : bytes;
				if (!piece.length) return;
				writer.write(piece);
				hash.update(piece);
				written += piece.length;
				this.#o.onProgress?.(written, manifest.size);
			};
			if (written === 0) take(first);
			if (written < manifest.size && !oversized) {
				const status = await fetch(payloadOffset + written, undefined, take).catch((error: Error) => {
					if (error instanceof BundleError) throw error;
					// A cut or a "not now" answer: what arrived stays in the slot; the next try resumes after it.
					throw new BundleError("truncated", `truncated: ${written} of ${manifest.size} bytes (${error.message}); resumes from there`);
				});
				if (status !== 206) throw rangeAnswerError(status);
			}
			if (oversized) {
				forget();
				throw new BundleError("size", `more than the manifest's ${manifest.size} bytes`);
			}
			if (written < manifest.size) throw new BundleError("truncated", `truncated: ${written} of ${manifest.size} bytes (resumes from there)`);
			writer.sync();
			if (toHex(hash.digest()) !== manifest.sha256) {
				forget();
				// The part an earlier try left may not have kept (a torn write; a board slot XS mapped
				// since, which rewrites its symbol ids in place): not the bundle's fault — start over.
				if (have > 0) throw new BundleError("truncated", "the payload's SHA-256 is not the manifest's after a resume: it downloads again from the start");
				throw new BundleError("hash", "the payload's SHA-256 is not the manifest's");
			}
		}
		finally {
			writer.close();
			hash.close();
		}
		payload.install(manifest.size);
		this.#keep(added, retired);
		host.stage(slot, manifest.version, this.#o.deadline ?? 120);
		host.writeRecord(download, undefined);   // after the stage: a cut before it resumes at the end, not at 0
		return manifest;
	}

	async #header(fetch: RangeFetch, record: OtaRecord, maxBytes: number): Promise<{ manifest: BundleManifest; added: Record<string, string>; retired: string[]; payloadOffset: number; first: Uint8Array }> {
		const limit = BUNDLE_PREFIX_BYTES + MAX_HEADER_BYTES;
		const head = new Uint8Array(limit);
		let got = 0;
		await fetch(0, limit - 1, (bytes) => {
			const n = Math.min(bytes.length, limit - got);   // a server that ignores the end: the rest is dropped
			head.set(bytes.subarray(0, n), got);
			got += n;
		});
		const { header, payloadOffset } = readBundleHeader(head.subarray(0, got));
		const { manifest, added, retired } = verifyHeader(header, this.trustedKeys(), this.#o.host);
		admit(manifest, {
			app: this.#o.app, abi: this.#o.host.abi(), kind: this.#o.host.kind, version: record.activeVersion || "0.0.0",
			maxBytes, failedVersion: record.failedVersion, failures: record.failures, maxTrials: this.#o.maxTrials,
		});
		// The header's read brought the payload's first bytes too (up to 16 KiB): kept, not fetched again.
		return { manifest, added, retired, payloadOffset, first: head.subarray(payloadOffset, got) };
	}

	/** What a bundle's rotations changed joins the history: a key it added is no longer retired,
	 * one it retired no longer added — the later change wins, whatever came before. */
	#keep(added: Record<string, string>, retired: string[]): void {
		if (!Object.keys(added).length && !retired.length) return;
		const saved = (this.#readJson("keys") ?? {}) as { added?: Record<string, string>; retired?: string[] };
		const kept: Record<string, string> = {};
		for (const [id, key] of Object.entries(saved.added ?? {})) if (!retired.includes(id)) kept[id] = key;
		const next = {
			added: { ...kept, ...added },
			retired: [...new Set([...(saved.retired ?? []).filter((id) => !Object.hasOwn(added, id)), ...retired])],
		};
		this.#o.host.writeRecord("keys", JSON.stringify(next));
	}

	#readJson(name: string): unknown {
		const text = this.#o.host.readRecord(name);
		if (text === undefined) return undefined;
		try {
			return JSON.parse(text);
		}
		catch {
			return undefined;   // a torn or foreign record counts as none
		}
	}
}
