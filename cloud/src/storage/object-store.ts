// Where media and pictures live: local disk by default, any S3-compatible
// store at scale. Keys are relative paths of safe characters ([A-Za-z0-9._/-],
// no "..", no leading "/"): callers build them with `objectKey`, never from raw
// request input.
import type { Readable } from "node:stream";

export interface ObjectInfo {
	key: string;
	size: number;
	modified: Date;
}

export interface Range {
	/** First byte, inclusive. */
	start: number;
	/** Last byte, inclusive. */
	end: number;
}

/** A multipart upload: parts are numbered from 1; every part but the last ≥ 5 MiB on S3. */
export interface MultipartUpload {
	readonly key: string;
	uploadPart(partNumber: number, body: Buffer): Promise<void>;
	/** Makes the object visible, whole, at `key`. */
	complete(): Promise<void>;
	/** Nothing becomes visible; parts are discarded. */
	abort(): Promise<void>;
}

export interface ObjectStore {
	readonly kind: "disk" | "s3";
	/** Atomic: readers see the old object or the whole new one, never a part. */
	put(key: string, body: Buffer): Promise<void>;
	/** The bytes, or a range of them; rejects with NotFoundError when absent. */
	get(key: string, range?: Range): Promise<Buffer>;
	getStream(key: string, range?: Range): Promise<Readable>;
	head(key: string): Promise<ObjectInfo | undefined>;
	/** Deleting an absent object is not an error. */
	delete(key: string): Promise<void>;
	list(prefix: string): AsyncIterable<ObjectInfo>;
	createMultipart(key: string): Promise<MultipartUpload>;
	/** A URL a client can GET directly for `lifetimeS` seconds, or undefined (disk). */
	presignGet(key: string, lifetimeS: number): Promise<string | undefined>;
	close(): Promise<void>;
}

export class NotFoundError extends Error {
	override name = "NotFoundError";
	constructor(readonly key: string) {
		super(`no object ${key}`);
	}
}

const safePart = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Joins checked parts into a key; throws on anything that could escape a prefix. */
export function objectKey(...parts: (string | number)[]): string {
	for (const part of parts) {
		const text = String(part);
		if (!safePart.test(text) || text.includes("..")) throw new Error(`unsafe object key part ${JSON.stringify(text)}`);
	}
	return parts.join("/");
}
