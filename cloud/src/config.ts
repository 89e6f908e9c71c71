// The service's configuration: defaults that run with nothing set (the embedded
// mode), overridden by a JSON file (`--config file.json` or IVXS_CLOUD_CONFIG)
// and then by environment variables. Every value is checked here, once, so the
// rest of the service can trust it.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { isIP } from "node:net";
import { SIGNATURE_SKEW_S } from "../../modules/protocol/signing.js";
import { isPostgresUrl } from "./meta/dialect.js";

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
	/** Browser origins besides the service's own (its Host, and publicUrl's) that may send state-changing requests, e.g. a console served elsewhere. */
	allowedOrigins: string[];
	/** TLS on the listener when both are given (PEM file paths). */
	tlsCert?: string;
	tlsKey?: string;
	/** Metadata, local objects, the service key: all under this folder. */
	dataDir: string;
	/** SQLite file of the metadata (several instances on one host may share it); unused with metadataUrl. */
	metadataFile: string;
	/**
	 * postgres://user:password@host:port/database: the metadata in PostgreSQL (instances on
	 * several hosts share it). Empty (the default): SQLite in metadataFile.
	 */
	metadataUrl: string;
	/**
	 * The service key (signed URLs), 32 bytes, made on first use (default <dataDir>/service.key).
	 * Instances that do not share a data folder (several hosts) must be given the same file.
	 */
	serviceKeyFile: string;
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
	/** Largest OTA bundle `release add` / POST /v1/releases accepts (modules/ota/FORMAT.md). */
	maxReleaseBytes: number;
	/**
	 * OTA: the public keys the devices trust (files `npm run sign-release -- keygen` writes,
	 * ota-signing.pub.json). A release is refused at upload unless its signature verifies against
	 * one of them (through the key rotations it carries). Empty: every upload is refused.
	 */
	otaKeys: string[];
	/** OTA: bundles kept besides those a running or paused rollout offers (the newest first); older ones are deleted. */
	keepReleases: number;
	/** Device request signatures: accepted clock skew, seconds. */
	signatureSkewS: number;
	/** Playback URLs: lifetime of a signed URL, seconds. */
	urlLifetimeS: number;
	/** Live on demand: how long a camera keeps streaming after the last viewer's last request, seconds. */
	liveLingerS: number;
	/** Live playlists: how late this instance sees a segment another instance committed — a catalogue read per watched channel this often, seconds (its own commits it sees at once). */
	livePollS: number;
	/** Live FLV: a viewer further behind the newest segment skips ahead; one segment taking this long to drain ends its answer, seconds. */
	flvMaxLagS: number;
	/** P2P: how long a minted ticket admits a viewer (seconds; only as long as starting a session needs), how long the
	 * cloud waits for the camera's answer, how often it ends the sessions of revoked grants (at most the camera's
	 * keep-alive interval, 5 s), and the STUN servers ("IPv4:port") both sides ask for their server-reflexive address. */
	p2pTicketS: number;
	p2pAnswerS: number;
	p2pSweepS: number;
	/** P2P: a viewer's offers for one camera, either wire (each makes the camera gather and check candidates, and a
	 * WebRTC one shake hands): a bucket of p2pOfferBurst refilled one per p2pOfferIntervalS; past it a 429. */
	p2pOfferBurst: number;
	p2pOfferIntervalS: number;
	/** P2P: whether a viewer's loopback (127/8, ::1) and link-local (169.254/16, fe80::/10) candidates go to the
	 * camera (modules/protocol/candidate-address.ts; off: dropped — a one-host test rig or a LAN with no DHCP turns one on). */
	p2pLoopback: boolean;
	p2pLinkLocal: boolean;
	stunServers: string[];
	/** TURN (RFC 8656) servers ("IPv4:port") where a camera allocates its relayed candidate, the secret shared with
	 * them (coturn's static-auth-secret: the TURN REST API scheme; both needed for TURN), and how long the
	 * credentials the cloud mints per offer last (the camera refreshes its allocation with them). */
	turnServers: string[];
	turnSecret?: string;
	turnCredentialS: number;
	/** Retention: total bytes cap (0 = none) and how long deleted objects stay readable. */
	maxTotalBytes: number;
	deleteGraceS: number;
	/**
	 * Objects no row owns (a crash between an object's put and its row's commit) are deleted once
	 * this old (retention/orphans.ts): far longer than any put → commit, so an upload in flight is safe.
	 */
	orphanGraceS: number;
	/** Objects the orphan sweep looks at per pass (one a minute, on the upkeep lease's holder): its bound on work. */
	orphanSweepObjects: number;
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
	/**
	 * Addresses and CIDR ranges of the reverse proxies in front of the service: from them (only),
	 * X-Forwarded-For names the client (net/client-address.ts), and they are not capped per address.
	 */
	trustedProxies: string[];
	/** Open connections: in all, and from one address (IPv6: one /64). New ones over a cap are closed at once. */
	maxConnections: number;
	maxConnectionsPerAddress: number;
	/** A new connection's first byte (after the TLS handshake) must come within this many seconds. */
	firstByteTimeoutS: number;
	/** An HTTP request head must be whole this many seconds after its first byte (MQTT: the CONNECT). */
	headTimeoutS: number;
	/**
	 * While the service waits on a peer (a request body, or a response the peer reads), at least
	 * minBytesPerS × rateWindowS bytes must move in every window of rateWindowS seconds.
	 */
	minBytesPerS: number;
	rateWindowS: number;
	/** Embedded broker: largest MQTT packet (remaining length) before sign-in (the CONNECT) and after. */
	mqttMaxConnectBytes: number;
	mqttMaxPacketBytes: number;
	/** Sign-in (POST /v1/session) per client address: a bucket of signInBurst attempts refilled at signInPerMinute. */
	signInBurst: number;
	signInPerMinute: number;
	/** Password checks (scrypt, on the thread pool disk I/O shares) running at once. */
	passwordCheckConcurrency: number;
}

