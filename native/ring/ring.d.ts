declare module "ring" {
	export const FrameType: { readonly audio: 0; readonly video: 1 };
	export const Codec: { readonly h264: 1; readonly h265: 2; readonly aac: 3; readonly pcmu: 4; readonly pcma: 5 };
	export interface RingOptions {
		/** Largest expected GOP, bytes: the arena is sized from it. */
		maxGopBytes?: number;
		/** Arena size, bytes (instead of maxGopBytes). */
		arenaBytes?: number;
		/** Index slots (default: one per 512 bytes of arena, a power of two in 64 … 65536). */
		maxFrames?: number;
		/** Instead of maxFrames: that many times the slots the bytes derive (1 … 8; a track of small frames). */
		framesScale?: number;
		maxReaders?: number;
	}
	export interface RingStats {
		framesPushed: number; framesEvicted: number; gopsEvicted: number; bytesPushed: number;
		framesHeld: number; bytesHeld: number; oldestTimestamp: number; newestTimestamp: number;
		arenaBytes: number; footprintBytes: number; readersOpen: number;
		/** Index slots: the most frames it holds, however small they are. */
		maxFrames: number;
	}
	export interface Frame {
		/** The frame's bytes: a view of a host buffer over the arena (`data.buffer`), which
		 * carries what valid() and intact() check. */
		data: Uint8Array; type: number; codec: number; key: boolean; timestamp: number;
		seq: number; lost: number;
		/** The pusher's opaque 32-bit word (capture: the access unit's NAL classification). */
		info: number;
	}
	export class Ring {
		constructor(options: RingOptions);
		push(type: number, codec: number, key: boolean, timestamp: number, data: ArrayBuffer | ArrayBufferView, info?: number): void;
		stats(): RingStats;
		close(): void;
	}
	export interface ReaderOptions {
		at?: "live" | "time";
		time?: number;
		onReadable?: (this: RingReader) => void;
	}
	export class RingReader {
		constructor(ring: Ring, options?: ReaderOptions);
		/** Frames lost so far because the writer overtook this reader. */
		readonly lost: number;
		read(): Frame | undefined;
		valid(frame: Frame): boolean;
		close(): void;
	}
	/** True if every chunk that is a view of a ring frame still holds that frame's bytes
	 * (other chunks are ignored). Check after the bytes went somewhere reversible,
	 * before committing them; see native/ring/README.md "Zero-copy output". */
	export function intact(chunks: ReadonlyArray<ArrayBuffer | ArrayBufferView> | ArrayBufferView): boolean;
	/** The native host object behind a Ring, for native modules that write from C. */
	export function nativeRing(ring: Ring): object;
	/** The native host object behind a RingReader, for native modules that read from C. */
	export function nativeReader(reader: RingReader): object;
	export default Ring;
	/** The `code` of this module's errors, by short name: e.g. codes.EBUSY is its IVXS_<MODULE>_EBUSY (native/common/README.md). */
	export const codes: Readonly<Record<string, string>>;
}
