declare module "ivxs/host" {
	export interface XsMemory {
		chunks: number; chunksPeak: number; slots: number; slotsPeak: number;
		reserved: number; reservedPeak: number;
		/** Bytes the preloaded, shared modules take (a board's flash; 0 without preloading). */
		preloaded: number;
		/** Garbage collections of the app's machine so far. */
		collections: number;
		/** Chunk and slot bytes the app's machine has allocated so far (what it freed included). */
		allocated: number;
		/** The chunk bytes of `allocated` (the rest is slots): how a board's creation sizes split. */
		allocatedChunks: number;
		/** Bytes the process's C heap holds (glibc's count: XS's blocks and every library's allocations included). */
		malloc: number;
		native: Record<string, { bytes: number; peak: number }>;
	}
	export function memory(): XsMemory;
	export function report(why?: string): void;
	export function exit(code?: number): void;
	export function argv(): string[];
	export function nowMicroseconds(): number;
	export function collectGarbage(): void;
	/** The host ABI (16 hex digits): a hash of the host function table; OTA bundles name it. */
	export function abi(): string;
	/** IPv4 addresses of the interfaces that are up, loopback last. */
	export function addresses(): string[];
	export const log: {
		error(message: unknown): void; warn(message: unknown): void;
		info(message: unknown): void; debug(message: unknown): void;
	};
}
