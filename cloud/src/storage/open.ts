// Picks the object store the configuration names.
import type { Config } from "../config.js";
import type { ObjectStore } from "./object-store.js";
import { DiskStore } from "./disk.js";

export async function openObjectStore(config: Config): Promise<ObjectStore> {
	if (config.storage.kind === "s3") throw new Error("S3 storage is not built yet");
	const store = new DiskStore(config.dataDir);
	await store.init();
	return store;
}
