// Objects in any S3-compatible store (AWS S3, MinIO, Ceph RGW, R2, …): what
// several service instances share at scale. S3 already gives what the
// ObjectStore contract asks: a PUT is atomic, and a multipart upload is
// invisible until CompleteMultipartUpload.
import {
	AbortMultipartUploadCommand,
	CompleteMultipartUploadCommand,
	CreateBucketCommand,
	CreateMultipartUploadCommand,
	DeleteObjectCommand,
	GetObjectCommand,
	HeadBucketCommand,
	HeadObjectCommand,
	ListObjectsV2Command,
	PutObjectCommand,
	S3Client,
	S3ServiceException,
	UploadPartCommand,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { Readable } from "node:stream";
import type { StorageConfig } from "../config.js";
import { NotFoundError, checkKey, readAll, checkPartNumber, checkParts, type MultipartUpload, type ObjectInfo, type ObjectStore, type Range } from "./object-store.js";

const statusOf = (error: unknown) => (error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined);

const rangeHeader = (range?: Range) => {
	if (!range) return undefined;
	if (!Number.isInteger(range.start) || !Number.isInteger(range.end) || range.start < 0 || range.end < range.start)
		throw new RangeError(`bad byte range ${range.start}-${range.end}`);
	return `bytes=${range.start}-${range.end}`;
};

export interface S3StoreOptions {
	/** Keys per ListObjectsV2 page (S3's maximum is 1000; tests use a small one to exercise paging). */
	pageSize?: number;
}

export class S3Store implements ObjectStore {
	readonly kind = "s3";
	readonly #client: S3Client;
	readonly #bucket: string;
	readonly #pageSize: number;

	constructor(config: StorageConfig, options: S3StoreOptions = {}) {
		if (!config.bucket || !config.endpoint) throw new Error("S3 storage needs an endpoint and a bucket");
		this.#bucket = config.bucket;
		this.#pageSize = options.pageSize ?? 1000;
		this.#client = new S3Client({
			endpoint: config.endpoint,
			region: config.region ?? "us-east-1",
			forcePathStyle: config.forcePathStyle ?? true,
			// Without explicit keys the SDK's default chain applies (environment, instance role, …).
			credentials: config.accessKeyId && config.secretAccessKey ? { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey } : undefined,
			// Checksums only where S3 requires them: otherwise the SDK sends bodies
			// aws-chunked with trailing checksums, which servers that do not
			// implement that encoding store verbatim, framing and all.
			requestChecksumCalculation: "WHEN_REQUIRED",
			responseChecksumValidation: "WHEN_REQUIRED",
		});
	}

	/** Creates the bucket when it does not exist yet (several instances may race: that is fine). */
	async init(): Promise<void> {
		try {
			await this.#client.send(new HeadBucketCommand({ Bucket: this.#bucket }));
			return;
		}
		catch (error) {
			if (statusOf(error) !== 404) throw error;
		}
		try {
			await this.#client.send(new CreateBucketCommand({ Bucket: this.#bucket }));
		}
		catch (error) {
			const name = (error as Error).name;
			if (name !== "BucketAlreadyOwnedByYou" && name !== "BucketAlreadyExists") throw error;
		}
	}

	async put(key: string, body: Buffer): Promise<void> {
		await this.#client.send(new PutObjectCommand({ Bucket: this.#bucket, Key: checkKey(key), Body: body, ContentLength: body.length }));
	}

	async get(key: string, range?: Range): Promise<Buffer> {
		return readAll(await this.getStream(key, range));
	}

	async getStream(key: string, range?: Range): Promise<Readable> {
		try {
			const answer = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: checkKey(key), Range: rangeHeader(range) }));
			// In Node the SDK's body is the HTTP response stream itself.
			return answer.Body as Readable;
		}
		catch (error) {
			if (statusOf(error) === 404) throw new NotFoundError(key);
			throw error;
		}
	}

	async head(key: string): Promise<ObjectInfo | undefined> {
		try {
			const answer = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: checkKey(key) }));
			return { key, size: answer.ContentLength ?? 0, modified: answer.LastModified ?? new Date(0) };
		}
		catch (error) {
			if (statusOf(error) === 404) return undefined;
			throw error;
		}
	}

	async delete(key: string): Promise<void> {
		await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: checkKey(key) }));
	}

	async *list(prefix: string, startAfter?: string): AsyncIterable<ObjectInfo> {
		if (prefix) checkKey(prefix.endsWith("/") ? prefix.slice(0, -1) : prefix);
		let token: string | undefined;
		do {
			const page = await this.#client.send(new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: prefix || undefined, StartAfter: token ? undefined : startAfter || undefined, ContinuationToken: token, MaxKeys: this.#pageSize }));
			for (const item of page.Contents ?? []) if (item.Key) yield { key: item.Key, size: item.Size ?? 0, modified: item.LastModified ?? new Date(0) };
			token = page.IsTruncated ? page.NextContinuationToken : undefined;
		} while (token);
	}

	async createMultipart(key: string): Promise<MultipartUpload> {
		const created = await this.#client.send(new CreateMultipartUploadCommand({ Bucket: this.#bucket, Key: checkKey(key) }));
		const uploadId = created.UploadId;
		if (!uploadId) throw new Error(`S3 gave no upload id for ${key}`);
		const sizes = new Map<number, number>();
		const etags = new Map<number, string>();
		return {
			key,
			uploadPart: async (partNumber, body) => {
				checkPartNumber(partNumber);
				const answer = await this.#client.send(new UploadPartCommand({ Bucket: this.#bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: body, ContentLength: body.length }));
				if (!answer.ETag) throw new Error(`S3 gave no ETag for part ${partNumber} of ${key}`);
				sizes.set(partNumber, body.length);
				etags.set(partNumber, answer.ETag);
			},
			complete: async () => {
				const numbers = checkParts(key, sizes);
				await this.#client.send(new CompleteMultipartUploadCommand({
					Bucket: this.#bucket, Key: key, UploadId: uploadId,
					MultipartUpload: { Parts: numbers.map((PartNumber) => ({ PartNumber, ETag: etags.get(PartNumber) })) },
				}));
			},
			abort: async () => {
				try {
					await this.#client.send(new AbortMultipartUploadCommand({ Bucket: this.#bucket, Key: key, UploadId: uploadId }));
				}
				catch (error) {
					// The parts of an upload never completed are invisible either way; a
					// server without AbortMultipartUpload (s3rver answers 405) keeps them
					// until the bucket's AbortIncompleteMultipartUpload lifecycle rule.
					const status = statusOf(error);
					if (status !== 404 && status !== 405 && status !== 501) throw error;
				}
			},
		};
	}

	async presignGet(key: string, lifetimeS: number): Promise<string> {
		return getSignedUrl(this.#client, new GetObjectCommand({ Bucket: this.#bucket, Key: checkKey(key) }), { expiresIn: lifetimeS });
	}

	async close(): Promise<void> {
		this.#client.destroy();
	}
}
