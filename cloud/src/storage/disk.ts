// Objects as files under one folder. A put writes a temporary file, fsyncs it,
// renames it into place and fsyncs the folder (and any folder it had to make),
// so a reader, a restarted service or one after a power loss sees either
// nothing or the whole object — and once `put` resolved, the object: the 201
// a camera gets (and the row written after it) relies on that. A failed put
// (a full disk) leaves no temporary file behind. Multipart uploads collect
// their parts in a temporary folder and become visible only at `complete`.
import { mkdir, open, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { randomBytes } from "node:crypto";
import type { Readable } from "node:stream";
import { fsyncPath } from "./fsync.js";
import { NotFoundError, checkKey, readAll, checkPartNumber, checkParts, type MultipartUpload, type ObjectInfo, type ObjectStore, type Range } from "./object-store.js";

export class DiskStore implements ObjectStore {
	readonly kind = "disk";
	readonly #root: string;
	readonly #temp: string;
	readonly #durable: boolean;

	/** `durable` false skips the fsyncs (benchmarks measuring their cost; never for data that matters). */
	constructor(root: string, { durable = true }: { durable?: boolean } = {}) {
		this.#root = join(root, "objects");
		this.#temp = join(root, "tmp");
		this.#durable = durable;
	}

	async init(): Promise<void> {
		await mkdir(this.#root, { recursive: true });
		// Left-overs of a crash: never visible, safe to drop.
		await rm(this.#temp, { recursive: true, force: true });
		await mkdir(this.#temp, { recursive: true });
	}

	#path(key: string) {
		return join(this.#root, ...checkKey(key).split("/"));
	}

	/** Flushes a folder's entries (a rename or a new name in it) to the disk; concurrent puts share one fsync. */
	async #syncFolder(folder: string) {
		if (this.#durable) await fsyncPath(folder);
	}

	async #publish(temp: string, key: string) {
		const path = this.#path(key);
		const folder = dirname(path);
		// mkdir answers the first folder it made: each new folder's name is an entry in its parent.
		const made = await mkdir(folder, { recursive: true });
		await rename(temp, path);
		await this.#syncFolder(folder);
		if (made) for (let parent = folder; parent !== dirname(made); ) await this.#syncFolder(parent = dirname(parent));
	}

	async put(key: string, body: Buffer): Promise<void> {
		const temp = join(this.#temp, randomBytes(8).toString("hex"));
		try {
			const file = await open(temp, "w");
			try {
				await file.writeFile(body);
				if (this.#durable) await file.sync();
			}
			finally {
				await file.close();
			}
			await this.#publish(temp, key);
		}
		catch (error) {
			await rm(temp, { force: true });
			throw error;
		}
	}

	async get(key: string, range?: Range): Promise<Buffer> {
		return readAll(await this.getStream(key, range));
	}

	async getStream(key: string, range?: Range): Promise<Readable> {
		const path = this.#path(key);
		// Open first, so a missing object is a NotFoundError, not a stream error later.
		const handle = await open(path, "r").catch((error) => {
			throw error.code === "ENOENT" ? new NotFoundError(key) : error;
		});
		// The handle's own stream closes the handle once (a numeric fd closed by the stream and
		// again by handle.close() failed reads with EBADF).
		return handle.createReadStream({ autoClose: true, start: range?.start, end: range?.end });
	}

	async head(key: string): Promise<ObjectInfo | undefined> {
		try {
			const info = await stat(this.#path(key));
			return { key, size: info.size, modified: info.mtime };
		}
		catch (error) {
			if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
			throw error;
		}
	}

	async delete(key: string): Promise<void> {
		await rm(this.#path(key), { force: true });
	}

	async *list(prefix: string, startAfter = ""): AsyncIterable<ObjectInfo> {
		const walk = async function* (folder: string, root: string): AsyncIterable<ObjectInfo> {
			let entries;
			try {
				entries = await readdir(folder, { withFileTypes: true });
			}
			catch {
				return;
			}
			// In key order: a folder's keys go on with "/" (so "a-b" comes before "a/x", as on S3).
			const named = entries.map((entry) => ({ entry, key: relative(root, join(folder, entry.name)).split(sep).join("/") + (entry.isDirectory() ? "/" : "") }));
			for (const { entry, key } of named.sort((a, b) => (a.key < b.key ? -1 : 1))) {
				const path = join(folder, entry.name);
				if (entry.isDirectory()) {
					// A folder whose every key sorts before `startAfter` is not walked.
					if (key < startAfter && !startAfter.startsWith(key)) continue;
					yield* walk(path, root);
				}
				else if (key > startAfter) {
					const info = await stat(path).catch(() => undefined);
					if (info) yield { key, size: info.size, modified: info.mtime };
				}
			}
		};
		// Walk only the folder the prefix names (its part up to the last "/").
		const folder = prefix.includes("/") ? prefix.slice(0, prefix.lastIndexOf("/")) : "";
		if (folder) checkKey(folder);
		const start = folder ? join(this.#root, ...folder.split("/")) : this.#root;
		for await (const info of walk(start, this.#root)) if (info.key.startsWith(prefix)) yield info;
	}

	async createMultipart(key: string): Promise<MultipartUpload> {
		checkKey(key);
		const folder = join(this.#temp, `mp-${randomBytes(8).toString("hex")}`);
		await mkdir(folder);
		const sizes = new Map<number, number>();
		return {
			key,
			uploadPart: async (partNumber, body) => {
				checkPartNumber(partNumber);
				await writeFile(join(folder, String(partNumber)), body);
				sizes.set(partNumber, body.length);
			},
			complete: async () => {
				const numbers = checkParts(key, sizes);
				const whole = join(folder, "whole");
				const out = await open(whole, "w");
				try {
					for (const partNumber of numbers) {
						const input = await open(join(folder, String(partNumber)), "r");
						try {
							for await (const chunk of input.createReadStream({ autoClose: false })) await out.write(chunk as Buffer);
						}
						finally {
							await input.close();
						}
					}
					if (this.#durable) await out.sync();
				}
				finally {
					await out.close();
				}
				await this.#publish(whole, key);
				await rm(folder, { recursive: true, force: true });
			},
			abort: async () => {
				await rm(folder, { recursive: true, force: true });
			},
		};
	}

	async presignGet(): Promise<string | undefined> {
		return undefined;
	}

	async close(): Promise<void> {}
}
