/**
 * The camera's device file: who it is, where its cloud is, what each channel captures.
 *
 *   { "id": "cam1", "secret": "<from `npm run cloud -- device add cam1`>",
 *     "cloud": "http://127.0.0.1:8080",            // or https://… with "ca": "<PEM file>" (or the PEM text)
 *     "mqtt": "mqtt://127.0.0.1:8080",             // optional: default = the cloud's address
 *     "channels": [ { "video": "fixtures/media/h264-main-640x480.h264", "codec": "h264",
 *                     "audio": "fixtures/media/aac-lc-16k-mono.aac", "stills": "fixtures/media/stills" } ] ,
 *     "ota": { "keys": { "<keyId>": "04…" }, "deadline": 120, "checks": ["cloud", "capture", "upload"] } }
 *                                                   // optional: updates of the app layer (modules/ota)
 * A channel may add a G.711 track for WebRTC viewers (browsers play G.711, not AAC): "g711": a file
 * of 16-bit PCM at 8 kHz mono (the sample camera's: "fixtures/media/pcm-8k-mono.s16"), and
 * optionally "g711Codec": "pcmu" (the default) or "pcma".
 * A channel a C firmware feeds (libivxs's iv_cs_push_stream, native/capi) names no files:
 *     { "codec": "h264", "firmware": { "audio": true } }
 * "audio": true (or "aac") is ADTS AAC; "pcmu" or "pcma" is G.711 — a board's I2S microphone
 * through its encoder — which WebRTC viewers hear and cloud storage does not keep (AAC only).
 *
 * Pure (parsing and checks only): every problem is a DeviceFileError that names the field, so a
 * newcomer with a typo gets one clear line rather than a camera that quietly does nothing.
 * A URL's host is an IPv4 literal or a DNS name, resolved at each connection (modules/net/connection.ts)
 * by the host's resolver: the system's on Linux and mcsim, lwIP's on a board — from DHCP, or the
 * servers "dns" names (boards only: a Linux host's resolver is the system's). https needs a CA
 * to verify the cloud against — there is no switch to skip verification and no fallback to
 * plaintext: plaintext is only what an `http://` URL asks for (a local test cloud). "ca" names a
 * PEM file, or is the PEM text itself: a provisioned device file carries its CA (a board has no
 * file to name).
 */
import { isChannel, isDeviceId, isSecret, MAX_CHANNELS } from "../protocol/ids.js";
import { ipv4Octets } from "../protocol/candidate-address.js";
import { pattern } from "../protocol/pattern.js";
import type { CameraPins, CaptureOptions } from "capture";
export class DeviceFileError extends Error {
	override name = "DeviceFileError";
	constructor(message: string) {
		super(`device file: ${message}`);
	}
}

export interface Endpoint {
	secure: boolean;
	/** As written in the URL: an IPv4 literal or a DNS name (the TLS server name, resolved at each connection). */
	host: string;
	port: number;
}

/** The largest GOP a channel's ring holds unless the device file says (the embedded default). */
export const DEFAULT_MAX_GOP_BYTES = 512 * 1024;

/** A camera instead of files (capture's options of that name): a V4L2 device path (Linux), or on a
 * board "camera" (its camera module) or "pattern" (a moving test pattern), encoded to H.264 by the
 * board; its stills are JPEGs of the current frame. With the size, the encoder's GOP and bit rate,
 * and the module's pins. */
export type CameraFields = Pick<CaptureOptions, "device" | "width" | "height" | "gop" | "bitrate" | "pins">;

export interface ChannelConfig extends CameraFields {
	channel: number;
	video?: string;
	codec: "h264" | "h265";
	audio?: string;
	/** 16-bit PCM, 8 kHz mono (a file): a G.711 track beside the rest, for WebRTC viewers (browsers
	 * play G.711, not AAC); `g711Codec` its law (default μ-law). Cloud storage keeps AAC only. */
	g711?: string;
	g711Codec?: "pcmu" | "pcma";
	stills?: string;
	fps?: number;
	/** An NVR's channel may be switched off: no capture, no uploads, no snapshots. */
	enabled: boolean;
	/** Fed by a C firmware's iv_cs_push_stream (libivxs) instead of a file or camera; `audio`: the codec of the audio it pushes too. */
	firmware?: { audio?: "aac" | "pcmu" | "pcma" };
}

