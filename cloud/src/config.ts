// The service's configuration: defaults that run with nothing set (the embedded
// mode), overridden by a JSON file (`--config file.json` or IVXS_CLOUD_CONFIG)
// and then by environment variables. Every value is checked here, once, so the
// rest of the service can trust it.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { SIGNATURE_SKEW_S } from "../../modules/protocol/signing.js";

export interface StorageConfig {
	/** "disk" (default: objects under dataDir/objects) or "s3". */
	kind: "disk" | "s3";
	/** S3: endpoint URL (any S3-compatible server), bucket, region, credentials. */
	endpoint?: string;
	bucket?: string;
	region?: string;
	accessKeyId?: string;
	secretAccessKey?: string;
	/** S3: path-style addressing (needed by most self-hosted S3 servers). */
	forcePathStyle?: boolean;
}

export interface Config {
	/** HTTP (and, in embedded mode, MQTT) listen address. */
	host: string;
	port: number;
	/** The address viewers and cameras use to reach the service (for links it hands out). */
	publicUrl?: string;
	/** TLS on the listener when both are given (PEM file paths). */
	tlsCert?: string;
	tlsKey?: string;
	/** Metadata, local objects, the service key: all under this folder. */
	dataDir: string;
	/** SQLite file of the metadata (several instances on one host may share it). */
	metadataFile: string;
	storage: StorageConfig;
	/** "embedded" (aedes on the HTTP port, sniffed) or a broker URL (mqtt://, mqtts://). */
	mqtt: string;
	/** Recording files: minutes per file and the name pattern (`{name}`, `{start}`, `{end}`). */
	fileMinutes: number;
	fileName: string;
	/** Largest request bodies accepted, in bytes. */
	maxSegmentBytes: number;
	maxInitBytes: number;
	maxSnapshotBytes: number;
	/** Device request signatures: accepted clock skew, seconds. */
	signatureSkewS: number;
	/** Playback URLs: lifetime of a signed URL, seconds. */
	urlLifetimeS: number;
	/** Retention: total bytes cap (0 = none) and how long deleted objects stay readable. */
	maxTotalBytes: number;
	deleteGraceS: number;
	/**
	 * Free-space floor of the data volume (disk storage), bytes: below it the
	 * oldest data goes at once, grace shortened (retention/room.ts). -1 (the
	 * default): 5 % of the volume, at most 1 GiB; 0: no floor.
	 */
	minFreeBytes: number;
	/**
	 * An upload is acknowledged only once it would survive a power loss: objects
	 * fsynced with their folder, SQLite commits synchronous=FULL. false only to
	 * measure what that costs (benchmarks), never for data that matters.
	 */
	durableWrites: boolean;
	/** Log level for pino. */
	logLevel: string;
	/** First start with no users: the password of the `admin` it creates (random and printed once if unset). */
	adminPassword?: string;
	/** Graceful shutdown: how long requests in flight (uploads) may take to finish before they are cut, seconds. */
	shutdownGraceS: number;
}

export class ConfigError extends Error {
	override name = "ConfigError";
}

export const defaults: Config = {
	host: "0.0.0.0",
	port: 8080,
	dataDir: "cloud-data",
	metadataFile: "",
	storage: { kind: "disk" },
	mqtt: "embedded",
	fileMinutes: 90,
	fileName: "{name}_{start}_{end}",
	maxSegmentBytes: 32 * 1024 * 1024,
	maxInitBytes: 64 * 1024,
	maxSnapshotBytes: 2 * 1024 * 1024,
	signatureSkewS: SIGNATURE_SKEW_S,
	urlLifetimeS: 3600,
	maxTotalBytes: 0,
	deleteGraceS: 600,
	minFreeBytes: -1,
	durableWrites: true,
	logLevel: "info",
	shutdownGraceS: 10,
};

// Environment variables: IVXS_CLOUD_<KEY in upper snake case>, storage as IVXS_CLOUD_S3_*.
const envKeys: Record<string, keyof Config> = {
	HOST: "host", PORT: "port", PUBLIC_URL: "publicUrl", TLS_CERT: "tlsCert", TLS_KEY: "tlsKey",
	DATA_DIR: "dataDir", METADATA_FILE: "metadataFile", MQTT: "mqtt", FILE_MINUTES: "fileMinutes",
	FILE_NAME: "fileName", MAX_SEGMENT_BYTES: "maxSegmentBytes", MAX_TOTAL_BYTES: "maxTotalBytes",
	DELETE_GRACE_S: "deleteGraceS", MIN_FREE_BYTES: "minFreeBytes", DURABLE_WRITES: "durableWrites", URL_LIFETIME_S: "urlLifetimeS", LOG_LEVEL: "logLevel",
	ADMIN_PASSWORD: "adminPassword", SHUTDOWN_GRACE_S: "shutdownGraceS",
};

