/*
 * ivxs/platform on Moddable builds (mcsim `lin`, ESP32): the contract of
 * modules/app/platform.d.ts on the SDK's own modules — `file` for files,
 * `preference` for storage, `crypt` and `hmac` for hashing (SHA-256 through
 * `ivxs/sha256`: the S3's engine on boards), the SDK's
 * ECMA-419 TLS socket (its JS TLS over embedded:io/socket/tcp), `time` for
 * the monotonic clock, the manifest's config for arguments, trace() for the
 * log — and the host's memory counters (hosts/moddable/host.js).
 */
import { File, Directory, Iterator } from "file";
import config from "mc/config";
import Time from "time";
import TCP from "embedded:io/socket/tcp";
// mcconfig maps these two to the SDK's .js files, which have no .d.ts beside
// them, so its TypeScript ignores our declarations (typings, hosts/moddable/sdk.d.ts).
// @ts-ignore
import SdkTLSSocket from "embedded:io/socket/tcp/tls";
import { Digest as SdkDigest } from "crypt";
// SHA-256 for what is hashed by the megabyte (upload bodies): the S3's accelerator on boards, the
// SDK's Digest on mcsim (each host's manifest maps it)
import Sha256 from "ivxs/sha256";
// @ts-ignore
import SdkHMAC from "hmac";
import { collectGarbage as hostCollectGarbage, memory as hostMemory } from "ivxs/moddable";
// The board's OTA slots and restart (moddable-ota.ts on ESP32; none on mcsim: moddable-no-ota.ts).
import { boardSlots, restart } from "ivxs/platform-ota";
import Modules from "modules";
import type { Firmware } from "../firmware.js";

// Storage: the SDK's `preference`, loaded at first use, never imported here. This module is
// preloaded, and so would be everything it imports: on `lin` the SDK's preference is JS whose
// class initialiser reads /tmp/modpreferences.json, so preloaded that read ran in the XS linker
// (where File fails: an empty cache baked into the image, "Preference.#cache: not frozen") and
// at run time JSON.stringify refused that preloaded cache ("read only value"): nothing was ever
// saved and the file was truncated. On ESP32 it is native and preloaded by the SDK either way.
type SdkPreference = {
	set(domain: string, key: string, value: string | boolean | number | ArrayBuffer): void;
	get(domain: string, key: string): string | boolean | number | ArrayBuffer | undefined;
	delete(domain: string, key: string): void;
	keys(domain: string): string[];
};
const sdkPreference = () => Modules.importNow("preference") as SdkPreference;
export const Preference: SdkPreference = Object.freeze({
	set: (domain: string, key: string, value: string | boolean | number | ArrayBuffer) => sdkPreference().set(domain, key, value),
	get: (domain: string, key: string) => sdkPreference().get(domain, key),
	delete: (domain: string, key: string) => sdkPreference().delete(domain, key),
	keys: (domain: string) => sdkPreference().keys(domain),
});

type Chunk = ArrayBuffer | ArrayBufferView;

export function readFile(path: string, options: { maxBytes?: number; offset?: number } = {}): ArrayBuffer {
	const maxBytes = options.maxBytes ?? Infinity, offset = options.offset ?? 0;
	if (!(maxBytes >= 0)) throw new RangeError("readFile: invalid maxBytes");
	if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError("readFile: invalid offset");
	const file = new File(path);
	try {
		const from = Math.min(offset, file.length);
		file.position = from;
		const length = Math.min(file.length - from, maxBytes);
		return length > 0 ? file.read(ArrayBuffer, length) : new ArrayBuffer(0);
	}
	finally {
		file.close();
	}
}

export function makeDirectory(path: string): void {
	Directory.create(path);   // one level, an existing directory is fine: as on Linux
}

export function listDirectory(path: string): { name: string; size: number }[] {
	const files: { name: string; size: number }[] = [];
	const iterator = new Iterator(path);
	for (let entry = iterator.next(); entry; entry = iterator.next())
		if (entry.length !== undefined) files.push({ name: entry.name, size: entry.length });
	return files;
}

export function removeFile(path: string): void {
	if (File.exists(path)) File.delete(path);
}

export function renameFile(from: string, to: string): void {
	// (SPIFFS/LittleFS/FAT rename is atomic in name; the SDK's File has no fsync: on a board the
	// bytes are on the card once the writer was closed)
	if (!File.rename(from, to)) throw new Error(`rename ${from}: failed`);
}

