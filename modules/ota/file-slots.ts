/**
 * The Linux host's OTA slots (slots.ts) over its record (hosts/linux/src/ota.c), files and crypto:
 *
 *   <data>/ota/keys.json                 record "keys"
 *   <data>/ota/<slot>/download.json      record "download-<slot>"
 *   <data>/ota/<slot>/payload            a download in progress: its length is what is good
 *   <data>/ota/<slot>/root/…             the unpacked app layer the host searches first
 *
 * Records are replaced whole (temp file, fsync, rename). A slot's payload is an "ivxs-modules"
 * archive (archive.ts), unpacked into root.tmp and renamed to root: a cut leaves no half root.
 */
import { asciiBytes, asciiText } from "../protocol/ascii.js";
import { walkArchive } from "./archive.js";
import type { OtaRecord, OtaSlots, PayloadWriter, SlotPayload } from "./slots.js";

/** What the Linux host gives (ivxs/ota-host, ivxs/file, ivxs/crypto; a Node stand-in in the benchmark). */
export interface FileHost {
	status(): OtaRecord & { folder: string };
	stage: OtaSlots["stage"];
	confirm(): void;
	fail(reason: string): void;
	abi(): string;
	sha256: OtaSlots["sha256"];
	verifyP256: OtaSlots["verifyP256"];
	digest: OtaSlots["digest"];
	readFile(path: string, options?: { maxBytes?: number; offset?: number }): ArrayBuffer;
	fileSize(path: string): number | undefined;
	openWriter(path: string, append: boolean): { write(chunks: (ArrayBuffer | ArrayBufferView)[]): void; sync(): void; close(): void };
	makeDirectory(path: string): void;
	removeTree(path: string): void;
	rename(from: string, to: string): void;
	replaceFile(path: string, data: Uint8Array): void;
}

const PIECE = 16384;
const RECORD_BYTES = 65536;

export function fileSlots(host: FileHost): OtaSlots {
	const folder = () => `${host.status().folder}/ota`;
	const recordPath = (name: string): string => {
		const download = /^download-([ab])$/.exec(name);
		if (download) return `${folder()}/${download[1]}/download.json`;
		if (name === "keys") return `${folder()}/keys.json`;
		throw new RangeError(`no OTA record ${name}`);
	};
	const makeDirectories = (path: string): void => {
		const parts = path.split("/");
		for (let i = 1; i <= parts.length; i++) {
			const prefix = parts.slice(0, i).join("/");
			if (prefix) host.makeDirectory(prefix);
		}
	};
	return Object.freeze({
		kind: "ivxs-modules" as const,
		status: () => host.status(),
		stage: (slot: "" | "a" | "b", version: string, deadlineSeconds?: number) => host.stage(slot, version, deadlineSeconds),
		confirm: () => host.confirm(),
		fail: (reason: string) => host.fail(reason),
		abi: () => host.abi(),
		sha256: (data: Uint8Array) => host.sha256(data),
		verifyP256: (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => host.verifyP256(publicKey, message, signature),
		digest: () => host.digest(),
		readRecord(name: string): string | undefined {
			const path = recordPath(name);
			if (host.fileSize(path) === undefined) return undefined;
			return asciiText(new Uint8Array(host.readFile(path, { maxBytes: RECORD_BYTES })));
		},
		writeRecord(name: string, text: string | undefined): void {
			const path = recordPath(name);
			if (text === undefined) return host.removeTree(path);
			makeDirectories(path.slice(0, path.lastIndexOf("/")));
			host.replaceFile(path, asciiBytes(text));
		},
		payload: (slot: "a" | "b") => new FilePayload(host, `${folder()}/${slot}`, makeDirectories),
	});
}

class FilePayload implements SlotPayload {
	#host: FileHost;
	#folder: string;
	#makeDirectories: (path: string) => void;
	constructor(host: FileHost, folder: string, makeDirectories: (path: string) => void) {
		this.#host = host;
		this.#folder = folder;
		this.#makeDirectories = makeDirectories;
	}

	get #file(): string { return `${this.#folder}/payload`; }

	capacity(): number {
		return Infinity;   // the updater's maxBytes bounds it
	}

	good(): number {
		return this.#host.fileSize(this.#file) ?? 0;
	}

	read(offset: number, length: number): Uint8Array {
		return new Uint8Array(this.#host.readFile(this.#file, { offset, maxBytes: length }));
	}

	open(offset: number): PayloadWriter {
		if (offset !== 0 && offset !== this.good()) throw new RangeError("a payload resumes where it ends");
		this.#makeDirectories(this.#folder);
		const writer = this.#host.openWriter(this.#file, offset > 0);
		return { write: (bytes) => writer.write([bytes]), sync: () => writer.sync(), close: () => writer.close() };
	}

	/** The whole slot folder goes: an old root, a payload, its download record. */
	clear(): void {
		this.#host.removeTree(this.#folder);
		this.#makeDirectories(this.#folder);
	}

	/** The archive into root.tmp, then root.tmp → root; the payload file goes. */
	install(size: number): void {
		const host = this.#host;
		const staging = `${this.#folder}/root.tmp`;
		host.removeTree(staging);
		host.makeDirectory(staging);
		walkArchive(size, (offset, length) => this.read(offset, length), (path, offset, length) => {
			const file = `${staging}/${path}`;
			this.#makeDirectories(file.slice(0, file.lastIndexOf("/")));
			const writer = host.openWriter(file, false);
			try {
				for (let at = 0; at < length; at += PIECE) writer.write([this.read(offset + at, Math.min(PIECE, length - at))]);
				writer.sync();
			}
			finally {
				writer.close();
			}
		});
		host.removeTree(`${this.#folder}/root`);
		host.rename(staging, `${this.#folder}/root`);
		host.removeTree(this.#file);
	}
}
Object.freeze(FilePayload.prototype);
