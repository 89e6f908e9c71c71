// Picks the object store the configuration names.
import type { Config } from "../config.js";
import type { ObjectStore } from "./object-store.js";
import { DiskStore } from "./disk.js";
import { S3Store } from "./s3.js";

export async function openObjectStore(config: Config): Promise<ObjectStore> {
	const store = config.storage.kind === "s3" ? new S3Store(config.storage) : new DiskStore(config.dataDir, { durable: config.durableWrites });
	await store.init();
	return store;
}