export class FileWriter {
	#file: File | undefined;
	#written = 0;
	// The last write, gathered but not yet in the file: truncate() can take it
	// back (Moddable's File cannot shrink a file). Written at the next write or close.
	#pending: ArrayBuffer | undefined;
	constructor(path: string) {
		// Moddable's File opens for writing without truncating: start afresh.
		if (File.exists(path)) File.delete(path);
		this.#file = new File(path, true);
	}
	get written(): number { return this.#written; }
	write(...chunks: (Chunk | Chunk[])[]): void {
		const file = this.#file;
		if (!file) throw new Error("closed");
		const list = (chunks.length === 1 && Array.isArray(chunks[0]) ? chunks[0] : chunks) as Chunk[];
		// File.write takes ArrayBuffers, not views: gather the scatter list
		// into one (a copy the Linux host's writev avoids).
		let total = 0;
		for (const chunk of list) total += chunk.byteLength;
		if (!total) return;
		const gathered = new Uint8Array(total);
		let at = 0;
		for (const chunk of list) {
			gathered.set(ArrayBuffer.isView(chunk) ? new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength) : new Uint8Array(chunk), at);
			at += chunk.byteLength;
		}
		this.#flush();
		this.#pending = gathered.buffer;
		this.#written += total;
	}
	truncate(length: number): void {
		if (!this.#file) throw new Error("closed");
		if (length === this.#written) return;
		const pending = this.#pending;
		if (!pending || length !== this.#written - pending.byteLength) throw new RangeError("truncate: only the last write can be taken back");
		this.#pending = undefined;
		this.#written = length;
	}
	close(): void {
		if (this.#file) this.#flush();
		this.#file?.close();
		this.#file = undefined;
	}
	#flush(): void {
		if (this.#pending) this.#file!.write(this.#pending);
		this.#pending = undefined;
	}
}

/** The manifest's `config.args` (mcsim and boards have no command line). */
export function argv(): string[] {
	const args: unknown = config.args;
	return Array.isArray(args) ? args.map(String) : [];
}

export function memory() {
	return hostMemory();
}

export function collectGarbage(): void {
	hostCollectGarbage();
}

/** Moddable apps cannot end: trace the code, then restart the board (its next boot decides
 * the OTA slot, as the Linux host's supervisor does); mcsim keeps running. */
export function exit(code = 0): void {
	trace(`ivxs: exit ${code}\n`);
	restart?.();
}

export { useServers as useDnsServers } from "embedded:network/dns/resolver";

const NET = "net", IP = "IP", STRING = "string";
let lastIp: unknown, lastAddresses: readonly string[] = Object.freeze([]);
/** The station's IP (the SDK's `net` module, present wherever sockets are; loaded at first use). The
 * P2P move check asks every few seconds while anyone watches: the same address gives the same
 * (frozen) list, and the literals are module constants (each evaluation of one is a new string on XS).
 * The RegExp is made when the address changes, at run time (a preloaded module's own RegExp is
 * matched from flash, which XS mishandles: protocol/pattern.ts; this module is the platform's, named
 * `ivxs/platform` on Moddable, so it reaches no module by a relative path). */
export function localAddresses(): readonly string[] {
	if (!Modules.has(NET)) return lastAddresses;
	const ip = (Modules.importNow(NET) as { get(name: string): unknown }).get(IP);
	if (ip !== lastIp) {
		lastIp = ip;
		lastAddresses = Object.freeze(typeof ip === STRING && /^\d+\.\d+\.\d+\.\d+$/.test(ip as string) ? [ip as string] : []);
	}
	return lastAddresses;
}

export const now = Date.now;
/** No C firmware drives a Moddable build (libivxs is the Linux host's). */
export function firmware(): Firmware | undefined {
	return undefined;
}
export function monotonic(): number {
	return Time.ticks;
}

// ---- crypto: the SDK's crypt Digest and HMAC, in the contract's shape ----
type Bytes = string | ArrayBuffer | ArrayBufferView;
type Data = Bytes | readonly Bytes[];

function feed(target: { write(data: Bytes): void }, data: Data): void {
	if (Array.isArray(data)) {
		for (let i = 0; i < data.length; i++) target.write(data[i]);
	}
	else target.write(data as Bytes);
}
Object.freeze(feed);

export class Digest {
	#digest = new Sha256();
	constructor(algorithm = "SHA256") {
		if (algorithm !== "SHA256") throw new RangeError(`unsupported digest ${algorithm}`);
	}
	update(data: Data): this {
		feed(this.#digest, data);   // strings as UTF-8, buffers and views as they are
		return this;
	}
	digest(): ArrayBuffer {
		return this.#digest.close();   // and starts over
	}
	close(): void {}   // the SDK's context is freed with its object
}
Object.freeze(Digest.prototype);

export function sha256(data: Data): ArrayBuffer {
	return new Digest().update(data).digest();
}

export function hmacSha256(key: Bytes, data: Data): ArrayBuffer {
	return hmacWith("SHA256", key, data);
}

/** TURN's long-term credentials (RFC 8489 §9.2) fix HMAC-SHA1 and MD5. */
export function hmacSha1(key: Bytes, data: Data): ArrayBuffer {
	return hmacWith("SHA1", key, data);
}

export function md5(data: Data): ArrayBuffer {
	const digest = new SdkDigest("MD5");
	feed(digest, data);
	return digest.close();
}

function hmacWith(algorithm: "SHA256" | "SHA1", key: Bytes, data: Data): ArrayBuffer {
	// hmac.js reads its key as bytes (a string would read as no key at all).
	const bytes = typeof key === "string" ? ArrayBuffer.fromString(key)
		: ArrayBuffer.isView(key) ? new Uint8Array(key.buffer, key.byteOffset, key.byteLength).slice().buffer : key;
	const hmac = new SdkHMAC(new SdkDigest(algorithm), bytes);
	if (Array.isArray(data)) hmac.update(...data);
	else hmac.update(data as Bytes);
	return hmac.close();
}

// ---- TLS: the SDK's ECMA-419 TLS socket (examples/io/tcp/tlssocket: its JS TLS 1.2) ----
// Adapted to the contract: it wants a TCP constructor (options.TCP.io), trusts DER
// certificates (secure.certificate) rather than PEM text, and calls its callbacks
// without the ECMA-419 `target` (modules/net/connection.ts shares one set of callbacks).
function pemToDer(pem: string): ArrayBuffer {
	const body = pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, "").replace(/\s+/g, "");
	return (Uint8Array as unknown as { fromBase64(text: string): Uint8Array }).fromBase64(body).buffer as ArrayBuffer;
}

export class TLSSocket {
	#socket: SdkTLSSocket;
	target: unknown;
	constructor(options: Record<string, any>) {
		const secure = options.secure ?? {};
		if (typeof secure.ca !== "string" || !secure.ca) throw new TypeError("TLS needs secure.ca: the CA certificate (PEM) that verifies the server");
		if (typeof options.host !== "string" || !options.host) throw new TypeError("TLS needs host: the name the server's certificate must carry");
		this.target = options.target;
		const { onReadable, onWritable, onError } = options;
		const { ca, ...rest } = secure;
		this.#socket = new SdkTLSSocket({
			...options,
			TCP: { io: TCP },
			secure: { ...rest, certificate: pemToDer(ca) },
			onReadable: onReadable && ((count: number) => onReadable.call(this, count)),
			onWritable: onWritable && ((count: number) => onWritable.call(this, count)),
			onError: onError && ((error?: unknown) => onError.call(this, error ?? new Error("TLS connection failed"))),
		} as any);
	}
	get format(): string { return "buffer"; }
	read(count?: number): ArrayBuffer | undefined {
		return this.#socket.read(count as number) as ArrayBuffer | undefined;
	}
	write(buffer: ArrayBuffer | ArrayBufferView): number {
		return this.#socket.write(buffer as ArrayBufferLike);
	}
	close(): void {
		this.#socket.close();
	}
}
Object.freeze(TLSSocket.prototype);
// As the Linux host's --log-level: the manifest's config.logLevel, default
// "warn". Frozen: the module is preloaded, so what its functions reach must be.
const levels = Object.freeze(["error", "warn", "info", "debug"] as const);
function write(level: number, message: unknown) {
	const shown = levels.indexOf(config.logLevel ?? "warn");
	if (level <= (shown < 0 ? 1 : shown)) trace(`[${levels[level]}] ${String(message)}\n`);
}
Object.freeze(write);
export const log = Object.freeze({
	error(message: unknown) { write(0, message); },
	warn(message: unknown) { write(1, message); },
	info(message: unknown) { write(2, message); },
	debug(message: unknown) { write(3, message); },
});

/** OTA slots (platform.d.ts): the ESP32's two mod partitions (moddable-ota.ts); none on mcsim,
 * which maps only the .xsa on its command line. */
export const ota = boardSlots?.(Object.freeze({   // frozen: this module is preloaded
	preference: Preference,
	sha256: (data: Uint8Array) => sha256(data),
	digest: () => new Digest(),
}));