export function loadConfig(overrides: Partial<Config> = {}, env: NodeJS.ProcessEnv = process.env, file?: string): Config {
	let fromFile: Partial<Config> = {};
	const path = file ?? env.IVXS_CLOUD_CONFIG;
	if (path) {
		try {
			fromFile = JSON.parse(readFileSync(path, "utf8"));
		}
		catch (error) {
			throw new ConfigError(`cannot read config file ${path}: ${(error as Error).message}`);
		}
		if (!fromFile || typeof fromFile !== "object" || Array.isArray(fromFile)) throw new ConfigError(`config file ${path}: not a JSON object`);
	}
	const fromEnv: Record<string, unknown> = {};
	for (const [name, key] of Object.entries(envKeys)) {
		const value = env[`IVXS_CLOUD_${name}`];
		if (value === undefined || value === "") continue;
		const kind = typeof defaults[key];
		fromEnv[key] = kind === "number" ? Number(value) : kind === "boolean" ? !/^(0|false|no|off)$/i.test(value) : value;
	}
	const s3: Partial<StorageConfig> = {};
	if (env.IVXS_CLOUD_S3_ENDPOINT || env.IVXS_CLOUD_S3_BUCKET) {
		s3.kind = "s3";
		s3.endpoint = env.IVXS_CLOUD_S3_ENDPOINT;
		s3.bucket = env.IVXS_CLOUD_S3_BUCKET;
		s3.region = env.IVXS_CLOUD_S3_REGION;
		s3.accessKeyId = env.IVXS_CLOUD_S3_ACCESS_KEY_ID;
		s3.secretAccessKey = env.IVXS_CLOUD_S3_SECRET_ACCESS_KEY;
		s3.forcePathStyle = env.IVXS_CLOUD_S3_PATH_STYLE !== "0";
	}
	const config: Config = {
		...defaults, ...fromFile, ...fromEnv, ...overrides,
		storage: { ...defaults.storage, ...fromFile.storage, ...s3, ...overrides.storage } as StorageConfig,
	};
	return check(config);
}

function check(config: Config): Config {
	const integer = (key: keyof Config, min: number, max: number) => {
		const value = config[key];
		if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max)
			throw new ConfigError(`${key} must be an integer in [${min}, ${max}], not ${JSON.stringify(value)}`);
	};
	integer("port", 0, 65535);
	integer("fileMinutes", 1, 24 * 60);
	integer("maxSegmentBytes", 1024, 1 << 30);
	integer("maxInitBytes", 1024, 16 << 20);
	integer("maxSnapshotBytes", 1024, 64 << 20);
	integer("signatureSkewS", 1, 86400);
	integer("urlLifetimeS", 10, 7 * 86400);
	integer("maxTotalBytes", 0, Number.MAX_SAFE_INTEGER);
	integer("deleteGraceS", 0, 86400);
	integer("minFreeBytes", -1, Number.MAX_SAFE_INTEGER);
	if (typeof config.durableWrites !== "boolean") throw new ConfigError("durableWrites must be true or false");
	integer("shutdownGraceS", 0, 3600);
	if (config.adminPassword !== undefined && (typeof config.adminPassword !== "string" || config.adminPassword.length < 8))
		throw new ConfigError("adminPassword must be at least 8 characters");
	if (typeof config.dataDir !== "string" || !config.dataDir) throw new ConfigError("dataDir must be a folder path");
	config.dataDir = resolve(config.dataDir);
	config.metadataFile = config.metadataFile ? resolve(config.metadataFile) : resolve(config.dataDir, "metadata.sqlite");
	if (!/\{start\}/.test(config.fileName) || !/\{end\}/.test(config.fileName) || /[/\\]/.test(config.fileName))
		throw new ConfigError("fileName must contain {start} and {end} and no path separator");
	if ((config.tlsCert === undefined) !== (config.tlsKey === undefined)) throw new ConfigError("tlsCert and tlsKey go together");
	if (config.mqtt !== "embedded" && !/^(mqtts?|wss?|tcp):\/\//.test(config.mqtt))
		throw new ConfigError(`mqtt must be "embedded" or a broker URL (mqtt://host:port), not ${JSON.stringify(config.mqtt)}`);
	const storage = config.storage;
	if (storage.kind !== "disk" && storage.kind !== "s3") throw new ConfigError(`storage.kind must be "disk" or "s3"`);
	if (storage.kind === "s3" && (!storage.bucket || !storage.endpoint))
		throw new ConfigError("storage s3 needs endpoint and bucket (IVXS_CLOUD_S3_ENDPOINT, IVXS_CLOUD_S3_BUCKET)");
	return config;
}
