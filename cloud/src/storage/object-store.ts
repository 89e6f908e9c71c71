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
	/** The objects under `prefix` in key order (after `startAfter`, when given: a walk resumed). */
	list(prefix: string, startAfter?: string): AsyncIterable<ObjectInfo>;
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

/** The whole of a stream, as one buffer. */
export async function readAll(stream: Readable): Promise<Buffer> {
	const chunks: Buffer[] = [];
	for await (const chunk of stream) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks);
}

// A part may start with "-" or "_" (a stream id may: PROTOCOL.md §3) but never
// with "." (no hidden names, no "." or ".." segments).
const safePart = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/** Checks a whole key (the same rule as `objectKey`); every store calls it before touching anything. */
export function checkKey(key: string): string {
	if (typeof key !== "string" || key.length > 1024 || !key.split("/").every((part) => safePart.test(part) && !part.includes("..")))
		throw new Error(`unsafe object key ${JSON.stringify(key)}`);
	return key;
}

/** S3's multipart limits. Both stores enforce them, so what passes on disk also passes on S3. */
export const minPartBytes = 5 * 1024 * 1024;
export const maxParts = 10000;

export function checkPartNumber(partNumber: number): void {
	if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > maxParts) throw new RangeError(`part number ${partNumber} outside 1..${maxParts}`);
}

/** The part numbers in order, after checking S3's rule: every part but the last ≥ 5 MiB. */
export function checkParts(key: string, sizes: Map<number, number>): number[] {
	const numbers = [...sizes.keys()].sort((a, b) => a - b);
	if (!numbers.length) throw new Error(`multipart upload of ${key} has no parts`);
	for (const partNumber of numbers.slice(0, -1)) {
		const size = sizes.get(partNumber)!;
		if (size < minPartBytes) throw new RangeError(`multipart upload of ${key}: part ${partNumber} has ${size} bytes; all but the last need ≥ ${minPartBytes}`);
	}
	return numbers;
}

/** Joins checked parts into a key; throws on anything that could escape a prefix. */
export function objectKey(...parts: (string | number)[]): string {
	for (const part of parts) {
		const text = String(part);
		if (!safePart.test(text) || text.includes("..")) throw new Error(`unsafe object key part ${JSON.stringify(text)}`);
	}
	return parts.join("/");
}