const isAddressOrRange = (entry: unknown) => {
	if (typeof entry !== "string") return false;
	const [address, bits, extra] = entry.split("/");
	const family = isIP(address);
	return family !== 0 && extra === undefined && (bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128)));
};

export class ConfigError extends Error {
	override name = "ConfigError";
}

export const defaults: Config = {
	host: "0.0.0.0",
	port: 8080,
	dataDir: "cloud-data",
	metadataFile: "",
	metadataUrl: "",
	serviceKeyFile: "",
	allowedOrigins: [],
	storage: { kind: "disk" },
	mqtt: "embedded",
	fileMinutes: 90,
	fileName: "{name}_{start}_{end}",
	maxSegmentBytes: 32 * 1024 * 1024,
	maxInitBytes: 64 * 1024,
	maxSnapshotBytes: 2 * 1024 * 1024,
	maxReleaseBytes: 64 * 1024 * 1024,
	otaKeys: [],
	// The current release and a few to roll back to.
	keepReleases: 5,
	signatureSkewS: SIGNATURE_SKEW_S,
	urlLifetimeS: 3600,
	// A viewer that reloads a tab or switches cameras and back within 30 s finds live still flowing.
	liveLingerS: 30,
	// Blocking reloads of viewers on another instance than the camera's upload see its segment within 150 ms.
	livePollS: 0.15,
	// A live player holds 1–3 s; 8 s is that plus a segment of a long GOP (HLS holds one target
	// duration, ~4 s), and under the 12-s live window, so the segment skipped to is still in it.
	flvMaxLagS: 8,
	p2pTicketS: 30,
	p2pAnswerS: 5,
	p2pSweepS: 2,
	p2pOfferBurst: 10,
	p2pOfferIntervalS: 3,
	p2pLoopback: false,
	p2pLinkLocal: false,
	stunServers: [],
	turnServers: [],
	turnCredentialS: 86400,
	maxTotalBytes: 0,
	deleteGraceS: 600,
	orphanGraceS: 3600,
	// About one indexed lookup each: 10,000 a minute cover a store of 3 million objects (1,000
	// cameras' 90 minutes of segments still to assemble, and a week of files) in 5 hours.
	orphanSweepObjects: 10_000,
	minFreeBytes: -1,
	durableWrites: true,
	logLevel: "info",
	shutdownGraceS: 10,
	trustedProxies: [],
	// A household or an office NAT holds a few connections per camera (MQTT, uploads) and about six per
	// browser; 64 from one address is generous for them and makes one attacking address hold 1/64 of the service.
	maxConnections: 4096,
	maxConnectionsPerAddress: 64,
	// Every client speaks first (TLS ClientHello, an HTTP method, an MQTT CONNECT) and a request
	// head is under 16 KiB: 10 and 20 s leave room for a lossy cellular link (several RTTs of a
	// second or more, TCP retransmissions) and still cut a silent socket quickly.
	firstByteTimeoutS: 10,
	headTimeoutS: 20,
	// 4 KiB/s (32 kbit/s) averaged over 30 s: a camera on the slowest real uplink (GPRS/EDGE-class
	// 100+ kbit/s, or a congested 1 Mbit/s DSL upstream shared with video) is well above it, and a
	// 30-s window rides out a stall of 25 s; a 32 MiB segment at the floor still completes (in 2 h 16 min).
	// A peer dripping bytes must send 120 KiB per 30 s to keep each socket.
	minBytesPerS: 4096,
	rateWindowS: 30,
	// A CONNECT is < 512 bytes (ids ≤ 64, password ≤ 150, the will); a status is ≤ 16 KiB (PROTOCOL §5).
	mqttMaxConnectBytes: 2048,
	mqttMaxPacketBytes: 32 * 1024,
	// scrypt costs ~50 ms of a core: 30 a minute is 2.5 % of a core per address, 10 in a row for typos.
	signInBurst: 10,
	signInPerMinute: 30,
	// libuv has 4 threads by default; one for scrypt leaves three for file reads and writes.
	passwordCheckConcurrency: 1,
};