/** A camera module's pins (capture's CameraPins): each a GPIO number, or -1 for one not wired (pwdn, reset). */
export const PIN_NAMES = ["pwdn", "reset", "xclk", "sda", "scl", "d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7", "vsync", "href", "pclk"] as const;

export interface DeviceConfig {
	id: string;
	secret: string;
	cloud: Endpoint;
	mqtt: Endpoint;
	/** PEM text of the CA the cloud's certificate must chain to (https/mqtts). */
	ca?: string;
	/** The largest expected GOP (bytes): each channel's ring is sized from it. */
	maxGopBytes: number;
	channels: ChannelConfig[];
	/** OTA updates of the app layer: off without keys. */
	ota?: OtaConfig;
	/** DNS servers (IPv4) a board asks instead of those DHCP gave; a Linux host's resolver is the system's. */
	dns?: string[];
}

/** As lwIP's default DNS_MAX_SERVERS (ESP-IDF: CONFIG_LWIP_DNS_MAX_SERVERS). */
export const MAX_DNS_SERVERS = 3;

/** The health checks a trial boot must pass before it is kept (modules/ota/trial.ts). */
export const OTA_CHECKS = Object.freeze(["cloud", "capture", "upload"] as const);
export interface OtaConfig {
	/** The release keys this device trusts (keyId → 65-byte P-256 point, hex: sign-release keygen's .pub.json). */
	keys: Record<string, string>;
	/** Seconds a trial has to pass its checks (the host's watchdog ends it after). */
	deadline: number;
	checks: (typeof OTA_CHECKS)[number][];
}

const LABEL = pattern(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/i);

/** Why `host` is neither an IPv4 literal nor a DNS name (RFC 1123 §2.1: letters, digits and
 * hyphens, labels of 1–63, at most 253 in all), or undefined. An all-numeric name is taken for
 * an address: 10.0.2.256 is a mistake, not a name. */
export function hostProblem(host: string): string | undefined {
	if (ipv4Octets(host)) return undefined;
	if (/^[\d.]+$/.test(host)) return "is not an IPv4 address";
	if (host.length > 253) return "is longer than a DNS name may be (253)";
	if (!host.split(".").every((label) => label.length <= 63 && LABEL.test(label))) return "is not a DNS name (letters, digits and hyphens in labels of 1-63) or an IPv4 address";
	return undefined;
}

