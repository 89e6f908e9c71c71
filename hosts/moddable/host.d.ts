declare module "ivxs/moddable" {
	export interface XsMemory {
		chunks: number; chunksPeak: number; slots: number; slotsPeak: number;
		/** Garbage collections so far: builds with XS instrumentation (mxInstrument) only. */
		collections?: number;
		/** Bytes allocated so far: the Linux host counts them (memory.c); not on Moddable builds. */
		allocated?: number;
		allocatedChunks?: number;
		/** What the Linux host reserved for the XS heap and its C heap in use: not on Moddable builds. */
		reserved?: number;
		malloc?: number;
		native: Record<string, { bytes: number; peak: number }>;
	}
	/** XS heap (bytes) in use and at peak, and each native module's counter. */
	export function memory(): XsMemory;
	/** A full garbage collection now. */
	export function collectGarbage(): void;
}