// Environment variables: IVXS_CLOUD_<KEY in upper snake case>, storage as IVXS_CLOUD_S3_*.
const envKeys: Record<string, keyof Config> = {
	HOST: "host", PORT: "port", PUBLIC_URL: "publicUrl", TLS_CERT: "tlsCert", TLS_KEY: "tlsKey",
	DATA_DIR: "dataDir", METADATA_FILE: "metadataFile", METADATA_URL: "metadataUrl", SERVICE_KEY_FILE: "serviceKeyFile", MQTT: "mqtt", FILE_MINUTES: "fileMinutes",
	FILE_NAME: "fileName", MAX_SEGMENT_BYTES: "maxSegmentBytes", MAX_RELEASE_BYTES: "maxReleaseBytes", OTA_KEYS: "otaKeys", KEEP_RELEASES: "keepReleases", MAX_TOTAL_BYTES: "maxTotalBytes",
	DELETE_GRACE_S: "deleteGraceS", ORPHAN_GRACE_S: "orphanGraceS", ORPHAN_SWEEP_OBJECTS: "orphanSweepObjects", MIN_FREE_BYTES: "minFreeBytes", DURABLE_WRITES: "durableWrites", URL_LIFETIME_S: "urlLifetimeS", LIVE_LINGER_S: "liveLingerS", LIVE_POLL_S: "livePollS", FLV_MAX_LAG_S: "flvMaxLagS", P2P_TICKET_S: "p2pTicketS", P2P_ANSWER_S: "p2pAnswerS", P2P_SWEEP_S: "p2pSweepS", P2P_OFFER_BURST: "p2pOfferBurst", P2P_OFFER_INTERVAL_S: "p2pOfferIntervalS", P2P_LOOPBACK: "p2pLoopback", P2P_LINK_LOCAL: "p2pLinkLocal", STUN_SERVERS: "stunServers", TURN_SERVERS: "turnServers", TURN_SECRET: "turnSecret", TURN_CREDENTIAL_S: "turnCredentialS", LOG_LEVEL: "logLevel",
	ADMIN_PASSWORD: "adminPassword", SHUTDOWN_GRACE_S: "shutdownGraceS", TRUSTED_PROXIES: "trustedProxies",
	MAX_CONNECTIONS: "maxConnections", MAX_CONNECTIONS_PER_ADDRESS: "maxConnectionsPerAddress",
	FIRST_BYTE_TIMEOUT_S: "firstByteTimeoutS", HEAD_TIMEOUT_S: "headTimeoutS", MIN_BYTES_PER_S: "minBytesPerS",
	RATE_WINDOW_S: "rateWindowS", MQTT_MAX_CONNECT_BYTES: "mqttMaxConnectBytes", MQTT_MAX_PACKET_BYTES: "mqttMaxPacketBytes",
	SIGN_IN_BURST: "signInBurst", SIGN_IN_PER_MINUTE: "signInPerMinute", PASSWORD_CHECK_CONCURRENCY: "passwordCheckConcurrency",
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
		const kind = defaults[key];
		fromEnv[key] = typeof kind === "number" ? Number(value) : typeof kind === "boolean" ? !/^(0|false|no|off)$/i.test(value)
			: Array.isArray(kind) ? value.split(",").map((v) => v.trim()).filter(Boolean) : value;
	}
	// A list: comma-separated.
	if (env.IVXS_CLOUD_ALLOWED_ORIGINS) fromEnv.allowedOrigins = env.IVXS_CLOUD_ALLOWED_ORIGINS.split(",").map((origin) => origin.trim()).filter(Boolean);
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
	integer("maxReleaseBytes", 1024, 1 << 30);
	integer("keepReleases", 1, 10_000);
	if (!Array.isArray(config.otaKeys) || !config.otaKeys.every((file) => typeof file === "string" && file))
		throw new ConfigError(`otaKeys must be a list of public key files (ota-signing.pub.json), not ${JSON.stringify(config.otaKeys)}`);
	config.otaKeys = config.otaKeys.map((file) => resolve(file));
	integer("signatureSkewS", 1, 86400);
	integer("urlLifetimeS", 10, 7 * 86400);
	integer("maxTotalBytes", 0, Number.MAX_SAFE_INTEGER);
	integer("deleteGraceS", 0, 86400);
	integer("orphanGraceS", 1, 30 * 86400);
	integer("orphanSweepObjects", 1, 1_000_000);
	integer("minFreeBytes", -1, Number.MAX_SAFE_INTEGER);
	for (const key of ["durableWrites", "p2pLoopback", "p2pLinkLocal"] as const)
		if (typeof config[key] !== "boolean") throw new ConfigError(`${key} must be true or false`);
	integer("shutdownGraceS", 0, 3600);
	integer("maxConnections", 1, 1_000_000);
	integer("maxConnectionsPerAddress", 1, 1_000_000);
	// Fractions allowed: tests run the timers in a fraction of a second.
	const seconds = (key: keyof Config, max: number) => {
		const value = config[key];
		if (typeof value !== "number" || !(value > 0) || value > max) throw new ConfigError(`${key} must be a number of seconds in (0, ${max}], not ${JSON.stringify(value)}`);
	};
	seconds("firstByteTimeoutS", 3600);
	seconds("headTimeoutS", 3600);
	seconds("rateWindowS", 3600);
	seconds("liveLingerS", 3600);
	seconds("livePollS", 60);
	seconds("flvMaxLagS", 600);
	seconds("p2pTicketS", 600);
	seconds("p2pAnswerS", 60);
	seconds("p2pSweepS", 60);
	integer("p2pOfferBurst", 1, 1_000_000);
	seconds("p2pOfferIntervalS", 3600);
	for (const key of ["stunServers", "turnServers"] as const)
		if (!Array.isArray(config[key]) || !config[key].every((server) => typeof server === "string" && /^\d{1,3}(\.\d{1,3}){3}:\d{1,5}$/.test(server)))
			throw new ConfigError(`${key} must be a list of "IPv4:port", not ${JSON.stringify(config[key])}`);
	if (config.turnServers.length && (typeof config.turnSecret !== "string" || config.turnSecret.length < 16))
		throw new ConfigError("turnServers need turnSecret: the secret shared with the TURN servers (coturn's static-auth-secret), at least 16 characters");
	integer("turnCredentialS", 60, 30 * 86400);
	integer("minBytesPerS", 1, 1 << 30);
	integer("mqttMaxConnectBytes", 512, 1 << 20);
	integer("mqttMaxPacketBytes", 1024, 256 << 20);
	integer("signInBurst", 1, 1_000_000);
	integer("signInPerMinute", 1, 1_000_000);
	integer("passwordCheckConcurrency", 1, 64);
	if (!Array.isArray(config.trustedProxies) || !config.trustedProxies.every(isAddressOrRange))
		throw new ConfigError(`trustedProxies must be a list of IP addresses or CIDR ranges (e.g. ["10.0.0.0/8", "::1"]), not ${JSON.stringify(config.trustedProxies)}`);
	if (config.adminPassword !== undefined && (typeof config.adminPassword !== "string" || config.adminPassword.length < 8))
		throw new ConfigError("adminPassword must be at least 8 characters");
	if (typeof config.dataDir !== "string" || !config.dataDir) throw new ConfigError("dataDir must be a folder path");
	config.dataDir = resolve(config.dataDir);
	config.metadataFile = config.metadataFile ? resolve(config.metadataFile) : resolve(config.dataDir, "metadata.sqlite");
	if (typeof config.metadataUrl !== "string" || (config.metadataUrl && !isPostgresUrl(config.metadataUrl)))
		throw new ConfigError("metadataUrl must be a postgres://user:password@host:port/database URL, or empty for SQLite in metadataFile");
	config.serviceKeyFile = config.serviceKeyFile ? resolve(config.serviceKeyFile) : resolve(config.dataDir, "service.key");
	if (!/\{start\}/.test(config.fileName) || !/\{end\}/.test(config.fileName) || /[/\\]/.test(config.fileName))
		throw new ConfigError("fileName must contain {start} and {end} and no path separator");
	if (config.publicUrl !== undefined && !isOrigin(originOf(config.publicUrl)))
		throw new ConfigError(`publicUrl must be an http(s) URL, not ${JSON.stringify(config.publicUrl)}`);
	if (!Array.isArray(config.allowedOrigins) || !config.allowedOrigins.every(isOrigin))
		throw new ConfigError("allowedOrigins must be a list of origins (scheme://host[:port], no path), e.g. https://console.example.com");
	if ((config.tlsCert === undefined) !== (config.tlsKey === undefined)) throw new ConfigError("tlsCert and tlsKey go together");
	if (config.mqtt !== "embedded" && !/^(mqtts?|wss?|tcp):\/\//.test(config.mqtt))
		throw new ConfigError(`mqtt must be "embedded" or a broker URL (mqtt://host:port), not ${JSON.stringify(config.mqtt)}`);
	const storage = config.storage;
	if (storage.kind !== "disk" && storage.kind !== "s3") throw new ConfigError(`storage.kind must be "disk" or "s3"`);
	if (storage.kind === "s3" && (!storage.bucket || !storage.endpoint))
		throw new ConfigError("storage s3 needs endpoint and bucket (IVXS_CLOUD_S3_ENDPOINT, IVXS_CLOUD_S3_BUCKET)");
	return config;
}

/** The browser origins that may send state-changing requests besides the Host's: allowedOrigins and publicUrl's (a proxy may rewrite Host). */
export const trustedOrigins = (config: Config): string[] => [...config.allowedOrigins, ...(config.publicUrl ? [new URL(config.publicUrl).origin] : [])];

function originOf(url: unknown): string | undefined {
	try {
		return new URL(String(url)).origin;
	}
	catch {
		return undefined;
	}
}

function isOrigin(value: unknown): boolean {
	try {
		return typeof value === "string" && /^https?:$/.test(new URL(value).protocol) && new URL(value).origin === value;
	}
	catch {
		return false;
	}
}