/** Parses `scheme://host[:port][/]`; `schemes` maps each allowed scheme to whether it is TLS. */
export function parseEndpoint(field: string, url: unknown, schemes: Record<string, boolean>): Endpoint {
	if (typeof url !== "string") throw new DeviceFileError(`"${field}" must be a URL string`);
	const match = /^([a-z]+):\/\/([^/:?#]+)(?::(\d{1,5}))?\/?$/.exec(url);
	if (!match || !(match[1] in schemes)) throw new DeviceFileError(`"${field}" must look like ${Object.keys(schemes).map((s) => `${s}://host:port`).join(" or ")}, got ${JSON.stringify(url)}`);
	const secure = schemes[match[1]];
	const host = match[2];
	const problem = hostProblem(host);
	if (problem) throw new DeviceFileError(`"${field}": ${host} ${problem}`);
	const port = match[3] === undefined ? (secure ? 443 : 80) : Number(match[3]);
	if (!(port >= 1 && port <= 65535)) throw new DeviceFileError(`"${field}": port ${match[3]} is out of range`);
	return { secure, host, port };
}

/** Checks a device file's JSON text; `readText(path)` reads the CA file a path names. */
export function parseDeviceFile(text: string, readText: (path: string) => string): DeviceConfig {
	let value: unknown;
	try {
		value = JSON.parse(text);
	}
	catch (error) {
		throw new DeviceFileError(`not JSON (${(error as Error).message})`);
	}
	if (!value || typeof value !== "object" || Array.isArray(value)) throw new DeviceFileError("must be a JSON object");
	const v = value as Record<string, unknown>;
	const known = ["id", "secret", "cloud", "mqtt", "ca", "maxGopBytes", "channels", "ota", "dns"];
	for (const name in v) if (known.indexOf(name) < 0) throw new DeviceFileError(`unknown field "${name}" (known: ${known.join(", ")})`);
	if (!isDeviceId(v.id)) throw new DeviceFileError(`"id" must be a device id (lower-case letters, digits, - and _, up to 64), got ${JSON.stringify(v.id)}`);
	if (!isSecret(v.secret)) throw new DeviceFileError(`"secret" must be the device's secret (32 to 256 characters, shown once by \`npm run cloud -- device add ${v.id}\`)`);
	const cloud = parseEndpoint("cloud", v.cloud, { http: false, https: true });
	const mqtt = v.mqtt === undefined
		? { ...cloud }
		: parseEndpoint("mqtt", v.mqtt, { mqtt: false, mqtts: true });
	let ca: string | undefined;
	if (v.ca !== undefined) {
		if (typeof v.ca !== "string" || !v.ca) throw new DeviceFileError(`"ca" must be the path of a PEM file, or its text`);
		const inline = v.ca.trimStart().startsWith("-----BEGIN");
		try {
			ca = inline ? v.ca : readText(v.ca);
		}
		catch (error) {
			throw new DeviceFileError(`"ca": cannot read ${v.ca} (${(error as Error).message})`);
		}
		if (ca.indexOf("-----BEGIN CERTIFICATE-----") < 0) throw new DeviceFileError(`"ca": ${inline ? "the text" : v.ca} holds no PEM certificate`);
	}
	if ((cloud.secure || mqtt.secure) && !ca) throw new DeviceFileError(`"ca" is required with https/mqtts: the cloud's certificate is always verified`);
	const maxGopBytes = v.maxGopBytes ?? DEFAULT_MAX_GOP_BYTES;
	if (typeof maxGopBytes !== "number" || !Number.isInteger(maxGopBytes) || maxGopBytes < 16 * 1024 || maxGopBytes > 64 * 1024 * 1024) throw new DeviceFileError(`"maxGopBytes" must be an integer from 16384 to 67108864`);
	if (!Array.isArray(v.channels) || v.channels.length === 0 || v.channels.length > MAX_CHANNELS) throw new DeviceFileError(`"channels" must be a list of 1 to ${MAX_CHANNELS} channels`);
	const channels = v.channels.map((c: unknown, i: number) => parseChannel(c, i));
	if (v.dns !== undefined && !(Array.isArray(v.dns) && v.dns.length >= 1 && v.dns.length <= MAX_DNS_SERVERS && v.dns.every((server) => typeof server === "string" && ipv4Octets(server))))
		throw new DeviceFileError(`"dns" must be a list of 1 to ${MAX_DNS_SERVERS} IPv4 addresses, got ${JSON.stringify(v.dns)}`);
	return { id: v.id, secret: v.secret, cloud, mqtt, ca, maxGopBytes, channels, ...(v.ota === undefined ? {} : { ota: parseOta(v.ota) }), ...(v.dns === undefined ? {} : { dns: v.dns as string[] }) };
}

function parseOta(value: unknown): OtaConfig {
	if (!value || typeof value !== "object" || Array.isArray(value)) throw new DeviceFileError(`"ota" must be an object`);
	const o = value as Record<string, unknown>;
	for (const name in o) if (["keys", "deadline", "checks"].indexOf(name) < 0) throw new DeviceFileError(`ota: unknown field "${name}" (known: keys, deadline, checks)`);
	const keys = o.keys;
	if (!keys || typeof keys !== "object" || Array.isArray(keys) || !Object.keys(keys).length
		|| !Object.entries(keys).every(([id, key]) => /^[0-9a-f]{16}$/.test(id) && typeof key === "string" && /^04[0-9a-f]{128}$/.test(key)))
		throw new DeviceFileError(`ota.keys must map key ids (16 hex) to public keys (130 hex, from \`npm run sign-release -- keygen\`)`);
	const deadline = o.deadline ?? 120;
	if (typeof deadline !== "number" || !Number.isInteger(deadline) || deadline < 5 || deadline > 3600) throw new DeviceFileError(`ota.deadline must be whole seconds from 5 to 3600`);
	const checks = o.checks ?? [...OTA_CHECKS];
	if (!Array.isArray(checks) || !checks.every((c) => (OTA_CHECKS as readonly unknown[]).includes(c))) throw new DeviceFileError(`ota.checks must list some of ${OTA_CHECKS.join(", ")}`);
	return { keys: keys as Record<string, string>, deadline, checks };
}

function parseChannel(value: unknown, index: number): ChannelConfig {
	const where = `channels[${index}]`;
	if (!value || typeof value !== "object" || Array.isArray(value)) throw new DeviceFileError(`${where} must be an object`);
	const c = value as Record<string, unknown>;
	const known = ["channel", "video", "codec", "audio", "g711", "g711Codec", "stills", "fps", "enabled", "firmware", "device", "width", "height", "gop", "bitrate", "pins"];
	for (const name in c) if (known.indexOf(name) < 0) throw new DeviceFileError(`${where}: unknown field "${name}" (known: ${known.join(", ")})`);
	const channel = c.channel ?? index;
	if (!isChannel(channel)) throw new DeviceFileError(`${where}.channel must be an integer in 0..${MAX_CHANNELS - 1}`);
	const codec = c.codec ?? "h264";
	if (codec !== "h264" && codec !== "h265") throw new DeviceFileError(`${where}.codec must be "h264" or "h265"`);
	for (const name of ["video", "audio", "g711", "stills"]) {
		if (c[name] !== undefined && (typeof c[name] !== "string" || !c[name])) throw new DeviceFileError(`${where}.${name} must be a file path`);
	}
	const firmware = c.firmware === undefined ? undefined : parseFirmware(c.firmware, c, where);
	const camera = parseCamera(c, where);
	if (camera.device && firmware) throw new DeviceFileError(`${where}: "device" does not go with "firmware"`);
	if (!firmware && !camera.device && c.video === undefined && c.audio === undefined) throw new DeviceFileError(`${where} has neither "video" nor "audio" (nor "device", nor "firmware")`);
	if (c.fps !== undefined && !(typeof c.fps === "number" && c.fps > 0 && c.fps <= 240)) throw new DeviceFileError(`${where}.fps must be a number in (0, 240]`);
	if (c.g711Codec !== undefined && c.g711Codec !== "pcmu" && c.g711Codec !== "pcma") throw new DeviceFileError(`${where}.g711Codec must be "pcmu" or "pcma"`);
	if (c.g711Codec !== undefined && c.g711 === undefined) throw new DeviceFileError(`${where}.g711Codec needs g711 (a PCM file)`);
	if (c.enabled !== undefined && typeof c.enabled !== "boolean") throw new DeviceFileError(`${where}.enabled must be true or false`);
	return {
		channel, codec, video: c.video as string | undefined, audio: c.audio as string | undefined, stills: c.stills as string | undefined,
		...(c.g711 !== undefined ? { g711: c.g711 as string, g711Codec: (c.g711Codec ?? "pcmu") as "pcmu" | "pcma" } : {}),
		fps: c.fps as number | undefined, enabled: c.enabled !== false, ...(firmware ? { firmware } : {}), ...camera,
	};
}

/** A camera channel's fields ("device" and what goes with it), checked; {} for a channel of files. */
function parseCamera(c: Record<string, unknown>, where: string): CameraFields {
	const extra = ["width", "height", "gop", "bitrate", "pins"].filter((name) => c[name] !== undefined);
	if (c.device === undefined) {
		if (extra.length) throw new DeviceFileError(`${where}: "${extra[0]}" needs "device" (a camera)`);
		return {};
	}
	if (typeof c.device !== "string" || !c.device) throw new DeviceFileError(`${where}.device must be a camera: a V4L2 device path, or on a board "camera" or "pattern"`);
	for (const name of ["video", "audio", "g711", "stills"]) {
		if (c[name] !== undefined) throw new DeviceFileError(`${where}: "${name}" does not go with "device" (the camera gives the frames and the stills)`);
	}
	if (c.codec !== undefined && c.codec !== "h264") throw new DeviceFileError(`${where}: a camera channel is H.264`);
	const int = (name: string, min: number, max: number): number | undefined => {
		const v = c[name];
		if (v === undefined) return undefined;
		if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) throw new DeviceFileError(`${where}.${name} must be an integer in ${min}..${max}`);
		return v;
	};
	const out: CameraFields = {
		device: c.device, width: int("width", 16, 4096), height: int("height", 16, 4096), gop: int("gop", 1, 255), bitrate: int("bitrate", 10_000, 20_000_000),
	};
	if (c.pins !== undefined) out.pins = parsePins(c.pins, `${where}.pins`);
	for (const name of Object.keys(out) as (keyof typeof out)[]) if (out[name] === undefined) delete out[name];
	return out;
}

/** A camera module's pins: all of PIN_NAMES, each a GPIO 0..48 (-1: not wired, pwdn and reset only), none twice. */
function parsePins(value: unknown, where: string): CameraPins {
	if (!value || typeof value !== "object" || Array.isArray(value)) throw new DeviceFileError(`${where} must be an object of GPIO numbers (${PIN_NAMES.join(", ")})`);
	const p = value as Record<string, unknown>;
	for (const name in p) if ((PIN_NAMES as readonly string[]).indexOf(name) < 0) throw new DeviceFileError(`${where}: unknown pin "${name}" (known: ${PIN_NAMES.join(", ")})`);
	const seen = new Map<number, string>();
	for (const name of PIN_NAMES) {
		const v = p[name];
		const optional = name === "pwdn" || name === "reset";
		if (typeof v !== "number" || !Number.isInteger(v) || v < (optional ? -1 : 0) || v > 48) throw new DeviceFileError(`${where}.${name} must be a GPIO number 0..48${optional ? " or -1 (not wired)" : ""}`);
		if (v >= 0 && seen.has(v)) throw new DeviceFileError(`${where}: GPIO ${v} is both ${seen.get(v)} and ${name}`);
		seen.set(v, name);
	}
	return p as unknown as CameraPins;
}

/** Whether a channel carries video / audio: its files, or what its C firmware pushes. */
export const hasVideo = (c: ChannelConfig): boolean => !!c.video || !!c.device || !!c.firmware;
export const hasAudio = (c: ChannelConfig): boolean => !!c.audio || c.firmware?.audio === "aac";
/** A channel's G.711 track (its law), which WebRTC viewers hear: its PCM file's, or what its C firmware pushes. */
export const g711Of = (c: ChannelConfig): "pcmu" | "pcma" | undefined =>
	c.g711 ? c.g711Codec : c.firmware?.audio === "pcmu" || c.firmware?.audio === "pcma" ? c.firmware.audio : undefined;

/** `"firmware": { "audio": true }`: the C firmware pushes this channel's frames (its video, and AAC — or G.711 with "pcmu", "pcma" — with `audio`). */
function parseFirmware(value: unknown, c: Record<string, unknown>, where: string): { audio?: "aac" | "pcmu" | "pcma" } {
	if (!value || typeof value !== "object" || Array.isArray(value)) throw new DeviceFileError(`${where}.firmware must be an object like { "audio": true }`);
	const f = value as Record<string, unknown>;
	for (const name in f) if (name !== "audio") throw new DeviceFileError(`${where}.firmware: unknown field "${name}" (known: audio)`);
	if (f.audio !== undefined && typeof f.audio !== "boolean" && f.audio !== "aac" && f.audio !== "pcmu" && f.audio !== "pcma")
		throw new DeviceFileError(`${where}.firmware.audio must be true, false, "aac", "pcmu" or "pcma"`);
	for (const name of ["video", "audio", "stills", "fps"]) {
		if (c[name] !== undefined) throw new DeviceFileError(`${where}: "${name}" does not go with "firmware" (the firmware pushes the frames)`);
	}
	const audio = f.audio === true ? "aac" : f.audio || undefined;
	return audio ? { audio: audio as "aac" | "pcmu" | "pcma" } : {};
}
