/*
 * The app's platform layer: everything the camera app needs from the machine
 * it runs on, beyond the ECMA-419 and Moddable modules both hosts provide
 * (timer, embedded:io/socket/tcp). The app imports this and portable modules
 * only, so the same app runs on every host. Two implementations, chosen by
 * the build:
 *   hosts/linux (npm)        modules/app/platform/linux.js (hosts/linux/modules.txt)
 *   Moddable (lin, esp32)    modules/app/platform/moddable.ts (manifest.json)
 */
declare module "ivxs/platform" {
	// ---- files ----
	/** The whole file, or maxBytes of it from offset (default 0). */
	export function readFile(path: string, options?: { maxBytes?: number; offset?: number }): ArrayBuffer;
	export function makeDirectory(path: string): void;
	/** The folder's regular files with their sizes, in any order (the local recording store). */
	export function listDirectory(path: string): { name: string; size: number }[];
	/** Removes a file; a missing one is not an error. */
	export function removeFile(path: string): void;
	/** Renames a file; on Linux durably (the bytes reach the disk before the new name). */
	export function renameFile(from: string, to: string): void;
	/** Creates (truncates) path; write() appends a scatter list. */
	export class FileWriter {
		constructor(path: string);
		readonly written: number;
		write(chunks: (ArrayBuffer | ArrayBufferView)[]): void;
		write(...chunks: (ArrayBuffer | ArrayBufferView)[]): void;
		/** Takes back what was written after `length` (a past `written`): a sink's rollback
		 * of a fragment with a torn ring view (native/ring/README.md "Zero-copy output"). */
		truncate(length: number): void;
		close(): void;
	}

	// ---- persistent storage: Moddable's `preference` (the Linux host has the same module,
	// with the ESP32's limits). The provisioned device file lives here (app/provisioning.ts). ----
	export const Preference: {
		set(domain: string, key: string, value: string | boolean | number | ArrayBuffer): void;
		get(domain: string, key: string): string | boolean | number | ArrayBuffer | undefined;
		delete(domain: string, key: string): void;
		keys(domain: string): string[];
	};

	// ---- crypto (what modules/net/signing.ts's SigningCrypto needs) ----
	export type Bytes = string | ArrayBuffer | ArrayBufferView;
	/** A string (UTF-8), a buffer, or a scatter list of them (hashed view by view, never copied). */
	export type Data = Bytes | readonly Bytes[];
	export class Digest {
		constructor(algorithm?: "SHA256");
		update(data: Data): this;
		/** The digest (32 bytes); the context starts over. */
		digest(): ArrayBuffer;
		close(): void;
	}
	export function sha256(data: Data): ArrayBuffer;
	export function hmacSha256(key: Bytes, data: Data): ArrayBuffer;
	/** HMAC-SHA1 and MD5: only where a protocol fixes them (TURN's long-term credentials, RFC 8489 §9.2). */
	export function hmacSha1(key: Bytes, data: Data): ArrayBuffer;
	export function md5(data: Data): ArrayBuffer;

	// ---- TLS ----
	/** An ECMA-419 TLS client socket (the TCP socket's interface): options as TCP's plus
	 * `host` (the name the certificate must carry) and `secure: { ca }` (PEM text). The server
	 * is always verified. */
	export const TLSSocket: new (options: Record<string, unknown>) => {
		read(count?: number): ArrayBuffer | undefined;
		write(buffer: ArrayBuffer | ArrayBufferView): number;
		close(): void;
	};

	// ---- clocks ----
	/** Wall-clock time, Unix milliseconds (what the cloud's timestamps use). */
	export function now(): number;
	/** Milliseconds from an arbitrary origin that never jumps (durations, timeouts). */
	export function monotonic(): number;

	// ---- process ----
	/** The app's arguments: the command line on Linux, the manifest's config.args on Moddable. */
	export function argv(): string[];
	/** Ends the app: the process on Linux; on Moddable builds (which cannot exit) it stops
	 * where it is and traces the code. */
	export function exit(code?: number): void;
	export interface Memory {
		chunks: number; chunksPeak: number; slots: number; slotsPeak: number;
		/** Garbage collections so far (the Linux host; Moddable builds with instrumentation). */
		collections?: number;
		/** Chunk and slot bytes allocated so far, what was freed included (the Linux host). */
		allocated?: number;
		/** The chunk bytes of `allocated` (the rest is slots; the Linux host). */
		allocatedChunks?: number;
		/** Bytes the host holds for the XS heap, used or not (the Linux host). */
		reserved?: number;
		/** Bytes the C heap holds, every library's allocations included (the Linux host). */
		malloc?: number;
		native: Record<string, { bytes: number; peak: number }>;
	}
	/** XS heap in use and at peak (bytes) and each native module's counter. */
	export function memory(): Memory;
	/** A full garbage collection now (benchmarks: the live heap without garbage). */
	export function collectGarbage(): void;

	// ---- network ----
	/** The device's own IPv4 addresses, loopback last (P2P host candidates). */
	export function localAddresses(): readonly string[];
	/** The DNS servers (1 to 3 IPv4 addresses) names are looked up with in place of DHCP's: true on
	 * a board; false where the resolver is the system's (Linux, mcsim), which this leaves alone. */
	export function useDnsServers(servers: readonly string[]): boolean;
	export const log: {
		error(message: unknown): void; warn(message: unknown): void;
		info(message: unknown): void; debug(message: unknown): void;
	};

	// ---- OTA slots of the app layer (modules/ota; FORMAT.md): files on Linux (ota/file-slots.ts),
	// the mod partitions on ESP32 builds (platform/moddable-ota.ts); undefined on mcsim. ----
	export const ota: import("../ota/slots.js").OtaSlots | undefined;

	// ---- a C firmware driving the app (libivxs: the seed's iv_cs_* API, hosts/linux/capi) ----
	/** The C firmware that started this app, or undefined (the `ivxs` program, Moddable builds). */
	export function firmware(): import("./firmware.js").Firmware | undefined;
}
